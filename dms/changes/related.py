"""What a request's page links to: the request as filed, its decision notices, the revisions that amend it,
and the other documents that mention it.

Notices come from the catalog's outbox (dms.catalog.outbox), each with the document it was archived as
(kept under $DMS_HOME/notices and ingested); revisions and mentions from the cross-reference graph.
"""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

from dms.app import Dms
from dms.errors import NotFound

MAX_MENTIONS = 50  # documents mentioning a request shown on its page; the rest through "Search linked"


def related(dms: Dms, number: str, workflow: bool, exclude: set[int] = frozenset()) -> dict:
    """{filed, notices, amending, mentioned, more_mentions} for the request's page; documents in `exclude`
    (shown elsewhere on the page) are left out."""
    from dms.changes.archive import file_name
    from dms.graph import graph_for
    from dms.graph.build import change_node
    from dms.graph.linktypes import AMENDS, IDENTIFIES, MENTIONS

    g = graph_for(dms)
    node = change_node(dms.matcher, number)
    notices = _notices(dms, number) if workflow else []
    filed = _by_path(dms, dms.settings.home / "changes" / f"{file_name(number)}.html") if workflow else None
    shown = {n["doc_id"] for n in notices} | ({filed["id"]} if filed else set()) | set(exclude)
    amending, mentioned = [], []
    if node is not None and node in g:
        for doc, _, data in g.in_edges(node, data=True):
            attrs = g.nodes[doc]
            if attrs["kind"] != "document" or attrs["id"] in shown:
                continue
            item = {"id": attrs["id"], "title": attrs["title"], "number": attrs.get("number"),
                    "revision": attrs.get("revision"), "date": attrs["date"], "type": attrs["type"]}
            if data["type"] == AMENDS:
                amending.append(item)
            elif data["type"] == MENTIONS or (workflow and data["type"] == IDENTIFIES):
                mentioned.append(item)
    by_date = lambda d: (d["date"] or "", d["id"])  # noqa: E731
    amending = sorted({d["id"]: d for d in amending}.values(), key=by_date)
    mentioned = sorted({d["id"]: d for d in mentioned if d["id"] not in {a["id"] for a in amending}}.values(),
                       key=by_date)
    return {"filed": filed, "notices": notices, "amending": amending, "mentioned": mentioned[:MAX_MENTIONS],
            "more_mentions": max(0, len(mentioned) - MAX_MENTIONS)}


def _by_path(dms: Dms, path) -> dict | None:
    from dms.documents import resolve

    try:
        doc = resolve(dms, str(path))
    except NotFound:
        return None
    return {"id": doc.id, "title": doc.version.title or doc.name, "type": doc.version.doc_type,
            "date": doc.version.doc_date, "ingested_at": doc.version.ingested_at}


def _notices(dms: Dms, number: str) -> list[dict]:
    """The request's decision notices, oldest first: headers, text, delivery, and the document on file."""
    from dms.catalog import outbox

    out = []
    for notice in outbox.notices(dms.catalog, number=number):
        message = message_from_bytes(notice.message, _class=EmailMessage, policy=policy.default)
        body = message.get_body(preferencelist=("plain",))
        doc = _by_path(dms, dms.settings.home / "notices" / notice.name) if notice.archived_at else None
        out.append({"name": notice.name, "subject": str(message["Subject"] or ""), "to": str(message["To"] or ""),
                    "date": str(message["Date"] or ""), "text": body.get_content() if body is not None else "",
                    "delivered_at": notice.delivered_at, "delivered_to": notice.delivered_to,
                    "last_error": notice.last_error, "doc_id": doc["id"] if doc else None,
                    "doc_type": doc["type"] if doc else None})
    return out
