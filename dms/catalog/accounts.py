"""Users, their web sessions and API tokens: the SQL behind dms.users and dms.auth.

Passwords are stored only as argon2 hashes (made by dms.users), session and token secrets only as
SHA-256 (made by dms.auth). `temporary_until` is set while a user's password is a temporary one an
admin gave: it must be changed at the next sign-in and works only until then.

The column `user` is always written quoted ("user"): bare, PostgreSQL reads it as the name of the connected role
(no error, just the wrong rows).
"""

from __future__ import annotations

from dms.catalog.db import Catalog, utcnow

USER_COLUMNS = ("name", "role", "email", "disabled_at", "created_at", "created_by", "temporary_until")


# -- users -------------------------------------------------------------------------------------------


def user_row(catalog: Catalog, name: str) -> dict | None:
    row = catalog.conn.execute(f"SELECT {', '.join(USER_COLUMNS)} FROM users WHERE name = ?", (name,)).fetchone()
    return dict(zip(USER_COLUMNS, row)) if row else None


def user_rows(catalog: Catalog) -> list[dict]:
    cur = catalog.conn.execute(f"SELECT {', '.join(USER_COLUMNS)} FROM users ORDER BY name")
    return [dict(zip(USER_COLUMNS, row)) for row in cur]


def user_count(catalog: Catalog) -> int:
    return catalog.conn.execute("SELECT COUNT(*) FROM users").fetchone()[0]


def insert_user(catalog: Catalog, name: str, role: str, password_hash: str, by: str, email: str | None) -> None:
    catalog.conn.execute(
        "INSERT INTO users (name, role, password_hash, created_at, created_by, email, password_changed_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)", (name, role, password_hash, utcnow(), by, email, utcnow()))


def password_of(catalog: Catalog, name: str) -> tuple[str, str | None, str | None] | None:
    """(argon2 hash, disabled_at, temporary_until) of the user, or None."""
    return catalog.conn.execute("SELECT password_hash, disabled_at, temporary_until FROM users WHERE name = ?",
                                (name,)).fetchone()


def set_password(catalog: Catalog, name: str, password_hash: str, temporary_until: str | None) -> None:
    catalog.conn.execute("UPDATE users SET password_hash = ?, temporary_until = ?, password_changed_at = ? "
                         "WHERE name = ?", (password_hash, temporary_until, utcnow(), name))


def set_field(catalog: Catalog, name: str, field: str, value) -> None:
    if field not in ("email", "role"):
        raise ValueError(field)
    catalog.conn.execute(f"UPDATE users SET {field} = ? WHERE name = ?", (value, name))


def set_disabled(catalog: Catalog, name: str, disabled: bool) -> None:
    if disabled:
        catalog.conn.execute("UPDATE users SET disabled_at = COALESCE(disabled_at, ?) WHERE name = ?", (utcnow(), name))
    else:
        catalog.conn.execute("UPDATE users SET disabled_at = NULL WHERE name = ?", (name,))


# -- web sessions -------------------------------------------------------------------------------------


def open_session(catalog: Catalog, token_hash: str, user: str, csrf: str, expires_at: str) -> None:
    catalog.conn.execute("DELETE FROM web_sessions WHERE expires_at < ?", (utcnow(),))
    catalog.conn.execute(
        'INSERT INTO web_sessions (token_hash, "user", csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
        (token_hash, user, csrf, utcnow(), expires_at))


def session_row(catalog: Catalog, token_hash: str) -> tuple[str, str, str] | None:
    """(user, csrf, expires_at) of the session."""
    return catalog.conn.execute('SELECT "user", csrf, expires_at FROM web_sessions WHERE token_hash = ?',
                                (token_hash,)).fetchone()


def end_session(catalog: Catalog, token_hash: str) -> None:
    catalog.conn.execute("DELETE FROM web_sessions WHERE token_hash = ?", (token_hash,))


def end_sessions(catalog: Catalog, user: str, keep_hash: str | None = None) -> int:
    """End every session of the user (but the one of `keep_hash`); how many were open."""
    return catalog.conn.execute('DELETE FROM web_sessions WHERE "user" = ? AND token_hash IS DISTINCT FROM ?',
                                (user, keep_hash)).rowcount


# -- API tokens ---------------------------------------------------------------------------------------

TOKEN_COLUMNS = ("id", "user", "label", "created_at", "last_used_at", "revoked_at")
_TOKEN_SELECT = ", ".join(f'"{c}"' for c in TOKEN_COLUMNS)


def insert_token(catalog: Catalog, owner: str, label: str, token_hash: str) -> int:
    return catalog.conn.execute(
        'INSERT INTO api_tokens ("user", label, token_hash, created_at) VALUES (?, ?, ?, ?) RETURNING id',
        (owner, label, token_hash, utcnow())).fetchone()[0]


def live_token(catalog: Catalog, token_hash: str) -> tuple[int, str, str | None] | None:
    """(id, user, last_used_at) of an unrevoked token."""
    return catalog.conn.execute(
        'SELECT id, "user", last_used_at FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL',
        (token_hash,)).fetchone()


def token_used(catalog: Catalog, token_id: int) -> None:
    catalog.conn.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", (utcnow(), token_id))


def token_rows(catalog: Catalog, owner: str | None = None) -> list[dict]:
    where, params = ('WHERE "user" = ?', (owner,)) if owner else ("", ())
    cur = catalog.conn.execute(f"SELECT {_TOKEN_SELECT} FROM api_tokens {where} ORDER BY id", params)
    return [dict(zip(TOKEN_COLUMNS, row)) for row in cur]


def token_owner(catalog: Catalog, token_id: int) -> str | None:
    row = catalog.conn.execute('SELECT "user" FROM api_tokens WHERE id = ?', (token_id,)).fetchone()
    return row[0] if row else None


def revoke_token(catalog: Catalog, token_id: int) -> None:
    catalog.conn.execute("UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?",
                         (utcnow(), token_id))


def live_token_count(catalog: Catalog, owner: str) -> int:
    return catalog.conn.execute('SELECT COUNT(*) FROM api_tokens WHERE "user" = ? AND revoked_at IS NULL',
                                (owner,)).fetchone()[0]
