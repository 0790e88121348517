"""How a document is named to people: its number and revision before its title, the same on every page.

    heading("SPEC-KX200-02", "C", "Kettle KX200 Electrical Specification")
        -> "SPEC-KX200-02 Rev C · Kettle KX200 Electrical Specification"

Revisions of one specification share a title; the number and revision are what tell them apart. A title
that already names the number (a letter's subject line quoting it) is not repeated.
"""

from __future__ import annotations

from collections.abc import Mapping


def identity(number: str | None, revision: str | None) -> str:
    """ "SPEC-KX200-02 Rev C", "CR-2023-003", or "" when the document has no number."""
    if not number:
        return ""
    return f"{number} Rev {revision}" if revision else number


def heading(number: str | None, revision: str | None, title: str | None, fallback: str = "") -> str:
    """The line that names a document: identity · title, or whichever of them exists, else `fallback`
    (the file name)."""
    ident = identity(number, revision)
    title = (title or "").strip()
    if ident and title:
        if ident.casefold() in title.casefold() or (not revision and number.casefold() in title.casefold()):
            return title
        return f"{ident} · {title}"
    return title or ident or fallback


def heading_of(thing: object, fallback: str = "") -> str:
    """`heading` of anything with number/revision/title, as attributes or keys (a version, a hit, a row);
    a document's current version is looked up under `.version`."""
    version = getattr(thing, "version", None)
    if version is not None and not isinstance(thing, Mapping):
        fallback = fallback or getattr(thing, "name", "") or ""
        thing = version

    def get(key: str):
        return thing.get(key) if isinstance(thing, Mapping) else getattr(thing, key, None)

    return heading(get("number"), get("revision"), get("title"), fallback or get("name") or get("path") or "")
