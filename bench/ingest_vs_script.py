"""`dms ingest` (Whoosh and Tantivy) against the script a user would write in an afternoon, in one run (issue 19).

    .venv/bin/python bench/ingest_vs_script.py --scale 16 [--corpus DIR] [--thumbnails]

The corpus is `dms sample generate --scale N` (or --corpus, a tree it made). Every side reads it with OCR off
(DMS_OCR=0: the script reads no scans) into a fresh data directory:

- the script: one process, the same extractors dms had before issue 19 (dms's sniffing and extractors, and pypdf's
  `extract_text` page by page for PDFs, as dms read them then), one plain Whoosh writer (path, title, text), one
  commit; no store, no catalog, no metadata, no attachments. It times its own extraction and indexing (CPU).
- `dms ingest` with DMS_SEARCH_ENGINE=whoosh, then with tantivy (previews off unless --thumbnails: the script
  makes none); then `dms reindex` on the result, whose CPU is that engine's indexing of the same texts.

Per side: wall seconds, CPU seconds of the whole process tree (the workers and the engine's threads included), peak
RSS of the tree, and the ratio script wall / side wall. The 2-core limit of a side is the wall time of its essential
work spread over the 2 cores: (extraction CPU + indexing CPU) / 2, with, for dms, the extraction CPU its workers
spent and the indexing CPU of `dms reindex` with the same engine; for the script, its own timings. Each side's
fraction of the limit is limit / wall (1.0: no second lost to anything else, nor to an idle core). Not part of
the test suite; the machine's other load shows in every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
CORES = 2  # the limit is stated for the machine the issue names: two cores
POLL_SECONDS = 0.05  # how often the process tree's CPU and RSS are read


def measured(cmd: list[str], env: dict, cwd: Path) -> dict:
    """Run cmd; wall seconds, CPU seconds of the process tree (each process as last seen, or as its parent reaped
    it, whichever is more), peak RSS of the tree, stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd)
    cpu: dict[int, float] = {}
    main: dict[str, float] = {"cpu": 0.0}
    peak = 0
    stop = threading.Event()

    def poll():
        nonlocal peak
        parent = psutil.Process(proc.pid)
        while not stop.is_set():
            try:
                procs = [parent, *parent.children(recursive=True)]
            except psutil.Error:
                break
            rss = 0
            for p in procs:
                try:
                    with p.oneshot():
                        rss += p.memory_info().rss
                        t = p.cpu_times()
                        cpu[p.pid] = t.user + t.system
                        if p.pid == proc.pid:
                            main["cpu"] = cpu[p.pid]
                except psutil.Error:
                    pass
            peak = max(peak, rss)
            time.sleep(POLL_SECONDS)

    thread = threading.Thread(target=poll, daemon=True)
    started = time.monotonic()
    thread.start()
    out, err = proc.communicate()
    wall = time.monotonic() - started
    stop.set()
    thread.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed with {proc.returncode}:\n{err[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    reaped = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": max(sum(cpu.values()), reaped), "main_cpu": main["cpu"],
            "others_cpu": max(sum(cpu.values()), reaped) - main["cpu"], "peak_rss": peak, "out": out}


# -- the afternoon script (run in its own process: `--script CORPUS INDEXDIR`) --------------------------------------

def afternoon_script(corpus: Path, index_dir: Path) -> dict:
    """What a user writes: walk the tree, read each file with the extractors, one Whoosh writer, one commit."""
    import warnings

    import whoosh.index
    from pypdf import PdfReader
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.fields import ID, TEXT, Schema

    from dms.ingest.registry import extractor_for
    from dms.ingest.sniff import detect

    warnings.simplefilter("ignore")
    import logging

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    schema = Schema(path=ID(stored=True, unique=True), title=TEXT(stored=True), body=TEXT(analyzer=StemmingAnalyzer()))
    index_dir.mkdir(parents=True, exist_ok=True)
    writer = whoosh.index.create_in(index_dir, schema).writer()
    extract_cpu = index_cpu = 0.0
    files = failed = 0
    for folder, dirs, names in os.walk(corpus):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(n for n in names if not n.startswith(".")):
            path = Path(folder, name)
            files += 1
            t = time.process_time()
            title, pages = name, []
            try:
                kind = detect(path, name, path.stat().st_size).kind
                if kind == "pdf":  # as dms read PDFs before issue 19: pypdf, page by page
                    pages = [page.extract_text() or "" for page in PdfReader(path, strict=False).pages]
                elif (extractor := extractor_for(kind)) is not None:
                    raw = extractor.extract(path)
                    pages, title = list(raw.pages), raw.title or name
            except Exception:  # a damaged or protected file: the script moves on
                failed += 1
            extract_cpu += time.process_time() - t
            t = time.process_time()
            writer.add_document(path=str(path), title=title, body="\n".join(pages))
            index_cpu += time.process_time() - t
    t = time.process_time()
    writer.commit()
    index_cpu += time.process_time() - t
    return {"files": files, "failed": failed, "extract_cpu": extract_cpu, "index_cpu": index_cpu}


# -- the comparison -------------------------------------------------------------------------------------------------

def row(name: str, run: dict, limit: float, script_wall: float | None) -> str:
    fraction = limit / run["wall"]
    ratio = f"{script_wall / run['wall']:5.2f}x" if script_wall else "    - "
    return (f"{name:16} {run['wall']:7.1f} {run['cpu']:8.1f} {run['main_cpu']:8.1f} {run['others_cpu']:8.1f} "
            f"{limit:8.1f} {fraction:9.2f} {run['peak_rss'] / 2**20:8.0f} {ratio}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=4, help="dms sample generate --scale (16: the issue's figures)")
    ap.add_argument("--corpus", type=Path, help="a tree made by `dms sample generate` instead of generating one")
    ap.add_argument("--thumbnails", action="store_true", help="let dms make its previews (DMS_THUMBNAILS=1)")
    ap.add_argument("--engines", default="whoosh,tantivy")
    ap.add_argument("--script", nargs=2, type=Path, metavar=("CORPUS", "INDEX"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.script:
        print(json.dumps(afternoon_script(*args.script)))
        return
    py = sys.executable
    work = Path(tempfile.mkdtemp(prefix="dms-vs-script-"))
    try:
        corpus = args.corpus.resolve() if args.corpus else work / "corpus"
        if not args.corpus:
            subprocess.run([py, "-m", "dms", "sample", "generate", str(corpus), "--scale", str(args.scale)],
                           check=True, stdout=subprocess.DEVNULL)
        files = [p for p in corpus.rglob("*") if p.is_file() and not any(s.startswith(".") for s in p.parts[-1:])]
        mb = sum(p.stat().st_size for p in files) / 1e6
        base = {k: v for k, v in os.environ.items() if not k.startswith("DMS_")}
        base.update(DMS_OCR="0", DMS_USER="bench", DMS_THUMBNAILS="1" if args.thumbnails else "0")
        where = subprocess.run([py, "-c", "import dms, os; print(os.path.dirname(dms.__file__))"], env=base, cwd=work,
                               capture_output=True, text=True, check=True).stdout.strip()
        print(f"dms from {where}")
        print(f"corpus {corpus}: {len(files)} files, {mb:.0f} MB; {os.cpu_count()} cores here; OCR off; "
              f"dms previews {'on' if args.thumbnails else 'off'}; DMS_WORKERS "
              f"{base.get('DMS_WORKERS', 'default')}; load average {os.getloadavg()[0]:.1f}", flush=True)
        script = measured([py, __file__, "--script", str(corpus), str(work / "script-index")], base, work)
        inner = json.loads(script["out"])
        script_limit = (inner["extract_cpu"] + inner["index_cpu"]) / CORES
        lines = [row("script (whoosh)", script, script_limit, None)]
        notes = [f"script: extraction {inner['extract_cpu']:.1f} s CPU, Whoosh indexing {inner['index_cpu']:.1f} s "
                 f"CPU, {inner['failed']} file(s) it could not read"]
        for engine in args.engines.split(","):
            home = work / f"home-{engine}"
            env = dict(base, DMS_HOME=str(home), DMS_SEARCH_ENGINE=engine)
            run = measured([py, "-m", "dms", "ingest", str(corpus), "--json"], env, work)
            report = json.loads(run["out"])
            reindex = measured([py, "-m", "dms", "reindex", "--json"], env, work)
            extract = run["others_cpu"]  # the workers (and the fork server) of the ingest
            limit = (extract + reindex["cpu"]) / CORES
            lines.append(row(f"dms ({engine})", run, limit, script["wall"]))
            notes.append(f"dms {engine}: added {report['added']}, duplicates {report['duplicates']}, attachments "
                         f"{report['attachments']}, problems {len(report['problems'])}; extraction (workers) "
                         f"{extract:.1f} s CPU, indexing (dms reindex, {reindex['wall']:.1f} s wall) "
                         f"{reindex['cpu']:.1f} s CPU")
            shutil.rmtree(home, ignore_errors=True)
        print(f"\n{'side':16} {'wall s':>7} {'CPU s':>8} {'main s':>8} {'others s':>8} {'limit s':>8} "
              f"{'of limit':>9} {'peak MB':>8} {'vs script'}")
        print("\n".join(lines))
        print("\n" + "\n".join(notes))
        print(f"\nlimit = (extraction CPU + indexing CPU) / {CORES} cores; 'of limit' = limit / wall; CPU s = the "
              "whole process tree (main s: the first process, its threads included; others s: its child processes, "
              "the fork server and the workers); 'vs script' = script wall / dms wall")
        print(f"load average at the end {os.getloadavg()[0]:.1f} (walls mean little when the machine is shared)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
