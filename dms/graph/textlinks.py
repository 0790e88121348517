"""Decisions and amendments read from a document's lines: which changes a minutes document decides (and how),
which changes a specification revision implements. The phrases come from the rules (`dms.graph.phrases`).

Minutes: a change is decided where the line holding its identifier, or a line of the item block under it,
holds a decision phrase. The item block is the following lines up to the next line that names another
change, a line that starts a new item ("3.", "3)", "TOP 4", "Item 4", "## ..."), or two blank lines; at most
ITEM_LINES lines with text. A block line counts only when it reads as a record ("Decision: approved",
"Approved unanimously.", a short line), not as a paragraph of prose that happens to hold the word.

Specifications: a change is amended where the line holding its identifier holds an amendment phrase, where
the line just before it ends with one ("Reason for revision:" / "ECO-24-0117 ..."), or where the
identifier sits in the revision-history row of the document's own revision. A history row of another
revision records what that revision implemented, not this one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from dms.graph.phrases import UNNAMED, Phrases
from dms.revisions import normalize_revision

ITEM_LINES = 8  # lines with text in an item block
RECORD_WORDS = 24  # a block line this long or shorter reads as a record ...
LEADING_WORDS = 2  # ... as does a longer one whose phrase comes after at most this many words
JOINING_WORDS = 3  # words between two identifiers that one decision on the line covers ("and", "(housing),")
EVIDENCE_CHARS = 300

HEADING = re.compile(
    r"^\s*(?:#{1,6}\s|\d{1,2}(?:\.\d{1,2})*(?:[.)]\s+\S|\s+[A-ZÄÖÜ])"
    r"|(?:TOP|Item|Agenda\s+item|Punkt|Tagesordnungspunkt)\s*\d+\b)",
    re.IGNORECASE,
)
_LOWER_START = re.compile(r"\d{1,2}(?:\.\d{1,2})*\s+[a-zäöüß]")  # "5 votes in favour" is no heading
_IDENTIFIER_HEAD = re.compile(r"^[\w/-]+")
_SENTENCE_BREAK = re.compile(r"[.;:!?]")
_REVISION_CELL = re.compile(r"^(?:rev(?:ision)?\.?\s*)?([A-Z]{1,2}|\d{1,3}(?:\.\d{1,3})*)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Citation:
    """A change cited on a page (page from 1, offset in that page's text); `target` names the change (its node)."""

    target: str
    page: int
    offset: int


@dataclass(frozen=True, slots=True)
class Found:
    outcome: str | None  # decisions only
    page: int
    lines: tuple[str, ...]  # the line with the identifier, and the line with the decision if it is another

    @property
    def evidence(self) -> str:
        return f"page {self.page}: " + " … ".join(_clip(line) for line in self.lines)


def _clip(line: str) -> str:
    return " ".join(line.split())[:EVIDENCE_CHARS]


class _Lines:
    """The lines of a document's pages, and which line each citation sits on."""

    def __init__(self, pages: tuple[str, ...] | list[str]):
        self.text: list[str] = []
        self.page: list[int] = []
        self.starts: dict[int, list[int]] = {}  # page -> character offset of each of its lines
        self.first: dict[int, int] = {}  # page -> index of its first line
        for number, page in enumerate(pages, start=1):
            self.first[number] = len(self.text)
            offsets, at = [], 0
            for line in page.split("\n"):
                offsets.append(at)
                at += len(line) + 1
                self.text.append(line)
                self.page.append(number)
            self.starts[number] = offsets

    def locate(self, page: int, offset: int) -> tuple[int, int] | None:
        """(line index, column) of a character of a page."""
        offsets = self.starts.get(page)
        if not offsets:
            return None
        lo, hi = 0, len(offsets) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if offsets[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return self.first[page] + lo, offset - offsets[lo]


def _cited_lines(lines: _Lines, citations: Iterable[Citation]) -> dict[int, list[tuple[int, str]]]:
    """line index -> [(column, target)] of the changes cited on it, left to right."""
    on: dict[int, list[tuple[int, str]]] = {}
    for c in citations:
        where = lines.locate(c.page, c.offset)
        if where is not None:
            on.setdefault(where[0], []).append((where[1], c.target))
    for cited in on.values():
        cited.sort()
    return on


def _is_heading(line: str) -> bool:
    stripped = line.strip()
    return bool(HEADING.match(stripped)) and not _LOWER_START.match(stripped)


def _item_block(lines: _Lines, at: int, cited: dict[int, list[tuple[int, str]]]) -> list[str]:
    """The lines under an item's line that belong to it."""
    own = {target for _, target in cited[at]}
    block, blanks = [], 0
    for i in range(at + 1, len(lines.text)):
        text = lines.text[i].strip()
        if not text:
            blanks += 1
            if blanks >= 2:
                break
            continue
        blanks = 0
        if any(target not in own for _, target in cited.get(i, ())) or _is_heading(text):
            break
        block.append(text)
        if len(block) >= ITEM_LINES:
            break
    return block


def _reads_as_record(line: str, phrases: Phrases) -> bool:
    found = phrases.decision(line)
    if found is None:
        return False
    return len(line.split()) <= RECORD_WORDS or len(line[: found[1]].split()) <= LEADING_WORDS


def _joins(part: str) -> bool:
    """Whether a part of a line is an identifier joined to the next one ("ECO-1 and ", "ECO-1 (housing), ")
    rather than a statement of its own ("ECO-1 was discussed; ")."""
    rest = _IDENTIFIER_HEAD.sub("", part)
    return not _SENTENCE_BREAK.search(rest) and len(rest.split()) <= JOINING_WORDS


def _outcome_on_line(line: str, column: int, columns: list[int], phrases: Phrases) -> str | None:
    """The outcome a line records for the identifier at `column`: from its own part of the line (up to the next
    identifier), else from the next parts while they join ("ECO-1 and ECO-2 approved"), else from before the
    first identifier ("Approved: ECO-1, ECO-2")."""
    bounds = [*columns, len(line)]
    for k in range(columns.index(column), len(columns)):
        part = line[bounds[k] : bounds[k + 1]]
        if outcome := phrases.outcome(part):
            return outcome
        if not _joins(part):
            break
    return phrases.outcome(line[: columns[0]])


def decisions(pages: tuple[str, ...] | list[str], citations: Iterable[Citation],
              phrases: Phrases) -> dict[str, Found]:
    """target -> the decision a minutes document records for that change (a named outcome before an unnamed
    one, the first of each)."""
    lines = _Lines(pages)
    cited = _cited_lines(lines, citations)
    best: dict[str, Found] = {}
    for at in sorted(cited):
        line = lines.text[at]
        columns = [col for col, _ in cited[at]]
        block: tuple[str, str] | None | bool = False  # read once per line, when needed
        for column, target in cited[at]:
            if target in best and best[target].outcome != UNNAMED:
                continue
            outcome = _outcome_on_line(line, column, columns, phrases)
            found = Found(outcome, lines.page[at], (line,)) if outcome else None
            if outcome in (None, UNNAMED):
                if block is False:
                    block = phrases.decision_in(b for b in _item_block(lines, at, cited)
                                                if _reads_as_record(b, phrases))
                if block and (found is None or block[0] != UNNAMED):
                    found = Found(block[0], lines.page[at], (line, block[1]))
            if found and (target not in best or found.outcome != UNNAMED):
                best[target] = found
    return best


def _cells(line: str) -> list[str] | None:
    """The cells of a table row (| or tab separated, or columns set apart by wide spaces), else None."""
    text = line.strip()
    if text.count("|") >= 2:
        cells = [c.strip() for c in text.strip("|").split("|")]
    elif "\t" in text:
        cells = [c.strip() for c in text.split("\t")]
    else:
        cells = [c.strip() for c in re.split(r"\s{3,}", text)]
        if len(cells) < 3:
            return None
    cells = [c for c in cells if c]
    return cells if len(cells) >= 2 else None


def _row_revision(line: str) -> str | None:
    """The revision a revision-history row is about: its first cell, when that is a revision."""
    cells = _cells(line)
    if not cells:
        return None
    m = _REVISION_CELL.match(cells[0])
    return normalize_revision(m.group(1)) if m else None


def _line_before(lines: _Lines, at: int) -> str | None:
    """The line with text just before, across at most one blank line, on the same page."""
    for i in (at - 1, at - 2):
        if i < 0 or lines.page[i] != lines.page[at]:
            return None
        if lines.text[i].strip():
            return lines.text[i]
    return None


def amendments(pages: tuple[str, ...] | list[str], citations: Iterable[Citation], phrases: Phrases,
               own_revision: str | None) -> dict[str, Found]:
    """target -> where a specification revision says it implements that change."""
    lines = _Lines(pages)
    cited = _cited_lines(lines, citations)
    own = normalize_revision(own_revision)
    found: dict[str, Found] = {}
    for at in sorted(cited):
        line = lines.text[at]
        row = _row_revision(line)
        if row is not None and own is not None and row != own:
            continue  # the history row of another revision
        before = _line_before(lines, at)
        if phrases.amends(line) or (row is not None and row == own):
            evidence = (line,)
        elif before is not None and phrases.ends_with_amendment(before):
            evidence = (before, line)
        else:
            continue
        for _, target in cited[at]:
            found.setdefault(target, Found(None, lines.page[at], evidence))
    return found
