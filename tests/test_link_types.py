"""The link types are one table (dms.graph.linktypes), and build, trace, orphans, manual links, the command
line and the link rows' stamp all read it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import networkx as nx
import pytest
from conftest import REPO, run_dms, run_json

from dms.app import Dms
from dms.config import load_settings
from dms.errors import UsageError
from dms.graph import graph_for, linktypes, trace
from dms.graph.explore import orphans
from dms.graph.manual import add_link
from dms.ingest.pipeline import ingest

LETTERS = {  # plain letters that cite nothing: each is an orphan until someone ties it to another
    "visit.txt": "Notes from the supplier visit: the hinge bushings wear early.\n",
    "memo.txt": "Memo: we should look again at how the hinge bushings are greased.\n",
    "photo-log.txt": "Photo log of the workshop floor, taken on a Tuesday.\n",
}


def _letters(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in LETTERS.items():
        (folder / name).write_text(text)
    return folder


def _orphan_paths(home: Path) -> set[str]:
    return {Path(d["path"]).name for d in run_json(home, "orphans")["documents"]}


def test_a_link_made_by_hand_saves_both_documents_from_orphans_until_it_is_removed(tmp_path):
    home = tmp_path / "home"
    inbox = _letters(tmp_path / "in")
    run_json(home, "ingest", str(inbox))
    assert _orphan_paths(home) == set(LETTERS)
    made = run_json(home, "link", "add", str(inbox / "visit.txt"), str(inbox / "memo.txt"),
                    "--type", "relates_to", "--reason", "the same worn bushings", "--as", "anna")
    assert _orphan_paths(home) == {"photo-log.txt"}  # the bug: both stayed orphans
    run_json(home, "link", "remove", str(made["id"]), "--reason", "different bushings", "--as", "marco")
    assert _orphan_paths(home) == set(LETTERS)


@pytest.fixture(scope="module")
def letters_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("letters") / "home"
    inbox = _letters(home.parent / "in")
    with Dms(load_settings(environ={}, home=home)) as app:
        ingest(app, [inbox], inline=True)
    return home


@pytest.mark.parametrize("kind", linktypes.HAND_ADDABLE)
def test_every_type_people_may_add_ties_the_two_documents_for_orphans_and_trace(letters_home, kind):
    with Dms(load_settings(environ={}, home=letters_home)) as app:
        g = graph_for(app)
        by_name = {Path(a["path"]).name: n for n, a in g.nodes(data=True) if a["kind"] == "document"}
        link = add_link(app, by_name["visit.txt"], by_name["memo.txt"], kind, f"test of {kind}", by="anna")
        try:
            g = graph_for(app)
            assert {Path(d["path"]).name for d in orphans(g)} == {"photo-log.txt"}
            assert [Path(d["path"]).name for d in trace(g, by_name["visit.txt"]).documents] == ["memo.txt"]
        finally:
            from dms.graph.manual import remove_link

            remove_link(app, link, "undo the test link", by="anna")
        assert len(orphans(graph_for(app))) == len(LETTERS)


def test_a_type_outside_the_table_cannot_be_added(letters_home):
    with Dms(load_settings(environ={}, home=letters_home)) as app:
        g = graph_for(app)
        a, b = sorted(n for n, attrs in g.nodes(data=True) if attrs["kind"] == "document")[:2]
        for kind in ("friends_with", *(t for t in linktypes.NAMES if t not in linktypes.HAND_ADDABLE)):
            with pytest.raises(UsageError, match=f"unknown link type '{kind}'"):
                add_link(app, a, b, kind, "no such type may be added", by="anna")


def test_the_table_is_consistent():
    assert len(linktypes.NAMES) == len(linktypes.TABLE)  # no name twice
    for row in linktypes.TABLE:
        assert row.derived or row.hand_addable, f"{row.name} is neither derived nor added by hand"
        assert row.meaning.strip(), row.name
    # a link made by hand ties two pieces of paperwork: it must count for orphans
    assert set(linktypes.HAND_ADDABLE) <= linktypes.CROSS_LINKS
    assert [linktypes.rank(n) for n in linktypes.NAMES] == list(range(len(linktypes.NAMES)))
    assert linktypes.rank("no_such_type") == len(linktypes.NAMES)


def _types_made(g: nx.MultiDiGraph) -> set[str]:
    return {d["type"] for _, _, d in g.edges(data=True) if not d.get("manual")}


def test_build_makes_exactly_the_derived_types(sample_world, tmp_path):
    _, g = sample_world
    copies = _letters(tmp_path / "copies")
    (copies / "visit-copy.txt").write_bytes((copies / "visit.txt").read_bytes())  # the sample holds no copy
    with Dms(load_settings(environ={}, home=tmp_path / "home")) as app:
        ingest(app, [copies], inline=True)
        with_copy = _types_made(graph_for(app))
    assert linktypes.DUPLICATE_OF in with_copy
    assert _types_made(g) | with_copy == linktypes.DERIVED


def _chain(kind: str) -> nx.MultiDiGraph:
    """root -mentions-> doc:2 -kind-> doc:3, three documents."""
    g = nx.MultiDiGraph()
    for i in (1, 2, 3):
        g.add_node(f"doc:{i}", kind="document", id=i, title=f"d{i}", path=f"/d{i}", type="letter", date=None)
    g.add_edge("doc:1", "doc:2", type=linktypes.SUPERSEDES, evidence="first hop")
    g.add_edge("doc:2", "doc:3", type=kind, evidence="second hop")
    return g


@pytest.mark.parametrize("row", linktypes.TABLE, ids=lambda r: r.name)
def test_trace_walks_on_through_exactly_the_walked_types(row):
    reached = {d["id"] for d in trace(_chain(row.name), "doc:1", depth=3).documents}
    assert reached == ({2, 3} if row.walked else {2})


@pytest.mark.parametrize("row", linktypes.TABLE, ids=lambda r: r.name)
def test_orphans_are_the_documents_without_a_cross_link(row):
    g = _chain(row.name)
    g.remove_edge("doc:1", "doc:2")
    assert {d["id"] for d in orphans(g)} == ({1} if row.cross_link else {1, 2, 3})


def test_a_chain_shows_the_most_specific_of_two_links_in_table_order():
    first, later = linktypes.NAMES[0], linktypes.NAMES[-1]
    g = _chain(later)
    g.add_edge("doc:1", "doc:2", type=first, evidence="the more specific")
    [hop] = next(d for d in trace(g, "doc:1").documents if d["id"] == 2)["via"]
    assert hop["type"] == first


def test_the_command_line_lists_the_table(tmp_path):
    shown = run_json(tmp_path, "link", "types")["types"]
    assert [r["name"] for r in shown] == list(linktypes.NAMES)
    assert [r["name"] for r in shown if r["hand_addable"]] == list(linktypes.HAND_ADDABLE)
    help_text = " ".join(run_dms(tmp_path, "link", "add", "--help").stdout.split())
    assert f"One of {', '.join(linktypes.HAND_ADDABLE)} " in help_text
    trace_help = " ".join(run_dms(tmp_path, "trace", "--help").stdout.split())
    walked = [n for n in linktypes.NAMES if n in linktypes.WALKED]
    assert ", ".join(walked) in trace_help
    assert not any(n in trace_help for n in linktypes.NAMES if n not in linktypes.WALKED)


def test_link_rows_derived_with_another_link_table_are_derived_again(letters_home, monkeypatch):
    from dms.graph import derive, sync

    changed = tuple(r if r.name != linktypes.ABOUT else linktypes.LinkType(
        r.name, r.meaning, r.derived, r.hand_addable, r.walked, True) for r in linktypes.TABLE)
    assert linktypes.digest(changed) != linktypes.DIGEST
    with Dms(load_settings(environ={}, home=letters_home)) as app:
        sync.sync(app)
        assert sync.current(app) and linktypes.DIGEST in sync.FORMAT_STAMP
        monkeypatch.setattr(sync, "FORMAT_STAMP", f"{derive.FORMAT}:{linktypes.digest(changed)}")
        assert not sync.current(app)  # rows derived with the old table
        done = sync.sync(app)
        assert done is not None and done.full and sync.current(app)


def _link_name_collections(source: str) -> list[tuple[int, list[str]]]:
    """Tuples, lists and sets of two or more string constants that are all link type names."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and len(node.elts) >= 2:
            values = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            if len(values) == len(node.elts) and set(values) <= set(linktypes.NAMES):
                found.append((node.lineno, values))
    return found


def _names_in(expr: ast.expr) -> list[str]:
    """The link type names `expr` spells as string constants: itself, or the items of a tuple, list or set."""
    items = expr.elts if isinstance(expr, (ast.Tuple, ast.List, ast.Set)) else [expr]
    return [e.value for e in items if isinstance(e, ast.Constant) and e.value in linktypes.NAMES]


def _typed(name: str | None) -> bool:
    return name is not None and ("type" in name or "kind" in name)


def _single_link_names(source: str) -> list[tuple[int, str]]:
    """One link type name spelled out where the code decides by link type: compared (`t == "amends"`,
    `t in ("mentions", x)`), a default or keyword argument named *type*/*kind* (`Form("relates_to")` too), or
    the value of a "type" key."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            for operand in (node.left, *node.comparators):
                found += [(node.lineno, n) for n in _names_in(operand)]
        elif isinstance(node, ast.keyword) and _typed(node.arg):
            found += [(node.value.lineno, n) for n in _names_in(node.value)]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = node.args
            positional = a.posonlyargs + a.args
            pairs = list(zip(positional[len(positional) - len(a.defaults):], a.defaults))
            pairs += [(p, d) for p, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None]
            for param, default in pairs:
                if _typed(param.arg):
                    values = [default, *(default.args if isinstance(default, ast.Call) else ())]
                    found += [(default.lineno, n) for v in values for n in _names_in(v)]
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                if isinstance(key, ast.Constant) and key.value == "type":
                    found += [(value.lineno, n) for n in _names_in(value)]
    return found


TEMPLATE_COMPARISON = re.compile(r"""(?:==|!=|\bin)\s*["'](\w+)["']|["'](\w+)["']\s*(?:==|!=|\bin\b)""")


def _template_link_names(text: str) -> list[tuple[int, str]]:
    """Link type names compared in a Jinja template (`t == "relates_to"`)."""
    return [(text.count("\n", 0, m.start()) + 1, name) for m in TEMPLATE_COMPARISON.finditer(text)
            for name in m.groups() if name in linktypes.NAMES]


def _dms_sources() -> list[Path]:
    return [p for p in sorted((REPO / "dms").rglob("*.py")) if p.name != "linktypes.py"]


def test_no_list_of_link_types_outside_the_table():
    assert _link_name_collections('KINDS = ("supersedes", "reply_to")') == [(1, ["supersedes", "reply_to"])]
    assert _link_name_collections('x = ("supersedes", "something else")') == []
    copies = {str(p.relative_to(REPO)): hits for p in _dms_sources()
              if (hits := _link_name_collections(p.read_text()))}
    assert copies == {}, f"lists of link types outside dms/graph/linktypes.py: {copies}"


@pytest.mark.parametrize("snippet", [
    'if data["type"] == "amends":\n    pass',
    'if "decided_in" != kind:\n    pass',
    'ok = t in ("mentions", other)',
    'ok = t not in {"identifies"}',
    'def f(link_type: str = "relates_to"):\n    pass',
    'def f(*, kind="part_of"):\n    pass',
    'def page(link_type: str = Form("relates_to")):\n    pass',
    'add_link(app, a, b, kind="cancels")',
    'edge = {"type": "supersedes", "evidence": "x"}',
])
def test_the_scan_flags_one_link_type_name_where_code_decides_by_it(snippet):
    assert len(_single_link_names(snippet)) == 1, snippet


@pytest.mark.parametrize("snippet", [
    'if data["type"] == linktypes.AMENDS:\n    pass',
    'record = {"decided_in": [], "amended_by": []}',  # a field named like a link type, not a link type
    'x = d["duplicate_of"]',
    'if status == "amended":\n    pass',
    'def f(link_type: str = Form(linktypes.RELATES_TO)):\n    pass',
])
def test_the_scan_leaves_constants_and_field_names_alone(snippet):
    assert _single_link_names(snippet) == []


def test_no_single_link_type_name_outside_the_table():
    copies = {str(p.relative_to(REPO)): hits for p in _dms_sources() if (hits := _single_link_names(p.read_text()))}
    assert copies == {}, f"link types spelled out instead of taken from dms.graph.linktypes: {copies}"


def test_no_template_compares_with_a_link_type_name():
    assert _template_link_names('{% if t == "relates_to" %}') == [(1, "relates_to")]
    assert _template_link_names("x\n{% if 'cancels' == t %}") == [(2, "cancels")]
    assert _template_link_names("{% if t == default_link_type %}{% if s == 'assessed' %}") == []
    copies = {p.name: hits for p in sorted((REPO / "dms" / "web" / "templates").rglob("*.html"))
              if (hits := _template_link_names(p.read_text()))}
    assert copies == {}, f"templates comparing with a link type name (pass it in from dms.graph.linktypes): {copies}"


def test_the_web_link_forms_preselect_the_default_link_type(client_for):
    cora = client_for("cora")  # a coordinator: she sees the bulk link form and the document's link form
    selected = f"<option selected>{linktypes.RELATES_TO}</option>"
    search = cora.get("/search", params={"q": "lid"}).text
    assert 'name="link_type"' in search and search.count(selected) == 1
    document = cora.get("/documents/1").text
    assert 'name="type"' in document and document.count(selected) == 1
