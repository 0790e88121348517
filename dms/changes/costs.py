"""The costs of a change request and their units: one vocabulary for the assessment form, the request's page, the
request as filed and the assessment report (and the retrospective's columns).

The recurring cost is per unit produced, as the archive's own requests state it ("Recurring cost | EUR 0.22 per
unit"), never per year.
"""

from __future__ import annotations

CURRENCY = "EUR"
COSTS = {  # field -> (name, unit)
    "cost_once": ("One-off cost", CURRENCY),
    "cost_recurring": ("Recurring cost", f"{CURRENCY} per unit"),
}
NOT_ASSESSED = "not assessed"


def label(key: str) -> str:
    """"Recurring cost (EUR per unit)": a form field's or a column's label."""
    name, unit = COSTS[key]
    return f"{name} ({unit})"


def amount(value: float) -> str:
    """1200 -> "1,200", 0.2 -> "0.20"."""
    number = float(value)
    return f"{number:,.0f}" if number == int(number) else f"{number:,.2f}"


def text(key: str, value) -> str:
    """"EUR 0.22 per unit", "EUR 1,200", or "not assessed": a cost as pages and reports state it."""
    if value is None or value == "":
        return NOT_ASSESSED
    try:
        shown = amount(value)
    except (TypeError, ValueError):
        shown = str(value)
    unit = COSTS[key][1]
    return f"{CURRENCY} {shown}{unit.removeprefix(CURRENCY)}"


TEMPLATE_GLOBALS = {"cost_label": label, "cost_text": text, "cost_keys": tuple(COSTS)}
