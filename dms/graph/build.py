"""The cross-reference graph: a networkx MultiDiGraph built from the catalog, the system of record.

Nodes: `doc:<id>` for every document, and entities `<family>:<NUMBER>` (change_request:CR-2023-014,
specification:SPEC-KX200-03, meeting:…), `product:<CODE>`, `party:<name>`. An entity exists as soon
as anything refers to it, so a change request with no document of its own can still be traced.
Every edge has a `type` and an `evidence` saying why it exists.
"""

from __future__ import annotations

import re
from collections import defaultdict

import networkx as nx

from dms.catalog import Catalog, DocumentRow
from dms.identifiers import IdentifierMatcher

DECISION = re.compile(r"\b(decision|decided|approved|rejected|deferred)\b", re.IGNORECASE)
IMPLEMENTS = re.compile(r"\b(implements?|amends?|amended|incorporates?)\b", re.IGNORECASE)
DOCUMENT_LINKS = frozenset({"supersedes", "attachment_of", "reply_to", "duplicate_of"})


def doc_node(doc_id: int) -> str:
    return f"doc:{doc_id}"


def entity_node(family: str, name: str) -> str:
    return f"{family}:{name}"


def _revision_key(doc: DocumentRow) -> tuple:
    rev = doc.version.revision or ""
    return (len(rev), rev, doc.version.doc_date or "", doc.id)


def build_graph(catalog: Catalog, matcher: IdentifierMatcher) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    docs = catalog.graph_documents()
    by_message_id: dict[str, int] = {}
    numbered: dict[str, list[DocumentRow]] = defaultdict(list)
    for doc in docs:
        v = doc.version
        g.add_node(doc_node(doc.id), kind="document", id=doc.id, title=v.title or doc.name, path=doc.path,
                   type=v.doc_type, date=v.doc_date, number=v.number, revision=v.revision)
        if v.meta.get("message_id"):
            by_message_id[v.meta["message_id"]] = doc.id
        if v.number:
            numbered[v.number].append(doc)
            own = matcher.fullmatch(v.number)
            entity = entity_node(own.family if own else "document", v.number)
            g.add_node(entity, kind=own.family if own else "document", label=v.number)
            if v.revision:  # one revision of a numbered document (the chain itself is `supersedes`)
                g.add_edge(doc_node(doc.id), entity, type="revision_of",
                           evidence=f"it is {v.number} Rev {v.revision}")
            else:
                g.add_edge(doc_node(doc.id), entity, type="identifies", evidence=f"its document number is {v.number}")
        for code in v.products:
            g.add_node(entity_node("product", code), kind="product", label=code)
            g.add_edge(doc_node(doc.id), entity_node("product", code), type="about",
                       evidence=f"product code {code} in the document")
        for party in v.parties:
            g.add_node(entity_node("party", party), kind="party", label=party)
            g.add_edge(doc_node(doc.id), entity_node("party", party), type="involves",
                       evidence=f"{party} named in the document")
        if doc.parent_id:
            g.add_edge(doc_node(doc.id), doc_node(doc.parent_id), type="attachment_of",
                       evidence=f"{doc.name} is attached to this e-mail")
        if doc.duplicate_of:
            g.add_edge(doc_node(doc.id), doc_node(doc.duplicate_of), type="duplicate_of",
                       evidence="byte-identical (same SHA-256)")
    for doc in docs:
        reply = doc.version.meta.get("in_reply_to")
        if reply and reply in by_message_id and by_message_id[reply] != doc.id:
            g.add_edge(doc_node(doc.id), doc_node(by_message_id[reply]), type="reply_to",
                       evidence=f"In-Reply-To {reply}")
    for number, revisions in numbered.items():
        chain = sorted((d for d in revisions if d.duplicate_of is None and d.version.revision), key=_revision_key)
        for older, newer in zip(chain, chain[1:]):
            g.add_edge(doc_node(newer.id), doc_node(older.id), type="supersedes",
                       evidence=f"{number} Rev {newer.version.revision} supersedes Rev {older.version.revision}")
    doc_types = {doc.id: doc.version.doc_type for doc in docs}
    versions = {doc.id: doc.version.id for doc in docs}
    pages_of: dict[int, tuple[str, ...]] = {}

    def line_of(doc_id: int, page: int, offset: int) -> str:
        """The line that holds a reference: where minutes record a decision or a revision says what it implements."""
        if doc_id not in pages_of:
            pages_of[doc_id] = catalog.pages(versions[doc_id])
        pages = pages_of[doc_id]
        if not 1 <= page <= len(pages):
            return ""
        text = pages[page - 1]
        start = text.rfind("\n", 0, offset) + 1
        end = text.find("\n", offset)
        return " ".join(text[start : end if end >= 0 else len(text)].split())[:300]

    seen: set[tuple[int, str]] = set()
    for doc_id, ref in catalog.all_references():
        if doc_id not in doc_types:
            continue
        target = entity_node(ref.family, ref.number)
        if (doc_id, target) in seen:  # one mention edge per document and entity: the first citation
            continue
        seen.add((doc_id, target))
        g.add_node(target, kind=ref.family, label=ref.number)
        where = "title" if ref.page == 0 else f"page {ref.page}"
        evidence = f"{where}: …{ref.snippet}…"
        cited = f"{ref.number} Rev {ref.revision}" if ref.revision else ref.number
        g.add_edge(doc_node(doc_id), target, type="mentions", evidence=evidence, page=ref.page, offset=ref.offset,
                   cited=cited)
        kind = doc_types[doc_id]
        if ref.family != "change_request" or kind not in ("minutes", "specification"):
            continue
        line = line_of(doc_id, ref.page, ref.offset)
        if kind == "minutes" and DECISION.search(line):
            g.add_edge(target, doc_node(doc_id), type="decided_in", evidence=f"{where}: {line}")
        elif kind == "specification" and IMPLEMENTS.search(line):
            g.add_edge(doc_node(doc_id), target, type="amends", evidence=f"{where}: {line}")
    for link in catalog.manual_links():
        if link["source"] in g and link["target"] in g:
            evidence = f"linked by hand by {link['created_by']} on {link['created_at'][:10]}: {link['reason']}"
            g.add_edge(link["source"], link["target"], type=link["type"], manual=link["id"], evidence=evidence)
    return g
