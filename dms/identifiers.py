"""Recognising and normalising identifiers such as CR-2023-014 or SPEC-KX200-03 Rev B.

Normal form: upper case, runs of spaces/underscores/dashes inside the identifier become
one dash (`cr 2023 014` -> `CR-2023-014`), and a revision is kept apart and upper-cased
(`SPEC-KX200-03 rev. b` -> number `SPEC-KX200-03`, revision `B`). In the index an
identifier with a revision is the token `spec-kx200-03@b`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from dms.ingest.rules import Rules

_REVISION = re.compile(r"[ \t,]*\(?(?:rev(?:ision)?)\.?[ \t]*([A-Z]{1,2}|\d{1,2})\)?(?![\w])", re.IGNORECASE)


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
        regex = _regex(self.rules.identifiers, strict=not flexible)
        out = []
        for m in regex.finditer(text):
            family = m.lastgroup or "id"
            number = normalize_number(m.group(0))
            rev = _REVISION.match(text, m.end())
            revision, end = (rev.group(1).upper(), rev.end()) if rev else (None, m.end())
            out.append(IdMatch(family, number, revision, m.start(), end))
        return out

    def fullmatch(self, text: str) -> IdMatch | None:
        text = text.strip()
        found = self.find(text, flexible=True)
        if len(found) == 1 and found[0].start == 0 and found[0].end == len(text):
            return found[0]
        return None


@lru_cache(maxsize=8)
def _regex(identifiers: tuple[tuple[str, str], ...], strict: bool) -> re.Pattern:
    alternatives = "|".join(
        f"(?P<{family}>{pattern if strict else _flexible(pattern)})" for family, pattern in identifiers
    )
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE)


def normalize_number(raw: str) -> str:
    return re.sub(r"[-_ \t]+", "-", raw.strip()).upper()
