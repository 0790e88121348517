"""Users and their roles. Passwords are kept only as argon2 hashes.

Roles, from least to most: viewer (reads), coordinator (runs change requests), manager
(decides and authorizes them), admin (manages users). The first user of an archive may be
added by anyone and must be an admin; after that only an admin adds users or changes roles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from dms import audit
from dms.catalog import Catalog
from dms.catalog.db import utcnow
from dms.errors import NotFound, PermissionDenied, UsageError

ROLES = ("viewer", "coordinator", "manager", "admin")
MIN_PASSWORD = 10
_hasher = PasswordHasher()


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: str
    disabled: bool
    email: str | None = None  # where notices go (else name@localhost)

    def at_least(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise UsageError(f"unknown role {role!r}; roles are: {', '.join(ROLES)}")


def get(catalog: Catalog, name: str) -> User:
    row = catalog.conn.execute("SELECT name, role, disabled_at, email FROM users WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise NotFound(f"there is no user {name!r} (an admin adds users with `dms user add`)")
    return User(row[0], row[1], row[2] is not None, row[3])


def _check_email(email: str | None) -> str | None:
    if email in (None, ""):
        return None
    email = email.strip()
    if not re.fullmatch(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+", email):
        raise UsageError(f"{email!r} is not an e-mail address")
    return email


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
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"the password must have at least {MIN_PASSWORD} characters")
    with catalog.transaction():
        (count,) = catalog.conn.execute("SELECT COUNT(*) FROM users").fetchone()
        if count == 0:
            if role != "admin":
                raise UsageError("the first user of an archive must be an admin (--role admin)")
        else:
            acting(catalog, by, "admin")
        if catalog.conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
            raise UsageError(f"user {name!r} exists already")
        catalog.conn.execute(
            "INSERT INTO users (name, role, password_hash, created_at, created_by, email) VALUES (?, ?, ?, ?, ?, ?)",
            (name, role, _hasher.hash(password), utcnow(), by if count else name, email),
        )
        audit.record(catalog, by if count else name, "user added", f"user:{name}", {"role": role, "email": email})
    return User(name, role, False, email)


def set_email(catalog: Catalog, name: str, email: str | None, by: str) -> User:
    """A user sets their own address; an admin sets anyone's. None or "" removes it."""
    actor = acting(catalog, by)
    if name != actor.name:
        acting(catalog, by, "admin")
    get(catalog, name)
    with catalog.transaction():
        before = get(catalog, name).email
        catalog.conn.execute("UPDATE users SET email = ? WHERE name = ?", (_check_email(email), name))
        audit.record(catalog, by, "user e-mail set", f"user:{name}", {"before": before, "after": _check_email(email)})
    return get(catalog, name)


def set_role(catalog: Catalog, name: str, role: str, by: str) -> User:
    _check_role(role)
    acting(catalog, by, "admin")
    get(catalog, name)
    if name == by and role != "admin":
        raise UsageError("an admin cannot take away their own admin role; another admin can")
    with catalog.transaction():
        before = get(catalog, name).role
        catalog.conn.execute("UPDATE users SET role = ? WHERE name = ?", (role, name))
        audit.record(catalog, by, "user role set", f"user:{name}", {"before": before, "after": role})
    return get(catalog, name)


def disable(catalog: Catalog, name: str, by: str) -> User:
    acting(catalog, by, "admin")
    if name == by:
        raise UsageError("an admin cannot disable themselves")
    get(catalog, name)
    with catalog.transaction():
        catalog.conn.execute("UPDATE users SET disabled_at = COALESCE(disabled_at, ?) WHERE name = ?", (utcnow(), name))
        audit.record(catalog, by, "user disabled", f"user:{name}")
    return get(catalog, name)


def listing(catalog: Catalog) -> list[dict]:
    cur = catalog.conn.execute("SELECT name, role, email, disabled_at, created_at, created_by FROM users ORDER BY name")
    return [dict(zip(("name", "role", "email", "disabled_at", "created_at", "created_by"), row)) for row in cur]


def check_password(catalog: Catalog, name: str, password: str) -> bool:
    row = catalog.conn.execute("SELECT password_hash, disabled_at FROM users WHERE name = ?", (name,)).fetchone()
    if row is None or row[1] is not None:
        _hasher.hash(password)  # the same work either way, so timing does not tell which names exist
        return False
    try:
        return _hasher.verify(row[0], password)
    except (VerificationError, InvalidHashError):
        return False
