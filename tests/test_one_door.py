"""One door to the catalog: no module of dms outside dms/catalog/ touches the connection, runs a statement,
holds SQL text or imports the database driver.

The scan reads every dms/**/*.py outside dms/catalog/ as a syntax tree and lists each leak with its file and
line. It is tested on snippets that leak in each way (and on ones that do not), so it cannot pass by seeing
nothing. SQL is recognised by its shape, keywords in any case (`looks_like_sql`): SELECT ... FROM,
INSERT/REPLACE INTO, UPDATE ... SET, DELETE FROM, CREATE/DROP TABLE|INDEX|TRIGGER|VIEW, ALTER TABLE, BEGIN,
COMMIT, END, ROLLBACK, SAVEPOINT, RELEASE, VACUUM, ATTACH/DETACH, PRAGMA name, WITH name AS (, ON CONFLICT, and
bare WHERE/AND fragments (`WHERE x IS NULL AND id = ?`); text built by `+`, f-strings and bytes counts too.
A connection is any `.conn`/`._conn` attribute or getattr(x, "conn") (a worker's pipe in dms/ingest/pool.py
excepted, by file and name); a driver is sqlite3, sqlalchemy, psycopg, psycopg2 or apsw, imported or passed to
importlib.import_module; the catalog's own helpers (dms.catalog.rows, dms.catalog.driver, any `_name`) are not
imported from outside. Any `.execute(` counts as a statement run, whatever its object: a future non-SQL
`execute` method outside the catalog would need another name (accepted: review17 L6).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

DMS = Path(__file__).resolve().parent.parent / "dms"
INSIDE = DMS / "catalog"
RUNS = {"execute", "executemany", "executescript"}
DRIVERS = {"sqlite3", "sqlalchemy", "psycopg", "psycopg2", "apsw"}
IMPORTERS = {"import_module", "__import__"}  # importlib.import_module("sqlite3"), __import__("sqlite3")
INTERNAL = {"dms.catalog.rows", "dms.catalog.driver"}  # the catalog's own helpers: not for modules outside it
PIPES = {("dms/ingest/pool.py", "slot.conn"), ("dms/ingest/pool.py", "fresh.conn"),
         ("dms/ingest/pool.py", "s.conn")}  # a worker's pipe (multiprocessing), not the catalog's connection
_OP = r"(?:=|!=|<>|<=|>=|<|>|IS\s+(?:NOT\s+)?NULL\b|IN\s*\(|LIKE\s|GLOB\s|BETWEEN\s)"
SQL = re.compile(
    r"^\s*(?:"
    r"SELECT\s+(?:DISTINCT\s+)?\S.*?\bFROM\b"
    r"|SELECT\s+(?:\d+|\?|COUNT\(|MAX\(|MIN\(|\(SELECT\b)"
    r"|(?:INSERT\s+(?:OR\s+\w+\s+)?|REPLACE\s+)INTO\s"
    r"|UPDATE\s+(?:OR\s+\w+\s+)?\S+\s+SET\s"
    r"|DELETE\s+FROM\s"
    r"|(?:CREATE|DROP)\s+(?:UNIQUE\s+|TEMP\s+|TEMPORARY\s+|VIRTUAL\s+)?(?:TABLE|INDEX|TRIGGER|VIEW)\b"
    r"|ALTER\s+TABLE\s"
    r"|BEGIN\s+(?:IMMEDIATE|EXCLUSIVE|DEFERRED|TRANSACTION)\b"
    r"|(?:COMMIT|END)\s+TRANSACTION\b"
    r"|ROLLBACK\s+(?:TRANSACTION\b|TO\s)"
    r"|SAVEPOINT\s+\w+\s*;?\s*$"
    r"|RELEASE\s+SAVEPOINT\s+\w+\s*;?\s*$"
    r"|VACUUM\s+(?:\w+\s*;?\s*$|INTO\s)"
    r"|(?:ATTACH|DETACH)\s+(?:DATABASE\s+)?\S+"
    r"|PRAGMA\s+\w+"
    r"|WITH\s+(?:RECURSIVE\s+)?\w+(?:\s*\([^)]*\))?\s+AS\s*\("
    rf"|(?:WHERE|AND|OR)\s+(?:\w+\.)?\w+\s*{_OP}"
    r"|.*\bON\s+CONFLICT\s*(?:\(|DO\b)"
    r")",
    re.DOTALL | re.IGNORECASE,
)
# A statement that is a keyword alone: in capitals only ("end", "begin" or "commit" in lower case are words)
BARE = re.compile(r"^\s*(?:(?:BEGIN|COMMIT|END|ROLLBACK|VACUUM)|RELEASE\s+\w+)\s*;?\s*$")
MARKS = re.compile(r"[?=*<>]|\b(?:FROM|WHERE|JOIN|VALUES|SET|ORDER BY|GROUP BY|LIMIT)\b")


def looks_like_sql(text: str) -> bool:
    """SQL keywords in any case, by the statement's shape. A first word in capitals or lower case is enough
    ("select id from t"); a capitalised one ("Select the documents from the archive") is prose unless the text
    also holds an operator, a placeholder or a SQL keyword in capitals."""
    if BARE.match(text):
        return True
    if not SQL.match(text):
        return False
    first = re.match(r"\s*([A-Za-z]+)", text)
    word = first.group(1) if first else ""
    return word.isupper() or word.islower() or bool(MARKS.search(text))


def _names_catalog(node: ast.expr) -> bool:
    """`catalog`, `self.catalog`, `dms.catalog`, `archive.catalog`, `my_catalog`...: what a Catalog is called."""
    if isinstance(node, ast.Name):
        return "catalog" in node.id.lower()
    if isinstance(node, ast.Attribute):
        return "catalog" in node.attr.lower()
    return False


def _text(node: ast.expr) -> str | None:
    """The text a string expression builds: constants (str or bytes), f-strings with each {value} as `{}`, and
    `+` of those; None if it is not one."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            return node.value
        if isinstance(node.value, bytes):
            return node.value.decode("latin-1")
        return None
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text(node.left), _text(node.right)
        if left is None and right is None:
            return None
        return (left if left is not None else "{}") + (right if right is not None else "{}")
    return None


def _conn_attr(node: ast.AST) -> str | None:
    """`x.conn`, `x._conn`, getattr(x, "conn"): a connection reached for, as written."""
    if isinstance(node, ast.Attribute) and node.attr in ("conn", "_conn", "connection", "_connection"):
        return ast.unparse(node)
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
            and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in ("conn", "_conn", "connection", "_connection")):
        return ast.unparse(node)
    return None


def _driver(name: str) -> bool:
    return name.split(".")[0] in DRIVERS


def _internal(module: str, names: list[str]) -> list[str]:
    """What an import from the catalog takes that is the catalog's own: a private name or an internal module."""
    if module in INTERNAL or any(module.startswith(m + ".") for m in INTERNAL):
        return [module]
    if module == "dms.catalog" or module.startswith("dms.catalog."):
        return [f"{module}.{n}" for n in names if n.startswith("_") or f"{module}.{n}" in INTERNAL]
    return []


def leaks(source: str, name: str = "<snippet>") -> list[str]:
    """Every way this module's source goes past the door, as "name:line: what"."""
    tree = ast.parse(source, name)
    inner: set[int] = set()  # parts of a string expression seen whole
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            inner |= {id(v) for v in node.values}
        elif isinstance(node, ast.BinOp) and _text(node) is not None:
            inner |= {id(node.left), id(node.right)}
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        conn = _conn_attr(node)
        if conn is not None:
            if (name, conn) not in PIPES:
                found.append((line, f"a connection ({conn})"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in RUNS:
            found.append((line, f"a statement run ({ast.unparse(node.func)})"))
        elif (isinstance(node, ast.Call) and (getattr(node.func, "attr", None) in IMPORTERS
                                              or getattr(node.func, "id", None) in IMPORTERS)
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
              and _driver(node.args[0].value)):
            found.append((line, f"import {node.args[0].value} ({ast.unparse(node.func)})"))
        elif isinstance(node, ast.Import):
            found += [(line, f"import {a.name}") for a in node.names if _driver(a.name)]
            found += [(line, f"import {a.name} (the catalog's own)") for a in node.names
                      if _internal(a.name, [])]
        elif isinstance(node, ast.ImportFrom) and _driver(node.module or ""):
            found.append((line, f"from {node.module} import"))
        elif isinstance(node, ast.ImportFrom) and _internal(node.module or "", [a.name for a in node.names]):
            found.append((line, f"from {node.module} import (the catalog's own: "
                                f"{', '.join(_internal(node.module or '', [a.name for a in node.names]))})"))
        elif id(node) not in inner and (text := _text(node)) is not None and looks_like_sql(text):
            found.append((line, f"SQL text {text[:60]!r}"))
    return [f"{name}:{line}: {what}" for line, what in sorted(found)]


BENCH = DMS.parent / "bench"


def outside_modules() -> list[Path]:
    """Every module of dms outside dms/catalog/, and the benchmarks (bench/)."""
    return sorted([p for p in DMS.rglob("*.py") if INSIDE not in p.parents] + list(BENCH.rglob("*.py")))


def baseline_lines(source: str) -> set[int]:
    """The lines of a benchmark's `baseline` functions: what a minimal program does without dms (the catalog file
    read with the driver itself), for comparison. They are outside dms, so the door does not apply to them."""
    tree = ast.parse(source)
    return {n for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and f.name == "baseline"
            for n in range(f.lineno, (f.end_lineno or f.lineno) + 1)}


# -- the scanner itself --------------------------------------------------------------------------------------

BAD = {
    "connection": "def f(dms):\n    return dms.catalog.conn.in_transaction\n",
    "connection of a catalog argument": "def f(catalog):\n    c = catalog.conn\n",
    "connection of self.catalog": "class A:\n    def f(self):\n        return self.catalog.conn\n",
    "execute": "def f(cur):\n    cur.execute('x')\n",
    "executemany": "def f(c, rows):\n    c.executemany('x', rows)\n",
    "executescript": "def f(c):\n    c.executescript('x')\n",
    "select": "Q = 'SELECT id, path FROM documents WHERE id = ?'\n",
    "select one": "Q = 'SELECT 1'\n",
    "insert": "Q = \"INSERT INTO matters (name) VALUES (?)\"\n",
    "insert or replace": "Q = 'INSERT OR REPLACE INTO plan_cache (a) VALUES (?)'\n",
    "update": "Q = 'UPDATE documents SET retired_at = NULL WHERE id = ?'\n",
    "delete": "Q = 'DELETE FROM damaged_blobs'\n",
    "create": "Q = 'CREATE TABLE x (id INTEGER PRIMARY KEY)'\n",
    "create index": "Q = 'CREATE UNIQUE INDEX x_name ON x(name)'\n",
    "drop": "Q = 'DROP TABLE x'\n",
    "alter": "Q = 'ALTER TABLE x ADD COLUMN y TEXT'\n",
    "begin": "Q = 'BEGIN IMMEDIATE'\n",
    "commit": "Q = 'COMMIT'\n",
    "pragma": "Q = 'PRAGMA user_version'\n",
    "with": "Q = 'WITH recent AS (SELECT id FROM versions) SELECT * FROM recent'\n",
    "f-string": "def f(table):\n    return f'DELETE FROM {table} WHERE version_id = ?'\n",
    "f-string with the columns first": "def f(cols):\n    return f\"SELECT {cols} FROM matters ORDER BY name\"\n",
    "implicit concatenation": "Q = ('SELECT a, b '\n     'FROM t WHERE c = ?')\n",
    "import sqlite3": "import sqlite3\n",
    "import sqlite3 as": "import sqlite3 as db\n",
    "from sqlite3": "from sqlite3 import DatabaseError\n",
    # evasions the review of session 1 found (review17 H2)
    "lower-case SQL": "Q = 'select id from documents where id = ?'\n",
    "a WHERE fragment": "Q = 'WHERE retired_at IS NULL AND id = ?'\n",
    "a lower-case WHERE fragment": "Q = 'where d.number = ?'\n",
    "replace into": "Q = 'REPLACE INTO plan_cache (a) VALUES (?)'\n",
    "savepoint": "Q = 'SAVEPOINT before_purge'\n",
    "release": "Q = 'RELEASE before_purge'\n",
    "release savepoint": "Q = 'release savepoint before_purge'\n",
    "vacuum": "Q = 'VACUUM'\n",
    "attach": "Q = \"ATTACH DATABASE 'other.sqlite' AS other\"\n",
    "end": "Q = 'END'\n",
    "end transaction": "Q = 'end transaction'\n",
    "on conflict": "Q = 'INSERT INTO t (a) VALUES (?) ON CONFLICT (a) DO UPDATE SET a = excluded.a'\n",
    "on conflict alone": "Q = ' ON CONFLICT (one) DO NOTHING'\n",
    "SQL in bytes": "Q = b'SELECT id FROM documents'\n",
    "SQL by concatenation": "Q = 'SELECT id ' + 'FROM t'\n",
    "SQL by concatenation with a name": "def f(cols):\n    return 'SELECT ' + cols + ' FROM t'\n",
    "SQL by format": "Q = 'select {} from documents'.format('id')\n",
    "mixed case with a placeholder": "Q = 'Select id From documents Where id = ?'\n",
    "getattr conn": "import dms\ndef f():\n    return getattr(dms.catalog, 'conn')\n",
    "conn under another name": "def f(dms):\n    db = dms.catalog\n    db.conn.cursor()\n",
    "private conn": "def f(dms):\n    return dms.catalog._conn\n",
    "import_module sqlite3": "import importlib\ndb = importlib.import_module('sqlite3')\n",
    "__import__ sqlite3": "db = __import__('sqlite3')\n",
    "import sqlalchemy": "import sqlalchemy\n",
    "from sqlalchemy": "from sqlalchemy import text\n",
    "import psycopg": "import psycopg\n",
    "import psycopg2": "import psycopg2.extras\n",
    "import apsw": "import apsw\n",
    "the catalog's rows helper": "from dms.catalog.rows import documents\n",
    "the catalog's rows module": "from dms.catalog import rows\n",
    "import of the rows module": "import dms.catalog.rows\n",
    "a private catalog helper": "from dms.catalog.datesettle import _rows\n",
    "the catalog's driver": "from dms.catalog.driver import Connection\n",
}

CLEAN = """
from dms.catalog import records as sql
from dms.errors import CatalogError, DuplicateKey


def f(dms, ref, conn):
    '''Select the documents from the archive; update the index from the catalog; begin again.'''
    doc = dms.catalog.document_at_path(ref)
    note = "Delete from the list what is done"
    help_text = "WITH this option the search is strict"
    steps = ("begin", "end", "commit", "release button", "Where it is kept", "on conflict of interest")
    words = "Select " + ref + " from the list"
    with dms.catalog.transaction():
        sql.retire(dms.catalog, doc.id, "ada", "gone", "2026-01-01")
    return f"Selected {doc.id} from {ref}"
"""


@pytest.mark.parametrize("kind", sorted(BAD))
def test_the_scan_finds_each_way_past_the_door(kind):
    assert len(leaks(BAD[kind])) == 1, (kind, leaks(BAD[kind]))


def test_the_scan_leaves_prose_pipes_and_catalog_calls_alone():
    assert leaks(CLEAN) == []


def test_a_workers_pipe_is_a_connection_only_in_the_ingest_pool():
    pipe = "def f(slot):\n    slot.conn.send(None)\n"
    assert leaks(pipe, "dms/ingest/pool.py") == []
    assert leaks(pipe, "dms/ingest/pipeline.py") == ["dms/ingest/pipeline.py:2: a connection (slot.conn)"]


def test_the_scan_names_the_file_and_line():
    assert leaks("x = 1\nimport sqlite3\n", "dms/some.py") == ["dms/some.py:2: import sqlite3"]


def test_the_scan_reads_every_module_outside_the_catalog():
    modules = outside_modules()
    names = {p.relative_to(DMS).as_posix() for p in modules if DMS in p.parents}
    assert {"records.py", "holds.py", "watch.py", "web/api.py", "cli/__init__.py"} <= names
    assert not any(n.startswith("catalog/") for n in names)
    assert {"web.py", "graph_trace.py", "cli_startup.py"} <= {p.name for p in modules if BENCH in p.parents}
    assert len(modules) > 100
    inside = [p for p in INSIDE.rglob("*.py") if leaks(p.read_text(encoding="utf-8"))]
    assert len(inside) > 10  # the catalog's own modules do hold SQL: the scan would see it there


# -- the door ------------------------------------------------------------------------------------------------

def test_no_module_outside_the_catalog_goes_past_the_door():
    found = []
    for p in outside_modules():
        source = p.read_text(encoding="utf-8")
        skip = baseline_lines(source) if BENCH in p.parents else set()
        found += [leak for leak in leaks(source, p.relative_to(DMS.parent).as_posix())
                  if int(leak.split(":")[1]) not in skip]
    assert found == [], "SQL, the connection or the driver outside dms/catalog/ (or in bench/):\n" + "\n".join(found)


def test_catalog_functions_take_the_catalog_not_a_connection():
    """Functions under dms/catalog/ are called with a Catalog: no parameter is a connection (but the Catalog's
    own, which wraps one, the drivers that are the connections, and the schema's history (legacy steps, Alembic)
    which runs while the catalog is being opened)."""
    opening = {"migrations.py", "upgrade.py", "driver.py", "pgdriver.py"}
    found = []
    for p in sorted(INSIDE.rglob("*.py")):
        if p.name in opening or "alembic" in p.parts:
            continue
        tree = ast.parse(p.read_text(encoding="utf-8"))
        wraps = {id(f) for c in tree.body if isinstance(c, ast.ClassDef) and c.name == "Catalog"
                 for f in c.body if isinstance(f, ast.FunctionDef) and f.name == "__init__"}
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and id(node) not in wraps:
                found += [f"{p.name}:{node.lineno}: {node.name}({a.arg})" for a in node.args.args
                          if a.arg == "conn" or "Connection" in ast.unparse(a.annotation or ast.Constant(""))]
    assert found == []


# -- the typed finders that replaced documents_where(sql, params) ----------------------------------------------

def test_a_document_is_found_by_its_path_and_an_unknown_path_finds_none(dms, inbox):
    from dms.ingest.pipeline import ingest

    (inbox / "a.txt").write_text("Specification of the gasket")
    (inbox / "b.txt").write_text("Minutes of the review")
    ingest(dms, [inbox])
    doc = dms.catalog.document_at_path(str(inbox / "a.txt"))
    assert doc is not None and doc.name == "a.txt" and "gasket" in dms.catalog.pages(doc.version.id)[0]
    assert dms.catalog.document_at_path(str(inbox / "missing.txt")) is None
    assert dms.catalog.document_at_path(str(inbox / "%.txt")) is None  # a path, never a pattern
    assert [d.name for d in dms.catalog.all_documents()] == ["a.txt", "b.txt"]


def test_a_sha_prefix_finds_the_original_not_its_copies_and_is_never_a_pattern(dms, inbox):
    from dms.documents import resolve
    from dms.ingest.pipeline import ingest

    (inbox / "one.txt").write_text("the same words")
    (inbox / "copy.txt").write_text("the same words")
    ingest(dms, [inbox])
    canonical = min(dms.catalog.all_documents(), key=lambda d: d.id)
    sha = canonical.version.sha256
    assert [d.id for d in dms.catalog.documents_with_sha_prefix(sha[:10].upper())] == [canonical.id]
    assert len(dms.catalog.all_documents()) == 2  # the copy is catalogued, but not found by its bytes
    assert resolve(dms, sha[:12]).id == canonical.id  # `dms show <sha prefix>` goes through the finder
    assert dms.catalog.documents_with_sha_prefix("%") == []
    assert dms.catalog.documents_with_sha_prefix("_" * 10) == []


# -- driver errors do not pass the door (review17 H3, M3, M4, M5) --------------------------------------------

def test_a_name_taken_twice_is_a_duplicate_key_not_a_driver_error(dms):
    from dms.catalog import views as view_rows
    from dms.errors import CatalogError, DuplicateKey, exit_code, http_status

    with dms.catalog.transaction():
        view_rows.insert(dms.catalog, "ada", "Open gaskets", "q=gasket", False)
    with pytest.raises(DuplicateKey, match="UNIQUE") as caught, dms.catalog.transaction():
        view_rows.insert(dms.catalog, "ada", "Open gaskets", "q=gasket+open", False)
    assert isinstance(caught.value, CatalogError) and type(caught.value.__cause__).__module__ == "sqlite3"
    assert (exit_code(caught.value), http_status(caught.value)) == (2, 409)
    assert view_rows.count(dms.catalog, "ada") == 1  # the failed transaction was rolled back


def test_another_writer_holding_the_lock_is_catalog_busy_exit_7_and_503(dms, tmp_path):
    import sqlite3

    from dms.errors import CatalogBusy, exit_code, http_status

    other = sqlite3.connect(dms.settings.catalog_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    dms.catalog.conn.execute("PRAGMA busy_timeout = 50")  # not the 30 s the catalog waits
    try:
        with pytest.raises(CatalogBusy) as caught, dms.catalog.transaction():
            pass
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert (exit_code(caught.value), http_status(caught.value)) == (7, 503)
    assert not dms.catalog.conn.in_transaction


def test_a_transaction_sqlite_ended_already_keeps_the_real_error(dms):
    with pytest.raises(ZeroDivisionError), dms.catalog.transaction():
        dms.catalog.conn.execute("ROLLBACK")  # as SQLite does itself after SQLITE_FULL or IOERR
        1 / 0  # noqa: B018
    with dms.catalog.transaction():  # and the catalog goes on
        pass


@pytest.mark.parametrize("write", ["auditlog.insert", "auditlog.set_head", "metrics.store_figures",
                                   "ocrpages.set_ocr_text", "ocrpages.set_ocr_failed", "changes.insert_request",
                                   "views.insert", "parties.record_change"])
def test_writes_inside_the_callers_transaction_refuse_to_run_outside_one(dms, write):
    import importlib
    import inspect

    module, name = write.split(".")
    function = getattr(importlib.import_module(f"dms.catalog.{module}"), name)
    arguments = [None] * (len(inspect.signature(function).parameters) - 1)
    with pytest.raises(RuntimeError, match=f"{write} must run inside the caller's transaction"):
        function(dms.catalog, *arguments)


def test_learning_refuses_a_column_it_does_not_learn_even_without_asserts(dms):
    from dms.catalog import learning

    with pytest.raises(ValueError, match="not \\['title'\\]"):
        learning.write_learned(dms.catalog, 1, 1, {"title": "x"}, {})


def test_a_driver_error_is_a_catalog_error_with_the_driver_error_as_cause(dms):
    from dms.errors import CatalogError

    with pytest.raises(CatalogError, match="no such table") as caught:
        dms.catalog.conn.execute("SELECT x FROM no_such_table").fetchall()
    assert type(caught.value.__cause__).__name__ == "OperationalError"
