"""All products at a glance, for the Products index: each product's documents, its latest report figures and
its change requests, with what they were decided. The full story is the product's page and retrospective."""

from __future__ import annotations

from collections import Counter

from dms.app import Dms
from dms.retro.metrics import for_product

RECENT_MONTHS = 12  # the figures summed on the index: the product's last this-many months with figures


def product_codes(dms: Dms) -> list[str]:
    """The products the archive knows (the product nodes of the cross-reference graph), by code."""
    from dms.graph import graph_for
    from dms.graph.rowgraph import nodes_of_kind

    return [n.split(":", 1)[1] for n in nodes_of_kind(graph_for(dms), "product")]


def overview(dms: Dms) -> list[dict]:
    """One summary per product: documents (count, by type, first and last date), the figures of the last
    RECENT_MONTHS months with figures (sold, returned, complaints, return rate), and change requests by decision."""
    from dms.graph import graph_for
    from dms.retro.report import change_requests

    g = graph_for(dms)
    out = []
    for code in product_codes(dms):
        docs = {d: g.nodes[d] for d, _ in g.in_edges(f"product:{code}") if g.nodes[d]["kind"] == "document"}
        dates = sorted(a["date"] for a in docs.values() if a["date"])
        crs = change_requests(dms, code)
        out.append({"code": code, "documents": len(docs),
                    "by_type": Counter(a["type"] or "other" for a in docs.values()).most_common(),
                    "first": dates[0] if dates else None, "last": dates[-1] if dates else None,
                    "figures": recent_figures(dms, code),
                    "change_requests": len(crs),
                    "decisions": Counter(c["decision"] or c.get("state") or "not decided" for c in crs).most_common()})
    return out


def recent_figures(dms: Dms, code: str) -> dict | None:
    """Sums over the last RECENT_MONTHS months that have figures; None when no report gives the product any."""
    figures = {p: v for p, v in for_product(dms, code).items() if "-Q" not in p}
    months = sorted(figures)[-RECENT_MONTHS:]
    if not months:
        return None

    def total(metric: str) -> float | None:
        values = [figures[m][metric]["value"] for m in months if metric in figures[m]]
        return sum(values) if values else None

    sold, returned = total("sold"), total("returned")
    return {"from": months[0], "to": months[-1], "months": len(months), "sold": sold, "returned": returned,
            "complaints": total("complaints"), "distributed": total("distributed"),
            "return_rate": round(100 * returned / sold, 2) if sold and returned is not None else None}
