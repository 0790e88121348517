"""As-of retrieval: what the archive held on a date, with each document number at the revision then in force.

A document counts from its own date (the date it carries), or, when it has none, from the day it
was ingested: an archive ingested today from years of paperwork still answers "what did we know
on 2023-06-30?". Of the revisions of one document number known by then, only the latest is in
force; numbers without revisions (minutes, requests, letters) keep every document. Retired and
purged documents are left out, as everywhere else.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from typing import TYPE_CHECKING

from dms.errors import UsageError
from dms.revisions import revision_key

if TYPE_CHECKING:
    from dms.app import Dms  # for type hints only: dms.app never waits on this module

_memo: dict[tuple, frozenset[int]] = {}


def check_date(day: str) -> str:
    day = (day or "").strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
        raise UsageError(f"--as-of takes a date written YYYY-MM-DD, not {day!r}")
    try:
        date.fromisoformat(day)
    except ValueError as exc:  # 2023-02-30, 2023-13-01: well written, but no such day
        raise UsageError(f"--as-of {day}: there is no such day ({exc})") from None
    if not "1900-01-01" <= day <= "2199-12-31":  # dms.plans.model's range: date arithmetic stays safe
        raise UsageError(f"--as-of {day}: dms answers for days from 1900-01-01 to 2199-12-31")
    return day


def effective_date(doc) -> str:
    return doc.version.doc_date or doc.version.ingested_at[:10]


def known_on(dms: Dms, day: str) -> frozenset[int]:
    """The ids of the documents in force on that day."""
    from dms.graph.stamp import stamp

    day = check_date(day)
    key = (str(dms.settings.home), day, stamp(dms))
    if key in _memo:
        return _memo[key]
    docs = [d for d in dms.catalog.graph_documents() if d.duplicate_of is None and effective_date(d) <= day]
    by_number = defaultdict(list)
    keep = set()
    for d in docs:
        if d.version.number and d.version.revision:
            by_number[d.version.number].append(d)
        else:
            keep.add(d.id)
    for revisions in by_number.values():
        keep.add(max(revisions, key=lambda d: (revision_key(d.version.revision), effective_date(d), d.id)).id)
    _memo.clear()  # one date at a time is what a session asks; keep memory flat
    _memo[key] = frozenset(keep)
    return _memo[key]


def in_force(dms: Dms, number: str, day: str):
    """The document of this number in force on that day, or None."""
    ids = known_on(dms, day)
    found = [d for d in dms.catalog.same_number(number) if d.id in ids]
    return found[0] if found else None


def trace_as_of(dms: Dms, g, root: str, day: str, depth: int = 2, limit: int = 50, offset: int = 0):
    """trace(), keeping only the documents in force on that day (the total counts those)."""
    from dms.graph.trace import trace

    ids = known_on(dms, day)
    full = trace(g, root, depth=depth, limit=10**9)
    kept = [d for d in full.documents if d["id"] in ids]
    full.documents = kept[offset: offset + limit]
    full.total = len(kept)
    return full
