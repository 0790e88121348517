"""Deriving catalog metadata from what an extractor read: type, date, number, revision, products, parties,
each with its provenance (`Derived.sources`, see dms.ingest.provenance).

The parts live in their own modules: the number and revision in dms.ingest.numbers (labels read by
dms.ingest.labels), products and parties in dms.ingest.products, the date in dms.ingest.dates. Regular
expressions are compiled once per rules; the head of the first page is all most fields look at.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dms.identifiers import IdentifierMatcher, index_token
from dms.ingest import dates
from dms.ingest.numbers import find_own, own_name
from dms.ingest.products import find_parties, find_products
from dms.ingest.provenance import entry, line_at
from dms.ingest.registry import Raw
from dms.model import Reference
from dms.rules import Rules

SNIPPET_CHARS = 60  # either side of a reference
TYPE_CHARS = 2000  # type rules' content tests read this much of the first page
_EMAIL_SUFFIXES = (".eml", ".msg")
NOT_RECORDS = ("correspondence", "other")  # types an e-mail has when it is only a message: it has no number


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


def is_email(raw: Raw, name: str) -> bool:
    """An e-mail (.eml, .msg, or a message's headers in the metadata): it cites documents, it is not one."""
    return name.lower().endswith(_EMAIL_SUFFIXES) or "message_id" in raw.meta or "from" in raw.meta


def classify(rules: Rules, name: str, path: str, first_page: str) -> tuple[str, dict]:
    """The first [[types]] rule whose tests all match, and which one it was."""
    head = first_page[:TYPE_CHARS]
    for number, rule in enumerate(rules.types, start=1):
        tests = (("name", rule.name, name), ("path", rule.path, path), ("content", rule.content, head))
        matches = []
        for kind, regex, text in tests:
            if regex is None:
                continue
            m = regex.search(text)
            if m is None:
                break
            matches.append((kind, regex, text, m))
        else:
            said = " and ".join(f"{kind} '{regex.pattern}'" for kind, regex, _, _ in matches)
            kind, _, text, m = matches[-1]
            line = line_at(text, m.start()) if kind == "content" else text
            return rule.doc_type, entry(f"rule {number} ({said})", page=1 if kind == "content" else None,
                                        line=line, words=m.group(0))
    return "other", entry("no rule matched")


def derive(raw: Raw, path: str, rules: Rules) -> Derived:
    name = own_name(path)
    matcher = IdentifierMatcher(rules)
    pages = list(raw.pages)
    first = pages[0] if pages else ""
    title = raw.title or ""
    sources: dict[str, dict] = {}

    doc_type, sources["type"] = classify(rules, name, path, first)
    own = find_own(matcher, rules, first, name, email=is_email(raw, name), record_kind=doc_type not in NOT_RECORDS)
    sources.update(own.sources)
    cited = references(pages, title, matcher, (own.number, own.revision))
    refs: dict[str, None] = {}
    for ref in cited:
        refs[index_token(ref.number, ref.revision)] = None
        if ref.revision:
            refs[ref.number.lower()] = None

    products, products_source = find_products(rules, name, title, pages)
    parties, parties_source = find_parties(rules, raw.meta, pages)
    for key, source in (("products", products_source), ("parties", parties_source)):
        if source:
            sources[key] = source
    found = dates.find_date(pages, raw.meta, rules)
    doc_date = date_source = None
    if found is not None:
        doc_date, sources["date"] = found.value, found.to_source()
        date_source = sources["date"]["source"]
    return Derived(
        doc_type=doc_type,
        doc_date=doc_date,
        date_source=date_source,
        number=own.number,
        revision=own.revision,
        products=tuple(products),
        parties=tuple(parties),
        refs=tuple(refs),
        references=cited,
        sources=sources,
    )
