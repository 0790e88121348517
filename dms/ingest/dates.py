"""A document's own date: where it is written (an e-mail's Date header, a label anywhere in a line, the title
block, the file's embedded metadata, else the first date of the text) and how to read it, with the order of
ambiguous numeric dates (03/04/2024) settled by the document's own unambiguous dates (25/04/2024) before the
rules' default order; its folder's dates settle it later (dms.ingest.settle).

A cheap regular expression finds the spans that can be dates: year first (2024-03-12, never ambiguous),
numeric with "/", "-" or "." and a day next to a month name. The month names and abbreviations are dateparser's
(its locale data for the rules' languages: no month table of our own). The parts of a span are read directly:
the order of a numeric date is dms's decision, and a dateparser.parse call costs 1.5-10 ms (its first one in
a process most of a second) where this whole function needs about 0.2 ms. Dotted dates (12.03.2024) are day
first in every locale that writes them: never ambiguous, and they neither prove nor take an order."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from dms.errors import ConfigError
from dms.rules import Rules

SCAN_CHARS = 4000  # of page 1 (then page 2 for what page 1 leaves): where a document states its own date
EVIDENCE_CHARS = 20000  # of the pages in order: where unambiguous numeric dates prove the document's order
TITLE_LINES = 10  # the first non-empty lines of page 1 form the title block
LABEL_GAP = 24  # characters between a label and its date ("Date: Tuesday, 12 March 2024")
YEARS = (1970, 2100)  # plausible years of a document's date
LINE_CHARS = 200
ORDERS = ("DMY", "MDY")

# ISO-like year first: 2024-03-12, 2024/03/12, 2024.03.12 (never ambiguous); then day/month first with a year
# of four or two digits. Neither may sit inside a longer run of numbers (1.2.3.4, 030/1234-56, DS-10452).
_ISO = re.compile(r"(?<![\w./+-])(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?!\d|[-/.]\d)")
_NUMERIC = re.compile(r"(?<![\w./+-])(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})(?!\d|[-/.]\d)")
_ORDINAL = r"(?:st|nd|rd|th)?"
_YEARISH = re.compile(r"\d\d")  # every date holds two digits in a row; most lines hold none
_SLASH_OR_DASH = re.compile(r"[/-]\d\d?[/-]\d\d")  # finds where a numeric date may be, fast, before _NUMERIC


@dataclass(frozen=True, slots=True)
class DateFinding:
    value: str  # ISO yyyy-mm-dd
    source: str  # "label 'Effective'", "title block", "embedded metadata", "e-mail Date header", …
    page: int | None = None  # 1-based
    line: str | None = None  # the line that holds it (≤200 chars)
    words: str | None = None  # the date as written
    doubtful: str | None = None  # why the value may be wrong; None when certain
    alternative: str | None = None  # ISO of the other reading of an ambiguous numeric date
    evidence: str | None = None  # the order (DMY/MDY) this document's own unambiguous numeric dates prove
    order_used: str | None = None  # the order an ambiguous numeric date was read in

    def to_source(self) -> dict:
        """The provenance entry of the date (versions.sources["date"])."""
        return {"source": self.source, "page": self.page, "line": self.line, "words": self.words,
                "doubtful": self.doubtful, "confidence": None, "alternative": self.alternative,
                "evidence": self.evidence, "order_used": self.order_used}


@dataclass(frozen=True, slots=True)
class _Candidate:
    start: int
    words: str
    kind: str  # iso | numeric | words
    sep: str  # the separator of a numeric date; the month as written for words
    first: int  # numeric: the two parts around the separator (iso: month, day); words: the day
    second: int
    year: int


@dataclass(frozen=True, slots=True)
class _Reading:
    value: str
    doubtful: str | None = None
    alternative: str | None = None
    order_used: str | None = None
    inferred: bool = False  # the order came from the document's own dates


_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")  # the keys of dateparser's locale data


@lru_cache(maxsize=16)
def month_names(languages: tuple[str, ...]) -> dict[str, int]:
    """Month names and abbreviations ("märz", "mar", "sept") -> month, from dateparser's locale data; where two
    languages spell different months alike, the first language listed in the rules wins."""
    from dateparser.languages.loader import default_loader

    names: dict[str, int] = {}
    for lang in languages:
        try:
            info = default_loader.get_locale(lang).info
        except ValueError:
            raise ConfigError(f"[dates] languages: {lang!r} is not a language dateparser knows") from None
        for number, month in enumerate(_MONTHS, start=1):
            for name in info.get(month, []):
                if len(name) >= 3 and name.isalpha():
                    names.setdefault(name.lower(), number)
    return names


@lru_cache(maxsize=16)
def _word_patterns(languages: tuple[str, ...]) -> tuple[re.Pattern, ...]:
    """Day-month-year and month-day-year, with the month names of the rules' languages."""
    names = sorted(month_names(languages), key=len, reverse=True)
    month = "(?P<m>" + "|".join(re.escape(n) for n in names) + r")(?![^\W\d_])\.?"
    day, year = rf"(?P<d>\d{{1,2}}){_ORDINAL}", r"(?P<y>\d{4})(?!\d)"
    return (
        re.compile(rf"(?<![\w.]){day}\.?[\s/-]*(?:of\s+)?{month},?[\s/-]+{year}", re.I),
        re.compile(rf"(?<![^\W\d_]){month}[\s-]+{day},?[\s,-]+{year}", re.I),
    )


def _candidates(text: str, languages: tuple[str, ...]) -> list[_Candidate]:
    """The spans of a text that can be dates, in reading order, without overlaps."""
    if not _YEARISH.search(text):
        return []
    found = [_Candidate(m.start(), m.group(0), "iso", m.group(2), int(m.group(3)), int(m.group(4)), int(m.group(1)))
             for m in _ISO.finditer(text)]
    found += [_Candidate(m.start(), m.group(0), "numeric", m.group(2), int(m.group(1)), int(m.group(3)),
                         _year(m.group(4))) for m in _NUMERIC.finditer(text)]
    if any(ch.isalpha() for ch in text) and re.search(r"\d{4}", text):
        for pattern in _word_patterns(languages):
            found += [_Candidate(m.start(), m.group(0), "words", m.group("m"), int(m.group("d")), 0, int(m.group("y")))
                      for m in pattern.finditer(text)]
    found.sort(key=lambda c: c.start)
    kept: list[_Candidate] = []
    for c in found:
        if not kept or c.start >= kept[-1].start + len(kept[-1].words):
            kept.append(c)
    return kept


def _year(digits: str) -> int:
    """A year as written: 2024, or 24 (2024) and 85 (1985) within the plausible years."""
    y = int(digits)
    return y if len(digits) == 4 else 2000 + y if y < YEARS[0] % 100 else 1900 + y


def _iso_of(year: int, month: int | None, day: int) -> str | None:
    if month is None or not YEARS[0] <= year <= YEARS[1]:
        return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _in_order(c: _Candidate, order: str) -> str | None:
    """The date a numeric candidate is in the given order (DMY: first part the day)."""
    return _iso_of(c.year, c.second, c.first) if order == "DMY" else _iso_of(c.year, c.first, c.second)


def _proofs(pages: list[str]) -> dict[str, set[str]]:
    """Per separator ("/", "-"), the orders the document's unambiguous numeric dates prove: 25/04/2024 DMY,
    04/25/2024 MDY. Dotted dates prove nothing (they are day first wherever they are written)."""
    text = "\n".join(pages)[:EVIDENCE_CHARS]
    proofs: dict[str, set[str]] = {}
    for hit in _SLASH_OR_DASH.finditer(text):
        at = hit.start()
        m = _NUMERIC.match(text, at - 2) if at >= 2 and text[at - 2].isdigit() else None
        m = m or (_NUMERIC.match(text, at - 1) if at >= 1 else None)
        if m is None:
            continue
        first, sep, second = int(m.group(1)), m.group(2), int(m.group(3))
        if (first > 12) == (second > 12):
            continue
        c = _Candidate(m.start(), m.group(0), "numeric", sep, first, second, _year(m.group(4)))
        order = "DMY" if first > 12 else "MDY"
        if _in_order(c, order):
            proofs.setdefault(sep, set()).add(order)
    return proofs


def _one(orders: set[str] | None) -> str | None:
    return next(iter(orders)) if orders and len(orders) == 1 else None


def _read(c: _Candidate, rules: Rules, proofs: dict[str, set[str]]) -> _Reading | None:
    if c.kind == "iso":  # year first: never ambiguous
        value = _iso_of(c.year, c.first, c.second)
        return _Reading(value) if value else None
    if c.kind == "words":
        value = _iso_of(c.year, month_names(rules.date_languages).get(c.sep.rstrip(".").lower()), c.first)
        return _Reading(value) if value else None
    if c.sep == "." or c.first == c.second or c.first > 12 or c.second > 12:  # one reading only
        if c.sep == ".":  # day first wherever dots are written; 03.25.2024 can only be month first
            order = "DMY" if c.second <= 12 else "MDY"
        else:
            order = "MDY" if c.second > 12 else "DMY"
        value = _in_order(c, order)
        return _Reading(value) if value else None
    default = rules.date_order if rules.date_order in ORDERS else "DMY"  # "YMD" cannot apply: the year is last
    own = proofs.get(c.sep, set())
    order = _one(own) or default
    value, alternative = _in_order(c, order), _in_order(c, "MDY" if order == "DMY" else "DMY")
    if value is None:
        return None
    if _one(own):
        return _Reading(value, None, alternative, order, inferred=True)
    why = "the document's own dates disagree" if own else "the rules' order"
    return _Reading(value, f"ambiguous numeric date {c.words} read as {order} ({why})", alternative, order)


def _window(pages: list[str]) -> list[tuple[int, str]]:
    """(page number, line) of the start of the document, SCAN_CHARS at most."""
    lines: list[tuple[int, str]] = []
    budget = SCAN_CHARS
    for page_no, text in enumerate(pages[:2], start=1):
        if budget <= 0:
            break
        lines += [(page_no, line) for line in text[:budget].splitlines() if line.strip()]
        budget -= len(text)
    return lines


def _label_pattern(labels: tuple[str, ...]) -> re.Pattern | None:
    if not labels:
        return None
    return _compiled_labels(tuple(sorted(labels, key=len, reverse=True)))


@lru_cache(maxsize=16)
def _compiled_labels(labels: tuple[str, ...]) -> re.Pattern:
    alternatives = "|".join(r"\s+".join(re.escape(w) for w in label.split()) for label in labels)
    return re.compile(rf"(?<![^\W_])({alternatives})(?![^\W_])[\s:|,;\-–—]*", re.I)


def _as_configured(written: str, labels: tuple[str, ...]) -> str:
    """The label as the rules spell it ("Raised on" for a "raised  on" in the text)."""
    key = " ".join(written.lower().split())
    return next((label for label in labels if " ".join(label.lower().split()) == key), written)


def _finding(c: _Candidate, r: _Reading, source: str, page: int, line: str, evidence: str | None,
             doubt: str | None = None) -> DateFinding:
    if r.inferred:
        source += ", order from the document's own dates"
    doubtful = "; ".join(d for d in (doubt, r.doubtful) if d) or None
    return DateFinding(r.value, source, page, line.strip()[:LINE_CHARS], c.words, doubtful, r.alternative,
                       evidence, r.order_used)


def find_date(pages: list[str], meta: dict, rules: Rules) -> DateFinding | None:
    """The document's own date: an e-mail's Date header; else the labelled date (first in reading order);
    else the title block's date; else the file's embedded metadata; else, doubtful, the first date."""
    proofs = _proofs(pages)
    everywhere = set().union(*proofs.values()) if proofs else set()
    evidence = _one(everywhere)
    if meta.get("date") and _iso(meta["date"]):
        return DateFinding(str(meta["date"])[:10], "e-mail Date header", evidence=evidence)
    lines = _window(pages)
    langs = rules.date_languages
    labels = _label_pattern(rules.date_labels)
    for page, line in lines if labels else ():
        for m in labels.finditer(line):
            rest = line[m.end():]
            for c in _candidates(rest, langs)[:1]:
                reading = _read(c, rules, proofs) if c.start <= LABEL_GAP else None
                if reading:
                    return _finding(c, reading, f"label '{_as_configured(m.group(1), rules.date_labels)}'", page, line,
                                    _style_evidence(c, proofs, evidence))
    for page, line in [(p, t) for p, t in lines if p == 1][:TITLE_LINES]:
        for c in _candidates(line, langs):
            reading = _read(c, rules, proofs) if _stands_apart(line, c) else None
            if reading:
                return _finding(c, reading, "title block", page, line, _style_evidence(c, proofs, evidence))
    if meta.get("created") and _iso(meta["created"]):
        return DateFinding(str(meta["created"])[:10], "embedded metadata", evidence=evidence)
    for page, line in lines:
        for c in _candidates(line, langs):
            reading = _read(c, rules, proofs)
            if reading:
                return _finding(c, reading, "first date in the text", page, line,
                                _style_evidence(c, proofs, evidence),
                                "no labelled or title-block date: the first date in the text")
    return None


def _stands_apart(line: str, c: _Candidate) -> bool:
    """A title-block date stands on its own or is set off by punctuation ("Munich, 12 March 2024",
    "Minutes | 12.03.2024"); after a word ("Launch 2022-03-10", "due 1 May 2024") it dates an event."""
    before = line[:c.start].rstrip()
    return not before or before[-1] in ",;:|([-–—"


def _style_evidence(c: _Candidate, proofs: dict[str, set[str]], evidence: str | None) -> str | None:
    """What the document proves for the chosen date: for a slash or dash date, its own style's proof."""
    if c.kind == "numeric" and c.sep != ".":
        return _one(proofs.get(c.sep))
    return evidence


def _iso(value) -> bool:
    try:
        return YEARS[0] <= date.fromisoformat(str(value)[:10]).year <= YEARS[1]
    except ValueError:
        return False
