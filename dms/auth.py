"""Signing in: sessions for browsers, API tokens for scripts, and a limit on failed sign-ins.

Secrets (session and token values) are random 256-bit strings handed out once; only their
SHA-256 is kept, so a copy of the catalog signs no one in. Each session carries its own CSRF
token, which every form must send back.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dms import audit, users
from dms.catalog import Catalog, signins
from dms.catalog.db import utcnow
from dms.config import Settings
from dms.errors import NotFound, NotSignedIn, TooManyAttempts, UsageError
from dms.users import User

TOKEN_PREFIX = "dms_"
FAILURE_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Session:
    token: str  # the cookie value; only its hash is stored
    user: User
    csrf: str
    expires_at: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


# -- sign-in ---------------------------------------------------------------------------------


def sign_in(catalog: Catalog, settings: Settings, name: str, password: str, client: str) -> Session:
    """Check the password and open a session. After too many failures for this name or from this
    client within 15 minutes, refuse without checking (so guessing cannot go on).

    The attempt is counted before the password is checked, in the transaction that checks the limit
    (dms.catalog.signins), so parallel guesses cannot all slip under it; a success uncounts it."""
    name = name.strip()
    attempt = signins.reserve(catalog, name, client, since=_iso(_now() - FAILURE_WINDOW),
                              limit=settings.sign_in_attempts)
    if attempt.id is None:
        wait = FAILURE_WINDOW - (_now() - datetime.fromisoformat(attempt.oldest))
        minutes = max(1, int(wait.total_seconds() // 60) + 1)
        raise TooManyAttempts(f"too many failed sign-ins; try again in {minutes} minute(s)")
    if not name or not users.check_password(catalog, name, password):
        with catalog.transaction():
            audit.record(catalog, name or "?", "sign-in failed", f"user:{name or '?'}", {"client": client})
        raise NotSignedIn("wrong user name or password, or the user is disabled")
    user = users.get(catalog, name)
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = _iso(_now() + timedelta(hours=settings.session_hours))
    with catalog.transaction():
        signins.clear(catalog, attempt.id, before=_iso(_now() - FAILURE_WINDOW))
        catalog.conn.execute("DELETE FROM web_sessions WHERE expires_at < ?", (utcnow(),))
        catalog.conn.execute(
            "INSERT INTO web_sessions (token_hash, user, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            (_hash(token), user.name, csrf, utcnow(), expires),
        )
        audit.record(catalog, user.name, "signed in", f"user:{user.name}", {"client": client})
    return Session(token, user, csrf, expires)


def session(catalog: Catalog, token: str | None) -> Session:
    """The live session of this cookie value, whose user is still enabled."""
    if not token:
        raise NotSignedIn("sign in first")
    row = catalog.conn.execute("SELECT user, csrf, expires_at FROM web_sessions WHERE token_hash = ?",
                               (_hash(token),)).fetchone()
    if row is None or row[2] < utcnow():
        raise NotSignedIn("your session has ended; sign in again")
    user = users.get(catalog, row[0])
    if user.disabled:
        raise NotSignedIn(f"user {user.name!r} is disabled")
    return Session(token, user, row[1], row[2])


def sign_out(catalog: Catalog, token: str | None) -> None:
    if token:
        with catalog.transaction():
            catalog.conn.execute("DELETE FROM web_sessions WHERE token_hash = ?", (_hash(token),))


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(given) and secrets.compare_digest(expected, given)


# -- API tokens ------------------------------------------------------------------------------


def create_token(catalog: Catalog, owner: str, label: str, by: str) -> tuple[int, str]:
    """A new API token for owner (themselves, or anyone when by is an admin). The secret is shown once."""
    if not label.strip():
        raise UsageError("an API token needs a label saying what uses it")
    actor = users.acting(catalog, by)
    if owner != actor.name:
        users.acting(catalog, by, "admin")
    users.get(catalog, owner)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with catalog.transaction():
        cur = catalog.conn.execute(
            "INSERT INTO api_tokens (user, label, token_hash, created_at) VALUES (?, ?, ?, ?)",
            (owner, label.strip(), _hash(secret), utcnow()),
        )
        audit.record(catalog, by, "API token created", f"user:{owner}", {"token": cur.lastrowid, "label": label})
    return cur.lastrowid, secret


def token_user(catalog: Catalog, secret: str) -> User:
    row = catalog.conn.execute(
        "SELECT id, user, last_used_at FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL", (_hash(secret),)
    ).fetchone()
    if row is None:
        raise NotSignedIn("the API token is unknown or revoked")
    user = users.get(catalog, row[1])
    if user.disabled:
        raise NotSignedIn(f"user {user.name!r} is disabled")
    if row[2] is None or row[2] < _iso(_now() - timedelta(minutes=1)):  # at most one write a minute per token
        with catalog.transaction():
            catalog.conn.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", (utcnow(), row[0]))
    return user


def tokens(catalog: Catalog, owner: str | None = None) -> list[dict]:
    where, params = ("WHERE user = ?", (owner,)) if owner else ("", ())
    cur = catalog.conn.execute(
        f"SELECT id, user, label, created_at, last_used_at, revoked_at FROM api_tokens {where} ORDER BY id", params)
    return [dict(zip(("id", "user", "label", "created_at", "last_used_at", "revoked_at"), row)) for row in cur]


def revoke_token(catalog: Catalog, token_id: int, by: str) -> None:
    actor = users.acting(catalog, by)
    row = catalog.conn.execute("SELECT user FROM api_tokens WHERE id = ?", (token_id,)).fetchone()
    if row is None:
        raise NotFound(f"there is no API token {token_id}")
    if row[0] != actor.name:
        users.acting(catalog, by, "admin")
    with catalog.transaction():
        catalog.conn.execute("UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?",
                             (utcnow(), token_id))
        audit.record(catalog, by, "API token revoked", f"user:{row[0]}", {"token": token_id})
