"""`dms review` and the web's Review page: documents whose number, revision or date could not be derived, or
whose recorded source for one is doubtful, each with its reason and the way to fix it.

What a document is expected to carry comes from the archive itself, not from one archive's conventions:
a number or a date where most live documents of its type have one (EXPECTED_SHARE); a revision where its
number's family has a revision scheme in the rules, where most numbered documents of the family carry one,
or where another document of the same number does. Retired, purged and duplicate documents are left out,
and so is any field corrected by hand on the current version.
"""

from __future__ import annotations

import shlex
from collections import defaultdict

from dms.app import Dms
from dms.catalog import derived
from dms.errors import UsageError
from dms.rederive import hand_fields

REVIEWED = ("number", "revision", "date")
PER_PAGE = 200
EXPECTED_SHARE = 0.5  # a field is expected of a type (or family) when at least this share of them carry it
PLACEHOLDER = {"number": "NUMBER", "revision": "REVISION", "date": "YYYY-MM-DD"}


class _Expectations:
    """Which documents are expected to carry a number, a revision or a date, learnt from the archive."""

    def __init__(self, dms: Dms):
        shares = derived.shares_by_type(dms.catalog)
        self.numbered_types = {t for t, (n, numbered, _) in shares.items() if n and numbered / n >= EXPECTED_SHARE}
        self.dated_types = {t for t, (n, _, dated) in shares.items() if n and dated / n >= EXPECTED_SHARE}
        self.matcher = dms.matcher
        declared = {family for family, scheme in dms.rules.revision_schemes if scheme != "any"}
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        self.revised_numbers: set[str] = set()
        for number, n, revised in derived.numbers_with_revisions(dms.catalog):
            family = self.family(number)
            counts[family][0] += n
            counts[family][1] += revised
            if revised:
                self.revised_numbers.add(number)
        self.revised_families = declared | {f for f, (n, revised) in counts.items() if revised / n >= EXPECTED_SHARE}

    def family(self, number: str) -> str:
        found = self.matcher.fullmatch(number)
        return found.family if found else "document"

    def why_revision(self, number: str) -> str | None:
        family = self.family(number)
        if family in self.revised_families:
            return f"{family} documents carry a revision"
        if number in self.revised_numbers:
            return f"other documents numbered {number} carry a revision"
        return None


def issues_of(doc, expect: _Expectations, hand: set[str]) -> list[dict]:
    """The reasons a document needs a look: (field, reason) for each field missing or doubtful."""
    v = doc.version
    kind = v.doc_type or "other"
    found = []
    for name in REVIEWED:
        source = v.sources.get(name) if isinstance(v.sources.get(name), dict) else {}
        if name in hand or source.get("source") == "hand":
            continue
        value = {"number": v.number, "revision": v.revision, "date": v.doc_date}[name]
        if value is None:
            if name == "number" and kind in expect.numbered_types:
                found.append({"field": name, "reason": f"no number found (most {kind} documents here have one)"})
            elif name == "date" and kind in expect.dated_types:
                found.append({"field": name, "reason": "no date found"})
            elif name == "revision" and v.number:
                why = expect.why_revision(v.number)
                if why:
                    found.append({"field": name, "reason": f"no revision found ({why})"})
        elif source.get("doubtful"):
            found.append({"field": name, "reason": f"doubtful {name} {value}: {source['doubtful']}", "value": value})
    return found


def fix_command(doc_id: int, issues: list[dict]) -> str:
    """The `dms edit` command line that fixes these fields: a missing one to fill in, a doubtful one with its
    value to confirm or change (either way it is then corrected by hand, and leaves the review)."""
    options = " ".join(f"--{i['field']} {shlex.quote(i['value']) if i.get('value') else PLACEHOLDER[i['field']]}"
                       for i in issues)
    return f"dms edit {doc_id} {options} --reason {shlex.quote('checked against the original')}"


def review(dms: Dms, field: str | None = None, page: int = 1, per_page: int = PER_PAGE) -> dict:
    """One page of the documents to review (all fields, or one of REVIEWED), by id; with the total."""
    if field is not None and field not in REVIEWED:
        raise UsageError(f"review covers {', '.join(REVIEWED)}, not {field!r}")
    if page < 1 or not 1 <= per_page <= 1000:
        raise UsageError("page starts at 1; per page is 1 to 1000")
    expect = _Expectations(dms)
    edits = derived.hand_edits(dms.catalog)
    first, total, items = (page - 1) * per_page, 0, []
    for doc in derived.review_candidates(dms.catalog):
        hand = set(hand_fields(edits.get(doc.id, []), doc.version.seq))
        issues = [i for i in issues_of(doc, expect, hand) if field in (None, i["field"])]
        if not issues:
            continue
        total += 1
        if first < total <= first + per_page:
            v = doc.version
            items.append({"id": doc.id, "path": doc.path, "title": v.title or doc.name, "type": v.doc_type,
                          "number": v.number, "revision": v.revision, "date": v.doc_date, "issues": issues,
                          "url": f"/documents/{doc.id}?edit=1#edit",
                          "command": fix_command(doc.id, issues)})
    return {"field": field, "page": page, "per_page": per_page, "total": total,
            "pages": max(1, -(-total // per_page)), "items": items}
