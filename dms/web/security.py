"""Who is asking, and what every response carries.

- `caller(role)`: a FastAPI dependency that finds the user from the session cookie or an
  `Authorization: Bearer dms_…` token, checks their role, and, for a cookie-signed request that
  changes something, checks the CSRF token (form field `csrf` or header `X-CSRF-Token`).
  Bearer tokens are not sent by browsers on their own, so they need no CSRF token.
  A session whose user signed in with a temporary password may do nothing but change it
  (`PasswordChangeRequired`; a page asked for is sent there by way of the sign-in page).
- `browser_of(request)`: the client a sign-in is counted against (dms.auth): the IP address and the
  browser's own `dms_client` cookie (a fresh one when it sent none).
- `ResponseGuard`: an ASGI middleware that refuses bodies over the upload limit (413) before
  reading them, adds security headers and a Server-Timing header to every response.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.security import HTTPBearer
from starlette.concurrency import run_in_threadpool

from dms import auth
from dms.errors import NotSignedIn, PasswordChangeRequired, PermissionDenied, TooLarge
from dms.graph import BEHIND_NOTE
from dms.users import User

SESSION_COOKIE = "dms_session"
CLIENT_COOKIE = "dms_client"  # names the browser (dms.auth.Client): only the sign-in pages read or set it
_CLIENT_VALUE = re.compile(r"[A-Za-z0-9_-]{43}")  # what auth.new_client_cookie() hands out
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


@dataclass(frozen=True, slots=True)
class Caller:
    user: User
    session: auth.Session | None  # None when signed in by API token

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def csrf(self) -> str:
        return self.session.csrf if self.session else ""


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def browser_of(request: Request) -> auth.Client:
    """The address and the browser cookie; a caller without a (well-formed) cookie gets a fresh one."""
    cookie = request.cookies.get(CLIENT_COOKIE)
    if cookie and _CLIENT_VALUE.fullmatch(cookie):
        return auth.Client(client_of(request), cookie)
    return auth.Client(client_of(request), auth.new_client_cookie(), fresh=True)


def set_client_cookie(response, settings, value: str) -> None:
    response.set_cookie(CLIENT_COOKIE, value, httponly=True, samesite="lax", path="/", secure=settings.secure_cookies,
                        max_age=int(settings.known_client_days * 86400))


def _identify(request: Request) -> Caller:
    state = request.app.state.web
    catalog = state.dms().catalog
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise NotSignedIn("the Authorization header must be: Bearer <API token>")
        return Caller(auth.token_user(catalog, secret.strip()), None)
    live = auth.session(catalog, request.cookies.get(SESSION_COOKIE))
    return Caller(live.user, live)


_bearer = HTTPBearer(auto_error=False, description="An API token: `dms user token create NAME --label …`")


def caller(role: str = "viewer", temporary_ok: bool = False):
    """Depends(caller("coordinator")): the signed-in user, who holds at least this role. Only routes with
    `temporary_ok` serve a session signed in with a temporary password (changing it, signing out)."""

    async def dependency(request: Request, _token=Depends(_bearer)) -> Caller:  # _token: for the OpenAPI docs
        who = await run_in_threadpool(_identify, request)
        if who.session is not None and who.user.must_change and not temporary_ok:
            request.state.caller = who  # for the access log
            raise PasswordChangeRequired("you signed in with a temporary password: set your own first, "
                                              "at /account/password")
        if request.method not in SAFE_METHODS and who.session is not None:
            given = request.headers.get("x-csrf-token")
            if given is None and request.headers.get("content-type", "").startswith(
                    ("application/x-www-form-urlencoded", "multipart/form-data")):
                given = (await request.form()).get("csrf")
            if not auth.csrf_ok(who.session.csrf, given if isinstance(given, str) else None):
                raise PermissionDenied("the form is out of date or did not come from dms (CSRF check failed); "
                                       "reload the page and try again")
        if not who.user.at_least(role):
            raise PermissionDenied(f"{who.name} is a {who.user.role}; this needs a {role} or above")
        request.state.caller = who
        return who

    return Depends(dependency)


LINKS_BEHIND_HEADER = b"x-dms-links-behind"  # "1": links read while another process held the write lock


class ResponseGuard:
    def __init__(self, app, max_body: int):
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            return await self._too_large(scope, send)
        seen = 0

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise TooLarge(self._message())
            return message

        async def guarded_send(message):
            if message["type"] == "http.response.start":
                elapsed = (time.perf_counter() - started) * 1000
                headers = list(message.get("headers", []))
                own = {name.lower() for name, _ in headers}  # a route may set a stricter policy of its own
                headers += [(k, v) for k, v in HEADERS if k not in own]
                headers.append((b"server-timing", f"app;dur={elapsed:.1f}".encode()))
                if note.get("behind"):  # marked by dms.graph.graph_for, in whatever thread the request ran
                    headers.append((LINKS_BEHIND_HEADER, b"1"))
                message["headers"] = headers
            await send(message)

        note: dict = {"brief": True}  # a request never takes a derivation of every link to its end (graph_for)
        token = BEHIND_NOTE.set(note)
        try:
            await self.app(scope, limited_receive, guarded_send)
        finally:
            BEHIND_NOTE.reset(token)

    def _message(self) -> str:
        limit = f"{self.max_body / 2**20:.0f} MB"
        return f"the upload is larger than the limit of {limit} (DMS_UPLOAD_MAX_MB); nothing was stored"

    async def _too_large(self, scope, send):
        wants_json = scope["path"].startswith("/api/")
        body = (json.dumps({"error": {"type": "TooLarge", "status": 413, "message": self._message()}}).encode()
                if wants_json else f"<!doctype html><title>Too large</title><p>{self._message()}</p>".encode())
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/json" if wants_json else b"text/html; charset=utf-8"),
            (b"content-length", str(len(body)).encode()), (b"connection", b"close"), *HEADERS]})
        await send({"type": "http.response.body", "body": body})


def require_role(who: Caller, role: str) -> None:
    """For checks inside a route (the action decides the role)."""
    if not who.user.at_least(role):
        raise PermissionDenied(f"{who.name} is a {who.user.role}; this needs a {role} or above")

