"""Ingest throughput of this checkout against an earlier commit, in the same run, on the same corpus.

    .venv/bin/python bench/ingest_before_after.py --corpus /tmp/c20k --before 84649d6 [--rounds 2]
        [--set DMS_OCR=0 --set DMS_THUMBNAILS=0]

The earlier commit is checked out into a temporary git worktree and run by a bare venv whose only
site paths are that worktree and this venv's site-packages (so both sides use the same libraries,
and the editable install of this checkout cannot shadow the earlier code, in the workers too); the
script prints which `dms` package each side imports. Rounds alternate
before/after so that drift of the machine hits both sides alike. Each ingest goes into a fresh data
directory with OCR on (the corpus from `dms sample generate` holds scans) unless `--set` says otherwise:
the caller's own `DMS_` variables are dropped, and each `--set NAME=VALUE` is given to both sides. Prints
files/s per run, the median per side and the ratio after/before. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def count_files(corpus: Path) -> int:
    return sum(len([f for f in files if not f.startswith(".")]) for _, _, files in os.walk(corpus))


def before_python(worktree: Path, scratch: Path) -> str:
    """A venv without packages of its own that sees the worktree first, then this venv's libraries."""
    import site
    import venv

    env_dir = scratch / "venv-before"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site_dir = subprocess.run([str(python), "-c", "import site; print(site.getsitepackages()[0])"],
                              capture_output=True, text=True, check=True).stdout.strip()
    (Path(site_dir) / "dms-before.pth").write_text(f"{worktree}\n{site.getsitepackages()[0]}\n")
    return str(python)


@contextlib.contextmanager
def two_sides(before: str, prefix: str) -> Iterator[tuple[Path, dict[str, str]]]:
    """A scratch folder and the Python of each side: "before" runs `before` from a temporary git worktree,
    "after" this checkout; both removed afterwards."""
    scratch = Path(tempfile.mkdtemp(prefix=prefix))
    worktree = scratch / "before"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(worktree), before],
                   check=True, capture_output=True)
    try:
        yield scratch, {"before": before_python(worktree, scratch), "after": sys.executable}
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(worktree)], capture_output=True)
        shutil.rmtree(scratch, ignore_errors=True)


def dms_package(python: str, env: dict) -> str:
    out = subprocess.run([python, "-c", "import dms, os; print(os.path.dirname(dms.__file__))"],
                         env=env, capture_output=True, text=True, check=True, cwd=tempfile.gettempdir())
    return out.stdout.strip()


def ingest_once(python: str, env: dict, corpus: Path, scratch: Path) -> float:
    home = Path(tempfile.mkdtemp(prefix="home-", dir=scratch))
    run_env = dict(env, DMS_HOME=str(home), DMS_USER="bench")
    started = time.monotonic()
    # cwd outside any checkout: `python -m` puts the working directory first on sys.path
    proc = subprocess.run([python, "-m", "dms", "ingest", str(corpus), "--json"], env=run_env, cwd=scratch,
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
    ap.add_argument("--set", action="append", default=[], metavar="DMS_NAME=VALUE",
                    help="a setting given to both sides (repeatable), e.g. DMS_OCR=0")
    args = ap.parse_args()
    if any("=" not in item or not item.startswith("DMS_") for item in args.set):
        raise SystemExit(f"--set takes DMS_NAME=VALUE, not {args.set}")
    settings = dict(item.split("=", 1) for item in args.set)
    corpus = args.corpus.resolve()
    files = count_files(corpus)
    with two_sides(args.before, "dms-bench-") as (scratch, sides):
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("DMS_")} | settings
        if settings:
            print("both sides with " + " ".join(f"{k}={v}" for k, v in sorted(settings.items())))
        for name, python in sides.items():
            print(f"{name}: dms from {dms_package(python, base_env)}")
        times: dict[str, list[float]] = {"before": [], "after": []}
        for round_no in range(1, args.rounds + 1):
            for name, python in sides.items():
                seconds = ingest_once(python, base_env, corpus, scratch)
                times[name].append(seconds)
                print(f"round {round_no} {name:6}: {seconds:7.1f} s  {files / seconds:7.1f} files/s", flush=True)
        before, after = (statistics.median(times[s]) for s in ("before", "after"))
        print(f"\n{files} files; median before ({args.before}) {files / before:.1f} files/s, "
              f"after (this checkout) {files / after:.1f} files/s; ratio after/before {before / after:.3f}")

if __name__ == "__main__":
    main()
