"""A stamp of what the graph and the answers built on it are derived from: it changes whenever they may.

It counts versions (every ingest change adds one), documents, duplicates, hand-made links and their removals,
retirements and purges, the audit entries of the actions that rewrite a document's facts in place or rename
parties, the rules the links are read with, and the derivation's own format (dms.graph.sync). Answers kept in
memory (as-of sets, plan checks, hold scopes, follow-up lists) are keyed by it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dms.auditactions import (
    METADATA_EDITED,
    METADATA_REDERIVED,
    OCR,
    PARTY_CHANGE_UNDONE,
    PARTY_MERGED,
    PARTY_RENAMED,
)
from dms.catalog.graphstamp import graph_inputs

if TYPE_CHECKING:
    from dms.app import Dms

# audit actions that change what the graph is made of without a new version: corrections, OCR, rederive, parties
GRAPH_CHANGING = (METADATA_EDITED, OCR, METADATA_REDERIVED, PARTY_RENAMED, PARTY_MERGED, PARTY_CHANGE_UNDONE)


def stamp(dms: Dms) -> tuple:
    from dms.graph.sync import FORMAT_STAMP, rules_stamp

    return (FORMAT_STAMP, *graph_inputs(dms.catalog, GRAPH_CHANGING), rules_stamp(dms.rules))
