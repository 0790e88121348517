"""The rules of change requests, in one place: which action each state allows, to which role and to which
person, and why a refused action is refused.

    action     from                                   to            who
    submit     draft                                  submitted     the applicant, or a coordinator
    review     submitted                              under review  a coordinator
    assess     under review                           assessed      a coordinator who is not the applicant (the
                                                                    assessment complete; kept as assessed_by)
    decide     assessed                               decided       a manager, with a rationale; the applicant
                                                                    may reject or defer, never approve their own
                                                                    (kept as decided_by)
    authorize  decided (approved)                     authorized    a manager who is neither the applicant nor
                                                                    the one who decided (four eyes)
    implement  authorized                             implemented   a coordinator
    close      implemented (every affected document   closed        a coordinator; waivers only from one who is
               amended or waived), or decided                       not the applicant
               (rejected or deferred)
    edit       draft, submitted: every field;            -             the applicant, or a coordinator
               under review: every field, the assessment              (the assessment: a coordinator who is not
               by a coordinator only; assessed: the                    the applicant; the applicant may propose
               assessment only                                         one until the review starts, never change
                                                                       it later)

The workflow (dms.changes.workflow) takes no action `refusal` refuses; the command line, the web page and the
API offer what `allowed_actions` allows, and nothing else. What depends on what the action is given (a complete
assessment, an outcome and its rationale, the fields edited) is checked here too when the action is taken;
only the amendments a close needs are looked up by the workflow (they are in the archive, not the request).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dms.errors import DmsError, PermissionDenied, RuleBroken, UsageError

if TYPE_CHECKING:
    from dms.users import User

STATES = ("draft", "submitted", "under review", "assessed", "decided", "authorized", "implemented", "closed")
OUTCOMES = ("approved", "rejected", "deferred")
ASSESSMENT = ("relevance", "risks", "benefits", "cost_once", "cost_recurring", "schedule_impact")
EDITABLE = ("title", "products", "affected", "description", "reason", "need_date", "attachments", "milestones",
            *ASSESSMENT)
OPEN_FOR_EDITING = ("draft", "submitted", "under review")  # every field; "assessed": the assessment only
EDIT = "edit"


@dataclass(frozen=True, slots=True)
class Step:
    """A transition of the workflow: the states it takes a request from, the state it leaves it in, the least
    role that takes it, and what it does (the command's help)."""
    sources: tuple[str, ...]
    target: str
    role: str
    does: str


STEPS = {
    "submit": Step(("draft",), "submitted", "viewer", "Submit a draft for review"),
    "review": Step(("submitted",), "under review", "coordinator", "Take a submitted request under review"),
    "assess": Step(("under review",), "assessed", "coordinator", "Record the assessment; it must be complete"),
    "decide": Step(("assessed",), "decided", "manager", "Decide an assessed request with a rationale"),
    "authorize": Step(("decided",), "authorized", "manager", "Authorize an approved request before it is built in"),
    "implement": Step(("authorized",), "implemented", "coordinator", "Mark an authorized request implemented"),
    "close": Step(("implemented", "decided"), "closed", "coordinator",
                  "Close a request: every affected document amended by a later revision, or waived with a reason; "
                  "a rejected or deferred request closes once decided"),
}
ACTIONS = (*STEPS, EDIT)  # every action, in the order pages and help list them
WHO = {  # who may take each action, as help texts say it
    "submit": "the applicant or a coordinator",
    "review": "coordinator", "assess": "coordinator, not the applicant",
    "decide": "manager; never one's own approval",
    "authorize": "manager, neither the applicant nor the one who decided",
    "implement": "coordinator", "close": "coordinator; waivers not from the applicant",
    EDIT: "the applicant or a coordinator; until it is assessed, then the assessment only until it is decided, "
          "by a coordinator who is not the applicant",
}


def help_text(action: str) -> str:
    """What the action does and who may take it: the CLI's help of `dms change <action>`."""
    does = STEPS[action].does if action in STEPS else "Change a request's fields"
    return f"{does} ({WHO[action]})."


def _facts(request) -> tuple[str, str, str, str | None]:
    """(number, state, applicant, decision) of a ChangeRequest, or of a request as a dict (its JSON)."""
    if isinstance(request, Mapping):
        return request["number"], request["state"], request.get("applicant") or "", request.get("decision")
    return request.number, request.state, request.applicant, request.data.get("decision")


def _field(request, key: str):
    """A field of the request's data (`decided_by`, `assessed_by`, ...), of a ChangeRequest or of its JSON."""
    return request.get(key) if isinstance(request, Mapping) else request.data.get(key)


def refusal(request, user: User, action: str) -> DmsError | None:
    """Why this user may not take this action on the request now (the error the workflow raises), or None if
    they may. For edit, whether any field may be edited (`editable_fields` says which)."""
    if action not in ACTIONS:
        return UsageError(f"unknown action {action!r}; actions are: {', '.join(ACTIONS)}")
    number, state, applicant, decision = _facts(request)
    is_applicant = user.name == applicant
    if user.disabled:
        return PermissionDenied(f"user {user.name!r} is disabled")
    if action == EDIT:
        if state not in (*OPEN_FOR_EDITING, "assessed"):
            return RuleBroken(f"{number} is {state}: its fields are fixed once it is assessed and decided")
        if not is_applicant and not user.at_least("coordinator"):
            return PermissionDenied(f"only the applicant or a coordinator edits {number}")
        if not editable_fields(request, user):
            return PermissionDenied(f"{number} is {state}: only a coordinator who did not apply for it corrects its "
                                    "assessment until it is decided")
        return None
    step = STEPS[action]
    if not user.at_least(step.role):
        return PermissionDenied(f"{user.name} is a {user.role}; this needs a {step.role} or above")
    if state not in step.sources:
        return RuleBroken(f"cannot {action} {number}: it is {state}, and {action} takes a request that is "
                          f"{' or '.join(step.sources)}")
    if action == "submit" and not is_applicant and not user.at_least("coordinator"):
        return PermissionDenied(f"only the applicant or a coordinator submits {number}")
    if action == "assess" and is_applicant:
        return RuleBroken(f"{user.name} applied for {number} and cannot assess it: another coordinator assesses it")
    if action == "authorize":
        if decision != "approved":
            return RuleBroken(f"only an approved request is authorized; {number} was {decision}")
        if is_applicant:
            return RuleBroken(f"{user.name} applied for {number} and cannot authorize it")
        if user.name == _field(request, "decided_by"):
            return RuleBroken(f"{user.name} decided {number} and cannot authorize it too: four eyes, a second "
                              "manager authorizes")
    if action == "close" and state == "decided" and decision == "approved":
        return RuleBroken(f"{number} was approved: it closes only after it is authorized and implemented")
    return None


def check_waivers(request, user: User, waivers) -> None:
    """Waivers (affected documents closed without an amendment) come from a coordinator who is not the applicant:
    a waiver stands in for an amendment never made, so nobody waives the amendments of their own request."""
    if waivers and user.name == _facts(request)[2]:
        raise RuleBroken(f"{user.name} applied for {_facts(request)[0]} and cannot waive its amendments "
                         f"({', '.join(waivers)}): another coordinator waives them, or it closes once amended")


def may_waive(request, user: User) -> bool:
    """Whether this user may give waivers when closing the request (the close form shows them so)."""
    return user.name != _facts(request)[2]


def allowed_actions(request, user: User) -> tuple[str, ...]:
    """The actions this user may take on the request now, in the order of ACTIONS: what pages offer, the API
    lists and the workflow accepts (given what each action needs: see the module's table)."""
    return tuple(action for action in ACTIONS if refusal(request, user, action) is None)


def enforce(request, user: User, action: str) -> None:
    """Raise the refusal, if any."""
    if (refused := refusal(request, user, action)) is not None:
        raise refused


def outcomes(request, user: User) -> tuple[str, ...]:
    """The decisions this user may record on the request: all, but never the applicant's own approval."""
    return tuple(o for o in OUTCOMES if not (o == "approved" and user.name == _facts(request)[2]))


def check_decision(request, user: User, outcome, rationale: str) -> None:
    """A decision names one of OUTCOMES this user may record, with a rationale."""
    if outcome not in OUTCOMES:
        raise UsageError(f"a decision is one of {', '.join(OUTCOMES)}")
    if not rationale.strip():
        raise RuleBroken("a manager decides with a rationale (--rationale)")
    if outcome not in outcomes(request, user):
        raise RuleBroken(f"{user.name} applied for {_facts(request)[0]} and cannot approve it")


def editable_fields(request, user: User | None = None) -> tuple[str, ...]:
    """The fields an edit may change in the request's state: all until it is assessed, then the assessment until
    it is decided, then none. With a `user`: the assessment is a coordinator's, not the applicant's, once the
    review has started (the applicant may propose one in a draft or a submitted request, never rewrite it while
    it is weighed, even if a coordinator)."""
    _, state, applicant, _ = _facts(request)
    fields = EDITABLE if state in OPEN_FOR_EDITING else ASSESSMENT if state == "assessed" else ()
    assessor = user is not None and user.at_least("coordinator") and user.name != applicant
    if user is not None and not assessor and state not in ("draft", "submitted"):
        fields = tuple(f for f in fields if f not in ASSESSMENT)
    return fields


def check_edit(request, fields, user: User | None = None) -> None:
    """The fields edited are open for editing in the request's state, and to this user (fields unknown to EDITABLE
    are left to the workflow to name)."""
    number, state = _facts(request)[:2]
    if user is not None:
        kept = [f for f in fields if f in ASSESSMENT and f in editable_fields(request)
                and f not in editable_fields(request, user)]
        if kept:
            raise PermissionDenied(f"{number} is {state}: its assessment ({', '.join(kept)}) is a coordinator's, "
                                   "not the applicant's, once the review has started")
    if any(f in EDITABLE and f not in editable_fields(request) for f in fields):
        if state == "assessed":
            raise RuleBroken(f"{number} is assessed: only its assessment ({', '.join(ASSESSMENT)}) may still change "
                             "until it is decided; its other fields are fixed")
        raise RuleBroken(f"{number} is {state}: its fields are fixed once it is assessed and decided")


def missing_assessment(data: Mapping) -> list[str]:
    """The assessment fields still empty: no decision without a complete assessment."""
    return [k for k in ASSESSMENT if data.get(k) in (None, "", [])]


def next_step(request) -> str | None:
    """The action the request waits on, whoever takes it (None when closed): an approved decision waits to be
    authorized, a rejected or deferred one to be closed."""
    state, decision = _facts(request)[1], _facts(request)[3]
    if state == "decided":
        return "authorize" if decision == "approved" else "close"
    return next((a for a, step in STEPS.items() if state in step.sources), None)


def asked_of(request, user: User) -> tuple[str, ...]:
    """The steps this user is asked to take (the start page's "waiting for me"): those allowed, but nobody is
    asked to decide their own request (they may still reject or defer it)."""
    mine = user.name == _facts(request)[2]
    return tuple(a for a in allowed_actions(request, user) if a != EDIT and not (mine and a == "decide"))
