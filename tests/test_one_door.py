"""One door to the catalog: no module of dms outside dms/catalog/ touches the connection, runs a statement,
holds SQL text or imports the database driver.

The scan reads every dms/**/*.py outside dms/catalog/ as a syntax tree and lists each leak with its file and
line. It is tested on snippets that leak in each way (and on ones that do not), so it cannot pass by seeing
nothing. SQL is recognised by its shape, keywords in capitals as dms writes them: SELECT ... FROM,
INSERT INTO, UPDATE ... SET, DELETE FROM, CREATE/DROP TABLE|INDEX|TRIGGER|VIEW, ALTER TABLE, BEGIN, COMMIT,
PRAGMA name, WITH name AS (.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

DMS = Path(__file__).resolve().parent.parent / "dms"
INSIDE = DMS / "catalog"
RUNS = {"execute", "executemany", "executescript"}
DRIVERS = {"sqlite3"}
SQL = re.compile(
    r"^\s*(?:"
    r"SELECT\s+(?:DISTINCT\s+)?\S.*?\bFROM\b"
    r"|SELECT\s+(?:\d+|\?|COUNT\(|MAX\(|MIN\(|\(SELECT\b)"
    r"|INSERT\s+(?:OR\s+\w+\s+)?INTO\s"
    r"|UPDATE\s+\S+\s+SET\s"
    r"|DELETE\s+FROM\s"
    r"|(?:CREATE|DROP)\s+(?:UNIQUE\s+|TEMP\s+|TEMPORARY\s+)?(?:TABLE|INDEX|TRIGGER|VIEW)\b"
    r"|ALTER\s+TABLE\s"
    r"|BEGIN(?:\s+(?:IMMEDIATE|EXCLUSIVE|DEFERRED|TRANSACTION))?\s*;?\s*$"
    r"|COMMIT\s*;?\s*$"
    r"|ROLLBACK\b"
    r"|PRAGMA\s+\w+"
    r"|WITH\s+(?:RECURSIVE\s+)?\w+(?:\s*\([^)]*\))?\s+AS\s*\("
    r")",
    re.DOTALL,
)


def _names_catalog(node: ast.expr) -> bool:
    """`catalog`, `self.catalog`, `dms.catalog`, `archive.catalog`, `my_catalog`...: what a Catalog is called."""
    if isinstance(node, ast.Name):
        return "catalog" in node.id.lower()
    if isinstance(node, ast.Attribute):
        return "catalog" in node.attr.lower()
    return False


def _text(node: ast.Constant | ast.JoinedStr) -> str:
    """A string constant's text; an f-string's with each {value} as `{}`."""
    if isinstance(node, ast.Constant):
        return node.value
    return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)


def leaks(source: str, name: str = "<snippet>") -> list[str]:
    """Every way this module's source goes past the door, as "name:line: what"."""
    tree = ast.parse(source, name)
    inner = {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Attribute) and node.attr == "conn" and _names_catalog(node.value):
            found.append((line, f"the catalog's connection ({ast.unparse(node)})"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in RUNS:
            found.append((line, f"a statement run ({ast.unparse(node.func)})"))
        elif isinstance(node, ast.Import):
            found += [(line, f"import {a.name}") for a in node.names if a.name.split(".")[0] in DRIVERS]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in DRIVERS:
            found.append((line, f"from {node.module} import"))
        elif (isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))) \
                and id(node) not in inner and SQL.match(_text(node)):
            found.append((line, f"SQL text {_text(node)[:60]!r}"))
    return [f"{name}:{line}: {what}" for line, what in sorted(found)]


def outside_modules() -> list[Path]:
    return sorted(p for p in DMS.rglob("*.py") if INSIDE not in p.parents)


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
}

CLEAN = """
from dms.catalog import DatabaseError, records as sql


def f(dms, ref, conn):
    '''Select the documents from the archive; update the index from the catalog; begin again.'''
    doc = dms.catalog.document_at_path(ref)
    slot.conn.send(None)  # a pipe's connection, not the catalog's
    note = "Delete from the list what is done"
    help_text = "WITH this option the search is strict"
    with dms.catalog.transaction():
        sql.retire(dms.catalog, doc.id, "ada", "gone", "2026-01-01")
    return f"Selected {doc.id} from {ref}"
"""


@pytest.mark.parametrize("kind", sorted(BAD))
def test_the_scan_finds_each_way_past_the_door(kind):
    assert len(leaks(BAD[kind])) == 1, (kind, leaks(BAD[kind]))


def test_the_scan_leaves_prose_pipes_and_catalog_calls_alone():
    assert leaks(CLEAN) == []


def test_the_scan_names_the_file_and_line():
    assert leaks("x = 1\nimport sqlite3\n", "dms/some.py") == ["dms/some.py:2: import sqlite3"]


def test_the_scan_reads_every_module_outside_the_catalog():
    modules = outside_modules()
    names = {p.relative_to(DMS).as_posix() for p in modules}
    assert {"records.py", "holds.py", "watch.py", "web/api.py", "cli/__init__.py"} <= names
    assert not any(n.startswith("catalog/") for n in names)
    assert len(modules) > 100
    inside = [p for p in INSIDE.rglob("*.py") if leaks(p.read_text(encoding="utf-8"))]
    assert len(inside) > 10  # the catalog's own modules do hold SQL: the scan would see it there


# -- the door ------------------------------------------------------------------------------------------------

def test_no_module_outside_the_catalog_goes_past_the_door():
    found = [leak for p in outside_modules()
             for leak in leaks(p.read_text(encoding="utf-8"), p.relative_to(DMS.parent).as_posix())]
    assert found == [], "SQL, the connection or the driver outside dms/catalog/:\n" + "\n".join(found)


def test_catalog_functions_take_the_catalog_not_a_connection():
    """Functions under dms/catalog/ are called with a Catalog: no parameter is a connection (but the Catalog's
    own, which wraps one, and the migrations, which run while the catalog is being opened)."""
    found = []
    for p in sorted(INSIDE.rglob("*.py")):
        if p.name == "migrations.py":
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
