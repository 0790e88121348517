"""The suite's own bookkeeping: every test that tests/conftest.py marks by name exists (a renamed test would lose
its marker without a word), and every marker the suite uses is registered in pyproject.toml."""

from __future__ import annotations

import ast
import re
import tomllib

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
