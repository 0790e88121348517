"""Baseline: the catalog as the legacy steps (dms/catalog/migrations.py) left it at schema version 21.

SQLite: the legacy steps themselves, statement by statement, so that a catalog built by running Alembic by hand is
exactly one grown by dms (dms itself runs the legacy steps and stamps this revision: dms.catalog.upgrade).
PostgreSQL: the tables of dms/catalog/schema.py and the audit log's append-only triggers.
"""

import sqlite3

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        from dms.catalog.migrations import MIGRATIONS
        from dms.catalog.upgrade import LEGACY_DONE

        for step in MIGRATIONS:  # executescript would COMMIT first: one statement at a time, in the transaction
            for statement in statements(step):
                bind.exec_driver_sql(statement)
        bind.exec_driver_sql(f"PRAGMA user_version = {LEGACY_DONE}")
        return
    from dms.catalog.schema import baseline_tables, metadata
    from dms.catalog.upgrade import APPEND_ONLY_TRIGGERS

    metadata.create_all(bind, tables=baseline_tables(), checkfirst=False)
    for statement in APPEND_ONLY_TRIGGERS:
        bind.exec_driver_sql(statement)


def downgrade() -> None:
    raise NotImplementedError("the baseline is not undone: restore a backup instead")


def statements(script: str) -> list[str]:
    """The complete SQL statements of a legacy step (comments kept, empty ones dropped)."""
    found, statement = [], ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            found.append(statement.strip())
            statement = ""
    return [s for s in found if s.strip(" \n;")]
