"""A stamp of what the graph and the answers built on it are derived from: it changes whenever they may.

It counts versions (every ingest change adds one), documents, duplicates, hand-made links and their removals,
retirements and purges, the audit entries of the actions that rewrite a document's facts in place or rename
parties, the rules the links are read with, and the derivation's own format (dms.graph.sync). Answers kept in
memory (as-of sets, plan checks, hold scopes, follow-up lists) are keyed by it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dms.catalog.graphstamp import graph_inputs

if TYPE_CHECKING:
    from dms.app import Dms


def stamp(dms: Dms) -> tuple:
    from dms.graph.sync import FORMAT_STAMP, PARTY_ACTIONS, REWRITING, rules_stamp

    # the audited changes that rewrite what the graph is made of without a new version: the link sync's own list
    return (FORMAT_STAMP, *graph_inputs(dms.catalog, REWRITING + PARTY_ACTIONS), rules_stamp(dms.rules))
