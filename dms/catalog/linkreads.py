"""Reads of the cross-reference graph's link rows (graph_links, written by dms.catalog.linkrows) and hand-made
links (manual_links): what dms.graph.rowgraph and the graph questions (orphans, dangling, stale) ask, with no
whole-graph load.

Graph nodes are text: "doc:<id>" for a document, "<family>:<NUMBER>", "product:<CODE>", "party:<name>" for the
entities. A row counts only when its document ends are live documents (a current version, neither retired nor
purged): `_live(column)` is that condition in SQL (any other end is an entity, which a row with a live document
end makes exist). Statements touching many nodes are cut into chunks of `CHUNK` nodes (SQLite's parameter limit).
"""

from __future__ import annotations

from collections.abc import Iterator

from dms.catalog import dialect
from dms.catalog.db import Catalog

CHUNK = 400  # nodes per statement: two IN lists of this many stay under SQLite's oldest parameter limit (999)
DOC_PREFIX = "doc:"
LINK_COLS = "l.id, l.source, l.target, l.type, l.evidence, l.outcome, l.page, l.position, l.cited"
HOP_COLS = "l.id, l.source, l.target, l.type"  # the first of LINK_COLS: a link row without its evidence
# a document node's facts: id, file name, path, title, type, date, number, revision
DOC_FACTS = "d.id, d.name, d.path, v.title, v.doc_type, v.doc_date, v.number, v.revision"
LIVE_DOCS = ("FROM documents d JOIN versions v ON v.id = d.current_version_id "
             "WHERE d.retired_at IS NULL AND d.purged_at IS NULL")
MANUAL_COLS = "id, source, target, type, reason, created_by, created_at"


def _live(end: str) -> str:
    """SQL true when the node in column `end` is an entity or a live document (CASE: the cast only on doc:)."""
    return (f"(CASE WHEN substr({end}, 1, 4) = 'doc:' THEN EXISTS (SELECT 1 FROM documents live_doc "
            f"WHERE live_doc.id = CAST(substr({end}, 5) AS BIGINT) AND live_doc.current_version_id IS NOT NULL "
            "AND live_doc.retired_at IS NULL AND live_doc.purged_at IS NULL) ELSE 1 = 1 END)")


def _node_of(column: str) -> str:
    return f"('doc:' || CAST({column} AS TEXT))"


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _marks(n: int) -> str:
    return ", ".join("?" * n)


def links_touching(catalog: Catalog, nodes: list[str]) -> list[tuple]:
    """Every derived link row whose source or target is one of `nodes` (each row once, by id; ends not
    checked): (id, source, target, type, evidence, outcome, page, position, cited)."""
    return _touching(catalog, LINK_COLS, nodes, None)


def hops_touching(catalog: Catalog, nodes: list[str], types: tuple[str, ...] | None = None) -> list[tuple]:
    """(id, source, target, type) of the derived link rows touching `nodes`, as `links_touching`, of these `types`
    only when given: what a walk needs to choose the link it shows between two nodes, without the evidence (a
    trace from a hub finds thousands of documents and shows a page of them: `links_by_id` reads the evidence of
    the links shown)."""
    return _touching(catalog, HOP_COLS, nodes, types)


def _touching(catalog: Catalog, cols: str, nodes: list[str], types: tuple[str, ...] | None) -> list[tuple]:
    found: dict[int, tuple] = {}
    kinds = f" AND l.type IN ({_marks(len(types))})" if types else ""
    for chunk in _chunks(sorted(set(nodes))):
        marks = _marks(len(chunk))
        rows = catalog.conn.execute(
            f"SELECT {cols} FROM graph_links l WHERE l.source IN ({marks}){kinds} "
            f"UNION ALL SELECT {cols} FROM graph_links l WHERE l.target IN ({marks}){kinds}",
            (*chunk, *(types or ()), *chunk, *(types or ())),
        ).fetchall()
        for row in rows:
            found[row[0]] = tuple(row)
    return [found[k] for k in sorted(found)]


def links_by_id(catalog: Catalog, ids: list[int]) -> list[tuple]:
    """The derived link rows (LINK_COLS) with these ids, by id."""
    return _where_in(catalog, f"SELECT {LINK_COLS} FROM graph_links l WHERE l.id", ids)


def _where_in(catalog: Catalog, select: str, ids: list[int]) -> list[tuple]:
    """The rows of `select` (ending in the column to match, "... WHERE x.id") for these ids, a CHUNK at a time,
    sorted."""
    out = []
    for chunk in _chunks(sorted(set(ids))):
        out += catalog.conn.execute(f"{select} IN ({_marks(len(chunk))})", chunk).fetchall()
    return sorted(tuple(r) for r in out)


def link_ends_touching(catalog: Catalog, nodes: list[str]) -> list[tuple[str, str]]:
    """(source, target) of the derived link rows touching `nodes` whose other end is an entity or a live document
    (the liveness checked in SQL, one primary-key probe a row; a row touching two of them comes twice): the
    neighbours a path search needs, without the evidence. The nodes themselves are taken to be nodes."""
    out: list[tuple[str, str]] = []
    for chunk in _chunks(sorted(set(nodes))):
        marks = _marks(len(chunk))
        out += catalog.conn.execute(
            f"SELECT l.source, l.target FROM graph_links l WHERE l.source IN ({marks}) AND {_live('l.target')} "
            f"UNION ALL SELECT l.source, l.target FROM graph_links l WHERE l.target IN ({marks}) "
            f"AND {_live('l.source')}",
            (*chunk, *chunk),
        ).fetchall()
    return [tuple(r) for r in out]


def rows_touching_upto(catalog: Catalog, nodes: list[str], most: int) -> int:
    """How many derived link rows touch `nodes` (either way, ends not checked), counted up to `most` only:
    what expanding them would cost a path search, from the indexes alone (a hub of a million rows costs no more
    than `most` index entries to weigh)."""
    found = 0
    for chunk in _chunks(sorted(set(nodes))):
        if found >= most:
            break
        marks = _marks(len(chunk))
        found += catalog.conn.execute(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM graph_links l WHERE l.source IN ({marks}) "
            f"UNION ALL SELECT 1 FROM graph_links l WHERE l.target IN ({marks}) LIMIT ?) counted",
            (*chunk, *chunk, most - found),
        ).fetchone()[0]
    return min(found, most)


def links_between(catalog: Catalog, a: str, b: str) -> list[tuple]:
    """The derived link rows from a to b and from b to a, by id (LINK_COLS; ends not checked). Read over the end
    that is a document (every derived row has one): an entity end may be a hub of thousands of rows, which an
    index on it alone would walk through (SQLite has no statistics telling which end is the smaller)."""
    near = a if a.startswith(DOC_PREFIX) else b if b.startswith(DOC_PREFIX) else None
    if near is None:  # two entities: no derived row joins them, asked all the same
        return [tuple(r) for r in catalog.conn.execute(
            f"SELECT {LINK_COLS} FROM graph_links l WHERE l.source = ? AND l.target = ? "
            f"UNION ALL SELECT {LINK_COLS} FROM graph_links l WHERE l.source = ? AND l.target = ? ORDER BY 1",
            (a, b, b, a),
        ).fetchall()]
    rows = catalog.conn.execute(
        f"SELECT {LINK_COLS} FROM graph_links l WHERE l.source = ? "
        f"UNION ALL SELECT {LINK_COLS} FROM graph_links l WHERE l.target = ?",
        (near, near),
    ).fetchall()
    pair = {(a, b), (b, a)}
    return sorted((tuple(r) for r in rows if (r[1], r[2]) in pair), key=lambda r: r[0])


def live_documents(catalog: Catalog, ids: list[int]) -> list[tuple]:
    """The facts (DOC_FACTS) of those of `ids` that are live documents, by id."""
    return _where_in(catalog, f"SELECT {DOC_FACTS} {LIVE_DOCS} AND d.id", ids)


def live_dates(catalog: Catalog, ids: list[int]) -> list[tuple]:
    """(id, date) of those of `ids` that are live documents, by id: whether a document is a node, and where it
    sorts in a trace, without the rest of its facts."""
    return _where_in(catalog, f"SELECT d.id, v.doc_date {LIVE_DOCS} AND d.id", ids)


def all_live_documents(catalog: Catalog) -> list[tuple]:
    """The facts of every live document, by id (whole-graph iteration: export and tests only)."""
    return [tuple(r) for r in catalog.conn.execute(f"SELECT {DOC_FACTS} {LIVE_DOCS} ORDER BY d.id").fetchall()]


def documents_numbered(catalog: Catalog, number: str) -> list[tuple]:
    """The facts of the live documents carrying this document number, by id."""
    return [tuple(r) for r in catalog.conn.execute(
        f"SELECT {DOC_FACTS} {LIVE_DOCS} AND v.number = ? ORDER BY d.id", (number,)).fetchall()]


def entity_exists(catalog: Catalog, node: str) -> bool:
    """Whether a derived link row names the entity `node` and has a live document at its other end."""
    row = catalog.conn.execute(
        f"SELECT 1 FROM graph_links l WHERE l.target = ? AND {_live('l.source')} "
        f"UNION ALL SELECT 1 FROM graph_links l WHERE l.source = ? AND {_live('l.target')} LIMIT 1",
        (node, node),
    ).fetchone()
    return row is not None


def entities_named(catalog: Catalog, prefix: str) -> list[str]:
    """The distinct link targets starting with `prefix` ("party:", "eco:"), by an index skip scan (one seek per
    name, not one per row); a prefix ends with ":" so the next character bounds the range. Not checked for a
    live end: callers ask `entity_exists` of the ones they keep."""
    if not prefix.endswith(":"):
        raise ValueError(f"an entity prefix ends with ':' ({prefix!r})")
    upper = prefix[:-1] + ";"
    rows = catalog.conn.execute(
        "WITH RECURSIVE names(t) AS ("
        "SELECT (SELECT MIN(target) FROM graph_links WHERE target >= ? AND target < ?) "
        "UNION ALL SELECT (SELECT MIN(g.target) FROM graph_links g WHERE g.target > names.t AND g.target < ?) "
        "FROM names WHERE names.t IS NOT NULL) SELECT t FROM names WHERE t IS NOT NULL",
        (prefix, upper, upper),
    ).fetchall()
    return [r[0] for r in rows]


def all_entities(catalog: Catalog) -> list[str]:
    """Every entity node (a non-document end of a row whose document end is live), sorted (tests, export)."""
    rows = catalog.conn.execute(
        f"SELECT l.target FROM graph_links l WHERE substr(l.target, 1, 4) <> 'doc:' AND {_live('l.source')} "
        f"UNION SELECT l.source FROM graph_links l WHERE substr(l.source, 1, 4) <> 'doc:' AND {_live('l.target')}"
    ).fetchall()
    return sorted(r[0] for r in rows)


def all_links(catalog: Catalog) -> Iterator[tuple]:
    """Every derived link row by id, ends not checked (whole-graph iteration: export and tests only)."""
    yield from (tuple(r) for r in catalog.conn.execute(f"SELECT {LINK_COLS} FROM graph_links l ORDER BY l.id"))


def live_manual_links(catalog: Catalog) -> list[tuple]:
    """The hand-made links not removed, by id: (id, source, target, type, reason, created_by, created_at).
    Made by people, so few: read whole, once per graph."""
    return [tuple(r) for r in catalog.conn.execute(
        f"SELECT {MANUAL_COLS} FROM manual_links WHERE removed_at IS NULL ORDER BY id").fetchall()]


def unlinked_documents(catalog: Catalog, cross_types: tuple[str, ...]) -> list[tuple]:
    """The facts of the live documents no derived link of `cross_types` joins to another node (hand-made links
    not considered: the caller looks at those), by id."""
    types = _marks(len(cross_types))
    return [tuple(r) for r in catalog.conn.execute(
        f"SELECT {DOC_FACTS} {LIVE_DOCS} "
        f"AND NOT EXISTS (SELECT 1 FROM graph_links l WHERE l.source = {_node_of('d.id')} "
        f"AND l.type IN ({types}) AND {_live('l.target')}) "
        f"AND NOT EXISTS (SELECT 1 FROM graph_links l WHERE l.target = {_node_of('d.id')} "
        f"AND l.type IN ({types}) AND {_live('l.source')}) ORDER BY d.id",
        (*cross_types, *cross_types),
    ).fetchall()]


def undefined_citations(catalog: Catalog, mention: str, own_number: tuple[str, ...]) -> list[tuple[str, str]]:
    """(entity, citing document node) for each `mention` row from a live document to an entity that no live
    document carries as its own number (`own_number` link types). The cited entities are checked once each (over
    the (target, type) index), then only the undefined ones' citing rows are read."""
    own = _marks(len(own_number))
    undefined = [r[0] for r in catalog.conn.execute(
        "SELECT t.target FROM (SELECT DISTINCT l.target FROM graph_links l WHERE l.type = ?) t "
        "WHERE substr(t.target, 1, 4) <> 'doc:' AND NOT EXISTS (SELECT 1 FROM graph_links o "
        f"WHERE o.target = t.target AND o.type IN ({own}) AND {_live('o.source')})",
        (mention, *own_number),
    ).fetchall()]
    out = []
    for chunk in _chunks(undefined):
        out += catalog.conn.execute(
            f"SELECT l.target, l.source FROM graph_links l WHERE l.target IN ({_marks(len(chunk))}) AND l.type = ? "
            f"AND {_live('l.source')}", (*chunk, mention)).fetchall()
    return [tuple(r) for r in out]


def revision_citations(catalog: Catalog, mention: str, supersedes: str) -> list[tuple[str, str, str]]:
    """(citing document node, cited, evidence) of each `mention` row citing a revision (" Rev " in cited) from
    a live document no derived `supersedes` link from a live document replaces."""
    return [tuple(r) for r in catalog.conn.execute(
        f"SELECT l.source, l.cited, l.evidence FROM graph_links l WHERE l.type = ? "
        f"AND {dialect.contains(catalog.dialect, 'l.cited')} AND {_live('l.source')} "
        f"AND NOT EXISTS (SELECT 1 FROM graph_links s WHERE s.target = l.source AND s.type = ? "
        f"AND {_live('s.source')})",
        (mention, " Rev ", supersedes),
    ).fetchall()]


def unsuperseded_revisions(catalog: Catalog, numbers: list[str], supersedes: str) -> list[tuple]:
    """The facts of the live documents with one of these numbers and a revision that no derived `supersedes`
    link from a live document replaces, by id."""
    out = []
    for chunk in _chunks(sorted(set(numbers))):
        out += catalog.conn.execute(
            f"SELECT {DOC_FACTS} {LIVE_DOCS} AND v.number IN ({_marks(len(chunk))}) AND v.revision IS NOT NULL "
            f"AND v.revision <> '' AND NOT EXISTS (SELECT 1 FROM graph_links s WHERE s.target = {_node_of('d.id')} "
            f"AND s.type = ? AND {_live('s.source')})",
            (*chunk, supersedes),
        ).fetchall()
    return sorted(tuple(r) for r in out)


def link_counts(catalog: Catalog, nodes: list[str]) -> dict[str, int]:
    """node -> how many derived link rows with live ends touch it (either direction): degrees without fetching
    the rows (a hub's thousands of neighbours ordered by how connected each is)."""
    counts: dict[str, int] = dict.fromkeys(nodes, 0)
    for chunk in _chunks(sorted(set(nodes))):
        marks = _marks(len(chunk))
        rows = catalog.conn.execute(
            f"SELECT l.source, COUNT(*) FROM graph_links l WHERE l.source IN ({marks}) AND {_live('l.target')} "
            f"GROUP BY l.source UNION ALL SELECT l.target, COUNT(*) FROM graph_links l WHERE l.target IN ({marks}) "
            f"AND {_live('l.source')} GROUP BY l.target",
            (*chunk, *chunk),
        ).fetchall()
        for node, n in rows:
            counts[node] += n
    return counts
