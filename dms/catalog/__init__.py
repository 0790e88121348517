"""The SQLite catalog: the system of record. The search index is derived from it.

The one door to it: every SQL statement lives in this package, behind named functions and the Catalog's
methods. No driver error passes the door: the catalog's connection (dms.catalog.driver) raises dms errors
instead, which callers catch from dms.errors: `CatalogError` (any), `CatalogDamaged` (the file is damaged),
`CatalogBusy` (another writer held the lock too long) and `DuplicateKey` (a name or key just taken).
"""

from dms.catalog.db import Catalog, DocumentRow, VersionRow, open_catalog
from dms.catalog.migrations import SCHEMA_VERSION

__all__ = ["Catalog", "DocumentRow", "VersionRow", "open_catalog", "SCHEMA_VERSION"]
