"""Recognising and normalising identifiers such as CR-2023-014 or SPEC-KX200-03 Rev B.

Normal form: upper case, runs of spaces/underscores/dashes inside the identifier become
one dash (`cr 2023 014` -> `CR-2023-014`), and a revision is kept apart in the normal form of
dms.revisions (`SPEC-KX200-03 rev. b` -> number `SPEC-KX200-03`, revision `B`; `DS-10452 Revision 03`
-> `DS-10452`, `3`). In the index an identifier with a revision is the token `spec-kx200-03@b`.

A revision is read right after an identifier in the forms people write (the labels come from the rules'
[revisions] labels): `Rev. 3`, `Rev 3`, `Revision 03`, `REV B`, `rev-b`, `rev.b`, `Rev3`, `, Rev. C`,
`/Rev B`, `(Rev. B)`, `_r3`, `-r3`, ` r3` (r and digits only) and `(B)` (one capital letter only: a `(3)`
after a number says too little). A reference a person types (`fullmatch`, search queries) may also write
`DS-10452/3`. A revision counts only when it fits the family's revision scheme ([families.revisions]).
Words after a label are not revisions (`Revision history`), nor is a date (`REV 2024-03-12`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from dms.revisions import fits_scheme, normalize_revision
from dms.rules import Rules

# a revision value ends where a word, code, number or date would go on (`3-A`, `12.03.2024`, `3/4/24`)
_TAIL = r"(?![\w-]|[./]\d)"
_NUMERIC = r"\d{1,3}(?:\.\d{1,3}){0,2}"
_LETTERS = r"(?:(?-i:[A-Z]{2})|[A-Z])"  # two letters only in capitals: `Rev AA`, never `revision in progress`
# "REV 12 March 2024" is a date, not revision 12 (month names of English and German)
_MONTH = r"(?:jan|feb|m[aä]r|apr|ma[iy]|jun|jul|aug|sep|o[ck]t|nov|de[cz])[a-zä]*"
_NOT_DATE = rf"(?![ \t]+{_MONTH}\.?,?[ \t]+\d{{4}})"
_VALUE = re.compile(r"(\d+(?:\.\d+)*|[A-Za-z]+)[ \t)]*$")


@dataclass(frozen=True, slots=True)
class IdMatch:
    family: str
    number: str  # normal form, without revision
    revision: str | None
    start: int
    end: int

    @property
    def token(self) -> str:
        return index_token(self.number, self.revision)


def index_token(number: str, revision: str | None = None) -> str:
    return f"{number}@{revision}".lower() if revision else number.lower()


def _flexible(pattern: str) -> str:
    """Let the literal dashes of a pattern (not those in [A-Z] classes) also match spaces or underscores."""
    out, in_class, escaped = [], False, False
    for ch in pattern:
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "\\":
            out.append(ch)
            escaped = True
        elif ch == "[":
            in_class = True
            out.append(ch)
        elif ch == "]":
            in_class = False
            out.append(ch)
        elif ch == "-" and not in_class:
            out.append(r"[-_ ]+")
        else:
            out.append(ch)
    return "".join(out)


@dataclass(frozen=True)
class IdentifierMatcher:
    rules: Rules

    def find(self, text: str, flexible: bool = False) -> list[IdMatch]:
        """The identifiers in `text`, each with the revision written right after it (normalised, and only when
        it fits the family's scheme). `flexible`: a reference a person types (spaces or underscores for dashes,
        and `DS-10452/3`); never for running text."""
        rules = self.rules
        regex = _regex(rules.identifiers, rules.revision_labels, strict=not flexible)
        out = []
        for m in regex.finditer(text):
            family = m.lastgroup or "id"
            id_end = m.end(family) if m.lastgroup else m.end()
            revision, end = None, id_end
            if m.end() > id_end:
                value = normalize_revision(_VALUE.search(text, id_end, m.end()).group(1))
                if value and fits_scheme(value, rules.revision_scheme(family)):
                    revision, end = value, m.end()
            out.append(IdMatch(family, normalize_number(text[m.start():id_end]), revision, m.start(), end))
        return out

    def fullmatch(self, text: str) -> IdMatch | None:
        """The identifier (with its revision) that is the whole of `text`, as a person types it."""
        text = text.strip()
        found = self.find(text, flexible=True)
        if len(found) == 1 and found[0].start == 0 and found[0].end == len(text):
            return found[0]
        return None


def _revision_suffix(labels: tuple[str, ...], typed: bool) -> str:
    """The ways a revision is written right after an identifier (see the module docstring)."""
    label = "|".join(re.escape(word) for word in sorted(labels, key=len, reverse=True))
    # a label, then its value: digits may follow at once (`Rev3`), letters only after a space, dot, colon or
    # dash (`rev.b`; never the `s` of `Revs`)
    labelled = rf"(?:{label})\.?[ \t]*[:#-]?[ \t]*(?:{_NUMERIC}{_NOT_DATE}|(?<![A-Za-z]){_LETTERS}){_TAIL}"
    forms = [
        rf"(?:[ \t]*[,/|_-][ \t]*|[ \t]+){labelled}",  # Rev. 3, , Rev. C, /Rev B, _Rev3
        rf"[ \t]*\([ \t]*{labelled}[ \t]*\)",  # (Rev. B)
        rf"(?:[_-]|[ \t]+)r\d{{1,3}}{_TAIL}",  # _r3, -r3, r3
        r"[ \t]*\((?-i:[A-Z])\)",  # (B)
    ]
    if typed:
        forms.append(rf"/(?:{_NUMERIC}|[A-Z]{{1,2}}){_TAIL}")  # DS-10452/3
    return "|".join(forms)


@lru_cache(maxsize=8)
def _regex(identifiers: tuple[tuple[str, str], ...], labels: tuple[str, ...], strict: bool) -> re.Pattern:
    alternatives = "|".join(
        f"(?P<{family}>{pattern if strict else _flexible(pattern)})" for family, pattern in identifiers
    )
    suffix = _revision_suffix(labels, typed=not strict)
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?:{suffix})?(?![\w-])", re.IGNORECASE)


_SEPARATORS = re.compile(r"[-_ \t]+")


def normalize_number(raw: str) -> str:
    return _SEPARATORS.sub("-", raw.strip()).upper()
