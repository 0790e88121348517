"""What is on file by a date: the documents of the numbers a plan's deliverables name, and the approval decisions
of change requests, read once from the archive so that the plan check itself stays pure.

A document counts from its effective date (its own date, else the day it was ingested: dms.asof); retired,
purged and duplicate documents never count (dms.catalog.plans.revisions_of gives the live ones). A change
request is approved on a day when the latest decision dated by then says so: the workflow's (the day it was
decided) or minutes deciding it (the graph's `decided_in` edges, dated by the minutes). Minutes recording no
decision decide nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from dms.revisions import revision_key

UNDECIDED = "undecided"


@dataclass(frozen=True, slots=True)
class FiledDoc:
    doc_id: int
    number: str
    revision: str | None
    effective: date  # the document's date, else the day it was ingested
    title: str = ""


@dataclass(frozen=True, slots=True)
class Decision:
    number: str  # the change request
    outcome: str  # approved, rejected, deferred, decided, undecided
    day: date
    doc_id: int | None  # the minutes (or the filed request) that record it
    says: str  # "decided approved in the workflow on 2025-01-10 by marco", "minutes … decided approved"


@dataclass(frozen=True, slots=True)
class OnFile:
    """number -> its documents, and number -> its decisions, oldest first."""
    documents: dict[str, tuple[FiledDoc, ...]] = field(default_factory=dict, hash=False)
    decisions: dict[str, tuple[Decision, ...]] = field(default_factory=dict, hash=False)

    def filed(self, number: str, revision: str | None, by: date) -> FiledDoc | None:
        """The earliest-dated document of this number (at this revision or later) in force by that day."""
        wanted = revision_key(revision) if revision else None
        found = [d for d in self.documents.get(number.upper(), ())
                 if d.effective <= by and (wanted is None or revision_key(d.revision) >= wanted)]
        return min(found, key=lambda d: (d.effective, d.doc_id), default=None)

    def latest(self, number: str, by: date) -> FiledDoc | None:
        """The highest revision of this number on file by that day (for saying what there is instead)."""
        return max((d for d in self.documents.get(number.upper(), ()) if d.effective <= by),
                   key=lambda d: (revision_key(d.revision), d.effective, d.doc_id), default=None)

    def standing(self, number: str, by: date) -> Decision | None:
        """The decision that stands on that day: the latest dated by then that decided something."""
        made = [d for d in self.decisions.get(number.upper(), ()) if d.day <= by and d.outcome != UNDECIDED]
        return max(made, key=lambda d: (d.day, d.doc_id or 0), default=None)

    def approved(self, number: str, by: date) -> Decision | None:
        standing = self.standing(number, by)
        return standing if standing and standing.outcome == "approved" else None


def on_file(dms, numbers: Iterable[str], decided: Iterable[str] | None = None) -> OnFile:
    """Read from the archive what OnFile needs for these document numbers (a plan's deliverables), with the
    decisions on those of `decided` (default: all of them)."""
    from dms.asof import effective_date
    from dms.catalog.plans import revisions_of

    wanted = {n.upper() for n in numbers if n}
    asked = wanted if decided is None else {n.upper() for n in decided if n}

    documents: dict[str, list[FiledDoc]] = {}
    for number in sorted(wanted):  # the live documents of each number (not retired, purged or a copy)
        documents[number] = [FiledDoc(doc.id, number, doc.version.revision,
                                      date.fromisoformat(effective_date(doc)[:10]), doc.version.title or doc.name)
                             for doc in revisions_of(dms.catalog, number)]
    graph = _Graph(dms)
    decisions = {n: tuple(sorted(_workflow_decisions(dms, n) + _minutes_decisions(dms, graph, n),
                                 key=lambda d: (d.day, d.doc_id or 0))) for n in asked}
    return OnFile({n: tuple(docs) for n, docs in documents.items() if docs},
                  {n: ds for n, ds in decisions.items() if ds})


def for_plan(dms, plan) -> OnFile:
    wanted = [d for m in plan.milestones for d in m.deliverables]
    return on_file(dms, (d.number for d in wanted), (d.number for d in wanted if (d.state or "").lower() == "approved"))


def _workflow_decisions(dms, number: str) -> list[Decision]:
    from dms.changes.workflow import get, history
    from dms.errors import NotFound

    try:
        cr = get(dms, number)
    except NotFound:
        return []
    outcome = cr.data.get("decision")
    decided = [h for h in history(dms, cr.number) if h["to"] == "decided"]
    if not outcome or not decided:
        return []
    day = date.fromisoformat(decided[-1]["at"][:10])
    filed = dms.catalog.same_number(cr.number)
    return [Decision(cr.number, outcome, day, filed[0].id if filed else None,
                     f"{cr.number} decided {outcome} in the workflow on {day} by {cr.data.get('decided_by', '?')}")]


class _Graph:
    """The cross-reference graph, fetched once and only if a change request is asked about."""

    def __init__(self, dms):
        self.dms, self._g = dms, None

    def get(self):
        from dms.graph import graph_for

        if self._g is None:
            self._g = graph_for(self.dms)
        return self._g


def _minutes_decisions(dms, graph: _Graph, number: str) -> list[Decision]:
    from dms.changes.onfile import decisions
    from dms.graph.build import change_node

    node = change_node(dms.matcher, number)
    if node is None:
        return []
    g = graph.get()
    if node not in g:
        return []
    out = []
    for d in decisions(g, node):
        day = d["date"] or dms.catalog.document(d["id"]).version.ingested_at
        out.append(Decision(number, d["decision"] or UNDECIDED, date.fromisoformat(day[:10]), d["id"],
                            f"{d['title']} ({day[:10]}) decided {number}: {d['decision'] or UNDECIDED}"))
    return out
