"""How long a whole `dms search` and `dms trace` process takes, against a bare Python process doing the same work.

    .venv/bin/python bench/cli_startup.py [--home DIR] [--docs 20000] [--runs 7] [--bytecode cached|none]
                                          [--commands search trace help]

A command run once from a shell pays for Python starting, for every module it imports and for opening the
archive; the work itself is a few milliseconds. So each command is measured as a whole process (wall time,
median of --runs), next to a baseline process that does only what the command cannot avoid:

- search: `python -c` that imports whoosh, opens the same index, parses and runs the same query (10 hits) and
  reads the hits' page text from the catalog with sqlite3 (dms cuts its snippets from that text);
- trace: `python -c` that reads the same link rows with sqlite3, depth by depth from the same root to depth 2,
  and the facts of the documents it reached.

The ratio dms / baseline is what the command's own imports and machinery cost. Targets: at most 2x and under
0.25 s. `python -c pass` is printed too, as the floor of any process on this machine. Next to wall time, each
figure has the process's CPU time (user + system, from getrusage): on a machine shared with other work, wall time
swings with the load while CPU time moves much less, so the CPU ratio is the steadier one to compare runs by.

The data directory (default /tmp/dms-cli-startup/home) is reused when it already holds an index and link
rows; else --docs documents are written straight into a new catalog (bench/graph_trace.py's synthetic
archive: change requests, minutes, specifications, complaints, reports citing each other), indexed with
`dms reindex` and its link rows derived with `dms graph sync`, and the time that took is printed.

Every process runs with bytecode cached (PYTHONDONTWRITEBYTECODE unset, PYTHONPYCACHEPREFIX a directory of the
bench) and one unmeasured warm-up, as an installed dms runs; the timed runs of dms and baseline alternate, so
a busy machine slows both alike. `--bytecode none` runs them instead with PYTHONDONTWRITEBYTECODE=1 and no
cache prefix, as a shell that sets it runs a source checkout without __pycache__: every dms process then
compiles every dms module it imports (the libraries keep the bytecode pip wrote), which the baseline, importing
no dms module, never pays.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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
import sqlite3, sys
home, root = sys.argv[1], sys.argv[2]
con = sqlite3.connect(home + "/catalog.sqlite")
frontier, seen = {root}, {root}
for depth in range(2):  # the link rows of each depth's frontier, both ways, by the indexed columns
    marks = ",".join("?" * len(frontier))
    rows = con.execute(
        f"SELECT source, target, type, evidence FROM graph_links WHERE source IN ({marks}) "
        f"UNION ALL SELECT source, target, type, evidence FROM graph_links WHERE target IN ({marks})",
        (*frontier, *frontier)).fetchall()
    ahead = {n for s, t, _, _ in rows for n in (s, t) if n.startswith("doc:") and n not in seen}
    seen |= ahead
    frontier = ahead
    if not frontier:
        break
ids = [int(n[4:]) for n in seen if n.startswith("doc:")]
docs = con.execute(
    "SELECT d.id, d.path, v.title, v.doc_date FROM documents d JOIN versions v ON v.id = d.current_version_id "
    f"WHERE d.id IN ({','.join('?' * len(ids))})", ids).fetchall() if ids else []
print(len(docs), "document(s) tied to", root)
"""


def environment(home: Path, pycache: Path, bytecode: str = "cached") -> dict:
    """As an installed dms runs: bytecode cached (outside the repo), whoosh, this data directory. With bytecode
    "none": PYTHONDONTWRITEBYTECODE=1 and no cache prefix (dms compiled from source by every process)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    env.update(DMS_HOME=str(home), DMS_SEARCH_ENGINE="whoosh", PYTHONPATH=str(REPO))
    if bytecode == "cached":
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run(argv: list[str], env: dict) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"{' '.join(argv[:4])}… failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def build(home: Path, docs: int, env: dict) -> float:
    """A synthetic archive of `docs` documents: catalog rows, the index and the link rows."""
    from graph_trace import synthesize

    from dms.app import Dms
    from dms.config import load_settings

    started = time.monotonic()
    with Dms(load_settings(environ={}, home=home)) as app:
        synthesize(app, docs, 10)
    run([sys.executable, "-m", "dms", "reindex"], env)
    run([sys.executable, "-m", "dms", "graph", "sync"], env)  # the link rows, derived from scratch
    return time.monotonic() - started


def root_node(home: Path, ref: str) -> str:
    """The graph node dms resolves REF to (so the baseline walks from the same node)."""
    from dms.app import Dms
    from dms.config import load_settings
    from dms.graph import graph_for, node_for

    with Dms(load_settings(environ={}, home=home)) as app:
        return node_for(app, graph_for(app), ref)


def measure(pairs: dict[str, tuple[list[str], list[str]]], env: dict, runs: int) -> dict[str, dict[str, float]]:
    """Median wall and CPU seconds of each command and its baseline, timed runs alternating after one warm-up
    each (the warm-up also builds an index of another schema again, which would otherwise be timed)."""
    times = {name: ([], []) for name in pairs}
    for ours, bare in pairs.values():
        run(ours, env)
        run(bare, env)
    for _ in range(runs):
        for name, (ours, bare) in pairs.items():
            times[name][0].append(run(ours, env))
            times[name][1].append(run(bare, env))

    def median(samples: list[tuple[float, float]], i: int) -> float:
        return statistics.median(sample[i] for sample in samples)

    return {name: {"dms_s": round(median(a, 0), 3), "baseline_s": round(median(b, 0), 3),
                   "ratio": round(median(a, 0) / median(b, 0), 2),
                   "dms_cpu_s": round(median(a, 1), 3), "baseline_cpu_s": round(median(b, 1), 3),
                   "cpu_ratio": round(median(a, 1) / median(b, 1), 2)}
            for name, (a, b) in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--home", default="/tmp/dms-cli-startup/home")
    ap.add_argument("--docs", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--query", default=QUERY)
    ap.add_argument("--ref", default=REF)
    ap.add_argument("--bytecode", choices=("cached", "none"), default="cached",
                    help="cached: as an installed dms runs; none: PYTHONDONTWRITEBYTECODE=1, dms compiled every run")
    ap.add_argument("--commands", nargs="+", choices=("search", "trace", "help"), default=["search", "trace", "help"],
                    help="what to measure (`help` also gives the floor, `python -c pass`)")
    args = ap.parse_args()
    home = Path(args.home)
    env = environment(home, home.parent / "pycache", args.bytecode)
    built_s = None
    if not ((home / "index").is_dir() and (home / "catalog.sqlite").is_file()):
        built_s = round(build(home, args.docs, env), 1)
    root = root_node(home, args.ref) if "trace" in args.commands else ""
    py = sys.executable
    pairs = {
        "search": ([py, "-m", "dms", "search", args.query], [py, "-c", SEARCH_BASELINE, str(home), args.query]),
        "trace": ([py, "-m", "dms", "trace", args.ref], [py, "-c", TRACE_BASELINE, str(home), root]),
        "help": ([py, "-m", "dms", "--help"], [py, "-c", "pass"]),
    }
    pairs = {name: pair for name, pair in pairs.items() if name in args.commands}
    figures = measure(pairs, env, args.runs)
    floor = figures["help"]["baseline_s"] if "help" in figures else None
    print(json.dumps({"home": str(home), "built_s": built_s, "runs": args.runs, "bytecode": args.bytecode,
                      "python_floor_s": floor, "load": [round(x, 1) for x in os.getloadavg()], **figures}, indent=1))
    for name in ("search", "trace"):
        if name not in figures:
            continue
        f = figures[name]
        verdict = "ok" if f["ratio"] <= 2 and f["dms_s"] < 0.25 else "over target"
        print(f"dms {name}: {f['dms_s']} s vs bare Python {f['baseline_s']} s: ratio {f['ratio']} "
              f"(target <= 2x and < 0.25 s: {verdict}); CPU {f['dms_cpu_s']} s vs {f['baseline_cpu_s']} s: "
              f"ratio {f['cpu_ratio']}")
    if "help" in figures:
        print(f"dms --help: {figures['help']['dms_s']} s (CPU {figures['help']['dms_cpu_s']} s); "
              f"`python -c pass`: {floor} s (CPU {figures['help']['baseline_cpu_s']} s)")


if __name__ == "__main__":
    main()
