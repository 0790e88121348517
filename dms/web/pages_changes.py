"""Change requests in the browser: list, new, a request's page with the actions the user may take, the report."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from dms import changes
from dms.changes.views import catalogue, describe
from dms.changes.workflow import ACTIONS, ASSESSMENT, OUTCOMES
from dms.errors import UsageError
from dms.web.render import render
from dms.web.security import Caller, caller

router = APIRouter(include_in_schema=False)
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

LIST_FIELDS = ("products", "affected", "attachments")
TEXT_FIELDS = ("title", "description", "reason", "need_date", "relevance", "benefits", "schedule_impact",
               "cost_once", "cost_recurring")


def fields_from_form(form) -> dict:
    """Form values as the workflow takes them: lists split on commas or lines, risks one per line
    (TEXT:LIKELIHOOD:SEVERITY), empty values left out (they leave the field as it is)."""
    out = {}
    for key in TEXT_FIELDS:
        value = form.get(key)
        if isinstance(value, str) and value.strip():
            out[key] = value.strip()
    for key in LIST_FIELDS:
        value = form.get(key)
        if isinstance(value, str) and value.strip():
            out[key] = [v.strip() for v in re.split(r"[,\n]", value) if v.strip()]
    risks = form.get("risks")
    if isinstance(risks, str) and risks.strip():
        out["risks"] = [line for line in risks.splitlines() if line.strip()]
    return out


def _revision(form) -> int | None:
    raw = form.get("revision")
    if raw in (None, ""):
        return None
    if not str(raw).isdigit():
        raise UsageError("revision must be a whole number")
    return int(raw)


def allowed_actions(cr: dict, who: Caller) -> list[str]:
    """The transitions this user may try now (the workflow still checks every rule when they do)."""
    out = []
    for action, (sources, _, role) in ACTIONS.items():
        if cr["state"] not in sources:
            continue
        if action == "close" and cr["state"] == "decided" and cr.get("decision") == "approved":
            continue  # an approved request closes only after authorization and implementation
        if action == "submit" and (who.name == cr["applicant"] or who.user.at_least("coordinator")):
            out.append(action)
        elif action != "submit" and who.user.at_least(role):
            out.append(action)
    return out


@router.get("/changes")
def changes_page(request: Request, state: str = "", product: str = "", applicant: str = "", since: str = "",
                 until: str = "", archive: bool = False, who: Caller = caller()):
    if state and state not in changes.STATES:
        raise UsageError(f"state is one of: {', '.join(changes.STATES)}")
    rows = catalogue(request.app.state.web.dms(), state or None, product or None, applicant or None, since or None,
                     until or None, archive)
    return render(request, "changes.html", rows=rows, states=changes.STATES,
                  filters={"state": state, "product": product, "applicant": applicant, "since": since,
                           "until": until, "archive": archive})


@router.get("/changes/new")
def new_page(request: Request, who: Caller = caller()):
    return render(request, "change_new.html")


@router.post("/changes")
async def create(request: Request, who: Caller = caller()):
    form = await request.form()
    fields = fields_from_form(form)
    title = fields.pop("title", "")
    cr = await run_in_threadpool(request.app.state.web.write, changes.create, title, who.name, **fields)
    return RedirectResponse(f"/changes/{cr.number}", status_code=303)


@router.get("/changes/{number}")
def change_page(request: Request, number: str, who: Caller = caller()):
    archive = request.app.state.web.dms()
    data = describe(archive, number)
    on_file = data["state"] in ("on file", "cited only")
    from dms import audit

    return render(request, "change.html", cr=data, on_file=on_file,
                  history=audit.history(archive.catalog, f"change_request:{data['number']}"),
                  actions=[] if on_file else allowed_actions(data, who), outcomes=OUTCOMES, assessment=ASSESSMENT,
                  editable=not on_file and data["state"] in ("draft", "submitted", "under review")
                  and (who.name == data.get("applicant") or who.user.at_least("coordinator")))


@router.post("/changes/{number}/edit")
async def edit(request: Request, number: str, who: Caller = caller()):
    form = await request.form()
    fields, revision = fields_from_form(form), _revision(form)
    cr = await run_in_threadpool(request.app.state.web.write, changes.edit, number, who.name, revision, **fields)
    return RedirectResponse(f"/changes/{cr.number}", status_code=303)


@router.post("/changes/{number}/{action}")
async def act(request: Request, number: str, action: str, who: Caller = caller()):
    if action not in ACTIONS:
        raise UsageError(f"unknown action {action!r}; actions are: {', '.join(ACTIONS)}")
    form = await request.form()
    params: dict = {}
    if action == "assess":
        params = {k: v for k, v in fields_from_form(form).items() if k in ASSESSMENT}
    elif action == "decide":
        params = {"outcome": form.get("outcome"), "rationale": form.get("rationale") or ""}
    elif action == "authorize":
        params = {"effective_date": form.get("effective_date") or None}
    elif action == "close":
        waivers = {}
        for line in str(form.get("waivers") or "").splitlines():
            if line.strip():
                doc, sep, reason = line.partition("=")
                if not sep or not reason.strip():
                    raise UsageError(f"write each waiver as DOCUMENT=REASON, not {line.strip()!r}")
                waivers[doc.strip().upper()] = reason.strip()
        params = {"waivers": waivers}
    note, revision = str(form.get("note") or ""), _revision(form)
    cr = await run_in_threadpool(request.app.state.web.write, changes.transition, number, action, who.name, note,
                                 revision, **params)
    return RedirectResponse(f"/changes/{cr.number}", status_code=303)


@router.get("/changes/{number}/report")
def report(request: Request, number: str, who: Caller = caller()):
    from dms.changes.report import render_report

    html, _ = render_report(request.app.state.web.dms(), number)
    # a printable page with its own inline styles and no scripts at all
    return HTMLResponse(html, headers={"Content-Security-Policy": REPORT_CSP})
