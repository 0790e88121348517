"""Search as users see it: parse, run on the engine, add page-citing snippets and suggestions."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from dms.catalog import Catalog
from dms.config import Settings
from dms.errors import UsageError
from dms.identifiers import IdentifierMatcher
from dms.index import engines, forgive
from dms.index import query as q
from dms.index.backend import SearchBackend
from dms.index.limits import Deadline, Limits
from dms.index.snippets import best_page, highlight, query_terms, snippet, surface_form

SORTS = ("relevance", "newest", "oldest")
MAX_LIMIT = 500


def open_backend(settings: Settings) -> SearchBackend:
    """The engine settings.search_engine names (DMS_SEARCH_ENGINE, --engine), from the one registry
    (dms.index.engines; only that engine's module is imported). Every engine keeps its index in index/ and
    bounds each query by the DMS_QUERY_* settings."""
    backend = engines.engine(settings.search_engine).load()
    return backend(settings.index_dir, limits=Limits.of(settings))


@dataclass(frozen=True, slots=True)
class SearchHit:
    id: int
    title: str
    path: str
    type: str
    date: str | None
    score: float
    page: int
    snippet: str


@dataclass(frozen=True, slots=True)
class SearchResults:
    query: str
    total: int
    page: int
    limit: int
    sort: str
    hits: list[SearchHit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    did_you_mean: str | None = None
    notice: str | None = None  # one line when part of the query was read as plain words (forgiving searches)
    ranked: tuple[str, ...] = ()  # words ranked by how many a document holds (all first); empty: all required

    def to_dict(self) -> dict:
        return asdict(self)


def search(
    catalog: Catalog,
    backend: SearchBackend,
    matcher: IdentifierMatcher,
    query: str,
    *,
    limit: int = 10,
    page: int = 1,
    sort: str = "relevance",
    snippets: bool = True,
    linked=None,
    within: frozenset[int] | None = None,
    forgiving: bool = False,
) -> SearchResults:
    """`linked(ref)` gives the ids of the documents tied to ref, for `linked:` in the query;
    `within` keeps the results to these documents (as-of retrieval). `forgiving` reads the query as a person
    types it (dms.index.forgive: slips read as plain words and said in `notice`, many words ranked); without it
    the query language is read strictly and a slip is a QueryError."""
    if sort not in SORTS:
        raise UsageError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
    if not 1 <= limit <= MAX_LIMIT:
        raise UsageError(f"limit must be between 1 and {MAX_LIMIT}")
    if page < 1:
        raise UsageError("page numbers start at 1")
    deadline = Deadline(backend.limits.timeout)  # the engine keeps its own; this one covers the snippets too
    if forgiving:
        reading = forgive.read(query, matcher, backend.limits)
    else:
        reading = forgive.Reading(q.parse(query, matcher, backend.limits), query, None)
    if reading.tree is None:  # nothing but punctuation: nothing to find, and the notice says so
        return SearchResults(query, 0, page, limit, sort, [], {}, None, reading.notice)
    if sort != "relevance" and forgive.has_ranked(reading.tree):
        # ranking by how many words a document holds means nothing in date order: then every word is required
        reading = forgive.Reading(forgive.all_required(reading.tree), reading.text, reading.notice, ())

    def prepared(tree):
        if linked is not None:
            tree = q.resolve_linked(tree, linked)
        return q.And((tree, q.DocSet(frozenset(within)))) if within is not None else tree

    tree = prepared(reading.tree)
    result = backend.search(tree, limit=limit, offset=(page - 1) * limit, sort=sort)
    terms = query_terms(tree, result.expanded)
    hits = []
    for h in result.hits:
        deadline.check()
        page_no, text = 1, ""
        if snippets:
            pages = catalog.pages(h.version_id)
            page_no = best_page(pages, terms) if pages else 1
            text = snippet(pages[page_no - 1], terms) if pages else ""
        hits.append(SearchHit(h.doc_id, h.title, h.path, h.doc_type, h.date, h.score, page_no, text))
    did_you_mean = None
    if result.suggestions:
        did_you_mean = reading.text
        for word, (term, version_id) in result.suggestions.items():
            better = surface_form(catalog.pages(version_id), term)
            did_you_mean = re.sub(rf"(?<![\w:]){re.escape(word)}(?!\w)", better, did_you_mean)
        if not _finds_more(backend, matcher, prepared, reading.tree, result.total, did_you_mean, forgiving):
            did_you_mean = None
    return SearchResults(query, result.total, page, limit, sort, hits, result.facets, did_you_mean, reading.notice,
                         reading.ranked)


def _finds_more(backend: SearchBackend, matcher: IdentifierMatcher, prepared, tree, total: int, better: str,
                forgiving: bool) -> bool:
    """Whether the corrected query finds more than the query did: counted with every word required, so a
    correction of a many-word query must raise the documents holding all its words."""
    try:
        if forgiving:
            corrected = forgive.read(better, matcher, backend.limits).tree
        else:
            corrected = q.parse(better, matcher, backend.limits)
    except UsageError:
        return False
    if corrected is None:
        return False
    before = total
    if forgive.has_ranked(tree):
        before = backend.search(prepared(forgive.all_required(tree)), limit=1, offset=0, sort="relevance",
                                facets=False).total
    after = backend.search(prepared(forgive.all_required(corrected)), limit=1, offset=0, sort="relevance",
                           facets=False).total
    return after > before


def _highlighted_terms(matcher: IdentifierMatcher, query: str):
    """The terms to mark for a query as the search read it (forgivingly: the words of '"lid hinge' too)."""
    try:
        tree = forgive.read(query, matcher).tree if query.strip() else None
    except UsageError:
        tree = None
    return query_terms(q.And(()) if tree is None else tree)


def highlight_pages(matcher: IdentifierMatcher, pages: tuple[str, ...], query: str) -> list[tuple[str, int]]:
    """Each page (or the slice of it shown) as safe HTML with the query's hits marked, and its hit count
    (for a document's text view). A query read as plain words marks its words; one that cannot be read at
    all (a bound, a bad date) marks nothing: the text is still shown, escaped."""
    terms = _highlighted_terms(matcher, query)
    return [highlight(page, terms) for page in pages]


def hit_keys(matcher: IdentifierMatcher, query: str) -> list[str]:
    """Lower-case beginnings of the words a query's hits start with: to find the pages that mention them."""
    return _highlighted_terms(matcher, query).keys()
