"""The change-request rules have one home (dms.changes.rules): for every state, role and applicant-or-not, what
the request's page offers, what `allowed_actions` says, what the API lists and what the library accepts agree.

The library's acceptance is tried with `dry_run=True`: the whole action runs (rules, checks, the write and its
history in the catalog) in a transaction that is rolled back, so one request serves every user and action of
its state; the walk from state to state is taken for real.
"""

from __future__ import annotations

import re

import pytest

from dms import changes, users
from dms.app import Dms
from dms.changes import rules
from dms.config import load_settings
from dms.errors import DmsError, PermissionDenied, RuleBroken

ROLES = ("viewer", "coordinator", "manager", "admin")
PEOPLE = {"viewer": "vera", "coordinator": "cora", "manager": "mona", "admin": "ada"}  # each applies for requests
ASSESSED = dict(relevance="high", risks=["lid cracks:3:4"], benefits="fewer returns", cost_once=1200,
                cost_recurring=0.4, schedule_impact="two weeks")
PARAMS = {"assess": ASSESSED, "decide": {"outcome": "rejected", "rationale": "not now"}}  # what each action is given
WALK = (("submit", None, {}), ("review", "cora", {}), ("assess", "cora", ASSESSED),
        ("decide", "mona", {"outcome": "approved", "rationale": "worth it"}), ("authorize", "max", {}),
        ("implement", "cora", {}), ("close", "cora", {}))  # who takes each step (None: the applicant)
SECOND = "max"  # a second manager, not one of PEOPLE: authorizes what mona (or ada) decided
STAND_IN = {"cora": "ada", "mona": "ada"}  # who assesses cora's own request, decides mona's


def walker(step_by: str | None, applicant: str) -> str:
    """Who takes a step of the walk: the applicant submits; nobody assesses or decides their own request (the
    applicant may review, implement and close it); the manager who decided never authorizes."""
    if step_by is None:
        return applicant
    return STAND_IN[step_by] if step_by == applicant else step_by


def password(name: str) -> str:
    return f"{name}-password-1"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """An empty archive with a user of each role, and a web client signed in as each. Every request is tried by
    all four: its applicant (the applicant cell of that role) and three who are not; each person applies for one
    request, so every role is tried as applicant and as not."""
    from fastapi.testclient import TestClient

    from dms.web import create_app

    settings = load_settings(environ={"DMS_WORKERS": "1"}, home=tmp_path_factory.mktemp("rules") / "home")
    with Dms(settings) as app:
        for role in reversed(ROLES):
            users.add(app.catalog, PEOPLE[role], role, password(PEOPLE[role]), by="ada")
        users.add(app.catalog, SECOND, "manager", password(SECOND), by="ada")
    web = create_app(settings)
    clients = {}
    for name in PEOPLE.values():
        client = TestClient(web, follow_redirects=False)
        assert client.post("/sign-in", data={"name": name, "password": password(name), "next": "/"}).status_code == 303
        clients[name] = client
    with Dms(settings) as app:
        yield app, clients
    for client in clients.values():
        client.close()


def offered(client, number: str) -> tuple[set[str], set[str], set[str]]:
    """(the actions the page has a form for, the decision outcomes it offers, the fields of its edit form)."""
    page = client.get(f"/changes/{number}")
    assert page.status_code == 200, page.text
    html = page.text
    forms = dict(re.findall(r'<form [^>]*data-action="([^"]+)">(.*?)</form>', html, re.S))
    outcomes = set(re.findall(r"<option(?: selected)?>([^<]+)</option>", forms.get("decide", "")))
    fields = set(re.findall(r'name="([a-z_]+)"', forms.get("edit", ""))) - {"csrf", "revision"}
    return set(forms), outcomes, fields


def accepted(app, number: str, user: str, action: str, **fields) -> DmsError | None:
    """None if the library takes the action (tried in a transaction that is rolled back), else its refusal."""
    before = changes.get(app, number)
    try:
        if action == rules.EDIT:  # by default, the first field this user may edit (or the assessment's benefits)
            open_to = rules.editable_fields(before, users.get(app.catalog, user)) or ("benefits",)
            changes.edit(app, number, user, dry_run=True, **(fields or {open_to[0]: "fewer complaints"}))
        else:
            changes.transition(app, number, action, user, dry_run=True, **{**PARAMS.get(action, {}), **fields})
        refused = None
    except DmsError as exc:
        refused = exc
    after = changes.get(app, number)
    assert (after.state, after.revision, after.data) == (before.state, before.revision, before.data)  # nothing stays
    return refused


def agree(app, clients, number: str, user: str) -> tuple:
    """Page == allowed_actions == API == library, for this user on this request as it stands; returns the cell
    (state, decision, role, applicant or not)."""
    cr = changes.get(app, number)
    who = users.get(app.catalog, user)
    allowed = rules.allowed_actions(cr, who)
    cell = (cr.state, cr.data.get("decision"), who.role, "applicant" if user == cr.applicant else "not applicant")
    forms, outcomes, fields = offered(clients[user], number)
    assert forms == set(allowed), cell
    assert clients[user].get(f"/api/v1/changes/{number}").json()["allowed_actions"] == list(allowed), cell
    for action in rules.ACTIONS:
        refused = accepted(app, number, user, action)
        expected = rules.refusal(cr, who, action)
        assert (refused is None) == (action in allowed), (cell, action, refused)
        if refused is not None:  # the library refuses with the rules' own reason
            assert (type(refused), str(refused)) == (type(expected), str(expected)), (cell, action)
    if "decide" in allowed:  # the outcomes offered are those the library takes from this user
        assert outcomes == set(rules.outcomes(cr, who)), cell
        for outcome in rules.OUTCOMES:
            taken = accepted(app, number, user, "decide", outcome=outcome) is None
            assert taken == (outcome in outcomes), (cell, outcome)
    if rules.EDIT in allowed:  # the edit form holds fields open in this state; the library takes those only
        open_to = set(rules.editable_fields(cr, who))
        assert fields and fields <= open_to, cell
        for field in ("description", "benefits"):  # a field of the request, one of its assessment
            taken = accepted(app, number, user, rules.EDIT, **{field: "changed"}) is None
            assert taken == (field in open_to), (cell, field)
        assert ("description" in fields) == ("description" in open_to), cell
    return cell


def test_page_api_and_library_agree_with_allowed_actions_in_every_state_for_every_role(world):
    app, clients = world
    cells = set()
    for role, applicant in PEOPLE.items():
        main = changes.create(app, f"Request of a {role}", applicant).number
        for action, by, params in (*WALK, (None, None, None)):
            for user in PEOPLE.values():
                cells.add(agree(app, clients, main, user))
            if action:
                changes.transition(app, main, action, walker(by, applicant), **params)
        for outcome in ("rejected", "deferred"):  # a request decided otherwise: closed, never authorized
            other = changes.create(app, f"{outcome} request of a {role}", applicant).number
            for action, by, params in WALK[:3]:
                changes.transition(app, other, action, walker(by, applicant), **params)
            changes.transition(app, other, "decide", walker("mona", applicant), outcome=outcome, rationale="later")
            for user in PEOPLE.values():
                cells.add(agree(app, clients, other, user))
    decided = {(s, d) for s, d, _, _ in cells}
    assert {s for s, _ in decided} == set(rules.STATES) and {d for s, d in decided if s == "decided"} == set(
        rules.OUTCOMES)
    assert len(cells) == len(decided) * len(ROLES) * 2 == 80  # every state x role x applicant or not


def test_every_action_is_allowed_to_someone_somewhere_and_refused_to_someone():
    """The table is not vacuous: each action is allowed in some state to some user and refused in another."""
    from dms.users import User

    people = [User(f"{role}-{n}", role, False) for role in ROLES for n in (1, 2)]
    for action in rules.ACTIONS:
        verdicts = {rules.refusal({"number": "CR-1", "state": state, "applicant": who.name, "decision": decision},
                                  user, action) is None
                    for state in rules.STATES for decision in (None, *rules.OUTCOMES)
                    for who in people for user in people}
        assert verdicts == {True, False}, action


def test_a_disabled_user_may_do_nothing_and_is_told_so(world):
    app, _ = world
    number = changes.create(app, "Hinge", "vera").number
    users.add(app.catalog, "c9", "coordinator", password("c9"), by="ada")
    users.disable(app.catalog, "c9", by="ada")
    gone = users.get(app.catalog, "c9")
    assert rules.allowed_actions(changes.get(app, number), gone) == ()
    with pytest.raises(PermissionDenied, match="disabled"):
        changes.transition(app, number, "submit", "c9")


def test_an_applicant_manager_may_reject_their_own_request_but_is_not_asked_to_decide_it(world):
    app, clients = world
    number = changes.create(app, "Own idea", "mona").number
    for action, by, params in WALK[:3]:
        changes.transition(app, number, action, walker(by, "mona"), **params)
    cr, mine = changes.get(app, number), users.get(app.catalog, "mona")
    assert "decide" in rules.allowed_actions(cr, mine) and "decide" not in rules.asked_of(cr, mine)
    assert rules.outcomes(cr, mine) == ("rejected", "deferred")
    assert number not in {r["number"] for r in changes.waiting_for(app, "mona")["decide"]}
    assert number in {r["number"] for r in changes.waiting_for(app, "ada")["decide"]}
    with pytest.raises(RuleBroken, match="mona applied for .* cannot approve"):
        changes.transition(app, number, "decide", "mona", outcome="approved", rationale="mine")


def test_the_command_line_help_and_refusals_come_from_the_rules(world, tmp_path):
    from conftest import run_dms, run_json

    app, _ = world
    home = app.settings.home
    number = changes.create(app, "Cord", "vera").number
    helped = run_dms(home, "change", "decide", "--help").stdout
    assert " ".join(rules.help_text("decide").split()) in " ".join(helped.split())
    refused = run_dms(home, "change", "review", number, "--as", "vera", check=False)
    assert refused.returncode == 6 and "this needs a coordinator" in refused.stderr
    assert "vera may: submit, edit" in refused.stderr
    shown = run_json(home, "change", "show", number, "--as", "cora")
    assert shown["allowed_actions"] == list(rules.allowed_actions(changes.get(app, number), users.get(app.catalog,
                                                                                                      "cora")))


def test_a_dry_run_writes_nothing_and_a_trial_refuses_to_nest(world):
    from dms.catalog import changes as sql

    app, _ = world
    number = changes.create(app, "Trial", "vera").number
    would = changes.transition(app, number, "submit", "vera", dry_run=True)
    assert would.state == "submitted" and would.revision == 2
    assert changes.get(app, number).state == "draft" and len(changes.history(app, number)) == 1
    with app.catalog.transaction(), pytest.raises(RuntimeError, match="inside another transaction"):
        with sql.trial(app.catalog):
            pass


def test_an_applicant_proposes_an_assessment_but_never_rewrites_it_once_the_review_has_started(world):
    app, _ = world
    number = changes.create(app, "Quieter fan", "vera").number
    changes.edit(app, number, "vera", risks=["fan stalls:2:3"])  # a draft: the applicant may propose one
    changes.transition(app, number, "submit", "vera")
    changes.transition(app, number, "review", "cora")
    with pytest.raises(PermissionDenied, match="assessment .*risks.* is a coordinator's, not the applicant's"):
        changes.edit(app, number, "vera", risks=["fan stalls:1:1"])
    changes.edit(app, number, "vera", description="the fan hums at 2 kHz")  # the request itself: still hers
    changes.transition(app, number, "assess", "cora", **ASSESSED)
    assert rules.allowed_actions(changes.get(app, number), users.get(app.catalog, "vera")) == ()
    with pytest.raises(PermissionDenied, match="only a coordinator who did not apply for it corrects its assessment"):
        changes.edit(app, number, "vera", benefits="everyone will love it")
    changes.edit(app, number, "cora", benefits="fewer returns")  # the coordinator corrects it until the decision
    assert changes.get(app, number).data["benefits"] == "fewer returns"


def test_an_applicant_never_assesses_their_own_request_even_as_a_coordinator(world):
    app, clients = world
    number = changes.create(app, "Softer click", "cora").number
    changes.transition(app, number, "submit", "cora")
    changes.transition(app, number, "review", "cora")  # taking it under review decides nothing
    cora = users.get(app.catalog, "cora")
    assert "assess" not in rules.allowed_actions(changes.get(app, number), cora)
    with pytest.raises(RuleBroken, match="cora applied for .* cannot assess it"):
        changes.transition(app, number, "assess", "cora", **ASSESSED)
    with pytest.raises(PermissionDenied, match="assessment .*benefits.* is a coordinator's, not the applicant's"):
        changes.edit(app, number, "cora", benefits="everyone will love it")
    refused = clients["cora"].post(f"/changes/{number}/assess", data={**ASSESSED, "risks": "lid cracks:3:4",
                                                                      "csrf": _csrf(clients["cora"], number)})
    assert refused.status_code == 400 and "cannot assess it" in refused.text
    assessed = changes.transition(app, number, "assess", "ada", **ASSESSED)
    assert assessed.state == "assessed" and assessed.data["assessed_by"] == "ada"
    assert rules.allowed_actions(assessed, cora) == ()  # nor may she correct it once assessed


def test_the_manager_who_decided_does_not_authorize_too(world):
    app, clients = world
    number = changes.create(app, "Two-tone housing", "vera").number
    for action, by, params in WALK[:4]:
        changes.transition(app, number, action, walker(by, "vera"), **params)
    decided = changes.get(app, number)
    assert decided.data["decided_by"] == "mona"
    assert "authorize" not in rules.allowed_actions(decided, users.get(app.catalog, "mona"))
    assert "authorize" in rules.allowed_actions(decided, users.get(app.catalog, "ada"))
    with pytest.raises(RuleBroken, match="mona decided .* cannot authorize it too: four eyes"):
        changes.transition(app, number, "authorize", "mona")
    assert 'data-action="authorize"' not in clients["mona"].get(f"/changes/{number}").text
    assert changes.transition(app, number, "authorize", SECOND).data["authorizer"] == SECOND


def test_an_applicant_closes_their_own_request_only_without_waivers(world):
    app, clients = world
    number = changes.create(app, "New rating label", "cora", affected=["SPEC-KX200-01"]).number
    for action, by, params in WALK[:-1]:
        changes.transition(app, number, action, walker(by, "cora"), **params)
    before = changes.get(app, number)
    with pytest.raises(RuleBroken, match="cora applied for .* cannot waive its amendments .SPEC-KX200-01."):
        changes.transition(app, number, "close", "cora", waivers={"SPEC-KX200-01": "the label is not specified"})
    with pytest.raises(RuleBroken, match="not yet amended .* SPEC-KX200-01"):  # without: it waits for the amendment
        changes.transition(app, number, "close", "cora")
    after = changes.get(app, number)
    assert (after.state, after.revision, after.data) == (before.state, before.revision, before.data)
    page = clients["cora"].get(f"/changes/{number}").text
    form = re.search(r'<form [^>]*data-action="close">(.*?)</form>', page, re.S).group(1)
    assert 'name="waivers"' not in form and 'id="no-waivers"' in form
    refused = clients["cora"].post(f"/changes/{number}/close", data={"waivers": "SPEC-KX200-01=not specified",
                                                                     "csrf": _csrf(clients["cora"], number)})
    assert refused.status_code == 400 and "cannot waive its amendments" in refused.text
    assert 'name="waivers"' in re.search(r'<form [^>]*data-action="close">(.*?)</form>',
                                         clients["ada"].get(f"/changes/{number}").text, re.S).group(1)
    closed = changes.transition(app, number, "close", "ada", waivers={"SPEC-KX200-01": "the label is not specified"})
    assert closed.state == "closed" and closed.data["waivers"] == {"SPEC-KX200-01": "the label is not specified"}


def _csrf(client, number: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(f"/changes/{number}").text).group(1)
