"""The suite's own bookkeeping: every test that tests/conftest.py marks by name exists (a renamed test would lose
its marker without a word), and every marker the suite uses is registered in pyproject.toml."""

from __future__ import annotations

import ast
import contextlib
import re
import tomllib

import pytest
from conftest import MARKED_MODULES, MARKED_TESTS, REPO

TESTS = REPO / "tests"


def _test_functions(module: str) -> set[str]:
    tree = ast.parse((TESTS / module).read_text())
    return {node.name for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_")}


def test_every_test_marked_by_name_in_conftest_exists():
    missing = []
    for marker, names in MARKED_TESTS.items():
        for name in names:
            module, function = name.split("::")
            if not (TESTS / module).exists() or function not in _test_functions(module):
                missing.append(f"{marker}: {name}")
    for marker, modules in MARKED_MODULES.items():
        missing += [f"{marker}: {m}" for m in modules if not (TESTS / m).exists()]
    assert not missing, missing


def test_every_marker_used_by_the_suite_is_registered():
    ini = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    registered = {line.split(":", 1)[0].strip() for line in ini["markers"]}
    assert {"browser", "ocr", "slow"} <= registered
    used = set(MARKED_TESTS) | set(MARKED_MODULES)
    for path in TESTS.glob("test_*.py"):
        used |= set(re.findall(r"pytest\.mark\.(\w+)", path.read_text()))
    builtin = {"parametrize", "skip", "skipif", "xfail", "usefixtures", "filterwarnings", "timeout"}
    assert used - builtin <= registered, used - builtin - registered


def test_the_browser_modules_are_all_marked_browser():
    for path in sorted(TESTS.glob("test_browser*.py")):
        assert re.search(r"^pytestmark = \[?pytest\.mark\.browser\b", path.read_text(), re.M), path.name


# -- the suite's speed: the order files are handed out, password hashing, PostgreSQL databases ------------------------

def test_every_file_given_a_time_for_the_order_exists():
    from conftest import FILE_SECONDS

    assert not [name for name in FILE_SECONDS if not (TESTS / name).exists()]


def test_files_are_handed_out_longest_first_each_whole_and_in_its_own_order():
    from types import SimpleNamespace

    from conftest import FILE_SECONDS, SECONDS_PER_TEST, _longest_files_first

    heavy = max(FILE_SECONDS, key=FILE_SECONDS.get)
    many = int(FILE_SECONDS[heavy] / SECONDS_PER_TEST) + 2  # a file of many quick tests outweighs it
    items = [SimpleNamespace(path=TESTS / name, n=n) for name, count in
             (("test_small.py", 2), (heavy, 3), ("test_many.py", many), ("test_one.py", 1)) for n in range(count)]
    _longest_files_first(items)
    assert [(i.path.name, i.n) for i in items] == (
        [("test_many.py", n) for n in range(many)] + [(heavy, n) for n in range(3)]
        + [("test_small.py", 0), ("test_small.py", 1), ("test_one.py", 0)])


def test_passwords_hashed_in_the_tests_are_argon2id_that_dms_checks_with_its_own_hasher():
    from argon2 import PasswordHasher

    from dms import users

    stored = users._hasher.hash("a password of the tests")
    assert stored.startswith("$argon2id$")
    assert PasswordHasher().verify(stored, "a password of the tests")  # dms's defaults read the cost from the hash


@pytest.mark.postgresql
def test_a_catalog_database_copied_from_the_template_is_current_and_its_own(pg_cluster):
    from dms.catalog import open_catalog
    from dms.catalog.upgrade import HEAD

    first, second = pg_cluster.new_catalog_database(), pg_cluster.new_catalog_database()
    assert first != second
    with contextlib.closing(open_catalog(first)) as catalog:
        assert catalog.conn.execute("SELECT version_num FROM alembic_version").fetchone() == (HEAD,)
        catalog.conn.execute("CREATE TABLE only_here (x integer)")
    with contextlib.closing(open_catalog(second)) as catalog:
        assert catalog.conn.execute("SELECT to_regclass('only_here')").fetchone() == (None,)
        assert catalog.conn.execute("SELECT count(*) FROM audit_log").fetchone() == (0,)
    empty = pg_cluster.new_database().split("/")[3].split("?")[0]  # stays empty, for the tests of the first open
    assert pg_cluster.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", database=empty) == "0"
