"""The assessment report a manager reads before deciding (HTML, printable)."""

from __future__ import annotations

from collections import Counter

from markupsafe import Markup

from dms.app import Dms
from dms.changes.archive import _env
from dms.changes.onfile import decisions, settling
from dms.changes.workflow import get, listing
from dms.revisions import revision_key


def report_data(dms: Dms, number: str) -> dict:
    from dms.graph import graph_for
    from dms.graph.linktypes import IDENTIFIES
    from dms.graph.rowgraph import documents_numbered

    cr = get(dms, number)
    g = graph_for(dms)
    risks = [{**r, "score": r["likelihood"] * r["severity"]} for r in cr.data.get("risks", [])]
    matrix = Counter((r["likelihood"], r["severity"]) for r in risks)
    affected = []
    for doc_number in cr.data.get("affected", []):
        revisions = documents_numbered(g, doc_number)
        current = max(revisions, default={}, key=lambda a: (revision_key(a.get("revision")), a.get("date") or ""))
        affected.append({"number": doc_number, "revision": current.get("revision"), "date": current.get("date"),
                         "title": current.get("title")})
    products = set(cr.data.get("products", []))
    past = [{"number": c["number"], "outcome": c.get("decision") or c["state"], "where": "change workflow"}
            for c in listing(dms) if c["number"] != cr.number and products & set(c.get("products", []))]
    seen = {p["number"] for p in past}
    for product in products:
        node = f"product:{product}"
        if node not in g:
            continue
        docs = [doc for doc, _ in g.in_edges(node)]
        if hasattr(g, "prefetch"):  # a RowGraph: the links of all the product's documents at once
            g.prefetch(docs)
        for doc in docs:
            for _, entity, data in g.out_edges(doc, data=True):
                if data["type"] == IDENTIFIES and dms.rules.is_change(g.nodes[entity]["kind"]):
                    cr_number = entity.split(":", 1)[1]
                    if cr_number in seen or cr_number == cr.number:
                        continue
                    seen.add(cr_number)
                    outcome = "not recorded"
                    if settled := settling(decisions(g, entity)):
                        outcome = f"{settled['decision']} ({settled['title']})"
                    past.append({"number": cr_number, "outcome": outcome, "where": g.nodes[doc]["path"]})
    past.sort(key=lambda p: p["number"])
    worst = max((r["score"] for r in risks), default=0)
    relevance = (cr.data.get("relevance") or "").lower()
    if not risks or not relevance:
        recommendation = "Not enough assessment to recommend anything yet."
    elif relevance == "high" and worst < 15:
        recommendation = f"Approve: high relevance, highest risk score {worst} of 25."
    elif worst >= 15:
        recommendation = f"Discuss before deciding: a risk scores {worst} of 25."
    else:
        recommendation = f"Defer or approve on cost: relevance {relevance}, highest risk score {worst} of 25."
    return {"cr": cr, "risks": risks, "matrix": dict(matrix), "affected": affected, "past": past,
            "recommendation": recommendation}


def render_report(dms: Dms, number: str) -> tuple[str, dict]:
    data = report_data(dms, number)
    html = _env.get_template("report.html").render(**data)
    matrix = [{"likelihood": lk, "severity": sv, "risks": n} for (lk, sv), n in sorted(data["matrix"].items())]
    plain = {**{k: v for k, v in data.items() if k not in ("cr", "matrix")}, "number": data["cr"].number,
             "matrix": matrix}
    return html, plain


def report_parts(dms: Dms, number: str) -> tuple[str, Markup, Markup]:
    """The report for a page of the app: the request's number, the report's own styles and its body."""
    data = report_data(dms, number)
    template = _env.get_template("report.html")
    context = template.new_context(data)
    style = "".join(template.blocks["report_style"](context))
    body = "".join(template.blocks["report"](context))
    return data["cr"].number, Markup(style), Markup(body)  # noqa: S704 - rendered by the autoescaping env
