"""The SQLite catalog: the system of record. The search index is derived from it.

The one door to it: every SQL statement lives in this package, behind named functions and the Catalog's
methods. The errors a caller may need to catch are re-exported here, so that no module outside the package
imports the database driver: `DatabaseError` (any catalog error; `health.is_damage` tells a damaged file),
`IntegrityError` (a constraint refused a write, e.g. a name taken by a concurrent writer) and
`OperationalError` (the database could not do it now; `health.is_busy` tells another writer holding the lock).
"""

from sqlite3 import DatabaseError, IntegrityError, OperationalError

from dms.catalog.db import Catalog, DocumentRow, VersionRow, open_catalog
from dms.catalog.migrations import SCHEMA_VERSION

__all__ = ["Catalog", "DocumentRow", "VersionRow", "open_catalog", "SCHEMA_VERSION", "DatabaseError",
           "IntegrityError", "OperationalError"]
