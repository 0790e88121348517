"""The search engines are one registry (dms.index.engines), read by the settings, the command line and
open_backend; no other list of their names."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest
from conftest import REPO, run_dms

from dms.config import Settings, load_settings
from dms.errors import ConfigError
from dms.index import engines, open_backend


@pytest.mark.parametrize("engine", engines.REGISTRY, ids=lambda e: e.name)
def test_each_registered_engine_opens_by_its_name(tmp_path, engine):
    settings = load_settings(environ={"DMS_SEARCH_ENGINE": f" {engine.name.upper()} "}, home=tmp_path / "home")
    assert settings.search_engine == engine.name
    backend = open_backend(settings)
    try:
        assert type(backend).__name__ == engine.cls and backend.name == engine.name
    finally:
        backend.close()


def test_an_unknown_engine_is_refused_with_the_registered_names(tmp_path):
    listed = ", ".join(engines.NAMES)
    with pytest.raises(ConfigError, match=f"DMS_SEARCH_ENGINE='lucene': the search engines are {listed}$"):
        load_settings(environ={"DMS_SEARCH_ENGINE": "lucene"}, home=tmp_path)
    proc = run_dms(tmp_path, "search", "x", "--engine", "lucene", check=False)
    assert proc.returncode == 2 and f"'lucene': the search engines are {listed}" in proc.stderr


def test_the_default_and_the_command_line_help_come_from_the_registry(tmp_path):
    assert Settings(home=tmp_path).search_engine == engines.DEFAULT == engines.NAMES[0]
    help_text = run_dms(tmp_path, "search", "--help").stdout
    assert f"--engine [{'|'.join(engines.NAMES)}]" in help_text


def test_opening_one_engine_imports_no_other():
    code = ("import sys\nfrom dms.config import load_settings\nfrom dms.index import open_backend\n"
            "open_backend(load_settings(environ={}, home=sys.argv[1]))\n"
            "print(sorted(m for m in sys.modules if m.startswith('dms.index.') and m.endswith('_backend')))")
    proc = subprocess.run([sys.executable, "-c", code, "/tmp/dms-engine-registry-unused"], capture_output=True,
                          text=True, check=True)
    assert proc.stdout.split() == ["['dms.index.whoosh_backend']"]


def _engine_names_in(source: str) -> list[int]:
    """Lines holding a list of two or more engine names, or a comparison with an engine name."""
    names = set(engines.NAMES)
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            values = {e.value for e in node.elts if isinstance(e, ast.Constant)}
            if len(values & names) >= 2:
                found.append(node.lineno)
        elif isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(isinstance(o, ast.Constant) and o.value in names for o in operands):
                found.append(node.lineno)
    return found


def test_no_list_of_engine_names_outside_the_registry():
    assert _engine_names_in('ENGINES = ["whoosh", "tantivy"]') == [1]
    assert _engine_names_in('if engine == "tantivy":\n    pass') == [1]
    assert _engine_names_in('name = "tantivy"') == []  # an engine naming itself
    copies = {str(p.relative_to(REPO)): lines for p in sorted((REPO / "dms").rglob("*.py"))
              if p.name != "engines.py" and (lines := _engine_names_in(p.read_text()))}
    assert copies == {}
