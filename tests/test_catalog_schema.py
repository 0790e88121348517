"""The catalog's schema on both dialects: dms/catalog/schema.py, the Alembic history (dms/catalog/alembic/) and
how a catalog is brought to it when opened (dms/catalog/upgrade.py).

SQLite catalogs are still built by the frozen legacy steps, then stamped with Alembic's baseline and marked
`PRAGMA user_version = 1000` so an older dms refuses them; PostgreSQL catalogs are built from schema.py. The schema
module is compared with a catalog the legacy steps built, so the two descriptions cannot drift apart.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dms.catalog import SCHEMA_VERSION, open_catalog, upgrade
from dms.catalog.migrations import SCHEMA_VERSION as LEGACY_VERSION
from dms.catalog.migrations import migrate
from dms.errors import CatalogError, ConfigError

REPO = Path(__file__).resolve().parent.parent
KINDS = ("sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql))


@pytest.fixture
def where(request, tmp_path):
    """A catalog location of the parametrised kind: a SQLite file path or a new PostgreSQL database's URL."""
    if request.param == "postgresql":
        return request.getfixturevalue("pg_url")
    return str(tmp_path / "catalog.sqlite")


def legacy_catalog(path: Path) -> Path:
    """A catalog as the dms before Alembic built it: the legacy steps only (schema version 21)."""
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn)
    conn.close()
    return path


def upgraded_legacy_catalog(path: Path) -> Path:
    """A legacy catalog as dms upgrades it in place (stamped, then the later revisions)."""
    open_catalog(legacy_catalog(path)).close()
    return path


def schema_differences(connection) -> list:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from dms.catalog.schema import metadata

    context = MigrationContext.configure(connection, opts={
        "compare_type": True, "compare_server_default": True,
        "include_name": lambda name, type_, parent: not (type_ == "table" and name == "alembic_version"),
    })
    return compare_metadata(context, metadata)


def _fk_key(fk) -> tuple:
    return (fk.parent.name, tuple(c.name for c in fk.columns), fk.referred_table.name,
            tuple(e.column.name for e in fk.elements))


def real_sqlite_differences(diffs: list) -> list:
    """What compare_metadata finds between schema.py and a legacy-built SQLite catalog, less what is not a
    difference: SQLite reflects a single-column primary key as nullable (the legacy DDL says PRIMARY KEY, not NOT
    NULL), REAL is Float's SQLite spelling, and the documents <-> versions foreign keys are DEFERRABLE only in
    schema.py (the legacy DDL cannot gain it; it matters on PostgreSQL, where copies write documents first)."""
    from sqlalchemy import Float
    from sqlalchemy.dialects.sqlite import REAL

    from dms.catalog.schema import metadata

    flat = [d for diff in diffs for d in (diff if isinstance(diff, list) else [diff])]
    added = {_fk_key(d[1]): d[1] for d in flat if d[0] == "add_fk"}
    removed = {_fk_key(d[1]): d[1] for d in flat if d[0] == "remove_fk"}
    real = []
    for d in flat:
        if d[0] == "modify_nullable":
            _, _, table, column, _, reflected, wanted = d
            if list(metadata.tables[table].primary_key.columns.keys()) == [column] and reflected and not wanted:
                continue
        elif d[0] == "modify_type" and isinstance(d[5], REAL) and isinstance(d[6], Float):
            continue
        elif d[0] in ("add_fk", "remove_fk") and _fk_key(d[1]) in added and _fk_key(d[1]) in removed:
            if added[_fk_key(d[1])].deferrable and not removed[_fk_key(d[1])].deferrable:
                continue
        real.append(d)
    return real


# -- schema.py against the legacy DDL ------------------------------------------------------------------------------

def test_schema_module_describes_the_catalog_the_legacy_steps_build(tmp_path):
    import sqlalchemy as sa

    engine = sa.create_engine(f"sqlite:///{upgraded_legacy_catalog(tmp_path / 'legacy.sqlite')}")
    with engine.connect() as conn:
        diffs = schema_differences(conn)
        tables = set(sa.inspect(conn).get_table_names())
    engine.dispose()
    from dms.catalog.schema import metadata

    assert tables == {*metadata.tables, "alembic_version"}
    assert real_sqlite_differences(diffs) == []
    assert diffs, "the noise the comparison accepts is still there (else the filter above has gone stale)"


def test_schema_comparison_sees_a_missing_index_and_a_changed_column(tmp_path):
    """The comparison above is not blind: a legacy catalog lacking an index, or with a column of another type, is
    reported."""
    import sqlalchemy as sa

    path = upgraded_legacy_catalog(tmp_path / "legacy.sqlite")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript("DROP INDEX refs_number; ALTER TABLE damaged_blobs ADD COLUMN extra INTEGER;")
    conn.close()
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as c:
        real = real_sqlite_differences(schema_differences(c))
    engine.dispose()
    kinds = sorted((d[0], d[1].name if d[0] == "add_index" else f"{d[2]}.{d[3].name}") for d in real)
    assert kinds == [("add_index", "refs_number"), ("remove_column", "damaged_blobs.extra")]


@pytest.mark.postgresql
def test_a_new_postgresql_catalog_is_exactly_the_schema_module(pg_url):
    import sqlalchemy as sa

    open_catalog(pg_url).close()
    engine = upgrade.postgresql_engine(pg_url)
    with engine.connect() as conn:
        diffs = schema_differences(conn)
        types = dict(conn.execute(sa.text(
            "SELECT table_name || '.' || column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name IN ('versions', 'pages')")).all())
        deferrable = set(conn.execute(sa.text(
            "SELECT conrelid::regclass || '.' || conname FROM pg_constraint "
            "WHERE contype = 'f' AND condeferrable AND condeferred")).scalars())
    engine.dispose()
    assert diffs == []
    assert types["versions.mtime_ns"] == "bigint" and types["versions.size"] == "bigint"  # 64-bit as in SQLite
    assert types["pages.ocr_confidence"] == "double precision"
    assert "documents.documents_current_version_id_fkey" in deferrable
    assert "versions.versions_document_id_fkey" in deferrable


def test_revisions_known_without_alembic_are_the_alembic_scripts():
    """upgrade.REVISIONS lets an open tell a current or newer catalog without importing Alembic: it must list the
    scripts' revisions in order."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(upgrade.SCRIPTS))
    scripts = ScriptDirectory.from_config(config)
    walked = [s.revision for s in scripts.walk_revisions("base", "heads")]
    assert tuple(reversed(walked)) == upgrade.REVISIONS
    assert scripts.get_current_head() == upgrade.HEAD == SCHEMA_VERSION


def test_alembic_run_by_hand_builds_the_sqlite_catalog_dms_builds(tmp_path):
    """Revision 0001 on SQLite (used when Alembic is run by hand) gives the very catalog dms gives: the same
    tables, indexes, triggers and alembic_version table (dms writes that one without Alembic)."""
    open_catalog(tmp_path / "dms.sqlite").close()
    engine = upgrade.sqlite_engine(tmp_path / "alembic.sqlite")
    with engine.begin() as conn:
        upgrade.run_alembic(conn)
    engine.dispose()
    listing = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
    by_dms = sqlite3.connect(tmp_path / "dms.sqlite")
    by_hand = sqlite3.connect(tmp_path / "alembic.sqlite")
    assert by_hand.execute(listing).fetchall() == by_dms.execute(listing).fetchall()
    for conn in (by_dms, by_hand):
        assert conn.execute("PRAGMA user_version").fetchone()[0] == upgrade.LEGACY_DONE
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(SCHEMA_VERSION,)]
        conn.close()
    open_catalog(tmp_path / "alembic.sqlite").close()  # and dms opens it as current


# -- opening: existing catalogs, newer ones, several processes ------------------------------------------------------

def test_an_existing_catalog_with_data_is_upgraded_in_place_and_an_older_dms_then_refuses_it(tmp_path):
    path = legacy_catalog(tmp_path / "catalog.sqlite")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("INSERT INTO documents (path, name, created_at) VALUES ('/a.txt', 'a.txt', 'now')")
    conn.execute("INSERT INTO audit_log (at, user, action, subject, details, prev_hash, hash) "
                 "VALUES ('now', 'alice', 'ingest', '/a.txt', '{}', '', 'h1')")
    conn.close()
    catalog = open_catalog(path)
    assert catalog.conn.execute("SELECT path FROM documents").fetchall() == [("/a.txt",)]
    assert catalog.conn.execute('SELECT "user", hash FROM audit_log').fetchall() == [("alice", "h1")]
    assert catalog.conn.execute("PRAGMA user_version").fetchone()[0] == upgrade.LEGACY_DONE
    assert catalog.conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(SCHEMA_VERSION,)]
    catalog.close()
    again = open_catalog(path)  # opened again: nothing to do, nothing doubled
    assert again.conn.execute("SELECT COUNT(*) FROM alembic_version").fetchone()[0] == 1
    again.close()
    old = sqlite3.connect(path, isolation_level=None)  # what an older dms runs when it opens the catalog
    with pytest.raises(ConfigError, match=f"schema version 1000, newer than this dms \\({LEGACY_VERSION}\\)"):
        migrate(old)
    old.close()


@pytest.mark.parametrize("where", KINDS, indirect=True)
def test_a_catalog_at_an_unknown_revision_is_refused(where):
    open_catalog(where).close()
    catalog = open_catalog(where)
    catalog.conn.execute("UPDATE alembic_version SET version_num = '9999'")
    catalog.close()
    with pytest.raises(ConfigError, match="schema revision 9999, newer than this dms"):
        open_catalog(where)


OPEN_AND_SAY = """
import sys
from dms.catalog import open_catalog
catalog = open_catalog(sys.argv[1])
print(catalog.conn.execute("SELECT version_num FROM alembic_version").fetchone()[0])
print(catalog.conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0])
catalog.close()
"""


@pytest.mark.parametrize("where", KINDS, indirect=True)
def test_a_new_catalog_opened_by_three_processes_at_once_is_built_once(where):
    processes = [subprocess.Popen([sys.executable, "-c", OPEN_AND_SAY, where], cwd=REPO, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)]
    results = [(p.wait(timeout=240), *p.communicate()) for p in processes]
    assert [(code, out.split(), err) for code, out, err in results] == [(0, [SCHEMA_VERSION, "0"], "")] * 3
    catalog = open_catalog(where)
    assert catalog.conn.execute("SELECT COUNT(*) FROM alembic_version").fetchone()[0] == 1
    catalog.close()


NO_SCHEMA_LIBRARIES = """
import sys
from dms.catalog import open_catalog
open_catalog(sys.argv[1]).close()
print(sorted(m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "alembic") or m == "dms.catalog.schema"))
"""


@pytest.mark.parametrize("where", KINDS, indirect=True)
def test_opening_a_current_catalog_imports_neither_sqlalchemy_nor_alembic(where):
    open_catalog(where).close()
    done = subprocess.run([sys.executable, "-c", NO_SCHEMA_LIBRARIES, where], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "[]", "")


def test_a_new_sqlite_catalog_is_built_without_sqlalchemy(tmp_path):
    """The legacy steps and the stamp are plain SQL: a first `dms ingest` into a new home does not pay for the
    schema libraries either."""
    done = subprocess.run([sys.executable, "-c", NO_SCHEMA_LIBRARIES, str(tmp_path / "new.sqlite")], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "[]", "")


# -- later revisions go through Alembic on both dialects ------------------------------------------------------------

LATER_REVISION = '''
"""A later revision (test): a column added with op.*, as every revision after the baseline is written."""

import sqlalchemy as sa
from alembic import op

revision = "9999"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("matters", sa.Column("colour", sa.Text(), nullable=False, server_default="grey"))
    with op.batch_alter_table("matters") as batch:  # on SQLite: the table rebuilt by copy
        batch.alter_column("release_reason", existing_type=sa.Text(), nullable=False, server_default="")
'''


@pytest.mark.parametrize("where", KINDS, indirect=True)
def test_a_later_revision_is_applied_to_an_existing_catalog_keeping_its_data(where, tmp_path, monkeypatch):
    catalog = open_catalog(where)
    catalog.conn.execute("INSERT INTO matters (name, scope, created_by, created_at, release_reason) "
                         "VALUES ('m', '{}', 'a', 'now', '')")
    catalog.close()
    scripts = tmp_path / "alembic"
    shutil.copytree(upgrade.SCRIPTS, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "9999_later.py").write_text(textwrap.dedent(LATER_REVISION).replace("{head}", upgrade.HEAD))
    monkeypatch.setattr(upgrade, "SCRIPTS", scripts)
    monkeypatch.setattr(upgrade, "REVISIONS", (*upgrade.REVISIONS, "9999"))
    monkeypatch.setattr(upgrade, "HEAD", "9999")
    catalog = open_catalog(where)
    assert catalog.conn.execute("SELECT name, colour, release_reason FROM matters").fetchall() == [("m", "grey", "")]
    assert catalog.conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("9999",)]
    if catalog.dialect == "sqlite":
        assert catalog.conn.execute("PRAGMA user_version").fetchone()[0] == upgrade.LEGACY_DONE
    catalog.close()


# -- the append-only audit log ------------------------------------------------------------------------------------

AUDIT_ROW = ("INSERT INTO audit_log (at, \"user\", action, subject, details, prev_hash, hash) "
             "VALUES ('now', 'alice', 'ingest', '/a.txt', '{}', '', 'h1')")


@pytest.mark.parametrize("where", KINDS, indirect=True)
def test_the_audit_log_refuses_update_and_delete(where):
    catalog = open_catalog(where)
    catalog.conn.execute(AUDIT_ROW)
    for statement in ("UPDATE audit_log SET hash = 'forged'", "DELETE FROM audit_log"):
        with pytest.raises(CatalogError, match="the audit log is append-only"):
            catalog.conn.execute(statement)
    assert catalog.conn.execute("SELECT hash FROM audit_log").fetchall() == [("h1",)]
    catalog.close()


@pytest.mark.postgresql
def test_the_audit_log_refuses_truncate_on_postgresql(pg_url):
    catalog = open_catalog(pg_url)
    catalog.conn.execute(AUDIT_ROW)
    with pytest.raises(CatalogError, match="the audit log is append-only"):
        catalog.conn.execute("TRUNCATE audit_log")
    with pytest.raises(CatalogError, match="the audit log is append-only"):
        catalog.conn.execute("TRUNCATE audit_log, documents CASCADE")
    assert catalog.conn.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0] == 1
    catalog.close()


# -- PostgreSQL databases dms will not build a catalog in -----------------------------------------------------------

@pytest.mark.postgresql
@pytest.mark.parametrize("options", ["ENCODING 'SQL_ASCII' LOCALE 'C'",
                                     "ENCODING 'UTF8' LOCALE 'C' LOCALE_PROVIDER icu ICU_LOCALE 'en'"])
def test_a_database_that_does_not_sort_or_store_text_as_sqlite_is_refused(pg_cluster, options):
    name = f"other_{abs(hash(options))}"
    pg_cluster.sql(f"CREATE DATABASE {name} TEMPLATE template0 {options}")
    with pytest.raises(ConfigError, match="needs the C collation and UTF-8"):
        open_catalog(pg_cluster.url(name))
    assert pg_cluster.sql("SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'", name) == "0"


@pytest.mark.postgresql
def test_a_database_holding_catalog_tables_without_a_revision_is_refused(pg_cluster, pg_url):
    database = pg_url.split("/")[3].split("?")[0]
    pg_cluster.sql("CREATE TABLE documents (id integer)", database)
    with pytest.raises(ConfigError, match="holds tables of a catalog \\(documents\\) but no schema revision"):
        open_catalog(pg_url)


def test_an_older_catalog_opened_by_three_processes_at_once_is_stamped_once(tmp_path):
    path = legacy_catalog(tmp_path / "catalog.sqlite")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("INSERT INTO documents (path, name, created_at) VALUES ('/a.txt', 'a.txt', 'now')")
    conn.close()
    processes = [subprocess.Popen([sys.executable, "-c", OPEN_AND_SAY, str(path)], cwd=REPO, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)]
    results = [(p.wait(timeout=240), *p.communicate()) for p in processes]
    assert [(code, out.split(), err) for code, out, err in results] == [(0, [SCHEMA_VERSION, "1"], "")] * 3
    check = sqlite3.connect(path)
    assert check.execute("SELECT version_num FROM alembic_version").fetchall() == [(SCHEMA_VERSION,)]
    assert check.execute("PRAGMA user_version").fetchone()[0] == upgrade.LEGACY_DONE
    check.close()


def test_tables_sort_for_a_copy_with_documents_before_their_versions_and_pages():
    """A copy writes tables in metadata.sorted_tables order: the documents <-> versions cycle is broken at
    documents.current_version_id (checked at COMMIT on PostgreSQL), so documents come first."""
    from dms.catalog.schema import metadata

    order = [t.name for t in metadata.sorted_tables]
    assert order.index("documents") < order.index("versions") < order.index("pages")
    assert order.index("users") < order.index("web_sessions")
    assert order.index("change_requests") < order.index("cr_history")
