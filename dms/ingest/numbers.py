"""A document's own number and revision, each with its provenance.

The number: the first labelled value of the first page that starts with an identifier ([numbers] labels, see
dms.ingest.labels); else a title line that names its document first ("Change Request CR-…", "Minutes MTG-…");
else, if [numbers] from_file_name allows it, the file name, underscores and spaces read as dashes
("DS_10452_r3.pdf" is DS-10452 Rev 3). An e-mail cites documents and is not one of them: it takes no number from
its file name or subject, and only an e-mail the type rules make a record of some kind (a complaint received
by e-mail) reads its body's labels and title lines.

The revision: the one written right after the number; else a labelled revision of the first page ([revisions]
labels: "Rev. 3", "Revision: 03", "REV B", a "Revision" cell); else the file name's ("_r3", " Rev 3", "rev-b",
"RevB"). Revisions are normalised (dms.revisions) and must fit the family's scheme: one that does not is not
taken, and the provenance says so.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache

from dms.identifiers import IdentifierMatcher, IdMatch
from dms.ingest.labels import HEAD_CHARS, Labelled, labelled
from dms.ingest.provenance import entry
from dms.revisions import fits_scheme, normalize_revision, revision_key
from dms.rules import Rules

TITLE_LINES = 3  # the first non-empty lines of the first page, where a title names its document
_TITLE_WORDS = 2  # at most this many words before the identifier in a title line ("Change Request CR-…")
_MONTH = r"(?:jan|feb|m[aä]r|apr|ma[iy]|jun|jul|aug|sep|o[ck]t|nov|de[cz])[a-zä]*"
# a revision value: a number (03, 1.2) or one letter, or two capitals; never a date ("Rev 12 March 2024")
_VALUE = re.compile(rf"(\d{{1,3}}(?:\.\d{{1,3}}){{0,2}}(?![ \t]+{_MONTH}\.?,?[ \t]+\d{{4}})|(?-i:[A-Z]{{2}})|[A-Za-z])"
                    r"(?![\w-]|[./]\d)", re.IGNORECASE)
_NAME_REVISION = re.compile(r"(?:^|(?<=[\s_.(-]))(?:rev(?:ision)?[\s._-]*(\d{1,3}|[A-Za-z]{1,2})|r(\d{1,3}))"
                            r"(?=[\s_.)-]|$)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Own:
    number: str | None
    revision: str | None
    family: str | None
    sources: dict  # "number" and "revision" entries (dms.ingest.provenance)


def own_name(path: str) -> str:
    """The file's own name: for an attachment ("mail.eml#1:report.pdf") the attachment's."""
    if "#" in path:
        return os.path.basename(re.sub(r"^\d+:", "", path.rsplit("#", 1)[-1]))
    return os.path.basename(path)


def find_own(matcher: IdentifierMatcher, rules: Rules, first_page: str, name: str, *, email: bool,
             record_kind: bool) -> Own:
    """The document's number and revision (see the module docstring). `email`: the file is an e-mail;
    `record_kind`: its type is a kind of record (not correspondence), so an e-mail's body may number it."""
    head = first_page[:HEAD_CHARS]
    if email:
        head = head.split("\n\n", 1)[1] if "\n\n" in head else ""  # the body, not the From/To/Subject block
        if not record_kind:
            return Own(None, None, None, {})
    csv = name.lower().endswith(".csv")
    found = _by_label(matcher, rules, head, csv) or _by_title(matcher, head)
    if found is None and not email and rules.numbers_from_file_name:
        found = _by_name(matcher, name)
    if found is None:
        return Own(None, None, None, {})
    number = found.match
    sources = {"number": found.source}
    revision, rev_source = _revision(matcher, rules, head, name, found, csv)
    if rev_source:
        sources["revision"] = rev_source
    return Own(number.number, revision, number.family, sources)


@dataclass(frozen=True, slots=True)
class _Found:
    match: IdMatch
    source: dict
    after: str  # the text right after the identifier, where its revision may be written


def _by_label(matcher: IdentifierMatcher, rules: Rules, head: str, csv: bool) -> _Found | None:
    for found in labelled(head, rules.number_labels, csv):
        if found.how == "column" and found.rows > 1:
            continue  # a column of several numbers lists documents; none of them is this one
        ids = matcher.find(found.value)
        if ids and ids[0].start == 0 and (found.how != "next line" or ids[0].end == len(found.value)):
            how = {"field": "", "cell": " (table cell)", "column": " (table column)",
                   "next line": " (next line)"}[found.how]
            at = found.words.rfind(found.value)
            words = found.words[: at + ids[0].end] if at >= 0 else found.words
            source = entry(f"label '{found.label}'{how}", page=1, line=found.line, words=words)
            return _Found(ids[0], source, found.value[ids[0].end:])
    return None


def _by_title(matcher: IdentifierMatcher, head: str) -> _Found | None:
    lines = [line for line in head.splitlines() if line.strip()][:TITLE_LINES]
    for line in lines:
        if "|" in line or "," in line:  # a table row or a sentence, not a title
            continue
        # A title names its own document first ("Change Request CR-…", "Minutes MTG-…"); an identifier
        # further on ("Quotation … for order PO-…") is something the document refers to.
        for m in matcher.find(line):
            if len(line[: m.start].split()) <= _TITLE_WORDS:
                return _Found(m, entry("title line", page=1, line=line, words=line[m.start:m.end]), line[m.end:])
    return None


def _by_name(matcher: IdentifierMatcher, name: str) -> _Found | None:
    text = _name_text(name)
    found = matcher.find(text, flexible=True)
    if not found:
        return None
    m = found[0]
    source = entry("file name", line=name, words=text[m.start:m.end], doubtful="only the file name gives the number")
    return _Found(m, source, text[m.end:])


def _name_text(name: str) -> str:
    """The file name as identifiers are read from it: underscores as spaces, without the extension."""
    return os.path.splitext(name)[0].replace("_", " ")


def _revision(matcher: IdentifierMatcher, rules: Rules, head: str, name: str, number: _Found,
              csv: bool) -> tuple[str | None, dict | None]:
    match, scheme = number.match, rules.revision_scheme(number.match.family)
    by_name = number.source["source"] == "file name"
    if match.revision is not None:  # the matcher read it after the number, and checked the scheme
        source = {**number.source, "source": f"after the number ({number.source['source']})"}
        if by_name:
            source["doubtful"] = "only the file name gives the revision"
        return match.revision, source
    rejected: dict | None = None
    for value, source in _candidates(matcher, rules, head, name, number, csv):
        if source["doubtful"]:
            source = {**source, "doubtful": "only the file name gives the revision"}
        if value and fits_scheme(value, scheme):
            return value, source
        if rejected is None:
            rejected = {**source, "doubtful": f"{value!r} is not a {scheme} revision, as the rules say "
                                              f"{match.family} revisions are; not taken"}
    return None, rejected


def _candidates(matcher: IdentifierMatcher, rules: Rules, head: str, name: str, number: _Found, csv: bool):
    """(normalised revision, provenance) in the order they are tried: after the number (those the matcher
    did not take, for not fitting the scheme), labelled fields and cells, table columns, the file name."""
    after = _after_regex(rules.revision_labels).match(number.after)
    if after:
        value = after.group("value") or after.group("r") or after.group("paren")
        where = number.source["source"]
        yield normalize_revision(value), {**number.source, "source": f"after the number ({where})",
                                          "words": f"{number.source['words']}{after.group(0)}"}
    columns: list[Labelled] = []
    for found in labelled(head, rules.revision_labels, csv):
        if found.how == "column":
            columns.append(found)
            continue
        m = (_VALUE.fullmatch if found.how == "next line" else _VALUE.match)(found.value)
        if m:
            how = {"field": "", "cell": " (table cell)", "next line": " (next line)"}[found.how]
            yield normalize_revision(m.group(1)), entry(f"label '{found.label}'{how}", page=1, line=found.line,
                                                        words=found.words)
    for found in columns:  # a revision column: the highest revision in it (a revision history's last)
        values = [normalize_revision(m.group(1)) for v in found.column if (m := _VALUE.fullmatch(v.strip()))]
        if values:
            best = max(values, key=revision_key)
            yield best, entry(f"label '{found.label}' (table column)", page=1, line=found.line, words=found.words)
    yield from _from_name(matcher, name, number.match)


@lru_cache(maxsize=8)
def _after_regex(labels: tuple[str, ...]) -> re.Pattern:
    label = "|".join(r"[ \t]+".join(map(re.escape, w.split())) for w in sorted(labels, key=len, reverse=True))
    return re.compile(rf"[ \t]*(?:[,/|_-][ \t]*)?(?:(?:{label})(?![^\W\d_])[ \t.:#-]*(?P<value>{_VALUE.pattern})"
                      rf"|r(?P<r>\d{{1,3}})(?![\w-])|\((?P<paren>(?-i:[A-Z]))\))", re.IGNORECASE)


def _from_name(matcher: IdentifierMatcher, name: str, number: IdMatch):
    text = _name_text(name)
    found = matcher.find(text, flexible=True)
    ours = [m for m in found if m.number == number.number]
    if found and not ours:
        return  # the name is another document's
    tail = text[ours[0].end:] if ours else text
    if ours and ours[0].revision:
        value, words = ours[0].revision, text[ours[0].start:ours[0].end]
    else:
        m = _NAME_REVISION.search(tail)
        if not m:
            return
        value, words = normalize_revision(m.group(1) or m.group(2)), m.group(0)
    yield value, entry("file name", line=name, words=words, doubtful="only the file name gives the revision")
