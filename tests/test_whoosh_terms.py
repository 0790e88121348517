"""Whoosh's analysis of the body, made in the ingest workers and taken ready-made by the writer (issue 19)."""

from __future__ import annotations

import pytest
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import TEXT

from dms.index import engines
from dms.index.whoosh_backend import WhooshBackend
from dms.index.whoosh_terms import ANALYSED_CHARS, Terms, analyze
from dms.ingest.pool import ExtractPool
from dms.ingest.worker import Task
from dms.model import IndexRecord
from dms.rules import load_rules

TEXT_PAGES = (
    "Specification SPEC-KX200-02 Rev C: the lid hinge torque is 3.5 Nm, tested 12 times.\n"
    "Heating elements heated; HEATING element's café naïve ÉLAN straße 東京 e.g. v2.0.1 foo_bar",
    "Page two repeats: hinge hinge HINGE, torque; running runs ran. The end.",
)


def _plain_whoosh_terms(text: str) -> tuple:
    """The oracle: stock Whoosh's TEXT field with the analyzer dms's schema names, not dms's class."""
    return tuple(TEXT(analyzer=StemmingAnalyzer(stoplist=None, minsize=1)).index(text))


def _record(doc_id: int, pages: tuple[str, ...], terms=None) -> IndexRecord:
    return IndexRecord(doc_id=doc_id, version_id=doc_id, title=f"doc {doc_id}", path=f"d/{doc_id}.txt",
                       name=f"{doc_id}.txt", doc_type="other", date=None, products=(), parties=(), number=None,
                       revision=None, refs=(), pages=pages, terms=terms)


def test_a_worker_makes_whooshs_own_analysis_of_the_text_it_read(tmp_path):
    blob = tmp_path / "note.txt"
    blob.write_text("\f".join(TEXT_PAGES), encoding="utf-8")
    with ExtractPool(1, load_rules(None), timeout=60, memory_mb=2048) as pool:
        pool.submit("with", Task(blob=blob, path="note.txt", size=blob.stat().st_size, max_bytes=1 << 30,
                                 engine="whoosh"))
        pool.submit("without", Task(blob=blob, path="note.txt", size=blob.stat().st_size, max_bytes=1 << 30))
        results = dict(pool.results())
    ex = results["with"]
    assert ex.status == "ok" and isinstance(ex.terms, Terms)
    assert ex.terms.fits(ex.pages)
    assert ex.terms.items == _plain_whoosh_terms("\n".join(ex.pages))
    assert results["without"].terms is None and results["without"].pages == ex.pages


def _postings(backend: WhooshBackend) -> dict:
    """Every body term's postings: (stored doc id, frequency, positions), and each document's body length."""
    ix = backend._open()
    with ix.searcher() as s:
        reader = s.reader()
        docs = {n: f["doc_id"] for n, f in reader.iter_docs()}
        out = {}
        for field, term in reader.all_terms():
            if field != "body":
                continue
            m = reader.postings(field, term)
            out[term] = sorted((docs[m.id()], m.value_as("frequency"), tuple(m.value_as("positions")))
                               for _ in m.all_ids())
        lengths = {docs[n]: reader.doc_field_length(n, "body") for n in docs}
    return {"terms": out, "lengths": lengths}


def test_an_index_written_from_worker_terms_is_the_index_written_from_the_text(tmp_path):
    pages = [TEXT_PAGES, ("Gasket gaskets; the supplier Brightwater ships 40 units.",), ("",), ("a\nb c",)]
    from_text, from_terms = WhooshBackend(tmp_path / "a"), WhooshBackend(tmp_path / "b")
    from_text.rebuild([_record(i, p) for i, p in enumerate(pages, 1)])
    with_terms = [_record(i, p, analyze(p)) for i, p in enumerate(pages, 1)]
    assert [r.terms is not None for r in with_terms] == [True, True, False, True]  # no text: nothing to analyse
    from_terms.rebuild(with_terms)
    assert _postings(from_terms) == _postings(from_text)
    assert _postings(from_terms)["terms"][b"hing"]  # "hinge" stemmed, found on both pages
    for backend in (from_text, from_terms):
        backend.close()


@pytest.mark.parametrize("old, new", [
    ("an old reading of the page", "the corrected reading of this page"),
    ("invoice void", "invoice paid"),  # the same length
    ("page one", "page\none"),  # the same characters but for the page break
])
def test_terms_made_of_another_text_are_not_taken(tmp_path, old, new):
    """Pages changed after the worker read them (a hand edit, OCR): the writer analyses the pages it is given."""
    stale = analyze(tuple(old.split("\n")))
    pages = tuple(new.split("\n"))
    assert not stale.fits(pages)
    backend = WhooshBackend(tmp_path / "ix")
    backend.rebuild([_record(1, pages, stale)])
    assert set(_postings(backend)["terms"]) == {t for t, *_ in analyze(pages).items}
    backend.close()


def test_a_file_whose_analysis_fails_is_still_read_and_left_to_the_writer(tmp_path):
    blob = tmp_path / "note.txt"
    blob.write_text("the gasket note", encoding="utf-8")
    with ExtractPool(1, load_rules(None), timeout=60, memory_mb=2048) as pool:
        pool.submit("k", Task(blob=blob, path="note.txt", size=blob.stat().st_size, max_bytes=1 << 30,
                              engine="no such engine"))
        [(_, ex)] = list(pool.results())
    assert ex.status == "ok" and ex.pages == ("the gasket note",) and ex.terms is None


ODD_TEXTS = (
    "İstanbul ISTANBUL ıi Straße STRASSE ß ǅ ﬁnance ﬀ", "naïve nai\u0308ve café cafe\u0301", "東京 タワー 서울 北京市",
    "الداخلية habibi עברית", "v1.2.3 3.5 .5 5. e.g. a.b.c. foo*bar *wild* snake_case __init__", "😀 smile😀 ⅷ ² ½ ٣",
    "x" * 300 + " " + "running " * 500, "", "   \n\t ", "A\x00B\x1fC", "hinge\u200bhinge soft\xadhyphen",
)


@pytest.mark.parametrize("text", ODD_TEXTS)
def test_the_workers_analysis_is_stock_whooshs_for_odd_text(text):
    terms = analyze((text,))
    assert (terms.items if terms else ()) == _plain_whoosh_terms(text)


def test_a_chain_other_than_the_schemas_is_analysed_by_whoosh_itself():
    from dms.index import whoosh_terms

    stock = TEXT(analyzer=StemmingAnalyzer(stoplist=["the"]))  # a stop filter: not the one-loop chain
    assert whoosh_terms._plain_chain(whoosh_terms._body()) and not whoosh_terms._plain_chain(stock)


def test_a_text_over_the_bound_is_left_to_the_writer():
    assert analyze(("x" * ANALYSED_CHARS,)) is not None
    assert analyze(("x" * ANALYSED_CHARS, "y")) is None  # the joined text is one character over


@pytest.mark.parametrize("name", engines.NAMES)
def test_only_an_engine_that_names_a_worker_analysis_gets_one(name):
    got = engines.engine(name).analyze(("some words",))
    if engines.engine(name).analysis is None:
        assert got is None
    else:
        assert got is not None and got.fits(("some words",))
