"""Graph build and trace figures at scale, with a plain networkx BFS as the baseline.

    .venv/bin/python bench/graph_trace.py --docs 100000 --refs 10

Writes a synthetic catalog of N documents straight into SQLite (ingesting 100k files takes too
long here): change requests, minutes that decide them, specifications with revisions, complaints
and reports over a few hundred products, each citing about --refs identifiers (1M links at 100k).
Then measures, with the real code: graph build time and peak memory (dms.graph.build_graph, the in-memory
networkx graph), the first derivation of the link rows (dms.graph.sync), and `trace` p50/p95 over 200
random roots (change requests, products,
documents), against `networkx.bfs_edges` to the same depth from the same roots. Not a test.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import networkx as nx
import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from dms.app import Dms  # noqa: E402
from dms.catalog import samples  # noqa: E402
from dms.config import load_settings  # noqa: E402
from dms.graph import build_graph, node_for, trace  # noqa: E402
from dms.graph.sync import sync  # noqa: E402


def synthesize(app: Dms, docs: int, refs_per_doc: int, seed: int = 7) -> dict:
    rnd = random.Random(seed)
    codes = [f"{a}{b}{n}" for a in "BCDFGHJKLM" for b in "NPRSTVWXYZ" for n in range(100, 103)]
    products = codes[: max(30, docs // 300)]
    crs = [f"CR-{2015 + i % 10}-{i // 10 + 1:03d}" for i in range(max(50, docs // 20))]
    specs = [f"SPEC-{p}-{k:02d}" for p in products for k in (1, 2, 3)]
    meetings = [f"MTG-{2015 + i % 10}-{1 + i // 28 % 12:02d}-{1 + i % 28:02d}" for i in range(max(30, docs // 25))]
    pool = crs + specs + meetings
    parties = ["Helix Components", "Brightwater Retail", "Casa Nova Stores", "Polaris Plastics",
               "Kessler Thermotechnik"]
    rows_docs, rows_versions, rows_refs, rows_pages = [], [], [], []
    for i in range(1, docs + 1):
        kind = rnd.choices(["change request", "minutes", "specification", "complaint", "report"], [5, 4, 3, 4, 4])[0]
        product = rnd.choice(products)
        number = revision = None
        text = f"Document {i} about {product}."
        if kind == "change request":
            number = crs[i % len(crs)]
        elif kind == "minutes":
            number = meetings[i % len(meetings)]
            text = f"{rnd.choice(crs)} was presented. Decision: approved.\n" + text
        elif kind == "specification":
            number, revision = rnd.choice(specs), rnd.choice("ABC")
            text = f"Revision {revision} implements change request {rnd.choice(crs)}.\n" + text
        date = f"{rnd.randint(2015, 2024)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
        rows_docs.append((i, f"/synthetic/{kind}/{i}.txt", f"{i}.txt", i, "2026-01-01"))
        rows_versions.append((i, i, 1, f"{i:064x}", 100, 0, "2026-01-01", "ok", "text", "text", f"{kind} {i}", kind,
                              date, number, revision, json.dumps([product]), json.dumps(rnd.sample(parties, 2))))
        rows_pages.append((i, 1, text))
        for k in range(refs_per_doc):
            cited = rnd.choice(pool)
            family = ("change_request" if cited.startswith("CR") else "meeting" if cited.startswith("MTG")
                      else "specification")
            offset = 0 if k == 0 and kind in ("minutes", "specification") else 40 + k
            rows_refs.append((i, family, cited, None, 1, offset, f"… {cited} …"))
    samples.load_synthetic(app.catalog, rows_docs, rows_versions, rows_pages, rows_refs)
    return {"products": products, "crs": crs}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--refs", type=int, default=10)
    ap.add_argument("--depth", type=int, default=2)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dms-graph-bench-"))
    try:
        with Dms(load_settings(environ={}, home=work / "home")) as app:
            t = time.monotonic()
            pools = synthesize(app, args.docs, args.refs)
            synth_s = time.monotonic() - t
            gc.collect()
            rss0 = psutil.Process().memory_info().rss
            t = time.monotonic()
            g = build_graph(app.catalog, app.matcher)
            build_s = time.monotonic() - t
            graph_mb = (psutil.Process().memory_info().rss - rss0) / 2**20
            t = time.monotonic()
            sync(app)  # the link rows, derived from scratch (an archive's first sync)
            rows_s = time.monotonic() - t
            rnd = random.Random(11)
            roots = []
            for k in range(200):
                pick = k % 3
                ref = rnd.choice(pools["crs"]) if pick == 0 else rnd.choice(pools["products"]) if pick == 1 \
                    else str(rnd.randint(1, args.docs))
                roots.append(node_for(app, g, ref))
            ours, plain, found = [], [], []
            undirected = g.to_undirected(as_view=True)
            for root in roots:
                t = time.perf_counter()
                result = trace(g, root, depth=args.depth, limit=50)
                ours.append((time.perf_counter() - t) * 1000)
                found.append(result.total)
                t = time.perf_counter()
                sum(1 for _ in nx.bfs_edges(undirected, root, depth_limit=args.depth))
                plain.append((time.perf_counter() - t) * 1000)
        q_ours, q_plain = statistics.quantiles(ours, n=100), statistics.quantiles(plain, n=100)
        figures = {
            "documents": args.docs, "nodes": g.number_of_nodes(), "links": g.number_of_edges(),
            "synthesize_s": round(synth_s, 1), "build_s": round(build_s, 1), "graph_rss_mb": round(graph_mb),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "link_rows_first_sync_s": round(rows_s, 1),
            "trace_p50_ms": round(q_ours[49], 2), "trace_p95_ms": round(q_ours[94], 2),
            "bfs_p50_ms": round(q_plain[49], 2), "bfs_p95_ms": round(q_plain[94], 2),
            "trace_vs_bfs_p95_ratio": round(q_ours[94] / q_plain[94], 2),
            "median_documents_per_trace": statistics.median(found),
        }
        print(json.dumps(figures, indent=1))
        print(f"\nbuild {figures['build_s']} s (target < 30 s); "
              f"trace p95 {figures['trace_p95_ms']} ms (target < 50 ms) "
              f"vs plain networkx BFS p95 {figures['bfs_p95_ms']} ms: ratio {figures['trace_vs_bfs_p95_ratio']}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
