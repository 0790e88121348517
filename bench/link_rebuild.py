"""A derivation of every link from scratch (`dms graph sync --full`, an archive's first sync): this checkout, in
committed steps (dms.graph.rebuild), against an earlier commit, in the same run, on copies of one catalog.

    .venv/bin/python bench/link_rebuild.py --home /tmp/h18t/home100k --before 6b8c2ad [--rounds 1]

--home is a SQLite data directory holding a catalog (bench/graph_rows.py --home makes synthetic ones of 100k and
1M documents); each run gets a fresh copy of it, so nothing is written into it. The earlier commit runs from a
temporary git worktree (bench/ingest_before_after.py's bare venv: same libraries). Each side runs
`dms.graph.sync.sync(full=True)` in its own process and reports: wall seconds, rows written per second, peak RSS,
and the longest a writer waited for the catalog's write lock meanwhile (about the whole run for a derivation in
one transaction; about a step for one in steps), measured by a second process that asks for the lock every 0.5 s
(waiting as long as it takes) and times each wait. Prints each side's figures and the ratios after/before.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ingest_before_after import dms_package, two_sides

REPO = Path(__file__).resolve().parent.parent

DERIVE = """
import json, resource, sys, time
from pathlib import Path
from dms.app import Dms
from dms.config import load_settings
from dms.graph import sync
with Dms(load_settings(environ={}, home=Path(sys.argv[1]))) as dms:
    started = time.monotonic()
    done = sync.sync(dms, full=True)
    took = time.monotonic() - started
print(json.dumps({"seconds": round(took, 1), "links": done.links, "documents": done.documents,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))
"""

# a writer that wants the write lock every 0.5 s (as an ingest or a decision would, waiting for it up to 120 s): the
# longest it waited for it, until stopped
PROBE = """
import json, signal, sys, time
from dms.catalog import open_catalog
catalog = open_catalog(sys.argv[1])
stop = False
def done(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, done)
longest = 0.0
while not stop:
    asked = time.monotonic()
    with catalog.transaction(wait=120):
        longest = max(longest, time.monotonic() - asked)
    time.sleep(0.5)
print(json.dumps({"longest_lock_wait_s": round(longest, 1)}))
"""


def side(python: str, env: dict, home: Path, scratch: Path) -> dict:
    copy = Path(tempfile.mkdtemp(prefix="home-", dir=scratch)) / "home"
    shutil.copytree(home, copy)
    catalog = next(p for p in (copy / "catalog.sqlite", copy / "catalog.db") if p.exists())
    probe = subprocess.Popen([python, "-c", PROBE, str(catalog)], env=env, cwd=scratch, stdout=subprocess.PIPE,
                             text=True)
    time.sleep(1.0)
    try:
        done = subprocess.run([python, "-c", DERIVE, str(copy)], env=env, cwd=scratch, capture_output=True,
                              text=True)
    finally:
        probe.terminate()
        out, _ = probe.communicate(timeout=60)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    figures = json.loads(done.stdout.strip().splitlines()[-1]) | json.loads(out.strip().splitlines()[-1])
    figures["links_per_s"] = round(figures["links"] / max(figures["seconds"], 0.1))
    shutil.rmtree(copy.parent)
    return figures


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--before", required=True, help="the earlier commit")
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMS_")}
    with two_sides(args.before, "dms-rebuild-bench-") as (scratch, sides):
        for name, python in sides.items():
            print(f"{name}: dms from {dms_package(python, env)}", file=sys.stderr)
        results: dict[str, list[dict]] = {"before": [], "after": []}
        for round_no in range(args.rounds):
            for name, python in sides.items():
                results[name].append(side(python, env, args.home, scratch))
                print(f"round {round_no + 1} {name}: {results[name][-1]}", file=sys.stderr)
        best = {name: min(runs, key=lambda r: r["seconds"]) for name, runs in results.items()}
        print(json.dumps({"home": str(args.home), "before": args.before, "runs": results}, indent=1))
        b, a = best["before"], best["after"]
        print(f"derivation from scratch: before {b['seconds']} s ({b['links_per_s']} rows/s, {b['peak_rss_mb']} MB, "
              f"writers locked out up to {b['longest_lock_wait_s']} s); after {a['seconds']} s ({a['links_per_s']} "
              f"rows/s, {a['peak_rss_mb']} MB, writers locked out up to {a['longest_lock_wait_s']} s); time ratio "
              f"after/before {a['seconds'] / b['seconds']:.2f}")

if __name__ == "__main__":
    main()
