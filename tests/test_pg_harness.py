"""The test suite's throwaway PostgreSQL clusters (tests/pg.py): a test run that is killed leaves its server
running and its files behind (in /dev/shm they hold memory until the machine restarts); the next run's first
cluster stops and deletes them, and never touches a cluster whose test process is alive."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pg
import pytest

pytestmark = pytest.mark.postgresql

HERE = Path(__file__).resolve().parent

START_AND_WAIT = """
import sys, time
sys.path.insert(0, sys.argv[1])
import pg
cluster = pg.start_cluster()
print(cluster.folder, flush=True)
time.sleep(600)
"""


def _server_pid(folder: Path) -> int:
    return int((folder / "data" / "postmaster.pid").read_text().split()[0])


def test_a_killed_runs_cluster_is_stopped_and_deleted_and_a_live_ones_is_left(pg_cluster):
    parent = Path(tempfile.mkdtemp(prefix="dms-pg-sweep-"))
    os.chmod(parent, 0o755)  # the server runs as nobody (as root) and must reach its folder
    child = subprocess.Popen([sys.executable, "-c", START_AND_WAIT, str(HERE)], stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "DMS_TEST_PG_DIR": str(parent)}, start_new_session=True)
    try:
        abandoned = Path(child.stdout.readline().strip())
        assert abandoned.parent == parent
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        server = _server_pid(abandoned)
        assert pg.alive(server)  # the server outlives the test process that started it

        assert pg.sweep_abandoned(parent, pg_cluster.bin) == [abandoned]
        assert not abandoned.exists()
        deadline = time.monotonic() + 30
        while pg.alive(server) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not pg.alive(server)

        # this process's own cluster is alive: a sweep of its folder's parent leaves it, and it still answers
        assert pg.sweep_abandoned(pg_cluster.folder.parent, pg_cluster.bin) == []
        assert pg_cluster.folder.exists()
        assert pg_cluster.sql("SELECT 1") == "1"
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait(timeout=30)
        child.stdout.close()
        for folder in parent.glob("dms-pg-*"):
            pg.stop_server(pg_cluster.bin, folder)
        shutil.rmtree(parent, ignore_errors=True)
