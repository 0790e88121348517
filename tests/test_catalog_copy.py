"""`dms catalog copy` and `dms catalog verify`: the sample archive's SQLite catalog copied to PostgreSQL answers as
the original does, verify proves it (and finds a tampered row), a target holding rows is refused, the copy goes
back from PostgreSQL to SQLite, NUL characters are reported, and a failed copy leaves the target without rows."""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading

import psycopg
import pytest
from conftest import copy_sample_home, run_dms

from dms import audit, auditactions
from dms.catalog import copy, open_catalog
from dms.config import load_settings
from dms.errors import UsageError

pytestmark = pytest.mark.postgresql

ON_SQLITE = {"DMS_DATABASE_URL": ""}  # the home's catalog.sqlite, whatever the developer's environment says


def on(url: str) -> dict:
    return {"DMS_DATABASE_URL": url}


def copy_of(home, pg_cluster, name: str) -> str:
    """A new PostgreSQL database holding a copy of the home's catalog, made in this process (no audit entry)."""
    url = pg_cluster.new_database(name)
    source = open_catalog(home / "catalog.sqlite")
    try:
        copy.copy(source, url)
    finally:
        source.close()
    return url


def count(url: str, table: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]


def _more_on(home) -> None:
    """What the sample archive lacks, so that every kind of row is copied: a hand-made link, a legal hold, a change
    request with its history, a saved view (users come with copy_sample_home)."""
    from dms import holds, views
    from dms.app import Dms
    from dms.changes import workflow
    from dms.graph.manual import add_link

    with Dms(load_settings(environ={}, home=home)) as app:
        add_link(app, "doc:1", "doc:2", "relates_to", "same gasket", by="cora")
        holds.place(app, "M1", "ada", description="hinge cracks", products=["KX200"])
        workflow.create(app, "Lid hinge", "cora")
        views.save(app.catalog, "mona", "KX200 minutes", "q=lid&f=type:minutes&f=product:KX200", pin=True)


@pytest.fixture(scope="module")
def copied(tmp_path_factory, pg_cluster):
    """(home, url, report): the sample archive ingested into a SQLite home (users, a link, a hold, a change request
    and a saved view added), and its catalog copied to a new PostgreSQL database by `dms catalog copy --to URL`."""
    home = copy_sample_home(tmp_path_factory.mktemp("copy") / "home", with_users=True)
    _more_on(home)
    url = pg_cluster.new_database("copy")
    done = run_dms(home, "catalog", "copy", "--to", url, "--json", env=ON_SQLITE)
    return home, url, json.loads(done.stdout)


def test_copy_to_postgresql_keeps_every_row_of_every_table(copied):
    home, url, report = copied
    copied_rows = {t["table"]: t["rows"][0] for t in report["tables"] if t["rows"][0]}
    assert copied_rows.keys() >= {"documents", "versions", "pages", "refs", "problems", "audit_log", "audit_head",
                                  "users", "manual_links", "matters", "change_requests", "cr_history", "cr_counters",
                                  "saved_views"}
    assert all(t["same"] for t in report["tables"])
    assert report["audit"]["ok"], report["audit"]["problems"]
    with sqlite3.connect(home / "catalog.sqlite") as db:
        for table in copied_rows:
            assert count(url, table) == db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0], table


def test_verify_finds_the_copy_the_same_and_its_audit_chain_intact(copied):
    home, url, _ = copied
    result = json.loads(run_dms(home, "catalog", "verify", "--against", url, "--json", env=ON_SQLITE).stdout)
    assert result["ok"] and not result["problems"]
    assert result["audit"]["ok"] and result["audit"]["entries"] > 0
    pages = next(t for t in result["tables"] if t["table"] == "pages")
    assert pages["rows"][0] == pages["rows"][1] > 0 and pages["sha256"][0] == pages["sha256"][1]


def test_the_copy_records_itself_in_the_audit_log_of_both_catalogs(copied):
    home, url, report = copied
    for env in (ON_SQLITE, on(url)):
        entries = json.loads(run_dms(home, "audit", "verify", "--json", env=env).stdout)["entries"]
        assert entries == report["audit"]["entries"]
    with sqlite3.connect(home / "catalog.sqlite") as db:
        action, subject, details = db.execute(
            "SELECT action, subject, details FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    assert (action, subject) == (auditactions.CATALOG_COPIED, "catalog")
    assert json.loads(details)["to"] == url  # no password in this URL; one would be shown as ***


@pytest.mark.parametrize("command", [
    ("search", "heating element"),
    ("search", "CR-2023-003"),
    ("trace", "CR-2023-003", "--limit", "500"),
    ("audit", "verify"),
    ("change", "list"),
    ("hold", "list"),
])
def test_the_copy_answers_as_the_sqlite_catalog(copied, command):
    home, url, _ = copied
    on_sqlite = json.loads(run_dms(home, *command, "--json", env=ON_SQLITE).stdout)
    on_postgresql = json.loads(run_dms(home, *command, "--json", env=on(url)).stdout)
    for answer in (on_sqlite, on_postgresql):
        answer.pop("took_ms", None)
        answer.pop("seconds", None)
    assert on_postgresql == on_sqlite


def test_an_index_and_graph_rebuilt_from_the_copy_answer_as_the_original(copied, pg_cluster, tmp_path):
    home, _, _ = copied
    url = copy_of(home, pg_cluster, "rebuilt")
    answers = {}
    for kind, env in (("sqlite", ON_SQLITE), ("postgresql", on(url))):  # both rebuilt from their catalog
        fresh = tmp_path / kind
        shutil.copytree(home, fresh, symlinks=True)
        shutil.rmtree(fresh / "index")
        if kind == "postgresql":
            (fresh / "catalog.sqlite").unlink()
        forget = open_catalog(url if kind == "postgresql" else fresh / "catalog.sqlite")
        with forget.transaction():  # the link rows are derived again, from this catalog, by the next question
            forget.conn.execute("DELETE FROM graph_sync")
        forget.close()
        for command in (("search", "heating element"), ("trace", "CR-2023-003", "--limit", "500")):
            answer = json.loads(run_dms(fresh, *command, "--json", env=env).stdout)
            answer.pop("took_ms", None)
            answers.setdefault(command, {})[kind] = answer
    for command, answer in answers.items():
        on_sqlite, on_postgresql = answer["sqlite"], answer["postgresql"]
        assert on_postgresql == on_sqlite, command


def test_a_signed_audit_log_is_copied_signed_and_the_copy_entry_signed_too(pg_cluster, tmp_path):
    from dms import users
    from dms.app import Dms

    home, key = tmp_path / "home", tmp_path / "audit.pem"
    with Dms(load_settings(environ={}, home=home)) as app:
        audit.keygen(app.catalog, key, "ada")
    signed = {**ON_SQLITE, "DMS_AUDIT_KEY_FILE": str(key)}
    with Dms(load_settings(environ=signed, home=home)) as app:
        users.add(app.catalog, "ada", "admin", "pw-ada-123456", by="ada")
    url = pg_cluster.new_database("signed")
    without_key = run_dms(home, "catalog", "copy", "--to", url, env=ON_SQLITE, check=False)
    assert without_key.returncode == 4 and "no key is configured" in without_key.stderr
    report = json.loads(run_dms(home, "catalog", "copy", "--to", url, "--json", env=signed).stdout)
    assert report["audit"]["ok"] and report["audit"]["head"]["signed"] and report["audit"]["entries"] == 3
    on_copy = json.loads(run_dms(home, "audit", "verify", "--json", env={**signed, **on(url)}).stdout)
    assert on_copy["ok"] and on_copy["key"]["pinned"]


def test_a_target_holding_rows_is_refused_and_left_alone(copied):
    home, url, _ = copied
    before = count(url, "audit_log")
    refused = run_dms(home, "catalog", "copy", "--to", url, env=ON_SQLITE, check=False)
    assert refused.returncode == 2
    assert "is not empty" in refused.stderr and "audit_log" in refused.stderr
    assert count(url, "audit_log") == before


def test_a_database_of_something_else_is_refused_before_anything_is_created(pg_cluster, tmp_path):
    url = pg_cluster.new_database("other")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE invoices (id int)")
        conn.execute("INSERT INTO invoices VALUES (1)")
    settings = load_settings(environ={}, home=tmp_path / "home")
    source = open_catalog(settings.catalog_path)
    try:
        with pytest.raises(UsageError, match="is not empty .invoices hold rows"):
            copy.copy(source, url)
    finally:
        source.close()
    with psycopg.connect(url) as conn:
        assert [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")] == [
            "invoices"]


def test_a_catalog_is_not_copied_onto_itself(pg_cluster, tmp_path):
    url = pg_cluster.new_database("self")
    for where, same in ((tmp_path / "catalog.sqlite", f"sqlite:///{tmp_path}/./catalog.sqlite"),
                        (url, url.replace("postgresql://", "postgresql+psycopg://"))):
        catalog = open_catalog(where)
        try:
            with pytest.raises(UsageError, match="is the catalog being copied"):
                copy.copy(catalog, same)
        finally:
            catalog.close()


def test_verify_names_the_table_and_row_of_a_tampered_copy(copied, pg_cluster):
    home, _, _ = copied
    url = copy_of(home, pg_cluster, "tampered")
    with psycopg.connect(url, autocommit=True) as conn:
        version_id, page_no = conn.execute(
            "UPDATE pages SET text = text || ' (edited)' WHERE (version_id, page_no) = "
            "(SELECT version_id, page_no FROM pages ORDER BY version_id DESC, page_no LIMIT 1) "
            "RETURNING version_id, page_no").fetchone()
    proc = run_dms(home, "catalog", "verify", "--against", url, env=ON_SQLITE, check=False)
    assert proc.returncode == 4
    assert "FAILED: table pages: the same" in proc.stdout
    assert f"version_id={version_id}, page_no={page_no}" in proc.stdout
    assert "DIFFERENT" in next(line for line in proc.stdout.splitlines() if line.strip().startswith("pages"))
    others = [line for line in proc.stdout.splitlines() if "DIFFERENT" in line]
    assert len(others) == 1


def test_verify_finds_a_removed_audit_entry_in_the_copy(copied, pg_cluster):
    home, _, _ = copied
    url = copy_of(home, pg_cluster, "cut")
    with psycopg.connect(url, autocommit=True) as conn:  # the owner can disable the append-only trigger
        conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
        conn.execute("DELETE FROM audit_log WHERE id = 2")
    result = json.loads(run_dms(home, "catalog", "verify", "--against", url, "--json", env=ON_SQLITE,
                                check=False).stdout)
    assert not result["ok"]
    assert any(p.startswith("table audit_log: ") and "id=2" in p for p in result["problems"])
    assert not result["audit"]["ok"] and "audit entry 2 is missing" in result["audit"]["problems"][0]


def test_verify_against_a_file_that_is_not_there_makes_no_catalog(copied, tmp_path):
    home, _, _ = copied
    missing = tmp_path / "typo.sqlite"
    proc = run_dms(home, "catalog", "verify", "--against", str(missing), env=ON_SQLITE, check=False)
    assert proc.returncode == 2 and "there is no catalog at" in proc.stderr
    assert not missing.exists()


def test_back_from_postgresql_to_sqlite_and_the_same_rows_as_the_original(copied, pg_cluster, tmp_path):
    home, _, _ = copied
    url = copy_of(home, pg_cluster, "there")
    back = tmp_path / "back" / "catalog.sqlite"
    done = run_dms(home, "catalog", "copy", "--from", url, "--to", str(back), env=ON_SQLITE)
    assert "every table the same" in done.stdout
    assert "copied documents" in done.stderr  # progress, a line per table
    result = json.loads(run_dms(home, "catalog", "verify", "--from", url, "--against", str(back), "--json",
                                env=ON_SQLITE).stdout)
    assert result["ok"], result["problems"]
    # the way back recorded a "catalog copied" entry in the PostgreSQL catalog (and so in `back`): the original
    # has one entry fewer, and every other table is the same
    result = json.loads(run_dms(home, "catalog", "verify", "--against", str(back), "--json", env=ON_SQLITE,
                                check=False).stdout)
    assert [t["table"] for t in result["tables"] if not t["same"]] == ["audit_log", "audit_head"]


def test_ids_go_on_after_the_highest_copied_one_and_the_chain_goes_on(copied, pg_cluster, tmp_path):
    home, _, _ = copied
    url = copy_of(home, pg_cluster, "goon")
    catalog = open_catalog(url)
    try:
        highest = max(d.id for d in catalog.all_documents())
        doc_id, created = catalog.ensure_document("/new/file.pdf", "file.pdf")
        assert created and doc_id == highest + 1
        audit.configure(catalog, None, home)
        entry = audit.record(catalog, "ada", auditactions.LINK_ADDED, f"doc:{doc_id}", {"to": "doc:1"})
        result = audit.verify(catalog)
        assert result["ok"] and result["entries"] == entry
    finally:
        catalog.close()


def test_nul_characters_are_dropped_on_the_way_to_postgresql_and_each_value_reported(pg_cluster, tmp_path):
    settings = load_settings(environ={}, home=tmp_path / "home")
    open_catalog(settings.catalog_path).close()
    with sqlite3.connect(settings.catalog_path) as db:
        db.execute("INSERT INTO documents (id, path, name, created_at) VALUES (7, ?, ?, 'now')",
                   ("/a\x00b", "a\x00\x00b"))
    url = pg_cluster.new_database("nul")
    source = open_catalog(settings.catalog_path)
    try:
        report = copy.copy(source, url).to_dict()
    finally:
        source.close()
    assert report["nul_values"] == 2
    assert {(n["table"], n["column"], n["characters"]) for n in report["nul"]} == {
        ("documents", "path", 1), ("documents", "name", 2)}
    assert {"id": 7} in [n["key"] for n in report["nul"]]
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT path, name FROM documents").fetchall() == [("/ab", "ab")]
    told = run_dms(settings.home, "catalog", "copy", "--to", pg_cluster.new_database("nul"), env=ON_SQLITE).stdout
    assert "2 values held NUL characters, which PostgreSQL cannot store: copied without them" in told
    assert "documents.name (id=7): 2 NUL character(s) dropped" in told


@pytest.mark.parametrize("target_kind", ["postgresql", "sqlite"])
def test_a_failed_copy_leaves_no_row_in_the_target_and_no_audit_entry_in_the_source(pg_cluster, tmp_path,
                                                                                     target_kind):
    settings = load_settings(environ={}, home=tmp_path / "home")
    open_catalog(settings.catalog_path).close()
    with sqlite3.connect(settings.catalog_path) as db:  # foreign keys off: a problem of a version that is not there
        db.execute("INSERT INTO problems (version_id, kind, severity, reason, created_at) "
                   "VALUES (99, 'x', 'error', 'orphan', 'now')")
    target = pg_cluster.new_database("failed") if target_kind == "postgresql" else str(tmp_path / "copy.sqlite")
    proc = run_dms(settings.home, "catalog", "copy", "--to", target, env=ON_SQLITE, check=False)
    assert proc.returncode == 1 and "failed and kept no row" in proc.stderr
    if target_kind == "postgresql":  # PostgreSQL names the key; for SQLite the source's foreign_key_check does
        assert 'Key (version_id)=(99) is not present in table "versions"' in proc.stderr
    assert "the source breaks its foreign keys: problems row 1 names a versions row that is not there" in proc.stderr
    assert copy.rows_in(target) == []
    with sqlite3.connect(settings.catalog_path) as db:
        assert db.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0] == 0


@pytest.mark.parametrize("source_kind", ["sqlite", "postgresql"])
def test_writers_wait_while_the_source_is_copied(pg_cluster, tmp_path, source_kind):
    """SQLite to PostgreSQL and PostgreSQL to SQLite: a writer that comes while the source is read waits for the
    copy to end, and what it writes is not in the copy."""
    home = tmp_path / "home"
    if source_kind == "sqlite":
        where, target = home / "catalog.sqlite", pg_cluster.new_database("still")
    else:
        where, target = pg_cluster.new_database("still"), tmp_path / "copy.sqlite"
    source, writer = open_catalog(where), open_catalog(where)
    audit.configure(source, None, home)
    audit.configure(writer, None, home)
    audit.record(source, "ada", auditactions.LINK_ADDED, "doc:1", {"to": "doc:2"})
    waited: list[bool] = []

    def write():
        audit.record(writer, "bob", auditactions.LINK_ADDED, "doc:3", {"to": "doc:4"})

    def progress(phase, table, done, total):
        if phase == "copy" and table == "documents":
            thread.start()  # a writer comes while the copy reads
            thread.join(1.0)
            waited.append(thread.is_alive())

    thread = threading.Thread(target=write)
    try:
        report = copy.copy(source, target, on_progress=progress)
        thread.join(60)
        assert audit.verify(source)["entries"] == 2  # the writer went on once the copy was done
    finally:
        source.close()
        writer.close()
    assert waited == [True]
    assert next(t for t in report.tables if t.table == "audit_log").rows == (1, 1)
    copied = open_catalog(target)
    try:
        assert audit.verify(copied)["entries"] == 1
    finally:
        copied.close()
