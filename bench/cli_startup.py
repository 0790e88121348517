"""How long a whole `dms search` and `dms trace` process takes, against a bare Python process doing the same work.

    .venv/bin/python bench/cli_startup.py [--home DIR] [--docs 20000] [--runs 7]

A command run once from a shell pays for Python starting, for every module it imports and for opening the
archive; the work itself is a few milliseconds. So each command is measured as a whole process (wall time,
median of --runs), next to a baseline process that does only what the command cannot avoid:

- search: `python -c` that imports whoosh, opens the same index, parses and runs the same query (10 hits) and
  reads the hits' page text from the catalog with sqlite3 (dms cuts its snippets from that text);
- trace: `python -c` that unpickles the same graph cache (networkx) and walks the same root to depth 2.

The ratio dms / baseline is what the command's own imports and machinery cost. Targets: at most 2x and under
0.25 s. `python -c pass` is printed too, as the floor of any process on this machine.

The data directory (default /tmp/dms-cli-startup/home) is reused when it already holds an index and a graph
cache; else --docs documents are written straight into a new catalog (bench/graph_trace.py's synthetic
archive: change requests, minutes, specifications, complaints, reports citing each other), indexed with
`dms reindex` and the graph cached with one `dms trace`, and the time that took is printed.

Every process runs with bytecode cached (PYTHONDONTWRITEBYTECODE unset, PYTHONPYCACHEPREFIX a directory of the
bench) and one unmeasured warm-up, as an installed dms runs; the timed runs of dms and baseline alternate, so
a busy machine slows both alike.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(BENCH))

QUERY = "decision approved"
REF = "CR-2016-002"  # a change request of the synthetic archive, cited by many documents

SEARCH_BASELINE = """
import sqlite3, sys
import whoosh.index
from whoosh.qparser import QueryParser
home, query = sys.argv[1], sys.argv[2]
ix = whoosh.index.open_dir(home + "/index")
with ix.searcher() as s:
    hits = s.search(QueryParser("body", ix.schema).parse(query), limit=10)
    total = len(hits)
    found = [(int(h["doc_id"]), h["version_id"], h["title"]) for h in hits]
con = sqlite3.connect(home + "/catalog.sqlite")
for doc_id, version_id, title in found:
    text = con.execute("SELECT text FROM pages WHERE version_id = ? ORDER BY page_no", (version_id,)).fetchall()
    print(doc_id, title, len(text))
print(total, "document(s)")
"""

TRACE_BASELINE = """
import pickle, sys
import networkx as nx
home, root = sys.argv[1], sys.argv[2]
with open(home + "/graph.pickle", "rb") as fh:
    saved, g = pickle.load(fh)
walked = [v for _, v in nx.bfs_edges(g.to_undirected(as_view=True), root, depth_limit=2)]
docs = [g.nodes[v] for v in walked if v.startswith("doc:")]
print(len(docs), "document(s) tied to", root)
"""


def environment(home: Path, pycache: Path) -> dict:
    """As an installed dms runs: bytecode cached (outside the repo), whoosh, this data directory."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(DMS_HOME=str(home), DMS_SEARCH_ENGINE="whoosh", PYTHONPATH=str(REPO),
               PYTHONPYCACHEPREFIX=str(pycache))
    return env


def run(argv: list[str], env: dict) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"{' '.join(argv[:4])}… failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return seconds


def build(home: Path, docs: int, env: dict) -> float:
    """A synthetic archive of `docs` documents: catalog rows, the index and the graph cache."""
    from graph_trace import synthesize

    from dms.app import Dms
    from dms.config import load_settings

    started = time.monotonic()
    with Dms(load_settings(environ={}, home=home)) as app:
        synthesize(app, docs, 10)
    run([sys.executable, "-m", "dms", "reindex"], env)
    run([sys.executable, "-m", "dms", "trace", REF, "--limit", "1"], env)  # builds and saves graph.pickle
    return time.monotonic() - started


def root_node(home: Path, ref: str) -> str:
    """The graph node dms resolves REF to (so the baseline walks from the same node)."""
    from dms.app import Dms
    from dms.config import load_settings
    from dms.graph import graph_for, node_for

    with Dms(load_settings(environ={}, home=home)) as app:
        return node_for(app, graph_for(app), ref)


def measure(pairs: dict[str, tuple[list[str], list[str]]], env: dict, runs: int) -> dict[str, dict[str, float]]:
    """Median wall seconds of each command and its baseline, timed runs alternating after one warm-up each."""
    times = {name: ([], []) for name in pairs}
    for ours, bare in pairs.values():
        run(ours, env)
        run(bare, env)
    for _ in range(runs):
        for name, (ours, bare) in pairs.items():
            times[name][0].append(run(ours, env))
            times[name][1].append(run(bare, env))
    return {name: {"dms_s": round(statistics.median(a), 3), "baseline_s": round(statistics.median(b), 3),
                   "ratio": round(statistics.median(a) / statistics.median(b), 2)}
            for name, (a, b) in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--home", default="/tmp/dms-cli-startup/home")
    ap.add_argument("--docs", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--query", default=QUERY)
    ap.add_argument("--ref", default=REF)
    args = ap.parse_args()
    home = Path(args.home)
    env = environment(home, home.parent / "pycache")
    built_s = None
    if not ((home / "index").is_dir() and (home / "graph.pickle").is_file()):
        built_s = round(build(home, args.docs, env), 1)
    root = root_node(home, args.ref)
    py = sys.executable
    pairs = {
        "search": ([py, "-m", "dms", "search", args.query], [py, "-c", SEARCH_BASELINE, str(home), args.query]),
        "trace": ([py, "-m", "dms", "trace", args.ref], [py, "-c", TRACE_BASELINE, str(home), root]),
        "help": ([py, "-m", "dms", "--help"], [py, "-c", "pass"]),
    }
    figures = measure(pairs, env, args.runs)
    floor = figures["help"]["baseline_s"]
    print(json.dumps({"home": str(home), "built_s": built_s, "runs": args.runs, "python_floor_s": floor,
                      "load": os.getloadavg()[0], **figures}, indent=1))
    for name in ("search", "trace"):
        f = figures[name]
        verdict = "ok" if f["ratio"] <= 2 and f["dms_s"] < 0.25 else "over target"
        print(f"dms {name}: {f['dms_s']} s vs bare Python {f['baseline_s']} s: ratio {f['ratio']} "
              f"(target <= 2x and < 0.25 s: {verdict})")
    print(f"dms --help: {figures['help']['dms_s']} s; `python -c pass`: {floor} s")


if __name__ == "__main__":
    main()
