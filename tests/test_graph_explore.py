"""Paths, timelines, loose ends and exports of the graph, on the sample archive."""

import json

import networkx as nx
import pytest
from conftest import REPO, copy_sample_home, run_dms, run_json

from dms.graph import node_for
from dms.graph.explore import dangling, orphans, paths, stale, timeline
from dms.samplegen import TRUTH_FILE

ARCHIVE = REPO / "archive"
TRUTH = json.loads((ARCHIVE / TRUTH_FILE).read_text())
FILES = TRUTH["files"]


@pytest.fixture
def world(sample_world):
    return sample_world


def rel(path):
    return path.split(str(ARCHIVE) + "/", 1)[1]


def test_path_explains_each_hop_between_a_change_and_the_spec_it_amends(world):
    app, g = world
    spec = next(f for f in FILES if f.get("amends"))
    found = paths(g, node_for(app, g, spec["amends"]), node_for(app, g, str(ARCHIVE / spec["path"])))
    assert found["length"] == 1
    [[hop]] = found["paths"]
    assert hop["type"] == "amends" and spec["amends"] in hop["evidence"]


def test_path_between_unconnected_documents_is_empty(world):
    app, g = world
    a, b = (node_for(app, g, str(ARCHIVE / p["path"])) for p in TRUTH["problems"])
    assert paths(g, a, b) == {"from": a, "to": b, "length": None, "paths": []}


def test_timeline_is_in_date_order_and_names_each_relation(world):
    app, g = world
    cr = next(f for f in FILES if f.get("decided_in"))
    events = timeline(g, node_for(app, g, cr["number"]))["events"]
    assert [e["date"] for e in events] == sorted(e["date"] for e in events)
    assert {"identifies", "decided_in"} <= {e["relation"] for e in events}


def test_orphans_are_documents_nothing_cites(world):
    app, g = world
    loose = {rel(d["path"]) for d in orphans(g)}
    assert {p["path"] for p in TRUTH["problems"]} <= loose
    assert not any(f["number"] and f["number"].startswith("CR-") for f in FILES if f["path"] in loose)


def test_dangling_identifiers_are_those_no_document_defines(world):
    app, g = world
    numbers = {f["number"] for f in FILES if f["number"]}
    cited = {m.split(" Rev ")[0] for f in FILES for m in f["mentions"]}
    cited |= {m.split(" Rev ")[0] for f in FILES for a in f["attachments"] for m in a["mentions"]}
    assert {d["identifier"] for d in dangling(g)} == cited - numbers


def test_stale_lists_citations_of_superseded_revisions(world):
    app, g = world
    latest = {}
    for f in FILES:
        if f["revision"]:
            latest[f["number"]] = max(latest.get(f["number"], ""), f["revision"])
    superseded = {f["supersedes"] for f in FILES if f.get("supersedes")}
    want = {(f["path"], m) for f in FILES if f["path"] not in superseded for m in f["mentions"]
            if " Rev " in m and m.split(" Rev ")[0] != f["number"]
            and latest.get(m.split(" Rev ")[0], m.split(" Rev ")[1]) != m.split(" Rev ")[1]}
    got = {(rel(d["path"]), d["cites"]) for d in stale(g)}
    assert got == want and got


def test_graph_exports_load_back_into_networkx(tmp_path):
    home = copy_sample_home(tmp_path / "home")  # the archive ingested once per run, not VL310 again in this test
    written = run_json(home, "graph", "export", "-o", str(tmp_path / "g.graphml"))
    graph = nx.read_graphml(tmp_path / "g.graphml")
    assert (graph.number_of_nodes(), graph.number_of_edges()) == (written["nodes"], written["edges"])
    cr = next(f["number"] for f in FILES if f["path"].startswith("VL310/change-requests/"))
    part = run_json(home, "graph", "export", cr, "--format", "json", "-o", str(tmp_path / "g.json"))
    data = nx.node_link_graph(json.loads((tmp_path / "g.json").read_text()), edges="links")
    assert data.number_of_nodes() == part["nodes"] < written["nodes"]
    assert f"change_request:{cr}" in data


def test_path_of_an_unknown_reference_is_a_clear_error(tmp_path):
    home = tmp_path / "home"
    run_json(home, "ingest", str(ARCHIVE / "VL310" / "minutes"))
    proc = run_dms(home, "path", "CR-2099-001", "VL310", check=False)
    assert proc.returncode == 3 and "nothing in the archive refers to CR-2099-001" in proc.stderr


def test_link_made_by_hand_is_traced_with_who_and_why_and_removal_is_kept(tmp_path):
    home = tmp_path / "home"
    run_json(home, "ingest", str(ARCHIVE / "VL310" / "complaints"), str(ARCHIVE / "VL310" / "change-requests"))
    complaint = next(f for f in FILES if f["path"].startswith("VL310/complaints/"))
    cr = next(f["number"] for f in FILES if f["path"].startswith("VL310/change-requests/"))
    assert str(ARCHIVE / complaint["path"]) not in {d["path"] for d in run_json(home, "trace", cr)["documents"]}
    made = run_json(home, "link", "add", cr, str(ARCHIVE / complaint["path"]), "--type", "relates_to",
                    "--reason", "the complaint prompted this change", "--as", "anna")
    traced = {d["path"]: d for d in run_json(home, "trace", cr)["documents"]}
    via = traced[str(ARCHIVE / complaint["path"])]["via"]
    assert via[-1]["type"] == "relates_to" and "by anna" in via[-1]["evidence"] and "prompted" in via[-1]["evidence"]
    run_json(home, "link", "remove", str(made["id"]), "--reason", "wrong complaint", "--as", "marco")
    assert str(ARCHIVE / complaint["path"]) not in {d["path"] for d in run_json(home, "trace", cr)["documents"]}
    [kept] = run_json(home, "link", "list", "--all")["links"]
    assert (kept["created_by"], kept["removed_by"], kept["removal_reason"]) == ("anna", "marco", "wrong complaint")


@pytest.mark.parametrize("args, message", [
    (["--type", "friends_with", "--reason", "x"], "unknown link type 'friends_with'"),
    (["--type", "relates_to", "--reason", "  "], "needs a reason"),
])
def test_bad_manual_link_is_refused_and_nothing_is_recorded(tmp_path, args, message):
    home = tmp_path / "home"
    run_json(home, "ingest", str(ARCHIVE / "VL310" / "change-requests"))
    crs = [f["number"] for f in FILES if f["path"].startswith("VL310/change-requests/")][:2]
    proc = run_dms(home, "link", "add", *crs, *args, check=False)
    assert proc.returncode == 2 and message in proc.stderr
    assert run_json(home, "link", "list", "--all")["links"] == []
