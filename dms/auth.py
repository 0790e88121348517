"""Signing in: sessions for browsers, API tokens for scripts, and limits on failed sign-ins.

Secrets (session and token values) are random 256-bit strings handed out once; only their
SHA-256 is kept, so a copy of the catalog signs no one in. Each session carries its own CSRF
token, which every form must send back.

Who knocks is a *client*: the IP address (from X-Forwarded-For only behind a proxy named in
DMS_TRUSTED_PROXIES) and the browser's own cookie (`dms_client`, a random value handed out with the
sign-in form). A browser in which a user signed in becomes *known* for that user (only the cookie's
SHA-256 is kept; the cookie gets a new value at every sign-in, so a value planted beforehand is
worthless). Failed sign-ins (and failed current passwords when changing one) are counted over
DMS_SIGN_IN_WINDOW_MINUTES, and an attempt is refused, before the password is checked, when:

- from a browser known for that user: that browser failed for that user DMS_SIGN_IN_ATTEMPTS times.
  Nothing else counts, so an account under attack stays reachable from the browsers it uses;
- from any other client: this browser failed DMS_SIGN_IN_ATTEMPTS times (a typist locks only their
  own browser, not the office behind the same address), or this user name failed as often from
  browsers not known for it (guessing one account from many places), or this IP address failed
  DMS_SIGN_IN_ATTEMPTS_PER_ADDRESS times (the outer bound for a guesser who drops cookies), or, for a
  caller that sends no cookie at all (scripts), DMS_SIGN_IN_ATTEMPTS times from this address.

An admin lifts a lockout at once (`unlock`: a user name or an address), which is audited.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dms import audit, users
from dms.auditactions import PASSWORD_CHANGE_FAILED, SIGN_IN_FAILED, SIGNED_IN, TOKEN_CREATED, TOKEN_REVOKED
from dms.auditactions import SIGN_IN_UNLOCKED as UNLOCKED
from dms.catalog import Catalog, signins
from dms.catalog import accounts as sql
from dms.config import Settings
from dms.errors import NotFound, NotSignedIn, PermissionDenied, TooManyAttempts, UsageError
from dms.users import User

TOKEN_PREFIX = "dms_"


_REASONS = {
    "known": "{name} failed {limit} times in this browser",
    "client": "this browser failed {limit} times",
    "cookieless": "{limit} attempts without a browser cookie came from this address",
    "account": "{name} failed {limit} times from browsers where it never signed in (a browser where it did "
               "can still sign in)",
    "address": "this address failed {limit} times",
}


@dataclass(frozen=True, slots=True)
class Client:
    address: str  # the IP address
    cookie: str | None  # the browser's `dms_client` cookie
    fresh: bool = False  # the cookie was handed out with this very request (the caller sent none)

    @property
    def key(self) -> str:
        return _hash(self.cookie)[:32] if self.cookie else "none:" + secrets.token_hex(8)

    @property
    def source(self) -> str:
        return signins.NONE if self.fresh or not self.cookie else signins.BROWSER


@dataclass(frozen=True, slots=True)
class Session:
    token: str  # the cookie value; only its hash is stored
    user: User
    csrf: str
    expires_at: str


@dataclass(frozen=True, slots=True)
class SignedIn:
    session: Session
    client_cookie: str  # the browser's new `dms_client` value: a known browser of this user from now on


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def new_client_cookie() -> str:
    return secrets.token_urlsafe(32)


# -- limits --------------------------------------------------------------------------------------------


def _limits(settings: Settings) -> signins.Limits:
    return signins.Limits(since=_iso(_now() - timedelta(minutes=settings.sign_in_window_minutes)),
                          per_client=settings.sign_in_attempts, per_address=settings.sign_in_attempts_per_address)


def _reserve(catalog: Catalog, settings: Settings, name: str, client: Client) -> int:
    """Count this attempt before any password is checked (see the module's rule); its row id, or TooManyAttempts."""
    known = bool(name and client.cookie and not client.fresh and signins.is_known(
        catalog, _hash(client.cookie), name, _iso(_now() - timedelta(days=settings.known_client_days))))
    limits = _limits(settings)
    attempt = signins.reserve(catalog, name, client.key, client.address, signins.KNOWN if known else client.source,
                              limits)
    if attempt.id is not None:
        return attempt.id
    window = timedelta(minutes=settings.sign_in_window_minutes)
    wait = window - (_now() - datetime.fromisoformat(attempt.frees_at))
    minutes = max(1, int(wait.total_seconds() // 60) + 1)
    limit = limits.per_address if attempt.bucket == "address" else limits.per_client
    reason = _REASONS[attempt.bucket].format(name=name, limit=limit)
    raise TooManyAttempts(f"too many failed sign-ins; try again in {minutes} minute(s) ({reason} within "
                          f"{settings.sign_in_window_minutes:g} minutes). An admin can lift this at once on the "
                          "Users page or with `dms user unlock`")


def _remember(catalog: Catalog, settings: Settings, name: str, client: Client) -> str:
    """The client signed in as `name`: its cookie gets a new value, known for `name` (and whom it was known for)."""
    cookie = new_client_cookie()
    old = _hash(client.cookie) if client.cookie and not client.fresh else None
    signins.remember(catalog, old, _hash(cookie), name, _iso(_now() - timedelta(days=settings.known_client_days)))
    return cookie


def unlock(catalog: Catalog, by: str, name: str | None = None, address: str | None = None) -> int:
    """An admin forgets the failed sign-ins of a user name (from anywhere) or of an IP address (every browser
    there); returns how many there were. Audited."""
    users.acting(catalog, by, "admin")
    if bool(name) == bool(address):
        raise UsageError("unlock a user name or a client address (--client ADDR), one of them")
    if name:
        users.get(catalog, name)
    with catalog.transaction():
        cleared = signins.unlock_name(catalog, name) if name else signins.unlock_address(catalog, address)
        audit.record(catalog, by, UNLOCKED, f"user:{name}" if name else f"client:{address}",
                     {"failed sign-ins cleared": cleared})
    return cleared


def lockouts(catalog: Catalog, settings: Settings) -> dict[str, list[dict]]:
    """Recent failures by user name and by address, each marked `locked` when at its limit."""
    recent = signins.recent(catalog, _limits(settings).since)
    for row in recent["names"]:
        row["locked"] = row["unknown"] >= settings.sign_in_attempts
    for row in recent["addresses"]:
        row["locked"] = (row["unknown"] >= settings.sign_in_attempts_per_address
                         or row["cookieless"] >= settings.sign_in_attempts)
    return recent


# -- sign-in -------------------------------------------------------------------------------------------


def sign_in(catalog: Catalog, settings: Settings, name: str, password: str, client: Client) -> SignedIn:
    """Check the password and open a session; refuse without checking when a limit is reached (module docstring).

    The attempt is counted before the password is checked, in the transaction that checks the limit
    (dms.catalog.signins), so parallel guesses cannot all slip under it; a success uncounts it."""
    name = name.strip()
    if not name.isprintable():  # control characters (a NUL, say) name nobody: recorded escaped, visibly
        name = name.encode("unicode_escape").decode("ascii")
    attempt = _reserve(catalog, settings, name, client)
    state = users.verify(catalog, name, password) if name else "wrong"
    if state != "ok":
        with catalog.transaction():
            audit.record(catalog, name or "?", SIGN_IN_FAILED, f"user:{name or '?'}",
                         {"client": client.address, **({"why": "temporary password expired"} if state == "expired"
                                                       else {})})
        if state == "expired":
            raise NotSignedIn("your temporary password has expired; ask an admin for a new one")
        raise NotSignedIn("wrong user name or password, or the user is disabled")
    user = users.get(catalog, name)
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = _iso(_now() + timedelta(hours=settings.session_hours))
    with catalog.transaction():
        signins.clear(catalog, attempt, before=_limits(settings).since)
        cookie = _remember(catalog, settings, user.name, client)
        sql.open_session(catalog, _hash(token), user.name, csrf, expires)
        audit.record(catalog, user.name, SIGNED_IN, f"user:{user.name}",
                     {"client": client.address, **({"temporary password": True} if user.must_change else {})})
    return SignedIn(Session(token, user, csrf, expires), cookie)


def session(catalog: Catalog, token: str | None) -> Session:
    """The live session of this cookie value, whose user is still enabled."""
    if not token:
        raise NotSignedIn("sign in first")
    row = sql.session_row(catalog, _hash(token))
    if row is None or row[2] < _iso(_now()):
        raise NotSignedIn("your session has ended; sign in again")
    user = users.get(catalog, row[0])
    if user.disabled:
        raise NotSignedIn(f"user {user.name!r} is disabled")
    return Session(token, user, row[1], row[2])


def sign_out(catalog: Catalog, token: str | None) -> None:
    if token:
        with catalog.transaction():
            sql.end_session(catalog, _hash(token))


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(given) and secrets.compare_digest(expected, given)


def change_password(catalog: Catalog, settings: Settings, live: Session, current: str, new: str,
                    client: Client) -> tuple[User, str]:
    """The signed-in user changes their password, throttled like a sign-in (a stolen session must not guess the
    current one). Their other sessions end, and the browsers they signed in from but this one are forgotten.
    Returns the user and this browser's new cookie."""
    name = live.user.name
    attempt = _reserve(catalog, settings, name, client)
    try:
        user = users.change_password(catalog, name, current, new, keep_session=_hash(live.token))
    except PermissionDenied:
        with catalog.transaction():
            audit.record(catalog, name, PASSWORD_CHANGE_FAILED, f"user:{name}", {"client": client.address})
        raise
    except BaseException:
        signins.clear(catalog, attempt, before=_limits(settings).since)  # the current password was not the fault
        raise
    with catalog.transaction():
        signins.clear(catalog, attempt, before=_limits(settings).since)
        cookie = _remember(catalog, settings, name, client)
    return user, cookie


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
        token_id = sql.insert_token(catalog, owner, label.strip(), _hash(secret))
        audit.record(catalog, by, TOKEN_CREATED, f"user:{owner}", {"token": token_id, "label": label})
    return token_id, secret


def token_user(catalog: Catalog, secret: str) -> User:
    row = sql.live_token(catalog, _hash(secret))
    if row is None:
        raise NotSignedIn("the API token is unknown or revoked")
    user = users.get(catalog, row[1])
    if user.disabled:
        raise NotSignedIn(f"user {user.name!r} is disabled")
    if row[2] is None or row[2] < _iso(_now() - timedelta(minutes=1)):  # at most one write a minute per token
        with catalog.transaction():
            sql.token_used(catalog, row[0])
    return user


def tokens(catalog: Catalog, owner: str | None = None) -> list[dict]:
    return sql.token_rows(catalog, owner)


def revoke_token(catalog: Catalog, token_id: int, by: str) -> None:
    actor = users.acting(catalog, by)
    owner = sql.token_owner(catalog, token_id)
    if owner is None:
        raise NotFound(f"there is no API token {token_id}")
    if owner != actor.name:
        users.acting(catalog, by, "admin")
    with catalog.transaction():
        sql.revoke_token(catalog, token_id)
        audit.record(catalog, by, TOKEN_REVOKED, f"user:{owner}", {"token": token_id})
