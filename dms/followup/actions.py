"""Action items of minutes: lines matching the rules' [followup] actions, closed by a later done-line.

An action is a line of current minutes matching one of `PlanRules.action_patterns` (groups what, owner, due;
the due date read with the archive's date rules; one written without a year is the first such day on or after the
minutes). It stays open unless minutes dated after its own minutes
hold a line matching one of `PlanRules.done_patterns` whose words equal or contain the action's `what`
(case- and space-insensitive, whole words), or someone marked it done (dms.followup.listing.mark_done).
List bullets ("-", "*", "•", "1.") before a line are not part of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from dms.app import Dms
from dms.asof import effective_date
from dms.catalog import followup as sql
from dms.followup.memo import remembered
from dms.ingest.dates import find_date

MAX_LINE = 500  # longer lines are prose, not action items (and keep the patterns' backtracking bounded)
_BULLET = re.compile(r"^\s*(?:[-*•–]|\d{1,3}[.)])\s+")
_EMPHASIS = re.compile(r"\*\*|__")


@dataclass(frozen=True, slots=True)
class Action:
    doc_id: int
    number: str | None  # the minutes' number
    line: int  # 1-based line of the minutes' text (pages joined)
    what: str
    owner: str
    due: date | None
    due_text: str  # as written ("" when the line names none)
    held: date  # the minutes' date (its effective date)
    products: tuple[str, ...]
    text: str  # the whole line


@dataclass(frozen=True, slots=True)
class DoneLine:
    doc_id: int
    line: int
    words: str  # normalised
    held: date


@lru_cache(maxsize=8)
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern, ...]:
    return tuple(re.compile(p) for p in patterns)


def words(text: str) -> str:
    """The phrase's words, case-insensitive, without punctuation between them ("delivery," is "delivery"; the
    hyphens and dots inside a word or a number, as in LH-200 or 2.5, stay)."""
    return " ".join(re.findall(r"\w+(?:[-./']\w+)*", text.casefold()))


def closes(done: str, what: str) -> bool:
    """A done-line's words equal or contain the action's (whole words)."""
    return bool(what) and f" {what} " in f" {done} "


def _lines(pages: tuple[str, ...]):
    for number, raw in enumerate("\n".join(pages).splitlines(), start=1):
        if raw.strip() and len(raw) <= MAX_LINE:
            yield number, _EMPHASIS.sub("", _BULLET.sub("", raw)).strip()


def _due(text: str, rules, held: date) -> date | None:
    """The due date as written; one written without a year ("14 March", "14.03.") falls on or after the minutes."""
    if not text:
        return None
    found = find_date([text], {}, rules)
    if found:
        return date.fromisoformat(found.value)
    bare = text.rstrip(". ")
    for year in (held.year, held.year + 1):
        for written in (f"{bare} {year}", f"{bare}.{year}", f"{bare}/{year}"):
            found = find_date([written], {}, rules)
            if found and date.fromisoformat(found.value) >= held:
                return date.fromisoformat(found.value)
    return None


def read(dms: Dms, known: frozenset[int] | None = None) -> tuple[list[Action], list[DoneLine]]:
    """Every action item and done-line of the current minutes (of those in `known`, when given)."""
    actions, done_lines = remembered(dms, "actions", _read)
    if known is None:
        return list(actions), list(done_lines)
    return [a for a in actions if a.doc_id in known], [d for d in done_lines if d.doc_id in known]


def _read(dms: Dms) -> tuple[tuple[Action, ...], tuple[DoneLine, ...]]:
    rules = dms.rules
    acts, dones = _compiled(rules.plans.action_patterns), _compiled(rules.plans.done_patterns)
    actions: list[Action] = []
    done_lines: list[DoneLine] = []
    for doc in sql.minutes(dms.catalog):
        held = date.fromisoformat(effective_date(doc))
        for number, line in _lines(dms.catalog.pages(doc.version.id)):
            hit = next((m for m in (p.match(line) for p in acts) if m), None)
            if hit is not None:
                found = hit.groupdict()
                due_text = (found.get("due") or "").strip()
                owner = " ".join((found.get("owner") or "").split())
                actions.append(Action(doc.id, doc.version.number, number, " ".join(found["what"].split()), owner,
                                      _due(due_text, rules, held), due_text, held, doc.version.products, line))
                continue
            hit = next((m for m in (p.match(line) for p in dones) if m), None)
            if hit is not None:
                done_lines.append(DoneLine(doc.id, number, words(hit.group("what")), held))
    return tuple(actions), tuple(done_lines)


def closed_by(action: Action, done_lines: list[DoneLine]) -> DoneLine | None:
    """The first done-line of later minutes that closes the action."""
    what = words(action.what)
    return next((d for d in sorted(done_lines, key=lambda d: (d.held, d.doc_id, d.line))
                 if d.held > action.held and closes(d.words, what)), None)


def open_actions(dms: Dms, as_of: date) -> list[Action]:
    """The actions of the minutes in force on as_of that no later minutes by then closes."""
    from dms.asof import known_on

    actions, done_lines = read(dms, known_on(dms, as_of.isoformat()))
    return [a for a in actions if closed_by(a, done_lines) is None]
