"""Signing in and out, one's own account and API tokens, and (for admins) users and roles."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from dms import auth, users
from dms.errors import DmsError, PermissionDenied, TooManyAttempts, UsageError
from dms.web.render import render
from dms.web.security import SESSION_COOKIE, Caller, caller, client_of

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an absolute URL or //host (an open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return parts.path + (f"?{parts.query}" if parts.query else "") if not parts.netloc else "/"


def same_origin(request: Request) -> None:
    """A form posted from another site is refused (sign-in has no session yet, so no CSRF token).

    `Origin: null` is what a browser sends from a sandboxed frame, a data: or file: page, or after a
    cross-site redirect: all places an attacker's page can be, so it is refused like another site. A request
    with neither Origin nor Referer is let through: browsers send Origin with every form POST, so only
    scripts and tools (which could forge either header anyway) come without one."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin is None:
        return
    host = urlsplit(origin).netloc if origin.strip().lower() != "null" else ""
    if host != request.headers.get("host"):
        raise PermissionDenied("this form was posted from another site or from a page with no origin; "
                               "sign in from the dms page itself")


@router.get("/sign-in", include_in_schema=False)
def sign_in_page(request: Request, next: str = "/"):
    return render(request, "sign_in.html", next=_safe_next(next))


@router.post("/sign-in", include_in_schema=False)
def sign_in(request: Request, name: str = Form(""), password: str = Form(""), next: str = Form("/")):
    same_origin(request)
    state = request.app.state.web
    try:
        live = auth.sign_in(state.dms().catalog, state.settings, name, password, client_of(request))
    except TooManyAttempts as exc:
        return render(request, "sign_in.html", status=429, message=str(exc), name=name, next=_safe_next(next))
    except DmsError as exc:
        return render(request, "sign_in.html", status=401, message=str(exc), name=name, next=_safe_next(next))
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, live.token, httponly=True, samesite="lax", path="/",
                        secure=state.settings.secure_cookies, max_age=int(state.settings.session_hours * 3600))
    return response


@router.post("/sign-out", include_in_schema=False)
def sign_out(request: Request, who: Caller = caller()):
    auth.sign_out(request.app.state.web.dms().catalog, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/health")
def health(request: Request):
    """Up and able to read the catalog; needs no sign-in."""
    stats = request.app.state.web.dms().catalog.stats()
    return {"ok": True, "documents": stats["documents"]}


@router.get("/docs", include_in_schema=False)
def api_docs(request: Request, who: Caller = caller()):
    """The API's documentation (Swagger UI, served locally)."""
    return render(request, "docs.html")


# -- one's own account -----------------------------------------------------------------------


@router.get("/account", include_in_schema=False)
def account(request: Request, who: Caller = caller()):
    catalog = request.app.state.web.dms().catalog
    return render(request, "account.html", tokens=auth.tokens(catalog, who.name), new_token=None,
                  email=users.get(catalog, who.name).email)


@router.post("/account/tokens", include_in_schema=False)
def new_token(request: Request, label: str = Form(""), who: Caller = caller()):
    catalog = request.app.state.web.dms().catalog
    token_id, secret = auth.create_token(catalog, who.name, label, who.name)
    return render(request, "account.html", tokens=auth.tokens(catalog, who.name),
                  new_token={"id": token_id, "secret": secret, "label": label},
                  email=users.get(catalog, who.name).email)


@router.post("/account/email", include_in_schema=False)
def set_email(request: Request, email: str = Form(""), who: Caller = caller()):
    users.set_email(request.app.state.web.dms().catalog, who.name, email, who.name)
    return RedirectResponse("/account", status_code=303)


@router.post("/account/tokens/{token_id}/revoke", include_in_schema=False)
def revoke_token(request: Request, token_id: int, who: Caller = caller()):
    auth.revoke_token(request.app.state.web.dms().catalog, token_id, who.name)
    return RedirectResponse("/account", status_code=303)


# -- users (admins) --------------------------------------------------------------------------


@router.get("/users", include_in_schema=False)
def users_page(request: Request, who: Caller = caller("admin")):
    return render(request, "users.html", users=users.listing(request.app.state.web.dms().catalog), roles=users.ROLES)


@router.post("/users", include_in_schema=False)
def add_user(request: Request, name: str = Form(""), role: str = Form(""), password: str = Form(""),
             email: str = Form(""), who: Caller = caller("admin")):
    users.add(request.app.state.web.dms().catalog, name.strip(), role, password, who.name, email=email)
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{name}/role", include_in_schema=False)
def set_role(request: Request, name: str, role: str = Form(""), who: Caller = caller("admin")):
    users.set_role(request.app.state.web.dms().catalog, name, role, who.name)
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{name}/disable", include_in_schema=False)
def disable_user(request: Request, name: str, who: Caller = caller("admin")):
    if not name:
        raise UsageError("which user?")
    users.disable(request.app.state.web.dms().catalog, name, who.name)
    return RedirectResponse("/users", status_code=303)



@router.get("/favicon.ico", include_in_schema=False)
def favicon():
    """Browsers ask for it whatever the page says; the icon is the SVG in /static."""
    return RedirectResponse("/static/favicon.svg", status_code=301)
