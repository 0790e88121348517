"""The change-request workflow: every rule refuses with its reason and changes nothing."""

import threading

import pytest

from dms import changes, errors, users
from dms.app import Dms
from dms.config import load_settings
from dms.errors import PermissionDenied, UsageError
from dms.ingest.pipeline import ingest

pytestmark = pytest.mark.both_catalogs  # the tests on a fresh archive (`home`) run on SQLite and PostgreSQL

ASSESSED = dict(relevance="high", risks=["lid cracks in the field:3:4"], benefits="fewer returns",
                cost_once=12000, cost_recurring=0.4, schedule_impact="two weeks")


def _people(dms) -> None:
    users.add(dms.catalog, "root", "admin", "long enough pass", by="root")
    for name, role in (("anna", "coordinator"), ("marco", "manager"), ("sofia", "viewer"), ("lena", "manager")):
        users.add(dms.catalog, name, role, "long enough pass", by="root")


@pytest.fixture
def app(settings):
    """A fresh archive with five people (on each catalog: `settings`)."""
    with Dms(settings) as dms:
        _people(dms)
        yield dms


@pytest.fixture
def sample_app(tmp_path):
    """A copy of the sample archive as ingested once per test run (conftest.copy_sample_home, a SQLite catalog),
    with the same five people."""
    from conftest import copy_sample_home

    copy_sample_home(tmp_path / "home")
    with Dms(load_settings(environ={}, home=tmp_path / "home")) as dms:
        _people(dms)
        yield dms


def state_of(app, number):
    return changes.get(app, number).state


def walk_to(app, number, last):
    steps = [("submit", "sofia", {}), ("review", "anna", {}), ("assess", "anna", ASSESSED),
             ("decide", "marco", {"outcome": "approved", "rationale": "returns cost more"}),
             ("authorize", "lena", {}), ("implement", "anna", {})]
    for action, who, params in steps:
        changes.transition(app, number, action, who, **params)
        if action == last:
            return


def test_numbers_continue_after_those_the_archive_already_uses(app, tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    year = __import__("datetime").date.today().year
    (inbox / "old.txt").write_text(f"Change Request CR-{year}-007\nDate: {year}-01-02\n")
    ingest(app, [inbox])
    assert changes.create(app, "Stronger hinge", "sofia").number == f"CR-{year}-008"
    assert changes.create(app, "Longer cord", "sofia").number == f"CR-{year}-009"


def test_concurrent_creation_gives_distinct_numbers_without_gaps(tmp_path, app):
    settings = app.settings
    made, errors = [], []

    def create_some():
        try:
            with Dms(settings) as own:
                for _ in range(5):
                    made.append(changes.create(own, "parallel", "sofia").number)
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=create_some) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    numbers = sorted(int(n.rsplit("-", 1)[1]) for n in made)
    assert numbers == list(range(1, 21))


def test_the_whole_lifecycle_ends_only_when_the_amendment_is_on_file(app, tmp_path):
    cr = changes.create(app, "Stronger lid hinge", "sofia", products=["KX200"], affected=["SPEC-KX200-03"])
    walk_to(app, cr.number, "implement")
    with pytest.raises(errors.RuleBroken, match="not yet amended .* SPEC-KX200-03"):
        changes.transition(app, cr.number, "close", "anna")
    assert state_of(app, cr.number) == "implemented"
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "SPEC-KX200-03_RevB.txt").write_text(
        f"Kettle specification\nDocument No.: SPEC-KX200-03\nRevision: B\nDate: 2026-11-20\n"
        f"Revision B implements change request {cr.number}.\n")
    ingest(app, [inbox])
    [item] = changes.check(app, cr.number)
    assert item["amended_by"]["revision"] == "B"
    closed = changes.transition(app, cr.number, "close", "anna")
    assert closed.state == "closed"
    assert [h["to"] for h in changes.history(app, cr.number)] == [
        "draft", "submitted", "under review", "assessed", "decided", "authorized", "implemented", "closed"]


def test_close_with_a_waiver_records_the_reason(app):
    cr = changes.create(app, "Label change", "sofia", affected=["SPEC-KX200-01"])
    walk_to(app, cr.number, "implement")
    closed = changes.transition(app, cr.number, "close", "anna",
                                waivers={"SPEC-KX200-01": "label text is not part of the specification"})
    assert closed.state == "closed" and closed.data["waivers"]["SPEC-KX200-01"].startswith("label text")


@pytest.mark.parametrize("upto, action, who, params, rule", [
    (None, "review", "anna", {}, "it is draft"),
    ("submit", "decide", "marco", {"outcome": "approved", "rationale": "x"}, "it is submitted"),
    ("review", "assess", "anna", {}, "lacks relevance, risks, benefits"),
    ("assess", "decide", "anna", {"outcome": "approved", "rationale": "x"}, "needs a manager"),
    ("assess", "decide", "marco", {"outcome": "approved"}, "with a rationale"),
    ("assess", "authorize", "marco", {}, "it is assessed"),
    ("decide", "authorize", "marco", {}, "marco decided .* four eyes"),
    ("decide", "implement", "anna", {}, "it is decided"),
    ("decide", "close", "anna", {}, "closes only after it is authorized"),
])
def test_illegal_transitions_are_refused_and_change_nothing(app, upto, action, who, params, rule):
    cr = changes.create(app, "Hinge", "sofia", affected=["SPEC-KX200-03"])
    if upto:
        walk_to(app, cr.number, upto)
    before = changes.get(app, cr.number)
    with pytest.raises((UsageError, PermissionDenied), match=rule):
        changes.transition(app, cr.number, action, who, **params)
    after = changes.get(app, cr.number)
    assert (after.state, after.revision, after.data) == (before.state, before.revision, before.data)


def test_an_applicant_cannot_approve_or_authorize_their_own_request(app):
    cr = changes.create(app, "Manager's own idea", "marco", affected=[])
    changes.transition(app, cr.number, "submit", "marco")
    changes.transition(app, cr.number, "review", "anna")
    changes.transition(app, cr.number, "assess", "anna", **ASSESSED)
    with pytest.raises(errors.RuleBroken, match="marco applied for .* cannot approve"):
        changes.transition(app, cr.number, "decide", "marco", outcome="approved", rationale="mine")
    changes.transition(app, cr.number, "decide", "lena", outcome="approved", rationale="sound")
    with pytest.raises(errors.RuleBroken, match="marco applied for .* cannot authorize"):
        changes.transition(app, cr.number, "authorize", "marco")


def test_a_stale_write_is_refused_so_no_update_is_lost(app):
    cr = changes.create(app, "Hinge", "sofia")
    read = changes.get(app, cr.number)
    changes.edit(app, cr.number, "anna", expected_revision=read.revision, description="first")
    with pytest.raises(errors.StaleWrite, match="changed by someone else"):
        changes.edit(app, cr.number, "sofia", expected_revision=read.revision, description="second")
    assert changes.get(app, cr.number).data["description"] == "first"


@pytest.mark.parametrize("fields, message", [
    ({"cost_once": "lots"}, "cost_once must be a number"),
    ({"risks": ["no scores"]}, "TEXT:LIKELIHOOD:SEVERITY"),
    ({"risks": ["bad:9:1"]}, "from 1 to 5"),
    ({"colour": "red"}, "unknown field 'colour'"),
])
def test_bad_fields_are_refused(app, fields, message):
    cr = changes.create(app, "Hinge", "sofia")
    with pytest.raises(UsageError, match=message):
        changes.edit(app, cr.number, "anna", **fields)
    assert changes.get(app, cr.number).revision == cr.revision


def test_change_commands_on_the_command_line(home):
    from conftest import run_dms, run_json

    for name, role in (("root", "admin"), ("anna", "coordinator"), ("sofia", "viewer")):
        run_dms(home, "user", "add", name, "--role", role, "--password-stdin", "--as", "root",
                input_text="long enough pass\n")
    made = run_json(home, "change", "new", "--title", "Stronger hinge", "--product", "kx200",
                    "--affects", "SPEC-KX200-03", "--risk", "cracks:3:4", "--as", "sofia")
    assert made["state"] == "draft" and made["products"] == ["KX200"] and made["applicant"] == "sofia"
    refused = run_dms(home, "change", "review", made["number"], "--as", "anna", check=False)
    assert refused.returncode == 2 and "it is draft" in refused.stderr
    run_json(home, "change", "submit", made["number"], "--as", "sofia")
    submitted = run_json(home, "change", "list", "--state", "submitted")["changes"]
    assert [c["number"] for c in submitted] == [made["number"]]
    viewer = run_dms(home, "change", "review", made["number"], "--as", "sofia", check=False)
    assert viewer.returncode == 6 and "needs a coordinator" in viewer.stderr
    shown = run_json(home, "change", "show", made["number"])
    assert [h["to"] for h in shown["history"]] == ["draft", "submitted"]
    assert shown["amendments"] == [{"number": "SPEC-KX200-03", "amended_by": None, "waived": None}]


def test_request_is_kept_on_file_and_the_decision_notice_is_sent_and_archived(app):
    from dms.graph import graph_for, node_for, trace
    from dms.index import search

    cr = changes.create(app, "Quieter fan", "sofia", products=["AQ150"], affected=["SPEC-AQ150-01"])
    walk_to(app, cr.number, "decide")
    [notice] = (app.settings.home / "notices").glob(f"{cr.number}-decision-*.eml")
    [sent] = (app.settings.home / "outbox").glob(f"{cr.number}-decision-*.eml")
    assert sent.read_bytes() == notice.read_bytes()
    text = notice.read_text()
    assert "Decision: approved" in text and "Rationale: returns cost more" in text and "To: sofia" in text
    found = search(app.catalog, app.backend, app.matcher, cr.number)
    assert found.hits[0].path.endswith(f"{cr.number}.html") and found.hits[0].type == "change request"
    g = graph_for(app)
    tied = {d["path"] for d in trace(g, node_for(app, g, cr.number), depth=1).documents}
    assert {str(app.settings.home / "changes" / f"{cr.number}.html"), str(notice)} <= tied
    filed = app.catalog.document_at_path(str(app.settings.home / "changes" / f"{cr.number}.html"))
    assert len(app.catalog.versions(filed.id)) == 5  # created, submitted, under review, assessed, decided
    assert "decided" in "\n".join(app.catalog.pages(filed.version.id))


def test_assessment_report_shows_risks_current_revisions_and_past_changes(app):
    import json

    from conftest import REPO

    from dms.changes.report import render_report

    truth = json.loads((REPO / "archive" / ".dms-ground-truth.json").read_text())
    ingest(app, [REPO / "archive" / "KX200"])
    cr = changes.create(app, "<script>alert(1)</script> kettle", "sofia", products=["KX200"],
                        affected=["SPEC-KX200-02"], relevance="high", risks=["noise:2:3", "recall:3:5"])
    html, data = render_report(app, cr.number)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert {(m["likelihood"], m["severity"]) for m in data["matrix"]} == {(2, 3), (3, 5)}
    latest = max(f["revision"] for f in truth["files"] if f["number"] == "SPEC-KX200-02")
    assert data["affected"] == [{"number": "SPEC-KX200-02", "revision": latest, "title": data["affected"][0]["title"],
                                 "date": data["affected"][0]["date"]}]
    kx_crs = {f["number"] for f in truth["files"] if f["type"] == "change request" and f["path"].startswith("KX200/")}
    assert {p["number"] for p in data["past"]} == kx_crs
    assert all(p["outcome"].split()[0] in ("approved", "rejected", "deferred") for p in data["past"])
    assert data["recommendation"].startswith("Discuss before deciding: a risk scores 15")


def test_concurrent_decisions_one_wins_and_the_other_changes_nothing(app):
    cr = changes.create(app, "Hinge", "sofia")
    walk_to(app, cr.number, "assess")
    settings = app.settings
    outcomes, barrier = [], threading.Barrier(4)

    def decide(who, outcome):
        with Dms(settings) as own:
            barrier.wait()
            try:
                changes.transition(own, cr.number, "decide", who, outcome=outcome, rationale=f"{who} says {outcome}")
                outcomes.append(("won", who))
            except UsageError as exc:
                outcomes.append(("refused", str(exc)))

    threads = [threading.Thread(target=decide, args=args) for args in
               (("marco", "approved"), ("lena", "rejected"), ("marco", "deferred"), ("lena", "approved"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [o for o in outcomes if o[0] == "won"]
    assert len(winners) == 1 and len(outcomes) == 4
    decided = changes.get(app, cr.number)
    assert decided.data["decided_by"] == winners[0][1]
    assert [h["to"] for h in changes.history(app, cr.number)].count("decided") == 1


def test_requests_on_file_in_the_archive_are_recognised_not_copied(sample_app):
    app = sample_app
    import json

    from conftest import REPO

    from dms.changes.onfile import on_file

    truth = json.loads((REPO / "archive" / ".dms-ground-truth.json").read_text())
    ingest(app, [REPO / "archive"])
    cr = next(f for f in truth["files"] if f["type"] == "change request" and f.get("decided_in")
              and any(g.get("amends") == f["number"] for g in truth["files"]))
    record = on_file(app, cr["number"])
    assert record["state"] == "on file" and [d["path"] for d in record["documents"]] == [
        str(REPO / "archive" / cr["path"])]
    minutes = next(f for f in truth["files"] if f["number"] == cr["decided_in"] and "review" not in f["path"])
    assert [d["title"] for d in record["decided_in"]] == [minutes["title"]] and record["decision"]
    amending = {str(REPO / "archive" / f["path"]) for f in truth["files"] if f.get("amends") == cr["number"]}
    assert {d["path"] for d in record["amended_by"]} == amending
    assert changes.listing(app) == []  # nothing was copied into the workflow


def test_the_whole_lifecycle_on_the_sample_archive(sample_app, tmp_path):
    app = sample_app
    import json

    from conftest import REPO

    truth = json.loads((REPO / "archive" / ".dms-ground-truth.json").read_text())
    ingest(app, [REPO / "archive"])
    spec = max((f for f in truth["files"] if f["number"] == "SPEC-KX200-01"), key=lambda f: f["revision"])
    cr = changes.create(app, "Thicker base plate", "sofia", products=["KX200"], affected=["SPEC-KX200-01"])
    assert int(cr.number.rsplit("-", 1)[1]) > 0
    walk_to(app, cr.number, "implement")
    with pytest.raises(errors.RuleBroken, match="SPEC-KX200-01"):
        changes.transition(app, cr.number, "close", "anna")
    following = chr(ord(spec["revision"]) + 1)
    inbox = tmp_path / "amended"
    inbox.mkdir()
    (inbox / f"SPEC-KX200-01_Rev{following}.txt").write_text(
        f"Kettle KX200 General Specification\nDocument No.: SPEC-KX200-01\nRevision: {following}\nDate: 2026-11-25\n"
        f"Revision {following} implements change request {cr.number}.\n")
    ingest(app, [inbox])
    assert changes.transition(app, cr.number, "close", "anna").state == "closed"


def test_list_filters_by_opening_date_and_refuses_bad_dates(app):
    changes.create(app, "Hinge", "sofia")
    today = __import__("datetime").date.today().isoformat()
    assert len(changes.listing(app, since=today)) == 1
    assert changes.listing(app, until="2000-01-01") == []
    with pytest.raises(UsageError, match="YYYY-MM-DD"):
        changes.listing(app, since="yesterday")


def test_the_notice_goes_to_the_applicants_e_mail_address_when_they_have_one(app):
    users.set_email(app.catalog, "sofia", "sofia.novak@nordlicht.example", by="sofia")
    cr = changes.create(app, "Matte finish", "sofia")
    walk_to(app, cr.number, "decide")
    [sent] = (app.settings.home / "outbox").glob(f"{cr.number}-decision-*.eml")
    assert "To: sofia <sofia.novak@nordlicht.example>" in sent.read_text()
    with pytest.raises(UsageError, match="is not an e-mail address"):
        users.set_email(app.catalog, "sofia", "sofia at home", by="sofia")
    with pytest.raises(PermissionDenied):
        users.set_email(app.catalog, "sofia", "x@y.example", by="marco")  # only oneself, or an admin


def test_notice_goes_over_smtp_when_a_mail_server_is_configured(app):
    import dataclasses

    from aiosmtpd.controller import Controller

    received = []

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            received.append((envelope.rcpt_tos, envelope.content.decode()))
            return "250 OK"

    import socket

    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = Controller(Sink(), hostname="127.0.0.1", port=port)
    server.start()
    try:
        with Dms(dataclasses.replace(app.settings, smtp_host="127.0.0.1", smtp_port=port)) as mailing:
            cr = changes.create(mailing, "Hinge", "sofia")
            walk_to(mailing, cr.number, "decide")
    finally:
        server.stop()
    [(to, body)] = received
    assert to == ["sofia@localhost"] and f"Decision on change request {cr.number}: approved" in body
    assert not (app.settings.home / "outbox").exists()
    assert list((app.settings.home / "notices").glob(f"{cr.number}-decision-*.eml"))


def test_failed_smtp_delivery_is_a_clear_error_and_the_notice_stays_on_file(app):
    import dataclasses
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with Dms(dataclasses.replace(app.settings, smtp_host="127.0.0.1", smtp_port=port)) as mailing:
        cr = changes.create(mailing, "Hinge", "sofia")
        walk_to(mailing, cr.number, "assess")
        with pytest.raises(Exception, match="could not be sent through 127.0.0.1"):
            changes.transition(mailing, cr.number, "decide", "marco", outcome="approved", rationale="ok")
        assert changes.get(mailing, cr.number).state == "decided"  # the decision stands; only delivery failed
    assert list((app.settings.home / "notices").glob(f"{cr.number}-decision-*.eml"))


def test_number_pattern_comes_from_the_rules_and_skips_numbers_on_file(tmp_path, home, database_url):
    home.mkdir()
    (home / "rules.toml").write_text("[changes]\nnumber = 'ECR/{year}/{seq:04d}'\n")
    inbox = tmp_path / "in"
    inbox.mkdir()
    year = __import__("datetime").date.today().year
    (inbox / "note.txt").write_text(f"Request ECR/{year}/0041 was filed on paper.\n")
    with Dms(load_settings(environ={"DMS_DATABASE_URL": database_url} if database_url else {}, home=home)) as app:
        users.add(app.catalog, "root", "admin", "long enough pass", by="root")
        ingest(app, [inbox])
        app.catalog.conn.execute('INSERT INTO refs (version_id, family, number, revision, page, "offset", snippet) '
                                 "SELECT current_version_id, 'change_request', ?, NULL, 1, 8, '' FROM documents",
                                 (f"ECR/{year}/0041",))
        assert changes.create(app, "Hinge", "root").number == f"ECR/{year}/0042"


def test_a_bad_number_pattern_fails_at_load(tmp_path):
    from dms.errors import ConfigError
    from dms.rules import load_rules

    rules = tmp_path / "rules.toml"
    rules.write_text("[changes]\nnumber = 'CR-{year}-{serial}'\n")
    with pytest.raises(ConfigError, match=r"\[changes\] number .* must use only \{year\}, \{yy\} and \{seq\}"):
        load_rules(rules)


def test_attachments_are_archived_documents(app, tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "photo-note.txt").write_text("Photo of the cracked hinge, taken at the retailer.")
    ingest(app, [inbox])
    cr = changes.create(app, "Hinge", "sofia", attachments=[str(inbox / "photo-note.txt")])
    [att] = cr.data["attachments"]
    assert att["path"] == str(inbox / "photo-note.txt") and len(att["sha256"]) == 64
    from dms.errors import NotFound

    with pytest.raises(NotFound):
        changes.create(app, "Hinge", "sofia", attachments=["no-such-document.pdf"])
