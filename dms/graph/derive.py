"""The derived links of the cross-reference graph, made from the catalog's facts a few documents at a time.

Every derived link belongs to a scope that can be derived again alone:

- `doc:<id>`: the links a document's own facts make: its own number (identifies, revision_of), products (about),
  parties as renamed and merged (involves), the e-mail it is attached to, the older copy it duplicates, the e-mail
  it answers (reply_to, found by the Message-ID its In-Reply-To names), the identifiers it cites (mentions: one per
  identifier, the first citation as evidence), and what its lines decide (decided_in, from the change to the
  minutes) or amend (amends);
- `number:<NUMBER>`: the supersedes chain of the revisions of one document number (copies left out).

`dms.graph.sync` keeps the catalog's link rows current with these functions (a changed document: its scope, its
number's chain, the replies to it); `dms.graph.build.build_graph` makes a networkx graph from the same functions.
So both read one derivation. Which families are change requests ([families] change) and the phrases that make a
minutes line a decision and a specification line an amendment ([phrases.*]) come from the rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

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
from dms.identifiers import IdentifierMatcher
from dms.revisions import revision_key

if TYPE_CHECKING:
    from dms.catalog import Catalog, DocumentRow
    from dms.graph.phrases import Phrases
    from dms.model import Reference

# the derivation's own version: part of the sync's stamp, so that a change to what is derived re-derives every row
FORMAT = 2


@dataclass(frozen=True, slots=True)
class LinkRow:
    """One derived link, as the catalog keeps it (graph_links) and a graph edge carries it."""

    scope: str
    source: str
    target: str
    type: str
    evidence: str
    outcome: str | None = None  # decided_in
    page: int | None = None  # mentions: where the first citation is (0 = the title)
    position: int | None = None  # mentions: its offset in that page's text
    cited: str | None = None  # mentions: the number as cited, with its revision

    def edge_data(self) -> dict:
        """The attributes of the networkx edge this link is."""
        data = {"type": self.type, "evidence": self.evidence}
        if self.type == DECIDED_IN:
            data["outcome"] = self.outcome
        if self.type == MENTIONS:
            data.update(page=self.page, offset=self.position, cited=self.cited)
        return data


def manual_edge_data(link_id: int, kind: str, reason: str, created_by: str, created_at: str) -> dict:
    """The networkx edge data of a link made by hand (manual_links): its type, its id and who made it, when, why."""
    return {"type": kind, "manual": link_id,
            "evidence": f"linked by hand by {created_by} on {created_at[:10]}: {reason}"}


def doc_node(doc_id: int) -> str:
    return f"doc:{doc_id}"


# a node's name is indexed (graph_links' source and target): one PostgreSQL index entry holds at most about 2,700
# bytes, so a name (a party's display name in an e-mail, say) is cut at this many characters (4 bytes each at most)
MAX_NAME_CHARS = 500


def entity_node(family: str, name: str) -> str:
    if len(name) > MAX_NAME_CHARS:
        name = name[:MAX_NAME_CHARS - 1] + "…"
    return f"{family}:{name}"


def doc_scope(doc_id: int) -> str:
    return f"doc:{doc_id}"


def number_scope(number: str) -> str:
    return f"number:{number}"


def own_entity(matcher: IdentifierMatcher, number: str) -> str:
    """The entity node a document number is: its family's, or document:<NUMBER> for a number of no family."""
    own = matcher.fullmatch(number)
    return entity_node(own.family if own else "document", number)


@dataclass(frozen=True)
class Facts:
    """What the links of a few documents are made from, read from the catalog in a few queries (dms.graph.sync)."""

    docs: Sequence[DocumentRow]  # live documents, by id
    references: dict[int, list[Reference]]  # doc id -> the references of its current version, in page, offset order
    replied: dict[str, int]  # Message-ID -> the live document that carries it (the last by id)
    pages: dict[int, tuple[str, ...]]  # version id -> page texts, for the minutes and specifications citing changes


def document_links(catalog: Catalog, matcher: IdentifierMatcher, facts: Facts) -> Iterator[LinkRow]:
    """Every `doc:<id>` scoped link of the documents in `facts`."""
    from dms.graph.phrases import phrases_for  # here: a `dms trace` whose rows are current never derives

    rules = matcher.rules
    phrases = phrases_for(rules)
    for doc in facts.docs:
        yield from _own_links(catalog, matcher, doc, facts.replied)
        yield from _reference_links(rules, phrases, doc, facts)


def _own_links(catalog: Catalog, matcher: IdentifierMatcher, doc: DocumentRow,
               replied: dict[str, int]) -> Iterator[LinkRow]:
    v, me, scope = doc.version, doc_node(doc.id), doc_scope(doc.id)
    if v.number:
        entity = own_entity(matcher, v.number)
        if v.revision:  # one revision of a numbered document (the chain itself is `supersedes`)
            yield LinkRow(scope, me, entity, REVISION_OF, f"it is {v.number} Rev {v.revision}")
        else:
            yield LinkRow(scope, me, entity, IDENTIFIES, f"its document number is {v.number}")
    for code in v.products:
        yield LinkRow(scope, me, entity_node("product", code), ABOUT, f"product code {code} in the document")
    for party in canonical_parties(catalog, v.parties):  # as renamed and merged (dms.parties)
        yield LinkRow(scope, me, entity_node("party", party), INVOLVES, f"{party} named in the document")
    if doc.parent_id:
        yield LinkRow(scope, me, doc_node(doc.parent_id), ATTACHMENT_OF, f"{doc.name} is attached to this e-mail")
    if doc.duplicate_of:
        yield LinkRow(scope, me, doc_node(doc.duplicate_of), DUPLICATE_OF, "byte-identical (same SHA-256)")
    reply = v.meta.get("in_reply_to")
    if reply and replied.get(reply, doc.id) != doc.id:
        yield LinkRow(scope, me, doc_node(replied[reply]), REPLY_TO, f"In-Reply-To {reply}")


def _reference_links(rules, phrases: Phrases, doc: DocumentRow, facts: Facts) -> Iterator[LinkRow]:
    from dms.graph.textlinks import Citation, amendments, decisions

    me, scope, doc_type = doc_node(doc.id), doc_scope(doc.id), doc.version.doc_type
    cited: list[Citation] = []
    seen: set[str] = set()
    for ref in facts.references.get(doc.id, ()):
        target = entity_node(ref.family, ref.number)
        if rules.is_change(ref.family) and ref.page >= 1 and doc_type in ("minutes", "specification"):
            cited.append(Citation(target, ref.page, ref.offset))
        if target in seen:  # one mention per document and identifier: the first citation
            continue
        seen.add(target)
        where = "title" if ref.page == 0 else f"page {ref.page}"
        yield LinkRow(scope, me, target, MENTIONS, f"{where}: …{ref.snippet}…", page=ref.page, position=ref.offset,
                      cited=f"{ref.number} Rev {ref.revision}" if ref.revision else ref.number)
    if not cited:
        return
    pages = facts.pages.get(doc.version.id, ())
    if doc_type == "minutes":
        for target, found in decisions(pages, cited, phrases).items():
            yield LinkRow(scope, target, me, DECIDED_IN, found.evidence, outcome=found.outcome)
    else:
        for target, found in amendments(pages, cited, phrases, doc.version.revision).items():
            yield LinkRow(scope, me, target, AMENDS, found.evidence)


def cites_changes(rules, doc: DocumentRow, references: Iterable[Reference]) -> bool:
    """Whether the document's lines must be read for decisions or amendments (its pages are needed)."""
    return doc.version.doc_type in ("minutes", "specification") and any(
        rules.is_change(ref.family) and ref.page >= 1 for ref in references)


def chain_candidate(doc: DocumentRow) -> bool:
    """Whether a document is a link of its number's supersedes chain: a revision, not a copy."""
    return doc.duplicate_of is None and bool(doc.version.revision)


def chain_links(number: str, revisions: Iterable[DocumentRow]) -> Iterator[LinkRow]:
    """The `number:<NUMBER>` scope: each revision supersedes the one before it, in revision order."""
    chain = sorted((d for d in revisions if chain_candidate(d)), key=_revision_order)
    for older, newer in zip(chain, chain[1:]):
        yield LinkRow(number_scope(number), doc_node(newer.id), doc_node(older.id), SUPERSEDES,
                      f"{number} Rev {newer.version.revision} supersedes Rev {older.version.revision}")


def _revision_order(doc: DocumentRow) -> tuple:
    return (revision_key(doc.version.revision), doc.version.doc_date or "", doc.id)
