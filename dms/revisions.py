"""Revisions: their one normal form and their one order, for every place that compares them.

Numeric revisions are normalised to their value (`03` -> `3`) and ordered as numbers (2 < 10); letter
revisions are upper case and ordered A < B < ... < Z < AA < AB (by length, then letters); dotted ones
(`1.2`) part by part. A revision scheme per identifier family ([families.revisions] in the rules:
letter, numeric or any) says which of these forms count as a revision of that family's documents.
"""

from __future__ import annotations

import re

_NUMERIC = re.compile(r"\d{1,3}")
_LETTERS = re.compile(r"[A-Z]{1,2}")
_DOTTED = re.compile(r"\d{1,3}(?:\.\d{1,3})+")


def normalize_revision(text: str | None) -> str | None:
    """`03` -> `3`, `b` -> `B`, `1.02` -> `1.2`; None or blank -> None."""
    if text is None:
        return None
    value = text.strip().upper()
    if not value:
        return None
    if _NUMERIC.fullmatch(value):
        return str(int(value))
    if _DOTTED.fullmatch(value):
        return ".".join(str(int(part)) for part in value.split("."))
    return value


def fits_scheme(revision: str, scheme: str) -> bool:
    """Whether a normalised revision is written the way a family's scheme writes revisions."""
    if scheme == "letter":
        return bool(_LETTERS.fullmatch(revision))
    if scheme == "numeric":
        return bool(_NUMERIC.fullmatch(revision) or _DOTTED.fullmatch(revision))
    return bool(_LETTERS.fullmatch(revision) or _NUMERIC.fullmatch(revision) or _DOTTED.fullmatch(revision))


def revision_key(revision: str | None) -> tuple:
    """The sort key of a revision: none first, then numbers by value, then letters A..Z, AA.., then the rest."""
    value = normalize_revision(revision)
    if value is None:
        return (0,)
    if _NUMERIC.fullmatch(value) or _DOTTED.fullmatch(value):
        return (1, tuple(int(part) for part in value.split(".")))
    if _LETTERS.fullmatch(value):
        return (2, len(value), value)
    return (3, value)
