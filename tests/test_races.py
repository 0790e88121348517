"""Races and crashes: two ingests at once, parallel wrong passwords, a server killed during `decide`.

Every attack here is real: real `dms` processes started at the same moment, real parallel HTTP requests
against a real uvicorn server, a real SIGKILL of `dms serve` while it waits on a real (stalled) SMTP server.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx2 as httpx
import pytest
from conftest import password_of, run_dms, run_json
from processes import Mailbox, free_port

from dms.app import Dms
from dms.config import load_settings
from dms.errors import IntegrityError
from dms.locks import ingest_lock

pytestmark = pytest.mark.both_catalogs  # (the tests that take `home`: the symlink ones touch no catalog)

# -- one ingest writer at a time ---------------------------------------------------------------------------


def _tree(root: Path, count: int) -> Path:
    root.mkdir(parents=True)
    for i in range(count):
        (root / f"note-{i:03d}.txt").write_text(f"Note {i}: the word zq{i:03d}marker appears only here.\n" * 20)
    return root


def _start_ingest(home: Path, tree: Path, env: dict | None = None) -> subprocess.Popen:
    full_env = {**os.environ, "DMS_HOME": str(home), "DMS_WORKERS": "1", "DMS_OCR": "0", **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "dms", "ingest", str(tree), "--json"], env=full_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_ingests_started_together_store_each_file_once(tmp_path, home):
    tree = _tree(tmp_path / "tree", 16)
    first, second = _start_ingest(home, tree), _start_ingest(home, tree)
    outs = [p.communicate(timeout=240) for p in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, outs

    with Dms(load_settings(environ=_catalog(), home=home)) as dms:
        conn = dms.catalog.conn
        (docs,) = conn.execute("SELECT COUNT(*) FROM documents").fetchone()
        (versions,) = conn.execute("SELECT COUNT(*) FROM versions").fetchone()
        ingest_entries = conn.execute(
            "SELECT subject, COUNT(*) FROM audit_log WHERE action = 'ingest' GROUP BY subject").fetchall()
    assert docs == 16
    assert versions == 16, "a file was stored as two versions"
    assert len(ingest_entries) == 16 and {n for _, n in ingest_entries} == {1}, "one ingest audit entry per file"
    for i in (0, 7, 15):
        hits = run_json(home, "search", f"zq{i:03d}marker")
        assert hits["total"] == 1, hits
    run_dms(home, "verify")


def test_a_second_ingest_waits_for_the_first_then_fails_clearly_past_the_wait(tmp_path, home):
    tree = _tree(tmp_path / "tree", 3)
    settings = load_settings(environ=_catalog(), home=home)
    with ingest_lock(settings):  # what a long ingest in this (other) process holds
        patient = _start_ingest(home, tree, {"DMS_LOCK_WAIT": "60"})
        hasty = run_dms(home, "ingest", str(tree), env={"DMS_LOCK_WAIT": "0.3", "DMS_OCR": "0"}, check=False)
        others = [run_dms(home, *command, env={"DMS_LOCK_WAIT": "0.3"}, check=False)
                  for command in (("reindex",), ("ocr",))]  # the other writers of the archive wait their turn too
        first_line = patient.stderr.readline()
        assert patient.poll() is None, "the patient ingest waits while the lock is held"
    out, err = patient.communicate(timeout=120)
    assert hasty.returncode == 7, hasty.stderr
    assert f"another ingest (pid {os.getpid()}, started " in hasty.stderr
    assert "DMS_LOCK_WAIT" in hasty.stderr and "Traceback" not in hasty.stderr
    for other in others:
        assert other.returncode == 7 and f"another ingest (pid {os.getpid()}, " in other.stderr, other.stderr
    assert first_line.startswith(f"another ingest (pid {os.getpid()}, started ") and "waiting" in first_line
    assert patient.returncode == 0, err
    assert json.loads(out)["added"] == 3


# -- a real server ----------------------------------------------------------------------------------------

def test_a_symlink_planted_at_the_ingest_lock_is_refused_and_its_target_keeps_its_bytes(tmp_path):
    home, tree = tmp_path / "home", _tree(tmp_path / "tree", 2)
    home.mkdir()
    victim = tmp_path / "victim.conf"
    victim.write_bytes(b"precious settings someone else relies on\n")
    (home / "ingest.lock").symlink_to(victim)
    planted = run_dms(home, "ingest", str(tree), env={"DMS_OCR": "0"}, check=False)
    assert victim.read_bytes() == b"precious settings someone else relies on\n"
    assert planted.returncode == 4 and "Traceback" not in planted.stderr, planted.stderr
    assert "ingest.lock" in planted.stderr and "symbolic link" in planted.stderr
    (home / "ingest.lock").unlink()
    (home / "ingest.lock").symlink_to(tmp_path / "not-there.txt")  # dangling: O_CREAT must not create its target
    dangling = run_dms(home, "ingest", str(tree), env={"DMS_OCR": "0"}, check=False)
    assert dangling.returncode == 4 and "symbolic link" in dangling.stderr
    assert not (tmp_path / "not-there.txt").exists()


def test_a_symlink_planted_at_the_outbox_lock_is_not_written_through(tmp_path):
    from dms.locks import try_exclusive

    victim = tmp_path / "victim.conf"
    victim.write_bytes(b"keep me\n")
    (tmp_path / "outbox.lock").symlink_to(victim)
    with pytest.raises(IntegrityError, match="outbox.lock is a symbolic link"):
        with try_exclusive(tmp_path / "outbox.lock"):
            pass
    assert victim.read_bytes() == b"keep me\n"



def _catalog() -> dict:
    """DMS_DATABASE_URL when the test runs on PostgreSQL (the `home` fixture's database_url sets it), else nothing:
    the archives this module opens itself go where the `dms` processes it starts go."""
    url = os.environ.get("DMS_DATABASE_URL")
    return {"DMS_DATABASE_URL": url} if url else {}





class Server:
    """`dms serve` in its own process on a free loopback port."""

    def __init__(self, home: Path, env: dict | None = None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = home.parent / f"server-{self.port}.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 (closed in stop)
        full_env = {**os.environ, "DMS_HOME": str(home), "DMS_WORKERS": "1", "DMS_OCR": "0", **(env or {})}
        self.proc = subprocess.Popen([sys.executable, "-m", "dms", "serve", "--port", str(self.port)],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=full_env)
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(self.base + "/health", timeout=2)
                break
            except httpx.HTTPError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise AssertionError("dms serve did not start:\n" + self.log_path.read_text()) from None
                time.sleep(0.1)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, headers={"Origin": self.base}, follow_redirects=False, timeout=60)

    def sign_in(self, client: httpx.Client, name: str, password: str) -> httpx.Response:
        return client.post("/sign-in", data={"name": name, "password": password, "next": "/"})

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        self.log.close()


def _home_with_users(home: Path, people: dict[str, str]) -> Path:
    from dms import users

    with Dms(load_settings(environ=_catalog(), home=home)) as dms:
        for name, role in people.items():
            users.add(dms.catalog, name, role, password_of(name), by="ada", email=f"{name}@example.org")
    return home


def test_a_web_upload_waits_for_the_ingest_holding_the_archive_then_answers_503(tmp_path, home):
    from dms import auth

    home = _home_with_users(home, {"ada": "admin", "cora": "coordinator"})
    with Dms(load_settings(environ=_catalog(), home=home)) as dms:
        _, token = auth.create_token(dms.catalog, "cora", "uploads", by="cora")
    server = Server(home, {"DMS_LOCK_WAIT": "0.5"})
    note = ("files", ("memo.txt", b"The zqwebmarker memo.", "text/plain"))
    try:
        with server.client() as client:
            client.headers["Authorization"] = f"Bearer {token}"
            with ingest_lock(load_settings(environ=_catalog(), home=home)):  # a `dms ingest` running meanwhile
                refused = client.post("/api/v1/documents", files=[note])
            assert refused.status_code == 503, refused.text
            message = refused.json()["error"]["message"]
            assert f"another ingest (pid {os.getpid()}, started " in message and "DMS_LOCK_WAIT" in message
            taken = client.post("/api/v1/documents", files=[note])
            assert taken.status_code == 200, taken.text
            assert client.get("/api/v1/search", params={"q": "zqwebmarker"}).json()["total"] == 1
    finally:
        server.stop()


# -- sign-in limits ---------------------------------------------------------------------------------------


def test_forty_parallel_wrong_passwords_get_at_most_the_limit_of_checks(tmp_path, home):
    home = _home_with_users(home, {"ada": "admin", "vera": "viewer"})
    server = Server(home, {"DMS_SIGN_IN_ATTEMPTS": "5"})
    try:
        start = threading.Barrier(40)

        def guess(i: int) -> int:
            with server.client() as client:
                start.wait()
                return server.sign_in(client, "vera", f"wrong-guess-{i}").status_code

        results: list[int] = []
        threads = [threading.Thread(target=lambda i=i: results.append(guess(i))) for i in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert len(results) == 40 and set(results) <= {401, 429}, results
        assert results.count(401) <= 5, f"{results.count(401)} wrong passwords were checked past a limit of 5"
        assert results.count(429) >= 35
        with server.client() as client:
            right = server.sign_in(client, "vera", password_of("vera"))
        assert right.status_code == 429 and "too many failed sign-ins" in right.text
    finally:
        server.stop()


# -- a decision's notice survives a crash --------------------------------------------------------------------


class StalledSmtp:
    """A mail server that takes the connection and never answers: the sender waits in its greeting."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.accepted = threading.Event()
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        try:
            while True:
                conn, _ = self.sock.accept()
                self.conns.append(conn)
                self.accepted.set()
        except OSError:
            pass

    def close(self) -> None:
        self.sock.close()
        for conn in self.conns:
            conn.close()





ASSESSED = dict(relevance="high", risks=["lid cracks in the field:3:4"], benefits="fewer returns",
                cost_once=12000, cost_recurring=0.4, schedule_impact="two weeks")


def test_a_server_killed_while_sending_a_decisions_notice_delivers_it_once_on_restart(tmp_path, home):
    from dms import auth, changes
    from dms.catalog import outbox

    home = _home_with_users(home, {"ada": "admin", "sofia": "viewer", "cora": "coordinator",
                                                "mona": "manager"})
    with Dms(load_settings(environ={**_catalog(), "DMS_OCR": "0"}, home=home)) as dms:
        cr = changes.create(dms, "Quieter fan", "sofia", products=["AQ150"])
        for action, who, params in (("submit", "sofia", {}), ("review", "cora", {}), ("assess", "cora", ASSESSED)):
            changes.transition(dms, cr.number, action, who, **params)
        _, token = auth.create_token(dms.catalog, "mona", "decides", by="mona")

    stalled = StalledSmtp()
    server = Server(home, {"DMS_SMTP_HOST": "127.0.0.1", "DMS_SMTP_PORT": str(stalled.port)})
    answer: list = []

    def decide():
        try:
            with httpx.Client(base_url=server.base, timeout=120) as client:
                answer.append(client.post(f"/changes/{cr.number}/decide", headers={"Authorization": f"Bearer {token}"},
                                          data={"outcome": "approved", "rationale": "returns cost more"}))
        except httpx.HTTPError as exc:
            answer.append(exc)

    request = threading.Thread(target=decide)
    try:
        request.start()
        assert stalled.accepted.wait(60), "the server never tried to send the notice:\n" + server.log_path.read_text()
        server.proc.kill()  # SIGKILL, between the decision's commit and the notice's delivery
        server.proc.wait(20)
        request.join(60)
        assert answer and isinstance(answer[0], httpx.HTTPError), "the request died with the server"
    finally:
        stalled.close()
        server.stop()

    with Dms(load_settings(environ=_catalog(), home=home)) as dms:
        decided = changes.get(dms, cr.number)
        [waiting] = outbox.notices(dms.catalog, pending_only=True)
    assert decided.state == "decided" and decided.data["decision"] == "approved", "the decision is on record"
    assert waiting.number == cr.number and waiting.delivered_at is None, "and its notice waits in the outbox"

    mailbox = Mailbox()
    server = Server(home, {"DMS_SMTP_HOST": "127.0.0.1", "DMS_SMTP_PORT": str(mailbox.port)})
    try:
        deadline = time.monotonic() + 60
        while not mailbox.received and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)  # a second delivery, if any, would come now
    finally:
        server.stop()
        mailbox.close()
    assert len(mailbox.received) == 1, f"{len(mailbox.received)} notices were delivered"
    assert f"Decision on change request {cr.number}: approved" in mailbox.received[0]
    with Dms(load_settings(environ=_catalog(), home=home)) as dms:
        [done] = outbox.notices(dms.catalog)
    assert done.delivered_at and done.delivered_to == f"smtp://127.0.0.1:{mailbox.port}"
    filed = list((home / "notices").glob("*-decision-*.eml"))
    assert len(filed) == 1 and "returns cost more" in filed[0].read_text()


def test_a_notice_the_mail_server_refused_stays_pending_with_its_error_and_is_sent_by_retry(tmp_path, home):

    from dms import changes
    from dms.errors import NotDelivered

    home = _home_with_users(home, {"ada": "admin", "sofia": "viewer", "cora": "coordinator",
                                                "mona": "manager"})
    closed_port = free_port()  # nothing listens there
    with Dms(load_settings(environ={**_catalog(), "DMS_OCR": "0", "DMS_SMTP_HOST": "127.0.0.1",
                                    "DMS_SMTP_PORT": str(closed_port)}, home=home)) as dms:
        cr = changes.create(dms, "Matte finish", "sofia")
        for action, who, params in (("submit", "sofia", {}), ("review", "cora", {}), ("assess", "cora", ASSESSED)):
            changes.transition(dms, cr.number, action, who, **params)
        with pytest.raises(NotDelivered, match="not delivered yet .*: the notice could not be sent through"):
            changes.transition(dms, cr.number, "decide", "mona", outcome="rejected", rationale="too costly")
        later = changes.create(dms, "Longer cord", "sofia")  # any later change command tries again
        assert later.state == "draft" and changes.get(dms, cr.number).state == "decided"
    listed = run_json(home, "change", "notices")
    [pending] = listed["notices"]
    assert pending["number"] == cr.number and pending["attempts"] == 2 and "could not be sent" in pending["last_error"]
    still = run_dms(home, "change", "notices", "--retry", env={"DMS_SMTP_HOST": "127.0.0.1",
                                                               "DMS_SMTP_PORT": str(closed_port)}, check=False)
    assert still.returncode == 1 and "PENDING" in still.stdout and "still not delivered" in still.stderr
    sent = run_dms(home, "change", "notices", "--retry", "--all")  # no mail server set: the outbox folder
    assert "delivered" in sent.stdout and "PENDING" not in sent.stdout
    [eml] = (home / "outbox").glob("*-decision-*.eml")
    assert "Decision on change request" in eml.read_text() and "rejected" in eml.read_text()
    again = run_dms(home, "change", "notices", "--retry")
    assert "no notices wait for delivery" in again.stdout and len(list((home / "outbox").iterdir())) == 1
