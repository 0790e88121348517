"""Ingest, re-ingest, reindex and search figures for dms, with a plain Whoosh baseline in the same run.

    .venv/bin/python bench/ingest_search.py --docs 20000 [--out bench/out]

Generates a sample archive of about N documents (dms.samplegen), then measures with the real
`dms` command: ingest docs/s and MB/s with peak RSS (process tree), re-ingest of the unchanged
tree in files/s, reindex time and peak RSS, 200 searches (words, phrases, fielded, date ranges,
identifiers) with snippets and facets (p50/p95), and index size. The baseline indexes the same
extracted texts with one plain Whoosh writer and one commit; our ingest rate is given as a ratio
of it. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
FILES_PER_SCALE = 157


CPU: dict[int, float] = {}  # pid -> CPU seconds last seen, of the latest measured run


def run_measured(cmd: list[str], env: dict) -> tuple[float, int, str]:
    """Wall seconds, peak RSS of the whole process tree (bytes), stdout. CPU per process goes to CPU."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    peak = 0
    stop = threading.Event()
    CPU.clear()

    def poll():
        nonlocal peak
        parent = psutil.Process(proc.pid)
        while not stop.is_set():
            try:
                procs = [parent, *parent.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in procs if p.is_running()))
                for p in procs:
                    times = p.cpu_times()
                    CPU[p.pid] = times.user + times.system
            except psutil.Error:
                pass
            time.sleep(0.05)

    thread = threading.Thread(target=poll, daemon=True)
    started = time.monotonic()
    thread.start()
    out, _ = proc.communicate()
    seconds = time.monotonic() - started
    stop.set()
    thread.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed with {proc.returncode}")
    return seconds, peak, out


def queries(truth: dict, n: int = 200) -> list[str]:
    rnd = random.Random(7)
    files = truth["files"]
    words = ["kettle", "hinge", "gasket", "thermostat", "corrosion", "returns", "filter", "supplier", "quotation",
             "tolerance", "packaging", "voltage", "complaint", "distribution", "noise", "leakage", "refund",
             "delamination", "torque", "borosilicate", "humidity", "inspection", "spout", "charger",
             "thermostet", "hinqe", "guasket"]  # the last three are typos: nothing found, a suggestion made
    phrases = ['"lid hinge"', '"heating element"', '"first article inspection"', '"filter housing"',
               '"rated voltage"', '"drop test"', '"power cord"']
    products = sorted({p for f in files for p in f["products"]})
    ids = [f["number"] for f in files if f["number"]]
    out = []
    for i in range(n):
        kind = i % 5
        if kind == 0:
            out.append(rnd.choice(words))
        elif kind == 1:
            out.append(rnd.choice(phrases))
        elif kind == 2:
            out.append(f"{rnd.choice(words)} type:{rnd.choice(['specification', 'minutes', 'complaint', 'report'])} "
                       f"product:{rnd.choice(products)}")
        elif kind == 3:
            y = rnd.choice([2022, 2023, 2024])
            out.append(f"{rnd.choice(words)} date:[{y}-{rnd.randint(1, 6):02d} to {y}-{rnd.randint(7, 12):02d}]")
        else:
            out.append(rnd.choice(ids))
    return out


def baseline(catalog: Path, workdir: Path) -> tuple[int, float]:
    """Index the same extracted texts with a minimal Whoosh writer: one writer, one commit."""
    import sqlite3  # a baseline is a program without dms: it reads the catalog file itself (tests/test_one_door.py)

    import whoosh.index
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.fields import ID, TEXT, Schema

    db = sqlite3.connect(catalog)
    rows = db.execute(
        "SELECT d.id, v.title, group_concat(p.text, char(10)) FROM documents d "
        "JOIN versions v ON v.id = d.current_version_id LEFT JOIN pages p ON p.version_id = v.id "
        "WHERE d.duplicate_of IS NULL GROUP BY d.id").fetchall()
    ixdir = workdir / "baseline-index"
    shutil.rmtree(ixdir, ignore_errors=True)
    ixdir.mkdir()
    schema = Schema(id=ID(stored=True, unique=True), title=TEXT(stored=True), body=TEXT(analyzer=StemmingAnalyzer()))
    started = time.monotonic()
    ix = whoosh.index.create_in(ixdir, schema)
    writer = ix.writer()
    for doc_id, title, body in rows:
        writer.add_document(id=str(doc_id), title=title or "", body=body or "")
    writer.commit()
    return len(rows), time.monotonic() - started


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--out", default=str(REPO / "bench" / "out"))
    ap.add_argument("--keep", action="store_true", help="keep the generated corpus and data directory")
    ap.add_argument("--corpus", help="use this corpus made by `dms sample generate` instead of generating one")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dms-bench-", dir=args.out if Path(args.out).is_dir() else None))
    scale = max(1, round(args.docs / FILES_PER_SCALE))
    corpus, home = work / "corpus", work / "home"
    py = sys.executable
    env = {**os.environ, "DMS_HOME": str(home)}

    t = time.monotonic()
    if args.corpus:
        corpus = Path(args.corpus)
    else:
        subprocess.run([py, "-m", "dms", "sample", "generate", str(corpus), "--scale", str(scale)], check=True,
                       stdout=subprocess.DEVNULL)
    gen_s = time.monotonic() - t
    truth = json.loads((corpus / ".dms-ground-truth.json").read_text())
    files = [p for p in corpus.rglob("*") if p.is_file() and not p.name.startswith(".")]
    mb = sum(p.stat().st_size for p in files) / 1e6
    ingest_s, ingest_rss, out = run_measured([py, "-m", "dms", "ingest", str(corpus), "--json"], env)
    ingest_cpu = dict(CPU)
    report = json.loads(out)
    docs = report["added"] + report["duplicates"] + report["attachments"]
    reingest_s, _, out = run_measured([py, "-m", "dms", "ingest", str(corpus), "--json"], env)
    assert json.loads(out)["unchanged"] == len(files)
    reindex_s, reindex_rss, _ = run_measured([py, "-m", "dms", "reindex", "--json"], env)
    verify_s, _, out = run_measured([py, "-m", "dms", "verify", "--json"], env)
    assert json.loads(out)["ok"]

    sys.path.insert(0, str(REPO))
    from dms.app import Dms
    from dms.config import load_settings
    from dms.index import search

    latencies, totals = [], []
    with Dms(load_settings(environ={}, home=home)) as app:
        qs = queries(truth)
        search(app.catalog, app.backend, app.matcher, qs[0])  # open the index once
        for q in qs:
            started = time.perf_counter()
            result = search(app.catalog, app.backend, app.matcher, q, limit=10)
            latencies.append((time.perf_counter() - started) * 1000)
            totals.append(result.total)
        index_bytes = app.backend.size_bytes()
    base_docs, base_s = baseline(home / "catalog.sqlite", work)

    q = statistics.quantiles(latencies, n=100)
    main_pid = min(ingest_cpu)  # the dms process started first, before its forkserver and workers
    main_cpu = ingest_cpu.get(main_pid, 0.0)
    worker_cpu = sum(v for k, v in ingest_cpu.items() if k != main_pid)
    cores = os.cpu_count() or 1
    figures = {
        "documents": docs, "files": len(files), "corpus_mb": round(mb, 1), "generate_s": round(gen_s, 1),
        "ingest_s": round(ingest_s, 1), "ingest_docs_per_s": round(docs / ingest_s, 1),
        "ingest_mb_per_s": round(mb / ingest_s, 2), "ingest_peak_rss_mb": round(ingest_rss / 2**20),
        "reingest_files_per_s": round(len(files) / reingest_s), "reindex_s": round(reindex_s, 1),
        "reindex_peak_rss_mb": round(reindex_rss / 2**20), "verify_s": round(verify_s, 1),
        "search_p50_ms": round(q[49], 1), "search_p95_ms": round(q[94], 1), "search_max_ms": round(max(latencies), 1),
        "queries_with_hits": sum(1 for t in totals if t), "index_mb": round(index_bytes / 2**20, 1),
        "baseline_docs": base_docs, "baseline_s": round(base_s, 1),
        "baseline_docs_per_s": round(base_docs / base_s, 1),
        "ingest_vs_baseline_ratio": round((docs / ingest_s) / (base_docs / base_s), 2),
        "reindex_vs_baseline_ratio": round((docs / reindex_s) / (base_docs / base_s), 2),
    }
    print(json.dumps(figures, indent=1))
    print(f"\ningest {figures['ingest_docs_per_s']} docs/s (extract+store+catalog+index) vs plain Whoosh "
          f"{figures['baseline_docs_per_s']} docs/s (index only): ratio {figures['ingest_vs_baseline_ratio']} "
          f"(target >= 0.6)")
    # With extraction costing worker_cpu however it is spread, the ratio cannot exceed this on these cores,
    # even if storing, cataloguing and indexing cost no more than the baseline's indexing.
    bound = (base_docs / base_s) and (docs / ((worker_cpu + base_s) / cores)) / (base_docs / base_s)
    print(f"ingest CPU: main process {main_cpu:.1f} s, extraction workers {worker_cpu:.1f} s over {ingest_s:.1f} s "
          f"on {cores} cores; with that extraction cost the ratio cannot exceed {bound:.2f} here")
    print(f"re-ingest {figures['reingest_files_per_s']} files/s (target >= 1000); reindex peak RSS "
          f"{figures['reindex_peak_rss_mb']} MB (target < 1024); search p95 {figures['search_p95_ms']} ms "
          f"(target < 150)")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
