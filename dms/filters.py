"""Filters that refine a search, kept apart from the query text: type, product, party, year and a date range.

On the search page they are URL parameters of their own, so each shows as a chip that can be removed:

    /search?q=lid&f=type:minutes&f=product:KX200&from=2023-01&to=2023-06

Values of one field are alternatives (type minutes OR report), different fields all apply (AND). A filter is
a query of dms's own language (`type:minutes`, `party:"Helix Components GmbH"`, `date:[2023-01 to 2023-06]`)
run on the engine, so it means exactly what the facets count; the query text is searched within the
documents the filters select, and the facets then count the refined list. Searching with them is the search
door's (`dms.search.search(dms, query, filters=...)`); this module only reads and writes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dms.errors import UsageError

FIELDS = ("type", "product", "party", "year")  # the facets a filter can come from, in chip order
PAGE_SIZES = (10, 20, 50, 100)  # result rows per page the search page offers
# every parameter the search page reads; a saved view keeps these (not the page number)
SEARCH_PARAMS = ("q", "f", "from", "to", "sort", "limit", "as_of")
_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
MAX_FILTERS = 20  # filters on one search (each is a term of the query the engine runs)


@dataclass(frozen=True, slots=True)
class Chip:
    """One active filter as shown: its label, and the filters left when it is removed."""

    field: str
    value: str
    label: str
    without: Filters


@dataclass(frozen=True, slots=True)
class Filters:
    terms: tuple[tuple[str, str], ...] = ()  # (field, value), in the order chosen, no repeats
    date_from: str | None = None  # YYYY, YYYY-MM or YYYY-MM-DD
    date_to: str | None = None

    def __bool__(self) -> bool:
        return bool(self.terms or self.date_from or self.date_to)

    def has(self, field: str, value: str) -> bool:
        return (field, _norm(field, value)) in self.terms

    def toggled(self, field: str, value: str) -> Filters:
        """These filters with field:value added, or removed if it is on already (a facet click)."""
        pair = (field, _norm(field, value))
        terms = tuple(t for t in self.terms if t != pair) if pair in self.terms else (*self.terms, pair)
        return Filters(terms, self.date_from, self.date_to)

    def params(self) -> dict[str, object]:
        """As URL parameters (for query_url): f is a list, from/to None when unset."""
        return {"f": [f"{k}:{v}" for k, v in self.terms] or None, "from": self.date_from, "to": self.date_to}

    def query(self) -> str:
        """The engine query selecting what these filters allow ("" when there are none)."""
        parts = []
        for field in FIELDS:
            values = [_term(field, v) for k, v in self.terms if k == field]
            if values:
                parts.append(values[0] if len(values) == 1 else "(" + " OR ".join(values) + ")")
        if self.date_from or self.date_to:
            parts.append(f"date:[{self.date_from or '*'} to {self.date_to or '*'}]")
        return " ".join(parts)

    def chips(self) -> list[Chip]:
        out = [Chip(k, v, f"{k}: {v}", Filters(tuple(t for t in self.terms if t != (k, v)), self.date_from,
                                                 self.date_to)) for k, v in self.terms]
        if self.date_from or self.date_to:
            label = f"date: {self.date_from or '…'} – {self.date_to or '…'}"
            out.append(Chip("date", f"{self.date_from or ''}..{self.date_to or ''}", label, Filters(self.terms)))
        return out


def _norm(field: str, value: str) -> str:
    value = " ".join(value.split())
    return value.upper() if field == "product" else value


def _term(field: str, value: str) -> str:
    """field:value, quoted when the value holds spaces or query syntax: a filter matches exactly, never as a
    wildcard (party:Pol* is the party named so, not every party starting Pol)."""
    return f'{field}:"{value}"' if re.search(r"[\s():\[\]*~?]", value) else f"{field}:{value}"


def parse(f: list[str] | tuple[str, ...] = (), date_from: str = "", date_to: str = "") -> Filters:
    """Filters from the page's parameters; a malformed one is a UsageError naming it."""
    terms: list[tuple[str, str]] = []
    for raw in f:
        field, sep, value = raw.partition(":")
        field, value = field.strip().lower(), _norm(field.strip().lower(), value)
        if not sep or field not in FIELDS or not value:
            raise UsageError(f"a filter is field:value with field one of {', '.join(FIELDS)}, not {raw!r}")
        if '"' in value or "\\" in value:
            raise UsageError(f"a filter value cannot hold quotes or backslashes: {raw!r}")
        if field == "year" and not re.fullmatch(r"\d{4}", value):
            raise UsageError(f"a year filter is four digits, not {value!r}")
        if (field, value) not in terms:
            terms.append((field, value))
    if len(terms) > MAX_FILTERS:
        raise UsageError(f"at most {MAX_FILTERS} filters at once")
    dates = []
    for name, raw in (("from", date_from), ("to", date_to)):
        raw = (raw or "").strip()
        if raw and not _DATE.fullmatch(raw):
            raise UsageError(f"the {name} date is YYYY, YYYY-MM or YYYY-MM-DD, not {raw!r}")
        dates.append(raw or None)
    if dates[0] and dates[1] and dates[0] > dates[1]:
        raise UsageError(f"the date range ends ({dates[1]}) before it starts ({dates[0]})")
    return Filters(tuple(terms), dates[0], dates[1])

