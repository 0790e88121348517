"""One engine at scale: from nothing to searchable, then search.

    .venv/bin/python bench/scale.py --corpus DIR [--engine tantivy] [--home DIR]

DIR is a corpus from `dms sample generate --scale N` (640 gives about 100k documents). Measures
`dms ingest` into an empty data directory (wall time, documents/s, CPU of the main process and of
the extraction workers, peak RSS), then the 200 queries of bench/ingest_search.py with snippets and
facets (p50/p95), and the index size. The baseline is `dms reindex` on the same catalog: the engine
indexing the already-extracted texts, so the ratio shows what extraction and cataloguing add.
Targets for Tantivy at 100k documents: searchable in under 15 minutes, search p95 under 20 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(BENCH))

from ingest_search import CPU, queries, run_measured  # noqa: E402

from dms.app import Dms  # noqa: E402
from dms.config import load_settings  # noqa: E402
from dms.search import search  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--engine", default="tantivy")
    ap.add_argument("--home", help="an empty data directory (default: a new temporary one)")
    ap.add_argument("--search-only", action="store_true",
                    help="HOME/home already holds the ingested corpus: measure the searches only (3 runs)")
    args = ap.parse_args()
    home = Path(args.home or tempfile.mkdtemp(prefix="dms-scale-")) / "home"
    if args.search_only:
        return search_only(home, args)
    env = {**os.environ, "DMS_HOME": str(home), "DMS_SEARCH_ENGINE": args.engine, "PYTHONPATH": str(REPO)}
    ingest_s, ingest_rss, out = run_measured([sys.executable, "-m", "dms", "ingest", args.corpus, "--json"], env)
    cpu = dict(CPU)
    report = json.loads(out)
    docs = report["added"] + report["duplicates"] + report["attachments"]
    reindex_s, reindex_rss, _ = run_measured([sys.executable, "-m", "dms", "reindex", "--json"], env)
    qs = queries(json.loads((Path(args.corpus) / ".dms-ground-truth.json").read_text()))
    latencies, totals = [], []
    with Dms(load_settings(environ={"DMS_SEARCH_ENGINE": args.engine}, home=home)) as app:
        search(app, qs[0])
        for q in qs:
            started = time.perf_counter()
            totals.append(search(app, q, limit=10).total)
            latencies.append((time.perf_counter() - started) * 1000)
        size = app.backend.size_bytes()
    cut = statistics.quantiles(latencies, n=100)
    main_pid = min(cpu)
    figures = {
        "engine": args.engine, "documents": docs, "ingest_s": round(ingest_s, 1),
        "ingest_minutes": round(ingest_s / 60, 1),
        "ingest_docs_per_s": round(docs / ingest_s, 1), "ingest_peak_rss_mb": round(ingest_rss / 2**20),
        "cpu_main_s": round(cpu.get(main_pid, 0.0), 1),
        "cpu_extraction_workers_s": round(sum(v for k, v in cpu.items() if k != main_pid), 1),
        "reindex_s": round(reindex_s, 1), "reindex_docs_per_s": round(docs / reindex_s, 1),
        "reindex_peak_rss_mb": round(reindex_rss / 2**20),
        "ingest_vs_reindex_ratio": round((docs / ingest_s) / (docs / reindex_s), 3),
        "search_p50_ms": round(cut[49], 2), "search_p95_ms": round(cut[94], 2),
        "queries_with_hits": sum(1 for t in totals if t), "index_mb": round(size / 2**20, 1),
    }
    print(json.dumps(figures, indent=1))
    print(f"\n{docs} documents searchable in {figures['ingest_minutes']} min (target < 15 min); search p95 "
          f"{figures['search_p95_ms']} ms (target < 20 ms); ingest {figures['ingest_docs_per_s']} docs/s vs "
          f"reindex {figures['reindex_docs_per_s']} docs/s: ratio {figures['ingest_vs_reindex_ratio']}")


def search_only(home: Path, args) -> None:
    from dms.index.query import parse

    qs = queries(json.loads((Path(args.corpus) / ".dms-ground-truth.json").read_text()))
    with Dms(load_settings(environ={"DMS_SEARCH_ENGINE": args.engine}, home=home)) as app:
        documents = app.catalog.stats()["documents"]
        search(app, qs[0])
        for run in range(1, 4):
            latencies = []
            for q in qs:
                started = time.perf_counter()
                search(app, q, limit=10)
                latencies.append((time.perf_counter() - started) * 1000)
            raw = []  # baseline: the engine alone, no snippets, no facets
            for q in qs:
                tree = parse(q, app.matcher)
                started = time.perf_counter()
                app.backend.search(tree, limit=10, offset=0, sort="relevance", facets=False)
                raw.append((time.perf_counter() - started) * 1000)
            cut, base = statistics.quantiles(latencies, n=100), statistics.quantiles(raw, n=100)
            print(f"{args.engine}, {documents} documents, run {run}: search with snippets and facets p50 "
                  f"{cut[49]:.2f} ms, p95 {cut[94]:.2f} ms (target < 20 ms); engine alone p95 {base[94]:.2f} ms: "
                  f"ratio {cut[94] / base[94]:.2f}")


if __name__ == "__main__":
    main()
