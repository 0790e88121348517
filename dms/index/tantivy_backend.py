"""The Tantivy engine (tantivy-py), behind the same SearchBackend as Whoosh, with the same results.

Parity by construction: text is analysed here, in Python, exactly as Whoosh's analysers do it (the
same token pattern, lower case, the same Porter stemmer), and handed to Tantivy as words separated by
spaces, which its "whitespace" tokenizer splits again without changing them. So both engines hold the
same terms at the same positions, and a query is translated to the same terms on both: boolean
queries match the same documents; only BM25's details differ in ranking.
"""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, datetime, time
from pathlib import Path

from dms.errors import ConfigError, IndexUnavailable, QueryError
from dms.identifiers import index_token
from dms.index import query as q
from dms.index.backend import EngineHit, EngineResult, fresh_dir, marker_problem, swap_in
from dms.index.forgive import correction_distance, has_ranked
from dms.index.guard import reading
from dms.index.limits import Deadline, Expansion, Limits
from dms.index.snippets import stem
from dms.model import IndexRecord

try:
    import tantivy
except ImportError:  # pragma: no cover - the error says how to install it
    tantivy = None

INDEX_SCHEMA = 1
DEFAULT_FIELDS = ("title", "body", "path")
TITLE_BOOST, IDENT_BOOST, IDS_BOOST = 3.0, 25.0, 5.0
FACETS = {"type": "type", "year": "year", "product": "product", "party": "party_name"}
STEMMED = ("title", "body")
SIMPLE = ("path", "party")
_TOKEN = re.compile(r"\w+(\.?\w+)*", re.UNICODE)  # Whoosh's RegexTokenizer default
_FACET_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="dms-facets")
UNDATED = -(2**40)  # sorts before every real day: undated documents come last when newest first
_EPOCH = date(1970, 1, 1)


def require() -> None:
    if tantivy is None:
        raise ConfigError("DMS_SEARCH_ENGINE=tantivy needs the tantivy package: pip install 'dms[tantivy]'")


def words(field: str, text: str) -> list[str]:
    """The terms a field holds for this text, as Whoosh's analysers make them."""
    lowered = [m.group(0).lower() for m in _TOKEN.finditer(text or "")]
    return [stem(w) for w in lowered] if field in STEMMED else lowered


def build_schema():
    sb = tantivy.SchemaBuilder()
    sb.add_unsigned_field("doc_id", stored=True, indexed=True, fast=True)
    sb.add_unsigned_field("version_id", stored=True, fast=True)
    for field in (*STEMMED, *SIMPLE):
        sb.add_text_field(field, stored=False, tokenizer_name="whitespace", index_option="position")
    sb.add_text_field("title_text", stored=True, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("path_text", stored=True, tokenizer_name="raw", index_option="basic")
    for field in ("type", "year", "product", "party_name", "number", "revision", "ids"):
        sb.add_text_field(field, stored=field in ("type",), fast=field in FACETS.values(), tokenizer_name="raw",
                          index_option="basic")
    sb.add_date_field("date", stored=False, indexed=True, fast=True)
    sb.add_integer_field("day", stored=True, indexed=False, fast=True)
    return sb.build()


def _document(rec: IndexRecord):
    doc = tantivy.Document()
    doc.add_unsigned("doc_id", rec.doc_id)
    doc.add_unsigned("version_id", rec.version_id)
    doc.add_text("title", " ".join(words("title", rec.title)))
    # Page by page: the same terms (none spans a page break), without every term of a long text alive at once.
    doc.add_text("body", " ".join(" ".join(words("body", page)) for page in rec.pages))
    doc.add_text("path", " ".join(words("path", rec.path)))
    doc.add_text("party", " ".join(words("party", " ".join(rec.parties))))
    doc.add_text("title_text", rec.title or "")
    doc.add_text("path_text", rec.path)
    doc.add_text("type", rec.doc_type or "other")
    for p in rec.products:
        doc.add_text("product", p.lower())
    for p in rec.parties:
        doc.add_text("party_name", p.replace(",", " "))
    ids = [index_token(rec.number, rec.revision), index_token(rec.number)] if rec.number else []
    for token in dict.fromkeys(ids + list(rec.refs)):
        doc.add_text("ids", token.lower())
    if rec.number:
        doc.add_text("number", rec.number.lower())
    if rec.revision:
        doc.add_text("revision", rec.revision.lower())
    if rec.date:
        day = date.fromisoformat(rec.date)
        doc.add_date("date", datetime.combine(day, time.min))
        doc.add_text("year", rec.date[:4])
        doc.add_integer("day", (day - _EPOCH).days)
    else:
        doc.add_integer("day", UNDATED)
    return doc


class _Writer:
    def __init__(self, writer):
        self._w = writer
        self.merge = True  # IndexWriter.merge: Tantivy merges segments in its own time

    def add(self, record: IndexRecord, replace: bool = True) -> None:
        if replace:
            self._w.delete_documents_by_term("doc_id", record.doc_id)
        self._w.add_document(_document(record))

    def delete(self, doc_id: int) -> None:
        self._w.delete_documents_by_term("doc_id", doc_id)


class TantivyBackend:
    name = "tantivy"

    def __init__(self, index_dir: Path, heap_mb: int = 128, limits: Limits = Limits()):
        require()
        self.dir = index_dir
        self.heap = heap_mb * 1_000_000
        self.limits = limits
        self._ix = None
        self._lock = threading.Lock()

    # -- lifecycle --------------------------------------------------------------------------
    def needs_rebuild(self) -> str | None:
        if not (self.dir / "meta.json").is_file():
            return "there is no search index yet"
        return marker_problem(self.dir, self.name, INDEX_SCHEMA)

    def _open(self):
        with self._lock:
            if self._ix is None:
                reason = self.needs_rebuild()
                if reason:
                    raise IndexUnavailable(f"{reason} at {self.dir}; run `dms reindex`")
                with reading(self.dir):  # a damaged meta.json or segment: IndexUnavailable
                    self._ix = tantivy.Index.open(str(self.dir))
            return self._ix

    def close(self) -> None:
        self._ix = None

    @contextmanager
    def writer(self) -> Iterator[_Writer]:
        ix = self._open()
        try:
            w = ix.writer(heap_size=self.heap, num_threads=1)
        except ValueError as exc:  # tantivy reports the writer lock this way
            raise IndexUnavailable(f"the search index is locked by another running dms process ({exc})") from None
        try:
            yield _Writer(w)
        except BaseException:
            w.rollback()
            raise
        w.commit()
        w.wait_merging_threads()

    def rebuild(self, records: Iterable[IndexRecord]) -> int:
        require()
        fresh = fresh_dir(self.dir)
        ix = tantivy.Index(build_schema(), path=str(fresh))
        w = ix.writer(heap_size=self.heap, num_threads=1)
        count = 0
        try:
            for rec in records:
                w.add_document(_document(rec))
                count += 1
        except BaseException:
            w.rollback()
            shutil.rmtree(fresh, ignore_errors=True)
            raise
        w.commit()
        w.wait_merging_threads()
        swap_in(fresh, self.dir, self.name, INDEX_SCHEMA)
        self.close()
        return count

    def _searcher(self):
        ix = self._open()
        ix.reload()
        return ix.searcher()

    def indexed(self) -> dict[int, int]:
        s = self._searcher()
        if not s.num_docs:
            return {}
        hits = s.search(tantivy.Query.all_query(), limit=s.num_docs).hits
        addresses = [a for _, a in hits]
        return dict(zip(s.fast_field_values("doc_id", addresses), s.fast_field_values("version_id", addresses)))

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.dir.glob("*") if p.is_file())

    # -- search -----------------------------------------------------------------------------
    def search(self, tree, *, limit: int, offset: int, sort: str, facets: bool = True) -> EngineResult:
        deadline = Deadline(self.limits.timeout)  # Tantivy cannot be stopped: the expansion before it is bounded
        s = self._searcher()
        translator = _Translator(self._open().schema, s, Expansion(self.limits, deadline))
        query = translator.top(tree)
        # Tantivy releases the GIL: the facet aggregation runs beside the ranked search, on another core
        counting = _FACET_POOL.submit(self._facets, s, query) if facets else None
        if sort in ("newest", "oldest"):
            order = tantivy.Order.Desc if sort == "newest" else tantivy.Order.Asc
            result = s.search(query, limit=limit, offset=offset, count=True, order_by_field="day", order=order)
        else:
            result = s.search(query, limit=limit, offset=offset, count=True)
        hits = []
        for score, address in result.hits:
            doc = s.doc(address)
            day = doc.get_first("day")
            hits.append(EngineHit(
                doc_id=doc.get_first("doc_id"), version_id=doc.get_first("version_id"),
                score=round(float(score), 4) if sort == "relevance" else 0.0, title=doc.get_first("title_text") or "",
                path=doc.get_first("path_text") or "", doc_type=doc.get_first("type") or "other",
                date=(date.fromordinal(_EPOCH.toordinal() + day).isoformat() if day is not None and day != UNDATED
                      else None)))
        total = result.count
        found = counting.result() if counting else {}
        suggestions = self._suggest(s, translator.schema, tree, deadline) if total == 0 or has_ranked(tree) else {}
        return EngineResult(total, hits, found, frozenset(translator.expanded), suggestions)

    @staticmethod
    def _facets(searcher, query) -> dict[str, dict[str, int]]:
        spec = {facet: {"terms": {"field": field, "size": 100_000}} for facet, field in FACETS.items()}
        raw = searcher.aggregate(query, spec)
        out = {}
        for facet in FACETS:
            counts = {b["key"]: b["doc_count"] for b in raw.get(facet, {}).get("buckets", [])}
            out[facet] = {k: v for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if v}
        return out

    @staticmethod
    def _suggest(searcher, schema, tree, deadline: Deadline) -> dict[str, tuple[str, int]]:
        """word -> (a close body term, a version holding it), for words the body does not contain."""
        out = {}
        for word in q.plain_words(tree):
            deadline.check()
            terms = words("body", word)
            distance = correction_distance(word)
            if len(terms) != 1 or not distance or searcher.doc_freq("body", terms[0]):
                continue
            close = _within(searcher, "body", terms[0], distance, deadline)
            if close:
                best = min(close, key=lambda t: (_distance(t, terms[0]), -searcher.doc_freq("body", t), t))
                hit = searcher.search(tantivy.Query.term_query(schema, "body", best), 1).hits
                if hit:
                    out[word] = (best, searcher.doc(hit[0][1]).get_first("version_id"))
        return out


def _distance(a: str, b: str) -> int:
    """Damerau-Levenshtein (adjacent transpositions cost 1), as Whoosh's terms_within counts."""
    prev2, prev = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cost = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if prev2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, prev2[j - 2] + 1)
            cur.append(cost)
        prev2, prev = prev, cur
    return prev[-1]


def _within(searcher, field: str, word: str, distance: int, deadline: Deadline, most: int | None = None) -> list[str]:
    """Index terms of the field within `distance` edits of word that share its first letter (at most `most`);
    the deadline is checked as the candidates are compared, the slow part."""
    if not word:
        return []
    found = []
    for i, (t, _) in enumerate(searcher.terms_with_prefix(field, word[0])):
        if not i & 255:
            deadline.check()
        if abs(len(t) - len(word)) <= distance and _distance(t, word) <= distance:
            found.append(t)
            if most is not None and len(found) >= most:
                break
    return found


class _Translator:
    def __init__(self, schema, searcher, expansion: Expansion):
        self.schema = schema
        self.searcher = searcher
        self.expansion = expansion
        self.expanded: set[str] = set()

    def top(self, node):
        return self.node(node)

    def term(self, field: str, value: str, boost: float = 1.0):
        query = tantivy.Query.term_query(self.schema, field, value)
        return tantivy.Query.boost_query(query, boost) if boost != 1.0 else query

    def any_of(self, queries: list):
        queries = [x for x in queries if x is not None]
        if not queries:
            return tantivy.Query.empty_query()
        if len(queries) == 1:
            return queries[0]
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, x) for x in queries])

    def all_of(self, queries: list):
        must = [(tantivy.Occur.Must, x) for x in queries]
        return tantivy.Query.boolean_query(must)

    def text_query(self, field: str, text: str, boost: float = 1.0):
        toks = words(field, text)
        if not toks:
            return None
        boost *= TITLE_BOOST if field == "title" else 1.0
        if len(toks) == 1:
            return self.term(field, toks[0], boost)
        phrase = tantivy.Query.phrase_query(self.schema, field, toks)
        return tantivy.Query.boost_query(phrase, boost) if boost != 1.0 else phrase

    def fields(self, field: str | None) -> tuple[str, ...]:
        return (field,) if field else DEFAULT_FIELDS

    def ranked(self, subs: list):
        """Any of the parts; q.TIER more for holding all of them, and again for all but one: BM25 within."""
        Q = tantivy.Query
        tiers = [Q.const_score_query(self.all_of(subs), q.TIER)]
        if len(subs) >= 3:
            most = [self.all_of(subs[:k] + subs[k + 1:]) for k in range(len(subs))]
            tiers.append(Q.const_score_query(self.any_of(most), q.TIER))
        return self.any_of([*tiers, self.any_of(subs)])

    def expand(self, field: str, terms: list[str]):
        if field in ("body", "title"):
            self.expanded.update(terms)
        if not terms:
            return None
        boost = TITLE_BOOST if field == "title" else 1.0
        return self.any_of([self.term(field, t, boost) for t in sorted(terms)])

    def prefix(self, field: str, text: str) -> list[str]:
        return [t for t, _ in self.searcher.terms_with_prefix(field, text.lower(), limit=self.expansion.room())]

    def fuzzy(self, field: str, word: str, distance: int) -> list[str]:
        found: set[str] = set()
        room, deadline = self.expansion.room(), self.expansion.deadline
        for form in {word.lower(), *words(field, word)}:
            for candidate in _within(self.searcher, field, form, distance, deadline, most=room):
                found.update(t for t in words(field, candidate) if self.searcher.doc_freq(field, t))
        return sorted(found)

    def expanded_node(self, n, fields: tuple[str, ...]):
        """A fuzzy word or prefix as its index terms in each field, within DMS_QUERY_MAX_EXPANSION(_TOTAL)."""
        if isinstance(n, q.Fuzzy):
            terms = {f: self.fuzzy(f, n.text, n.distance) for f in fields}
        else:
            terms = {f: self.prefix(f, n.text) for f in fields}
        self.expansion.take(n, {t for found in terms.values() for t in found})
        return self.any_of([self.expand(f, found) for f, found in terms.items()])

    def node(self, n):
        Q = tantivy.Query
        if isinstance(n, (q.Word, q.Phrase)):
            return self.any_of([self.text_query(f, n.text) for f in self.fields(n.field)])
        if isinstance(n, q.Prefix):
            return self.expanded_node(n, self.fields(n.field))
        if isinstance(n, q.Fuzzy):
            return self.expanded_node(n, tuple(f for f in self.fields(n.field) if f != "path"))
        if isinstance(n, q.Ident):
            exact = self.term("number", n.number.lower(), IDENT_BOOST)
            if n.revision:
                exact = Q.boost_query(self.all_of([self.term("number", n.number.lower()),
                                                   self.term("revision", n.revision.lower())]), IDENT_BOOST)
            text = f"{n.number} {n.revision}" if n.revision else n.number
            return self.any_of([exact, self.term("ids", index_token(n.number, n.revision).lower(), IDS_BOOST),
                                self.text_query("body", text), self.text_query("title", text)])
        if isinstance(n, q.Exact):
            field = {"ref": "ids"}.get(n.field, n.field)
            return self.term(field, n.value)
        if isinstance(n, q.DateRange):
            start = datetime.combine(n.start, time.min) if n.start else None
            end = datetime.combine(n.end, time.max) if n.end else None
            return Q.range_query(self.schema, "date", tantivy.FieldType.Date, start, end)
        if isinstance(n, q.And):
            return self.all_of([self.node(i) for i in n.items])
        if isinstance(n, q.Or):
            return self.any_of([self.node(i) for i in n.items])
        if isinstance(n, q.Ranked):
            return self.ranked([self.node(i) for i in n.items])
        if isinstance(n, q.Not):
            return Q.boolean_query([(tantivy.Occur.Must, Q.all_query()), (tantivy.Occur.MustNot, self.node(n.item))])
        if isinstance(n, q.MatchAll):
            return Q.all_query()
        if isinstance(n, q.DocSet):
            if not n.ids:
                return Q.empty_query()
            return Q.const_score_query(Q.term_set_query(self.schema, "doc_id", sorted(n.ids)), 0.0)
        if isinstance(n, q.Linked):
            raise QueryError("linked: needs the cross-reference graph, which this search was not given")
        raise QueryError(f"the Tantivy engine cannot express {type(n).__name__}")
