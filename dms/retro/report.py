"""The retrospective of a product: what happened, what it cost, and whether the changes worked.

- a timeline of releases, specification revisions, change requests and meetings;
- each change request with its decision, lead time (submission to effect), estimated cost, and the
  returns and complaints of the months before and after it took effect;
- charts of distribution, sales, returns and complaints by month, with the changes marked.

A change request takes effect on its effective date in the workflow; for one on file in the
archive, on the date of the first revision that amends it, else of the minutes that decided it.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from dms.app import Dms
from dms.changes.costs import TEMPLATE_GLOBALS
from dms.errors import UsageError
from dms.retro.charts import line_chart
from dms.retro.metrics import for_product

WINDOW = 6  # months before and after a change
COST = re.compile(r"One-off cost\s*\|?\s*EUR\s*([\d.,]+)", re.IGNORECASE)
RECURRING = re.compile(r"Recurring cost\s*\|?\s*EUR\s*([\d.,]+)", re.IGNORECASE)
_env = Environment(loader=FileSystemLoader(Path(__file__).parent), autoescape=select_autoescape(["html"]))
_env.globals.update(TEMPLATE_GLOBALS)  # cost_label (dms.changes.costs): the same unit as the request's pages


def _month(day: str | None) -> str | None:
    return day[:7] if day else None


def _shift(month: str, by: int) -> str:
    y, m = int(month[:4]), int(month[5:7]) - 1 + by
    return f"{y + m // 12:04d}-{m % 12 + 1:02d}"


def _days(a: str | None, b: str | None) -> int | None:
    if not a or not b:
        return None
    return (date.fromisoformat(b[:10]) - date.fromisoformat(a[:10])).days


def _money(pattern: re.Pattern, text: str) -> float | None:
    m = pattern.search(text)
    return float(m.group(1).replace(",", "")) if m else None


def change_requests(dms: Dms, product: str) -> list[dict]:
    """Every change request of the product, on file or in the workflow, with decision, dates, lead time, cost."""
    from dms import changes
    from dms.changes.onfile import UNDECIDED, all_on_file

    out = {}
    for record in all_on_file(dms):
        number = record["number"]
        request_docs = [d for d in record["documents"] if product in dms.catalog.document(d["id"]).version.products]
        if not request_docs:
            continue
        text = "\n".join(dms.catalog.pages(dms.catalog.document(request_docs[0]["id"]).version.id))
        submitted = min((d["date"] for d in request_docs if d["date"]), default=None)
        decided = min((d["date"] for d in record["decided_in"] if d["date"] and d["decision"] != UNDECIDED),
                      default=None)
        amended = min((d["date"] for d in record["amended_by"] if d["date"]), default=None)
        stopped = record.get("decision") in ("rejected", "deferred")
        effective = None if stopped else (amended or decided)
        out[number] = {"number": number, "title": record.get("title", number), "source": "archive",
                       "decision": record.get("decision"), "submitted": submitted, "decided": decided,
                       "effective": effective, "lead_days": _days(submitted, decided if stopped else effective),
                       "cost_once": _money(COST, text), "cost_recurring": _money(RECURRING, text),
                       "doc_id": request_docs[0]["id"]}
    for cr in changes.listing(dms, product=product):
        history = changes.history(dms, cr["number"])
        submitted = next((h["at"][:10] for h in history if h["to"] == "submitted"), None)
        closed = next((h["at"][:10] for h in history if h["to"] == "closed"), None)
        effective = cr.get("effective_date") or closed
        out[cr["number"]] = {"number": cr["number"], "title": cr["title"], "source": "workflow",
                             "decision": cr.get("decision"), "submitted": submitted,
                             "decided": next((h["at"][:10] for h in history if h["to"] == "decided"), None),
                             "effective": effective, "lead_days": _days(submitted, closed or effective),
                             "cost_once": cr.get("cost_once"), "cost_recurring": cr.get("cost_recurring"),
                             "state": cr["state"]}
    return sorted(out.values(), key=lambda c: (c["submitted"] or "9999", c["number"]))


def _sum(figures: dict, months: list[str], metric: str) -> float | None:
    values = [figures[m][metric]["value"] for m in months if m in figures and metric in figures[m]]
    return sum(values) if values else None


def before_after(figures: dict, effective: str | None) -> dict | None:
    """Returns, complaints and sales in the WINDOW months before the effective month and from it on."""
    month = _month(effective)
    if not month:
        return None
    before = [_shift(month, -k) for k in range(WINDOW, 0, -1)]
    after = [_shift(month, k) for k in range(0, WINDOW)]
    out = {}
    for side, months in (("before", before), ("after", after)):
        sold, returned = _sum(figures, months, "sold"), _sum(figures, months, "returned")
        out[side] = {"months": sum(1 for m in months if m in figures), "sold": sold, "returned": returned,
                     "complaints": _sum(figures, months, "complaints"),
                     "return_rate": round(100 * returned / sold, 2) if sold and returned is not None else None}
    if out["before"]["return_rate"] is not None and out["after"]["return_rate"] is not None:
        out["return_rate_change"] = round(out["after"]["return_rate"] - out["before"]["return_rate"], 2)
    return out


def retro_data(dms: Dms, product: str) -> dict:
    from dms.graph import graph_for, node_for
    from dms.graph.explore import timeline

    g = graph_for(dms)
    node = node_for(dms, g, product)
    if not node.startswith("product:"):
        raise UsageError(f"{product} is not a product code")
    code = node.split(":", 1)[1]
    events = []
    for e in timeline(g, node)["events"]:
        doc = dms.catalog.document(e["id"]).version
        kind = ("release" if re.search(r"\b(launch|release|announce)", e["title"], re.IGNORECASE)
                else "revision" if e["type"] == "specification"
                else "meeting" if e["type"] == "minutes"
                else "change request" if e["type"] == "change request" else None)
        if kind:
            events.append({**e, "kind": kind, "revision": doc.revision, "number": doc.number})
    figures = {p: v for p, v in for_product(dms, code).items() if "-Q" not in p}
    quarters = {p: v for p, v in for_product(dms, code).items() if "-Q" in p}
    crs = change_requests(dms, code)
    for cr in crs:
        cr["effect"] = before_after(figures, cr["effective"])
    months = sorted(figures)
    markers = [(_month(c["effective"]), c["number"]) for c in crs if c["effective"] and c["decision"] != "rejected"]
    charts = []
    for title, metrics in (("Distributed and sold per month", ("distributed", "sold")),
                           ("Returns per month", ("returned",)), ("Complaints per month", ("complaints",))):
        series = {m: [figures[p].get(m, {}).get("value") for p in months] for m in metrics}
        charts.append({"title": title, "svg": line_chart(months, series, markers, f"{code}: {title}")})
    complaint_docs = sum(1 for e in timeline(g, node)["events"] if e["type"] == "complaint")
    return {"product": code, "events": events, "change_requests": crs, "charts": charts,
            "months": months, "figures": figures, "quarters": quarters, "complaint_documents": complaint_docs,
            "window": WINDOW}


def render(dms: Dms, product: str) -> tuple[str, dict]:
    data = retro_data(dms, product)
    return _env.get_template("retro.html").render(**data, today=date.today().isoformat()), data
