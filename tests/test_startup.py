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
# the search engine not in use (the tests run Whoosh), and the dms modules that drive those; on a SQLite catalog
# whose schema is current, nothing of PostgreSQL nor of the schema tooling (SQLAlchemy, Alembic: only an
# upgrade needs them).
NEVER = (
    "fastapi", "fastapi_offline", "starlette", "uvicorn", "jinja2", "multipart", "python_multipart", "nh3",
    "cryptography", "sqlalchemy", "alembic", "psycopg", "psycopg_pool", "dms.catalog.pgdriver",
    "pytesseract", "pypdf", "pypdfium2", "PIL", "fpdf", "docx", "openpyxl", "pptx", "mammoth", "extract_msg",
    "odf", "striprtf", "icalendar", "dateparser", "watchdog", "sklearn", "tantivy",
    "dms.web", "dms.ocr", "dms.ingest.extractors", "dms.ingest.pipeline", "dms.ingest.worker", "dms.ingest.dates",
    "dms.learn",
    "dms.samplegen", "dms.bundles", "dms.plans", "dms.supply", "dms.followup", "dms.index.tantivy_backend",
    # the standard library's: what reads package files (the built-in rules are read as a file) and what makes
    # temporary files (only a write to the store does)
    "importlib.resources", "zipfile", "tempfile",
)
# The commands of dms/cli modules other than the root are loaded when used (dms.cli.registry): none but the
# one a command lives in is imported.
OTHER_CLI = tuple(sorted({target.partition(":")[0] for target in registry.COMMANDS.values()}
                         | {"dms.cli.plans"}))
EXTRA = {
    "--help": ("networkx", "dms.graph.build", "dms.graph.rowgraph", "dms.graph.sync"),
    "search": ("networkx", "argon2", "dms.graph.build", "dms.graph.rowgraph", "dms.graph.sync", "dms.changes",
               "dms.users", *OTHER_CLI),
    "trace": ("networkx", *(m for m in OTHER_CLI if m != "dms.cli.graph")),  # rows, not a graph
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
    assert {"dms.graph.rowgraph", "dms.catalog.linkreads", "dms.cli.graph"} <= names  # it really walked the rows
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


def _reachable(group: click.Group) -> set[int]:
    """The ids of every command the group offers, through its subgroups too (each loaded as `dms` loads it)."""
    found: set[int] = set()
    for name in group.list_commands(None):
        command = group.get_command(None, name)
        found.add(id(command))
        if isinstance(command, click.Group):
            found |= _reachable(command)
    return found


def test_every_command_defined_in_a_cli_module_is_reachable_from_dms():
    """A module-level click command of any dms/cli module, whether or not the module lists COMMANDS, is offered
    by `dms` (at the top through the registry, or inside a group): a command added to a module but not to
    dms.cli.registry fails here."""
    import importlib
    import pkgutil

    import dms.cli

    reachable = _reachable(cli)
    missing = []
    for info in pkgutil.iter_modules(dms.cli.__path__, "dms.cli."):
        module = importlib.import_module(info.name)
        for attribute, value in vars(module).items():
            if isinstance(value, click.Command) and value is not cli and id(value) not in reachable:
                missing.append(f"{info.name}:{attribute}")
    assert missing == [], "add these to dms/cli/registry.py (or to the group they belong in)"
    assert len(reachable) > 100  # the walk went into the groups (change, link, audit, plan ...)


def test_the_reachability_walk_goes_into_subgroups_and_misses_a_command_left_out():
    leaf, left_out = click.Command("leaf"), click.Command("left-out")
    sub = click.Group("sub", commands={"leaf": leaf})
    assert _reachable(click.Group("root", commands={"sub": sub})) == {id(sub), id(leaf)}
    assert id(left_out) not in _reachable(click.Group("root", commands={"sub": sub}))


def test_a_command_whose_module_cannot_be_imported_is_listed_unavailable_and_the_rest_still_work(small_home):
    """`dms user` needs argon2 (dms.users imports it at its top). With a broken argon2 first on the path, as when
    an optional dependency is missing or fails to build, `dms --help` still lists every command, marks `user`
    unavailable with the reason, `dms user ...` fails with a clear error and the exit code of a ConfigError, and
    the other commands run."""
    from dms import errors

    shadow = small_home.parent / "broken-deps" / "argon2"
    shadow.mkdir(parents=True, exist_ok=True)
    (shadow / "__init__.py").write_text('raise ImportError("argon2 stand-in: the library failed to load")\n')
    env = {**_env(small_home), "PYTHONPATH": str(shadow.parent)}

    def dms(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "dms", *args], env=env, capture_output=True, text=True,
                              timeout=300)

    listing = dms("--help")
    assert listing.returncode == 0, listing.stderr[-3000:]
    text = " ".join(listing.stdout.split())
    assert "user (unavailable: dms.cli.users cannot be imported (argon2 stand-in: the library failed to load))" in text
    for name in cli.list_commands(None):
        assert f" {name} " in text, name
    refused = dms("user", "list", "--json")
    assert refused.returncode == errors.exit_code(errors.ConfigError("")) == 2
    assert refused.stderr.strip() == ("Error: dms user is unavailable: dms.cli.users cannot be imported "
                                      "(argon2 stand-in: the library failed to load)")
    found = dms("search", "kettle lid hinge")
    assert found.returncode == 0 and "3 document(s)" in found.stdout, found.stderr[-3000:]
    assert dms("trace", CR).returncode == 0


# -- facets: a search run once reads each hit's values, a searcher that counts again intersects sets ------------


def _record(doc_id: int, doc_type: str, date: str | None, products: tuple[str, ...], parties: tuple[str, ...],
            text: str):
    from dms.model import IndexRecord

    return IndexRecord(doc_id=doc_id, version_id=doc_id * 10, title=f"document {doc_id}", path=f"/a/{doc_id}.txt",
                       name=f"{doc_id}.txt", doc_type=doc_type, date=date, products=products, parties=parties,
                       number=None, revision=None, refs=(), pages=(text,))


def test_whoosh_counts_the_same_facets_from_the_column_as_from_the_postings(tmp_path):
    """A searcher's first count of facets reads each hit's values from the facets column (cheap for the one
    search of a `dms search` process) unless most of the index matches; then, and for every later count of the
    same searcher (`dms serve`), it intersects each value's documents, read once from the postings. Both ways
    give the same counts for product names in any case, repeated products, party names holding commas and
    spaces, undated documents, several segments, a replaced and a deleted document."""
    from dms.index import query as q
    from dms.index import whoosh_backend as wb
    from dms.index.limits import Limits

    backend = wb.WhooshBackend(tmp_path / "index", limits=Limits())
    backend.rebuild([
        _record(1, "minutes", "2023-05-02", ("KX200", "kx200", "AQ150"), ("Helix Components", "Zoë Ltd"), "lid"),
        _record(2, "specification", None, (), (), "lid hinge"),
        _record(3, "change request", "2022-01-31", ("AQ150",), ("Smith, Jones and Partners",), "hinge"),
        _record(4, "minutes", "2023-11-30", ("KX200",), ("Helix Components",), "lid hinge"),
    ])
    with backend.writer() as w:  # a second segment, a replaced document and a deleted one
        w.add(_record(5, "report", "2021-07-01", ("BW101",), ("Brightwater Retail",), "lid"))
        w.add(_record(3, "change request", "2022-02-01", ("AQ150", "KX200"), ("Smith, Jones and Partners",),
                      "hinge lid"))
        w.delete(4)
    searcher = backend._searcher()
    reader = searcher.reader()
    assert len(getattr(reader, "readers", [reader])) == 2  # two segments really
    sets = wb._facet_sets(reader)
    everything = backend.search(q.MatchAll(), limit=10, offset=0, sort="relevance", facets=False)
    assert everything.total == 4
    all_docs = [docnum for docnum in range(reader.doc_count_all()) if not reader.is_deleted(docnum)]
    for docs in (all_docs, all_docs[:1], all_docs[1:3], []):
        assert wb._count_in_column(reader, docs) == wb._count_in_sets(sets, docs), docs
    assert wb._count_in_column(reader, all_docs) == {
        "type": {"change request": 1, "minutes": 1, "report": 1, "specification": 1},
        "year": {"2021": 1, "2022": 1, "2023": 1},
        "product": {"aq150": 2, "kx200": 2, "bw101": 1},
        "party": {"Brightwater Retail": 1, "Helix Components": 1, "Smith  Jones and Partners": 1, "Zoë Ltd": 1},
    }
    one = backend.search(q.Word("hinge", None), limit=10, offset=0, sort="relevance")  # 2 of 4: the column
    assert one.total == 2 and backend._local.facet_sets == (searcher, None)
    assert one.facets["product"] == {"aq150": 1, "kx200": 1}
    again = backend.search(q.Word("hinge", None), limit=10, offset=0, sort="relevance")  # counts again: the sets
    assert again.facets == one.facets and backend._local.facet_sets[1] is not None
    kept = backend._local.facet_sets
    most = backend.search(q.Word("lid", None), limit=10, offset=0, sort="relevance")  # the same sets
    assert most.total == 4 and backend._local.facet_sets is kept
    assert most.facets == wb._count_in_column(reader, all_docs)
    backend.close()
    fresh = wb.WhooshBackend(tmp_path / "index", limits=Limits())  # a new process: 4 of 4 reads the postings
    assert fresh.search(q.Word("lid", None), limit=10, offset=0, sort="relevance").facets == most.facets
    assert fresh._local.facet_sets[1] is not None
    fresh.close()


def test_a_search_of_an_archive_with_nothing_indexed_yet_finds_nothing_and_says_so(tmp_path):
    """An index without segments has no facets column: the count falls back to the postings, not an error."""
    home = tmp_path / "empty-home"
    proc = subprocess.run([sys.executable, "-m", "dms", "search", "lid hinge", "--json"], capture_output=True,
                          text=True, env={**os.environ, "DMS_HOME": str(home)}, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert '"total": 0' in proc.stdout
