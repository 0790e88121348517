"""Sign-in attempts, counted before the password is checked, and the browsers each user signed in from.

An attempt is reserved (a row in `sign_in_failures`) in the same write transaction that counts the
recent ones, so parallel requests, threads or processes cannot all pass a check made before any of
them counted: the catalog's write lock (SQLite's BEGIN IMMEDIATE, PostgreSQL's advisory lock) puts them in a
line. A successful sign-in
clears its reservation; a failed one leaves it as the failure it was.

Each row says where the attempt came from (`source`): `known` (a browser the user signed in from
before), `browser` (a browser cookie, not known for that user) or `none` (no cookie at all). The
buckets that are counted (see dms.auth for the rule) are queries over these rows.

`known_clients` keeps the SHA-256 of the browser cookie of each browser a user signed in from.
"""

from __future__ import annotations

from dataclasses import dataclass

from dms.catalog.db import Catalog, utcnow

KNOWN, BROWSER, NONE = "known", "browser", "none"


@dataclass(frozen=True, slots=True)
class Limits:
    since: str  # failures before this moment no longer count
    per_client: int  # one browser (or a known browser for its user), one user name, cookie-less per address
    per_address: int  # every unknown browser at one IP address together


@dataclass(frozen=True, slots=True)
class Attempt:
    id: int | None  # the reserved row; None when refused
    bucket: str | None = None  # when refused: "known", "client", "cookieless", "account" or "address"
    frees_at: str | None = None  # when refused: the moment the bucket drops under its limit


# bucket -> (WHERE clause, the names of its parameters, the limit's attribute)
_BUCKETS = {
    "known": ("name = ? AND client = ? AND source = 'known'", ("name", "client"), "per_client"),
    "client": ("client = ? AND source != 'known'", ("client",), "per_client"),
    "cookieless": ("address = ? AND source = 'none'", ("address",), "per_client"),
    "account": ("name = ? AND source != 'known'", ("name",), "per_client"),
    "address": ("address = ? AND source != 'known'", ("address",), "per_address"),
}


def _applies(source: str) -> tuple[str, ...]:
    if source == KNOWN:
        return ("known",)
    return ("client", "account", "address") + (("cookieless",) if source == NONE else ())


def reserve(catalog: Catalog, name: str, client: str, address: str, source: str, limits: Limits) -> Attempt:
    """Count the recent failures in every bucket this attempt falls in; under every limit, reserve one more."""
    params = {"name": name, "client": client, "address": address}
    with catalog.transaction():
        for bucket in _applies(source):
            where, names, limit_of = _BUCKETS[bucket]
            limit = getattr(limits, limit_of)
            values = (limits.since, *(params[n] for n in names))
            (count,) = catalog.conn.execute(
                f"SELECT COUNT(*) FROM sign_in_failures WHERE at >= ? AND {where}", values).fetchone()
            if count >= limit:
                (frees,) = catalog.conn.execute(  # the failure whose expiry brings the count under the limit
                    f"SELECT at FROM sign_in_failures WHERE at >= ? AND {where} ORDER BY at LIMIT 1 OFFSET "
                    f"{count - limit}", values).fetchone()
                return Attempt(None, bucket, frees)
        catalog.conn.execute("DELETE FROM sign_in_failures WHERE at < ?", (limits.since,))  # no endless growth
        (attempt_id,) = catalog.conn.execute(
            "INSERT INTO sign_in_failures (name, client, address, source, at) VALUES (?, ?, ?, ?, ?) RETURNING id",
            (name, client, address, source, utcnow())).fetchone()
        return Attempt(attempt_id)


def clear(catalog: Catalog, attempt_id: int, before: str) -> None:
    """The attempt succeeded: it is no failure. Also forget failures older than `before`."""
    with catalog.transaction():
        catalog.conn.execute("DELETE FROM sign_in_failures WHERE id = ? OR at < ?", (attempt_id, before))


def unlock_name(catalog: Catalog, name: str) -> int:
    """Forget the failures for this user name (from anywhere); how many there were."""
    with catalog.transaction():
        return catalog.conn.execute("DELETE FROM sign_in_failures WHERE name = ?", (name,)).rowcount


def unlock_address(catalog: Catalog, address: str) -> int:
    """Forget the failures from this IP address (every browser there); how many there were."""
    with catalog.transaction():
        return catalog.conn.execute("DELETE FROM sign_in_failures WHERE address = ?", (address,)).rowcount


_UNKNOWN = "SUM(CASE WHEN source != 'known' THEN 1 ELSE 0 END)"  # SUM(boolean): SQLite only


def recent(catalog: Catalog, since: str) -> dict[str, list[dict]]:
    """Failures since `since` by user name and by address (unknown browsers only for the account count)."""
    by_name = catalog.conn.execute(
        f"SELECT name, {_UNKNOWN}, COUNT(*), MAX(at) FROM sign_in_failures WHERE at >= ? "
        "GROUP BY name ORDER BY name", (since,)).fetchall()
    by_address = catalog.conn.execute(
        f"SELECT address, {_UNKNOWN}, SUM(CASE WHEN source = 'none' THEN 1 ELSE 0 END), MAX(at) FROM sign_in_failures "
        "WHERE at >= ? GROUP BY address ORDER BY address", (since,)).fetchall()
    return {"names": [{"name": n, "unknown": u, "all": a, "last": t} for n, u, a, t in by_name],
            "addresses": [{"address": ad, "unknown": u, "cookieless": c, "last": t} for ad, u, c, t in by_address]}


# -- known browsers ----------------------------------------------------------------------------------


def is_known(catalog: Catalog, cookie_hash: str, name: str, since: str) -> bool:
    """This browser signed in as this user, and was last used for it since `since`."""
    return catalog.conn.execute(
        'SELECT 1 FROM known_clients WHERE token_hash = ? AND "user" = ? AND last_used_at >= ?',
        (cookie_hash, name, since)).fetchone() is not None


def remember(catalog: Catalog, old_hash: str | None, new_hash: str, name: str, before: str) -> None:
    """The browser signed in as `name` and gets a new cookie (`new_hash`): the users it was known for stay
    known under the new one, `name` joins them; rows unused since before `before` go."""
    now = utcnow()
    with catalog.transaction():
        if old_hash:
            catalog.conn.execute("UPDATE known_clients SET token_hash = ? WHERE token_hash = ?", (new_hash, old_hash))
        catalog.conn.execute(
            'INSERT INTO known_clients (token_hash, "user", created_at, last_used_at) VALUES (?, ?, ?, ?) '
            'ON CONFLICT (token_hash, "user") DO UPDATE SET last_used_at = excluded.last_used_at',
            (new_hash, name, now, now))
        catalog.conn.execute("DELETE FROM known_clients WHERE last_used_at < ?", (before,))


def forget(catalog: Catalog, name: str, keep_hash: str | None = None) -> int:
    """The browsers `name` signed in from are no longer known (but the one of `keep_hash`)."""
    with catalog.transaction():
        return catalog.conn.execute('DELETE FROM known_clients WHERE "user" = ? AND token_hash IS DISTINCT FROM ?',
                                    (name, keep_hash)).rowcount


def known_count(catalog: Catalog, name: str) -> int:
    return catalog.conn.execute('SELECT COUNT(*) FROM known_clients WHERE "user" = ?', (name,)).fetchone()[0]
