"""Legal holds, purges and releases raced by real processes: the checks that guard them hold inside the write.

Each race is forced, not hoped for: a second process holds the catalog's write lock (or the archive's ingest
lock) and lets go only once the command under test has got past its first check. No mocks: real `dms`
commands in subprocesses, a real catalog and store.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, run_json
from processes import until

from dms import audit, holds, records, users
from dms.app import Dms
from dms.config import load_settings
from dms.errors import UsageError
from dms.ingest.pipeline import ingest

pytestmark = pytest.mark.both_catalogs

PASSWORD = "long enough pass"
WAIT = 60  # seconds any step of a race may take before the test gives up

# A second process that holds a lock until told to let go (the file `go` appears):
#   hold      - the catalog's write lock, in a transaction that places the hold "Late matter" on document 2
#   write     - the catalog's write lock, in a transaction that writes nothing
#   ingest    - the archive's ingest lock
HOLDER = """
import os, sys, time
from pathlib import Path
from dms import holds
from dms.app import Dms
from dms.config import load_settings
from dms.locks import ingest_lock

home, action, ready, go = sys.argv[1:5]

def wait_for_go():
    Path(ready).touch()
    deadline = time.monotonic() + 120
    while not Path(go).exists():
        if time.monotonic() > deadline:
            sys.exit("never told to let go")
        time.sleep(0.02)

catalog = {k: v for k, v in os.environ.items() if k == "DMS_DATABASE_URL"}  # PostgreSQL, when the test is on it
with Dms(load_settings(environ=catalog, home=Path(home))) as app:
    if action == "ingest":
        with ingest_lock(app.settings):
            wait_for_go()
    else:
        with app.catalog.transaction():
            if action == "hold":
                holds.place(app, "Late matter", "cora", documents=["2"])
            wait_for_go()
"""


@pytest.fixture
def small(tmp_path, home, database_url):
    """A fresh archive of five letters and one user of each role (on the test's catalog: the processes the test
    starts find it in DMS_DATABASE_URL, which the database_url fixture sets for PostgreSQL)."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    for n in range(1, 6):
        (inbox / f"letter-{n}.txt").write_text(f"Letter {n} about the walnut gasket.\nDate: 2023-0{n}-10\n")
    with Dms(load_settings(environ={"DMS_DATABASE_URL": database_url} if database_url else {}, home=home)) as app:
        ingest(app, [inbox], inline=True)
        users.add(app.catalog, "ada", "admin", PASSWORD, by="ada")
        for name, role in (("cora", "coordinator"), ("mona", "manager"), ("max", "manager")):
            users.add(app.catalog, name, role, PASSWORD, by="ada")
        yield app


class Holder:
    """A process holding a lock (see HOLDER) until `let_go`."""

    def __init__(self, home: Path, action: str, tmp: Path):
        self.ready, self.go = tmp / f"{action}.ready", tmp / f"{action}.go"
        self.proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(home), action, str(self.ready), str(self.go)],
                                     cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        until(lambda: self.ready.exists(), "the holder to take its lock", self.proc)

    def let_go(self) -> None:
        self.go.touch()
        out, err = self.proc.communicate(timeout=WAIT)
        assert self.proc.returncode == 0, err





def _dms(home: Path, user: str, *args: str, env: dict | None = None) -> subprocess.Popen:
    full_env = {**os.environ, "DMS_HOME": str(home), "DMS_USER": user, **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "dms", *args], cwd=REPO, env=full_env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _finish(proc: subprocess.Popen) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=WAIT)
    return proc.returncode, out, err


def _holds_ingest_lock(home: Path, proc: subprocess.Popen) -> bool:
    """Whether proc holds the archive's ingest lock (its holder line is in ingest.lock while it is held)."""
    try:
        return (home / "ingest.lock").read_text().startswith(f"pid {proc.pid},")
    except FileNotFoundError:
        return False


def _has_catalog_open(app, proc: subprocess.Popen, waiting: int = 1) -> bool:
    """Whether proc has the catalog open: on SQLite, the file among its open files; on PostgreSQL, where the catalog
    is no file of the process, whether `waiting` connections (this one among them) wait for the write lock."""
    if app.settings.database_url:
        import psycopg

        from dms.catalog.pgdriver import WRITE_LOCK, libpq_url

        with psycopg.connect(libpq_url(app.settings.database_url), autocommit=True) as conn:
            (count,) = conn.execute("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                                    "AND objid = %s", (WRITE_LOCK,)).fetchone()
        return proc.poll() is None and count >= waiting
    home = app.settings.home
    fds = Path(f"/proc/{proc.pid}/fd")
    try:
        return any(os.readlink(fd) == str(home / "catalog.sqlite") for fd in fds.iterdir())
    except (FileNotFoundError, ProcessLookupError):
        return False


def _actions(app, subject: str) -> list[str]:
    return [e["action"] for e in audit.history(app.catalog, subject)]


def test_a_hold_committed_after_a_purge_checked_for_holds_still_stops_the_purge(small, tmp_path):
    home = small.settings.home
    blob = small.store.path_for(small.catalog.document(2).version.sha256)
    holder = Holder(home, "hold", tmp_path)  # the hold is placed, not yet committed: the purge's first check passes
    purge = _dms(home, "ada", "purge", "2", "--reason", "privacy request")
    # the purge takes the ingest lock after its first check and before its write transaction
    until(lambda: _holds_ingest_lock(home, purge), "the purge to pass its first check", purge)
    holder.let_go()  # the hold commits while the purge waits for the write lock
    code, out, err = _finish(purge)
    assert code == 2, (out, err)
    assert "under legal hold (Late matter)" in err
    assert records.status(small, 2)["purged_at"] is None and blob.exists()
    assert "purged" not in _actions(small, "doc:2")
    assert holds.holds_on(small, 2) == ["Late matter"]


@pytest.mark.parametrize("args", [("retire", "2", "--reason", "duplicate"),
                                  ("edit", "2", "--reason", "typo", "--title", "Letter two")], ids=["retire", "edit"])
def test_a_hold_committed_after_a_retire_or_edit_checked_for_holds_still_stops_it(small, tmp_path, args):
    """Retire and edit take no ingest lock: the holder lets go once the command has surely read the catalog and
    waits for the write lock; the hold must win."""
    home = small.settings.home
    holder = Holder(home, "hold", tmp_path)
    command = _dms(home, "cora", *args)
    until(lambda: _has_catalog_open(small, command), f"dms {args[0]} to open the catalog", command)
    time.sleep(1.5)  # its first check reads committed rows only: the hold is not among them yet
    assert command.poll() is None, _finish(command)  # still waiting for the write lock the holder has
    holder.let_go()
    code, out, err = _finish(command)
    assert code == 2 and "under legal hold (Late matter)" in err, (code, out, err)
    assert records.status(small, 2)["retired_at"] is None
    assert small.catalog.document(2).version.title != "Letter two"
    assert _actions(small, "doc:2").count("hold placed") == 1 and len(_actions(small, "doc:2")) == 2


def test_of_two_concurrent_releases_of_a_hold_one_succeeds_and_the_other_is_refused(small, tmp_path):
    home = small.settings.home
    holds.place(small, "Dispute", "cora", documents=["1"])
    holder = Holder(home, "write", tmp_path)  # both releases start while a writer holds the catalog
    releases = {user: _dms(home, user, "hold", "release", "Dispute", "--reason", f"settled ({user})")
                for user in ("mona", "max")}
    for user, proc in releases.items():
        until(lambda p=proc: _has_catalog_open(small, p, waiting=2), f"{user}'s release to open the catalog", proc)
    time.sleep(1.5)  # both have read the matter as still holding, and wait for the write lock
    assert all(proc.poll() is None for proc in releases.values())
    holder.let_go()
    done = {user: _finish(proc) for user, proc in releases.items()}
    winners = [user for user, (code, _, _) in done.items() if code == 0]
    assert len(winners) == 1, done
    (loser,) = set(done) - set(winners)
    code, _, err = done[loser]
    assert code == 2 and f"released already, by {winners[0]} on " in err, done
    matter = holds.get(small, "Dispute")
    assert matter["released_by"] == winners[0] and matter["release_reason"] == f"settled ({winners[0]})"
    assert _actions(small, "matter:Dispute").count("hold released") == 1


def test_a_release_of_a_released_hold_names_who_released_it_and_when(small):
    holds.place(small, "Dispute", "cora", documents=["1"])
    released = holds.release(small, "Dispute", "mona", "settled")
    with pytest.raises(UsageError, match=re.escape(f"released already, by mona on {released['released_at']}")):
        holds.release(small, "Dispute", "max", "settled too")


def test_a_purge_that_waits_too_long_for_a_running_ingest_is_refused_and_changes_nothing(small, tmp_path):
    home = small.settings.home
    doc = small.catalog.document(5)
    blob = small.store.path_for(doc.version.sha256)
    holder = Holder(home, "ingest", tmp_path)
    try:
        code, out, err = _finish(_dms(home, "ada", "purge", "5", "--reason", "privacy", env={"DMS_LOCK_WAIT": "1"}))
    finally:
        holder.let_go()
    assert code == 7, (out, err)
    assert "document 5 was not purged: its originals are deleted only while no ingest runs" in err
    assert records.status(small, 5)["purged_at"] is None and blob.exists()
    assert "purged" not in _actions(small, "doc:5")
    assert run_json(home, "purge", "5", "--reason", "privacy", "--as", "ada")["deleted_blobs"] == [doc.version.sha256]


def test_a_purge_during_an_ingest_of_the_same_bytes_never_leaves_a_version_without_its_original(small, tmp_path):
    home = small.settings.home
    sha = small.catalog.document(5).version.sha256
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "a-copy.txt").write_bytes(Path(small.catalog.document(5).path).read_bytes())  # the purged bytes
    for n in range(300):  # enough for the ingest to still run when the purge comes
        (incoming / f"filler-{n:03}.txt").write_text(f"Filler note {n} on the oak flange, batch {n * 7919 % 1000}.\n")
    ingesting = _dms(home, "ada", "ingest", str(incoming))
    until(lambda: _holds_ingest_lock(home, ingesting), "the ingest to start", ingesting)
    purge = _dms(home, "ada", "purge", "5", "--reason", "privacy", "--json")
    code, out, err = _finish(purge)
    assert code == 0, (out, err)
    assert "another ingest" in err and "waiting" in err  # it did wait for the ingest
    assert _finish(ingesting)[0] == 0
    assert json.loads(out)["deleted_blobs"] == []  # the copy holds the same bytes now
    copy = small.catalog.document_at_path(str(incoming / "a-copy.txt"))
    assert copy.version.sha256 == sha and small.store.has(sha)
    assert records.status(small, 5)["purged_at"]
    assert run_json(home, "verify")["ok"]
