"""Peak memory of `dms ingest` on a tree holding one huge plain-text file, with a baseline in the same run.

    .venv/bin/python bench/ingest_memory.py [--mb 200] [--max-text-mb N] [--engine whoosh|tantivy]

Writes a text file of random words (--mb, default 200 MB) into a temporary tree next to a few normal
files, runs the real `dms ingest` as a subprocess and polls, with psutil, the resident memory of the
main process and of its children (the forkserver and the extraction workers) separately. Then the same
ingest of the tree without the big file, as a baseline: the ratio says what the big file costs the main
process. Target: the main process stays under 300 MB with the 200 MB file. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

MB = 1_000_000
WORDS = ("kettle hinge gasket thermostat corrosion returns filter supplier quotation tolerance packaging voltage "
         "complaint distribution noise leakage refund delamination torque borosilicate humidity inspection spout "
         "charger lid element housing rated drop test power cord batch audit shipment pallet carton label").split()


def write_big(path: Path, megabytes: float, seed: int = 7) -> None:
    """Random words, about twelve to a line, written a megabyte at a time."""
    rnd = random.Random(seed)
    vocab = WORDS + [f"{w}{n}" for w in WORDS for n in range(100)]  # ~4,000 distinct words
    target = int(megabytes * MB)
    written = 0
    with open(path, "w", encoding="ascii") as out:
        while written < target:
            lines = [" ".join(rnd.choices(vocab, k=12)) for _ in range(12_000)]
            chunk = "\n".join(lines) + "\n"
            out.write(chunk)
            written += len(chunk)


def write_normal(tree: Path) -> None:
    for n in range(5):
        (tree / f"note-{n}.txt").write_text(f"Meeting note {n}\n\nThe kettle lid hinge was discussed.\n")
    (tree / "figures.csv").write_text("period,sold,returned\n2023-01,120,4\n2023-02,130,6\n")
    (tree / "readme.md").write_text("# Supplier audit\n\nGasket tolerance within limits.\n")


def measure(cmd: list[str], env: dict) -> dict:
    """Wall seconds, peak RSS of the main process, of its largest child, and of all children together."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peaks = {"main": 0, "worker": 0, "children": 0}
    stop = threading.Event()

    def poll():
        main = psutil.Process(proc.pid)
        while not stop.is_set():
            try:
                peaks["main"] = max(peaks["main"], main.memory_info().rss)
                rss = []
                for child in main.children(recursive=True):
                    try:
                        rss.append(child.memory_info().rss)
                    except psutil.Error:
                        pass
                if rss:
                    peaks["worker"] = max(peaks["worker"], max(rss))
                    peaks["children"] = max(peaks["children"], sum(rss))
            except psutil.Error:
                pass
            time.sleep(0.02)

    thread = threading.Thread(target=poll, daemon=True)
    started = time.monotonic()
    thread.start()
    out, err = proc.communicate()
    seconds = time.monotonic() - started
    stop.set()
    thread.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed with {proc.returncode}\n{out}\n{err}")
    report = json.loads(out)
    return {"seconds": round(seconds, 1), "main_mb": round(peaks["main"] / MB, 1),
            "largest_child_mb": round(peaks["worker"] / MB, 1), "children_mb": round(peaks["children"] / MB, 1),
            "added": report["added"], "problems": [p["reason"] for p in report["problems"]]}


def ingest(tree: Path, home: Path, args) -> dict:
    env = {**os.environ, "DMS_HOME": str(home), "DMS_OCR": "0", "DMS_SEARCH_ENGINE": args.engine}
    if args.max_text_mb:
        env["DMS_MAX_TEXT_MB"] = str(args.max_text_mb)
    return measure([sys.executable, "-m", "dms", "ingest", str(tree), "--json"], env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=200.0, help="size of the big text file (MB)")
    parser.add_argument("--max-text-mb", type=float, default=None, help="DMS_MAX_TEXT_MB for the run")
    parser.add_argument("--engine", default="whoosh", choices=("whoosh", "tantivy"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dms-ingest-memory-") as tmp:
        tmp_path = Path(tmp)
        small, big = tmp_path / "small", tmp_path / "big"
        for tree in (small, big):
            tree.mkdir()
            write_normal(tree)
        started = time.monotonic()
        write_big(big / "huge.txt", args.mb)
        print(f"wrote {args.mb:g} MB of random words in {time.monotonic() - started:.1f} s", flush=True)
        with_big = ingest(big, tmp_path / "home-big", args)
        baseline = ingest(small, tmp_path / "home-small", args)
    print(json.dumps({"with_big_file": with_big, "baseline": baseline}, indent=2))
    print(f"main process peak RSS: {with_big['main_mb']:.0f} MB with the {args.mb:g} MB file, "
          f"{baseline['main_mb']:.0f} MB without (x{with_big['main_mb'] / baseline['main_mb']:.2f}); "
          f"time {with_big['seconds']:.1f} s vs {baseline['seconds']:.1f} s; "
          f"largest worker {with_big['largest_child_mb']:.0f} MB")
    target = 300
    verdict = "under" if with_big["main_mb"] < target else "OVER"
    print(f"target: main process under {target} MB -> {verdict}")


if __name__ == "__main__":
    main()
