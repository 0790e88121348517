"""The audit log: append-only, each entry chained to the one before by SHA-256.

    hash(n) = SHA-256(hash(n-1) + "\\n" + canonical JSON of [id, at, user, action, subject, also, details])

SQLite triggers refuse UPDATE and DELETE on the log; the chain shows what was changed anyway
(by a tool that drops the triggers, or by editing the file): an edited entry no longer matches its
hash, a removed one leaves a gap or breaks the next entry's link, a reordered pair breaks both, and
the head (kept in its own table) shows a removed last entry. `verify` names the first bad entry.

Subjects are the graph's node names (doc:12, change_request:CR-2024-001) or matter:NAME, user:NAME,
link:ID; `also` lists other subjects an entry concerns (both ends of a link).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from dms.catalog import Catalog
from dms.catalog.db import utcnow

GENESIS = "0" * 64


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def entry_hash(prev_hash: str, entry: dict) -> str:
    body = [entry["id"], entry["at"], entry["user"], entry["action"], entry["subject"], entry["also"],
            entry["details"]]
    return hashlib.sha256((prev_hash + "\n" + _canonical(body)).encode()).hexdigest()


def record(catalog: Catalog, user: str, action: str, subject: str, details: dict | None = None,
           also: Iterable[str] = ()) -> int:
    """Append one entry, inside the caller's transaction if one is open (so it commits or rolls back
    with what it records), else in its own."""
    own = not catalog.conn.in_transaction
    if own:
        catalog.conn.execute("BEGIN IMMEDIATE")
    try:
        head = catalog.conn.execute("SELECT last_id, hash FROM audit_head WHERE one = 1").fetchone()
        last_id, prev = head if head else (0, GENESIS)
        entry = {"id": last_id + 1, "at": utcnow(), "user": user, "action": action, "subject": subject,
                 "also": " ".join(also), "details": json.loads(_canonical(details or {}))}
        digest = entry_hash(prev, entry)
        catalog.conn.execute(
            "INSERT INTO audit_log (id, at, user, action, subject, also, details, prev_hash, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (entry["id"], entry["at"], user, action, subject, entry["also"], _canonical(entry["details"]), prev,
             digest))
        catalog.conn.execute("INSERT INTO audit_head (one, last_id, hash) VALUES (1, ?, ?) "
                             "ON CONFLICT (one) DO UPDATE SET last_id = excluded.last_id, hash = excluded.hash",
                             (entry["id"], digest))
    except BaseException:
        if own:
            catalog.conn.execute("ROLLBACK")
        raise
    if own:
        catalog.conn.execute("COMMIT")
    return entry["id"]


def _rows(catalog: Catalog, where: str = "", params: tuple = ()) -> list[dict]:
    cur = catalog.conn.execute(
        f"SELECT id, at, user, action, subject, also, details, prev_hash, hash FROM audit_log {where} ORDER BY id",
        params)
    keys = ("id", "at", "user", "action", "subject", "also", "details", "prev_hash", "hash")
    out = []
    for row in cur:
        entry = dict(zip(keys, row))
        try:
            entry["details"] = json.loads(entry["details"])
        except ValueError:
            pass  # verify reports it: the hash will not match
        out.append(entry)
    return out


def verify_entries(entries: list[dict], start_prev: str = GENESIS, first_id: int = 1,
                   contiguous: bool = True) -> list[str]:
    """Problems with a run of entries, first bad one first. `contiguous=False` checks each entry against
    its own recorded predecessor hash only (a slice of the log, as in a bundle)."""
    problems = []
    expected_id, prev = first_id, start_prev
    for entry in entries:
        if contiguous:
            if entry["id"] != expected_id:
                what = "missing (removed)" if entry["id"] > expected_id else "out of order"
                problems.append(f"audit entry {expected_id} is {what}; the next entry found is {entry['id']}")
                return problems
            if entry["prev_hash"] != prev:
                problems.append(f"audit entry {entry['id']} does not follow entry {entry['id'] - 1}: the chain is "
                                "broken there (an entry was removed, reordered or rewritten)")
                return problems
        if entry_hash(entry["prev_hash"], entry) != entry["hash"]:
            problems.append(f"audit entry {entry['id']} ({entry['action']} {entry['subject']} at {entry['at']}) "
                            "was altered: it no longer matches its hash")
            return problems
        expected_id, prev = entry["id"] + 1, entry["hash"]
    return problems


def verify(catalog: Catalog) -> dict:
    """Check the whole chain and its head; returns {ok, entries, head, problems}."""
    entries = _rows(catalog)
    problems = verify_entries(entries)
    head = catalog.conn.execute("SELECT last_id, hash FROM audit_head WHERE one = 1").fetchone()
    last = entries[-1] if entries else None
    if not problems and head and (last is None or (last["id"], last["hash"]) != tuple(head)):
        have = f"entry {last['id']}" if last else "no entries"
        problems.append(f"the audit log ends at {have}, but its head records entry {head[0]}: "
                        "entries at the end were removed")
    return {"ok": not problems, "entries": len(entries), "head": {"id": head[0], "hash": head[1]} if head else None,
            "problems": problems}


def history(catalog: Catalog, subject: str) -> list[dict]:
    """Every entry about this subject, as the subject or among `also`, oldest first."""
    return _rows(catalog, "WHERE subject = ? OR (' ' || also || ' ') LIKE ?", (subject, f"% {subject} %"))


def entries_for(catalog: Catalog, subjects: set[str]) -> list[dict]:
    """The entries about any of these subjects (for a bundle's chain of custody)."""
    return [e for e in _rows(catalog) if e["subject"] in subjects or set(e["also"].split()) & subjects]
