"""The Whoosh engine: schema, writer, query translation, search with facets."""

from __future__ import annotations

import shutil
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, time
from functools import cache
from itertools import islice
from pathlib import Path
from time import sleep

import whoosh.index
from whoosh import collectors
from whoosh import query as wq
from whoosh.analysis import LowercaseFilter, RegexTokenizer
from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, DATETIME, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.index import LockError
from whoosh.scoring import BM25F

from dms.errors import IndexUnavailable, QueryError
from dms.identifiers import index_token
from dms.index import query as q
from dms.index.backend import EngineHit, EngineResult, fresh_dir, marker_problem, swap_in
from dms.index.forgive import correction_distance, has_ranked
from dms.index.guard import reading
from dms.index.limits import Deadline, Expansion, Limits
from dms.index.whoosh_docset import DocIds
from dms.index.whoosh_phrase import ExactPhrase
from dms.index.whoosh_terms import body_field, stem_analyzer
from dms.index.whoosh_tiered import Tiered
from dms.index.whoosh_timed import Timed
from dms.model import IndexRecord

INDEX_SCHEMA = 5  # bump when the schema below changes: indexes of another version are rebuilt
DEFAULT_FIELDS = ("title", "body", "path")
IDENT_BOOST = 25.0
TITLE_BOOST = 3.0
OPEN_ATTEMPTS = 20  # a searcher opened while a writer commits may find its table of contents gone: read the newer one
RETRY_PAUSE = 0.005  # seconds, times the attempt: a writer committing again and again gets time to finish one


def _simple():
    return RegexTokenizer() | LowercaseFilter()


def build_schema() -> Schema:
    return Schema(
        doc_id=ID(stored=True, unique=True),
        version_id=STORED,
        title=TEXT(analyzer=stem_analyzer(), field_boost=TITLE_BOOST, stored=True),
        body=body_field(),  # takes the text, or its Terms made by an ingest worker (dms.index.whoosh_terms)
        path=TEXT(analyzer=_simple(), stored=True),
        party=TEXT(analyzer=_simple()),
        party_name=KEYWORD(commas=True),  # whole names, for the party facet
        type=ID(stored=True, sortable=True),
        product=KEYWORD(commas=True, lowercase=True, stored=True),
        number=ID(stored=True),
        revision=ID(stored=True),
        ids=KEYWORD(commas=True, lowercase=True),
        date=DATETIME(stored=True, sortable=True),
        year=ID(stored=True, sortable=True),
        facets=COLUMN(VarBytesColumn()),  # each document's facet values (_facet_values), counted per hit
    )


def _document(rec: IndexRecord) -> dict:
    ids = [index_token(rec.number, rec.revision), index_token(rec.number)] if rec.number else []
    doc = {
        "doc_id": str(rec.doc_id), "version_id": rec.version_id, "title": rec.title, "path": rec.path,
        "body": _body(rec), "party": " ".join(rec.parties),
        "party_name": ",".join(p.replace(",", " ") for p in rec.parties), "type": rec.doc_type,
        "product": ",".join(rec.products), "ids": ",".join(dict.fromkeys(ids + list(rec.refs))),
    }
    if rec.number:
        doc["number"] = rec.number.lower()
    if rec.revision:
        doc["revision"] = rec.revision.lower()
    if rec.date:
        doc["date"] = datetime.fromisoformat(rec.date)
        doc["year"] = rec.date[:4]
    doc["facets"] = _facet_values(doc)
    return doc


def _body(rec: IndexRecord):
    """The body as the worker analysed it (dms.index.whoosh_terms), or its text for the writer to analyse."""
    if rec.terms is not None and rec.terms.fits(rec.pages):
        return rec.terms
    return "\n".join(rec.pages)


FACETS = {"type": "type", "year": "year", "product": "product", "party": "party_name"}  # facet -> field
FACET_SEP, VALUE_SEP = b"\xff", b"\xfe"  # between facets, between one facet's values: bytes UTF-8 never holds


@cache
def _facet_analyzers() -> tuple:
    schema = build_schema()
    return tuple(schema[field].analyzer for field in FACETS.values())


def _facet_values(doc: dict) -> bytes:
    """The document's values of each facet as its field indexes them (so as the lexicon holds them), in the order
    of FACETS: `type FACET_SEP year FACET_SEP product VALUE_SEP product … FACET_SEP party VALUE_SEP party …`."""
    per_facet = []
    for field, analyzer in zip(FACETS.values(), _facet_analyzers()):
        tokens = dict.fromkeys(t.text.encode() for t in analyzer(doc.get(field, "")))
        per_facet.append(VALUE_SEP.join(t for t in tokens if t))
    return FACET_SEP.join(per_facet)


def _past_commits(read):
    """read() (it reads the index's latest table of contents), again if a writer's commit removed that table between
    finding it the latest and opening it: the newer one is there by then."""
    for attempt in range(1, OPEN_ATTEMPTS + 1):
        try:
            return read()
        except FileNotFoundError:
            if attempt == OPEN_ATTEMPTS:
                raise
            sleep(RETRY_PAUSE * attempt)


class _Writer:
    def __init__(self, writer):
        self._w = writer
        self.merge = True  # IndexWriter.merge

    def add(self, record: IndexRecord, replace: bool = True) -> None:
        if replace:
            self._w.update_document(**_document(record))
        else:
            self._w.add_document(**_document(record))

    def delete(self, doc_id: int) -> None:
        self._w.delete_by_term("doc_id", str(doc_id))


class WhooshBackend:
    name = "whoosh"

    def __init__(self, index_dir: Path, limitmb: int = 128, limits: Limits = Limits()):
        self.dir = index_dir
        self.limitmb = limitmb
        self.limits = limits
        self._ix = None
        self._local = threading.local()  # one searcher per thread: opening one costs ~60 ms at 20k documents
        self._opened: list = []  # every searcher handed out, so close() can close them all
        self._lock = threading.Lock()

    # -- lifecycle --------------------------------------------------------------------------
    def needs_rebuild(self) -> str | None:
        if not self.dir.is_dir() or not _past_commits(lambda: whoosh.index.exists_in(self.dir)):
            return "there is no search index yet"
        return marker_problem(self.dir, self.name, INDEX_SCHEMA)

    def _open(self):
        if self._ix is None:
            if self.needs_rebuild():
                raise IndexUnavailable(f"{self.needs_rebuild()} at {self.dir}; run `dms reindex`")
            with reading(self.dir):  # a damaged table of contents or segment: IndexUnavailable
                self._ix = _past_commits(lambda: whoosh.index.open_dir(self.dir))
        return self._ix

    @contextmanager
    def writer(self) -> Iterator[_Writer]:
        ix = self._open()
        try:
            w = ix.writer(limitmb=self.limitmb, timeout=60)
        except LockError:
            raise IndexUnavailable("the search index is locked by another running dms process") from None
        try:
            wrapped = _Writer(w)
            yield wrapped
        except BaseException:
            w.cancel()
            raise
        w.commit(merge=wrapped.merge)  # unmerged: the segment waits for a later commit's merge

    def rebuild(self, records: Iterable[IndexRecord]) -> int:
        fresh = fresh_dir(self.dir)
        ix = whoosh.index.create_in(fresh, build_schema())
        w = ix.writer(limitmb=self.limitmb)
        count = 0
        try:
            for rec in records:
                w.add_document(**_document(rec))
                count += 1
        except BaseException:
            w.cancel()
            shutil.rmtree(fresh, ignore_errors=True)
            raise
        w.commit()
        swap_in(fresh, self.dir, self.name, INDEX_SCHEMA)
        self._ix = None
        self.close()
        return count

    def _searcher(self):
        """This thread's searcher, reopened if the index changed since it was opened.

        Not Searcher.refresh(): it reuses the old segment readers, whose deletion sets are stale (a
        document deleted from an existing segment would still be found), and the old searcher could
        then not be closed without closing readers the new one uses."""
        current = getattr(self._local, "searcher", None)
        ix = self._open()
        if current is not None and ix.latest_generation() == current.reader().generation():
            return current
        fresh = _past_commits(lambda: ix.searcher(weighting=BM25F()))
        with self._lock:
            if current is not None:
                current.close()
                self._opened.remove(current)
            self._opened.append(fresh)
        self._local.searcher = fresh
        self._local.facet_sets = None
        return fresh

    def close(self) -> None:
        """Close every searcher this backend opened, in any thread."""
        with self._lock:
            for searcher in self._opened:
                searcher.close()
            self._opened.clear()
        self._local = threading.local()

    def indexed(self) -> dict[int, int]:
        s = self._searcher()
        return {int(f["doc_id"]): f["version_id"] for f in s.reader().all_stored_fields()}

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.dir.glob("*") if p.is_file())

    # -- search -----------------------------------------------------------------------------
    def search(self, tree, *, limit: int, offset: int, sort: str, facets: bool = True) -> EngineResult:
        deadline = Deadline(self.limits.timeout)
        ix = self._open()
        s = self._searcher()
        translated = _Translator(ix.schema, s.reader(), Expansion(self.limits, deadline)).top(tree)
        order = {"sortedby": "date", "reverse": sort == "newest"} if sort in ("newest", "oldest") else {}
        # optimize=False: visit every match (no block skipping), so the count is exact and the facets
        # can be counted from the same pass; Whoosh's own facet collection costs 4x the search.
        ranked = s.collector(limit=offset + limit, optimize=False, **order)
        if isinstance(ranked, collectors.ScoredCollector):
            # No matcher replacement either: once the top N is full it drops the branches of an OR that cannot
            # reach it (`gaskt~` lost the documents holding only `gast`), so they went uncounted and unfaceted.
            ranked.replace = 0
        collector = _AllMatches(ranked, deadline)
        s.search_with_collector(translated, collector)
        results = collector.results()
        hits = []
        for h in results[offset : offset + limit]:
            stored = h.fields()  # stored values only; h.get() would fall back to column defaults
            hits.append(EngineHit(
                doc_id=int(stored["doc_id"]), version_id=stored["version_id"],
                score=round(float(h.score or 0.0), 4) if sort == "relevance" else 0.0, title=stored.get("title", ""),
                path=stored.get("path", ""), doc_type=stored.get("type", "other"),
                date=stored["date"].date().isoformat() if stored.get("date") else None,
            ))
        total = len(collector.docs)
        found = self._count_facets(s, collector.docs) if facets else {}
        expanded = frozenset(
            text.decode() if isinstance(text, bytes) else text
            for field, text in translated.existing_terms(s.reader(), expand=True)
            if field in ("body", "title")
        ) if _has_expansion(tree) else frozenset()
        suggestions = self._suggest(s, tree, deadline) if total == 0 or has_ranked(tree) else {}
        return EngineResult(total, hits, found, expanded, suggestions)

    def _count_facets(self, searcher, docs: list[int]) -> dict[str, dict[str, int]]:
        """How many of the matching documents hold each value of each facet, most first.

        Two ways, the same counts (tests/test_startup.py): each hit's values read from the facets column, a few
        microseconds a hit, or every value's documents read from the postings once per searcher (0.06 s of CPU
        at 20k documents) and intersected with the hits, quicker from then on. The first count of a searcher
        reads the column unless most of the index matches: a process that searches once (`dms search`) never
        reads the postings; one that counts again with the same searcher (`dms serve`) reads them then."""
        cached = getattr(self._local, "facet_sets", None)
        if cached is None or cached[0] is not searcher:
            reader = searcher.reader()
            if len(docs) <= reader.doc_count() // 2:
                self._local.facet_sets = (searcher, None)  # counted once: the sets would pay off next time
                return _count_in_column(reader, docs)
            cached = None
        if cached is None or cached[1] is None:
            cached = (searcher, _facet_sets(searcher.reader()))
            self._local.facet_sets = cached
        return _count_in_sets(cached[1], docs)

    @staticmethod
    def _suggest(searcher, tree, deadline: Deadline) -> dict[str, tuple[str, int]]:
        """word -> (a close index term, a version holding it), for words the body does not contain."""
        reader = searcher.reader()
        analyzer = searcher.schema["body"].analyzer
        corrector = searcher.corrector("body")
        out = {}
        for word in q.plain_words(tree):
            deadline.check()
            terms = [t.text for t in analyzer(word)]
            distance = correction_distance(word)
            if len(terms) != 1 or not distance or reader.doc_frequency("body", terms[0]):
                continue
            close = corrector.suggest(terms[0], limit=1, maxdist=distance, prefix=1)  # first letter kept: 200x faster
            if close:
                docnum = next(iter(reader.postings("body", close[0]).all_ids()))
                out[word] = (close[0], searcher.stored_fields(docnum)["version_id"])
        return out


class _AllMatches(collectors.WrappingCollector):
    """Keeps the number of every matching document while the wrapped collector ranks them; stops the search
    with the deadline's error once it has passed (checked every 256 documents)."""

    def __init__(self, child, deadline: Deadline):
        super().__init__(child)
        self.deadline = deadline

    def prepare(self, top_searcher, q, context):
        super().prepare(top_searcher, q, context)
        self.docs: list[int] = []

    def collect(self, sub_docnum):
        self.docs.append(self.offset + sub_docnum)
        if not len(self.docs) & 255:
            self.deadline.check()
        return self.child.collect(sub_docnum)


def _most_first(counts) -> dict[str, int]:
    return {k: v for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if v}


def _count_in_column(reader, docs: list[int]) -> dict[str, dict[str, int]]:
    """The facets of these documents from the facets column (_facet_values); an index without segments (nothing
    indexed yet) has no column: then from the postings."""
    if not docs or not reader.has_column("facets"):
        return _count_in_sets(_facet_sets(reader), docs)
    column = reader.column_reader("facets", translate=False)
    empty = FACET_SEP * (len(FACETS) - 1)  # a document without the column's value: no values
    per_facet = zip(*((column[docnum] or empty).split(FACET_SEP) for docnum in docs))
    out = {facet: {} for facet in FACETS}
    for facet, values in zip(FACETS, per_facet):
        counts = Counter(VALUE_SEP.join(values).split(VALUE_SEP))
        counts.pop(b"", None)
        out[facet] = _most_first({k.decode(): v for k, v in counts.items()})
    return out


def _facet_sets(reader) -> dict[str, dict[str, set[int]]]:
    """For each facet field, each value's documents (read once per searcher from the postings)."""
    sets: dict[str, dict[str, set[int]]] = {}
    for facet, field in FACETS.items():
        values = {}
        for btext in reader.lexicon(field):
            value = btext.decode() if isinstance(btext, bytes) else str(btext)
            values[value] = set(reader.postings(field, btext).all_ids())
        sets[facet] = values
    return sets


def _count_in_sets(sets: dict[str, dict[str, set[int]]], docs: list[int]) -> dict[str, dict[str, int]]:
    matched = set(docs)
    return {facet: _most_first({value: len(ids & matched) for value, ids in values.items()})
            for facet, values in sets.items()}


def _has_expansion(tree) -> bool:
    if isinstance(tree, (q.Prefix, q.Fuzzy)):
        return True
    if isinstance(tree, (q.And, q.Or, q.Ranked)):
        return any(_has_expansion(i) for i in tree.items)
    return False


class _Translator:
    def __init__(self, schema: Schema, reader, expansion: Expansion):
        self.schema = schema
        self.reader = reader
        self.expansion = expansion

    def fuzzy(self, field: str, word: str, distance: int) -> list[str]:
        """Index terms within `distance` edits of the word, as the field stores them (stemmed).

        Whoosh looks fuzzy candidates up in the unstemmed spelling words of a field with
        spelling=True, so candidates are gathered from both forms and analyzed again.
        """
        forms = {word, *self.tokens(field, word)}
        found: set[str] = set()
        room, deadline = self.expansion.room(), self.expansion.deadline
        for form in forms:
            for candidate in self.reader.terms_within(field, form, distance, prefix=1):
                found.update(t for t in self.tokens(field, candidate) if self.reader.doc_frequency(field, t))
                if len(found) >= room or deadline.expired():
                    break
        return sorted(found)

    def expand(self, n, fields: tuple[str, ...]):
        """A fuzzy word or prefix as its index terms in each field, within DMS_QUERY_MAX_EXPANSION(_TOTAL)."""
        if isinstance(n, q.Fuzzy):
            terms = {f: self.fuzzy(f, n.text, n.distance) for f in fields}
        else:
            terms = {f: list(islice(self.reader.expand_prefix(f, n.text), self.expansion.room())) for f in fields}
        self.expansion.take(n, {t for found in terms.values() for t in found})
        if isinstance(n, q.Prefix):
            return Timed(wq.Or([wq.Prefix(f, n.text) for f in fields]), self.expansion.deadline)
        ors = [wq.Or([wq.Term(f, t) for t in found]) for f, found in terms.items() if found]
        return Timed(wq.Or(ors), self.expansion.deadline) if ors else wq.NullQuery

    def top(self, node):
        result = self.node(node)
        if isinstance(result, wq.Not) or (
            isinstance(result, wq.And) and all(isinstance(s, wq.Not) for s in result.subqueries)
        ):
            return wq.And([wq.Every(), result])
        return result

    def tokens(self, field: str, text: str) -> list[str]:
        return [t.text for t in self.schema[field].analyzer(text)]

    def text_query(self, field: str, text: str, boost: float = 1.0):
        toks = self.tokens(field, text)
        if not toks:
            return wq.NullQuery
        if len(toks) == 1:
            return wq.Term(field, toks[0], boost=boost)
        return ExactPhrase(field, toks, boost=boost)

    def fields(self, field: str | None) -> tuple[str, ...]:
        return (field,) if field else DEFAULT_FIELDS


    def node(self, n):
        if isinstance(n, (q.Word, q.Phrase)):
            return wq.Or([self.text_query(f, n.text) for f in self.fields(n.field)])
        if isinstance(n, q.Prefix):
            return self.expand(n, self.fields(n.field))
        if isinstance(n, q.Fuzzy):
            return self.expand(n, tuple(f for f in self.fields(n.field) if f != "path"))
        if isinstance(n, q.Ident):
            number = n.number.lower()
            exact = wq.Term("number", number, boost=IDENT_BOOST)
            if n.revision:
                exact = wq.And([exact, wq.Term("revision", n.revision.lower())], boost=IDENT_BOOST)
            words = f"{n.number} {n.revision}" if n.revision else n.number
            return wq.Or([exact, wq.Term("ids", index_token(n.number, n.revision), boost=5.0),
                          self.text_query("body", words), self.text_query("title", words)])
        if isinstance(n, q.Exact):
            field = {"ref": "ids"}.get(n.field, n.field)
            return wq.Term(field, n.value)
        if isinstance(n, q.DateRange):
            start = datetime.combine(n.start, time.min) if n.start else None
            end = datetime.combine(n.end, time.max) if n.end else None
            return wq.DateRange("date", start, end)
        if isinstance(n, q.And):
            return wq.And([self.node(i) for i in n.items])
        if isinstance(n, q.Or):
            return wq.Or([self.node(i) for i in n.items])
        if isinstance(n, q.Ranked):
            return Tiered([self.node(i) for i in n.items], q.TIER)
        if isinstance(n, q.Not):
            return wq.Not(self.node(n.item))
        if isinstance(n, q.MatchAll):
            return wq.Every()
        if isinstance(n, q.DocSet):
            return DocIds(n.ids) if n.ids else wq.NullQuery
        if isinstance(n, q.Linked):
            raise QueryError("linked: needs the cross-reference graph, which this search was not given")
        raise QueryError(f"the Whoosh engine cannot express {type(n).__name__}")
