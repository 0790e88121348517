"""Evidence figures: audit-chain verification, as-of search against plain search, bundle and retrospective time.

    .venv/bin/python bench/evidence.py --home DIR     # a data directory with a corpus ingested by this dms
    .venv/bin/python bench/evidence.py --corpus DIR   # ingest a corpus (dms sample generate) first

Measures, in one run:
- `audit.verify` over the whole log (one entry per ingested version and more): entries/s;
- the 200 queries of bench/ingest_search.py with `--as-of 2023-06-30`, p50/p95, against the same
  queries without it (baseline, as a ratio);
- a dispute bundle of everything tied to one product's first change request: seconds and MB/s;
- the retrospective of one product: seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(BENCH))

from ingest_search import queries  # noqa: E402

from dms import audit, bundles  # noqa: E402
from dms.app import Dms  # noqa: E402
from dms.config import load_settings  # noqa: E402
from dms.retro import render  # noqa: E402
from dms.search import search  # noqa: E402


def timed(fn):
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started


def pct(values: list[float], p: int) -> float:
    return round(statistics.quantiles(values, n=100)[p - 1], 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--home")
    ap.add_argument("--corpus")
    ap.add_argument("--as-of", dest="as_of", default="2023-06-30")
    args = ap.parse_args()
    if not args.home and not args.corpus:
        ap.error("give --home or --corpus")
    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="dms-evidence-")) / "home"
    if args.corpus:
        subprocess.run([sys.executable, "-m", "dms", "ingest", args.corpus], check=True, stdout=subprocess.DEVNULL,
                       env={**os.environ, "DMS_HOME": str(home), "PYTHONPATH": str(REPO)})
    truth_file = Path(args.corpus or REPO / "archive") / ".dms-ground-truth.json"
    qs = queries(json.loads(truth_file.read_text()))
    with Dms(load_settings(environ={}, home=home)) as app:
        documents = app.catalog.stats()["documents"]
        chain, verify_s = timed(lambda: audit.verify(app.catalog))
        search(app, qs[0])
        search(app, qs[0], as_of=args.as_of)  # the first as-of call computes the day's document set
        plain, dated = [], []
        for q in qs:
            plain.append(timed(lambda q=q: search(app, q, limit=10))[1] * 1000)
            dated.append(timed(lambda q=q: search(app, q, limit=10, as_of=args.as_of))[1] * 1000)
        from dms.asof import _memo, known_on

        _memo.clear()
        _, known_s = timed(lambda: known_on(app, args.as_of))
        first_cr = sorted(_cr_nodes(app))[0].split(":", 1)[1]
        out = Path(tempfile.mkdtemp()) / "bundle.zip"
        made, bundle_s = timed(lambda: bundles.create(app, out, "bench", trace=first_cr))
        bundle_mb = out.stat().st_size / 2**20
        product = sorted({p for f in json.loads(truth_file.read_text())["files"] for p in f["products"]})[0]
        _, retro_s = timed(lambda: render(app, product))
    figures = {
        "documents": documents, "audit_entries": chain["entries"], "audit_ok": chain["ok"],
        "audit_verify_s": round(verify_s, 2), "audit_entries_per_s": round(chain["entries"] / verify_s),
        "as_of_day_set_s": round(known_s, 2),
        "search_p50_ms": pct(plain, 50), "search_p95_ms": pct(plain, 95),
        "as_of_search_p50_ms": pct(dated, 50), "as_of_search_p95_ms": pct(dated, 95),
        "as_of_vs_plain_p95_ratio": round(pct(dated, 95) / pct(plain, 95), 2),
        "bundle_documents": made["documents"], "bundle_s": round(bundle_s, 2), "bundle_mb": round(bundle_mb, 1),
        "retro_product": product, "retro_s": round(retro_s, 2),
    }
    print(json.dumps(figures, indent=1))
    print(f"\nas-of search p95 {figures['as_of_search_p95_ms']} ms vs plain search p95 {figures['search_p95_ms']} ms: "
          f"ratio {figures['as_of_vs_plain_p95_ratio']}")
    print(f"audit verify: {figures['audit_entries']} entries in {figures['audit_verify_s']} s")


def _cr_nodes(app) -> list[str]:
    from dms.graph import graph_for

    return [n for n, a in graph_for(app).nodes(data=True) if a["kind"] == "change_request"]


if __name__ == "__main__":
    main()
