"""The page of a huge text document: response size, time and the server's peak RSS, per view.

    .venv/bin/python bench/page_text.py [--mb 30] [--dir DIR]

Writes one text file of about MB megabytes (a single page, as a plain text file is), ingests it with
`dms ingest` (DMS_MAX_TEXT_MB raised so that none of it is cut), then, in a fresh process, GETs the
document page (with a query, so hits are highlighted) and `GET /api/v1/documents/{id}/text`, and prints
each response's size and time and the process's peak RSS before and after. Target: the responses
bounded by DMS_PAGE_TEXT_MAX_CHARS (about 0.1 MB by default) whatever the document's size, and the
peak RSS not growing with it.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

ENV = {"DMS_MAX_TEXT_MB": "1000", "DMS_WORKER_MEMORY_MB": "8192", "DMS_MAX_FILE_MB": "2048"}
LINE = "The supplier shall deliver the gasket assemblies per the agreed quality plan, clause %07d.\n"


def prepare(root: Path, mb: int) -> Path:
    home, folder = root / "home", root / "in"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "huge.txt", "w") as fh:
        for i in range(mb * 1_000_000 // len(LINE % 0)):
            fh.write(LINE % i)
    env = {**os.environ, **ENV, "DMS_HOME": str(home), "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-m", "dms", "ingest", str(folder)], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run([sys.executable, "-c", "from dms import users; from dms.app import Dms; "
                    "from dms.config import load_settings; app = Dms(load_settings()); "
                    "users.add(app.catalog, 'ada', 'admin', 'ada-password-1', by='ada'); app.close()"],
                   env=env, check=True)
    return home


def measure(home: Path) -> None:
    from fastapi.testclient import TestClient

    from dms.app import Dms
    from dms.catalog import samples
    from dms.config import load_settings
    from dms.web import create_app

    settings = load_settings(environ=ENV, home=home)
    with Dms(settings) as app:
        doc_id, chars = samples.any_document_id(app.catalog), samples.page_characters(app.catalog)
    print(f"one document of {chars / 1e6:.1f} million characters; DMS_PAGE_TEXT_MAX_CHARS="
          f"{settings.page_text_max_chars:,}")
    with TestClient(create_app(settings)) as client:
        client.post("/sign-in", data={"name": "ada", "password": "ada-password-1", "next": "/"})
        for url in (f"/documents/{doc_id}?q=gasket", f"/api/v1/documents/{doc_id}/text"):
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            started = time.perf_counter()
            answer = client.get(url)
            seconds = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            print(f"  GET {url:38} HTTP {answer.status_code}  {len(answer.content) / 1e6:7.2f} MB  {seconds:6.2f} s  "
                  f"peak RSS {before / 1024:.0f} -> {after / 1024:.0f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=int, default=30, help="size of the text document in MB")
    ap.add_argument("--dir", help="where to write it (default: a new temporary directory)")
    args = ap.parse_args()
    root = Path(args.dir or tempfile.mkdtemp(prefix="dms-page-text-"))
    home = root / "home"
    if not (home / "catalog.sqlite").exists():
        print(f"writing and ingesting a {args.mb} MB text document in {root} …")
        home = prepare(root, args.mb)
    subprocess.run([sys.executable, __file__, "--measure", str(home)], check=True)  # a fresh process: fair RSS


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        measure(Path(sys.argv[2]))
    else:
        main()
