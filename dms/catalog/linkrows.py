"""The graph's derived links as rows: what `dms.graph.sync` reads to find what changed, and writes.

graph_links holds one row per derived link, under the scope that derived it ("doc:<id>", "number:<NUMBER>");
graph_messages the Message-ID and In-Reply-To of every live document that has them (a reply ingested before its
parent is found again when the parent comes); graph_sync how far the rows are derived (watermarks of versions
and audit entries, and the stamps of the rules and the derivation). The read side of the links (trace, orphans …)
is `dms.catalog.linkreads`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from dms.catalog.db import LIVE, Catalog
from dms.catalog.rows import DOCUMENTS, DocumentRow, documents
from dms.model import Reference

if TYPE_CHECKING:
    from dms.graph.derive import LinkRow

MAX_IDS = 900  # the ? of one statement (SQLite's bound is 999 in old builds)
LINK_COLUMNS = ("scope", "source", "target", "type", "evidence", "outcome", "page", "position", "cited")
_INSERT = f"INSERT INTO graph_links ({', '.join(LINK_COLUMNS)}) VALUES ({', '.join('?' * len(LINK_COLUMNS))})"


def _chunks(values: Sequence) -> Iterable[Sequence]:
    for start in range(0, len(values), MAX_IDS):
        yield values[start:start + MAX_IDS]


def _marks(values: Sequence) -> str:
    return ",".join("?" * len(values))


# -- the state of the derivation --------------------------------------------------------------------------------

def state(catalog: Catalog) -> dict[str, str]:
    return dict(catalog.conn.execute("SELECT key, value FROM graph_sync").fetchall())


def set_state(catalog: Catalog, values: dict[str, str]) -> None:
    catalog.require_transaction("set_state")
    for key, value in values.items():
        catalog.conn.execute("INSERT INTO graph_sync (key, value) VALUES (?, ?) "
                             "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))


def forget_state(catalog: Catalog, keys: Sequence[str]) -> None:
    catalog.require_transaction("forget_state")
    catalog.conn.execute(f"DELETE FROM graph_sync WHERE key IN ({_marks(keys)})", tuple(keys))


def marks(catalog: Catalog) -> tuple[int, int, bool]:
    """The highest version id and audit entry id (what the rows were derived up to), and whether documents were
    rewritten in place since (graph_dirty holds any)."""
    versions, audit, dirty = catalog.conn.execute(
        "SELECT COALESCE((SELECT MAX(id) FROM versions), 0), COALESCE((SELECT MAX(id) FROM audit_log), 0), "
        "(SELECT COUNT(*) FROM (SELECT 1 FROM graph_dirty LIMIT 1) AS any_dirty)").fetchone()
    return versions, audit, bool(dirty)


def rewritten_documents(catalog: Catalog) -> list[int]:
    """The documents whose facts were rewritten in place since the last sync (Catalog.links_stale); forgotten here
    (in the caller's transaction, which derives them)."""
    catalog.require_transaction("rewritten_documents")
    found = [r[0] for r in catalog.conn.execute("SELECT doc_id FROM graph_dirty ORDER BY doc_id")]
    if found:
        catalog.conn.execute("DELETE FROM graph_dirty")
    return found


def documents_with_versions_after(catalog: Catalog, version_mark: int) -> list[int]:
    return [r[0] for r in catalog.conn.execute(
        "SELECT DISTINCT document_id FROM versions WHERE id > ? ORDER BY document_id", (version_mark,))]


def audit_entries_after(catalog: Catalog, audit_mark: int, actions: Sequence[str]) -> list[tuple[str, str, str]]:
    """(action, subject, details JSON) of the entries after the mark of these actions, in order."""
    return catalog.conn.execute(
        f"SELECT action, subject, details FROM audit_log WHERE id > ? AND action IN ({_marks(actions)}) ORDER BY id",
        (audit_mark, *actions)).fetchall()


# -- the facts links are made from --------------------------------------------------------------------------------

def live_document_ids(catalog: Catalog) -> list[int]:
    return [r[0] for r in catalog.conn.execute(
        f"SELECT id FROM documents WHERE current_version_id IS NOT NULL AND {LIVE} ORDER BY id")]


def live_document_count(catalog: Catalog) -> int:
    return catalog.conn.execute(
        f"SELECT COUNT(*) FROM documents WHERE current_version_id IS NOT NULL AND {LIVE}").fetchone()[0]


def live_document_ids_among(catalog: Catalog, doc_ids: Sequence[int]) -> list[int]:
    """Those of `doc_ids` that are live documents (a current version, neither retired nor purged)."""
    found: list[int] = []
    for chunk in _chunks(sorted(set(doc_ids))):
        found += [r[0] for r in catalog.conn.execute(
            f"SELECT id FROM documents WHERE current_version_id IS NOT NULL AND {LIVE} AND id IN ({_marks(chunk)})",
            tuple(chunk))]
    return found


def live_document_ids_after(catalog: Catalog, after: int, most: int) -> list[int]:
    """The next `most` live documents by id, after the id `after` (a derivation in steps walks them so)."""
    return [r[0] for r in catalog.conn.execute(
        f"SELECT id FROM documents WHERE current_version_id IS NOT NULL AND {LIVE} AND id > ? ORDER BY id LIMIT ?",
        (after, most))]


def carried_numbers_after(catalog: Catalog, after: str, most: int) -> list[str]:
    """The next `most` document numbers live documents carry, after `after`, in the catalog's own order of text
    (the same order for the comparison and the sort, so a walk in steps meets each number once)."""
    return [r[0] for r in catalog.conn.execute(
        "SELECT DISTINCT v.number FROM documents d JOIN versions v ON v.id = d.current_version_id "
        "WHERE d.retired_at IS NULL AND d.purged_at IS NULL AND v.number IS NOT NULL AND v.number > ? "
        "ORDER BY v.number LIMIT ?", (after, most))]


def live_documents(catalog: Catalog, doc_ids: Sequence[int]) -> list[DocumentRow]:
    """The graph's documents (current version, neither retired nor purged) among these ids, by id."""
    found: list[DocumentRow] = []
    for chunk in _chunks(sorted(set(doc_ids))):
        found += documents(catalog, f"{DOCUMENTS} WHERE d.id IN ({_marks(chunk)}) AND d.retired_at IS NULL "
                                    "AND d.purged_at IS NULL ORDER BY d.id", tuple(chunk))
    return sorted(found, key=lambda d: d.id)


def numbered_documents(catalog: Catalog, numbers: Sequence[str]) -> dict[str, list[DocumentRow]]:
    """number -> the live documents carrying it (copies included: the chain leaves them out itself)."""
    found: dict[str, list[DocumentRow]] = defaultdict(list)
    for chunk in _chunks(sorted(set(numbers))):
        for doc in documents(catalog, f"{DOCUMENTS} WHERE v.number IN ({_marks(chunk)}) AND d.retired_at IS NULL "
                                      "AND d.purged_at IS NULL ORDER BY d.id", tuple(chunk)):
            found[doc.version.number].append(doc)
    return found


def references_of(catalog: Catalog, doc_ids: Sequence[int]) -> dict[int, list[Reference]]:
    """doc id -> the references of its current version, in page and offset order."""
    found: dict[int, list[Reference]] = defaultdict(list)
    for chunk in _chunks(sorted(set(doc_ids))):
        for doc_id, *ref in catalog.conn.execute(
                'SELECT d.id, r.family, r.number, r.revision, r.page, r."offset", r.snippet FROM refs r '
                f"JOIN documents d ON d.current_version_id = r.version_id WHERE d.id IN ({_marks(chunk)}) "
                'ORDER BY d.id, r.page, r."offset"', tuple(chunk)):
            found[doc_id].append(Reference(*ref))
    return found


def pages_of(catalog: Catalog, version_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    found: dict[int, list[str]] = defaultdict(list)
    for chunk in _chunks(sorted(set(version_ids))):
        for version_id, text in catalog.conn.execute(
                f"SELECT version_id, text FROM pages WHERE version_id IN ({_marks(chunk)}) "
                "ORDER BY version_id, page_no", tuple(chunk)):
            found[version_id].append(text)
    return {k: tuple(v) for k, v in found.items()}


# -- e-mail headers ---------------------------------------------------------------------------------------------

def messages_of(catalog: Catalog, doc_ids: Sequence[int]) -> dict[int, tuple[str | None, str | None]]:
    """doc id -> (Message-ID, In-Reply-To) as last derived."""
    found = {}
    for chunk in _chunks(sorted(set(doc_ids))):
        for doc_id, message_id, reply in catalog.conn.execute(
                f"SELECT doc_id, message_id, in_reply_to FROM graph_messages WHERE doc_id IN ({_marks(chunk)})",
                tuple(chunk)):
            found[doc_id] = (message_id, reply)
    return found


def replace_messages(catalog: Catalog, doc_ids: Sequence[int], rows: Iterable[tuple[int, str | None, str | None]]):
    catalog.require_transaction("replace_messages")
    for chunk in _chunks(sorted(set(doc_ids))):
        catalog.conn.execute(f"DELETE FROM graph_messages WHERE doc_id IN ({_marks(chunk)})", tuple(chunk))
    catalog.conn.executemany("INSERT INTO graph_messages (doc_id, message_id, in_reply_to) VALUES (?, ?, ?)",
                             list(rows))


def carriers(catalog: Catalog, message_ids: Sequence[str]) -> dict[str, int]:
    """Message-ID -> the live document carrying it (the highest id when copies carry it too)."""
    found = {}
    for chunk in _chunks(sorted(set(message_ids))):
        found.update(catalog.conn.execute(
            f"SELECT message_id, MAX(doc_id) FROM graph_messages WHERE message_id IN ({_marks(chunk)}) "
            "GROUP BY message_id", tuple(chunk)).fetchall())
    return found


def repliers(catalog: Catalog, message_ids: Sequence[str]) -> list[int]:
    """The documents whose In-Reply-To names one of these Message-IDs."""
    found: set[int] = set()
    for chunk in _chunks(sorted(set(message_ids))):
        found.update(r[0] for r in catalog.conn.execute(
            f"SELECT doc_id FROM graph_messages WHERE in_reply_to IN ({_marks(chunk)})", tuple(chunk)))
    return sorted(found)


# -- the link rows ----------------------------------------------------------------------------------------------

def targets_in_scopes(catalog: Catalog, scopes: Sequence[str], types: Sequence[str]) -> dict[str, list[str]]:
    """scope -> the targets of its links of these types (a document's own number before it is derived again)."""
    found: dict[str, list[str]] = defaultdict(list)
    for chunk in _chunks(sorted(set(scopes))):
        for scope, target in catalog.conn.execute(
                f"SELECT scope, target FROM graph_links WHERE scope IN ({_marks(chunk)}) "
                f"AND type IN ({_marks(types)})", (*chunk, *types)):
            found[scope].append(target)
    return found


def scopes_linking_to(catalog: Catalog, targets: Sequence[str], link_type: str) -> list[str]:
    found: set[str] = set()
    for chunk in _chunks(sorted(set(targets))):
        found.update(r[0] for r in catalog.conn.execute(
            f"SELECT DISTINCT scope FROM graph_links WHERE target IN ({_marks(chunk)}) AND type = ?",
            (*chunk, link_type)))
    return sorted(found)


def replace_links(catalog: Catalog, scopes: Sequence[str], rows: Iterable[LinkRow]) -> int:
    """The links of these scopes become `rows` (all of them of these scopes). Returns how many were written."""
    catalog.require_transaction("replace_links")
    for chunk in _chunks(sorted(set(scopes))):
        catalog.conn.execute(f"DELETE FROM graph_links WHERE scope IN ({_marks(chunk)})", tuple(chunk))
    values = [(r.scope, r.source, r.target, r.type, r.evidence, r.outcome, r.page, r.position, r.cited)
              for r in rows]
    if values:
        catalog.conn.executemany(_INSERT, values)
    return len(values)


# SQLite's page cache while every link is derived (in KiB): with the default 2 MB, the three indexes of graph_links
# spill pages again and again (about 130 GB written for 15 million rows); this is spent only during that derivation
BULK_CACHE_KIB = 256 * 1024


@contextmanager
def large_cache(catalog: Catalog) -> Iterator[None]:
    """A derivation of every link: on SQLite a page cache of BULK_CACHE_KIB while it runs (its transactions
    included); `analyze` after it."""
    if catalog.dialect != "sqlite":
        yield
        return
    (before,) = catalog.conn.execute("PRAGMA cache_size").fetchone()
    catalog.conn.execute(f"PRAGMA cache_size = {-BULK_CACHE_KIB}")
    try:
        yield
    finally:
        catalog.conn.execute(f"PRAGMA cache_size = {int(before)}")


def analyze(catalog: Catalog) -> None:
    """On PostgreSQL, the planner's statistics of the link tables after they were filled (SQLite plans without)."""
    if catalog.dialect != "sqlite":
        catalog.conn.execute("ANALYZE graph_links, graph_messages")


def clear_headers(catalog: Catalog) -> None:
    """No header and no document marked as rewritten: a derivation from scratch begins (it replaces the link rows
    scope by scope, and drops those of scopes it no longer makes at its end)."""
    catalog.require_transaction("clear_headers")
    catalog.conn.execute("DELETE FROM graph_messages")
    catalog.conn.execute("DELETE FROM graph_dirty")


def scopes_after(catalog: Catalog, after: str, most: int) -> list[str]:
    """The next `most` scopes that hold link rows, after `after`, in the catalog's order of text."""
    return [r[0] for r in catalog.conn.execute(
        "SELECT DISTINCT scope FROM graph_links WHERE scope > ? ORDER BY scope LIMIT ?", (after, most))]


def all_links(catalog: Catalog) -> list[tuple]:
    """Every derived link row (without its id), sorted: for `dms verify` and the tests' comparisons."""
    return sorted((tuple(r) for r in catalog.conn.execute(f"SELECT {', '.join(LINK_COLUMNS)} FROM graph_links")),
                  key=lambda r: tuple("" if v is None else str(v) for v in r))


def all_messages(catalog: Catalog) -> list[tuple[int, str | None, str | None]]:
    return [tuple(r) for r in catalog.conn.execute(
        "SELECT doc_id, message_id, in_reply_to FROM graph_messages ORDER BY doc_id")]


def link_count(catalog: Catalog) -> int:
    return catalog.conn.execute("SELECT COUNT(*) FROM graph_links").fetchone()[0]


def links_in_scopes(catalog: Catalog, scopes: Sequence[str]) -> list[tuple]:
    """The derived link rows (without their ids) of these scopes."""
    found: list[tuple] = []
    for chunk in _chunks(sorted(set(scopes))):
        found.extend(tuple(r) for r in catalog.conn.execute(
            f"SELECT {', '.join(LINK_COLUMNS)} FROM graph_links WHERE scope IN ({_marks(chunk)})", tuple(chunk)))
    return found


def scope_counts(catalog: Catalog) -> Iterator[tuple[str, int]]:
    """(scope, how many link rows it holds) for every scope that holds any, one at a time."""
    yield from ((scope, count) for scope, count in catalog.conn.execute(
        "SELECT scope, COUNT(*) FROM graph_links GROUP BY scope"))
