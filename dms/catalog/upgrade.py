"""Bring a catalog to the schema of this dms when it is opened: SQLite file or PostgreSQL database.

The schema's history is Alembic's (dms/catalog/alembic/, revisions in REVISIONS, run programmatically: there is no
alembic.ini). Its first revision, 0001, is the catalog as the legacy steps (dms/catalog/migrations.py, frozen, PRAGMA
user_version 1..21) left it:

- SQLite: the legacy steps run first, as they always did (a new file is built to 21, an older one brought to 21),
  then the catalog is stamped 0001 and `PRAGMA user_version` set to 1000 (LEGACY_DONE) in one BEGIN IMMEDIATE
  transaction, so that an older dms refuses it ("newer than this dms") instead of migrating it again. Later
  revisions run through Alembic on a connection of their own, under the same write lock.
- PostgreSQL: revision 0001 builds the tables from dms/catalog/schema.py and the audit log's append-only triggers,
  in one transaction holding the catalog's write lock (pg_advisory_xact_lock): of several processes opening a new
  database at once one builds it, the others find it built. The database must sort text as SQLite does (C
  collation) and hold UTF-8: a new one is checked before anything is written.

An up-to-date catalog is recognised with a plain query or two on the catalog's own connection: neither SQLAlchemy
nor Alembic is imported then (a `dms search` starts fast). They are imported only when there is work to do (a new
PostgreSQL database, a revision to apply).
"""

from __future__ import annotations

from pathlib import Path

from dms.errors import CatalogError, ConfigError

REVISIONS = ("0001", "0002")  # Alembic's revisions in order (tests check this against dms/catalog/alembic/versions/)
HEAD = REVISIONS[-1]
BASELINE = "0001"  # the catalog as the legacy steps left it (legacy schema version 21)
LEGACY_DONE = 1000  # PRAGMA user_version once Alembic owns a SQLite catalog: above every legacy version
SCRIPTS = Path(__file__).resolve().parent / "alembic"

# Alembic's own table, as `alembic stamp` creates it (written by hand on SQLite: stamping needs no Alembic import)
VERSION_TABLE = ("CREATE TABLE alembic_version (\n\tversion_num VARCHAR(32) NOT NULL, \n"
                 "\tCONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n)")  # its text, to the byte

APPEND_ONLY_TRIGGERS = (  # PostgreSQL; SQLite's are in the legacy step 8 (RAISE(ABORT, ...))
    """CREATE OR REPLACE FUNCTION dms_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only' USING ERRCODE = 'integrity_constraint_violation';
END $$""",
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION dms_append_only()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION dms_append_only()",
)


def newer(found: object) -> ConfigError:
    return ConfigError(f"the catalog is at schema revision {found}, newer than this dms ({HEAD}); upgrade dms")


# -- SQLite --------------------------------------------------------------------------------------------------------

def sqlite(conn, path: Path) -> None:
    """Bring the SQLite catalog open on `conn` (the catalog's connection, autocommit) to HEAD."""
    version = _user_version(conn)
    revision = None
    if version == LEGACY_DONE:
        revision = _sqlite_revision(conn)
        if revision == HEAD:
            return  # the usual open: two plain queries
        if revision is not None and revision not in REVISIONS:
            raise newer(revision)
    elif version > LEGACY_DONE:
        raise ConfigError(f"the catalog is at schema version {version}, newer than this dms; upgrade dms")
    else:
        from dms.catalog.migrations import migrate

        try:
            migrate(conn)  # the legacy steps, each in its own BEGIN IMMEDIATE (a catalog at 21: nothing to do)
        except ConfigError:
            if _user_version(conn) != LEGACY_DONE:  # not another process stamping it meanwhile: really newer
                raise
    revision = _stamp(conn)
    if revision != HEAD and not _frozen_sqlite(conn, revision):
        _alembic_sqlite(path)


# Revisions after the baseline whose SQLite DDL is frozen here, as Alembic writes it (tests/test_catalog_schema.py
# compares a catalog built so with one Alembic built, to the byte): a new or older SQLite catalog is brought to HEAD
# without importing SQLAlchemy or Alembic (a first `dms ingest` into a new home does not pay for them).
SQLITE_STEPS: dict[str, tuple[str, ...]] = {
    "0002": (
        "CREATE TABLE graph_links (\n\tid INTEGER NOT NULL, \n\tscope TEXT NOT NULL, \n\tsource TEXT NOT NULL, "
        "\n\ttarget TEXT NOT NULL, \n\ttype TEXT NOT NULL, \n\tevidence TEXT NOT NULL, \n\toutcome TEXT, "
        "\n\tpage INTEGER, \n\tposition INTEGER, \n\tcited TEXT, \n\tPRIMARY KEY (id)\n)",
        "CREATE INDEX graph_links_source ON graph_links (source, type)",
        "CREATE INDEX graph_links_target ON graph_links (target, type)",
        "CREATE INDEX graph_links_scope ON graph_links (scope)",
        "CREATE TABLE graph_messages (\n\tdoc_id INTEGER NOT NULL, \n\tmessage_id TEXT, \n\tin_reply_to TEXT, "
        "\n\tPRIMARY KEY (doc_id)\n)",
        "CREATE INDEX graph_messages_message ON graph_messages (message_id)",
        "CREATE INDEX graph_messages_reply ON graph_messages (in_reply_to)",
        "CREATE TABLE graph_dirty (\n\tdoc_id INTEGER NOT NULL, \n\tPRIMARY KEY (doc_id)\n)",
        'CREATE TABLE graph_sync (\n\t"key" TEXT NOT NULL, \n\tvalue TEXT NOT NULL, \n\tPRIMARY KEY ("key")\n)',
    ),
}


def _frozen_sqlite(conn, revision: str) -> bool:
    """Apply the frozen steps after `revision` up to HEAD under the write lock; False (nothing done) when a
    revision on the way has none (Alembic runs them all then)."""
    ahead = REVISIONS[REVISIONS.index(revision) + 1:]
    if not all(step in SQLITE_STEPS for step in ahead):
        return False
    conn.begin_write()
    try:
        found = _sqlite_revision(conn)  # another process may have upgraded it meanwhile
        if found in REVISIONS:
            for step in REVISIONS[REVISIONS.index(found) + 1:]:
                for statement in SQLITE_STEPS[step]:
                    conn.execute(statement)
            conn.execute("UPDATE alembic_version SET version_num = ?", (HEAD,))
        elif found is not None:
            raise newer(found)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return True


def _user_version(conn) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def _sqlite_revision(conn) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except CatalogError:
        if _has_version_table(conn):
            raise
        return None  # never stamped
    return row[0] if row else None


def _has_version_table(conn) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
                        ).fetchone() is not None


def _stamp(conn) -> str:
    """Under the write lock: a catalog the legacy steps brought to 21 is stamped BASELINE and marked LEGACY_DONE.
    Returns the catalog's revision (another process may have stamped or upgraded it meanwhile)."""
    from dms.catalog.migrations import SCHEMA_VERSION as LEGACY

    conn.begin_write()
    try:
        version = _user_version(conn)
        revision = _sqlite_revision(conn)
        if revision is None:
            if version not in (LEGACY, LEGACY_DONE):
                raise CatalogError(f"the catalog is at legacy schema version {version}, expected {LEGACY}")
            if not _has_version_table(conn):
                conn.execute(VERSION_TABLE)
            conn.execute("INSERT INTO alembic_version (version_num) VALUES (?)", (BASELINE,))
            revision = BASELINE
        elif revision not in REVISIONS:
            raise newer(revision)
        if version != LEGACY_DONE:
            conn.execute(f"PRAGMA user_version = {LEGACY_DONE}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return revision


def sqlite_engine(path: Path):
    """A SQLAlchemy engine on the catalog file whose transactions hold the write lock (BEGIN IMMEDIATE), as the
    catalog's own do (SQLAlchemy's documented pysqlite recipe). Foreign keys are not enforced on it: Alembic's
    batch mode rebuilds a table by copy, drop and rename, which enforcement would refuse."""
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    engine = sa.create_engine(f"sqlite:///{path}", poolclass=NullPool,
                              connect_args={"isolation_level": None, "timeout": 30, "check_same_thread": False})

    @sa.event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _alembic_sqlite(path: Path) -> None:
    engine = sqlite_engine(path)
    try:
        with engine.begin() as conn:
            run_alembic(conn)
    except (CatalogError, ConfigError):
        raise
    except Exception as exc:
        raise CatalogError(f"the catalog {path} could not be upgraded: {exc}") from exc
    finally:
        engine.dispose()


# -- PostgreSQL ----------------------------------------------------------------------------------------------------

def postgresql(conn) -> None:
    """Bring the PostgreSQL catalog open on `conn` (dms.catalog.pgdriver.Connection) to HEAD."""
    revision = _pg_revision(conn)
    if revision == HEAD:
        return  # the usual open: one plain query
    if revision is not None and revision not in REVISIONS:
        raise newer(revision)
    if revision is None:
        _check_database(conn)
    _alembic_postgresql(conn.url)


def _pg_revision(conn) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except CatalogError as exc:
        from psycopg import errors

        if isinstance(exc.__cause__, errors.UndefinedTable):
            return None  # a new database (autocommit: nothing to roll back)
        raise
    return row[0] if row else None


def postgresql_engine(url: str):
    """A SQLAlchemy engine on the catalog's database, connecting as the catalog does (the same libpq URL)."""
    import psycopg
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    from dms.catalog.pgdriver import libpq_url

    return sa.create_engine("postgresql+psycopg://", poolclass=NullPool,
                            creator=lambda: psycopg.connect(libpq_url(url), connect_timeout=30))


def _alembic_postgresql(url: str) -> None:
    from dms.catalog.pgdriver import WRITE_LOCK, redacted, translate

    engine = postgresql_engine(url)
    try:
        with engine.begin() as conn:
            # one migrator at a time, and no writer meanwhile: the catalog's write lock (dms.catalog.pgdriver)
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")
            if conn.exec_driver_sql("SELECT to_regclass('alembic_version')").scalar() is None:
                _check_no_stray_tables(conn)
            run_alembic(conn)
    except (CatalogError, ConfigError):
        raise
    except Exception as exc:
        cause = getattr(exc, "orig", None)
        import psycopg

        if isinstance(cause, psycopg.Error):
            raise translate(cause, url) from exc
        raise CatalogError(f"the PostgreSQL catalog {redacted(url)} could not be upgraded: {exc}") from exc
    finally:
        engine.dispose()


SORTS_LIKE_SQLITE = ("C", "POSIX", "C.UTF-8", "C.utf8")


def _check_database(conn) -> None:
    """Before building a catalog in a database: it sorts text as SQLite does (by code point: the C collation of
    libc or of PostgreSQL's builtin provider, not ICU) and holds UTF-8. Both are fixed when a database is created."""
    collate, encoding, provider, builtin = conn.execute(
        "SELECT datcollate, pg_encoding_to_char(encoding), to_jsonb(d) ->> 'datlocprovider', "
        "to_jsonb(d) ->> 'datlocale' FROM pg_database d WHERE datname = current_database()"
    ).fetchone()
    if provider == "b":  # PostgreSQL 17's builtin provider: its C and C.UTF-8 sort by code point
        sorts = builtin in SORTS_LIKE_SQLITE
    else:
        sorts = provider in (None, "c") and collate in SORTS_LIKE_SQLITE
    if not sorts or encoding != "UTF8":
        kind = {"i": "ICU ", "b": "builtin "}.get(provider or "", "")
        raise ConfigError(
            f"the PostgreSQL database sorts text by the {kind}collation {builtin if provider == 'b' else collate!r} "
            f"in {encoding}: dms needs the C collation and UTF-8 (it sorts as SQLite does): "
            "CREATE DATABASE … TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8'"
        )


def _check_no_stray_tables(conn) -> None:
    """Under the lock, in a database without a schema revision: no tables dms would mistake for (or mix with) a
    catalog's."""
    from dms.catalog.schema import metadata

    found = [name for (name,) in conn.exec_driver_sql(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")
        if name in metadata.tables]
    if found:
        raise ConfigError(f"the PostgreSQL database holds tables of a catalog ({', '.join(found[:5])}) but no "
                          "schema revision (alembic_version): not a dms catalog this dms can open")


# -- Alembic -------------------------------------------------------------------------------------------------------

def alembic_config(connection, scripts: Path | None = None):
    """Alembic's configuration for a live SQLAlchemy connection (no alembic.ini): env.py runs on `connection`,
    joining its transaction."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(scripts or SCRIPTS))
    config.attributes["connection"] = connection
    return config


def run_alembic(connection, target: str = "head", scripts: Path | None = None) -> None:
    """`alembic upgrade target` on a live connection inside its transaction (the caller holds the write lock)."""
    from alembic import command

    command.upgrade(alembic_config(connection, scripts), target)
