"""The catalog's schema: the legacy migrations apply in order before Alembic takes over, and the per-file queries
stay indexed. (The schema module, Alembic and PostgreSQL: tests/test_catalog_schema.py.)"""

import sqlite3

import pytest

from dms.catalog import SCHEMA_VERSION, open_catalog
from dms.catalog.db import PER_FILE_QUERIES
from dms.catalog.migrations import MIGRATIONS
from dms.catalog.migrations import SCHEMA_VERSION as LEGACY_VERSION
from dms.catalog.upgrade import LEGACY_DONE
from dms.errors import ConfigError


def test_catalog_of_an_older_schema_is_migrated_in_place(tmp_path):
    path = tmp_path / "catalog.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript("BEGIN;" + MIGRATIONS[0] + "; PRAGMA user_version = 1; COMMIT;")
    conn.execute("INSERT INTO documents (path, name, created_at) VALUES ('/a.txt', 'a.txt', 'now')")
    conn.close()
    catalog = open_catalog(path)
    # every legacy step ran (the index of step 2 is there), then Alembic took over at its baseline
    assert catalog.conn.execute("PRAGMA user_version").fetchone()[0] == LEGACY_DONE
    assert catalog.conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(SCHEMA_VERSION,)]
    assert catalog.conn.execute("SELECT path FROM documents").fetchall() == [("/a.txt",)]
    names = {r[0] for r in catalog.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "documents_current" in names
    catalog.close()


def test_catalog_of_a_legacy_version_newer_than_this_dms_is_refused(tmp_path):
    path = tmp_path / "catalog.sqlite"
    sqlite3.connect(path).execute(f"PRAGMA user_version = {LEGACY_VERSION + 1}")
    with pytest.raises(ConfigError, match="newer than this dms"):
        open_catalog(path)


@pytest.mark.parametrize("sql", PER_FILE_QUERIES)
def test_per_file_queries_never_scan_the_documents_table(tmp_path, sql):
    """A scan here runs once per ingested file: quadratic ingest (found at 20k documents)."""
    catalog = open_catalog(tmp_path / "catalog.sqlite")
    args = tuple("x" for _ in range(sql.count("?")))
    plan = [row[3] for row in catalog.conn.execute("EXPLAIN QUERY PLAN " + sql, args)]
    assert not [step for step in plan if step.startswith("SCAN")], plan
    catalog.close()
