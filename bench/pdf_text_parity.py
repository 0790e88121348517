"""PDF text from PDFium against pypdf: word-level agreement per page, and PDFs/s of each, in one run.

    .venv/bin/python bench/pdf_text_parity.py [--scale 4] [--robust ../shared/corpora/robust] [--keep DIR]

Two corpora: the PDFs of the robust corpus (third-party files: broken, encrypted, odd encodings) and those of
the sample archive, written by `dms sample generate --scale N` into a temporary directory. Each PDF is read
three ways, each corpus in one pass per way, in this process (one core):
- "pypdf": the extractor as it was before PDFium read text (pypdf for everything; `pypdf_only` is that code);
- "pdfium": PDFium's text layer alone (dms.ingest.extractors.pdftext), no metadata, no fallback;
- "dms": the extractor now (PDFium, with pypdf for metadata, short pages, images and files PDFium cannot open).
Agreement of a page = the words (\\w+, case-folded) the two readings share, counted as multisets, over the
larger of the two word counts; two empty pages agree fully. Printed: the distribution of agreement of dms's and
of PDFium's pages with pypdf's (percentiles, count under 95 %), every page under 95 % with the reason found when
it was looked into (REASONS; "not looked into" otherwise), files whose outcome changed (failed/ok, OCR pages,
page count), and PDFs/s (and CPU seconds) of each way.
"""

from __future__ import annotations

import argparse
import logging
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from dms.ingest.extractors import pdftext  # noqa: E402
from dms.ingest.extractors.pdf import PdfExtractor, looks_short, pypdf_only  # noqa: E402
from dms.ingest.registry import ExtractionFailed  # noqa: E402

logging.getLogger("pypdf").setLevel(logging.ERROR)

AGREEMENT_FLOOR = 0.95  # pages below this are listed, each with the reason found
PERCENTILES = (1, 5, 10, 25, 50)
WORD = re.compile(r"\w+")

# Why a page agrees under 95 %, found by reading both texts (and the file) page by page. Key: file name.
REASONS = {
    "paperless__html.eml.pdf":
        "pypdf joins a right-aligned date to the next word (\"09:23From\"); PDFium orders the line by position and "
        "keeps them apart, and writes the ligature \"\ufb01\" as \"fi\": PDFium's reading is the better one",
    "paperless__rtl-test.pdf":
        "Arabic: pypdf writes the first word in presentation forms in drawing order (unsearchable), PDFium in "
        "logical order with plain letters (\"\u0627\u0644\u062f\u0627\u062e\u0644\u064a\u0629\"); "
        "the second word both write reversed: PDFium's reading is the better one",
    "samplefiles__habibi-rotated.pdf":
        "Arabic on rotated pages: pypdf writes the word in logical order, PDFium reversed, and PDFium reads a "
        "run in a font without a Unicode map as Greek/Coptic letters (\"\u03f2\u0392\u03f4\u0392\"): pypdf's "
        "reading is the better one; the page is short, so pypdf read it too, but PDFium's has more letters and "
        "stays (FALLBACK_SHARE keeps pypdf's only when PDFium's has far fewer)",
}


def words(text: str) -> Counter:
    return Counter(w.casefold() for w in WORD.findall(text))


def agreement(a: str, b: str) -> float:
    wa, wb = words(a), words(b)
    larger = max(sum(wa.values()), sum(wb.values()))
    return 1.0 if larger == 0 else sum((wa & wb).values()) / larger


def read_pypdf(path: Path):
    try:
        return pypdf_only(path)
    except ExtractionFailed as exc:
        return exc


def read_dms(path: Path):
    try:
        return PdfExtractor().extract(path)
    except ExtractionFailed as exc:
        return exc


def read_pdfium(path: Path) -> list[str] | None:
    with pdftext.opened(path) as document:
        if document is None:
            return None
        pages = []
        for index in range(len(document)):
            try:
                pages.append(pdftext.page_text(document, index))
            except pdftext.PdfiumError:
                pages.append("")
        return pages


def timed(reader, files: list[Path]) -> tuple[dict, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = {f: reader(f) for f in files}
    return out, time.perf_counter() - wall, time.process_time() - cpu


def sample_pdfs(scale: int, root: Path) -> list[Path]:
    out = root / "sample"
    subprocess.run([sys.executable, "-m", "dms", "sample", "generate", "--scale", str(scale), str(out)], check=True,
                   stdout=subprocess.DEVNULL, cwd=REPO)
    return sorted(out.rglob("*.pdf"))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")


def compare(name: str, files: list[Path], base: Path) -> None:
    for f in files:  # the files into the page cache, so the first pass pays no more I/O than the others
        f.read_bytes()
    old, t_old, c_old = timed(read_pypdf, files)
    raw, t_raw, c_raw = timed(read_pdfium, files)
    new, t_new, c_new = timed(read_dms, files)
    ours, alone, low, changed, kept = [], [], [], [], []
    same = second = pdfium_pages = 0
    for f in files:
        label = str(f.relative_to(base))
        o, n, r = old[f], new[f], raw[f]
        if isinstance(o, ExtractionFailed) or isinstance(n, ExtractionFailed):
            if type(o) is not type(n):
                changed.append(f"{label}: pypdf {_outcome(o)} -> dms {_outcome(n)}")
            continue
        if len(o.pages) != len(n.pages):
            changed.append(f"{label}: {len(o.pages)} pages by pypdf, {len(n.pages)} by PDFium")
            continue
        if o.ocr_pages != n.ocr_pages:
            changed.append(f"{label}: OCR pages {o.ocr_pages} -> {n.ocr_pages}")
        if [w.reason for w in o.warnings] != [w.reason for w in n.warnings]:
            changed.append(f"{label}: warnings {[w.reason for w in o.warnings]} -> {[w.reason for w in n.warnings]}")
        if o.title != n.title or o.meta != n.meta:
            changed.append(f"{label}: metadata {o.title!r} {o.meta} -> {n.title!r} {n.meta}")
        for number, (a, b) in enumerate(zip(o.pages, n.pages), start=1):
            score = agreement(a, b)
            ours.append(score)
            same += a == b
            if r is not None and len(r) == len(o.pages):
                alone.append(agreement(a, r[number - 1]))
                if b != r[number - 1]:
                    kept.append(f"{label} p{number}: PDFium alone {alone[-1]:.0%}, dms {score:.0%}")
            if score < AGREEMENT_FLOOR:
                only_old = list((words(a) - words(b)).elements())[:6]
                only_new = list((words(b) - words(a)).elements())[:6]
                low.append(f"{label} p{number}: {score:.0%} (pypdf {sum(words(a).values())} words, dms "
                           f"{sum(words(b).values())}; only pypdf {only_old}, only dms {only_new})\n"
                           f"      reason: {REASONS.get(f.name, 'not looked into')}")
    for pages in raw.values():
        if pages is not None:
            pdfium_pages += len(pages)
            second += sum(looks_short(p) for p in pages)
    print(f"\n== {name}: {len(files)} PDFs, {len(ours)} pages both read; text identical to pypdf's on {same}; "
          f"pypdf read {second} of PDFium's {pdfium_pages} pages a second time (short)")
    for who, scores in (("dms now (PDFium + pypdf where it serves)", ours), ("PDFium alone", alone)):
        under = sum(s < AGREEMENT_FLOOR for s in scores)
        cuts = ", ".join(f"p{p} {percentile(scores, p):.1%}" for p in PERCENTILES)
        exact = sum(s == 1.0 for s in scores)
        print(f"  {who}: agreement with pypdf per page: {cuts}; 100 %: {exact}; under {AGREEMENT_FLOOR:.0%}: {under}")
    print(f"  pages of dms under {AGREEMENT_FLOOR:.0%}:" + ("" if low else " none"))
    for line in low:
        print("    " + line)
    print("  pages where dms kept pypdf's reading, not PDFium's (or PDFium could not read the page):"
          + ("" if kept else " none"))
    for line in kept:
        print("    " + line)
    print("  outcomes that changed:" + ("" if changed else " none"))
    for line in changed:
        print("    " + line)
    print("  speed (one process):")
    for who, wall, cpu in (("pypdf (before)", t_old, c_old), ("PDFium alone", t_raw, c_raw), ("dms now", t_new, c_new)):
        print(f"    {who:15} {len(files) / wall:7.1f} PDFs/s wall, {len(files) / max(cpu, 1e-9):7.1f} PDFs/s CPU "
              f"({cpu:.2f} CPU s)")


def _outcome(result) -> str:
    return f"failed ({result.kind}: {result.reason[:70]})" if isinstance(result, ExtractionFailed) else "ok"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=int, default=4, help="dms sample generate --scale (16 PDFs per unit)")
    ap.add_argument("--robust", type=Path, default=REPO.parent / "shared" / "corpora" / "robust")
    ap.add_argument("--keep", type=Path, help="write the sample archive here and keep it (default: a temp dir)")
    args = ap.parse_args()
    robust = sorted((args.robust / "pdf").glob("*.pdf")) if args.robust.is_dir() else []
    if robust:
        compare(f"robust corpus ({args.robust})", robust, args.robust)
    else:
        print(f"no robust corpus at {args.robust}: left out")
    with tempfile.TemporaryDirectory(prefix="pdf-parity-") as tmp:
        root = args.keep or Path(tmp)
        compare(f"sample archive (--scale {args.scale})", sample_pdfs(args.scale, root), root / "sample")


if __name__ == "__main__":
    main()
