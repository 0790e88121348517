"""The sample archive's plans, end to end: the committed archive ingested into a fresh data directory, then every
plan checked at each as-of date of the ground truth, and the follow-up list read at each of its dates — what dms
finds must be exactly what the generator planted (dms.samplegen.plans, .dms-ground-truth.json "plans" and
"followup"), nothing missing and nothing else."""

from __future__ import annotations

import json
from datetime import date

import pytest
from conftest import REPO

from dms.asof import known_on
from dms.samplegen import TRUTH_FILE

ARCHIVE = REPO / "archive"
TRUTH = json.loads((ARCHIVE / TRUTH_FILE).read_text(encoding="utf-8"))
CHECKS = [(plan, check) for plan in TRUTH["plans"] for check in plan["checks"]]
FOLLOWUP = TRUTH["followup"]["checks"]


@pytest.fixture(scope="module")
def app(sample_world):
    """The committed archive, ingested once per session (conftest.sample_world) into a temporary home."""
    return sample_world[0]


def _doc(app, rel: str):
    doc = app.catalog.document_at_path(str(ARCHIVE / rel))
    assert doc is not None
    return doc


def _findings(findings) -> list[tuple[str, str, str]]:
    return sorted((f["milestone"], f["kind"], f["subject"].lower()) for f in findings)


def vars_of(finding) -> dict:
    return {"milestone": finding.milestone, "kind": finding.kind, "subject": finding.subject}


def test_the_truth_plants_every_case_the_plan_check_knows():
    """A shortage a later purchase order resolves, an absence putting a milestone at risk, a deliverable missing,
    and a plan revision that supersedes an earlier one are all in the sample's ground truth."""
    kinds = {f["kind"] for _, check in CHECKS for f in check["findings"]}
    assert kinds == {"shortage", "no stock data", "over capacity", "absent", "absent throughout", "unknown person",
                     "deliverable pending", "deliverable missing", "dependency"}
    kx = next(p for p in TRUTH["plans"] if p["number"] == "PLAN-KX200-2025")
    assert [r["revision"] for r in kx["revisions"]] == ["A", "B"]
    first, later = kx["checks"][0], kx["checks"][1]
    assert ("M2", "shortage", "lh-200") in _findings(first["findings"])
    assert ("M2", "shortage", "lh-200") not in _findings(later["findings"])
    assert {c["as_of"] for c in FOLLOWUP} and all(c["actions"] and c["awaiting_reply"] for c in FOLLOWUP)


@pytest.mark.parametrize("plan, check", CHECKS, ids=[f"{p['number']}@{c['as_of']}" for p, c in CHECKS])
def test_the_plan_revision_and_the_supply_documents_in_force_are_those_the_truth_names(app, plan, check):
    """dms.asof counts each planted plan workbook from its own date: Rev B supersedes Rev A once issued."""
    in_force = known_on(app, check["as_of"])
    for rev in plan["revisions"]:
        doc = _doc(app, rev["path"])
        assert (doc.version.doc_type, doc.version.number, doc.version.revision, doc.version.doc_date) == (
            "plan", plan["number"], rev["revision"], rev["issued"])
        assert (doc.id in in_force) == (rev["revision"] == check["revision"]), rev["path"]


@pytest.mark.parametrize("plan, check", CHECKS, ids=[f"{p['number']}@{c['as_of']}" for p, c in CHECKS])
def test_the_plan_check_finds_exactly_what_was_planted(app, plan, check):
    from dms.plans.check import check_plan

    result = check_plan(app, plan["number"], date.fromisoformat(check["as_of"]))
    assert (result.plan.number, result.plan.revision) == (plan["number"], check["revision"])
    assert result.as_of == date.fromisoformat(check["as_of"])
    assert _findings(vars_of(f) for f in result.findings) == _findings(check["findings"])
    assert {m.milestone.key: m.readiness for m in result.milestones} == check["milestones"]
    assert result.readiness == check["readiness"]
    for want in (f for f in check["findings"] if f["kind"] == "shortage"):
        (got,) = [f for f in result.findings if (f.milestone, f.kind, f.subject.lower()) == (
            want["milestone"], "shortage", want["subject"].lower())]
        assert (got.quantity, got.unit, got.supplier) == (pytest.approx(want["quantity"]), want["unit"],
                                                          want["supplier"]), got.message
        assert got.evidence, got.message  # the stock row (and order lines) it rests on


@pytest.mark.parametrize("check", FOLLOWUP, ids=[c["as_of"] for c in FOLLOWUP])
def test_followup_lists_exactly_the_open_actions_of_the_minutes(app, check):
    from dms.followup.listing import followups

    items = [i for i in followups(app, as_of=date.fromisoformat(check["as_of"])) if i.kind == "action"]
    got = sorted((i.number, i.owner, i.due.isoformat() if i.due else None, i.overdue) for i in items)
    want = sorted((a["minutes"], a["owner"], a["due"], a["overdue"]) for a in check["actions"])
    assert got == want
    for action in check["actions"]:
        (item,) = [i for i in items if i.number == action["minutes"] and action["what"].lower() in i.text.lower()]
        assert item.doc_id == _doc(app, action["path"]).id and item.product == action["product"]


@pytest.mark.parametrize("check", FOLLOWUP, ids=[c["as_of"] for c in FOLLOWUP])
def test_followup_lists_exactly_the_messages_awaiting_a_reply(app, check):
    from dms.followup.listing import followups

    items = [i for i in followups(app, as_of=date.fromisoformat(check["as_of"])) if i.kind == "awaiting reply"]
    paths = {_doc(app, w["path"]).id: w for w in check["awaiting_reply"]}
    assert sorted(i.doc_id for i in items) == sorted(paths)
    for item in items:
        want = paths[item.doc_id]
        assert item.owner.lower() in (want["owner"].lower(), want["owner_email"]), (item.owner, want)
