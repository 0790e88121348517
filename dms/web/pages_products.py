"""The Products index: every product with its documents, its latest figures and its change requests, linked
to the product's page (timeline, documents by type, retrospective) and its printable retrospective."""

from __future__ import annotations

from fastapi import APIRouter, Request

from dms.retro.overview import RECENT_MONTHS, overview
from dms.web.render import render
from dms.web.security import Caller, caller

router = APIRouter(include_in_schema=False)


@router.get("/products")
def products_page(request: Request, who: Caller = caller()):
    return render(request, "products.html", products=overview(request.app.state.web.dms()),
                  recent_months=RECENT_MONTHS)
