"""OCR figures: pages/s on this machine's cores with worker processes, how much of the text comes back,
and proof that born-digital files pay nothing for OCR being enabled.

    .venv/bin/python bench/ocr.py [--pages 48] [--scale 4] [--corpus ../shared/corpora/ir/cranfield/docs.jsonl]

Measures, in one run:
- OCR throughput: PAGES scanned pages (image-only PDFs of 4 pages, text from a real corpus drawn at 150 dpi),
  ingested with DMS_WORKERS=2, against the same pages with one worker (baseline, as a ratio);
- word recall: the share of each page's words (4+ letters) that OCR gave back;
- born-digital ingest: the sample archive at --scale, ingested with OCR enabled and with DMS_OCR=0
  (baseline), twice each, alternating; files/s and the ratio. Pages marked for OCR must be 0.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO / "tests"))

from writers_scan import write_image_pdf  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "corpora" / "ir" / "cranfield" / "docs.jsonl"
FALLBACK = ("The lid hinge of the kettle was changed after the returns report showed cracked hinges in the first "
            "batch. The supplier agreed to replace the tooling and to inspect every lid before shipping. ") * 3


def dms(home: Path, *args: str, **env: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "dms", *args, "--json"], check=True, capture_output=True, text=True,
                         env={**os.environ, "DMS_HOME": str(home), "PYTHONPATH": str(REPO), **env})
    return json.loads(out.stdout)


def page_texts(corpus: Path, count: int) -> list[list[str]]:
    texts = []
    if corpus.is_file():
        with open(corpus) as fh:
            for line in fh:
                doc = json.loads(line)
                if len(doc.get("text", "")) > 400:
                    texts.append(doc["text"][:900])
                if len(texts) == count:
                    break
    while len(texts) < count:
        texts.append(FALLBACK)
    return [textwrap.wrap(t, 58)[:18] for t in texts]


def recall(expected: list[str], got: str) -> float:
    words = lambda s: [w.lower() for w in re.findall(r"[A-Za-z]{4,}", s)]  # noqa: E731
    want, have = words(" ".join(expected)), set(words(got))
    return sum(w in have for w in want) / len(want) if want else 1.0


def ocr_run(folder: Path, workers: int) -> tuple[dict, Path]:
    home = Path(tempfile.mkdtemp(prefix="dms-ocr-")) / "home"
    report = dms(home, "ingest", str(folder), DMS_WORKERS=str(workers))
    return report["ocr"], home


def born_digital(corpus: Path, enabled: bool) -> tuple[float, dict]:
    home = Path(tempfile.mkdtemp(prefix="dms-digital-")) / "home"
    report = dms(home, "ingest", str(corpus), DMS_WORKERS="2", DMS_OCR="1" if enabled else "0")
    files = report["added"] + report["duplicates"] + report["updated"]
    shutil.rmtree(home.parent)
    return files / report["seconds"], report


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=48)
    ap.add_argument("--scale", type=int, default=4)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dms-bench-ocr-"))

    scans = work / "scans"
    scans.mkdir()
    pages = page_texts(args.corpus, args.pages)
    for start in range(0, len(pages), 4):
        write_image_pdf(scans / f"scan-{start // 4:03d}.pdf", pages[start:start + 4])
    two, home = ocr_run(scans, 2)
    one, _ = ocr_run(scans, 1)
    rate2, rate1 = two["pages"] / two["seconds"], one["pages"] / one["seconds"]
    print(f"OCR: {two['pages']} pages ({two['failed']} failed), mean confidence {two['confidence']}%")
    print(f"  2 workers: {rate2:.2f} pages/s ({two['seconds']:.1f} s); baseline 1 worker: {rate1:.2f} pages/s "
          f"({one['seconds']:.1f} s); ratio {rate2 / rate1:.2f}")
    recalls = []
    for n in range(0, len(pages), 4):
        shown = dms(home, "show", str(scans / f"scan-{n // 4:03d}.pdf"))
        for expected, got in zip(pages[n:n + 4], shown["text"].split("\f")):
            recalls.append(recall(expected, got))
    print(f"  word recall (4+ letters): mean {statistics.mean(recalls):.3f}, worst page {min(recalls):.3f}")

    corpus = work / "sample"
    subprocess.run([sys.executable, "-m", "dms", "sample", "generate", str(corpus), "--scale", str(args.scale)],
                   check=True, stdout=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(REPO)})
    truth = json.loads((corpus / ".dms-ground-truth.json").read_text())
    for scan in truth["scans"]:  # the sample's two scans: this corpus is to be born digital only
        (corpus / scan["path"]).unlink()
    on, off, sent = [], [], 0
    for _ in range(2):
        rate, report = born_digital(corpus, True)
        on.append(rate)
        sent += (report["ocr"] or {}).get("pages", 0) + (report["ocr"] or {}).get("failed", 0)
        rate, _ = born_digital(corpus, False)
        off.append(rate)
    files = report["added"] + report["duplicates"]
    print(f"born-digital ingest ({files} files, scale {args.scale}): OCR enabled {max(on):.1f} files/s "
          f"(runs {', '.join(f'{r:.1f}' for r in on)}); baseline DMS_OCR=0 {max(off):.1f} files/s "
          f"(runs {', '.join(f'{r:.1f}' for r in off)}); ratio {max(on) / max(off):.3f}; pages sent to OCR: {sent}")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
