"""The Products index: every product with its documents, its latest figures and its change requests, linked
to the product's page (timeline, documents by type, retrospective) and its printable retrospective.

The product page (dms.web.pages_graph) also shows the product's lifecycle plans with their readiness (`plans_of`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from dms.retro.overview import RECENT_MONTHS, overview
from dms.web.render import render
from dms.web.security import Caller, caller


def plans_of(archive, code: str) -> list[dict]:
    """The product's plans (current revisions), each with the readiness its check gives as of today."""
    from dms.plans.library import list_plans
    from dms.web.pages_plans import readiness_of

    return readiness_of(archive, list_plans(archive, code))


router = APIRouter(include_in_schema=False)


@router.get("/products")
def products_page(request: Request, who: Caller = caller()):
    return render(request, "products.html", products=overview(request.app.state.web.dms()),
                  recent_months=RECENT_MONTHS)
