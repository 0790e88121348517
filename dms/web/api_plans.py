"""The JSON API of plans, plan checks and follow-ups (issue 16), under /api/v1: what `dms plan list/show/check
--json`, `dms plan import`, `dms plan order-draft` and `dms followup --json` give, through the same library."""

from __future__ import annotations

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from dms import errors
from dms.web.pages_plans import EDIT_ROLE, as_of_date, draft_order
from dms.web.security import Caller, caller

router = APIRouter(tags=["plans"])


def plan_dict(plan) -> dict:
    """A Plan as JSON: what `dms plan show --json` gives."""
    from dms.plans.library import plan_to_dict

    return plan_to_dict(plan)


def _problems(exc: errors.PlanError) -> JSONResponse:
    """A refused workbook: the error, and each problem with its sheet, row and column (nothing was stored)."""
    problems = [{"sheet": s, "row": r, "column": c, "what": w} for s, r, c, w in exc.problems]
    return JSONResponse({"error": {"type": "PlanError", "status": 400, "message": str(exc), "problems": problems}},
                        status_code=400)


@router.get("/plans", summary="Every plan (its current revision), optionally of one product, with its readiness")
def plans(request: Request, product: str = "", who: Caller = caller()):
    from dms.plans.library import list_plans
    from dms.web.pages_plans import readiness_of

    archive = request.app.state.web.dms()
    rows = readiness_of(archive, list_plans(archive, product.strip().upper() or None))
    return {"plans": [{**plan_dict(r["plan"]), "readiness": r["readiness"], "problem": r["problem"]}
                      for r in rows]}


@router.get("/plans/{number}", summary="A plan: the current revision, or the one in force on as_of (YYYY-MM-DD)")
def plan(request: Request, number: str, as_of: str = "", who: Caller = caller()):
    from dms.plans.library import load_plan

    return plan_dict(load_plan(request.app.state.web.dms(), number, as_of_date(as_of)))


@router.get("/plans/{number}/check", summary="Check a plan as of a day (default today): what `dms plan check --json` "
                                             "gives, each finding with its evidence")
def check(request: Request, number: str, as_of: str = "", who: Caller = caller()):
    from dms.plans.check import check_plan
    from dms.plans.report import to_dict

    return to_dict(check_plan(request.app.state.web.dms(), number, as_of_date(as_of)))


@router.post("/plans", summary="Import a plan workbook (XLSX or CSV; coordinator): a new plan or a new revision. "
                               "A workbook that does not read is refused with every problem; nothing is stored",
             status_code=201)
async def upload(request: Request, file: UploadFile = File(...), new_parts: bool = Form(False),
                 who: Caller = caller(EDIT_ROLE)):
    from dms.web.pages_plans import import_upload

    try:
        saved = await import_upload(request.app.state.web, file, who, new_parts)
    except errors.PlanError as exc:  # refused: nothing of it is kept
        return _problems(exc)
    return plan_dict(saved)


class DraftRequest(BaseModel):
    as_of: str | None = None


@router.post("/plans/{number}/order-draft", summary="Draft a purchase request for the plan's shortages "
                                                    "(coordinator): a CSV kept on file, an e-mail per supplier")
def order_draft(request: Request, number: str, body: DraftRequest | None = None, who: Caller = caller(EDIT_ROLE)):
    state = request.app.state.web
    return draft_order(state, number, as_of_date(body.as_of if body else None), who.name)


@router.get("/followup", summary="What needs following up: open actions from minutes, messages awaiting a reply, "
                                 "plan findings and change requests waiting; mine=true: the caller's only")
def followup(request: Request, mine: bool = False, product: str = "", as_of: str = "", who: Caller = caller()):
    from dms.followup.listing import followups, to_dict

    items = followups(request.app.state.web.dms(), user=who.name if mine else None,
                      product=product.strip().upper() or None, as_of=as_of_date(as_of))
    return {"items": [to_dict(i) for i in items], "count": len(items),
            "overdue": sum(1 for i in items if i.overdue)}


class Done(BaseModel):
    key: str
    note: str = ""


@router.post("/followup/done", summary="Mark an action done, with a note (audited): it leaves the follow-up list")
def followup_done(request: Request, body: Done, who: Caller = caller()):
    from dms.followup.listing import mark_done

    return request.app.state.web.write(mark_done, body.key, by=who.name, note=body.note)
