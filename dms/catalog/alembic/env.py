"""Alembic's environment for the catalog: always handed a live connection (dms.catalog.upgrade opens it and holds
the catalog's write lock); the revisions run inside that connection's transaction. There is no alembic.ini and no
offline (SQL script) mode."""

from alembic import context

from dms.catalog.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("the catalog's migrations run from dms (dms.catalog.upgrade), on a connection it opened")
context.configure(connection=connection, target_metadata=metadata, transactional_ddl=True,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():  # the caller's transaction is open: Alembic joins it
    context.run_migrations()
