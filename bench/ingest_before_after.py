"""Ingest throughput of this checkout against an earlier commit, in the same run, on the same corpus.

    .venv/bin/python bench/ingest_before_after.py --corpus /tmp/c20k --before 84649d6 [--rounds 2]

The earlier commit is checked out into a temporary git worktree and run from the same venv with
PYTHONPATH pointing at it (the script checks which `dms` package each side imports). Rounds alternate
before/after so that drift of the machine hits both sides alike. Each ingest goes into a fresh data
directory with OCR on (the corpus from `dms sample generate` holds scans). Prints files/s per run,
the median per side and the ratio after/before. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def count_files(corpus: Path) -> int:
    return sum(len([f for f in files if not f.startswith(".")]) for _, _, files in os.walk(corpus))


def dms_package(env: dict) -> str:
    out = subprocess.run([sys.executable, "-c", "import dms, os; print(os.path.dirname(dms.__file__))"],
                         env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def ingest_once(env: dict, corpus: Path, scratch: Path) -> float:
    home = Path(tempfile.mkdtemp(prefix="home-", dir=scratch))
    run_env = dict(env, DMS_HOME=str(home), DMS_USER="bench")
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "dms", "ingest", str(corpus), "--json"], env=run_env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.monotonic() - started
    shutil.rmtree(home, ignore_errors=True)
    if proc.returncode != 0:
        raise SystemExit(f"ingest failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True, type=Path, help="a tree made by `dms sample generate`")
    ap.add_argument("--before", required=True, help="the commit to compare with (e.g. the last one before a change)")
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args()
    corpus = args.corpus.resolve()
    files = count_files(corpus)
    scratch = Path(tempfile.mkdtemp(prefix="dms-bench-"))
    worktree = scratch / "before"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(worktree), args.before],
                   check=True, capture_output=True)
    try:
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("DMS_")}
        sides = {"before": dict(base_env, PYTHONPATH=str(worktree)), "after": dict(base_env, PYTHONPATH=str(REPO))}
        for name, env in sides.items():
            print(f"{name}: dms from {dms_package(env)}")
        times: dict[str, list[float]] = {"before": [], "after": []}
        for round_no in range(1, args.rounds + 1):
            for name, env in sides.items():
                seconds = ingest_once(env, corpus, scratch)
                times[name].append(seconds)
                print(f"round {round_no} {name:6}: {seconds:7.1f} s  {files / seconds:7.1f} files/s", flush=True)
        before, after = (statistics.median(times[s]) for s in ("before", "after"))
        print(f"\n{files} files; median before ({args.before}) {files / before:.1f} files/s, "
              f"after (this checkout) {files / after:.1f} files/s; ratio after/before {before / after:.3f}")
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(worktree)], capture_output=True)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
