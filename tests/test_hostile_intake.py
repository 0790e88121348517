"""A hostile folder against intake: links out of the tree, FIFOs (also swapped in after the scan), file names
that are not UTF-8 or hold newlines, unreadable files and folders. Real links, real FIFOs, real bytes names,
a real unprivileged process; `dms ingest` and `dms watch` carry on past every one of them."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from conftest import run_dms, run_json
from test_watch import WatchProcess, watch  # noqa: F401 (the fixture starting real `dms watch` processes)

from dms.app import Dms
from dms.ingest.pipeline import ingest
from dms.search import search

SECRET = "zebracrossing"  # a word only the files outside the ingested folder hold


def bytes_file(folder: Path, name: bytes, data: bytes) -> Path:
    """A file whose name is these bytes (not necessarily UTF-8), written through a bytes path."""
    fd = os.open(os.fsencode(folder) + b"/" + name, os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, data)
    os.close(fd)
    return Path(os.fsdecode(os.fsencode(folder) + b"/" + name))


def ingest_json(home: Path, *args: str) -> dict:
    return run_json(home, "ingest", *args, env={"DMS_WORKERS": "1"})


def total(home: Path, query: str) -> int:
    """Documents the archive finds for this query (in this process: quicker than `dms search`)."""
    from dms.config import load_settings

    with Dms(load_settings(environ={}, home=home)) as app:
        return search(app, query).total


def problems_by_path(home: Path) -> dict[str, dict]:
    return {p["path"]: p for p in run_json(home, "problems")["problems"]}


def web_pages(home: Path, *urls: str) -> list[str]:
    """These pages of the web application on this archive, as a signed-in viewer sees them."""
    from conftest import password_of
    from fastapi.testclient import TestClient

    from dms import users
    from dms.config import load_settings
    from dms.web import create_app

    settings = load_settings(environ={}, home=home)
    with Dms(settings) as app:
        users.add(app.catalog, "ada", "admin", password_of("ada"), by="test")
        users.add(app.catalog, "vera", "viewer", password_of("vera"), by="ada")
    with TestClient(create_app(settings), follow_redirects=False) as client:
        signed = client.post("/sign-in", data={"name": "vera", "password": password_of("vera"), "next": "/"})
        assert signed.status_code == 303, signed.text
        pages = [client.get(url) for url in urls]
    assert [p.status_code for p in pages] == [200] * len(urls)
    return [p.text for p in pages]


@pytest.fixture
def outside(tmp_path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text(f"the {SECRET} password list\n")
    return folder


def test_symlinks_out_of_the_folder_are_problems_and_never_stored(home, inbox, outside):
    (inbox / "ok.txt").write_text("kettle lid specification\n")
    (inbox / "passwd.txt").symlink_to("/etc/passwd")
    (inbox / "environ.txt").symlink_to("/proc/self/environ")
    (inbox / "secret.txt").symlink_to(outside / "secret.txt")
    (inbox / "elsewhere").symlink_to(outside, target_is_directory=True)
    (inbox / "sub").mkdir()
    (inbox / "sub" / "same.txt").symlink_to(inbox / "ok.txt")  # inside the tree: followed
    (inbox / "sub" / "loop").symlink_to(inbox, target_is_directory=True)  # inside, and a loop: not walked again

    report = ingest_json(home, str(inbox))

    assert report["added"] == 1 and report["duplicates"] == 1  # ok.txt, and the same bytes through sub/same.txt
    assert total(home, SECRET) == 0
    assert total(home, "nologin") == 0  # /etc/passwd
    for run in range(2):  # and they stay listed on the next run
        problems = problems_by_path(home)
        assert problems[str(inbox / "passwd.txt")]["reason"] == (
            "symbolic link to /etc/passwd, outside the ingested folder: not followed "
            "(dms ingest --follow-symlinks, or DMS_FOLLOW_SYMLINKS=1 for dms watch)")
        assert "system folder: never followed" in problems[str(inbox / "environ.txt")]["reason"]
        assert f"symbolic link to {outside / 'secret.txt'}, outside" in problems[str(inbox / "secret.txt")]["reason"]
        assert f"symbolic link to {outside}, outside" in problems[str(inbox / "elsewhere")]["reason"]
        assert not [p for p in problems if "/sub/" in p]
        if run == 0:
            assert ingest_json(home, str(inbox))["unchanged"] == 2
    (inbox / "passwd.txt").unlink()  # gone: its problem is over
    ingest_json(home, str(inbox))
    assert str(inbox / "passwd.txt") not in problems_by_path(home)


def test_follow_symlinks_reads_out_of_the_folder_but_never_system_folders_or_fifos(home, inbox, outside):
    os.mkfifo(outside / "pipe")
    (inbox / "secret.txt").symlink_to(outside / "secret.txt")
    (inbox / "pipe").symlink_to(outside / "pipe")
    (inbox / "environ.txt").symlink_to("/proc/self/environ")
    (inbox / "zero").symlink_to("/dev/zero")

    report = ingest_json(home, str(inbox), "--follow-symlinks")

    assert report["added"] == 1
    assert total(home, SECRET) == 1
    reasons = {p["path"]: p["reason"] for p in report["problems"]}
    assert "not a regular file (FIFO): not followed" in reasons[str(inbox / "pipe")]
    assert "system folder: never followed" in reasons[str(inbox / "environ.txt")]
    assert "system folder: never followed" in reasons[str(inbox / "zero")]


@pytest.mark.timeout(60)
def test_fifo_in_the_folder_is_a_problem_and_the_run_goes_on(home, inbox):
    os.mkfifo(inbox / "a-pipe.txt")
    (inbox / "b.txt").write_text("kettle lid specification\n")

    report = ingest_json(home, str(inbox))

    assert report["added"] == 1
    [p] = report["problems"]
    assert (p["path"], p["kind"], p["reason"]) == (str(inbox / "a-pipe.txt"), "special",
                                                   "not a regular file (FIFO): not read")
    assert str(inbox / "a-pipe.txt") in problems_by_path(home)


@pytest.mark.timeout(60)
def test_fifo_or_link_swapped_in_after_the_scan_is_refused_not_waited_on(settings, inbox):
    (inbox / "a.txt").write_text("already in the archive\n")
    with Dms(settings) as app:
        ingest(app, [inbox], inline=True)
        (inbox / "b.txt").write_text("kettle lid specification\n")
        (inbox / "c.txt").write_text("gasket drawing\n")
        swapped = []

        def swap(done, total):  # called once a.txt is done: after the scan, before b.txt and c.txt are read
            if not swapped:
                (inbox / "b.txt").unlink()
                os.mkfifo(inbox / "b.txt")
                (inbox / "c.txt").unlink()
                (inbox / "c.txt").symlink_to("/etc/passwd")
                swapped.append(True)

        report = ingest(app, [inbox], on_progress=swap, inline=True)

        assert swapped and report.unchanged == 1 and report.added == 0
        assert {p["path"]: p["reason"] for p in report.problems} == {
            str(inbox / "b.txt"): "not a regular file (FIFO): not read",
            str(inbox / "c.txt"): "replaced by a symbolic link after it was scanned: not followed"}
        assert sorted(x["path"] for x in app.catalog.problems()) == [str(inbox / "b.txt"), str(inbox / "c.txt")]
        assert search(app, "nologin").total == 0


def test_file_name_that_is_not_utf8_is_ingested_found_again_and_shown_escaped(home, inbox):
    odd = bytes_file(inbox, b"caf\xe9 \\x41.txt", b"espresso machine manual\n")
    (inbox / "plain.txt").write_text("kettle lid specification\n")
    os.mkfifo(os.fsencode(inbox) + b"/pipe\xff")  # a problem whose path is not UTF-8 either
    shown_name = str(inbox / "caf\\xe9 \\\\x41.txt")  # the byte as \xe9; a backslash of the name doubled

    first = ingest_json(home, str(inbox))
    again = ingest_json(home, str(inbox))

    assert (first["added"], again["added"], again["unchanged"]) == (2, 0, 2)
    [hit] = run_json(home, "search", "espresso")["hits"]
    from dms.display import to_fs, to_text

    assert hit["path"] == shown_name and to_fs(hit["path"]) == str(odd)
    assert run_json(home, "show", str(hit["id"]))["path"] == shown_name
    human = run_dms(home, "problems").stdout
    assert str(inbox / "pipe\\xff") in human and "not a regular file (FIFO)" in human
    problems_page, dashboard, document_page = web_pages(home, "/problems", "/", f"/documents/{hit['id']}")
    assert "pipe\\xff" in problems_page and "pipe\\xff" in dashboard and "caf\\xe9" in document_page

    # the text form of any name: reversible, never shared by two names, unchanged for valid names
    names = ["café.txt", "caf\udce9.txt", "caf\\xe9.txt", "caf\\\\xe9.txt", "a\\\\b", "a\\b", "\udce9\\x41\\",
             "x\udcff\\\\", "x\\xff\\\\", "x\\\\xff\\"]
    texts = [to_text(n) for n in names]
    assert [to_fs(t) for t in texts] == names  # reversible
    assert len(set(texts)) == len(names)  # never two names for one text
    assert all(t.encode("utf-8") for t in texts)  # valid text: SQLite, JSON and a terminal take it
    assert texts[:2] == ["café.txt", "caf\\xe9.txt"] and texts[5] == "a\\b"  # valid names stay as they are


def test_newline_in_a_file_name_cannot_forge_a_line_of_problems(home, inbox):
    forged = "empty.txt\n[1] error failed: shadow.txt\n      the forged line"
    (inbox / forged).write_bytes(b"")  # an empty file: a problem with its (hostile) name

    ingest_out = run_dms(home, "ingest", str(inbox)).stdout
    problems_out = run_dms(home, "problems").stdout

    for out in (ingest_out, problems_out):
        assert "empty.txt\\n[1] error failed: shadow.txt\\n      the forged line" in out
        assert not any(line.startswith("[1] error failed: shadow.txt") for line in out.splitlines())
    assert run_json(home, "problems")["problems"][0]["path"] == str(inbox / forged)  # JSON keeps the real name
    from dms.display import shown

    assert shown("a\u202eb\x1b[31m\rc") == "a\\u202eb\\x1b[31m\\rc"


def run_unprivileged(home: Path, *args: str) -> dict:
    """`dms ... --json` as a process that permission bits stop: tests run as root, so without the capabilities
    that let root read and search past them (dac_override, dac_read_search), dropped by setpriv(1)."""
    import json
    import subprocess
    import sys

    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is needed to run dms without root's override of permissions")
    caps = "-dac_override,-dac_read_search"
    env = {**os.environ, "DMS_HOME": str(home), "DMS_WORKERS": "1"}
    proc = subprocess.run([setpriv, "--inh-caps", caps, "--bounding-set", caps, "--", sys.executable, "-m", "dms",
                           *args, "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_unreadable_file_and_folder_stay_listed_until_readable(home, inbox):
    (inbox / "ok.txt").write_text("kettle lid specification\n")
    (inbox / "locked.txt").write_text("locked gasket drawing\n")
    (inbox / "gone.txt").write_text("soon removed\n")
    (inbox / "closed").mkdir()
    (inbox / "closed" / "inside.txt").write_text("inside the closed folder\n")
    for path in (inbox / "locked.txt", inbox / "gone.txt", inbox / "closed"):
        os.chmod(path, 0)

    first = run_unprivileged(home, "ingest", str(inbox))
    run_unprivileged(home, "ingest", str(inbox))  # a later run: the problems stay listed
    listed = {p["path"]: p for p in run_unprivileged(home, "problems")["problems"]}

    assert first["added"] == 1
    assert {p["path"] for p in first["problems"]} == set(listed) == {
        str(inbox / "locked.txt"), str(inbox / "gone.txt"), str(inbox / "closed")}
    assert listed[str(inbox / "closed")]["reason"].startswith("the folder could not be read")
    assert listed[str(inbox / "locked.txt")]["reason"] == (
        "the file could not be read, so it was not stored: Permission denied")

    os.chmod(inbox / "locked.txt", 0o644)
    os.chmod(inbox / "closed", 0o755)
    (inbox / "gone.txt").unlink()
    last = run_unprivileged(home, "ingest", str(inbox))

    assert (last["added"], last["problems"]) == (2, [])
    assert run_unprivileged(home, "problems")["problems"] == []


@pytest.mark.timeout(120)
def test_watch_carries_on_past_every_hostile_file(home, inbox, outside, watch):  # noqa: F811
    w = watch(home, inbox)
    (inbox / "passwd.txt").symlink_to("/etc/passwd")
    (inbox / "secret.txt").symlink_to(outside / "secret.txt")
    os.mkfifo(inbox / "pipe.txt")
    odd = bytes_file(inbox, b"caf\xe9.txt", b"espresso machine manual\n")
    forged = inbox / "x.txt\nERROR forged line"
    forged.write_text("forged name\n")
    w.wait_for(lambda: any("caf\\xe9.txt as document" in line for line in w.log), "the non-UTF-8 file")
    (inbox / "good.txt").write_text("kettle lid specification\n")
    w.wait_for(lambda: any("good.txt as document" in line for line in w.log), "the good file after the bad ones")

    code, _ = w.stop()

    assert code == 0
    log = "".join(w.log)
    assert "Traceback" not in log and "\nERROR forged line" not in log
    assert "x.txt\\nERROR forged line as document" in log
    problems = problems_by_path(home)
    assert "outside the ingested folder: not followed" in problems[str(inbox / "passwd.txt")]["reason"]
    assert "outside the ingested folder: not followed" in problems[str(inbox / "secret.txt")]["reason"]
    assert problems[str(inbox / "pipe.txt")]["reason"] == "not a regular file (FIFO): not read"
    assert total(home, SECRET) == 0
    assert run_json(home, "search", "espresso")["hits"][0]["path"] == str(inbox / "caf\\xe9.txt") != str(odd)


def test_watch_follows_links_out_only_with_the_setting_and_never_into_system_folders(tmp_path, inbox, outside):
    import time

    from dms.config import load_settings
    from dms.watch import Watcher

    (inbox / "secret.txt").symlink_to(outside / "secret.txt")
    (inbox / "environ.txt").symlink_to("/proc/self/environ")
    for follow, stored in (("0", 0), ("1", 1)):
        settings = load_settings(environ={"DMS_WORKERS": "1", "DMS_FOLLOW_SYMLINKS": follow}, home=tmp_path / follow)
        with Dms(settings) as app:
            watcher = Watcher(app, [str(inbox)], settle=0)
            watcher.rescan()
            watcher.ready(time.monotonic())  # first sight of each path
            watcher.ingest(watcher.ready(time.monotonic()))  # held still: ingested

            assert search(app, SECRET).total == stored
            reasons = {p["path"]: p["reason"] for p in app.catalog.problems()}
            assert "a system folder: never followed" in reasons[str(inbox / "environ.txt")]
            assert (str(inbox / "secret.txt") in reasons) == (not stored)


# -- links that cannot be resolved; system folders named or walked into; a watched folder swapped; a growing file --

NO_PTRACE = "-sys_ptrace"  # without it, /proc/<pid>/root of a process that is not dumpable cannot be read


@pytest.fixture
def guarded_pid():
    """A real process that is not dumpable: a process without CAP_SYS_PTRACE cannot readlink /proc/<pid>/root."""
    import subprocess
    import sys

    code = "import ctypes, time; ctypes.CDLL(None).prctl(4, 0, 0, 0, 0); print(flush=True); time.sleep(300)"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    proc.stdout.readline()  # PR_SET_DUMPABLE 0 done
    yield proc.pid
    proc.kill()
    proc.wait(10)
    proc.stdout.close()


def without_ptrace(*command: str) -> list[str]:
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is needed to run dms without CAP_SYS_PTRACE")
    return [setpriv, "--inh-caps", NO_PTRACE, "--bounding-set", NO_PTRACE, "--", *command]


def run_without_ptrace(home: Path, *args: str):
    import subprocess
    import sys

    env = {**os.environ, "DMS_HOME": str(home), "DMS_WORKERS": "1"}
    return subprocess.run(without_ptrace(sys.executable, "-m", "dms", *args), capture_output=True, text=True,
                          env=env, timeout=120)


def unresolvable_links(inbox: Path, pid: int) -> None:
    (inbox / "passwd").symlink_to(f"/proc/{pid}/root/etc/passwd")  # readlink of /proc/<pid>/root: EACCES
    (inbox / "sub").mkdir()
    (inbox / "sub" / "etc").symlink_to(f"/proc/{pid}/root/etc", target_is_directory=True)
    assert os.readlink(f"/proc/{pid}/root") == "/"  # root can; the dms processes below cannot


@pytest.mark.timeout(120)
def test_link_that_cannot_be_resolved_is_a_problem_and_ingest_goes_on(home, inbox, guarded_pid):
    (inbox / "ok.txt").write_text("kettle lid specification\n")
    unresolvable_links(inbox, guarded_pid)

    runs = [run_without_ptrace(home, "ingest", str(inbox), "--json") for _ in range(2)]
    listed = run_without_ptrace(home, "problems", "--json")

    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr
    assert "Traceback" not in runs[0].stderr + runs[1].stderr
    import json

    first, second = (json.loads(r.stdout) for r in runs)
    assert (first["added"], second["unchanged"]) == (1, 1)
    assert total(home, "kettle") == 1
    problems = {p["path"]: p for p in json.loads(listed.stdout)["problems"]}
    assert set(problems) == {str(inbox / "passwd"), str(inbox / "sub" / "etc")}
    assert problems[str(inbox / "passwd")]["kind"] == "symlink"
    assert problems[str(inbox / "passwd")]["reason"] == (
        f"symbolic link to /proc/{guarded_pid}/root/etc/passwd that cannot be resolved (Permission denied): "
        "not followed")


class WatchWithoutPtrace(WatchProcess):
    """`dms watch` as a process without CAP_SYS_PTRACE, rescanning every second."""

    def __init__(self, home: Path, folder: Path):
        import subprocess
        import sys
        import threading

        env = {**os.environ, "DMS_HOME": str(home), "DMS_WORKERS": "1"}
        self.proc = subprocess.Popen(
            without_ptrace(sys.executable, "-m", "dms", "watch", str(folder), "--settle", "1", "--rescan", "1"),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.log: list[str] = []
        self.out: list[str] = []
        self._readers = [threading.Thread(target=lambda lines=lines, pipe=pipe: lines.extend(pipe), daemon=True)
                         for lines, pipe in ((self.log, self.proc.stderr), (self.out, self.proc.stdout))]
        for reader in self._readers:
            reader.start()


@pytest.mark.timeout(120)
def test_watch_goes_on_past_a_link_that_cannot_be_resolved(home, inbox, guarded_pid):
    unresolvable_links(inbox, guarded_pid)
    w = WatchWithoutPtrace(home, inbox)
    try:
        w.wait_for(lambda: sum("cannot be resolved" in line for line in w.log) >= 2, "the links' problems")
        time.sleep(2.5)  # two more rescans meet the links again
        (inbox / "good.txt").write_text("kettle lid specification\n")
        w.wait_for(lambda: any("good.txt as document" in line for line in w.log), "the good file added later")
        code, _ = w.stop()
    finally:
        w.close()

    assert code == 0
    log = "".join(w.log)
    assert "Traceback" not in log and "could not" not in log
    assert str(inbox / "passwd") in problems_by_path(home)


def test_system_folder_named_or_reached_by_a_named_link_is_never_read(home, tmp_path):
    (tmp_path / "envfile").symlink_to("/proc/self/environ")
    (tmp_path / "procdir").symlink_to("/proc/self", target_is_directory=True)
    env = {"DMS_EXTRACT_TIMEOUT": "5"}

    started = time.monotonic()
    runs = {name: run_dms(home, "ingest", str(path), env=env, check=False)
            for name, path in (("envfile", tmp_path / "envfile"), ("procdir", tmp_path / "procdir"),
                               ("zero", Path("/dev/zero")), ("sys", Path("/sys/kernel")))}

    assert time.monotonic() - started < 60
    for name, run in runs.items():
        assert run.returncode == 2, (name, run.stdout, run.stderr)
        assert "is in a system folder: dms never reads it" in run.stderr and "Traceback" not in run.stderr
    assert "leads to /proc/" in runs["envfile"].stderr
    from dms.config import load_settings

    with Dms(load_settings(environ={}, home=home)) as app:
        assert app.catalog.known_files() == {}


CHROOT_SCAN = """
import json, os, sys
from dms.ingest.scan import scan
os.chroot(sys.argv[1]); os.chdir("/")
found = scan(["/tree"], follow_symlinks=True)
print(json.dumps({"files": [f.path for f in found.files], "problems": [p.to_dict() for p in found.problems]}))
"""


@pytest.mark.timeout(60)
def test_follow_symlinks_with_a_link_to_the_root_never_walks_system_folders(tmp_path):
    """A real root folder of its own: a private mount namespace with a real /proc and /sys mounted in a tiny tree,
    and the scan run chrooted into it, so that a link to / leads to a real /proc without walking the host's /."""
    import json
    import subprocess
    import sys

    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("unshare (util-linux) is needed for a private mount namespace")
    root = tmp_path / "root"
    for folder in ("proc", "sys", "tree"):
        (root / folder).mkdir(parents=True)
    (root / "tree" / "a.txt").write_text("kettle lid specification\n")
    (root / "tree" / "everything").symlink_to("/", target_is_directory=True)
    script = (f"mount -t proc proc {root}/proc && mount -t sysfs sysfs {root}/sys && "
              f"exec {sys.executable} -c '{CHROOT_SCAN}' {root}")
    started = time.monotonic()
    proc = subprocess.run([unshare, "--mount", "--propagation", "private", "sh", "-c", script],
                          capture_output=True, text=True, timeout=60)
    if proc.returncode and "mount" in proc.stderr and "permission" in proc.stderr.lower():
        pytest.skip(f"no mount namespace here: {proc.stderr}")

    assert proc.returncode == 0, proc.stderr
    assert time.monotonic() - started < 30
    found = json.loads(proc.stdout)
    assert found["files"] == ["/tree/a.txt"]  # the tree itself is not walked twice through the link
    assert not [f for f in found["files"] if f.startswith(("/tree/everything/proc/", "/tree/everything/sys/"))]
    reasons = {p["path"]: p["reason"] for p in found["problems"]}
    assert reasons["/tree/everything/proc"] == "leads into /proc, a system folder: never walked"
    assert reasons["/tree/everything/sys"] == "leads into /sys, a system folder: never walked"


@pytest.mark.timeout(120)
def test_watched_folder_replaced_by_a_link_is_not_followed(home, tmp_path, outside, watch):  # noqa: F811
    watched = tmp_path / "w"
    watched.mkdir()
    (outside / "payroll.txt").write_text(f"the {SECRET} payroll\n")
    w = watch(home, watched)
    (watched / "first.txt").write_text("kettle lid specification\n")
    w.wait_for(lambda: any("first.txt as document" in line for line in w.log), "the file in the watched folder")

    watched.rename(tmp_path / "w.real")
    watched.symlink_to(outside, target_is_directory=True)
    w.wait_for(lambda: any("no longer leads to the folder watched" in line or "payroll" in line for line in w.log),
               "the replaced folder to be noticed")
    time.sleep(3)  # rescans every 2 s, settle 1 s: time enough to ingest payroll.txt, were it followed
    code, _ = w.stop()

    assert code == 0
    assert total(home, SECRET) == 0
    log = "".join(w.log)
    assert "payroll.txt as document" not in log and "Traceback" not in log
    assert "no longer leads to the folder watched" in problems_by_path(home)[str(watched)]["reason"]


@pytest.mark.timeout(60)
def test_file_that_keeps_growing_while_read_is_not_stored_and_the_run_ends(settings, inbox):
    import threading

    from dms.store import GROWTH_ALLOWED

    (inbox / "a.txt").write_text("already in the archive\n")
    growing = inbox / "b.log"
    growing.write_text("kettle log line\n" * 10)
    stop = threading.Event()

    def append():  # a real writer that keeps appending, as a runaway log does
        with open(growing, "ab") as out:
            while not stop.wait(0.002):
                out.write(b"kettle log line\n" * 1024)
                out.flush()

    with Dms(settings) as app:
        ingest(app, [inbox / "a.txt"], inline=True)
        writer = threading.Thread(target=append)

        def start_writing(done, total):  # after the scan saw b.log small, before b.log is read
            if not writer.is_alive() and not stop.is_set():
                writer.start()
                while growing.stat().st_size < 2 * GROWTH_ALLOWED:
                    time.sleep(0.01)

        try:
            started = time.monotonic()
            report = ingest(app, [inbox], on_progress=start_writing, inline=True)
            seconds = time.monotonic() - started
        finally:
            stop.set()
            writer.join(10)

        assert report.added == 0 and report.unchanged == 1 and seconds < 10
        assert [(p["path"], p["reason"]) for p in report.problems] == [
            (str(inbox / "b.log"), "still being written (it grew while read): not read now; the next run reads it")]
        assert app.catalog.known_files().get(str(inbox / "b.log")) is None
        assert list((settings.store_dir / "tmp").iterdir()) == []  # no partial copy left behind

        again = ingest(app, [inbox], inline=True)  # it has stopped growing: the next run reads it
        assert again.added == 1 and again.problems == []
        assert [x["path"] for x in app.catalog.problems()] == []
