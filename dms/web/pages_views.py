"""Saved searches ("views") in the browser: save the search page as it stands, list, rename, pin, delete."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from dms import views
from dms.web.render import render
from dms.web.security import Caller, caller

router = APIRouter(include_in_schema=False)


@router.get("/views")
def views_page(request: Request, who: Caller = caller()):
    return render(request, "views.html", views=views.listing(request.app.state.web.dms().catalog, who.name))


@router.post("/views")
def save_view(request: Request, name: str = Form(""), query: str = Form(""), pinned: str = Form(""),
              who: Caller = caller()):
    state = request.app.state.web
    view = views.save(state.dms().catalog, who.name, name, query, pin=bool(pinned), max_views=state.settings.views_max)
    return RedirectResponse(view.url, status_code=303)


@router.post("/views/{view_id}/rename")
def rename_view(request: Request, view_id: int, name: str = Form(""), who: Caller = caller()):
    views.rename(request.app.state.web.dms().catalog, who.name, view_id, name)
    return RedirectResponse("/views", status_code=303)


@router.post("/views/{view_id}/search")
def change_view_search(request: Request, view_id: int, query: str = Form(""), who: Caller = caller()):
    view = views.change_search(request.app.state.web.dms().catalog, who.name, view_id, query)
    return RedirectResponse(view.url, status_code=303)


@router.post("/views/{view_id}/pin")
def pin_view(request: Request, view_id: int, pinned: str = Form(""), who: Caller = caller()):
    views.set_pinned(request.app.state.web.dms().catalog, who.name, view_id, pinned == "1")
    return RedirectResponse("/views", status_code=303)


@router.post("/views/{view_id}/delete")
def delete_view(request: Request, view_id: int, who: Caller = caller()):
    views.delete(request.app.state.web.dms().catalog, who.name, view_id)
    return RedirectResponse("/views", status_code=303)
