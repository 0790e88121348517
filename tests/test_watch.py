"""`dms watch`: a real watcher process on a real folder, fed by writers that take their time."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import run_dms

from dms.app import Dms
from dms.config import load_settings
from dms.watch import Watcher


class WatchProcess:
    """`dms watch` in the background, its stderr collected as it comes."""

    def __init__(self, home: Path, folder: Path, *extra: str, settle: float = 1):
        env = {**os.environ, "DMS_HOME": str(home), "DMS_WORKERS": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dms", "watch", str(folder), "--settle", str(settle), "--rescan", "2", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.log: list[str] = []  # stderr, line by line as it comes
        self.out: list[str] = []  # stdout
        self._readers = [threading.Thread(target=lambda lines=lines, pipe=pipe: lines.extend(pipe), daemon=True)
                         for lines, pipe in ((self.log, self.proc.stderr), (self.out, self.proc.stdout))]
        for reader in self._readers:
            reader.start()

    def wait_for(self, condition, what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self.proc.poll() is not None:
                raise AssertionError(f"dms watch exited {self.proc.returncode} waiting for {what}: {self.log}")
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}: {self.log}")
            time.sleep(0.2)

    def stop(self) -> tuple[int, str]:
        """SIGTERM, then everything it printed (the readers own both pipes: nothing is read twice)."""
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)
        for reader in self._readers:
            reader.join(10)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return self.proc.returncode, "".join(self.out)

    def close(self) -> None:
        """Kill it if it still runs (a failed test) and close its pipes."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if not pipe.closed:
                pipe.close()


@pytest.fixture
def watch():
    """watch(home, folder, ...) starts `dms watch`; any still running when the test ends is killed."""
    started: list[WatchProcess] = []

    def start(*args, **kwargs) -> WatchProcess:
        started.append(WatchProcess(*args, **kwargs))
        started[-1].wait_for(lambda: any("watching" in line for line in started[-1].log), "the watcher to start")
        return started[-1]

    yield start
    for w in started:
        w.close()


def ingests_of(home: Path, path: Path) -> int:
    """How many versions of this file the audit log says were ingested."""
    with sqlite3.connect(home / "catalog.sqlite") as db:
        return db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'ingest' AND details LIKE ?",
                          (f'%"path":"{path}"%',)).fetchone()[0]


def catalogued(home: Path, path: Path) -> bool:
    if not (home / "catalog.sqlite").exists():
        return False
    with sqlite3.connect(home / "catalog.sqlite") as db:
        return db.execute("SELECT 1 FROM documents WHERE path = ? AND current_version_id IS NOT NULL",
                          (str(path),)).fetchone() is not None


def write_slowly(path: Path, chunks: list[str], pause: float) -> None:
    with open(path, "w") as fh:
        for chunk in chunks:
            fh.write(chunk)
            fh.flush()
            time.sleep(pause)


CHUNKS = [f"Line {n}: returns report for the kettle base, batch {n}.\n" for n in range(1, 9)]


def test_a_file_written_slowly_in_chunks_is_ingested_once_and_whole(home, inbox, watch):
    watcher = watch(home, inbox, "--json", settle=2)
    report = inbox / "returns.txt"
    write_slowly(report, CHUNKS, pause=0.4)  # 3.2 s of writing, each pause well under the 2 s settle
    watcher.wait_for(lambda: catalogued(home, report), "the file to be ingested")
    time.sleep(4)  # two more rescans: nothing may be ingested again
    code, out = watcher.stop()
    assert code == 0, watcher.log
    assert ingests_of(home, report) == 1
    shown = run_dms(home, "show", str(report), "--json").stdout
    assert "batch 8." in shown and "batch 1." in shown  # read after the last chunk, not before
    assert any("stopped" in line for line in watcher.log)
    assert any(f"added {report} as document" in line for line in watcher.log)
    assert '"event": "stopped"' in out and '"outcome": "added"' in out


def test_a_restart_picks_up_files_that_came_meanwhile_and_repeats_none(home, inbox, watch):
    first = inbox / "first.txt"
    first.write_text("Minutes of the first supplier call\n")
    watcher = watch(home, inbox)
    watcher.wait_for(lambda: catalogued(home, first), "the file present at start")
    assert watcher.stop()[0] == 0

    (inbox / "sub").mkdir()
    second = inbox / "sub" / "second.txt"
    second.write_text("Minutes of the second supplier call\n")
    (inbox / "draft.txt.part").write_text("a download in progress is left alone\n")
    watcher = watch(home, inbox)
    watcher.wait_for(lambda: catalogued(home, second), "the file that came while stopped")
    time.sleep(3)
    assert watcher.stop()[0] == 0
    assert ingests_of(home, first) == 1 and ingests_of(home, second) == 1
    assert not catalogued(home, inbox / "draft.txt.part")


def test_a_changed_file_becomes_a_new_version(home, inbox, watch):
    note = inbox / "note.txt"
    note.write_text("Hinge tolerance 0.2 mm\n")
    watcher = watch(home, inbox)
    watcher.wait_for(lambda: catalogued(home, note), "the first version")
    time.sleep(1.1)
    note.write_text("Hinge tolerance 0.3 mm after CR-2023-003\n")
    watcher.wait_for(lambda: ingests_of(home, note) == 2, "the second version")
    assert watcher.stop()[0] == 0
    assert any(f"updated {note}" in line for line in watcher.log)


def test_the_rescan_finds_files_no_event_announced(tmp_path, inbox):
    (inbox / "quiet.txt").write_text("Copied by a program whose writes raise no events\n")
    with Dms(load_settings(environ={}, home=tmp_path / "home")) as dms:
        dms.ensure_index()
        batches = []
        watcher = Watcher(dms, [str(inbox)], settle=0, on_batch=lambda report, outcomes: batches.append(outcomes))
        watcher.rescan()
        assert watcher.ready(time.monotonic()) == []  # first sight: its size is noted, not trusted yet
        ready = watcher.ready(time.monotonic())
        assert ready == [str(inbox / "quiet.txt")]
        watcher.ingest(ready)
        watcher.rescan()
        assert watcher.ready(time.monotonic()) == [] and watcher.ready(time.monotonic()) == []
    assert [(o.outcome, o.doc_id) for o in batches[0]] == [("added", 1)]


def test_watching_something_that_is_not_a_folder_is_a_clear_error(home, tmp_path):
    proc = run_dms(home, "watch", str(tmp_path / "nowhere"), check=False)
    assert proc.returncode == 2 and "does not exist" in proc.stderr
    with Dms(load_settings(environ={}, home=home)) as dms, pytest.raises(Exception, match="not a folder"):
        (tmp_path / "file.txt").write_text("x")
        Watcher(dms, [str(tmp_path / "file.txt")])
