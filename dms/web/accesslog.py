"""The access log of `dms serve --access-log FILE` (or `-` for standard error): one line per request.

    2026-12-03T07:41:09.812Z 127.0.0.1 ada GET /search?q=lid+hinge 200 18342 41.7ms

Fields, separated by one space: the time the request came in (UTC), the client address (the peer, or
the address a proxy named in DMS_TRUSTED_PROXIES gave), the user (`-` when not signed in; on a
successful sign-in, who signed in), the method, the path with its query, the status, the bytes of
the body sent and the milliseconds until the response ended.

What never gets in: request headers and cookies (sessions, API tokens) and request bodies (where
passwords travel) are not read at all; in the query, the value of any parameter whose name speaks of a
secret (password, token, key, csrf, session, ...) is written as `***`; anything but printable ASCII in
the path or query is percent-encoded, so a request cannot write a line of its own into the log.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote, urlencode

SECRET_NAMES = re.compile(r"pass|pwd|token|secret|key|csrf|session|auth|sig|cookie|credential", re.IGNORECASE)
_SAFE_PATH = "/!$&'()*+,;=:@-._~%"


def _path(scope) -> str:
    raw = scope.get("raw_path") or scope["path"].encode()
    path = quote(raw.decode("latin-1"), safe=_SAFE_PATH)
    query = scope.get("query_string", b"").decode("latin-1")
    if not query:
        return path
    pairs = [(name, "***" if SECRET_NAMES.search(name) else value)
             for name, value in parse_qsl(query, keep_blank_values=True)]
    return path + "?" + urlencode(pairs, safe="*/:,@")


def _user(scope) -> str:
    state = scope.get("state") or {}
    who = state.get("caller")
    name = getattr(who, "name", None) or state.get("signed_in")
    return name if isinstance(name, str) and re.fullmatch(r"[\w.-]+", name) else "-"


class AccessLog:
    """ASGI middleware around the whole app; `write` takes one finished line (without the newline)."""

    def __init__(self, app, write: Callable[[str], None]):
        self.app = app
        self.write = write

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        came = datetime.now(UTC)
        started = time.perf_counter()
        status, sent = 500, 0  # what an exception that escapes every handler becomes

        async def logged_send(message):
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, logged_send)
        finally:
            client = scope.get("client")
            elapsed = (time.perf_counter() - started) * 1000
            method = scope.get("method", "-") if re.fullmatch(r"[A-Z]{1,10}", scope.get("method", "")) else "-"
            self.write(f"{came.strftime('%Y-%m-%dT%H:%M:%S.')}{came.microsecond // 1000:03d}Z "
                       f"{quote(client[0], safe='.:') if client else '-'} {_user(scope)} {method} {_path(scope)} "
                       f"{status} {sent} {elapsed:.1f}ms")


def line_writer(target: str) -> Callable[[str], None]:
    """A writer to a file (appended to, created readable by its owner and group only) or `-`, standard error."""
    import os
    import sys

    if target == "-":
        stream = sys.stderr
    else:
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        stream = os.fdopen(fd, "a", encoding="utf-8", buffering=1)

    def write(line: str) -> None:
        stream.write(line + "\n")
        stream.flush()

    return write
