"""Fixtures: a fresh data directory, an open archive, and writers of real files of each format."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from dms.app import Dms
from dms.config import load_settings

REPO = Path(__file__).resolve().parent.parent
pytest_plugins = ["browsing"]  # the browser fixtures (browser, pages) of the test_browser*.py modules


# The catalogs a `both_catalogs` test runs on (its module says `pytestmark = pytest.mark.both_catalogs`): SQLite,
# and PostgreSQL on a throwaway cluster (tests/pg.py). The PostgreSQL runs carry the `postgresql` marker, so
# `-m "not postgresql"` leaves them out of a quick inner loop.
CATALOGS = ("sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql))


def pytest_generate_tests(metafunc):
    if "catalog_kind" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_catalogs"):
        metafunc.parametrize("catalog_kind", CATALOGS, indirect=True)


@pytest.fixture(scope="session")
def pg_cluster():
    """One throwaway PostgreSQL cluster per test process (tests/pg.py), started on first use."""
    import pg

    if pg.binaries() is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed: scripts/test installs it (apt-get install postgresql)")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql, or run scripts/test)")
    cluster = pg.start_cluster()
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(pg_cluster) -> Iterator[str]:
    """A new empty PostgreSQL database on the test cluster (its URL), dropped at the end of the test."""
    url = pg_cluster.new_database()
    yield url
    pg_cluster.drop(url)


@pytest.fixture
def catalog_kind(request) -> str:
    """sqlite, or the parameter of a `both_catalogs` test; DMS_TEST_CATALOG=postgresql puts every test that uses
    `home` on PostgreSQL (to try the whole suite there: `DMS_TEST_CATALOG=postgresql scripts/test`)."""
    return getattr(request, "param", os.environ.get("DMS_TEST_CATALOG", "sqlite"))


@pytest.fixture
def database_url(request, catalog_kind, monkeypatch) -> Iterator[str | None]:
    """The catalog's PostgreSQL URL when the test runs on PostgreSQL (also exported as DMS_DATABASE_URL for the
    dms processes the test starts), else None: the catalog is $DMS_HOME/catalog.sqlite."""
    if catalog_kind != "postgresql":
        monkeypatch.delenv("DMS_DATABASE_URL", raising=False)  # a developer's own setting must not leak in
        yield None
        return
    cluster = request.getfixturevalue("pg_cluster")
    url = cluster.new_catalog_database()  # a copy of an empty current catalog
    monkeypatch.setenv("DMS_DATABASE_URL", url)
    yield url
    cluster.drop(url)


@pytest.fixture
def home(tmp_path, database_url) -> Path:
    return tmp_path / "home"


@pytest.fixture
def settings(home, database_url):
    environ = {"DMS_WORKERS": "2", **({"DMS_DATABASE_URL": database_url} if database_url else {})}
    return load_settings(environ=environ, home=home)


@pytest.fixture
def dms(settings):
    with Dms(settings) as app:
        yield app


@pytest.fixture
def inbox(tmp_path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


# -- the sample archive, ingested once per test session ---------------------------------------------------------
#
# Ingesting archive/ (OCR of its scans included) is the most expensive thing the suite does. It is done ONCE per
# `pytest` run: the first xdist worker that needs it ingests into a directory shared by all workers (under an
# fcntl lock; the others wait and reuse it). No test opens that pristine directory: every user gets a copy of its
# own (`copy_sample_home`, about a second): one per worker for the tests that only read it (`sample_world`), one per
# module or test for those that change it (`make_web_home`, `sample_app`, module fixtures of their own).

def _shared_root(tmp_path_factory) -> Path:
    """A directory shared by all xdist workers of this run (the run's basetemp without xdist). DMS_TEST_SAMPLE_DIR
    names one kept from run to run instead (an inner loop that skips the ingest: delete it when dms/ changes)."""
    kept = os.environ.get("DMS_TEST_SAMPLE_DIR")
    if kept:
        Path(kept).mkdir(parents=True, exist_ok=True)
        return Path(kept)
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


SAMPLE_TIME_LIMIT = 1800  # seconds for building (or waiting for) a shared sample home, instead of the test's own


@contextlib.contextmanager
def _own_time_limit(seconds: float):
    """Run the block under its own time limit instead of the current test's (pytest-timeout's SIGALRM timer), then
    give the test back what was left of its own: the run's one ingest is nobody's test time, and a test that waits
    for the other worker's ingest must not time out for it. Without a running timer, nothing changes."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    left, _ = signal.getitimer(signal.ITIMER_REAL)
    if left:
        signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        if left:
            signal.setitimer(signal.ITIMER_REAL, left)


def _once(tmp_path_factory, name: str, build) -> Path:
    """The directory `name` under the run's shared root, built by `build(path)` by the first process to ask."""
    import fcntl

    root = _shared_root(tmp_path_factory)
    target, done = root / name, root / f"{name}.done"
    if done.exists():
        return target
    with _own_time_limit(SAMPLE_TIME_LIMIT), open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not done.exists():
                if target.exists():  # a build that died half-way
                    import shutil

                    shutil.rmtree(target)
                build(target)
                done.write_text("ok\n")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return target


def _ingest_sample(home: Path) -> None:
    from dms.graph import graph_for
    from dms.ingest.pipeline import ingest

    with Dms(load_settings(environ={}, home=home)) as app:
        report = ingest(app, [REPO / "archive"])
        graph_for(app)  # the link rows are current in every copy
    _report_file(home).write_text(json.dumps(report.to_dict()))


def _report_file(home: Path) -> Path:
    return home.parent / f"{home.name}.report.json"


_FACTORY: list[pytest.TempPathFactory] = []  # this process's tmp_path_factory (set by _sample_homes)


@pytest.fixture(scope="session", autouse=True)
def _sample_homes(tmp_path_factory):
    """Lets copy_sample_home find this run's shared directory (the homes themselves are built on first use)."""
    _FACTORY[:] = [tmp_path_factory]


def _copy_home(source: Path, home: Path) -> Path:
    import shutil

    shutil.copytree(source, home, symlinks=True)
    return home


def _users_on(base: Path, home: Path) -> None:
    from dms import users

    _copy_home(base, home)
    with Dms(load_settings(environ={}, home=home)) as app:
        for name, role in WEB_USERS.items():
            users.add(app.catalog, name, role, password_of(name), by="ada")


def copy_sample_home(home: Path, *, with_users: bool = False) -> Path:
    """A data directory at `home` holding the sample archive ingested (with its link rows), a copy of the one
    ingested once per test run: change it as you like. with_users: one user of each role (WEB_USERS) too."""
    base = _once(_FACTORY[0], "sample-home", _ingest_sample)
    if with_users:
        base = _once(_FACTORY[0], "sample-home-users", lambda target: _users_on(base, target))
    return _copy_home(base, home)


def sample_ingest_report():
    """The IngestReport of the run's one ingest of archive/ (what copy_sample_home's copies hold)."""
    from dms.ingest.pipeline import IngestReport

    base = _once(_FACTORY[0], "sample-home", _ingest_sample)
    return IngestReport(**json.loads(_report_file(base).read_text()))


@pytest.fixture(scope="session")
def sample_world(tmp_path_factory):
    """The committed sample archive, ingested (once per run), with its cross-reference graph: (app, graph).
    For tests that only read it: shared by every module of a worker."""
    from dms.graph import graph_for

    home = copy_sample_home(tmp_path_factory.mktemp("sample") / "home")
    with Dms(load_settings(environ={}, home=home)) as app:
        yield app, graph_for(app)


@pytest.fixture
def sample_app(tmp_path):
    """An open archive over a fresh copy of the ingested sample archive, for a test that changes it."""
    home = copy_sample_home(tmp_path / "sample-home")
    with Dms(load_settings(environ={"DMS_WORKERS": "2"}, home=home)) as app:
        yield app


def run_dms(home: Path, *args: str, env: dict | None = None, check: bool = True,
            input_text: str | None = None) -> subprocess.CompletedProcess:
    """Run the real `dms` command line in a subprocess."""
    full_env = {**os.environ, "DMS_HOME": str(home), **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "dms", *args], capture_output=True, text=True, env=full_env,
                          timeout=300, input=input_text)
    if check and proc.returncode != 0:
        raise AssertionError(f"dms {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def run_json(home: Path, *args: str, env: dict | None = None) -> dict:
    return json.loads(run_dms(home, *args, "--json", env=env).stdout)


# -- writers of real files --------------------------------------------------------------------------

def write_pdf(path: Path, pages: list[str], title: str | None = None) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    if title:
        pdf.set_title(title)
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    path.write_bytes(bytes(pdf.output()))
    return path


def write_encrypted_pdf(path: Path, text: str, password: str = "secret", algorithm: str = "RC4-128") -> Path:
    from pypdf import PdfReader, PdfWriter

    plain = write_pdf(path.with_suffix(".plain"), [text])
    writer = PdfWriter(clone_from=PdfReader(plain))
    writer.encrypt(user_password=password, owner_password="owner-secret", algorithm=algorithm)
    with open(path, "wb") as fh:
        writer.write(fh)
    plain.unlink()
    return path


def write_docx(path: Path, paragraphs: list[str], table: list[list[str]] | None = None,
               header: str | None = None, title: str | None = None) -> Path:
    import docx

    document = docx.Document()
    if title:
        document.core_properties.title = title
    if header:
        document.sections[0].header.paragraphs[0].text = header
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        t = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                t.cell(r, c).text = value
    document.save(path)
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def write_pptx(path: Path, slides: list[tuple[str, str, str | None]]) -> Path:
    from pptx import Presentation

    deck = Presentation()
    for title, body, notes in slides:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text_frame.text = body
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
    deck.save(path)
    return path


def write_eml(path: Path, subject: str, body: str, *, sender="Jonas Weber <jonas.weber@nordlicht.example>",
              to="Lena Hoffmann <lena.hoffmann@helix-components.example>", date="Tue, 14 Mar 2023 09:00:00 +0000",
              message_id="<m1@nordlicht.example>", in_reply_to: str | None = None,
              attachments: list[tuple[str, bytes, str]] = ()) -> Path:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"], msg["Date"], msg["Message-ID"] = sender, to, subject, date, message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    msg.set_content(body)
    for name, data, mime in attachments:
        maintype, subtype = mime.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    path.write_bytes(bytes(msg))
    return path


def pdf_bytes(pages: list[str]) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


def write_slow_pdf(path: Path, operations: int = 400_000) -> Path:
    """A valid one-page PDF whose content stream is so long that reading its text takes seconds."""
    return one_page_pdf(path, b"BT /F1 9 Tf 20 800 Td " + b"(slow) Tj 0 -0.01 Td " * operations + b"ET")


def one_page_pdf(path: Path, content: bytes) -> Path:
    """A valid one-page PDF drawing `content` (a content stream) with Helvetica, objects and xref written by hand."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    path.write_bytes(out.getvalue())
    return path


# -- the web application --------------------------------------------------------------------------

WEB_USERS = {"ada": "admin", "cora": "coordinator", "mona": "manager", "theo": "manager", "vera": "viewer"}


def password_of(name: str) -> str:
    return f"{name}-password-1"


@pytest.fixture(scope="session", autouse=True)
def _light_password_hashes():
    """Passwords hashed in the test process cost argon2's least (m=8 KiB, t=1) instead of dms's 0.3 s of CPU: the
    suite adds users and signs in some hundreds of times. Still argon2id hashes, checked the same way; a check
    reads the cost from the hash itself, so the `dms` processes a test starts sign these users in as cheaply, and
    their own hashes keep dms's cost (dms.users._hasher: nothing else is replaced)."""
    from argon2 import PasswordHasher

    from dms import users

    real = users._hasher
    users._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    yield
    users._hasher = real


def make_web_home(home: Path) -> Path:
    """A data directory with the sample archive ingested and one user of each role (see WEB_USERS): a copy of the
    one made once per test run (the archive is ingested for real, once; every module gets its own copy to change
    as it likes)."""
    return copy_sample_home(home, with_users=True)


@pytest.fixture(scope="session")
def web_settings(tmp_path_factory):
    home = make_web_home(tmp_path_factory.mktemp("web") / "home")
    return load_settings(environ={"DMS_WORKERS": "2", "DMS_UPLOAD_MAX_MB": "2"}, home=home)


@pytest.fixture(scope="session")
def web_app(web_settings):
    from dms.web import create_app

    return create_app(web_settings)


@pytest.fixture
def client_for(web_app):
    """client_for("cora") -> a TestClient signed in as cora; client_for(None) -> not signed in."""
    from fastapi.testclient import TestClient

    opened = []

    def make(name: str | None):
        client = TestClient(web_app, follow_redirects=False)
        opened.append(client)
        if name:
            response = client.post("/sign-in", data={"name": name, "password": password_of(name), "next": "/"})
            assert response.status_code == 303, response.text
        return client

    yield make
    for client in opened:
        client.close()


def csrf_of(client) -> str:
    """The CSRF token of the client's session, as the pages put it in every form."""
    import re

    page = client.get("/account").text
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


# -- markers: `scripts/test -m "not browser and not slow"` is the quick inner loop ----------------------------------
#
# `browser` is set by each test_browser*.py module itself (pytestmark), `slow` on the test where it is written;
# the ones below are set here so that the test files need not change: whole modules, and single tests by node id
# (module file name::test name, parameters left out).

MARKED_MODULES = {
    "ocr": {"test_ocr.py", "test_ocr_queue.py"},
}
MARKED_TESTS = {
    "ocr": {"test_derive.py::test_ocr_rederives_sources_and_names_hand_the_source_of_fields_corrected_by_hand",
            "test_preview.py::test_tesseract_word_boxes_are_read_as_fractions_of_the_page"},
    "slow": set(),
}


# -- the order in which files are handed to the xdist workers (scripts/test: -n auto --dist loadfile) -----------------
#
# xdist hands out whole files, by default the ones with the most tests first, so the files that take longest with
# few tests (the quick start, the browser modules) came last and one worker ran them alone while the other sat idle.
# Longest first instead (the LPT rule: the short files at the end even out the workers). FILE_SECONDS is the CPU
# time of a file: its test process and every process it starts (dms commands, servers, Chromium, PostgreSQL), each
# file run alone; a file not named counts SECONDS_PER_TEST for each of its tests. The figures need not be exact,
# only the big ones big: add a file here when it grows to more than about 10 s.

FILE_SECONDS = {  # seconds of the file in a whole run on 2 cores (--junitxml, halved: that run was loaded), or CPU
    # seconds measured file by file (17b), whichever is more
    "test_ingest.py": 237, "test_races.py": 156, "test_browser_screens.py": 125, "test_pg_together.py": 119,
    "test_ocr.py": 100, "test_accounts.py": 95, "test_hostile_intake.py": 93, "test_catalog_copy.py": 86,
    "test_browser.py": 85, "test_changes.py": 70, "test_hostile_output.py": 67, "test_browser_preview.py": 60,
    "test_graph_sync.py": 60, "test_quickstart.py": 60, "test_browser_reach.py": 60, "test_evidence.py": 57,
    "test_ocr_queue.py": 55, "test_web_security.py": 55, "test_engines.py": 53, "test_browser_accounts.py": 50,
    "test_graph_explore.py": 50, "test_parties.py": 50, "test_graph.py": 45, "test_graph_rows.py": 45,
    "test_plan_library.py": 40, "test_foreign_medical.py": 40, "test_watch.py": 39, "test_bad_input.py": 37,
    "test_hold_races.py": 36, "test_foreign_machinery.py": 35, "test_browser_plans.py": 35, "test_formats.py": 31,
    "test_browser_lists.py": 30, "test_integrity.py": 26, "test_explain_rederive.py": 25, "test_followup.py": 25,
    "test_tamper.py": 25, "test_change_rules.py": 25, "test_ingest_golden.py": 21, "test_web_lists.py": 20,
    "test_query_bounds.py": 20, "test_web_plans.py": 20, "test_web.py": 20, "test_supply.py": 20,
    "test_link_types.py": 17, "test_learn.py": 17, "test_derive.py": 16, "test_web_reach.py": 16,
    "test_archive.py": 16, "test_plan_check.py": 16, "test_text_bounds.py": 15, "test_users.py": 14,
    "test_web_evidence.py": 13, "test_catalog_schema.py": 12, "test_preview.py": 12, "test_plan_bounds.py": 12,
    "test_people_catalog.py": 11, "test_style.py": 11, "test_search_forgiving.py": 10,
}
SECONDS_PER_TEST = 0.15  # what the files of many quick tests take a test (test_derive, test_one_door, ...)


def pytest_configure(config):
    if hasattr(config.option, "loadscopereorder"):  # xdist: keep the order pytest_collection_modifyitems makes
        config.option.loadscopereorder = False


def _longest_files_first(items) -> None:
    counts: dict[str, int] = {}
    for item in items:
        counts[item.path.name] = counts.get(item.path.name, 0) + 1
    cost = {name: max(FILE_SECONDS.get(name, 0), SECONDS_PER_TEST * count) for name, count in counts.items()}
    items.sort(key=lambda item: -cost[item.path.name])  # stable: a file's own tests keep their order


def pytest_collection_modifyitems(config, items):
    for item in items:
        module = item.path.name
        name = f"{module}::{item.originalname}"
        for marker, modules in MARKED_MODULES.items():
            if module in modules:
                item.add_marker(marker)
        for marker, tests in MARKED_TESTS.items():
            if name in tests:
                item.add_marker(marker)
    _longest_files_first(items)
