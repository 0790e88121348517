"""Whole questions typed as-is: nDCG@10 of dms search against plain BM25 of the same words, in the same run.

    .venv/bin/python bench/questions.py [--corpora DIR] [--work DIR] [--engines whoosh,tantivy]

DIR holds the classic test collections (default ../shared/corpora/ir: cranfield, medline), each a docs.jsonl,
a queries.jsonl and graded judgements in qrels.tsv (query, document, grade; grade > 0 is relevant). Each
collection's documents are written as text files and ingested by the real pipeline into a data directory
under --work (kept: a second run reuses it); each engine then indexes it from the catalog.

Every query text is searched exactly as written (full stops, commas, brackets, question marks and all) the
way people search: `dms.search.search` (forgiving reading, ranked many-word queries). The baseline is the engine's own
BM25 over the OR of the same words (every word of the text, stop words too), the usual "bag of words" run.
Reported per collection and engine: judged queries, nDCG@10 of both and their ratio (target >= 0.95), queries
that failed (an error: target 0), how many a strict reading of the query language would have refused, how many
got a notice, how many were ranked, and search p50/p95 in ms.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from dms.app import Dms  # noqa: E402
from dms.config import load_settings  # noqa: E402
from dms.errors import DmsError, QueryError  # noqa: E402
from dms.index import query as q  # noqa: E402
from dms.ingest.pipeline import ingest  # noqa: E402
from dms.search import search  # noqa: E402

CORPORA = REPO.parent / "shared" / "corpora" / "ir"
K = 10


def load(folder: Path) -> tuple[list[dict], list[dict], dict[str, dict[str, int]]]:
    docs = [json.loads(line) for line in (folder / "docs.jsonl").open()]
    queries = [json.loads(line) for line in (folder / "queries.jsonl").open()]
    qrels: dict[str, dict[str, int]] = {}
    for line in (folder / "qrels.tsv").open():
        qid, did, grade = line.split()[:3]
        qrels.setdefault(qid, {})[did] = int(grade)
    return docs, queries, qrels


def ndcg(ranked: list[str], judged: dict[str, int], k: int = K) -> float:
    gain = sum((2 ** judged.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted((g for g in judged.values() if g > 0), reverse=True)[:k]
    best = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return gain / best if best else 0.0


def prepare(name: str, docs: list[dict], work: Path) -> Path:
    """A data directory with the collection ingested (reused when it already holds every document)."""
    home = work / name / "home"
    done = work / name / "ingested"  # identical texts are one document: the catalog may hold fewer
    if done.is_file():
        return home
    with Dms(load_settings(environ={}, home=home)) as app:
        inbox = work / name / "inbox"
        inbox.mkdir(parents=True, exist_ok=True)
        for d in docs:
            title = (d.get("title") or "").strip()
            text = d["text"] if not title or d["text"].startswith(title) else f"{title}\n\n{d['text']}"
            (inbox / f"{d['id']}.txt").write_text(text)
        started = time.perf_counter()
        ingest(app, [inbox], inline=True)
        print(f"  {name}: ingested {len(docs)} documents in {time.perf_counter() - started:.0f} s", flush=True)
    done.write_text("ok")
    return home


def corpus_id(path: str) -> str:
    return Path(path).stem


def bm25_words(app: Dms, text: str) -> list[str]:
    """The baseline: the OR of every word of the text, ranked by the engine's own BM25."""
    words = re.findall(r"\w+", text)
    tree = q.Or(tuple(q.Word(w) for w in words)) if len(words) > 1 else q.Word(words[0])
    result = app.backend.search(tree, limit=K, offset=0, sort="relevance", facets=False)
    paths = {h.doc_id: h.path for h in result.hits}
    return [corpus_id(paths[h.doc_id]) for h in result.hits]


def run(name: str, home: Path, engine: str, queries: list[dict], qrels: dict[str, dict[str, int]]) -> dict:
    figures = {"queries": 0, "ours": [], "bm25": [], "failed": [], "strict_refused": 0, "notices": 0, "ranked": 0,
               "ms": []}
    with Dms(load_settings(environ={"DMS_SEARCH_ENGINE": engine}, home=home)) as app:
        app.ensure_index()
        search(app, "warm up")
        for query in queries:
            judged = qrels.get(query["id"], {})
            if not any(g > 0 for g in judged.values()):
                continue
            text = query["text"]
            figures["queries"] += 1
            try:
                search(app, text, limit=1, snippets=False, forgiving=False)
            except QueryError:
                figures["strict_refused"] += 1
            started = time.perf_counter()
            try:
                results = search(app, text, limit=K, snippets=False)
            except DmsError as exc:
                figures["failed"].append((query["id"], str(exc).splitlines()[0]))
                figures["ours"].append(0.0)
            else:
                figures["ms"].append((time.perf_counter() - started) * 1000)
                figures["notices"] += results.notice is not None
                figures["ranked"] += bool(results.ranked)
                figures["ours"].append(ndcg([corpus_id(h.path) for h in results.hits], judged))
            figures["bm25"].append(ndcg(bm25_words(app, text), judged))
    return figures


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpora", default=str(CORPORA))
    ap.add_argument("--work", help="where the data directories are kept (default: a temporary directory)")
    ap.add_argument("--engines", default="whoosh,tantivy")
    args = ap.parse_args()
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="dms-questions-"))
    failed_any, worst = False, math.inf
    print(f"{'collection':10} {'engine':8} {'queries':>7} {'nDCG@10':>8} {'BM25 OR':>8} {'ratio':>6} {'failed':>6} "
          f"{'strict refused':>14} {'notice':>6} {'ranked':>6} {'p50 ms':>7} {'p95 ms':>7}")
    for folder in sorted(p for p in Path(args.corpora).iterdir() if (p / "qrels.tsv").is_file()):
        docs, queries, qrels = load(folder)
        home = prepare(folder.name, docs, work)
        for engine in args.engines.split(","):
            f = run(folder.name, home, engine, queries, qrels)
            ours, base = statistics.fmean(f["ours"]), statistics.fmean(f["bm25"])
            ratio = ours / base if base else math.inf
            worst = min(worst, ratio)
            cut = statistics.quantiles(f["ms"], n=100) if len(f["ms"]) > 1 else [0.0] * 99
            print(f"{folder.name:10} {engine:8} {f['queries']:7d} {ours:8.4f} {base:8.4f} {ratio:6.3f} "
                  f"{len(f['failed']):6d} {f['strict_refused']:14d} {f['notices']:6d} {f['ranked']:6d} "
                  f"{cut[49]:7.1f} {cut[94]:7.1f}", flush=True)
            for qid, message in f["failed"]:
                failed_any = True
                print(f"    query {qid} failed: {message}")
    print(f"worst ratio {worst:.3f} (target >= 0.95); failed queries: {'some' if failed_any else 'none'}")
    sys.exit(1 if failed_any or worst < 0.95 else 0)


if __name__ == "__main__":
    main()
