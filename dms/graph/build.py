"""The cross-reference graph: a networkx MultiDiGraph built from the catalog, the system of record.

Nodes: `doc:<id>` for every document, and entities `<family>:<NUMBER>` (change_request:CR-2023-014,
specification:SPEC-KX200-03, meeting:…; the family is the [identifiers] name), `product:<CODE>`,
`party:<name>`. An entity exists as soon as anything refers to it, so a change request with no document of
its own can still be traced. Every edge has a `type` (a row of `dms.graph.linktypes`) and an `evidence` saying
why it exists; `decided_in` also has the `outcome` (approved, rejected, deferred, undecided, decided).

Which families are change requests ([families] change) and the phrases that make a minutes line a decision
and a specification line an amendment ([phrases.*]) come from the rules.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import TYPE_CHECKING

from dms.catalog import Catalog, DocumentRow
from dms.catalog.parties import canonical as canonical_parties
from dms.graph.linktypes import (
    ABOUT,
    AMENDS,
    ATTACHMENT_OF,
    DECIDED_IN,
    DUPLICATE_OF,
    IDENTIFIES,
    INVOLVES,
    MENTIONS,
    REPLY_TO,
    REVISION_OF,
    SUPERSEDES,
)
from dms.graph.phrases import Phrases, phrases_for
from dms.graph.textlinks import Citation, amendments, decisions
from dms.identifiers import IdentifierMatcher, normalize_number
from dms.revisions import revision_key
from dms.titles import heading

if TYPE_CHECKING:
    import networkx as nx


def doc_node(doc_id: int) -> str:
    return f"doc:{doc_id}"


def entity_node(family: str, name: str) -> str:
    return f"{family}:{name}"


def change_node(matcher: IdentifierMatcher, number: str) -> str | None:
    """The graph node of a change number ("eco:ECO-24-0117"): its change family is the first of [families]
    change whose identifier pattern it matches; None when it is no change family's number."""
    rules = matcher.rules
    normal = normalize_number(number)
    m = matcher.fullmatch(number)
    if m and m.revision is None and rules.is_change(m.family):
        return entity_node(m.family, m.number)
    patterns = dict(rules.identifiers)
    for family in rules.change_families:
        if family in patterns and re.fullmatch(patterns[family], normal, re.IGNORECASE):
            return entity_node(family, normal)
    return None


def _revision_key(doc: DocumentRow) -> tuple:
    return (revision_key(doc.version.revision), doc.version.doc_date or "", doc.id)


def build_graph(catalog: Catalog, matcher: IdentifierMatcher) -> nx.MultiDiGraph:
    """The graph of the catalog as it is now: every derived link type of `dms.graph.linktypes`, and the links
    made by hand (of whatever type they were recorded with)."""
    import networkx as nx  # here, not at the top: importing dms.graph (for its link types) stays light

    g = nx.MultiDiGraph(change_families=matcher.rules.change_families)  # for pages that link change nodes
    docs = catalog.graph_documents()
    by_message_id: dict[str, int] = {}
    numbered: dict[str, list[DocumentRow]] = defaultdict(list)
    for doc in docs:
        v = doc.version
        g.add_node(doc_node(doc.id), kind="document", id=doc.id, title=v.title or doc.name, path=doc.path,
                   heading=heading(v.number, v.revision, v.title, doc.name),  # what people read: number, rev, title
                   type=v.doc_type, date=v.doc_date, number=v.number, revision=v.revision)
        if v.meta.get("message_id"):
            by_message_id[v.meta["message_id"]] = doc.id
        if v.number:
            numbered[v.number].append(doc)
            own = matcher.fullmatch(v.number)
            entity = entity_node(own.family if own else "document", v.number)
            g.add_node(entity, kind=own.family if own else "document", label=v.number)
            if v.revision:  # one revision of a numbered document (the chain itself is `supersedes`)
                g.add_edge(doc_node(doc.id), entity, type=REVISION_OF,
                           evidence=f"it is {v.number} Rev {v.revision}")
            else:
                g.add_edge(doc_node(doc.id), entity, type=IDENTIFIES, evidence=f"its document number is {v.number}")
        for code in v.products:
            g.add_node(entity_node("product", code), kind="product", label=code)
            g.add_edge(doc_node(doc.id), entity_node("product", code), type=ABOUT,
                       evidence=f"product code {code} in the document")
        for party in canonical_parties(catalog, v.parties):  # as renamed and merged (dms.parties)
            g.add_node(entity_node("party", party), kind="party", label=party)
            g.add_edge(doc_node(doc.id), entity_node("party", party), type=INVOLVES,
                       evidence=f"{party} named in the document")
        if doc.parent_id:
            g.add_edge(doc_node(doc.id), doc_node(doc.parent_id), type=ATTACHMENT_OF,
                       evidence=f"{doc.name} is attached to this e-mail")
        if doc.duplicate_of:
            g.add_edge(doc_node(doc.id), doc_node(doc.duplicate_of), type=DUPLICATE_OF,
                       evidence="byte-identical (same SHA-256)")
    for doc in docs:
        reply = doc.version.meta.get("in_reply_to")
        if reply and reply in by_message_id and by_message_id[reply] != doc.id:
            g.add_edge(doc_node(doc.id), doc_node(by_message_id[reply]), type=REPLY_TO,
                       evidence=f"In-Reply-To {reply}")
    for number, revisions in numbered.items():
        chain = sorted((d for d in revisions if d.duplicate_of is None and d.version.revision), key=_revision_key)
        for older, newer in zip(chain, chain[1:]):
            g.add_edge(doc_node(newer.id), doc_node(older.id), type=SUPERSEDES,
                       evidence=f"{number} Rev {newer.version.revision} supersedes Rev {older.version.revision}")
    doc_types = {doc.id: doc.version.doc_type for doc in docs}
    rules = matcher.rules
    cited_changes: dict[int, list[Citation]] = defaultdict(list)
    seen: set[tuple[int, str]] = set()
    for doc_id, ref in catalog.all_references():
        if doc_id not in doc_types:
            continue
        target = entity_node(ref.family, ref.number)
        if rules.is_change(ref.family) and ref.page >= 1 and doc_types[doc_id] in ("minutes", "specification"):
            cited_changes[doc_id].append(Citation(target, ref.page, ref.offset))
        if (doc_id, target) in seen:  # one mention edge per document and entity: the first citation
            continue
        seen.add((doc_id, target))
        g.add_node(target, kind=ref.family, label=ref.number)
        where = "title" if ref.page == 0 else f"page {ref.page}"
        evidence = f"{where}: …{ref.snippet}…"
        cited = f"{ref.number} Rev {ref.revision}" if ref.revision else ref.number
        g.add_edge(doc_node(doc_id), target, type=MENTIONS, evidence=evidence, page=ref.page, offset=ref.offset,
                   cited=cited)
    _decisions_and_amendments(g, catalog, phrases_for(rules), cited_changes, {doc.id: doc for doc in docs})
    for link in catalog.manual_links():
        if link["source"] in g and link["target"] in g:
            evidence = f"linked by hand by {link['created_by']} on {link['created_at'][:10]}: {link['reason']}"
            g.add_edge(link["source"], link["target"], type=link["type"], manual=link["id"], evidence=evidence)
    return g


def _decisions_and_amendments(g: nx.MultiDiGraph, catalog: Catalog, phrases: Phrases,
                              cited: dict[int, list[Citation]], by_id: dict[int, DocumentRow]) -> None:
    """decided_in from minutes and amends from specifications, read from the lines that cite each change."""
    for doc_id, citations in cited.items():
        version = by_id[doc_id].version
        pages = catalog.pages(version.id)
        if version.doc_type == "minutes":
            for target, found in decisions(pages, citations, phrases).items():
                g.add_edge(target, doc_node(doc_id), type=DECIDED_IN, evidence=found.evidence,
                           outcome=found.outcome)
        else:
            for target, found in amendments(pages, citations, phrases, version.revision).items():
                g.add_edge(doc_node(doc_id), target, type=AMENDS, evidence=found.evidence)
