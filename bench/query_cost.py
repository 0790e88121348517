"""What a hostile query costs: 300 fuzzy words and 260 nested brackets, against a plain query in the same run.

    .venv/bin/python bench/query_cost.py [--home DIR] [--scale N] [--engines whoosh,tantivy] [--before]

DIR is a data directory with a corpus ingested; without it, `dms sample generate --scale N` (default 2,
about 340 documents) is written to a temporary directory and ingested. For each engine (its index is
rebuilt on first use), it times with the settings' defaults (the DMS_QUERY_* limits of today):
a plain 3-word query (the baseline, median of 5), the 300-fuzzy-word query (which must be refused or
answered within 2 s), the widest query the limits let through (DMS_QUERY_MAX_TERMS fuzzy words), and
260 nested brackets; then the 300-fuzzy-word query once more with only the term limit lifted (what the
expansion and time limits do on their own). With --before, the 300-fuzzy-word query also runs with every
limit lifted: the cost it had before the limits. Target: the hostile queries refused or answered under 2 s.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from dms.app import Dms  # noqa: E402
from dms.catalog import samples  # noqa: E402
from dms.config import load_settings  # noqa: E402
from dms.errors import QueryError  # noqa: E402
from dms.search import search  # noqa: E402

PLAIN = "lid hinge gasket"
UNBOUNDED = {"DMS_QUERY_MAX_TERMS": "1000", "DMS_QUERY_MAX_DEPTH": "50", "DMS_QUERY_MAX_EXPANSION": "1000000",
             "DMS_QUERY_MAX_EXPANSION_TOTAL": "100000000", "DMS_QUERY_TIMEOUT": "100000"}


def fuzzy_query(app: Dms, n: int) -> str:
    """n fuzzy words of the corpus's own short words (`hinge~ lid~ …`), as many as fit in 2,000 characters."""
    vocab: set[str] = set()
    for text in samples.page_texts(app.catalog, 5000):
        vocab.update(w.lower() for w in re.findall(r"\b[A-Za-z]{3,5}\b", text))
    words = sorted(vocab, key=lambda w: (len(w), w))
    out, length, i = [], 0, 0
    while len(out) < n and words:
        term = f"{words[i % len(words)]}~{'' if i < len(words) else 2}"
        if length + len(term) + 1 > 2000:
            break
        out.append(term)
        length += len(term) + 1
        i += 1
    return " ".join(out)


def timed(app: Dms, query: str) -> tuple[float, str]:
    started = time.perf_counter()
    try:
        result = search(app, query, limit=10)
        outcome = f"answered, {result.total} hit(s)"
    except QueryError as exc:
        outcome = "refused: " + str(exc).splitlines()[0]
    return time.perf_counter() - started, outcome


def run(home: Path, engine: str, before: bool) -> dict:
    env = {"DMS_SEARCH_ENGINE": engine}
    rows = {}
    with Dms(load_settings(environ=env, home=home)) as app:
        search(app, PLAIN)  # rebuilds the index for this engine if needed; warms the searcher
        plain = statistics.median(timed(app, PLAIN)[0] for _ in range(5))
        hostile = fuzzy_query(app, 300)
        widest = fuzzy_query(app, app.settings.query_max_terms)
        nested = "(" * 260 + "lid" + ")" * 260
        for name, query in (("300 fuzzy words", hostile), (f"{app.settings.query_max_terms} fuzzy words", widest),
                            ("260 nested brackets", nested)):
            rows[name] = timed(app, query)
    with Dms(load_settings(environ={**env, "DMS_QUERY_MAX_TERMS": "1000"}, home=home)) as app:
        search(app, PLAIN)  # the expansion and time limits alone, the term limit lifted
        rows["300 fuzzy words, DMS_QUERY_MAX_TERMS=1000"] = timed(app, hostile)
    if before:
        with Dms(load_settings(environ={**env, **UNBOUNDED}, home=home)) as app:
            search(app, PLAIN)
            rows["300 fuzzy words, no limits (before)"] = timed(app, hostile)
    print(f"\n{engine}: plain query {PLAIN!r}: {plain * 1000:.1f} ms (median of 5)")
    print(f"  300-fuzzy query: {hostile.count('~')} fuzzy words, {len(hostile)} characters")
    for name, (seconds, outcome) in rows.items():
        print(f"  {name:44} {seconds:8.3f} s  {seconds / plain:9.1f}x plain   {outcome}")
    worst = max(rows["300 fuzzy words"][0], rows["260 nested brackets"][0])
    print(f"  target: on today's limits, the hostile queries refused or answered under 2 s: "
          f"{'met' if worst < 2 else 'NOT met'} (slowest {worst:.3f} s)")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--home", help="a data directory with a corpus ingested (default: a new sample archive)")
    ap.add_argument("--scale", type=int, default=2, help="sample archive scale when no --home is given")
    ap.add_argument("--engines", default="whoosh,tantivy")
    ap.add_argument("--before", action="store_true", help="also run the 300-fuzzy query with no limits")
    args = ap.parse_args()
    if args.home:
        home = Path(args.home)
    else:
        tmp = Path(tempfile.mkdtemp(prefix="dms-query-cost-"))
        home, corpus = tmp / "home", tmp / "corpus"
        env = {**os.environ, "DMS_HOME": str(home), "PYTHONPATH": str(REPO)}
        dms = [sys.executable, "-m", "dms"]
        print(f"writing and ingesting a sample archive (scale {args.scale}) in {tmp} …")
        subprocess.run([*dms, "sample", "generate", "--scale", str(args.scale), str(corpus)], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([*dms, "ingest", str(corpus)], env=env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    with Dms(load_settings(environ={}, home=home)) as app:
        docs = samples.document_total(app.catalog)
    print(f"{docs} documents in {home}")
    for engine in args.engines.split(","):
        run(home, engine.strip(), args.before)


if __name__ == "__main__":
    main()
