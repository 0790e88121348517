"""The quick start (scripts/run-archive) never loses work: run again, it keeps the data directory and ingests only
what is new; `--fresh` says what it deletes before it does; it acts as the admin it creates, once.

The script runs for real, in a copy of the repository's layout (scripts/, archive/, pyproject.toml and a link to
this checkout's .venv, installed already), with --no-serve, over a small archive so each run takes seconds. Only
what the script alone does is checked here: what it keeps, what it says and whom it acts as. Between and after its
runs the data directory is read and changed in this process (the commands themselves are tested elsewhere), which
spares a `dms` process start for each look."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO, write_pdf

from dms import audit, changes, users
from dms.app import Dms
from dms.config import load_settings

SAMPLES = ("KX200/change-requests/CR-2023-001.docx", "KX200/specifications/SPEC-KX200-02_RevC.docx",
           "KX200/correspondence/2023-05-23_Kessler_1.eml")


@pytest.fixture
def checkout(tmp_path) -> Path:
    """A repository layout whose .venv is this checkout's (so the script installs nothing)."""
    root = tmp_path / "repo"
    (root / "scripts").mkdir(parents=True)
    for name in ("run-archive", "ensure-packages"):
        shutil.copy2(REPO / "scripts" / name, root / "scripts" / name)
    shutil.copy2(REPO / "pyproject.toml", root / "pyproject.toml")
    os.utime(root / "pyproject.toml", (0, 0))  # older than the installed `dms`: the script does not reinstall
    (root / ".venv").symlink_to(REPO / ".venv")
    for sample in SAMPLES:
        (root / "archive" / sample).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / "archive" / sample, root / "archive" / sample)
    return root


def _run(root: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMS_")} | {"DMS_OCR": "0", "DMS_WORKERS": "1"}
    proc = subprocess.run(["bash", str(root / "scripts" / "run-archive"), "--no-serve", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def _archive(home: Path) -> Dms:
    return Dms(load_settings(environ={}, home=home))


@pytest.mark.slow
@pytest.mark.timeout(1200)  # three real runs of the script, each verifying and searching
def test_the_quick_start_run_twice_keeps_a_change_request_made_in_between_and_fresh_starts_over(checkout):
    home = checkout / ".dms-home"
    first = _run(checkout)
    assert re.search(r"sign in as\s+admin\s+with password\s+\S{12,}", first)
    assert f"to start only the server again later (nothing ingested):  DMS_HOME={home} .venv/bin/dms serve" in first
    assert "added 3," in first and "acting as admin" in first

    with _archive(home) as app:
        made = changes.create(app, "Stronger lid hinge", "admin", products=["KX200"])
    write_pdf(checkout / "archive" / "KX200" / "hinge-test.pdf", ["Lid hinge fatigue test, 10 000 cycles."])

    second = _run(checkout)
    assert f"keeping the data directory {home}" in second
    assert "added 1, updated 0, unchanged 3" in second  # only what is new
    assert "the user admin exists already" in second and "user reset-password admin" in second
    assert "password   " not in second  # no second admin, no new password
    with _archive(home) as app:
        assert changes.get(app, made.number).title == "Stronger lid hinge"
        assert [u["name"] for u in users.listing(app.catalog)] == ["admin"]
        for doc_id in (1, 5):  # the first run's ingest and the second's are on record under the admin's name
            entries = audit.history(app.catalog, f"doc:{doc_id}")
            assert [e["user"] for e in entries if e["action"] == "ingest"] == ["admin"], entries

    fresh = _run(checkout, "--fresh")  # starting over is asked for, and says what goes
    said = fresh.split("== dms ingest")[0]
    assert f"== --fresh: deleting the data directory {home} and everything in it:" in said
    assert re.search(r"5 documents \(.* MB of originals\), 1 change requests in the workflow, 1 users \(admin\), "
                     r"\d+ audit-log entries", said), said
    assert re.search(r"\n\s+\S+\s+catalog\.sqlite\n", said) and "deleted." in said
    assert re.search(r"sign in as\s+admin\s+with password", fresh)  # a new archive, a new admin
    with _archive(home) as app:
        assert changes.listing(app) == []
    assert "added 4," in fresh
