"""Preview figures: thumbnail rendering in the ingest workers, its share of ingest time, and the server time of
the document page with its viewer.

    .venv/bin/python bench/thumbnails.py                 # 300 born-digital PDFs made here (fpdf2), 1-4 pages
    .venv/bin/python bench/thumbnails.py --pdfs 600 --rounds 3

Measures, in one run:
- ingest of the same born-digital PDFs into fresh data directories with previews (DMS_THUMBNAILS=1, the
  default) and without (DMS_THUMBNAILS=0), alternating, best of --rounds each: the speed ratio
  with/without (target >= 0.85) and the share of ingest time the thumbnails take; and the same ratio of
  the CPU time the ingest's processes used (median of the rounds), which other work on the machine does
  not skew;
- thumbnails/s of one worker (`dms.preview.task.at_ingest` in this process, the call the worker makes);
- the document page (`/documents/ID?q=…`) and the viewer's own requests (`preview.json`, `thumb`) of a real
  `dms serve`: server time from the Server-Timing header, p50/p95.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
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

from web import get, pct, sign_in, start_server  # noqa: E402  (the web bench's real-server helpers)

from dms import users  # noqa: E402
from dms.app import Dms  # noqa: E402
from dms.config import load_settings  # noqa: E402

WORDS = ("lid hinge kettle thermostat base plate seal ring cable clamp release button specification revision "
         "supplier complaint return drop test humidity corrosion certificate conformity order quotation").split()


def make_pdfs(folder: Path, count: int, seed: int = 7) -> int:
    """Born-digital PDFs of 1-4 pages of text; returns the number of pages."""
    from fpdf import FPDF

    rnd = random.Random(seed)
    folder.mkdir(parents=True)
    pages = 0
    for i in range(count):
        pdf = FPDF()
        pdf.set_font("Helvetica", size=11)
        for _ in range(rnd.randint(1, 4)):
            pdf.add_page()
            pdf.multi_cell(0, 6, f"Document {i}. " + " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(150, 400))))
            pages += 1
        (folder / f"doc-{i:04d}.pdf").write_bytes(bytes(pdf.output()))
    return pages


def ingest_run(corpus: Path, home: Path, thumbnails: bool) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the ingest and its worker processes) of one ingest into a fresh home.
    CPU time is sampled from the process tree (psutil) every 0.1 s: on a shared machine it says what the run
    itself cost, whatever else competes for the cores."""
    import psutil

    shutil.rmtree(home, ignore_errors=True)
    env = {**os.environ, "DMS_HOME": str(home), "DMS_THUMBNAILS": "1" if thumbnails else "0", "DMS_OCR": "0"}
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "dms", "ingest", str(corpus)], env=env,
                            stdout=subprocess.DEVNULL, cwd=REPO)
    cpu: dict[int, float] = {}
    root = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            for p in [root, *root.children(recursive=True)]:
                try:
                    t = p.cpu_times()
                    cpu[p.pid] = t.user + t.system
                except psutil.Error:
                    pass
        except psutil.Error:
            pass
        time.sleep(0.1)
    if proc.returncode != 0:
        raise SystemExit(f"dms ingest failed with exit code {proc.returncode}")
    return time.perf_counter() - started, sum(cpu.values())


def thumbs_per_second(corpus: Path, root: Path) -> tuple[float, float]:
    """(thumbnails/s, CPU ms each) of one worker: the call the ingest worker makes, into an empty cache."""
    import hashlib

    from dms.preview.spec import PreviewSpec
    from dms.preview.task import at_ingest

    spec = PreviewSpec(root=root, max_pages=50, max_pixels=4_000_000, html_max_bytes=2 << 20, tesseract=None)
    files = sorted(corpus.glob("*.pdf"))
    shas = [hashlib.sha256(f.read_bytes()).hexdigest() for f in files]
    at_ingest(spec, files[0], "pdf", "0" * 64)  # warm: imports, PDFium's own start
    started = time.process_time()  # CPU time: what one worker spends, whatever else runs on the machine
    for f, sha in zip(files, shas):
        at_ingest(spec, f, "pdf", sha)
    spent = time.process_time() - started
    return len(files) / spent, spent / len(files) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pdfs", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--pages", type=int, default=200, help="document pages requested for the page-time figures")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dms-thumb-bench-"))
    try:
        corpus = work / "pdfs"
        pages = make_pdfs(corpus, args.pdfs)
        with_t, without_t, with_cpu, without_cpu = [], [], [], []
        for _ in range(args.rounds):
            wall, cpu = ingest_run(corpus, work / "without", False)
            without_t.append(wall)
            without_cpu.append(cpu)
            wall, cpu = ingest_run(corpus, work / "with", True)
            with_t.append(wall)
            with_cpu.append(cpu)
        rate, each_ms = thumbs_per_second(corpus, work / "cache")
        page_ms = document_pages(work / "with", args.pages)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    best_with, best_without = min(with_t), min(without_t)
    figures = {
        "pdfs": args.pdfs, "pages": pages, "workers": load_settings(environ={}, home=work).workers,
        "ingest_with_thumbnails_s": round(best_with, 2), "ingest_without_thumbnails_s": round(best_without, 2),
        "ingest_runs_with_s": [round(t, 2) for t in with_t], "ingest_runs_without_s": [round(t, 2) for t in without_t],
        "speed_ratio_with_vs_without": round(best_without / best_with, 3),
        "ingest_cpu_with_s": [round(t, 2) for t in with_cpu],
        "ingest_cpu_without_s": [round(t, 2) for t in without_cpu],
        "cpu_ratio_with_vs_without": round(statistics.median(without_cpu) / statistics.median(with_cpu), 3),
        "thumbnail_share_of_ingest": round(max(0.0, best_with - best_without) / best_with, 3),
        "thumbnails_per_s_one_worker": round(rate, 1), "thumbnail_cpu_ms_each": round(each_ms, 1),
        **page_ms,
    }
    print(json.dumps(figures, indent=1))
    print(f"\ningest of {args.pdfs} born-digital PDFs ({pages} pages): {best_with:.2f} s with thumbnails, "
          f"{best_without:.2f} s without: speed ratio {figures['speed_ratio_with_vs_without']} (target >= 0.85), "
          f"CPU ratio {figures['cpu_ratio_with_vs_without']}; "
          f"thumbnails {figures['thumbnails_per_s_one_worker']}/s per worker ({each_ms:.1f} ms CPU each)")
    print(f"document page with viewer p50/p95 {figures['document_page_server_p50_ms']}/"
          f"{figures['document_page_server_p95_ms']} ms server-side; preview.json p95 "
          f"{figures['preview_json_server_p95_ms']} ms; thumb p95 {figures['thumb_server_p95_ms']} ms")


def document_pages(home: Path, count: int) -> dict:
    settings = load_settings(environ={}, home=home)
    with Dms(settings) as app:
        users.add(app.catalog, "bench", "admin", "bench-password-1", by="bench")
        ids = [r.id for r in app.catalog.all_documents() if r.duplicate_of is None]
    rnd = random.Random(3)
    sample = [(rnd.choice(ids), rnd.choice(WORDS)) for _ in range(count)]
    proc, base = start_server(home)
    try:
        cookie = {"Cookie": f"dms_session={sign_in(base)}"}
        for d, q in sample[:10]:  # warm the worker threads
            get(f"{base}/documents/{d}?q={q}", cookie)
        page = [get(f"{base}/documents/{d}?q={q}", cookie) for d, q in sample]
        manifest = [get(f"{base}/documents/{d}/preview.json", cookie) for d, _ in sample]
        thumb = [get(f"{base}/documents/{d}/thumb", cookie) for d, _ in sample]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    bad = [s for *_, s in page + manifest + thumb if s != 200]
    if bad:
        raise SystemExit(f"{len(bad)} requests did not answer 200: {sorted(set(bad))}")
    server = [s for s, _, _ in page]
    return {"document_page_server_p50_ms": pct(server, 50), "document_page_server_p95_ms": pct(server, 95),
            "document_page_server_mean_ms": round(statistics.fmean(server), 1),
            "preview_json_server_p95_ms": pct([s for s, _, _ in manifest], 95),
            "thumb_server_p95_ms": pct([s for s, _, _ in thumb], 95)}


if __name__ == "__main__":
    main()
