"""The PostgreSQL connection behind the catalog's door (dms.catalog.pgdriver): statements written once with `?`
reach psycopg with `%s` (quoted text and identifiers untouched, a literal `%` kept a `%`), numbers come back as
int or float (never Decimal), fetches behave as sqlite3's, and driver errors arrive as dms errors."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dms.catalog import pgdriver
from dms.errors import CatalogBusy, CatalogError, DuplicateKey

# -- the statement text, no server needed ----------------------------------------------------------------------


def test_placeholders_become_format_markers_outside_quotes_only():
    assert pgdriver.to_format("SELECT a FROM t WHERE b = ? AND c = ?") == "SELECT a FROM t WHERE b = %s AND c = %s"
    assert pgdriver.to_format("SELECT '?', \"odd?name\" FROM t WHERE b = ?") == (
        "SELECT '?', \"odd?name\" FROM t WHERE b = %s")


def test_a_literal_percent_is_doubled_so_psycopg_keeps_it_a_percent():
    assert pgdriver.to_format("SELECT x FROM t WHERE y LIKE 'a%' AND z = ?") == (
        "SELECT x FROM t WHERE y LIKE 'a%%' AND z = %s")
    assert pgdriver.to_format("SELECT 7 % 3, ?") == "SELECT 7 %% 3, %s"


def test_a_statement_without_placeholders_is_sent_as_written():
    assert pgdriver.to_format("SELECT 'a%' LIKE 'a%'") is None


def test_a_quote_doubled_inside_text_does_not_end_it():
    assert pgdriver.to_format("SELECT 'it''s ?', ?") == "SELECT 'it''s ?', %s"


def test_the_url_psycopg_takes_and_the_one_messages_show():
    assert pgdriver.libpq_url("postgresql+psycopg://u:secret@db/dms") == "postgresql://u:secret@db/dms"
    assert pgdriver.redacted("postgresql://u:secret@db/dms") == "postgresql://u:***@db/dms"
    assert pgdriver.redacted("postgresql://u@db/dms") == "postgresql://u@db/dms"


# -- on a server ------------------------------------------------------------------------------------------------


@pytest.fixture
def conn(pg_url):
    connection = pgdriver.Connection(pg_url)
    yield connection
    connection.close()


@pytest.mark.postgresql
def test_question_marks_inside_quotes_are_text_and_the_others_are_bound(conn):
    assert conn.execute("SELECT '?', ?, 'a?b' || ?", ("x", "c")).fetchone() == ("?", "x", "a?bc")


@pytest.mark.postgresql
def test_percent_signs_in_like_patterns_match_as_wildcards_both_written_and_bound(conn):
    conn.execute("CREATE TABLE words (w TEXT)")
    conn.executemany("INSERT INTO words (w) VALUES (?)", [("gasket",), ("gas 100%",), ("seal",)])
    assert conn.execute("SELECT w FROM words WHERE w LIKE 'gas%' AND w != ? ORDER BY w", ("x",)).fetchall() == [
        ("gas 100%",), ("gasket",)]
    assert conn.execute("SELECT w FROM words WHERE w LIKE ? ORDER BY w", ("%100\\%",)).fetchall() == [("gas 100%",)]
    assert conn.execute("SELECT COUNT(*) FROM words WHERE w LIKE '%et'").fetchone() == (1,)
    assert conn.execute("SELECT 7 % 3, ?", (1,)).fetchone() == (1, 1)


@pytest.mark.postgresql
def test_sums_and_numerics_come_back_as_int_or_float_never_decimal(conn):
    conn.execute("CREATE TABLE sizes (n BIGINT)")
    conn.executemany("INSERT INTO sizes (n) VALUES (?)", [(2**40,), (3,)])
    row = conn.execute("SELECT SUM(n), COALESCE(SUM(n), 0), AVG(n), 1.5::numeric, 10::numeric, COUNT(*) "
                       "FROM sizes").fetchone()
    assert row == (2**40 + 3, 2**40 + 3, (2**40 + 3) / 2, 1.5, 10, 2)
    assert not any(isinstance(v, Decimal) for v in row)
    assert [type(v) for v in row] == [int, int, float, float, int, int]
    assert conn.execute("SELECT SUM(n) FROM sizes WHERE n < 0").fetchone() == (None,)


@pytest.mark.postgresql
def test_fetches_after_a_statement_without_rows_are_empty_as_in_sqlite(conn):
    cur = conn.execute("CREATE TABLE t (id BIGSERIAL PRIMARY KEY, name TEXT UNIQUE)")
    assert cur.fetchone() is None and cur.fetchall() == [] and cur.fetchmany(5) == []
    cur = conn.execute("INSERT INTO t (name) VALUES (?)", ("a",))
    assert cur.fetchone() is None and cur.rowcount == 1
    assert conn.execute("INSERT INTO t (name) VALUES (?) RETURNING id", ("b",)).fetchone() == (2,)
    assert list(conn.execute("SELECT id, name FROM t ORDER BY id")) == [(1, "a"), (2, "b")]
    assert conn.executemany("INSERT INTO t (name) VALUES (?)", []).fetchall() == []


@pytest.mark.postgresql
def test_lastrowid_refuses_and_says_what_to_write_instead(conn):
    conn.execute("CREATE TABLE t (id BIGSERIAL PRIMARY KEY, name TEXT)")
    with pytest.raises(CatalogError, match="RETURNING id"):
        conn.execute("INSERT INTO t (name) VALUES (?)", ("a",)).lastrowid  # noqa: B018 - the property raises


@pytest.mark.postgresql
def test_a_unique_key_refusal_is_a_duplicate_key_and_other_errors_are_catalog_errors(conn):
    conn.execute("CREATE TABLE t (name TEXT UNIQUE)")
    conn.execute("INSERT INTO t (name) VALUES (?)", ("a",))
    with pytest.raises(DuplicateKey):
        conn.execute("INSERT INTO t (name) VALUES (?)", ("a",))
    with pytest.raises(CatalogError) as caught:
        conn.execute("SELECT nothing FROM t")
    assert not isinstance(caught.value, DuplicateKey)
    assert conn.execute("SELECT COUNT(*) FROM t").fetchone() == (1,)  # autocommit: the connection goes on


@pytest.mark.postgresql
def test_a_write_transaction_holds_the_write_lock_until_it_ends(conn, pg_url):
    other = pgdriver.Connection(pg_url)
    try:
        other.execute("SET lock_timeout = '200ms'")
        conn.begin_write()
        assert conn.in_transaction and not other.in_transaction
        with pytest.raises(CatalogBusy, match="another process is writing"):
            other.begin_write()
        other.execute("ROLLBACK")
        conn.execute("COMMIT")
        other.begin_write()  # free again
        other.execute("COMMIT")
        assert not conn.in_transaction and not other.in_transaction
    finally:
        other.close()


@pytest.mark.postgresql
def test_an_unreachable_server_is_named_without_its_password(pg_cluster):
    url = f"postgresql://dms:secret@/nosuchdb?host={pg_cluster.socket_dir}&port={pg_cluster.port}"
    with pytest.raises(CatalogError, match="cannot reach the PostgreSQL catalog") as caught:
        pgdriver.Connection(url)
    assert "secret" not in str(caught.value) and "***" in str(caught.value)


# -- the review's findings (review17b): URLs, isolation, snapshots --------------------------------------------------


def test_a_password_given_as_a_query_parameter_is_hidden_too():
    shown = pgdriver.redacted("postgresql:///dms?host=/run/pg&user=u&password=QueryS3cret&sslpassword=k")
    assert "QueryS3cret" not in shown and "=k" not in shown
    assert shown.startswith("postgresql:///dms?host=/run/pg&user=u&password=***")


def test_a_url_without_a_host_keeps_its_three_slashes_for_libpq():
    assert pgdriver.libpq_url("postgresql:///dms?host=/run/pg") == "postgresql:///dms?host=/run/pg"
    assert pgdriver.libpq_url("postgres://u@h/dms") == "postgresql://u@h/dms"


@pytest.mark.postgresql
def test_a_url_without_a_host_part_reaches_the_server(pg_cluster, pg_url):
    from urllib.parse import urlsplit

    database = urlsplit(pg_url).path.lstrip("/")
    local = f"postgresql:///{database}?host={pg_cluster.socket_dir}&port={pg_cluster.port}&user=dms"
    connection = pgdriver.Connection(local)
    try:
        assert connection.execute("SELECT current_database()").fetchone() == (database,)
    finally:
        connection.close()


@pytest.mark.postgresql
def test_writes_see_what_the_previous_lock_holder_committed_even_when_the_database_defaults_to_repeatable_read(
        pg_cluster, pg_url):
    import threading
    from urllib.parse import urlsplit

    from dms.catalog import open_catalog

    database = urlsplit(pg_url).path.lstrip("/")
    pg_cluster.sql(f"ALTER DATABASE {database} SET default_transaction_isolation = 'repeatable read'")
    first, second = open_catalog(pg_url), open_catalog(pg_url)
    try:
        first.conn.execute("CREATE TABLE counter (n INTEGER)")
        first.conn.execute("INSERT INTO counter VALUES (0)")
        seen = []
        entered = threading.Event()
        with first.transaction():
            def bump():
                entered.set()
                with second.transaction():  # waits for `first`'s lock, then must read its committed value
                    (n,) = second.conn.execute("SELECT n FROM counter").fetchone()
                    seen.append(n)
                    second.conn.execute("UPDATE counter SET n = ?", (n + 1,))
            worker = threading.Thread(target=bump)
            worker.start()
            entered.wait(10)
            first.conn.execute("UPDATE counter SET n = 1")
        worker.join(30)
        assert seen == [1]
        assert first.conn.execute("SELECT n FROM counter").fetchone() == (2,)
    finally:
        first.close()
        second.close()


def test_a_write_cannot_join_a_read_only_snapshot(dms):
    with dms.catalog.snapshot(), pytest.raises(RuntimeError, match="cannot join a snapshot"):
        with dms.catalog.transaction():
            pass
