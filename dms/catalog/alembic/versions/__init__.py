"""Alembic revisions of the catalog, in order: 0001 is the catalog as the legacy steps left it (version 21)."""
