"""Plans in the browser (issue 16): the plan list, the plan page (timeline, readiness per milestone, findings with
their evidence, materials and staff, the change requests moving a milestone, the order draft), editing a plan
through the same library the CLI uses (`import_plan`, `save_plan`), and the follow-up list.

A refused plan (a workbook or form that does not read, a part without stock data) comes back as the same page with
every problem beside the form, naming sheet, row and column, and what was typed still in it; nothing was stored.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from dms import errors
from dms.plans.model import READINESS
from dms.web import planform
from dms.web.plantimeline import anchor, badge, legend_html, timeline_svg
from dms.web.render import query_url, render
from dms.web.security import Caller, caller

router = APIRouter(include_in_schema=False)
EDIT_ROLE = "coordinator"  # who may import, edit and draft purchase requests
REFUSALS = (errors.PlanError, errors.UsageError, errors.NotFound, errors.PermissionDenied, errors.Busy)


def as_of_date(text: str | None) -> date | None:
    """The as-of date asked for (YYYY-MM-DD), None for today."""
    if not text or not text.strip():
        return None
    from dms.asof import check_date

    return date.fromisoformat(check_date(text))


def readiness_of(archive, plans, as_of: date | None = None) -> list[dict]:
    """Each plan with the readiness its check gives (or why it could not be checked)."""
    from dms.plans.check import check_plan

    out = []
    for plan in plans:
        try:
            result = check_plan(archive, plan.number, as_of)
        except errors.DmsError as exc:
            out.append({"plan": plan, "readiness": None, "problem": str(exc).splitlines()[0], "counts": {},
                        "badge": badge(None)})
            continue
        counts = {r: sum(1 for m in result.milestones if m.readiness == r) for r in READINESS}
        out.append({"plan": plan, "readiness": result.readiness, "problem": None, "counts": counts,
                    "findings": len(result.findings), "badge": badge(result.readiness)})
    return out


def _helpers() -> dict:
    return {"badge": badge, "anchor": anchor}


@router.get("/plans")
def plans_page(request: Request, product: str = "", who: Caller = caller()):
    from dms.plans.library import list_plans

    archive = request.app.state.web.dms()
    rows = readiness_of(archive, list_plans(archive, product.strip().upper() or None))
    return render(request, "plans.html", rows=rows, product=product, can_edit=who.user.at_least(EDIT_ROLE),
                  **_helpers())


@router.get("/plans/template.xlsx")
def template(request: Request, who: Caller = caller()):
    """The documented plan workbook template (`dms plan template`), as a download."""
    from dms.plans.workbook import write_template

    folder = Path(tempfile.mkdtemp(prefix="dms-plan-template-"))
    path = folder / "plan-template.xlsx"
    write_template(path)

    def cleanup():
        path.unlink(missing_ok=True)
        folder.rmdir()

    return FileResponse(path, filename="plan-template.xlsx", content_disposition_type="attachment",
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        background=BackgroundTask(cleanup))


def _edit_page(request: Request, *, number: str | None, typed: dict, status: int = 200, error: str | None = None,
               problems=(), based_on: str = "", revision: str | None = None, new_parts: bool = False):
    typed = {**typed, **{s: [*typed[s], *({f: "" for f, _ in cols} for _ in range(planform.BLANK_ROWS))]
                         for s, cols in planform.SHEETS.items()}}
    return render(request, "plan_edit.html", status=status, number=number, typed=typed, sheets=planform.SHEETS,
                  header=planform.HEADER, placeholders=planform.PLACEHOLDERS, error=error, problems=list(problems),
                  marks=planform.marks(problems), based_on=based_on, revision=revision, new_parts=new_parts)


@router.get("/plans/new")
def new_page(request: Request, who: Caller = caller(EDIT_ROLE)):
    return _edit_page(request, number=None, typed=planform.form_of(None))


async def import_upload(state, upload: UploadFile, who: Caller, new_parts: bool):
    """Import an uploaded plan workbook: written to a temporary folder under its own (safe) name, read (bounded)
    before the archive's write lock is taken, so a slow or refused workbook keeps no other writer waiting, then
    imported under it (`import_plan` checks it against what is on file, keeps its copy under the home's plans/ and
    ingests it from there), then the upload goes."""
    from dms.plans.library import import_plan, read_plan
    from dms.web.uploads import CHUNK, safe_name

    name = safe_name(upload.filename)
    if not name.lower().endswith((".xlsx", ".csv")):
        raise errors.UsageError("a plan is an XLSX workbook or a CSV file (see the template)")
    with tempfile.TemporaryDirectory(prefix="dms-plan-upload-") as folder:
        path = Path(folder) / name
        with open(path, "xb") as out:
            while chunk := await upload.read(CHUNK):
                out.write(chunk)
        read = await run_in_threadpool(lambda: read_plan(state.dms(), path))  # PlanError: refused unlocked
        return await run_in_threadpool(state.write, import_plan, path, by=who.name, new_parts=new_parts, read=read,
                                       lasting=True)


@router.post("/plans/new/upload")
async def upload_plan(request: Request, file: UploadFile = File(...), new_parts: bool = Form(False),
                      who: Caller = caller(EDIT_ROLE)):
    try:
        plan = await import_upload(request.app.state.web, file, who, new_parts)
    except REFUSALS as exc:  # nothing of it is kept
        problems = exc.problems if isinstance(exc, errors.PlanError) else ()
        return _edit_page(request, number=None, typed=planform.form_of(None), status=errors.http_status(exc),
                          error=_first_line(exc) if problems else str(exc), problems=problems, new_parts=new_parts)
    return RedirectResponse(f"/plans/{plan.number}", status_code=303)


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0]


def _save(archive, plan, *, by: str, new_parts: bool, number: str | None, based_on: str):
    """save_plan, after checking (under the write lock, so that nobody slips in between) that a new plan's number
    is free, or that the plan edited is still the version the form was filled from."""
    from dms.plans.library import load_plan, save_plan

    if number is None:
        try:
            load_plan(archive, plan.number)
        except errors.NotFound:
            pass
        except errors.PlanError:
            raise errors.UsageError(f"{plan.number} is on file already (as a document that is no plan workbook); "
                                    "give the plan another number") from None
        else:
            raise errors.UsageError(f"{plan.number} exists already: edit it from its page")
    else:
        current = load_plan(archive, number)
        if based_on and str(current.version_id) != based_on:
            raise errors.StaleWrite(f"{number} changed since you opened the form (now Rev {current.revision}); "
                                    "what you typed is still here: compare it with the plan and save again")
    return save_plan(archive, plan, by=by, new_parts=new_parts)


async def _save_form(request: Request, number: str | None, who: Caller):
    form = await request.form()
    typed = planform.form_from_post(form)
    based_on = str(form.get("based_on") or "")
    new_parts = bool(form.get("new_parts"))
    state = request.app.state.web
    try:
        if number is not None and typed["header"]["number"].upper() != number.upper():
            raise errors.UsageError(f"this form edits {number}; to start another plan use New plan")
        plan = planform.plan_from_form(typed)
        saved = await run_in_threadpool(state.write, _save, plan, by=who.name, new_parts=new_parts, number=number,
                                        based_on=based_on)
    except REFUSALS as exc:
        problems = exc.problems if isinstance(exc, errors.PlanError) else ()
        return _edit_page(request, number=number, typed=typed, status=errors.http_status(exc),
                          error=_first_line(exc) if problems else str(exc), problems=problems, based_on=based_on,
                          revision=str(form.get("revision") or "") or None, new_parts=new_parts)
    return RedirectResponse(f"/plans/{saved.number}", status_code=303)


@router.post("/plans/new")
async def create_plan(request: Request, who: Caller = caller(EDIT_ROLE)):
    return await _save_form(request, None, who)


@router.get("/plans/{number}/edit")
def edit_page(request: Request, number: str, who: Caller = caller(EDIT_ROLE)):
    from dms.plans.library import load_plan

    plan = load_plan(request.app.state.web.dms(), number)
    return _edit_page(request, number=plan.number, typed=planform.form_of(plan), based_on=str(plan.version_id or ""),
                      revision=plan.revision)


@router.post("/plans/{number}/edit")
async def save_edit(request: Request, number: str, who: Caller = caller(EDIT_ROLE)):
    return await _save_form(request, number, who)


def _moving(archive, result) -> dict[str, list[dict]]:
    """The change requests moving each milestone, with their title and state when the workflow knows them."""
    from dms import changes

    out: dict[str, list[dict]] = {}
    for check in result.milestones:
        for cr_number in check.moved_by:
            try:
                cr = changes.get(archive, cr_number)
                entry = {"number": cr.number, "title": cr.title, "state": cr.state,
                         "decision": cr.data.get("decision"), "schedule_impact": cr.data.get("schedule_impact")}
            except errors.NotFound:
                entry = {"number": cr_number, "title": "", "state": "", "decision": None, "schedule_impact": None}
            out.setdefault(check.milestone.key, []).append(entry)
    return out


def _by_subject(result) -> dict[tuple[str, str], list]:
    """Findings by (milestone key, subject upper-cased): the material and staff rows show theirs."""
    out: dict[tuple[str, str], list] = {}
    for f in result.findings:
        out.setdefault((f.milestone, f.subject.upper()), []).append(f)
    return out


def _evidence_names(archive, result) -> dict[int, str]:
    """The heading of each document a finding cites (number and title, else its file name), for the links."""
    from dms.titles import heading_of

    out = {}
    for doc_id in {e.doc_id for f in result.findings for e in f.evidence if e.doc_id is not None}:
        try:
            out[doc_id] = heading_of(archive.catalog.document(doc_id))
        except errors.NotFound:  # purged meanwhile: the id says enough
            continue
    return out


def plan_page_context(archive, number: str, as_of: date | None) -> dict:
    from dms.plans.check import check_plan

    result = check_plan(archive, number, as_of)
    return {"result": result, "plan": result.plan, "svg": timeline_svg(result), "legend": legend_html(),
            "moving": _moving(archive, result), "by_subject": _by_subject(result),
            "evidence_names": _evidence_names(archive, result),
            "milestone_names": {m.key: m.name for m in result.plan.milestones}, **_helpers()}


@router.get("/plans/{number}")
def plan_page(request: Request, number: str, as_of: str = "", who: Caller = caller()):
    archive = request.app.state.web.dms()
    context = plan_page_context(archive, number, as_of_date(as_of))
    return render(request, "plan.html", as_of_text=as_of.strip(), can_edit=who.user.at_least(EDIT_ROLE),
                  drafted=None, **context)


def draft_order(state, number: str, as_of: date | None, who: str) -> dict:
    """Check the plan and draft the purchase request for its shortages (dms.plans.order: the CSV is kept on file
    under the home's purchase-requests/, an e-mail per supplier is queued); what it made, as a dict."""
    from dms.plans.check import check_plan
    from dms.plans.order import order_draft

    result = check_plan(state.dms(), number, as_of)
    with tempfile.TemporaryDirectory(prefix="dms-order-draft-") as folder:  # the copy on file is what stays
        out = Path(folder) / f"purchase-request-{result.plan.number}-{result.as_of.isoformat()}.csv"
        draft = state.write(order_draft, result, out, by=who)
        return draft.to_dict()


@router.post("/plans/{number}/order-draft")
def order_draft_page(request: Request, number: str, as_of: str = Form(""), who: Caller = caller(EDIT_ROLE)):
    state = request.app.state.web
    day = as_of_date(as_of)
    drafted = draft_order(state, number, day, who.name)
    context = plan_page_context(state.dms(), number, day)
    return render(request, "plan.html", as_of_text=as_of.strip(), can_edit=True, drafted=drafted, **context)


# -- follow-up ---------------------------------------------------------------------------------------------
def followup_link(item) -> str | None:
    """The page an item is about: a change request, a plan's milestone, else its document."""
    if item.kind == "change request" and item.number:
        return f"/changes/{item.number}"
    if item.kind == "plan finding" and item.key.startswith("plan:"):
        _, plan, milestone = item.key.split(":", 3)[:3]
        return f"/plans/{plan}#{anchor(milestone)}"
    if item.doc_id is not None:
        return f"/documents/{item.doc_id}"
    return None


@router.get("/followup")
def followup_page(request: Request, mine: str = "", product: str = "", as_of: str = "", who: Caller = caller()):
    return _followup(request, who, mine=bool(mine), product=product, as_of=as_of)


def _followup(request: Request, who: Caller, *, mine: bool, product: str, as_of: str, status: int = 200,
              refused: dict | None = None):
    from dms.followup.listing import MARKABLE, followups

    items = followups(request.app.state.web.dms(), user=who.name if mine else None,
                      product=product.strip().upper() or None, as_of=as_of_date(as_of))
    return render(request, "followup.html", status=status, items=items, link=followup_link, markable=MARKABLE,
                  overdue=sum(i.overdue for i in items), refused=refused,
                  filters={"mine": mine, "product": product.strip(), "as_of": as_of.strip()})


@router.post("/followup/done")
def followup_done(request: Request, key: str = Form(...), note: str = Form(""), mine: str = Form(""),
                  product: str = Form(""), as_of: str = Form(""), who: Caller = caller()):
    """Mark an action or a reply done with a note (its owner, or a coordinator); refused: the list again with the
    reason beside that item's form and the note kept."""
    from dms.followup.listing import mark_done

    try:
        request.app.state.web.write(mark_done, key, by=who.name, note=note)
    except REFUSALS as exc:
        return _followup(request, who, mine=bool(mine), product=product, as_of=as_of,
                         status=errors.http_status(exc), refused={"key": key, "note": note, "message": str(exc)})
    return RedirectResponse(query_url("/followup", {"mine": "1" if mine else "", "product": product.strip(),
                                                    "as_of": as_of.strip()}), status_code=303)
