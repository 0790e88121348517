"""Links people add by hand, with a reason; removing one keeps it on record."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dms import audit, auditactions
from dms.errors import UsageError
from dms.graph.linktypes import HAND_ADDABLE

if TYPE_CHECKING:
    from dms.app import Dms

TYPES = HAND_ADDABLE  # the link types people may add (dms.graph.linktypes), in display order


def add_link(dms: Dms, source: str, target: str, kind: str, reason: str, by: str | None = None,
             graph=None) -> int:
    """Record a link by hand. `graph`: the graph both ends were checked against already (a caller adding many
    links in one transaction checks them all first, on one graph)."""
    if kind not in TYPES:
        raise UsageError(f"unknown link type {kind!r}; types are: {', '.join(TYPES)}")
    if not reason.strip():
        raise UsageError("a link needs a reason (--reason): say why these belong together")
    if source == target:
        raise UsageError("a link needs two different ends")
    from dms.graph import graph_for

    g = graph if graph is not None else graph_for(dms)
    for node in (source, target):
        if node not in g:
            raise UsageError(f"{node} is not in the graph")
    user = by or dms.settings.user
    with dms.catalog.transaction():
        link_id = dms.catalog.add_manual_link(source, target, kind, reason.strip(), user)
        audit.record(dms.catalog, user, auditactions.LINK_ADDED, source, {"link": link_id, "to": target, "type": kind,
                                                                "reason": reason.strip()}, also=[target])
    return link_id


def remove_link(dms: Dms, link_id: int, reason: str, by: str | None = None) -> None:
    if not reason.strip():
        raise UsageError("removing a link needs a reason (--reason)")
    user = by or dms.settings.user
    with dms.catalog.transaction():
        link = next((r for r in dms.catalog.manual_links() if r["id"] == link_id), None)
        dms.catalog.remove_manual_link(link_id, reason.strip(), user)
        audit.record(dms.catalog, user, auditactions.LINK_REMOVED, link["source"] if link else f"link:{link_id}",
                     {"link": link_id, "to": link["target"] if link else None, "reason": reason.strip()},
                     also=[link["target"]] if link else [])
