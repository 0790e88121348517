"""Change requests in the browser: list, new, a request's page with the actions the user may take, the report.

The page offers exactly the actions dms.changes.rules allows the user (`allowed_actions`), and the decision
outcomes it allows them (`outcomes`); the edit form holds the fields the request's state leaves open to them;
the close form asks for waivers only from those who may give them (`may_waive`: not the applicant).

A form that is refused (a rule of the workflow, a bad value, a stale revision) comes back as the same page
with the reason beside the form and what was typed still in it; nothing was changed.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from dms import changes, errors
from dms.changes import rules
from dms.changes.views import ON_FILE_STATES, SOURCES, catalogue, describe
from dms.errors import UsageError
from dms.web.render import render
from dms.web.security import Caller, caller

router = APIRouter(include_in_schema=False)
# the standalone printable report: its own inline styles and no scripts at all
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
# the report inside the app's pages (with the navigation): the app's stylesheet, the report's inline one, no scripts
REPORT_PAGE_CSP = ("default-src 'none'; style-src 'unsafe-inline' 'self'; img-src 'self' data:; base-uri 'none'; "
                   "form-action 'self'; frame-ancestors 'none'")
# refusals shown beside the form (anything else is the error page)
REFUSALS = (errors.UsageError, errors.NotFound, errors.PermissionDenied, errors.Busy)

LIST_FIELDS = ("products", "affected", "attachments", "milestones")
TEXT_FIELDS = ("title", "description", "reason", "need_date", "relevance", "benefits", "schedule_impact",
               "cost_once", "cost_recurring")
KEPT_FIELDS = (*TEXT_FIELDS, *LIST_FIELDS, "risks", "outcome", "rationale", "effective_date", "waivers", "note")


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


def kept(form) -> dict[str, str]:
    """What the person typed, to put back into a refused form."""
    return {k: v for k in KEPT_FIELDS if isinstance(v := form.get(k), str)}


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def form_values(cr: dict | None) -> dict[str, str]:
    """A request's fields as its forms show them (lists joined, risks one per line)."""
    cr = cr or {}
    values = {k: _shown(cr.get(k)) for k in TEXT_FIELDS}
    for key in ("products", "affected", "milestones"):
        values[key] = ", ".join(cr.get(key) or [])
    values["attachments"] = ""  # given, they replace the attachments; left empty, they stay as they are
    values["risks"] = "".join(f"{r['risk']}:{r['likelihood']}:{r['severity']}\n" for r in cr.get("risks") or [])
    return values


def _revision(form) -> int | None:
    raw = form.get("revision")
    if raw in (None, ""):
        return None
    if not str(raw).isdigit():
        raise UsageError("revision must be a whole number")
    return int(raw)


@router.get("/changes")
def changes_page(request: Request, state: str = "", product: str = "", applicant: str = "", since: str = "",
                 until: str = "", source: str = "all", who: Caller = caller()):
    rows = catalogue(request.app.state.web.dms(), state or None, product or None, applicant or None, since or None,
                     until or None, source=source or "all")
    return render(request, "changes.html", rows=rows, states=(*changes.STATES, ON_FILE_STATES[0]), sources=SOURCES,
                  filters={"state": state, "product": product, "applicant": applicant, "since": since,
                           "until": until, "source": source or "all"})


@router.get("/changes/new")
def new_page(request: Request, who: Caller = caller()):
    return render(request, "change_new.html", values=form_values(None), error=None)


@router.post("/changes")
async def create(request: Request, who: Caller = caller()):
    form = await request.form()
    fields = fields_from_form(form)
    title = fields.pop("title", "")
    try:
        cr = await run_in_threadpool(request.app.state.web.write, changes.create, title, who.name, **fields)
    except REFUSALS as exc:
        return render(request, "change_new.html", status=errors.http_status(exc), values=kept(form), error=str(exc))
    return RedirectResponse(f"/changes/{cr.number}", status_code=303)


def _page(request: Request, number: str, who: Caller, status: int = 200, failed: dict | None = None):
    """The request's page; `failed` = {"form": action or "edit", "message", "values"} puts a refusal beside
    its form, with what was typed."""
    from dms import audit
    from dms.changes.related import related

    archive = request.app.state.web.dms()
    data = describe(archive, number)
    on_file = data["state"] in ON_FILE_STATES
    shown = {d["id"] for key in ("documents", "decided_in", "amended_by") for d in data.get(key, [])}
    values = {"edit": form_values(data), "assess": form_values(data)}
    if failed:
        values[failed["form"]] = {**values.get(failed["form"], {}), **failed["values"]}
    allowed = () if on_file else rules.allowed_actions(data, who.user)
    return render(request, "change.html", status=status, cr=data, on_file=on_file,
                  links=related(archive, data["number"], workflow=not on_file, exclude=shown),
                  history=audit.history(archive.catalog, f"change_request:{data['number']}"),
                  actions=[a for a in allowed if a != rules.EDIT], editable=rules.EDIT in allowed,
                  assessment_only=not on_file and rules.editable_fields(data, who.user) == rules.ASSESSMENT,
                  outcomes=() if on_file else rules.outcomes(data, who.user), values=values, failed=failed,
                  may_waive=not on_file and rules.may_waive(data, who.user))


@router.get("/changes/{number}")
def change_page(request: Request, number: str, who: Caller = caller()):
    return _page(request, number, who)


async def _refused(request: Request, number: str, who: Caller, form_name: str, exc: Exception, form):
    """The page again with the refusal beside the form; a stale form gets the current revision, so that what
    was typed can be sent again once the person has looked at what changed meanwhile."""
    failed = {"form": form_name, "message": str(exc), "values": kept(form)}
    return await run_in_threadpool(_page, request, number, who, errors.http_status(exc), failed)


@router.post("/changes/{number}/edit")
async def edit(request: Request, number: str, who: Caller = caller()):
    form = await request.form()
    try:
        fields, revision = fields_from_form(form), _revision(form)
        cr = await run_in_threadpool(request.app.state.web.write, changes.edit, number, who.name, revision, **fields)
    except REFUSALS as exc:
        return await _refused(request, number, who, "edit", exc, form)
    return RedirectResponse(f"/changes/{cr.number}", status_code=303)


def _params(action: str, form) -> dict:
    if action == "assess":
        return {k: v for k, v in fields_from_form(form).items() if k in rules.ASSESSMENT}
    if action == "decide":
        return {"outcome": form.get("outcome"), "rationale": form.get("rationale") or ""}
    if action == "authorize":
        return {"effective_date": form.get("effective_date") or None}
    if action == "close":
        waivers = {}
        for line in str(form.get("waivers") or "").splitlines():
            if line.strip():
                doc, sep, reason = line.partition("=")
                if not sep or not reason.strip():
                    raise UsageError(f"write each waiver as DOCUMENT=REASON, not {line.strip()!r}")
                waivers[doc.strip().upper()] = reason.strip()
        return {"waivers": waivers}
    return {}


@router.post("/changes/{number}/{action}")
async def act(request: Request, number: str, action: str, who: Caller = caller()):
    if action not in rules.STEPS:
        raise UsageError(f"unknown action {action!r}; actions are: {', '.join(rules.STEPS)}")
    form = await request.form()
    try:
        params, note, revision = _params(action, form), str(form.get("note") or ""), _revision(form)
        cr = await run_in_threadpool(request.app.state.web.write, changes.transition, number, action, who.name,
                                     note, revision, **params)
    except REFUSALS as exc:
        return await _refused(request, number, who, action, exc, form)
    except errors.NotDelivered as exc:  # done and on record: the page as it now stands, with the warning
        failed = {"form": action, "message": str(exc), "values": {}}
        return await run_in_threadpool(_page, request, number, who, errors.http_status(exc), failed)
    return RedirectResponse(f"/changes/{cr.number}", status_code=303)


@router.get("/changes/{number}/report")
def report(request: Request, number: str, standalone: bool = False, who: Caller = caller()):
    """The assessment report inside the app's page (with the navigation); `?standalone=1`: the printable file
    `dms change report` writes."""
    from dms.changes.report import render_report, report_parts

    archive = request.app.state.web.dms()
    if standalone:
        html, _ = render_report(archive, number)
        return HTMLResponse(html, headers={"Content-Security-Policy": REPORT_CSP})
    number_, style, body = report_parts(archive, number)
    response = render(request, "change_report.html", number=number_, style=style, body=body)
    response.headers["Content-Security-Policy"] = REPORT_PAGE_CSP
    return response
