"""`dms rederive` at scale: time and peak RSS, with the ingest of the same documents in the same run as baseline.

    .venv/bin/python bench/rederive.py --docs 20000 [--corpus DIR] [--home DIR] [--keep]

Generates a sample archive of about N documents (`dms sample generate`, about 170 per scale step) unless
--corpus names one, ingests it with the real `dms ingest` into an empty data directory (OCR off: rederive
reads stored text, so scans only cost the baseline time), then writes a rules.toml that changes what the
rules derive (a product alias, another number label) and runs `dms rederive` twice: the first run changes
documents (writes, post-pass, reindex of what changed), the second finds nothing to change (the pure cost
of deriving every document again). Peak RSS is that of the whole process tree. With --home naming a data
directory that already holds the corpus, the ingest is skipped (and the ratio to it is not given).
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

from ingest_search import run_measured  # noqa: E402

RULES = """
[numbers]
labels = ["Document No", "Document Number", "Document ID", "Doc No", "Doc", "Number", "Reference", "Ref",
          "Change Request", "Contract No", "Complaint No", "Report No", "Order No"]
from_file_name = true

[products]
pattern = '\\b[A-Z]{2}\\d{3}\\b'
exclude = ["ISO900", "EN606"]
[products.aliases]
"kettle" = "KX100"
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=20000, help="about this many documents (when generating)")
    ap.add_argument("--corpus", type=Path, help="a tree made by `dms sample generate` (default: generate one)")
    ap.add_argument("--home", type=Path, help="data directory (reused when it already holds the corpus)")
    ap.add_argument("--keep", action="store_true", help="keep the generated corpus and data directory")
    args = ap.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="dms-rederive-"))
    py = sys.executable
    env = {**os.environ, "PYTHONPATH": str(REPO), "DMS_OCR": "0", "DMS_USER": "bench"}
    try:
        corpus = args.corpus
        if corpus is None:
            corpus = scratch / "corpus"
            scale = max(1, math.ceil(args.docs / 170))
            run_measured([py, "-m", "dms", "sample", "generate", str(corpus), "--scale", str(scale), "--json"], env)
        home = args.home or scratch / "home"
        env["DMS_HOME"] = str(home)
        figures: dict = {}
        if not (home / "catalog.sqlite").exists():
            ingest_s, ingest_rss, out = run_measured([py, "-m", "dms", "ingest", str(corpus), "--json"], env)
            report = json.loads(out)
            figures.update(ingest_s=round(ingest_s, 1), ingest_peak_rss_mb=round(ingest_rss / 2**20),
                           ingested=report["added"] + report["duplicates"] + report["attachments"])
        (home / "rules.toml").write_text(RULES, encoding="utf-8")
        first_s, first_rss, out = run_measured([py, "-m", "dms", "rederive", "--json"], env)
        first = json.loads(out)
        second_s, second_rss, out = run_measured([py, "-m", "dms", "rederive", "--json"], env)
        second = json.loads(out)
        docs = first["documents"]
        figures.update(
            documents=docs, changed=first["changed"], fields_changed=first["fields"],
            rederive_s=round(first_s, 1), rederive_docs_per_s=round(docs / first_s, 1),
            rederive_peak_rss_mb=round(first_rss / 2**20),
            rederive_unchanged_s=round(second_s, 1), rederive_unchanged_peak_rss_mb=round(second_rss / 2**20),
            second_run_changed=second["changed"])
        if "ingest_s" in figures:
            figures["rederive_vs_ingest_time"] = round(first_s / figures["ingest_s"], 3)
        print(json.dumps(figures, indent=1))
        ratio = f" = {figures['rederive_vs_ingest_time']} x the ingest's {figures['ingest_s']} s" \
            if "ingest_s" in figures else ""
        print(f"\nrederive of {docs} documents: {figures['rederive_s']} s{ratio}, peak RSS "
              f"{figures['rederive_peak_rss_mb']} MB; {first['changed']} changed; again with nothing to change: "
              f"{figures['rederive_unchanged_s']} s")
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            print(f"kept {scratch}", file=sys.stderr)


if __name__ == "__main__":
    main()
