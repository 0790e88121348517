"""After an ingest or a rederive: the steps that look across documents rather than at one file.

Dates first: an ambiguous numeric date (03/04/2024) is settled by the unambiguous dates of its folder
(dms.ingest.settle). Then the learned classifier fills the fields the rules left empty (dms.learn).
Both only touch documents the run recorded (and, for dates, their folders), and leave changed ones for
the index to refresh."""

from __future__ import annotations

from collections.abc import Collection

from dms.app import Dms


def after_ingest(dms: Dms, doc_ids: Collection[int]) -> int:
    """Run the cross-document steps over these documents; returns how many documents changed."""
    if not doc_ids:
        return 0
    from dms.catalog import learning
    from dms.ingest.settle import settle_dates

    changed = settle_dates(dms, doc_ids)
    if learning.last_edit(dms.catalog):  # nothing corrected by hand: nothing learned (dms.learn.fill), and the
        from dms.learn import fill  # model's libraries (numpy, a third of a second) are not loaded for nothing

        changed += fill(dms, doc_ids)
    return changed
