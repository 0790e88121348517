"""The cross-reference graph read from the catalog's link rows, one neighbourhood at a time.

`RowGraph` answers the part of networkx's MultiDiGraph API that dms uses (`node in g`, `g.nodes[n]`,
`g.out_edges(n, data=True)`, `g.in_edges`, successors, predecessors, degree, `g.graph`, `g.subgraph(nodes)`) from
the derived link rows (graph_links, kept by dms.graph.sync) and the hand-made links, through
`dms.catalog.linkreads`: nothing loads the whole graph unless a caller iterates all of it (`g.nodes(data=True)`,
`g.edges(data=True)`: export and tests). What it fetched it keeps for its own life: make one per request or
command, never keep one across writes.

Nodes and edges are those of `dms.graph.build.build_graph`: a node per live document (attributes as there), an
entity node per name a row with a live document end gives (kind = the part before the first ":", label = the
rest), the edge data dicts of networkx (type, evidence; outcome; page, offset, cited; manual). A hand-made link
counts when both its ends are nodes. Edges of a node come in networkx's order for a graph built in row order:
derived rows by id, then hand-made links by id, grouped by the node at the other end in the order first seen.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING

from dms.catalog import linkreads
from dms.graph.derive import LinkRow, manual_edge_data
from dms.graph.linktypes import DERIVED
from dms.titles import heading

if TYPE_CHECKING:
    import networkx as nx

    from dms.catalog import Catalog

DOC = "doc:"
LIVE = True  # in RowGraph._docs: a live document whose facts are not read yet (a path search needs no more)
NAMES_KEPT = 1 << 16  # node names whose document id (or none) is remembered: they recur in every fetched row
Edge = tuple[str, dict]  # (the node at the other end, the edge's data)


@lru_cache(maxsize=NAMES_KEPT)
def doc_id_of(node: str) -> int | None:
    """The id in a document node's name ("doc:12" -> 12); None for any other name."""
    if isinstance(node, str) and node.startswith(DOC) and node[4:].isascii() and node[4:].isdigit():
        if str(int(node[4:])) == node[4:] and int(node[4:]) < 2**63:  # a catalog id is a 64-bit integer
            return int(node[4:])
    return None


def _storable(name: str) -> bool:
    """Whether a name can be in the catalog at all: text in it is UTF-8 (a file name's undecodable bytes, kept as
    surrogates, are not): no node has such a name, and the catalog is not asked."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def document_attrs(facts: tuple) -> dict:
    """A document node's attributes (as build_graph gives them) from linkreads.DOC_FACTS."""
    doc_id, name, path, title, doc_type, date, number, revision = facts
    return {"kind": "document", "id": doc_id, "title": title or name, "path": path,
            "heading": heading(number, revision, title, name), "type": doc_type, "date": date, "number": number,
            "revision": revision}


def derived_data(row: tuple) -> dict:
    """The networkx edge data of a graph_links row (linkreads.LINK_COLS: its id, then a LinkRow's fields)."""
    return LinkRow("", *row[1:]).edge_data()


def manual_data(link: tuple) -> dict:
    link_id, _, _, kind, reason, created_by, created_at = link
    return manual_edge_data(link_id, kind, reason, created_by, created_at)


class RowGraph:
    def __init__(self, catalog: Catalog, matcher_or_change_families):
        self.catalog = catalog
        self.behind = False  # graph_for: the rows could not be brought up to date (another process was writing)
        rules = getattr(matcher_or_change_families, "rules", None)
        self.graph = {"change_families": rules.change_families if rules is not None
                      else tuple(matcher_or_change_families)}
        # document id -> attributes (the facts as read until first asked for, LIVE before they are read), None when
        # it is no live document
        self._docs: dict[int, dict | tuple | bool | None] = {}
        self._near: dict[str, list[str]] = {}  # prefetch_around's: neighbours either way
        self._entities: dict[str, bool] = {}  # entity name -> whether it is a node
        self._out: dict[str, list[Edge]] = {}  # complete for the nodes fetched
        self._in: dict[str, list[Edge]] = {}
        self._dates: dict[int, str | None] = {}  # load_dates': the date of a LIVE document whose facts are not read
        self._manual: list[tuple] | None = None
        self.nodes = NodeView(self)

    # -- nodes ------------------------------------------------------------------------------------

    def __contains__(self, node) -> bool:
        if not isinstance(node, str):
            return False
        doc_id = doc_id_of(node)
        if doc_id is not None:
            if doc_id not in self._docs:
                self.load_documents([doc_id])
            return self._docs[doc_id] is not None
        if not isinstance(node, str) or node.startswith(DOC) or not _storable(node):
            return False
        if node not in self._entities:
            self._entities[node] = linkreads.entity_exists(self.catalog, node)
        return self._entities[node]

    has_node = __contains__

    def attrs(self, node: str) -> dict:
        doc_id = doc_id_of(node) if isinstance(node, str) else None
        if node not in self:
            raise KeyError(node)
        if doc_id is not None:
            found = self._docs[doc_id]
            if found is LIVE:
                self.load_documents([doc_id])
                found = self._docs[doc_id]
            if type(found) is tuple:  # made into attributes when first asked for: a search reads many, uses few
                found = self._docs[doc_id] = document_attrs(found)
            return found
        kind, _, label = node.partition(":")
        return {"kind": kind, "label": label}

    def kind_of(self, node: str) -> str:
        """`g.nodes[node]["kind"]` of a node of the graph, without making its attributes."""
        return "document" if doc_id_of(node) is not None else node.partition(":")[0]

    def date_of(self, node: str) -> str | None:
        """`g.nodes[node].get("date")` of a node of the graph, without making its attributes (a trace sorts all
        it found by date, and shows a page of them)."""
        doc_id = doc_id_of(node)
        if doc_id in self._dates:  # a live document's, read alone (None is never a key)
            return self._dates[doc_id]
        if doc_id is None:
            return None
        found = self._docs.get(doc_id)
        if type(found) is tuple:
            return found[5]  # linkreads.DOC_FACTS: id, name, path, title, type, date, ...
        return self.attrs(node).get("date")

    def dates_of(self, nodes: list[str]) -> list[str | None]:
        """`date_of` of each of these nodes (a trace sorts the thousands of documents around a hub)."""
        dates = self._dates
        return [dates[i] if (i := doc_id_of(n)) in dates else self.date_of(n) for n in nodes]

    def load_documents(self, ids: Iterable[int]) -> None:
        """Fetch the attributes of these documents at once (those whose facts are not read yet)."""
        todo = [i for i in set(ids) if self._docs.get(i, LIVE) is LIVE]
        if not todo:
            return
        for facts in linkreads.live_documents(self.catalog, todo):
            self._docs[facts[0]] = facts
        for i in todo:
            self._docs.setdefault(i, None)

    def load_dates(self, ids: Iterable[int]) -> None:
        """Whether these documents (those not seen yet) are live, and the dates of those that are, without their
        other facts: a trace from a hub sorts thousands of documents by date and shows a page of them."""
        todo = [i for i in set(ids) if i not in self._docs]
        if not todo:
            return
        for doc_id, date in linkreads.live_dates(self.catalog, todo):
            self._docs[doc_id] = LIVE
            self._dates[doc_id] = date
        for i in todo:
            self._docs.setdefault(i, None)

    def nodes_of_kind(self, kind: str, containing: str | None = None) -> list[str]:
        """The entity nodes of one kind ("party", "product", a change family), sorted; `containing`: only those
        whose label holds that text, case aside. One index seek per name of the kind, not a scan of its links."""
        names = linkreads.entities_named(self.catalog, f"{kind}:")
        if containing is not None:
            text = containing.lower()
            names = [n for n in names if text in n.partition(":")[2].lower()]
        return sorted(n for n in names if n in self)

    def documents_numbered(self, number: str) -> list[dict]:
        """The attributes of the document nodes carrying this number, by id."""
        found = [document_attrs(f) for f in linkreads.documents_numbered(self.catalog, number)]
        for attrs in found:
            self._docs[attrs["id"]] = attrs
        return found

    # -- edges ------------------------------------------------------------------------------------

    def prefetch(self, nodes: Iterable[str]) -> None:
        """Fetch the links of all these nodes at once (a frontier: one statement per CHUNK nodes for the derived
        rows, one for the facts of the documents at their ends)."""
        todo = [n for n in dict.fromkeys(nodes) if n not in self._out]
        if todo:
            out, inc = self._fetch(todo)
            for n in todo:
                self._out[n], self._in[n] = out[n], inc[n]

    def trace_edges(self, nodes: Iterable[str], types: frozenset[str] | None) -> dict[str, tuple[list, list]]:
        """For a trace, all at once: the (out, in) links of each of these nodes whose other end is a live document,
        as (other, type, manual, evidence) in the order of `out_edges` and `in_edges`; `types`: only the derived
        links of these types, and the hand-made links (walking on from a document: a few index seeks a node).
        `evidence` is a derived link's row id while its text is not read (`evidence_of`: a trace shows the links
        of one page of the documents it finds), and the documents at the other ends get their dates only
        (`load_dates`; `load_documents` for the page)."""
        todo = list(dict.fromkeys(nodes))
        derived = None if types is None else tuple(sorted(types & DERIVED))
        rows = linkreads.hops_touching(self.catalog, todo, derived) if derived is None or derived else []
        wanted = set(todo)
        manual = [m for m in self._manual_links() if m[1] in wanted or m[2] in wanted]
        self.load_dates(_doc_ids(rows, manual, todo))
        docs = self._docs
        out: dict[str, list] = {n: [] for n in todo}
        inc: dict[str, list] = {n: [] for n in todo}
        for row_id, source, target, kind in rows:
            source_id, target_id = doc_id_of(source), doc_id_of(target)
            # a row counts when its document ends are live; only those whose other end is a document are kept
            if docs.get(source_id, LIVE) is None or docs.get(target_id, LIVE) is None:  # (an entity's id: None)
                continue
            if source in wanted and target_id is not None:
                out[source].append((target, kind, False, row_id))
            if target in wanted and source_id is not None:
                inc[target].append((source, kind, False, row_id))
        for link in manual:
            source, target = link[1], link[2]
            if source in self and target in self:
                evidence = manual_data(link)["evidence"]
                if source in wanted and doc_id_of(target) is not None:
                    out[source].append((target, link[3], True, evidence))
                if target in wanted and doc_id_of(source) is not None:
                    inc[target].append((source, link[3], True, evidence))
        return {n: (out[n], inc[n]) for n in todo}

    def evidence_of(self, refs: Iterable[int | str]) -> dict[int | str, str]:
        """The evidence of the links `trace_edges` gave as these (a row id, read now; or the text itself)."""
        refs = set(refs)
        found: dict[int | str, str] = {r: r for r in refs if isinstance(r, str)}
        for row in linkreads.links_by_id(self.catalog, [r for r in refs if not isinstance(r, str)]):
            found[row[0]] = derived_data(row)["evidence"]
        return found

    def _fetch(self, todo: list[str]) -> tuple[dict, dict]:
        rows = linkreads.links_touching(self.catalog, todo)
        wanted = set(todo)
        manual = [m for m in self._manual_links() if m[1] in wanted or m[2] in wanted]
        self.load_documents(_doc_ids(rows, manual, todo))
        out: dict[str, list[Edge]] = {n: [] for n in todo}
        inc: dict[str, list[Edge]] = {n: [] for n in todo}
        for row in rows:
            source, target = row[1], row[2]
            if not (self._live_end(source) and self._live_end(target)):
                continue
            for end in (source, target):
                if doc_id_of(end) is None:
                    self._entities[end] = True  # a row with a live document end makes it a node
            data = derived_data(row)
            if source in wanted:
                out[source].append((target, data))
            if target in wanted:
                inc[target].append((source, data))
        for link in manual:
            source, target = link[1], link[2]
            if source in self and target in self:
                data = manual_data(link)
                if source in wanted:
                    out[source].append((target, data))
                if target in wanted:
                    inc[target].append((source, data))
        return ({n: _grouped(e) if len(e) > 1 else e for n, e in out.items()},
                {n: _grouped(e) if len(e) > 1 else e for n, e in inc.items()})

    def _live_end(self, node: str) -> bool:
        doc_id = doc_id_of(node)
        return doc_id is None or self._docs.get(doc_id) is not None

    def _manual_links(self) -> list[tuple]:
        if self._manual is None:
            self._manual = linkreads.live_manual_links(self.catalog)
        return self._manual

    def _edges_of(self, node: str) -> tuple[list[Edge], list[Edge]]:
        if node not in self._out:
            self.prefetch([node])
        return self._out[node], self._in[node]

    def out_edges(self, node: str, data: bool = False) -> Iterator[tuple]:
        for other, attrs in self._edges_of(node)[0]:
            yield (node, other, attrs) if data else (node, other)

    def in_edges(self, node: str, data: bool = False) -> Iterator[tuple]:
        for other, attrs in self._edges_of(node)[1]:
            yield (other, node, attrs) if data else (other, node)

    def successors(self, node: str) -> Iterator[str]:
        return iter(dict.fromkeys(other for other, _ in self._edges_of(node)[0]))

    def predecessors(self, node: str) -> Iterator[str]:
        return iter(dict.fromkeys(other for other, _ in self._edges_of(node)[1]))

    def get_edge_data(self, u: str, v: str) -> dict[int, dict] | None:
        """{key: data} of the edges u -> v, as networkx (None when there is none)."""
        found = [attrs for other, attrs in self._edges_of(u)[0] if other == v]
        return dict(enumerate(found)) if found else None

    def between(self, u: str, v: str) -> tuple[list[dict], list[dict]]:
        """(data of the edges u -> v, data of the edges v -> u), from whichever end is fetched already, else read
        alone (two nodes a path joins: neither is fetched whole for it)."""
        if u in self._out:
            out, inc = self._out[u], self._in[u]
            return [d for other, d in out if other == v], [d for other, d in inc if other == v]
        if v in self._out:
            return ([d for other, d in self._in[v] if other == u], [d for other, d in self._out[v] if other == u])
        if u not in self or v not in self:
            return [], []
        forward, backward = [], []
        for row in linkreads.links_between(self.catalog, u, v):
            (forward if row[1] == u else backward).append(derived_data(row))
        for link in self._manual_links():
            if {link[1], link[2]} == {u, v} and u != v:
                (forward if link[1] == u else backward).append(manual_data(link))
        return forward, backward

    def prefetch_around(self, nodes: Iterable[str]) -> None:
        """Fetch the nodes one link from each of these, either way, without the links themselves (a path search's
        frontier: the two ends of each row whose other end is live, checked in the catalog). The nodes themselves
        are nodes of the graph (a search's ends, or reached through a live row)."""
        todo = [n for n in dict.fromkeys(nodes) if n not in self._near and n not in self._out]
        if not todo:
            return
        wanted = set(todo)
        near: dict[str, dict[str, None]] = {n: {} for n in todo}
        for source, target in linkreads.link_ends_touching(self.catalog, todo):
            if source in wanted:
                near[source][target] = None
            if target in wanted:
                near[target][source] = None
            for end in (source, target):  # both ends are nodes: remembered, so `in self` asks the catalog no more
                doc_id = doc_id_of(end)
                if doc_id is None:
                    self._entities[end] = True
                else:
                    self._docs.setdefault(doc_id, LIVE)
        for link in self._manual_links():
            source, target = link[1], link[2]
            if (source in wanted or target in wanted) and source in self and target in self:
                if source in wanted:
                    near[source][target] = None
                if target in wanted:
                    near[target][source] = None
        for n in todo:
            self._near[n] = [m for m in near[n] if m != n]

    def expansion_cost(self, nodes: list[str], most: int) -> int:
        """About how many rows fetching the neighbours of these nodes would read (0 for those fetched), counted
        up to `most`: which side of a path search is the cheaper to take one depth further."""
        todo = [n for n in nodes if n not in self._near and n not in self._out]
        return linkreads.rows_touching_upto(self.catalog, todo, most) if todo and most > 0 else 0

    def around(self, node: str) -> list[str]:
        """The nodes one link from node, either way (itself aside)."""
        if node in self._out:
            return [m for m in dict.fromkeys(o for o, _ in self._out[node] + self._in[node]) if m != node]
        if node not in self._near:
            self.prefetch_around([node])
        return self._near[node]

    def degree(self, nbunch):
        """Links in and out of one node; of several (a list), (node, degree) pairs as networkx's DegreeView,
        counted in the catalog for nodes not fetched (a hub's neighbours need not be fetched to be ordered)."""
        if isinstance(nbunch, str):
            out, inc = self._edges_of(nbunch)
            return len(out) + len(inc)
        nodes = list(dict.fromkeys(nbunch))
        counts = {n: len(self._out[n]) + len(self._in[n]) for n in nodes if n in self._out}
        rest = [n for n in nodes if n not in counts]
        if rest:
            derived = linkreads.link_counts(self.catalog, rest)
            wanted = set(rest)
            for link in self._manual_links():
                if (link[1] in wanted or link[2] in wanted) and link[1] in self and link[2] in self:
                    for end in {link[1], link[2]} & wanted:
                        derived[end] += 1 + (link[1] == link[2])
            counts.update(derived)
        return [(n, counts[n]) for n in nodes]

    def subgraph(self, nodes: Iterable[str]) -> nx.MultiDiGraph:
        """A real networkx graph of these nodes (those that are nodes) and every link among them."""
        import networkx as nx

        keep = [n for n in dict.fromkeys(nodes) if n in self]
        self.prefetch(keep)
        part = nx.MultiDiGraph(**self.graph)
        for n in keep:
            part.add_node(n, **self.attrs(n))
        inside = set(keep)
        for u in keep:
            for v, attrs in self._out[u]:
                if v in inside:
                    part.add_edge(u, v, **attrs)
        return part

    # -- all of it: export and tests only ---------------------------------------------------------

    def all_nodes(self) -> Iterator[tuple[str, dict]]:
        for facts in linkreads.all_live_documents(self.catalog):
            self._docs[facts[0]] = document_attrs(facts)
            yield f"{DOC}{facts[0]}", self._docs[facts[0]]
        for name in linkreads.all_entities(self.catalog):
            self._entities[name] = True
            yield name, self.attrs(name)

    def edges(self, data: bool = False) -> Iterator[tuple]:
        live = {f"{DOC}{facts[0]}" for facts in linkreads.all_live_documents(self.catalog)}
        entities = set(linkreads.all_entities(self.catalog))

        def node(n: str) -> bool:
            return n in live or n in entities

        for row in linkreads.all_links(self.catalog):
            if node(row[1]) and node(row[2]):
                yield (row[1], row[2], derived_data(row)) if data else (row[1], row[2])
        for link in self._manual_links():
            if node(link[1]) and node(link[2]):
                yield (link[1], link[2], manual_data(link)) if data else (link[1], link[2])

    def number_of_nodes(self) -> int:
        return sum(1 for _ in self.all_nodes())

    def __len__(self) -> int:
        return self.number_of_nodes()


class NodeView:
    """`g.nodes`: `g.nodes[n]` (attributes), `n in g.nodes`, and `g.nodes(data=True)` / iteration over all."""

    def __init__(self, g: RowGraph):
        self._g = g

    def __getitem__(self, node: str) -> dict:
        return self._g.attrs(node)

    def __contains__(self, node) -> bool:
        return node in self._g

    def __call__(self, data: bool = False):
        return iter(self._g.all_nodes()) if data else iter(self)

    def __iter__(self) -> Iterator[str]:
        return (n for n, _ in self._g.all_nodes())

    def __len__(self) -> int:
        return self._g.number_of_nodes()


def _doc_ids(rows: list[tuple], manual: list[tuple], nodes: list[str]) -> set[int]:
    """The ids of the documents among the ends of these link rows and hand-made links, and among these nodes."""
    ends = [e for r in rows for e in (r[1], r[2])] + [e for m in manual for e in (m[1], m[2])] + nodes
    return {i for i in map(doc_id_of, ends) if i is not None}


def _grouped(edges: list[Edge]) -> list[Edge]:
    """Edges grouped by the node at the other end, in the order each was first seen (networkx's adjacency)."""
    groups: dict[str, list[Edge]] = {}
    for edge in edges:
        groups.setdefault(edge[0], []).append(edge)
    return [e for group in groups.values() for e in group]


def nodes_of_kind(g, kind: str, containing: str | None = None) -> list[str]:
    """The entity nodes of one kind, sorted, of a RowGraph (from the catalog) or a networkx graph (a scan);
    `containing`: only those whose label holds that text, case aside."""
    if isinstance(g, RowGraph):
        return g.nodes_of_kind(kind, containing)
    text = containing.lower() if containing is not None else None
    return sorted(n for n, a in g.nodes(data=True)
                  if a["kind"] == kind and (text is None or text in a["label"].lower()))


def documents_numbered(g, number: str) -> list[dict]:
    """The attributes of the document nodes carrying this number (RowGraph: from the catalog; else a scan)."""
    if isinstance(g, RowGraph):
        return g.documents_numbered(number)
    return sorted((a for _, a in g.nodes(data=True) if a["kind"] == "document" and a.get("number") == number),
                  key=lambda a: a["id"])
