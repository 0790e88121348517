"""Link rows written from the documents' facts, a chunk of documents (or of numbers) at a time: what a sync of
changed documents (dms.graph.sync), a derivation from scratch (dms.graph.rebuild) and `dms verify`'s comparison
(dms.graph.compare) share."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from dms.catalog import linkrows
from dms.graph import derive

if TYPE_CHECKING:
    from dms.catalog import Catalog, DocumentRow
    from dms.identifiers import IdentifierMatcher

CHUNK = 500  # documents derived per round of queries


def headers_of(docs: Iterable[DocumentRow]) -> list[tuple[int, str | None, str | None]]:
    """(document id, Message-ID, In-Reply-To) of those of `docs` that have either: rows of graph_messages."""
    rows = []
    for doc in docs:
        message_id, reply = doc.version.meta.get("message_id"), doc.version.meta.get("in_reply_to")
        if message_id or reply:
            rows.append((doc.id, message_id or None, reply or None))
    return rows


def facts_for(catalog: Catalog, matcher: IdentifierMatcher, docs: Sequence[DocumentRow],
              carriers: dict[str, int] | None = None) -> derive.Facts:
    """What the links of these documents are made from, in a few queries. The replies' parents come from
    `carriers` (Message-ID -> document) when given, else from graph_messages (which must be current)."""
    references = linkrows.references_of(catalog, [d.id for d in docs])
    wanted = [d.version.id for d in docs if derive.cites_changes(matcher.rules, d, references.get(d.id, ()))]
    replies = sorted({d.version.meta["in_reply_to"] for d in docs if d.version.meta.get("in_reply_to")})
    replied = ({m: carriers[m] for m in replies if m in carriers} if carriers is not None
               else linkrows.carriers(catalog, replies))
    return derive.Facts(docs, references, replied, linkrows.pages_of(catalog, wanted))


def write_document_links(catalog: Catalog, matcher: IdentifierMatcher, scoped_ids: Sequence[int],
                         docs: Sequence[DocumentRow]) -> int:
    """Replace the links of the scopes of `scoped_ids` (and of `docs`) with those `docs` make now."""
    written = 0
    scopes = [derive.doc_scope(i) for i in scoped_ids]
    if scopes:
        linkrows.replace_links(catalog, scopes, [])
    for start in range(0, len(docs), CHUNK):
        chunk = docs[start:start + CHUNK]
        rows = list(derive.document_links(catalog, matcher, facts_for(catalog, matcher, chunk)))
        written += linkrows.replace_links(catalog, [derive.doc_scope(d.id) for d in chunk], rows)
    return written


def write_chains(catalog: Catalog, numbers: Sequence[str]) -> int:
    """Replace the supersedes chains of these numbers with those their live documents make now."""
    written = 0
    for start in range(0, len(numbers), CHUNK):
        chunk = numbers[start:start + CHUNK]
        by_number = linkrows.numbered_documents(catalog, chunk)
        rows = [row for number in chunk for row in derive.chain_links(number, by_number.get(number, ()))]
        written += linkrows.replace_links(catalog, [derive.number_scope(n) for n in chunk], rows)
    return written
