"""Figures of issue 18 (links as catalog rows), each against today's networkx path in the same run.

    .venv/bin/python bench/graph_rows.py --docs 100000            # SQLite
    .venv/bin/python bench/graph_rows.py --docs 100000 --postgresql  # a throwaway cluster (tests/pg.py)
    .venv/bin/python bench/graph_rows.py --docs 1000000 --no-networkx --roots 120 --pairs 5  # no ~14 GB baseline

Writes a synthetic catalog of --docs documents straight into the catalog (dms.catalog.samples.load_synthetic, in
chunks): change requests, minutes deciding them, specifications in revisions (supersedes chains) amending them,
complaints and reports, over a few hundred products and a few parties, each citing --refs identifiers (about 15
links a document). The synthetic documents are marked indexed in an empty search index (else the ingest of (b)
would first rebuild the index of every synthetic document; the index is not what is measured here).
Then, with the real code:

(a) the first full derivation of the link rows, `dms.graph.sync.sync` (rows, s, rows/s), vs `build_graph`;
(b) link maintenance per ingested document: a real `dms.ingest.pipeline.ingest` of --ingest files of the sample
    archive (`dms sample generate`, DMS_OCR=0, thumbnails off) into the big catalog, then the incremental sync,
    vs the ingest itself (target < 5 %) and vs the per-ingest cost until issue 18 (the cache: build + pickle);
(c) trace p50/p95 at depth 1 and 2 over --roots roots (change requests, products, documents), a fresh RowGraph
    per trace (one per command or request, as dms makes them) vs the networkx graph in memory, same answers checked;
(d) path p95 over --pairs pairs, the same way;
(e) whole-process `dms trace <CR>` (wall, peak RSS by /usr/bin/time) and the same work done by a RowGraph and
    by today's pickle load, each a fresh process;
(f) `dms serve` answering GET /api/v1/trace/<CR> with an API token: request times and peak RSS (VmHWM).

Not a test. Progress goes to stderr; the figures to stdout.
"""

from __future__ import annotations

import argparse
import gc
import inspect
import json
import os
import pickle
import random
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from dms import auth, users  # noqa: E402
from dms.app import Dms  # noqa: E402
from dms.catalog import linkrows, samples  # noqa: E402
from dms.config import load_settings  # noqa: E402
from dms.errors import UsageError  # noqa: E402
from dms.graph import build_graph, trace  # noqa: E402
from dms.graph import sync as sync_module  # noqa: E402
from dms.graph.sync import sync  # noqa: E402

CHUNK_DOCS = 50_000  # documents per load_synthetic transaction (bounds the generator's memory)
WHOLE_PROCESS_RUNS = 5  # fresh processes per whole-process figure
SERVE_REQUESTS = 10  # trace requests after the first, each for another change request
SERVE_START_WAIT = 120  # seconds for `dms serve` to answer /health
ENV = {"DMS_OCR": "0", "DMS_THUMBNAILS": "0"}
STARTED = time.monotonic()

# the work of `dms trace` in a fresh process, by a RowGraph ("row") or today's pickled networkx graph ("nx")
CHILD = """
import json, sys, time
t0 = time.perf_counter()
from dms.app import Dms
from dms.config import load_settings
from dms.graph import node_for, trace
t1 = time.perf_counter()
mode, ref = sys.argv[1], sys.argv[2]
with Dms(load_settings()) as app:
    t2 = time.perf_counter()
    if mode == "row":
        from dms.graph.rowgraph import RowGraph
        g = RowGraph(app.catalog, app.matcher)
    else:  # today's (c416c80) graph cache: the whole graph unpickled
        import pickle
        with open(sys.argv[3], "rb") as fh:
            g = pickle.load(fh)
    t3 = time.perf_counter()
    r = trace(g, node_for(app, g, ref), depth=2, limit=50)
    t4 = time.perf_counter()
print(json.dumps({"total": r.total, "import_s": t1 - t0, "open_s": t2 - t1, "graph_s": t3 - t2, "trace_s": t4 - t3}))
"""


def say(text: str) -> None:
    print(
        f"[{time.monotonic() - STARTED:7.1f} s, rss {psutil.Process().memory_info().rss / 2**20:6.0f} MB] {text}",
        file=sys.stderr, flush=True,
    )


def progress_every(step: int):
    """A sync progress report to stderr every `step` documents (does the rate fall as the tables grow?)."""
    last = [0, time.perf_counter()]

    def report(done: int, total: int) -> None:
        if done - last[0] >= step or done == total:
            now = time.perf_counter()
            say(f"sync {done}/{total} documents, {(done - last[0]) / (now - last[1]):.0f} documents/s")
            last[:] = [done, now]

    return report


def pct(values: list[float], p: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


# -- the synthetic catalog ----------------------------------------------------------------------------------------


def pools_for(docs: int) -> dict:
    codes = [f"{a}{b}{n}" for a in "BCDFGHJKLM" for b in "NPRSTVWXYZ" for n in range(100, 200)]
    products = codes[: max(30, docs // 300)]
    return {
        "products": products,
        "crs": [f"CR-{2015 + i % 10}-{i // 10 + 1:03d}" for i in range(max(50, docs // 20))],
        "specs": [f"SPEC-{p}-{k:02d}" for p in products for k in (1, 2, 3)],
        "meetings": [
            f"MTG-{2015 + i % 10}-{1 + i // 28 % 12:02d}-{1 + i % 28:02d}" for i in range(max(30, docs // 25))
        ],
        "parties": [
            "Helix Components", "Brightwater Retail", "Casa Nova Stores", "Polaris Plastics", "Kessler Thermotechnik",
            "Orbital Freight", "Nordlicht Metall",
        ],
    }


def synthesize(app: Dms, docs: int, refs_per_doc: int, seed: int = 7) -> dict:
    """The documents, versions (id = document id), one page each and their references, loaded in chunks."""
    rnd = random.Random(seed)
    pools = pools_for(docs)
    crs, specs, products = pools["crs"], pools["specs"], pools["products"]
    cited_pool = crs + specs + pools["meetings"]
    kinds, weights = ["change request", "minutes", "specification", "complaint", "report"], [5, 4, 3, 4, 4]
    for start in range(1, docs + 1, CHUNK_DOCS):
        rows_docs, rows_versions, rows_refs, rows_pages = [], [], [], []
        for i in range(start, min(start + CHUNK_DOCS, docs + 1)):
            kind = rnd.choices(kinds, weights)[0]
            product = rnd.choice(products)
            number = revision = None
            text = f"Document {i} about {product}."
            first: list[tuple[str, str]] = []  # (family, number) cited on the first line
            if kind == "change request":
                number = crs[i % len(crs)]
            elif kind == "minutes":
                number = pools["meetings"][i % len(pools["meetings"])]
                cr = rnd.choice(crs)
                text = f"{cr} was presented. Decision: {rnd.choice(['approved', 'rejected', 'deferred'])}.\n" + text
                first.append(("change_request", cr))
            elif kind == "specification":
                number, revision = rnd.choice(specs), rnd.choice("ABCDE")
                cr = rnd.choice(crs)
                text = f"Revision {revision} implements change request {cr}.\n" + text
                first.append(("change_request", cr))
            date = f"{rnd.randint(2015, 2024)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
            rows_docs.append((i, f"/synthetic/{kind}/{i}.txt", f"{i}.txt", i, "2026-01-01"))
            rows_versions.append(
                (
                    i, i, 1, f"{i:064x}", 100, 0, "2026-01-01", "ok", "text", "text", f"{kind} {i}", kind, date,
                    number, revision, json.dumps([product]), json.dumps(rnd.sample(pools["parties"], 2)),
                )
            )
            rows_pages.append((i, 1, text))
            for family, cited in first:
                rows_refs.append((i, family, cited, None, 1, 0, f"… {cited} …"))
            for k in range(refs_per_doc - len(first)):
                cited = rnd.choice(cited_pool)
                family = (
                    "change_request"
                    if cited.startswith("CR")
                    else "meeting"
                    if cited.startswith("MTG")
                    else "specification"
                )
                rows_refs.append((i, family, cited, None, 1, 40 + k, f"… {cited} …"))
        samples.load_synthetic(app.catalog, rows_docs, rows_versions, rows_pages, rows_refs)
        app.catalog.mark_indexed([(d[0], d[3]) for d in rows_docs])
        say(f"synthesized {min(start + CHUNK_DOCS - 1, docs)} documents")
    return pools


# -- (b) a real ingest --------------------------------------------------------------------------------------------


def incoming_files(work: Path, count: int) -> Path:
    """`count` files of the sample archive (scale 2, scans left out), copied into one folder."""
    from dms.samplegen import generate

    sample = work / "sample"
    generate(sample, scale=2)
    files = sorted(p for p in sample.rglob("*") if p.is_file() and p.suffix.lower() not in (".tif", ".tiff", ".json"))
    picked = random.Random(3).sample(files, min(count, len(files)))
    incoming = work / "incoming"
    for p in picked:
        dest = incoming / p.relative_to(sample)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(p, dest)
    shutil.rmtree(sample)
    return incoming


def pickled_graph(app: Dms, path: Path):
    """What dms.graph.cache.refresh did until issue 18 after every ingest: build the whole graph, pickle it."""
    g = build_graph(app.catalog, app.matcher)
    with open(path, "wb") as fh:
        pickle.dump(g, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return g


def ingest_and_sync(app: Dms, incoming: Path, pickle_path: Path | None) -> tuple[dict, object]:
    """Ingest (the time any sync inside it takes counted apart), then the incremental sync, then today's refresh."""
    from dms.ingest.pipeline import ingest

    inner: list[float] = []
    results = []
    real = sync_module.sync_catalog

    def timed(*args, **kwargs):  # a stopwatch around the real function: the ingest syncs when it ends
        t = time.perf_counter()
        try:
            results.append(real(*args, **kwargs))
            return results[-1]
        finally:
            inner.append(time.perf_counter() - t)

    sync_module.sync_catalog = timed
    try:
        t = time.perf_counter()
        report = ingest(app, [incoming])
        ingest_s = time.perf_counter() - t
        sync(app)  # through `timed` too: a no-op when the ingest synced already
    finally:
        sync_module.sync_catalog = real
    sync_s = sum(inner)
    done = next((r for r in reversed(results) if r is not None), None)
    new_docs = report.added + report.attachments
    g, refresh_s = None, 0.0
    if pickle_path:
        t = time.perf_counter()
        g = pickled_graph(app, pickle_path)  # the cache's refresh after every ingest until issue 18
        refresh_s = time.perf_counter() - t
    ingest_only = ingest_s - (sum(inner[:-1]) if len(inner) > 1 else 0)
    return {
        "files": sum(1 for p in incoming.rglob("*") if p.is_file()), "added": report.added,
        "attachments": report.attachments, "duplicates": report.duplicates, "problems": len(report.problems),
        "ingest_s": round(ingest_only, 2), "ingest_ms_per_doc": round(1000 * ingest_only / max(new_docs, 1), 1),
        "sync_s": round(sync_s, 3), "sync_ms_per_doc": round(1000 * sync_s / max(new_docs, 1), 2),
        "sync_calls": len(inner), "synced_documents": done.documents if done else None,
        "synced_links": done.links if done else None,
        "sync_vs_ingest_pct": round(100 * sync_s / ingest_only, 2) if ingest_only else None,
    } | (
        {
            "baseline_refresh_s": round(refresh_s, 2),
            "baseline_refresh_vs_ingest_pct": round(100 * refresh_s / ingest_only, 1) if ingest_only else None,
            "sync_vs_refresh_ratio": ratio(sync_s, refresh_s),
        }
        if pickle_path
        else {}
    ), g


# -- (c, d) queries in this process ------------------------------------------------------------------------------


def pick_roots(pools: dict, docs: int, count: int, seed: int = 11) -> list[str]:
    rnd = random.Random(seed)
    roots = []
    for k in range(count):
        pick = k % 3
        roots.append(
            f"change_request:{rnd.choice(pools['crs'])}"
            if pick == 0
            else f"product:{rnd.choice(pools['products'])}"
            if pick == 1
            else f"doc:{rnd.randint(1, docs)}"
        )
    return roots


def time_traces(app: Dms, g, roots: list[str], depth: int) -> dict:
    from dms.graph.rowgraph import RowGraph

    rows_ms, nx_ms, differ, totals = [], [], 0, []
    for root in roots:
        t = time.perf_counter()
        rg = RowGraph(app.catalog, app.matcher)  # one per command or request, as dms makes them
        ours = trace(rg, root, depth=depth, limit=50)
        rows_ms.append((time.perf_counter() - t) * 1000)
        totals.append(ours.total)
        if g is not None:
            t = time.perf_counter()
            theirs = trace(g, root, depth=depth, limit=50)
            nx_ms.append((time.perf_counter() - t) * 1000)
            differ += ours.to_dict() != theirs.to_dict()
    out = {
        "depth": depth, "roots": len(roots), "rows_p50_ms": round(pct(rows_ms, 50), 2),
        "rows_p95_ms": round(pct(rows_ms, 95), 2), "rows_max_ms": round(max(rows_ms), 1),
        "median_total": statistics.median(totals), "max_total": max(totals),
    }
    if nx_ms:
        out |= {
            "networkx_p50_ms": round(pct(nx_ms, 50), 2), "networkx_p95_ms": round(pct(nx_ms, 95), 2),
            "rows_vs_networkx_p95_ratio": ratio(pct(rows_ms, 95), pct(nx_ms, 95)), "answers_differing": differ,
        }
    return out


def time_paths(app: Dms, g, pools: dict, docs: int, count: int, seed: int = 13) -> dict:
    from dms.graph.explore import paths
    from dms.graph.rowgraph import RowGraph

    rnd = random.Random(seed)
    pairs = []
    for k in range(count):
        a = f"doc:{rnd.randint(1, docs)}"
        b = f"change_request:{rnd.choice(pools['crs'])}" if k % 2 else f"doc:{rnd.randint(1, docs)}"
        pairs.append((a, b))
    rows_ms, nx_ms, differ, lengths = [], [], 0, []
    for a, b in pairs:
        t = time.perf_counter()
        ours = paths(RowGraph(app.catalog, app.matcher), a, b)
        rows_ms.append((time.perf_counter() - t) * 1000)
        lengths.append(ours["length"] or 0)
        if g is not None:
            t = time.perf_counter()
            theirs = paths(g, a, b)
            nx_ms.append((time.perf_counter() - t) * 1000)
            differ += ours != theirs
    out = {
        "pairs": len(pairs), "rows_p50_ms": round(pct(rows_ms, 50), 2), "rows_p95_ms": round(pct(rows_ms, 95), 2),
        "rows_max_ms": round(max(rows_ms), 1), "median_length": statistics.median(lengths),
    }
    if nx_ms:
        out |= {
            "networkx_p50_ms": round(pct(nx_ms, 50), 2), "networkx_p95_ms": round(pct(nx_ms, 95), 2),
            "rows_vs_networkx_p95_ratio": ratio(pct(rows_ms, 95), pct(nx_ms, 95)), "answers_differing": differ,
        }
    return out


# -- (e, f) whole processes ---------------------------------------------------------------------------------------


def run_measured(cmd: list[str], env: dict, work: Path) -> tuple[float, float, int, str]:
    """(wall s, peak RSS MB, exit status, stdout) of one fresh process. Its peak RSS from /usr/bin/time, whose
    child is forked from a small process: the rusage of a child forked from this (large) process counts the
    parent's pages as its own high-water mark."""
    measured = work / "time.txt"
    t = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", "-o", str(measured), *cmd], env=env, cwd=REPO, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - t
    peak_kb = int(measured.read_text().strip().splitlines()[-1])
    return wall, peak_kb / 1024, done.returncode, done.stdout.decode(errors="replace")


def whole_process(env: dict, ref: str, work: Path, pickle_path: Path | None, rows: bool) -> dict:
    """`pickle_path`: today's whole graph pickled (None: no baseline); `rows`: whether `dms trace` reads rows (else
    it would load or build the whole graph)."""
    python, dms_cli = str(REPO / ".venv/bin/python"), str(REPO / ".venv/bin/dms")
    out = {}
    runs = [
        ("dms_trace", [dms_cli, "trace", ref, "--json"]), ("rowgraph_process", [python, "-c", CHILD, "row", ref]),
        ("networkx_pickle_process", [python, "-c", CHILD, "nx", ref, str(pickle_path)]),
    ]
    for name, cmd in [r for r in runs if (r[0] != "dms_trace" or rows or pickle_path) and
                      (r[0] != "networkx_pickle_process" or pickle_path)]:
        walls, peaks, bad, parts = [], [], 0, []
        for _ in range(WHOLE_PROCESS_RUNS):
            wall, peak, code, stdout = run_measured(cmd, env, work)
            walls.append(wall)
            peaks.append(peak)
            bad += code != 0
            if name != "dms_trace" and code == 0:
                parts.append(json.loads(stdout))
        out[name] = {
            "wall_median_s": round(statistics.median(walls), 3), "wall_max_s": round(max(walls), 3),
            "peak_rss_mb": round(max(peaks)), "failed_runs": bad,
        }
        if parts:  # where the time of a run goes (median of each part)
            out[name]["parts_median_s"] = {
                k: round(statistics.median(p[k] for p in parts), 3)
                for k in ("import_s", "open_s", "graph_s", "trace_s")
            }
        say(f"whole process {name}: {out[name]}")
    if not pickle_path:
        out["skipped"] = "the networkx pickle: the whole graph would not fit in memory"
        return out
    out["rowgraph_vs_networkx_wall_ratio"] = ratio(
        out["rowgraph_process"]["wall_median_s"], out["networkx_pickle_process"]["wall_median_s"]
    )
    out["rowgraph_vs_networkx_rss_ratio"] = ratio(
        out["rowgraph_process"]["peak_rss_mb"], out["networkx_pickle_process"]["peak_rss_mb"]
    )
    return out


def proc_status(pid: int) -> dict[str, float]:
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            found[key] = int(value.split()[0]) / 1024
    return found


def serve(app: Dms, env: dict, refs: list[str]) -> dict:
    """`dms serve` on a free port, GET /api/v1/trace/<ref> with an API token; VmHWM of the server process."""
    sys.path.insert(0, str(REPO / "tests"))
    from processes import free_port

    try:
        users.add(app.catalog, "benchadmin", "admin", "Bench-" + secrets.token_urlsafe(16), by="benchadmin")
    except UsageError:
        pass  # there since an earlier run on the same --home
    _, token = auth.create_token(app.catalog, "benchadmin", "bench", "benchadmin")
    port = free_port()
    proc = subprocess.Popen(
        [str(REPO / ".venv/bin/dms"), "serve", "--port", str(port)], env=env, cwd=REPO, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + SERVE_START_WAIT
        while True:
            try:
                urllib.request.urlopen(base + "/health", timeout=5).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    return {"error": f"dms serve did not answer: {proc.stderr.read().decode()[-500:]}"}
                time.sleep(0.2)
        started = proc_status(proc.pid)
        times, totals = [], []
        for ref in refs:
            req = urllib.request.Request(f"{base}/trace/{ref}?depth=2", headers={"Authorization": f"Bearer {token}"})
            t = time.perf_counter()
            body = json.loads(urllib.request.urlopen(req, timeout=600).read())
            times.append((time.perf_counter() - t) * 1000)
            totals.append(body["total"])
        after = proc_status(proc.pid)
        return {
            "rss_idle_mb": round(started["VmRSS"]), "first_request_ms": round(times[0], 1),
            "later_requests_p50_ms": round(pct(times[1:], 50), 1), "later_requests_max_ms": round(max(times[1:]), 1),
            "peak_rss_mb": round(after["VmHWM"]), "rss_after_mb": round(after["VmRSS"]),
            "median_total": statistics.median(totals),
        }
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# -- the run ------------------------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--refs", type=int, default=10)
    ap.add_argument("--roots", type=int, default=200)
    ap.add_argument("--pairs", type=int, default=100)
    ap.add_argument("--ingest", type=int, default=200, help="files of the sample archive ingested for (b)")
    ap.add_argument("--no-networkx", action="store_true", help="no networkx baseline (it would not fit in memory)")
    ap.add_argument("--postgresql", action="store_true", help="the catalog on a throwaway PostgreSQL cluster")
    ap.add_argument("--skip", default="", help="comma-separated parts to leave out: b,c,d,e,f")
    ap.add_argument("--home", type=Path, help="a data directory kept between runs (SQLite only): the synthetic "
                    "catalog and its rows are written there once, later runs with the same --docs reuse them "
                    "(the ingest (b) is then left out: it would change the catalog)")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    work = Path(tempfile.mkdtemp(prefix="dms-graph-rows-"))
    kept = args.home is not None and (args.home / f"ready-{args.docs}-{args.refs}").exists()
    if args.home is not None:
        if args.postgresql:
            ap.error("--home is for SQLite catalogs")
        skip.add("b")
    env_extra = dict(ENV)
    cluster = None
    if args.postgresql:
        sys.path.insert(0, str(REPO / "tests"))
        from pg import start_cluster

        cluster = start_cluster()
        env_extra["DMS_DATABASE_URL"] = cluster.new_catalog_database("bench")
    home = args.home or work / "home"
    child_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DMS_")}, **env_extra, "DMS_HOME": str(home),
        "DMS_USER": "benchadmin", "PYTHONPATH": str(REPO),  # this tree's dms, also for the venv's `dms` script
    }
    pickle_path = None if args.no_networkx else work / "graph.pickle"
    figures: dict = {
        "documents": args.docs, "refs_per_document": args.refs,
        "catalog": "postgresql" if args.postgresql else "sqlite",
        "load_average_at_start": [round(x, 1) for x in os.getloadavg()], "cores": os.cpu_count(),
    }
    try:
        with Dms(load_settings(environ=env_extra, home=home)) as app:
            app.ensure_index()  # empty: the synthetic documents are marked indexed, and no ingest rebuilds it
            if kept:  # written by an earlier run: the same documents (the generator is seeded), rows up to date
                pools = pools_for(args.docs)
                say("(a) reused the catalog of an earlier run")
                sync(app)
                full = {"rows": linkrows.link_count(app.catalog), "reused": str(home)}
            else:
                t = time.perf_counter()
                pools = synthesize(app, args.docs, args.refs)
                figures["synthesize_s"] = round(time.perf_counter() - t, 1)
                # (a) the first derivation of every link row, vs building today's graph in memory
                say("(a) first full sync")
                rss0 = psutil.Process().memory_info().rss
                t = time.perf_counter()
                done = sync(app, progress=progress_every(args.docs // 10))
                sync_s = time.perf_counter() - t
                full = {
                    "rows": linkrows.link_count(app.catalog), "links_written": done.links, "sync_s": round(sync_s, 1),
                    "rows_per_s": round(done.links / sync_s),
                    "rss_growth_mb": round((psutil.Process().memory_info().rss - rss0) / 2**20),
                }
                if args.home is not None:
                    (home / f"ready-{args.docs}-{args.refs}").touch()
            g = None
            if not args.no_networkx:
                say("(a) baseline build_graph")
                gc.collect()
                t = time.perf_counter()
                g = build_graph(app.catalog, app.matcher)
                build_s = time.perf_counter() - t
                full |= {
                    "baseline_build_graph_s": round(build_s, 1), "networkx_edges": g.number_of_edges(),
                    "networkx_nodes": g.number_of_nodes(),
                } | ({} if kept else {"sync_vs_build_ratio": ratio(sync_s, build_s)})
            figures["a_full_sync"] = full
            say(f"(a) {full}")
            if "b" not in skip:
                say("(b) ingest")
                incoming = incoming_files(work, args.ingest)
                g = None  # today's refresh builds it again, with the new documents
                gc.collect()
                figures["b_ingest"], fresh = ingest_and_sync(app, incoming, pickle_path)
                g = None if args.no_networkx else fresh
                del fresh
                say(f"(b) {figures['b_ingest']}")
            elif pickle_path:
                pickled_graph(app, pickle_path)  # the pickle the whole-process baseline loads
            gc.collect()
            roots = pick_roots(pools, args.docs, args.roots)
            if "c" not in skip:
                for depth in (1, 2):
                    say(f"(c) trace depth {depth}")
                    figures[f"c_trace_depth{depth}"] = time_traces(app, g, roots, depth)
                    say(f"(c) {figures[f'c_trace_depth{depth}']}")
            if "d" not in skip:
                say("(d) paths")
                figures["d_path"] = time_paths(app, g, pools, args.docs, args.pairs)
                say(f"(d) {figures['d_path']}")
            figures["bench_process_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
            g = None
            gc.collect()
            from dms.graph import graph_for

            figures["graph_for_reads_rows"] = "RowGraph" in inspect.getsource(graph_for)
            rows = figures["graph_for_reads_rows"]  # else `dms trace` and `dms serve` load the whole graph
            # a change request the rules read as one (past 999 a year, the synthetic numbers have a digit too many:
            # "CR-2022-2965" is then a number of no family, and `dms trace CR-2022-2965` finds nothing)
            cr = next(r.split(":", 1)[1] for r in roots if r.startswith("change_request:")
                      and getattr(app.matcher.fullmatch(r.split(":", 1)[1]), "family", None) == "change_request")
            if "e" not in skip:
                say(f"(e) whole process, dms trace {cr}")
                figures["e_whole_process_trace"] = {"ref": cr, **whole_process(child_env, cr, work, pickle_path, rows)}
            if "f" not in skip and not (rows or pickle_path):
                figures["f_serve"] = {"error": "skipped: graph_for would build the whole graph in the server"}
            elif "f" not in skip:
                say("(f) dms serve")
                refs = [r.split(":", 1)[1] for r in roots if r.startswith("change_request:") and getattr(
                    app.matcher.fullmatch(r.split(":", 1)[1]), "family", None) == "change_request"]  # read as CRs
                refs = refs[: SERVE_REQUESTS + 1]
                figures["f_serve"] = serve(app, child_env, refs)
                say(f"(f) {figures['f_serve']}")
        figures["load_average_at_end"] = [round(x, 1) for x in os.getloadavg()]
        figures["disk_mb"] = round(sum(p.stat().st_size for p in home.rglob("*") if p.is_file()) / 2**20)
        print(json.dumps(figures, indent=1))
        summary(figures)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # a --home is elsewhere and stays
        if cluster is not None:
            cluster.stop()


def summary(f: dict) -> None:
    a, b, d, e, s = (f.get(k, {}) for k in ("a_full_sync", "b_ingest", "d_path", "e_whole_process_trace", "f_serve"))
    lines = [f"{f['documents']} documents on {f['catalog']}: " + (
        f"{a['rows']} rows reused from {a['reused']}" if "reused" in a else
        f"first sync {a['sync_s']} s for {a['rows']} rows ({a['rows_per_s']} rows/s)" + (
            f", build_graph {a.get('baseline_build_graph_s')} s (ratio {a.get('sync_vs_build_ratio')})"
            if "networkx_edges" in a else ""))]
    if b:
        lines.append(f"ingest of {b['added']}+{b['attachments']} documents {b['ingest_s']} s; their sync {b['sync_s']} "
                     f"s = {b['sync_vs_ingest_pct']} % of ingest (target < 5 %)" + (
                         f"; today's refresh {b['baseline_refresh_s']} s = {b['baseline_refresh_vs_ingest_pct']} %"
                         if "baseline_refresh_s" in b else ""))
    for depth in (1, 2):
        if c := f.get(f"c_trace_depth{depth}"):
            lines.append(f"trace depth {depth}: rows p50 {c['rows_p50_ms']} / p95 {c['rows_p95_ms']} ms (target p95 < "
                         f"20 ms)" + (f"; networkx in memory p95 {c['networkx_p95_ms']} ms, ratio "
                                      f"{c['rows_vs_networkx_p95_ratio']}, differing answers {c['answers_differing']}"
                                      if "networkx_p95_ms" in c else ""))
    if d:
        lines.append(f"path: rows p95 {d['rows_p95_ms']} ms" + (
            f"; networkx p95 {d['networkx_p95_ms']} ms, ratio {d['rows_vs_networkx_p95_ratio']}, differing "
            f"{d['answers_differing']}" if "networkx_p95_ms" in d else ""))
    if e:
        shown = "; ".join(f"{name} {e[name]['wall_median_s']} s / {e[name]['peak_rss_mb']} MB"
                          for name in ("dms_trace", "rowgraph_process", "networkx_pickle_process") if name in e)
        lines.append(f"whole process (graph_for reads rows: {f['graph_for_reads_rows']}): {shown} "
                     "(targets 0.3 s, 300 MB)")
    if s:
        lines.append(f"dms serve: {s}" if "error" in s else f"dms serve: first trace {s['first_request_ms']} ms, later "
                     f"p50 {s['later_requests_p50_ms']} ms, peak RSS {s['peak_rss_mb']} MB (target < 300 MB)")
    print("\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
