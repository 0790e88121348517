"""The products a document is about and the parties it names, each with its provenance.

Products: codes matching [products] pattern in the file name, the title and the text (less [products] exclude),
and the names and old codes of [products.aliases] (whole words, case-insensitive, any run of spaces between
their words) as the codes they stand for. Parties: the e-mail's From, To and Cc (each with the organisation
[parties.organisations] maps its address or domain to), then the [parties] names found in the text.
"""

from __future__ import annotations

import re
from email.utils import parseaddr
from functools import lru_cache

from dms.ingest.provenance import entry, line_at
from dms.rules import Rules


@lru_cache(maxsize=8)
def _pattern(pattern: str) -> re.Pattern:
    return re.compile(pattern)


@lru_cache(maxsize=8)
def _aliases(aliases: tuple[tuple[str, str], ...]) -> tuple[re.Pattern | None, dict[str, str]]:
    if not aliases:
        return None, {}
    codes = {" ".join(name.casefold().split()): code for name, code in aliases}
    names = sorted((name.split() for name, _ in aliases), key=lambda w: -len(" ".join(w)))
    alternatives = "|".join(r"\s+".join(re.escape(w) for w in words) for words in names)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE), codes


def find_products(rules: Rules, name: str, title: str, pages: list[str]) -> tuple[list[str], dict | None]:
    """Sorted product codes, and where the first was found."""
    places = [(None, name), (None, title), *((n, page) for n, page in enumerate(pages, start=1))]
    found: dict[str, tuple] = {}  # code -> (page, text, start, words, how)
    regex = _pattern(rules.product_pattern)
    alias_regex, codes = _aliases(rules.product_aliases)
    for page, text in places:
        if not text:
            continue
        hits = regex.findall(text) if regex.groups == 0 else [m.group(0) for m in regex.finditer(text)]
        for written in sorted(set(hits), key=text.find):  # each code once, in the order met
            code = written.upper()
            if code not in rules.product_exclude:
                found.setdefault(code, (page, text, text.find(written), written, "product code"))
        if alias_regex is not None:
            for m in alias_regex.finditer(text):
                written = " ".join(m.group(0).split())
                code = codes.get(written.casefold())
                if code is None:  # a case-insensitive match that folds differently (ſ, ß): not the alias
                    continue
                if code not in rules.product_exclude:
                    found.setdefault(code, (page, text, m.start(), written, f"alias '{written}'"))
    if not found:
        return [], None
    products = sorted(found)
    page, text, start, _, how = min(found.values(), key=lambda f: (f[0] or 0, f[2] if f[0] else 0))
    where = "file name" if text is name else "title" if text is title else None
    source = entry(f"{how} in the {where}" if where else how, page=page,
                   line=line_at(text, start) if where is None else text,
                   words=", ".join(f[3] for f in found.values()))
    return products, source


def organisation_of(rules: Rules, identity: str) -> str | None:
    """The organisation [parties.organisations] maps an e-mail identity to ("Anna <anna@nordlicht.example>"):
    by its whole address first, then by its domain or a domain above it (mail.nordlicht.example)."""
    address = parseaddr(identity)[1].strip().lower()
    if "@" not in address:
        return None
    table = dict(rules.party_organisations)
    if address in table:
        return table[address]
    labels = address.rpartition("@")[2].split(".")
    for start in range(len(labels) - 1):
        organisation = table.get(".".join(labels[start:]))
        if organisation:
            return organisation
    return None


def find_parties(rules: Rules, meta: dict, pages: list[str]) -> tuple[list[str], dict | None]:
    """Parties (e-mail headers first, each followed by the organisation [parties.organisations] maps it to,
    then the [parties] names in their order), and where they came from."""
    parties: dict[str, None] = {}
    mapped = False
    for key in ("from", "to", "cc"):
        for person in meta.get(key, []):
            parties[person] = None
            organisation = organisation_of(rules, person) if rules.party_organisations else None
            if organisation:
                parties[organisation] = None
                mapped = True
    headers = list(parties)
    lowered = [page.lower() for page in pages]
    first = None  # (page, at) of the first name found in the text
    for party in rules.parties:
        needle = party.lower()
        for page_no, text in enumerate(lowered, start=1):
            at = text.find(needle)
            if at >= 0:
                parties[party] = None
                first = first or (page_no, at)
                break
    if not parties:
        return [], None
    words = ", ".join(parties)
    if headers:
        how = "e-mail headers" + (" (organisations by [parties.organisations])" if mapped else "")
        return list(parties), entry(how + (" and party names" if first else ""), words=words)
    page_no, at = first
    return list(parties), entry("party names", page=page_no, line=line_at(pages[page_no - 1], at), words=words)
