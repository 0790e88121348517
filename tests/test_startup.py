"""Commands that start fast: `dms --help`, `dms search` and `dms trace` import only what they use.

Each command runs as a real process, `python -m dms ...` as a user runs it, on a small real archive (three
text files ingested with `dms ingest`), and writes down the modules it holds when it exits (sys.modules: the
report of `python -X importtime` leaves out modules imported through importlib.import_module, which is how the
lazy registries of commands and engines load theirs). They are compared with what the command never needs,
listed once, in NEVER and EXTRA below. bench/cli_startup.py measures what the imports cost at 20k documents.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from dms.cli import cli, registry

# What none of these commands needs, whatever the archive: the web stack, OCR, the readers of PDFs, office
# files, images and e-mails, calendars, dates in free text, the learned classifier, signatures (the audit key),
# the search engine not in use (the tests run Whoosh), and the dms modules that drive those.
NEVER = (
    "fastapi", "fastapi_offline", "starlette", "uvicorn", "jinja2", "multipart", "python_multipart", "nh3",
    "cryptography",
    "pytesseract", "pypdf", "pypdfium2", "PIL", "fpdf", "docx", "openpyxl", "pptx", "mammoth", "extract_msg",
    "odf", "striprtf", "icalendar", "dateparser", "watchdog", "sklearn", "tantivy",
    "dms.web", "dms.ocr", "dms.ingest.extractors", "dms.ingest.pipeline", "dms.ingest.worker", "dms.learn",
    "dms.samplegen", "dms.bundles", "dms.plans", "dms.supply", "dms.followup", "dms.index.tantivy_backend",
)
# The commands of dms/cli modules other than the root are loaded when used (dms.cli.registry): none but the
# one a command lives in is imported.
OTHER_CLI = tuple(sorted({target.partition(":")[0] for target in registry.COMMANDS.values()}
                         | {"dms.cli.plans"}))
EXTRA = {
    "--help": ("networkx", "dms.graph.build", "dms.graph.cache"),
    "search": ("networkx", "argon2", "dms.graph.build", "dms.graph.cache", "dms.changes", "dms.users",
               *OTHER_CLI),
    "trace": (*(m for m in OTHER_CLI if m != "dms.cli.graph"),),
}

CR = "CR-2023-014"
FILES = {
    f"change-requests/{CR}.txt": f"Change Request {CR}\nProduct: KX200\nTitle: Kettle lid hinge cracks\n\n"
                                 "The kettle lid hinge cracks after 2000 openings. Proposed: a steel hinge pin.\n",
    "minutes/MTG-2023-05-02.txt": "Minutes of the change board, 2 May 2023\n\n"
                                  f"{CR} (kettle lid hinge) was presented. Decision: approved.\n",
    "specifications/SPEC-KX200-03 Rev B.txt": "Specification SPEC-KX200-03 Rev B\nProduct: KX200\n\n"
                                              f"Revision B implements {CR}: the lid hinge pin is steel.\n",
}


def _env(home: Path) -> dict:
    return {**os.environ, "DMS_HOME": str(home), "DMS_SEARCH_ENGINE": "whoosh"}


@pytest.fixture(scope="module")
def small_home(tmp_path_factory) -> Path:
    """A data directory holding three real text files, ingested by the real `dms ingest`."""
    root = tmp_path_factory.mktemp("startup")
    for name, text in FILES.items():
        (root / "archive" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "archive" / name).write_text(text)
    home = root / "home"
    subprocess.run([sys.executable, "-m", "dms", "ingest", str(root / "archive")], env=_env(home), check=True,
                   capture_output=True, timeout=300)
    return home


# `python -m dms ARGS` (runpy does what -m does), writing the names in sys.modules to a file when it exits
RUN_AND_LIST = """
import atexit, runpy, sys
listing, sys.argv = sys.argv[1], ["dms", *sys.argv[2:]]
atexit.register(lambda: open(listing, "w").write("\\n".join(sorted(sys.modules))))
runpy.run_module("dms", run_name="__main__", alter_sys=True)
"""


def loaded_modules(home: Path, *args: str) -> tuple[set[str], str]:
    """The modules the process `dms ARGS` held when it exited, and what it printed."""
    listing = home.parent / "modules.txt"
    proc = subprocess.run([sys.executable, "-c", RUN_AND_LIST, str(listing), *args], env=_env(home),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return set(listing.read_text().split()), proc.stdout


def forbidden_in(names: set[str], command: str) -> list[str]:
    """The loaded modules that are, or lie inside, a package this command must not import."""
    banned = (*NEVER, *EXTRA[command])
    return sorted(n for n in names if any(n == b or n.startswith(b + ".") for b in banned))


def test_forbidden_in_finds_a_package_and_its_modules_but_not_a_longer_name():
    names = {"fastapi", "fastapi.routing", "dms.web.app", "dms.webby", "whoosh.index", "dms.cli.graph"}
    assert forbidden_in(names, "--help") == ["dms.web.app", "fastapi", "fastapi.routing"]
    assert forbidden_in(names, "search") == ["dms.cli.graph", "dms.web.app", "fastapi", "fastapi.routing"]


def test_help_lists_every_command_without_loading_the_work_behind_them(small_home):
    names, out = loaded_modules(small_home, "--help")
    assert {"click", "dms.cli", "dms.cli.graph", "dms.cli.changes"} <= names  # the report was read
    for name in cli.list_commands(None):
        assert f"  {name} " in out, name
    assert forbidden_in(names, "--help") == []


def test_search_loads_the_index_and_nothing_of_the_other_commands(small_home):
    names, out = loaded_modules(small_home, "search", "kettle lid hinge")
    assert "3 document(s)" in out
    assert {"whoosh", "dms.index.whoosh_backend", "dms.cli"} <= names  # it really searched
    assert forbidden_in(names, "search") == []


def test_trace_loads_the_graph_and_nothing_of_the_other_commands(small_home):
    names, out = loaded_modules(small_home, "trace", CR)
    assert f"3 document(s) tied to change_request:{CR}" in out
    assert {"networkx", "dms.graph.cache", "dms.cli.graph"} <= names  # it really walked the cached graph
    assert forbidden_in(names, "trace") == []


def test_the_registry_names_every_command_of_the_cli_modules():
    """dms.cli.registry is where the root group finds commands: each entry is the command of its name, and
    every command a dms/cli module lists in COMMANDS has an entry (else `dms` would not offer it)."""
    import importlib
    import pkgutil

    import dms.cli

    for name, target in registry.COMMANDS.items():
        command = registry.load(name)
        assert isinstance(command, click.Command) and command.name == name, target
        assert cli.get_command(None, name) is command
    for info in pkgutil.iter_modules(dms.cli.__path__, "dms.cli."):
        module = importlib.import_module(info.name)
        if module is registry:
            continue
        for command in getattr(module, "COMMANDS", ()):
            assert command.name in registry.COMMANDS, (info.name, command.name)
            assert registry.load(command.name) is command, (info.name, command.name)
    assert registry.load("plan").get_command(None, "check") is not None  # plancheck's commands come with plan
