"""Units of quantity: the one home of the names dms reads and the canonical unit each converts to.

A plan, a stock report or an order may write `pcs`, `pieces`, `ea`, `Stk`, `kg`, `g`, `m`, `mm`, `l` …;
quantities are compared in the canonical unit of their dimension. An unknown unit is an error where a person
wrote it (a plan workbook), and a skipped row with a problem where a report did.
"""

from __future__ import annotations

# name (lower case) -> (canonical unit, factor to it)
UNITS: dict[str, tuple[str, float]] = {
    **{n: ("pcs", 1.0) for n in ("pcs", "pc", "piece", "pieces", "ea", "each", "unit", "units", "stk", "stück",
                                 "st", "nos", "no", "x", "")},
    **{n: ("pcs", 12.0) for n in ("dozen", "doz")},
    **{n: ("pcs", 100.0) for n in ("hundred",)},
    **{n: ("pcs", 1000.0) for n in ("thousand", "k pcs", "kpcs", "1000 pcs")},
    **{n: ("kg", 1.0) for n in ("kg", "kgs", "kilogram", "kilograms", "kilo")},
    **{n: ("kg", 0.001) for n in ("g", "gram", "grams")},
    **{n: ("kg", 1000.0) for n in ("t", "tonne", "tonnes", "ton")},
    **{n: ("m", 1.0) for n in ("m", "metre", "metres", "meter", "meters", "lfm")},
    **{n: ("m", 0.01) for n in ("cm",)},
    **{n: ("m", 0.001) for n in ("mm",)},
    **{n: ("m", 1000.0) for n in ("km",)},
    **{n: ("l", 1.0) for n in ("l", "litre", "litres", "liter", "liters", "ltr")},
    **{n: ("l", 0.001) for n in ("ml",)},
    **{n: ("m2", 1.0) for n in ("m2", "m²", "sqm")},
}


class UnknownUnit(ValueError):
    """A unit name dms does not know; the message lists what it knows."""


def canonical(unit: object) -> tuple[str, float]:
    """(canonical unit, factor) for a unit as written; an empty cell counts as pieces. UnknownUnit if unknown."""
    name = " ".join(str(unit or "").strip().lower().rstrip(".").split())
    if name in UNITS:
        return UNITS[name]
    known = ", ".join(sorted({u for u, _ in UNITS.values()}))
    raise UnknownUnit(f"unknown unit {str(unit).strip()!r}: dms knows {known} and their usual names "
                      "(pieces, each, g, mm, litres …)")


def convert(quantity: float, unit: object) -> tuple[float, str]:
    """The quantity in its canonical unit."""
    to, factor = canonical(unit)
    return quantity * factor, to
