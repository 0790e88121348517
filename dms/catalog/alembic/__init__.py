"""The catalog's schema history as Alembic revisions (run by dms.catalog.upgrade when a catalog is opened)."""
