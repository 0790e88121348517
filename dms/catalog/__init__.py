"""The catalog: the system of record, a SQLite file or a PostgreSQL database. The search index is derived from it.

The one door to it: every SQL statement lives in this package, behind named functions and the Catalog's
methods. No driver error passes the door: the catalog's connection (dms.catalog.driver, dms.catalog.pgdriver)
raises dms errors instead, which callers catch from dms.errors: `CatalogError` (any), `CatalogDamaged` (the file is
damaged), `CatalogBusy` (another writer held the lock too long) and `DuplicateKey` (a name or key just taken).

The schema: dms/catalog/schema.py (SQLAlchemy Core, both dialects); its history: Alembic revisions under
dms/catalog/alembic/, applied when a catalog is opened (dms/catalog/upgrade.py). SCHEMA_VERSION is the revision
this dms brings a catalog to.
"""

from dms.catalog.db import Catalog, DocumentRow, VersionRow, open_catalog
from dms.catalog.upgrade import HEAD as SCHEMA_VERSION

__all__ = ["Catalog", "DocumentRow", "VersionRow", "open_catalog", "SCHEMA_VERSION"]
