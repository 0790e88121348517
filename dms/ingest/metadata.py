"""Deriving catalog metadata from what an extractor read: type, date, number, revision, products, parties."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePath

from dms.identifiers import IdentifierMatcher, index_token
from dms.ingest.registry import Raw
from dms.ingest.rules import Rules
from dms.model import Reference

_MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), start=1)}
_MONTHS.update({k[:3]: v for k, v in list(_MONTHS.items())})
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE_PATTERNS = [
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), "ymd"),
    (re.compile(r"\b(\d{4})/(\d{1,2})/(\d{1,2})\b"), "ymd"),
    (re.compile(rf"\b(\d{{1,2}})\.?\s+({_MONTH_RE})\.?,?\s+(\d{{4}})\b", re.IGNORECASE), "dmy-name"),
    (re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}}),?\s+(\d{{4}})\b", re.IGNORECASE), "mdy-name"),
    (re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b"), "dmy"),
]
_DATE_LABEL = re.compile(
    r"(?im)^[ \t*#>|-]*(?:date|dated|issued|issue date|meeting date|date of meeting|effective date|received)"
    r"[ \t]*[:.|][ \t|]*(.{6,40})$"
)
_NUMBER_LABEL = re.compile(
    r"(?im)^[ \t*#>|-]*(?:document\s*(?:no|number|id)|doc\.?\s*no|number|reference|ref\.?|"
    r"change request|contract no|complaint no|report no)\.?[ \t]*[:#|][ \t|]*(.+)$"
)
_REVISION_LABEL = re.compile(r"(?im)^[ \t*#>|-]*rev(?:ision)?\.?[ \t]*[:|][ \t|]*([A-Z]{1,2}|\d{1,2})\b")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


SNIPPET_CHARS = 60  # either side of a reference


def references(pages: list[str], title: str, matcher: IdentifierMatcher, own: tuple[str | None, str | None]):
    """Every identifier cited in the title (page 0) and the pages, with provenance; not the document's own."""
    found = []
    for page_no, text in enumerate([title, *pages]):
        for m in matcher.find(text):
            if (m.number, m.revision) == own or (m.number == own[0] and m.revision is None):
                continue
            start, end = max(0, m.start - SNIPPET_CHARS), m.end + SNIPPET_CHARS
            words = text[start:end].split()
            if start > 0 and len(words) > 1 and not text[start - 1].isspace():
                words = words[1:]  # a word cut by the window
            if end < len(text) and len(words) > 1 and not text[end].isspace():
                words = words[:-1]
            snippet = " ".join(words)
            found.append(Reference(m.family, m.number, m.revision, page_no, m.start, snippet))
    return tuple(found)


@dataclass(frozen=True, slots=True)
class Derived:
    doc_type: str
    doc_date: str | None
    date_source: str | None
    number: str | None
    revision: str | None
    products: tuple[str, ...]
    parties: tuple[str, ...]
    refs: tuple[str, ...]
    references: tuple[Reference, ...]
    sources: dict = field(default_factory=dict)  # field -> where its value came from (see SPEC: provenance)


def parse_date(text: str) -> date | None:
    for regex, form in _DATE_PATTERNS:
        m = regex.search(text)
        if not m:
            continue
        a, b, c = m.groups()
        try:
            if form == "ymd":
                return date(int(a), int(b), int(c))
            if form == "dmy":
                return date(int(c), int(b), int(a))
            if form == "dmy-name":
                return date(int(c), _MONTHS[b.lower()], int(a))
            return date(int(c), _MONTHS[a.lower()], int(b))
        except ValueError:
            continue
    return None


def _plausible(d: date | None) -> bool:
    return d is not None and 1970 <= d.year <= 2100


def find_date(raw: Raw, first_page: str) -> tuple[str | None, str | None]:
    """The best evidence of a document's date, and where it came from."""
    if raw.meta.get("date"):
        return raw.meta["date"], "e-mail Date header"
    for m in _DATE_LABEL.finditer(first_page[:4000]):
        d = parse_date(m.group(1))
        if _plausible(d):
            return d.isoformat(), "dated line in the text"
    if raw.meta.get("created"):
        return raw.meta["created"], "embedded metadata"
    d = parse_date(first_page[:4000])
    if _plausible(d):
        return d.isoformat(), "first date in the text"
    return None, None


def classify(rules: Rules, name: str, path: str, first_page: str) -> str:
    head = first_page[:2000]
    for rule in rules.types:
        if rule.name and not rule.name.search(name):
            continue
        if rule.path and not rule.path.search(path):
            continue
        if rule.content and not rule.content.search(head):
            continue
        return rule.doc_type
    return "other"


def derive(raw: Raw, path: str, rules: Rules) -> Derived:
    name = PurePath(path.split("#", 1)[-1]).name if "#" in path else PurePath(path).name
    matcher = IdentifierMatcher(rules)
    first = raw.pages[0] if raw.pages else ""
    full = "\n".join(raw.pages)
    title = raw.title or ""

    number = revision = None
    for m in _NUMBER_LABEL.finditer(first[:3000]):
        found = matcher.find(m.group(1))
        if found and found[0].start <= 2:
            number, revision = found[0].number, found[0].revision
            break
    if number is None:
        found = matcher.find(name.replace("_", " "))
        if found:
            number, revision = found[0].number, found[0].revision
    if number is None and "subject" not in raw.meta:  # an e-mail's subject names what it is about, not itself
        lines = [line for line in first.splitlines() if line.strip()][:3]  # title lines, maybe a page header
        for line in (line for line in lines if "|" not in line and "," not in line):  # not table rows
            # A title names its own document first ("Change Request CR-…", "Minutes MTG-…"); an identifier
            # further on ("Quotation … for order PO-…") is something the document refers to.
            found = [m for m in matcher.find(line) if len(line[: m.start].split()) <= 2]
            if found:
                number, revision = found[0].number, found[0].revision
                break
    if number and revision is None:
        rev = _REVISION_LABEL.search(first[:3000])
        if rev:
            revision = rev.group(1).upper()

    cited = references(raw.pages, title, matcher, (number, revision))
    refs: dict[str, None] = {}
    for ref in cited:
        refs[index_token(ref.number, ref.revision)] = None
        if ref.revision:
            refs[ref.number.lower()] = None

    products = sorted(
        {p.upper() for p in re.findall(rules.product_pattern, f"{name}\n{title}\n{full}")}
        - rules.product_exclude
    )
    parties: dict[str, None] = {}
    for key in ("from", "to", "cc"):
        for person in raw.meta.get(key, []):
            parties[person] = None
    lowered = full.lower()
    for party in rules.parties:
        if party.lower() in lowered:
            parties[party] = None
    doc_date, date_source = find_date(raw, first)
    return Derived(
        doc_type=classify(rules, name, path, first),
        doc_date=doc_date,
        date_source=date_source,
        number=number,
        revision=revision,
        products=tuple(products),
        parties=tuple(parties),
        refs=tuple(refs),
        references=cited,
    )
