"""Settling ambiguous numeric dates by their folder (after an ingest or a rederive, dms.ingest.postpass).

A document whose date is ambiguous (03/04/2024) and whose own text proves no order was read in the rules'
order and marked doubtful. The other documents of its folder may prove an order (a 25/04/2024 proves DMY,
recorded as sources["date"]["evidence"] by dms.ingest.dates). When every proof in the folder agrees, the
date follows that order and is no longer doubtful; when they disagree, or there are none, it stays as it is.
A proof that comes in later settles the folder's earlier ambiguous dates too. A date corrected by hand is never
touched."""

from __future__ import annotations

from collections.abc import Collection

from dms.app import Dms
from dms.catalog import datesettle, ocrwork
from dms.catalog.datesettle import DatedDocument
from dms.ingest.dates import ORDERS

AMBIGUOUS = "ambiguous numeric date"  # how dms.ingest.dates starts the doubt of an ambiguous reading


def settle_dates(dms: Dms, doc_ids: Collection[int]) -> int:
    """Settle the ambiguous dates in the folders of these documents (the folders where one of them is
    ambiguous or proves an order: a proof ingested later settles what came before). Returns how many
    documents' dates (value or provenance) were rewritten; they are left for the index to refresh."""
    catalog = dms.catalog
    folders = {datesettle.folder_of(doc.path) for doc in datesettle.dated_documents(catalog, doc_ids)
               if _unsettled(doc.date) or doc.date.get("evidence") in ORDERS}
    changed = 0
    with catalog.transaction():
        for folder in sorted(folders):
            neighbours = datesettle.in_folder(catalog, folder)
            proofs = [n.date["evidence"] for n in neighbours if n.date.get("evidence") in ORDERS]
            if len(set(proofs)) != 1:  # none, or they disagree (an unsettled date proves nothing itself)
                continue
            for doc in (n for n in neighbours if _unsettled(n.date)):
                if not _edited_by_hand(dms, doc):
                    datesettle.set_date(catalog, doc.version_id, *_settled(doc, proofs[0], len(proofs)))
                    changed += 1
    return changed


def _unsettled(date: dict) -> bool:
    """An ambiguous reading in the rules' order that the document's own dates did not settle."""
    return (bool(date.get("alternative")) and date.get("order_used") in ORDERS and not date.get("evidence")
            and AMBIGUOUS in (date.get("doubtful") or "") and date.get("source") != "hand")


def _settled(doc: DatedDocument, order: str, documents: int) -> tuple[str | None, dict]:
    entry = dict(doc.date)
    value = doc.doc_date
    if order != entry["order_used"]:
        value, entry["alternative"] = entry["alternative"], value
        entry["order_used"] = order
    doubts = [d for d in (entry.get("doubtful") or "").split("; ") if d and not d.startswith(AMBIGUOUS)]
    entry["doubtful"] = "; ".join(doubts) or None
    entry["source"] = f"{entry['source']}, order from the folder's dates ({documents} document{'s' * (documents > 1)})"
    return value, entry


def _edited_by_hand(dms: Dms, doc: DatedDocument) -> bool:
    return any("date" in details.get("after", {}) for details in ocrwork.metadata_edits(dms.catalog, doc.doc_id))
