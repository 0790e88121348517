"""Users and their roles. Passwords are kept only as argon2 hashes.

Roles, from least to most: viewer (reads), coordinator (runs change requests), manager
(decides and authorizes them), admin (manages users). The first user of an archive may be
added by anyone and must be an admin; after that only an admin adds users or changes roles.

A user changes their own password by giving the current one; an admin gives a user a temporary
password (`reset_password`), which must be changed at the next sign-in and works for
DMS_TEMPORARY_PASSWORD_HOURS only. A disabled user can be enabled again by an admin. Every change
ends the user's other web sessions where it should (see each function) and is audited.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from dms import audit
from dms.auditactions import PASSWORD_CHANGED, PASSWORD_RESET  # audit actions of accounts
from dms.auditactions import USER_ADDED as ADDED
from dms.auditactions import USER_DISABLED as DISABLED
from dms.auditactions import USER_EMAIL_SET as EMAIL_SET
from dms.auditactions import USER_ENABLED as ENABLED
from dms.auditactions import USER_ROLE_SET as ROLE_SET
from dms.catalog import Catalog, signins
from dms.catalog import accounts as sql
from dms.errors import NotFound, PermissionDenied, UsageError

ROLES = ("viewer", "coordinator", "manager", "admin")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # longer is no safer, and only costs hashing
_hasher = PasswordHasher()


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: str
    disabled: bool
    email: str | None = None  # where notices go (else name@localhost)
    must_change: bool = False  # signed in with a temporary password: nothing but changing it until changed

    def at_least(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


def _now() -> datetime:
    return datetime.now(UTC)


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise UsageError(f"unknown role {role!r}; roles are: {', '.join(ROLES)}")


def _user(row: dict) -> User:
    return User(row["name"], row["role"], row["disabled_at"] is not None, row["email"],
                row["temporary_until"] is not None)


def get(catalog: Catalog, name: str) -> User:
    row = sql.user_row(catalog, name)
    if row is None:
        raise NotFound(f"there is no user {name!r} (an admin adds users with `dms user add`)")
    return _user(row)


def _check_email(email: str | None) -> str | None:
    if email in (None, ""):
        return None
    email = email.strip()
    if not re.fullmatch(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+", email):
        raise UsageError(f"{email!r} is not an e-mail address")
    return email


def _check_password(password: str, name: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise UsageError(f"the password must have at most {MAX_PASSWORD} characters")
    if password.strip().lower() == name.lower():
        raise UsageError("the password must not be the user name")


def acting(catalog: Catalog, name: str, at_least: str = "viewer") -> User:
    """The user a command acts as, who must exist, be enabled and hold at least this role."""
    user = get(catalog, name)
    if user.disabled:
        raise PermissionDenied(f"user {name!r} is disabled")
    if not user.at_least(at_least):
        raise PermissionDenied(f"{name} is a {user.role}; this needs a {at_least} or above")
    return user


def add(catalog: Catalog, name: str, role: str, password: str, by: str, email: str | None = None) -> User:
    _check_role(role)
    email = _check_email(email)
    if not re.fullmatch(r"[A-Za-z][\w.-]{1,63}", name):
        raise UsageError("a user name starts with a letter and has 2-64 letters, digits, dots, dashes or underscores")
    _check_password(password, name)
    with catalog.transaction():
        count = sql.user_count(catalog)
        if count == 0:
            if role != "admin":
                raise UsageError("the first user of an archive must be an admin (--role admin)")
        else:
            acting(catalog, by, "admin")
        if sql.user_row(catalog, name):
            raise UsageError(f"user {name!r} exists already")
        sql.insert_user(catalog, name, role, _hasher.hash(password), by if count else name, email)
        audit.record(catalog, by if count else name, ADDED, f"user:{name}", {"role": role, "email": email})
    return User(name, role, False, email)


def set_email(catalog: Catalog, name: str, email: str | None, by: str) -> User:
    """A user sets their own address; an admin sets anyone's. None or "" removes it."""
    actor = acting(catalog, by)
    if name != actor.name:
        acting(catalog, by, "admin")
    get(catalog, name)
    with catalog.transaction():
        before = get(catalog, name).email
        sql.set_field(catalog, name, "email", _check_email(email))
        audit.record(catalog, by, EMAIL_SET, f"user:{name}", {"before": before, "after": _check_email(email)})
    return get(catalog, name)


def set_role(catalog: Catalog, name: str, role: str, by: str) -> User:
    _check_role(role)
    acting(catalog, by, "admin")
    get(catalog, name)
    if name == by and role != "admin":
        raise UsageError("an admin cannot take away their own admin role; another admin can")
    with catalog.transaction():
        before = get(catalog, name).role
        sql.set_field(catalog, name, "role", role)
        audit.record(catalog, by, ROLE_SET, f"user:{name}", {"before": before, "after": role})
    return get(catalog, name)


def disable(catalog: Catalog, name: str, by: str) -> User:
    """Disable a user and end their web sessions (so enabling them later does not bring those back)."""
    acting(catalog, by, "admin")
    if name == by:
        raise UsageError("an admin cannot disable themselves")
    get(catalog, name)
    with catalog.transaction():
        sql.set_disabled(catalog, name, True)
        ended = sql.end_sessions(catalog, name)
        audit.record(catalog, by, DISABLED, f"user:{name}", {"sessions ended": ended} if ended else None)
    return get(catalog, name)


def enable(catalog: Catalog, name: str, by: str) -> User:
    """Enable a disabled user again (admins only). Their API tokens that were not revoked work again."""
    acting(catalog, by, "admin")
    if not get(catalog, name).disabled:
        raise UsageError(f"user {name!r} is not disabled")
    with catalog.transaction():
        sql.set_disabled(catalog, name, False)
        audit.record(catalog, by, ENABLED, f"user:{name}",
                     {"live API tokens": sql.live_token_count(catalog, name)})
    return get(catalog, name)


def listing(catalog: Catalog) -> list[dict]:
    """Every user; `must_change` while their password is a temporary one (valid until `temporary_until`)."""
    return [{**row, "must_change": row["temporary_until"] is not None} for row in sql.user_rows(catalog)]


def check_password(catalog: Catalog, name: str, password: str) -> bool:
    """The password is this enabled user's (a temporary one only until it expires)."""
    return verify(catalog, name, password) == "ok"


def verify(catalog: Catalog, name: str, password: str) -> str:
    """"ok", "wrong" (or no such user, or disabled) or "expired" (a right temporary password, too late)."""
    row = sql.password_of(catalog, name) if len(password) <= MAX_PASSWORD else None
    if row is None or row[1] is not None:
        _hasher.hash(password[:MAX_PASSWORD])  # the same work either way, so timing does not tell which names exist
        return "wrong"
    try:
        right = _hasher.verify(row[0], password)
    except (VerificationError, InvalidHashError):
        return "wrong"
    if right and row[2] is not None and row[2] < _now().isoformat(timespec="seconds"):
        return "expired"
    return "ok" if right else "wrong"


def change_password(catalog: Catalog, name: str, current: str, new: str, keep_session: str | None = None) -> User:
    """The user sets a new password, giving the current one (or the temporary one an admin gave). Every web
    session of theirs but `keep_session` (a SHA-256, the one asking) ends, and the browsers they signed in from
    are forgotten (the asking one is known again at once, see dms.auth). Callers on the web throttle this like
    a sign-in (dms.auth.change_password): the current password is a guess like any other."""
    user = get(catalog, name)
    if user.disabled:
        raise PermissionDenied(f"user {name!r} is disabled")
    state = verify(catalog, name, current)
    if state == "expired":
        raise PermissionDenied("the temporary password has expired; ask an admin for a new one "
                               "(`dms user reset-password NAME`)")
    if state != "ok":
        raise PermissionDenied("the current password is wrong")
    _check_password(new, name)
    if new == current:
        raise UsageError("the new password must differ from the current one")
    with catalog.transaction():
        sql.set_password(catalog, name, _hasher.hash(new), None)
        ended = sql.end_sessions(catalog, name, keep_session)
        forgotten = signins.forget(catalog, name)
        audit.record(catalog, name, PASSWORD_CHANGED, f"user:{name}",
                     {"other sessions ended": ended, "browsers forgotten": forgotten,
                      "was temporary": user.must_change})
    return get(catalog, name)


def temporary_password() -> str:
    """A random password to hand over: 4 groups of 5 letters and digits (about 100 bits)."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))


def reset_password(catalog: Catalog, name: str, by: str, hours: float,
                   password: str | None = None) -> tuple[User, str, str]:
    """An admin gives `name` a temporary password (made here unless given): it works for `hours`, must be changed at
    the next sign-in, and every web session of the user ends, every browser they signed in from is forgotten, and
    the lockout of their name is lifted. Returns the user, the password (to hand over; it is stored hashed) and
    until when it works."""
    acting(catalog, by, "admin")
    get(catalog, name)
    password = temporary_password() if password is None else password
    _check_password(password, name)
    until = (_now() + timedelta(hours=hours)).isoformat(timespec="seconds")
    with catalog.transaction():
        sql.set_password(catalog, name, _hasher.hash(password), until)
        ended = sql.end_sessions(catalog, name)
        forgotten = signins.forget(catalog, name)
        unlocked = signins.unlock_name(catalog, name)
        audit.record(catalog, by, PASSWORD_RESET, f"user:{name}", {
            "valid until": until, "sessions ended": ended, "browsers forgotten": forgotten,
            "failed sign-ins cleared": unlocked})
    return get(catalog, name), password, until
