"""Both search engines on one corpus: parity of results, and speed.

    .venv/bin/python bench/engines.py --home DIR [--engines whoosh,tantivy] [--corpus DIR]

DIR is a data directory with a corpus ingested (either engine). For each engine the index is rebuilt
from the catalog (`reindex`: seconds and peak RSS of the process tree), then the 200 queries of
bench/ingest_search.py (plus 40 boolean ones) run with snippets and facets (p50/p95), and the index
size is read. Parity: boolean queries (fielded filters, NOT, date ranges, phrases, identifiers,
prefix/fuzzy) must give identical result sets; ranked queries must share at least 8 of their top 10.
Differences are listed. The Whoosh figures are the baseline of the Tantivy ones (as ratios).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(BENCH))

from ingest_search import queries, run_measured  # noqa: E402

from dms.app import Dms  # noqa: E402
from dms.config import load_settings  # noqa: E402
from dms.search import matching_ids, search  # noqa: E402


def boolean_queries(truth: dict, n: int = 40) -> list[str]:
    rnd = random.Random(3)
    products = sorted({p for f in truth["files"] for p in f["products"]})
    words = ["hinge", "gasket", "filter", "supplier", "returns", "noise", "torque", "inspection", "voltage"]
    out = []
    for i in range(n):
        w1, w2 = rnd.sample(words, 2)
        out.append([f"{w1} NOT {w2}", f"({w1} OR {w2}) type:minutes", f"{w1} product:{rnd.choice(products)} year:2023",
                    f'"{w1}" date:[2022-06 to 2023-06]'][i % 4])
    return out


def run(home: Path, engine: str, qs: list[str]) -> dict:
    env = {**os.environ, "DMS_HOME": str(home), "DMS_SEARCH_ENGINE": engine, "PYTHONPATH": str(REPO)}
    reindex_s, reindex_rss, _ = run_measured([sys.executable, "-m", "dms", "reindex", "--json"], env)
    results, latencies = {}, []
    with Dms(load_settings(environ={"DMS_SEARCH_ENGINE": engine}, home=home)) as app:
        search(app, qs[0])
        for q in qs:
            started = time.perf_counter()
            r = search(app, q, limit=10)
            latencies.append((time.perf_counter() - started) * 1000)
            every = matching_ids(app, q) if r.total else set()
            results[q] = {"total": r.total, "top": [h.id for h in r.hits], "all": every}
        size = app.backend.size_bytes()
    cut = statistics.quantiles(latencies, n=100)
    return {"reindex_s": round(reindex_s, 1), "reindex_peak_rss_mb": round(reindex_rss / 2**20),
            "search_p50_ms": round(cut[49], 2), "search_p95_ms": round(cut[94], 2), "index_mb": round(size / 2**20, 1),
            "results": results}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--home", required=True)
    ap.add_argument("--corpus", help="the corpus's folder, for its ground truth (default: archive/)")
    args = ap.parse_args()
    home = Path(args.home)
    truth = json.loads((Path(args.corpus or REPO / "archive") / ".dms-ground-truth.json").read_text())
    ranked, boolean = queries(truth), boolean_queries(truth)
    qs = ranked + boolean
    with Dms(load_settings(environ={}, home=home)) as app:
        documents = app.catalog.stats()["documents"]
    figures = {name: run(home, name, qs) for name in ("whoosh", "tantivy")}
    w, t = figures["whoosh"]["results"], figures["tantivy"]["results"]
    same_sets = [q for q in qs if w[q]["all"] == t[q]["all"]]
    overlaps = {q: len(set(w[q]["top"]) & set(t[q]["top"])) / max(1, min(10, len(w[q]["top"]))) for q in qs
                if w[q]["top"] or t[q]["top"]}
    differences = [{"query": q, "whoosh": w[q]["total"], "tantivy": t[q]["total"],
                    "only_whoosh": sorted(w[q]["all"] - t[q]["all"])[:5],
                    "only_tantivy": sorted(t[q]["all"] - w[q]["all"])[:5]} for q in qs if q not in same_sets]
    low = sorted(((round(v, 2), q) for q, v in overlaps.items() if v < 0.8))
    summary = {
        "documents": documents,
        "queries": len(qs), "identical_result_sets": len(same_sets),
        "boolean_identical": sum(1 for q in boolean if q in same_sets), "boolean_queries": len(boolean),
        "mean_top10_overlap": round(statistics.mean(overlaps.values()), 3), "queries_below_0.8_overlap": len(low),
        **{f"{e}_{k}": v for e in figures for k, v in figures[e].items() if k != "results"},
    }
    summary["tantivy_vs_whoosh_search_p95_ratio"] = round(summary["tantivy_search_p95_ms"] /
                                                          summary["whoosh_search_p95_ms"], 3)
    summary["tantivy_vs_whoosh_reindex_ratio"] = round(summary["tantivy_reindex_s"] / summary["whoosh_reindex_s"], 3)
    print(json.dumps(summary, indent=1))
    print("\nresult sets that differ:", json.dumps(differences[:20], indent=1) if differences else "none")
    print("queries with top-10 overlap below 0.8:", low[:20] if low else "none")


if __name__ == "__main__":
    main()
