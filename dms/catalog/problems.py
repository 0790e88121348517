"""Problems found after ingest (e.g. a report table too large to read figures from), added to a version."""

from __future__ import annotations

from dms.catalog.db import Catalog, utcnow
from dms.model import Problem


def add_problem(catalog: Catalog, version_id: int, problem: Problem) -> None:
    catalog.conn.execute(
        "INSERT INTO problems (version_id, kind, severity, reason, created_at) VALUES (?, ?, ?, ?, ?)",
        (version_id, problem.kind, problem.severity, problem.reason, utcnow()),
    )
