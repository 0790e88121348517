"""Figures read from report tables (dms.retro.metrics): which table documents wait to be read, what each gave,
and the figures of one product."""

from __future__ import annotations

from dms.catalog.db import Catalog
from dms.catalog.rows import DOCUMENTS, DocumentRow, documents


def documents_for_metrics(catalog: Catalog) -> list[DocumentRow]:
    """Current versions of live table documents (CSV, XLSX; copies left out) whose figures were not read yet."""
    return documents(
        catalog, f"{DOCUMENTS} WHERE v.kind IN ('csv', 'xlsx') AND d.duplicate_of IS NULL AND d.retired_at IS NULL "
        "AND d.purged_at IS NULL AND v.id NOT IN (SELECT version_id FROM metrics_read) ORDER BY d.id")


def store_figures(catalog: Catalog, version_id: int, found: dict[tuple[str, str, str], float]) -> None:
    """Keep the figures a version gave ((product, period, metric) -> value) and that it was read. Call it inside
    the caller's transaction (with the version's problem, if any)."""
    catalog.require_transaction("metrics.store_figures")
    catalog.conn.executemany(
        "INSERT INTO metrics (version_id, product, period, metric, value) VALUES (?, ?, ?, ?, ?)",
        [(version_id, p, period, m, value) for (p, period, m), value in sorted(found.items())])
    catalog.conn.execute("INSERT INTO metrics_read (version_id, tables) VALUES (?, ?)", (version_id, len(found)))


def figures_of(catalog: Catalog, product: str) -> list[tuple[str, str, float, int]]:
    """(period, metric, value, doc_id) of the product's figures in current versions of live documents, the
    earlier-dated reports first (so a later report's figure comes after, and wins when read in order)."""
    rows = catalog.conn.execute(
        "SELECT m.period, m.metric, m.value, d.id, COALESCE(v.doc_date, '') FROM metrics m "
        "JOIN versions v ON v.id = m.version_id JOIN documents d ON d.current_version_id = v.id "
        "WHERE m.product = ? AND d.retired_at IS NULL AND d.purged_at IS NULL ORDER BY 5, d.id",
        (product,)).fetchall()
    return [(period, metric, value, doc_id) for period, metric, value, doc_id, _ in rows]
