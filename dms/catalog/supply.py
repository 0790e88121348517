"""Supply evidence rows (dms.supply): what each version's stock, order, roster and leave tables hold."""

from __future__ import annotations

from collections.abc import Iterable

from dms.catalog.db import Catalog, utcnow
from dms.catalog.rows import DOCUMENTS, DocumentRow, documents
from dms.model import Problem

_LIVE_CURRENT = ("JOIN documents d ON d.current_version_id = v.id "
                 "WHERE d.duplicate_of IS NULL AND d.retired_at IS NULL AND d.purged_at IS NULL")
# (table, columns stored after version_id) per kind of evidence
TABLES = {
    "stock": ("supply_stock", ("sheet", "row_no", "part", "on_hand", "unit", "day", "description", "supplier")),
    "orders": ("supply_orders", ("sheet", "row_no", "order_no", "part", "quantity", "unit", "due", "supplier",
                                 "status")),
    "roster": ("supply_roster", ("sheet", "row_no", "person", "role", "capacity", "written", "email")),
    "leave": ("supply_absences", ("sheet", "row_no", "person", "first_day", "last_day", "kind")),
}
PROBLEM_MARK = "supply evidence"  # every problem dms.supply files says it (replaced when a version is read again)
# what every evidence row is read with: its document, version, number and effective date parts
DOC_COLS = ("d.id", "v.id", "v.number", "v.revision", "v.doc_date", "substr(v.ingested_at, 1, 10)")


def unread(catalog: Catalog, columns: str) -> list[DocumentRow]:
    """Current versions of live documents that may hold evidence tables (CSV, XLSX, calendars), not read yet
    with these column names."""
    return documents(
        catalog, f"{DOCUMENTS} WHERE v.status = 'ok' AND (v.kind IN ('csv', 'xlsx') OR (v.kind = 'text' AND "
        "lower(d.name) LIKE '%.ics')) AND d.duplicate_of IS NULL AND d.retired_at IS NULL AND d.purged_at IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM supply_read r WHERE r.version_id = v.id AND r.columns = ?) ORDER BY d.id",
        (columns,))


def store(catalog: Catalog, version_id: int, columns: str, rows: dict[str, Iterable[tuple]], count: int,
          problem: Problem | None) -> bool:
    """Keep what a version holds and its problem (replacing what an earlier reading with other column names
    kept, problems too). False when another process stored it first."""
    with catalog.transaction():
        conn = catalog.conn
        if conn.execute("SELECT 1 FROM supply_read WHERE version_id = ? AND columns = ?",
                        (version_id, columns)).fetchone():
            return False
        for table, _ in TABLES.values():
            conn.execute(f"DELETE FROM {table} WHERE version_id = ?", (version_id,))
        for kind, values in rows.items():
            table, cols = TABLES[kind]
            marks = ", ".join("?" for _ in range(len(cols) + 1))
            conn.executemany(f"INSERT INTO {table} (version_id, {', '.join(cols)}) VALUES ({marks})",
                             ((version_id, *v) for v in values))
        conn.execute("INSERT INTO supply_read (version_id, columns, row_count) VALUES (?, ?, ?) "
                     "ON CONFLICT (version_id) DO UPDATE SET columns = excluded.columns, "
                     "row_count = excluded.row_count",
                     (version_id, columns, count))
        conn.execute(f"DELETE FROM problems WHERE version_id = ? AND reason LIKE '%{PROBLEM_MARK}%'", (version_id,))
        if problem:
            conn.execute("INSERT INTO problems (version_id, kind, severity, reason, created_at) VALUES (?, ?, ?, ?, ?)",
                         (version_id, problem.kind, problem.severity, problem.reason, utcnow()))
    return True


def evidence(catalog: Catalog, kind: str) -> list[tuple]:
    """Every row of that kind of the current versions of live documents: DOC_COLS, then the stored columns."""
    table, cols = TABLES[kind]
    return catalog.conn.execute(
        f"SELECT {', '.join(DOC_COLS)}, {', '.join('s.' + c for c in cols)} FROM {table} s "
        f"JOIN versions v ON v.id = s.version_id {_LIVE_CURRENT} ORDER BY d.id, s.sheet, s.row_no").fetchall()


def parts_known(catalog: Catalog) -> set[str]:
    """Parts any stock or order row of a current version names."""
    rows = catalog.conn.execute(
        f"SELECT s.part FROM supply_stock s JOIN versions v ON v.id = s.version_id {_LIVE_CURRENT} "
        f"UNION SELECT s.part FROM supply_orders s JOIN versions v ON v.id = s.version_id {_LIVE_CURRENT}")
    return {r[0] for r in rows}
