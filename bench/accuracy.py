"""Per-field accuracy of the derived metadata on the foreign archives and the sample, this checkout against an
earlier commit, in one run.

    .venv/bin/python bench/accuracy.py [--before c8dceca] [--only medical,sample] [--show 5]

Every generator in tests/archives (a module or package with `RULES` and `generate`) writes its archive into a
temporary folder and its RULES become the data directory's rules.toml; the committed sample archive is read with
the built-in rules against its ground truth (its change requests' `decided_in` turned around onto the minutes,
as tests/archives/score.py `sample_truth` does). The earlier commit is exported with `git archive` (nothing in
.git changes) and run by a bare venv that sees that tree first (bench/ingest_before_after.py `before_python`),
so both sides use the same libraries; its rules.toml lacks the [changes] section (the numbering of new change
requests, which derives nothing; the code before issue 14 refuses its {yy}). Each side ingests each archive in a
subprocess into a fresh data directory and scores it with tests/archives/score.py. Prints right/total and the
ratio per field and side, the difference, and with --show the first wrong files of each side. Not part of
the test suite.
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TESTS = REPO / "tests"


def generators():
    """(name, module) of every archive generator in tests/archives."""
    if str(TESTS) not in sys.path:
        sys.path.append(str(TESTS))
    for entry in sorted((TESTS / "archives").iterdir()):
        if entry.name.startswith("_"):
            continue
        if entry.suffix == ".py":
            name = entry.stem
        elif entry.is_dir() and (entry / "__init__.py").exists():
            name = entry.name
        else:
            continue
        module = importlib.import_module(f"archives.{name}")
        if hasattr(module, "RULES") and hasattr(module, "generate"):
            yield name, module


def prepare(scratch: Path, only: set[str] | None) -> list[dict]:
    """Write each archive (or point at the sample), its truth and its rules; return the jobs."""
    from archives.score import sample_truth

    from dms.samplegen import TRUTH_FILE

    jobs = []
    for name, module in generators():
        if only and name not in only:
            continue
        folder = scratch / name
        truth = module.generate(folder / "archive")
        (folder / "truth.json").write_text(json.dumps(truth), encoding="utf-8")
        (folder / "rules.toml").write_text(module.RULES, encoding="utf-8")
        jobs.append({"name": name, "archive": folder / "archive", "truth": folder / "truth.json",
                     "rules": folder / "rules.toml", "files": len(truth["files"])})
    if not only or "sample" in only:
        folder = scratch / "sample"
        folder.mkdir()
        truth = sample_truth(json.loads((REPO / "archive" / TRUTH_FILE).read_text(encoding="utf-8")))
        (folder / "truth.json").write_text(json.dumps(truth), encoding="utf-8")
        jobs.append({"name": "sample", "archive": REPO / "archive", "truth": folder / "truth.json", "rules": None,
                     "files": len(truth["files"])})
    return jobs


def export_commit(commit: str, scratch: Path) -> Path:
    tree = scratch / "before"
    tree.mkdir()
    out = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", commit], capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(out.stdout)) as tar:
        tar.extractall(tree, filter="data")
    return tree


def without_changes_section(rules: str) -> str:
    """The rules without their [changes] table (up to the next table header)."""
    return re.sub(r"(?ms)^\[changes\][^\n]*\n.*?(?=^\[)", "", rules)


def run_side(python: str, job: dict, scratch: Path, side: str) -> dict:
    out = Path(tempfile.mkstemp(prefix="scores-", suffix=".json", dir=scratch)[1])
    rules = job["rules"]
    if rules and side == "before":
        rules = rules.with_name("rules-before.toml")
        rules.write_text(without_changes_section(job["rules"].read_text(encoding="utf-8")), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMS_") and k != "PYTHONPATH"}
    args = [python, str(Path(__file__).resolve()), "--worker", str(job["archive"]), str(job["truth"]),
            str(rules or ""), str(out)]
    # cwd outside any checkout: the working directory must not shadow either side's `dms`
    proc = subprocess.run(args, env=env, cwd=scratch, capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"}
    return json.loads(out.read_text(encoding="utf-8"))


def worker(archive: str, truth_path: str, rules: str, out: str) -> None:
    """Ingest one archive with whichever `dms` this interpreter imports, score it, write the scores as JSON."""
    sys.path.append(str(TESTS))  # after the side's own paths: `dms` comes from them, not from tests/
    from archives.score import score

    import dms
    from dms.app import Dms
    from dms.config import load_settings
    from dms.ingest.pipeline import ingest

    home = Path(tempfile.mkdtemp(prefix="home-"))
    try:
        if rules:
            shutil.copyfile(rules, home / "rules.toml")
        truth = json.loads(Path(truth_path).read_text(encoding="utf-8"))
        started = time.monotonic()
        with Dms(load_settings(environ={"DMS_WORKERS": "2"}, home=home)) as app:
            ingest(app, [Path(archive)])
            scores = score(app, Path(archive), truth)
        result = {"dms": os.path.dirname(dms.__file__), "seconds": time.monotonic() - started,
                  "fields": {f: [r, t, [list(map(str, w)) for w in wrong]] for f, (r, t, wrong) in scores.items()}}
        Path(out).write_text(json.dumps(result), encoding="utf-8")
    finally:
        shutil.rmtree(home, ignore_errors=True)


def ratio(cell: list | None) -> str:
    if not cell:
        return "      -       "
    right, total, _ = cell
    return f"{right:4}/{total:<4} {right / total:5.3f}" if total else f"{right:4}/{total:<4}   -  "


def report(jobs: list[dict], results: dict, before: str, show: int) -> None:
    print(f"\n{'archive':10} {'field':11} {'before ' + before:>16} {'after (checkout)':>16}   diff")
    for job in jobs:
        sides = results[job["name"]]
        for side in ("before", "after"):
            if "error" in sides[side]:
                print(f"{job['name']:10} {side}: FAILED: {sides[side]['error']}")
        fields = sides["after"].get("fields") or sides["before"].get("fields") or {}
        for field in fields:
            b, a = sides["before"].get("fields", {}).get(field), sides["after"].get("fields", {}).get(field)
            diff = ""
            if a and b and a[1] and b[1]:
                diff = f"{a[0] / a[1] - b[0] / b[1]:+6.3f}"
            print(f"{job['name']:10} {field:11} {ratio(b):>16} {ratio(a):>16} {diff}")
        print(f"{job['name']:10} ({job['files']} files; ingest+score before {sides['before'].get('seconds', 0):.0f} s, "
              f"after {sides['after'].get('seconds', 0):.0f} s)\n")
    if show:
        for job in jobs:
            for side in ("before", "after"):
                for field, (_, _, wrong) in results[job["name"]][side].get("fields", {}).items():
                    for path, got, want in wrong[:show]:
                        print(f"{side:6} {job['name']:8} {field:10} {path}: got {got}, want {want}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", default="c8dceca", help="the commit to compare with (default c8dceca)")
    ap.add_argument("--only", help="comma-separated archive names (generator modules, 'sample')")
    ap.add_argument("--show", type=int, default=0, help="print this many wrong files per field and side")
    ap.add_argument("--worker", nargs=4, metavar=("ARCHIVE", "TRUTH", "RULES", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    from ingest_before_after import before_python  # bench/ is the script's folder, first on sys.path

    sys.path.append(str(TESTS))
    scratch = Path(tempfile.mkdtemp(prefix="dms-accuracy-"))
    try:
        jobs = prepare(scratch, set(args.only.split(",")) if args.only else None)
        sides = {"before": before_python(export_commit(args.before, scratch), scratch), "after": sys.executable}
        results: dict = {}
        for job in jobs:
            results[job["name"]] = {}
            for side, python in sides.items():
                results[job["name"]][side] = run_side(python, job, scratch, side)
                got = results[job["name"]][side]
                where = got.get("dms") or got.get("error")
                print(f"{job['name']:10} {side:6} done ({where})", flush=True)
        report(jobs, results, args.before, args.show)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
