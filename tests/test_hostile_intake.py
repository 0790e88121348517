"""A hostile folder against intake: links out of the tree, FIFOs (also swapped in after the scan), file names
that are not UTF-8 or hold newlines, unreadable files and folders. Real links, real FIFOs, real bytes names,
a real unprivileged process; `dms ingest` and `dms watch` carry on past every one of them."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import run_dms, run_json
from test_watch import watch  # noqa: F401 (the fixture starting real `dms watch` processes)

from dms.app import Dms
from dms.ingest.pipeline import ingest

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
        return app.search(query).total


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
        assert app.search("nologin").total == 0


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

            assert app.search(SECRET).total == stored
            reasons = {p["path"]: p["reason"] for p in app.catalog.problems()}
            assert "a system folder: never followed" in reasons[str(inbox / "environ.txt")]
            assert (str(inbox / "secret.txt") in reasons) == (not stored)
