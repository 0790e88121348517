"""Ingest and search on the two catalogs in one run: SQLite (the baseline) against PostgreSQL.

    .venv/bin/python bench/catalog_dialects.py --corpus /tmp/corpus4 [--rounds 2] [--queries 200]

The same corpus (made by `dms sample generate DIR --scale N`) is ingested by the real `dms ingest` into a fresh
data directory with its catalog in SQLite, and into another with DMS_DATABASE_URL naming a database on a
throwaway PostgreSQL cluster (tests/pg.py: a free port, a unix socket, durability off as in the tests; a
production server with fsync on is slower to commit). Rounds alternate the order. Then the same queries
(bench/ingest_search.py's mix: words, phrases, fielded, date ranges, identifiers) run through the library's
search door on each, with snippets and facets, and p50/p95 are printed, each PostgreSQL figure with its ratio to
SQLite's. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench"), str(REPO / "tests")]

import pg  # noqa: E402 - the tests' throwaway cluster
from ingest_search import queries, run_measured  # noqa: E402


def ingest(corpus: Path, home: Path, url: str | None) -> dict:
    env = {**os.environ, "DMS_HOME": str(home)}
    env.pop("DMS_DATABASE_URL", None)
    if url:
        env["DMS_DATABASE_URL"] = url
    seconds, rss, out = run_measured([sys.executable, "-m", "dms", "ingest", str(corpus), "--json"], env)
    report = json.loads(out)
    docs = report["added"] + report["duplicates"] + report["attachments"]
    return {"seconds": seconds, "docs": docs, "rss_mb": rss / 2**20}


def search_latencies(home: Path, url: str | None, qs: list[str]) -> tuple[list[float], list[int]]:
    from dms.app import Dms
    from dms.config import load_settings
    from dms.search import search

    environ = {"DMS_DATABASE_URL": url} if url else {}
    latencies, totals = [], []
    with Dms(load_settings(environ=environ, home=home)) as app:
        search(app, qs[0])  # open the index once
        for q in qs:
            started = time.perf_counter()
            result = search(app, q, limit=10)
            latencies.append((time.perf_counter() - started) * 1000)
            totals.append(result.total)
    return latencies, totals


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True, help="a folder made by `dms sample generate`")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    corpus = Path(args.corpus)
    truth = json.loads((corpus / ".dms-ground-truth.json").read_text())
    qs = queries(truth, args.queries)
    cluster = pg.start_cluster()
    work = Path(tempfile.mkdtemp(prefix="dms-dialects-"))
    ingests: dict[str, list[dict]] = {"sqlite": [], "postgresql": []}
    homes: dict[str, tuple[Path, str | None]] = {}
    try:
        for r in range(args.rounds):
            order = ["sqlite", "postgresql"] if r % 2 == 0 else ["postgresql", "sqlite"]
            for kind in order:
                home = work / f"{kind}-{r}"
                url = cluster.new_database() if kind == "postgresql" else None
                ingests[kind].append(ingest(corpus, home, url))
                homes[kind] = (home, url)
                print(f"round {r + 1} {kind}: {ingests[kind][-1]}", file=sys.stderr)
        lat = {kind: search_latencies(*homes[kind], qs) for kind in ("sqlite", "postgresql")}
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)

    def med(kind: str, key: str) -> float:
        return statistics.median(x[key] for x in ingests[kind])

    if lat["sqlite"][1] != lat["postgresql"][1]:
        print("WARNING: the two catalogs gave different hit counts for some queries", file=sys.stderr)
    out = {}
    for kind in ("sqlite", "postgresql"):
        q = statistics.quantiles(lat[kind][0], n=100)
        out[kind] = {"documents": ingests[kind][0]["docs"], "ingest_s": round(med(kind, "seconds"), 1),
                     "ingest_docs_per_s": round(ingests[kind][0]["docs"] / med(kind, "seconds"), 1),
                     "ingest_peak_rss_mb": round(med(kind, "rss_mb")), "search_p50_ms": round(q[49], 1),
                     "search_p95_ms": round(q[94], 1)}
    print(json.dumps(out, indent=1))
    s, p = out["sqlite"], out["postgresql"]
    print(f"\ningest: SQLite {s['ingest_docs_per_s']} docs/s (baseline), PostgreSQL {p['ingest_docs_per_s']} docs/s: "
          f"ratio {p['ingest_docs_per_s'] / s['ingest_docs_per_s']:.2f}")
    print(f"search p95: SQLite {s['search_p95_ms']} ms (baseline), PostgreSQL {p['search_p95_ms']} ms: "
          f"ratio {p['search_p95_ms'] / s['search_p95_ms']:.2f}; p50 {s['search_p50_ms']} / {p['search_p50_ms']} ms")
    print(f"same hit counts on both: {lat['sqlite'][1] == lat['postgresql'][1]}")


if __name__ == "__main__":
    main()
