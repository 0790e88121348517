"""Signing in and out, one's own account, password and API tokens, and (for admins) users, roles, temporary
passwords and sign-in lockouts."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from dms import auth, users
from dms.errors import DmsError, NotSignedIn, PermissionDenied, TooManyAttempts, UsageError, http_status
from dms.web.render import render
from dms.web.security import SESSION_COOKIE, Caller, browser_of, caller, set_client_cookie

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


def _password_form(next: str) -> str:
    return "/account/password" + (f"?next={quote(next, safe='')}" if next != "/" else "")


@router.get("/sign-in", include_in_schema=False)
def sign_in_page(request: Request, next: str = "/"):
    """The form. A session that must first set its own password is sent to that form instead (every page a
    must-change session asks for comes here, see dms.web.security.caller). The browser gets its cookie here."""
    state = request.app.state.web
    try:
        live = auth.session(state.dms().catalog, request.cookies.get(SESSION_COOKIE))
    except NotSignedIn:
        live = None
    if live is not None and live.user.must_change:
        return RedirectResponse(_password_form(_safe_next(next)), status_code=303)
    browser = browser_of(request)
    response = render(request, "sign_in.html", next=_safe_next(next))
    if browser.fresh:
        set_client_cookie(response, state.settings, browser.cookie)
    return response


@router.post("/sign-in", include_in_schema=False)
def sign_in(request: Request, name: str = Form(""), password: str = Form(""), next: str = Form("/")):
    same_origin(request)
    state = request.app.state.web
    browser = browser_of(request)
    try:
        signed = auth.sign_in(state.dms().catalog, state.settings, name, password, browser)
    except DmsError as exc:
        status = 429 if isinstance(exc, TooManyAttempts) else 401
        response = render(request, "sign_in.html", status=status, message=str(exc), name=name, next=_safe_next(next))
        if browser.fresh:  # from now on this browser's failures are its own
            set_client_cookie(response, state.settings, browser.cookie)
        return response
    request.state.signed_in = signed.session.user.name  # for the access log
    target = _safe_next(next)
    response = RedirectResponse(_password_form(target) if signed.session.user.must_change else target,
                                status_code=303)
    response.set_cookie(SESSION_COOKIE, signed.session.token, httponly=True, samesite="lax", path="/",
                        secure=state.settings.secure_cookies, max_age=int(state.settings.session_hours * 3600))
    set_client_cookie(response, state.settings, signed.client_cookie)
    return response


@router.post("/sign-out", include_in_schema=False)
def sign_out(request: Request, who: Caller = caller(temporary_ok=True)):
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
def account(request: Request, password: str = "", who: Caller = caller()):
    catalog = request.app.state.web.dms().catalog
    return render(request, "account.html", tokens=auth.tokens(catalog, who.name), new_token=None,
                  email=users.get(catalog, who.name).email, changed=password == "changed")


@router.get("/account/password", include_in_schema=False)
def password_page(request: Request, next: str = "/", who: Caller = caller(temporary_ok=True)):
    """Change one's password; the only page a user who signed in with a temporary password can reach."""
    if not who.user.must_change:
        return RedirectResponse("/account#password", status_code=303)
    return render(request, "account.html", must_change=True, next=_safe_next(next))


@router.post("/account/password", include_in_schema=False)
def change_password(request: Request, current: str = Form(""), new: str = Form(""), repeat: str = Form(""),
                    next: str = Form("/"), who: Caller = caller(temporary_ok=True)):
    state = request.app.state.web
    catalog = state.dms().catalog

    def again(message: str, status: int):
        if who.user.must_change:
            return render(request, "account.html", status=status, must_change=True, next=_safe_next(next),
                          password_message=message)
        return render(request, "account.html", status=status, tokens=auth.tokens(catalog, who.name), new_token=None,
                      email=users.get(catalog, who.name).email, password_message=message)

    if new != repeat:
        return again("the new password and its repetition differ; nothing was changed", 400)
    try:
        _, cookie = auth.change_password(catalog, state.settings, who.session, current, new, browser_of(request))
    except (PermissionDenied, UsageError, TooManyAttempts) as exc:
        return again(str(exc), http_status(exc))
    target = _safe_next(next) if who.user.must_change else "/account?password=changed"
    response = RedirectResponse(target, status_code=303)
    set_client_cookie(response, state.settings, cookie)
    return response


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


def _users_page(request: Request, status: int = 200, **extra):
    state = request.app.state.web
    catalog = state.dms().catalog
    return render(request, "users.html", status=status, users=users.listing(catalog), roles=users.ROLES,
                  lockouts=auth.lockouts(catalog, state.settings), settings=state.settings, **extra)


@router.get("/users", include_in_schema=False)
def users_page(request: Request, who: Caller = caller("admin")):
    return _users_page(request)


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


@router.post("/users/{name}/enable", include_in_schema=False)
def enable_user(request: Request, name: str, who: Caller = caller("admin")):
    users.enable(request.app.state.web.dms().catalog, name, who.name)
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{name}/password", include_in_schema=False)
def reset_password(request: Request, name: str, who: Caller = caller("admin")):
    """A temporary password, made here and shown once on the page that answers (never in a URL)."""
    state = request.app.state.web
    user, password, until = users.reset_password(state.dms().catalog, name, who.name,
                                                  state.settings.temporary_password_hours)
    response = _users_page(request, temporary={"name": user.name, "password": password, "until": until,
                                               "hours": state.settings.temporary_password_hours})
    response.headers["Cache-Control"] = "no-store"  # the password is on this page: keep it out of caches
    return response


@router.post("/users/{name}/unlock", include_in_schema=False)
def unlock_user(request: Request, name: str, who: Caller = caller("admin")):
    cleared = auth.unlock(request.app.state.web.dms().catalog, who.name, name=name)
    return _users_page(request, unlocked=f"{name}: {cleared} failed sign-in(s) cleared")


@router.post("/users/unlock-client", include_in_schema=False)
def unlock_client(request: Request, address: str = Form(""), who: Caller = caller("admin")):
    cleared = auth.unlock(request.app.state.web.dms().catalog, who.name, address=address.strip())
    return _users_page(request, unlocked=f"{address.strip()}: {cleared} failed sign-in(s) cleared")



@router.get("/favicon.ico", include_in_schema=False)
def favicon():
    """Browsers ask for it whatever the page says; the icon is the SVG in /static."""
    return RedirectResponse("/static/favicon.svg", status_code=301)
