"""Issue 15's fixes: bundle control numbers continue from one bundle to the next; a decision notice is filed as
correspondence; a change request's recurring cost has one unit on the form, the request's page, the request as
filed and the assessment report."""

from __future__ import annotations

import json
import re
import zipfile

import pytest
from conftest import write_pdf

from dms import audit, bundles, changes, users
from dms.app import Dms
from dms.changes import costs
from dms.config import load_settings
from dms.ingest.pipeline import ingest
from dms.search import search

PASSWORD = "long enough pass"
ASSESSED = dict(relevance="high", risks=["lid cracks in the field:3:4"], benefits="fewer returns",
                cost_once=12000, cost_recurring=0.4, schedule_impact="two weeks")


@pytest.fixture
def app(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n in range(1, 4):
        write_pdf(inbox / f"hinge-{n}.pdf", [f"Lid hinge test report {n}."])
    with Dms(load_settings(environ={"DMS_WORKERS": "1", "DMS_OCR": "0"}, home=tmp_path / "home")) as dms:
        users.add(dms.catalog, "root", "admin", PASSWORD, by="root")
        for name, role in (("anna", "coordinator"), ("marco", "manager"), ("sofia", "viewer"), ("lena", "manager")):
            users.add(dms.catalog, name, role, PASSWORD, by="root")
        ingest(dms, [inbox])
        yield dms


def _controls(path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        return [row["control_number"] for row in json.loads(z.read("manifest.json"))]


def test_bundles_made_one_after_the_other_continue_their_control_numbers(app, tmp_path):
    first = bundles.create(app, tmp_path / "first.zip", "anna", query="hinge")
    second = bundles.create(app, tmp_path / "second.zip", "anna", query="hinge")
    assert (first["first"], first["last"]) == ("DMS-000001", "DMS-000003")
    assert (second["first"], second["last"]) == ("DMS-000004", "DMS-000006")
    assert _controls(second["output"]) == ["DMS-000004", "DMS-000005", "DMS-000006"]
    with zipfile.ZipFile(second["output"]) as z:
        assert {n for n in z.namelist() if n.startswith("originals/")} == {
            f"originals/DMS-00000{n}.pdf" for n in (4, 5, 6)}
    assert bundles.verify(second["output"])["ok"]
    own = bundles.create(app, tmp_path / "matter.zip", "anna", query="hinge", prefix="NORD")
    assert own["first"] == "NORD-000001"  # each prefix counts on its own
    assert bundles.create(app, tmp_path / "third.zip", "anna", query="hinge")["first"] == "DMS-000007"


def test_control_numbers_continue_after_bundles_made_before_the_counter_was_kept(app, tmp_path):
    audit.record(app.catalog, "anna", "bundle created", "bundle:old.zip",
                 {"documents": 12, "first": "DMS-000001", "last": "DMS-000012"})
    assert bundles.create(app, tmp_path / "next.zip", "anna", query="hinge")["first"] == "DMS-000013"


def _walk(app, number: str, last: str) -> None:
    steps = [("submit", "sofia", {}), ("review", "anna", {}), ("assess", "anna", ASSESSED),
             ("decide", "marco", {"outcome": "approved", "rationale": "returns cost more"})]
    for action, who, params in steps:
        changes.transition(app, number, action, who, **params)
        if action == last:
            return


def test_a_decision_notice_is_filed_as_correspondence_about_its_request(app):
    cr = changes.create(app, "Quieter fan", "sofia", products=["AQ150"])
    _walk(app, cr.number, "decide")
    by_path = {d.path: d for d in app.catalog.graph_documents()}
    [notice] = [d for p, d in by_path.items() if re.search(rf"{cr.number}-decision-\w+\.eml$", p)]
    [request] = [d for p, d in by_path.items() if p.endswith(f"{cr.number}.html")]
    assert notice.version.doc_type == "correspondence"
    assert notice.version.sources["type"]["source"].endswith(r"(name '(?i)\.(eml|msg)$')")
    assert cr.number.lower() in notice.version.refs
    assert request.version.doc_type == "change request"


def test_the_recurring_cost_has_one_unit_on_the_form_the_page_the_filed_request_and_the_report(app):
    from fastapi.testclient import TestClient

    from dms.changes.report import render_report
    from dms.web import create_app

    assert costs.label("cost_recurring") == "Recurring cost (EUR per unit)"
    assert costs.text("cost_recurring", 0.4) == "EUR 0.40 per unit"
    assert costs.text("cost_once", 12000) == "EUR 12,000" and costs.text("cost_once", None) == "not assessed"
    cr = changes.create(app, "Stronger hinge", "sofia", products=["KX200"])
    _walk(app, cr.number, "review")
    with TestClient(create_app(app.settings), follow_redirects=False) as client:
        assert client.post("/sign-in", data={"name": "anna", "password": PASSWORD, "next": "/"}).status_code == 303
        form = client.get(f"/changes/{cr.number}").text
        assert "Recurring cost (EUR per unit) <input" in form and "EUR/year" not in form
        changes.transition(app, cr.number, "assess", "anna", **ASSESSED)
        page = client.get(f"/changes/{cr.number}").text
        assert re.search(r"<th>Recurring cost \(EUR per unit\)</th><td>EUR 0.40 per unit</td>", page)
    report, _ = render_report(app, cr.number)
    assert "Recurring cost (EUR per unit): EUR 0.40 per unit" in report and "One-off cost (EUR): EUR 12,000" in report
    filed = (app.settings.home / "changes" / f"{cr.number}.html").read_text(encoding="utf-8")
    assert "Recurring cost (EUR per unit): EUR 0.40 per unit" in filed
    found = search(app, f'"{cr.number}" "0.40 per unit"')
    assert [h.path for h in found.hits if h.path.endswith(f"{cr.number}.html")]
