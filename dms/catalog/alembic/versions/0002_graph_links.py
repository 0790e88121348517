"""The cross-reference graph's derived links as rows (graph_links), the e-mail headers replies are matched by
(graph_messages) and how far they are derived (graph_sync). The rows themselves are written on first use by
dms.graph.sync (from the catalog's documents, with a progress bar on a large archive), not here."""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from dms.catalog.schema import tables_since

    bind = op.get_bind()
    for table in tables_since(revision):
        table.create(bind, checkfirst=False)


def downgrade() -> None:
    from dms.catalog.schema import tables_since

    bind = op.get_bind()
    for table in reversed(tables_since(revision)):
        table.drop(bind)
