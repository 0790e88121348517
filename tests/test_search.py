"""The query language, ranking, snippets, facets, sorting, paging and suggestions, on a real index of each
engine: every test taking `archive` or `engine` runs on Whoosh and on Tantivy."""

import pytest
from conftest import run_dms, write_docx, write_pdf

from dms.app import Dms
from dms.config import load_settings
from dms.errors import QueryError
from dms.index import engines, search
from dms.ingest.pipeline import ingest
from dms.search import search as search_archive

ENGINES = engines.NAMES  # every registered search engine


@pytest.fixture(params=ENGINES)
def engine(request) -> dict:
    return {"DMS_SEARCH_ENGINE": request.param}


@pytest.fixture(scope="module", params=ENGINES)
def archive(tmp_path_factory, request):
    """Six documents a coordinator would have, ingested once per engine for every test here."""
    root = tmp_path_factory.mktemp(f"search-{request.param}")
    inbox = root / "inbox"
    inbox.mkdir()
    write_pdf(inbox / "SPEC-KX200-03_RevA.pdf",
              ["Kettle KX200 Mechanical Specification\nDocument No.: SPEC-KX200-03\nRevision: A\nDate: 2022-02-01\n"
               "The lid hinge shall withstand 10000 cycles.",
               "Page two: the heating element is covered by the base plate."])
    write_pdf(inbox / "SPEC-KX200-03_RevB.pdf",
              ["Kettle KX200 Mechanical Specification\nDocument No.: SPEC-KX200-03\nRevision: B\nDate: 2023-04-10\n"
               "Revision B implements change request CR-2023-014. The lid hinge is reinforced."])
    write_docx(inbox / "CR-2023-014.docx", ["Change Request CR-2023-014", "Date: 2023-03-01", "Product: KX200",
                                            "The lid hinge of the KX200 kettle cracks.",
                                            "Affected document: SPEC-KX200-03 Rev A"])
    (inbox / "MTG-2023-03-20.md").write_text(
        "# Minutes MTG-2023-03-20\n\nDate: 2023-03-20\n\nCR-2023-014 approved; Helix Components supplies the hinge.\n")
    (inbox / "complaint-2024.txt").write_text(
        "Customer complaint\nDate: 2024-01-15\nThe VL310 vacuum filter housing leaks dust. Warranty claim.\n")
    (inbox / "CR-2023-1.txt").write_text("Change Request CR-2023-1\nDate: 2023-01-05\nUnrelated cable tie note.\n")
    settings = load_settings(environ={"DMS_SEARCH_ENGINE": request.param}, home=root / "home")
    with Dms(settings) as app:
        ingest(app, [inbox])
        assert app.backend.name == request.param
        yield app


def find(app, query, **kw):
    return search(app.catalog, app.backend, app.matcher, query, **kw)


def names(results):
    return [h.path.rsplit("/", 1)[1] for h in results.hits]


def test_words_are_all_required(archive):
    assert set(names(find(archive, "hinge kettle"))) == {"SPEC-KX200-03_RevA.pdf", "SPEC-KX200-03_RevB.pdf",
                                                           "CR-2023-014.docx"}


def test_phrase_needs_the_words_in_order(archive):
    assert names(find(archive, '"filter housing"')) == ["complaint-2024.txt"]
    assert find(archive, '"housing filter"').total == 0


def test_or_and_not(archive):
    assert set(names(find(archive, "vacuum OR reinforced"))) == {"complaint-2024.txt", "SPEC-KX200-03_RevB.pdf"}
    assert names(find(archive, "hinge NOT reinforced NOT cracks NOT approved")) == ["SPEC-KX200-03_RevA.pdf"]
    assert "SPEC-KX200-03_RevB.pdf" not in names(find(archive, "hinge -reinforced"))


def test_fielded_type_product_number_and_year(archive):
    assert names(find(archive, "type:minutes")) == ["MTG-2023-03-20.md"]
    assert names(find(archive, "type:spec rev:B")) == ["SPEC-KX200-03_RevB.pdf"]
    assert set(names(find(archive, "product:vl310"))) == {"complaint-2024.txt"}
    assert set(names(find(archive, "number:SPEC-KX200-03"))) == {"SPEC-KX200-03_RevA.pdf", "SPEC-KX200-03_RevB.pdf"}
    assert names(find(archive, "year:2024")) == ["complaint-2024.txt"]
    assert names(find(archive, "party:helix")) == ["MTG-2023-03-20.md"]


def test_date_range(archive):
    got = set(names(find(archive, "date:[2023-03 to 2023-04]")))
    assert got == {"CR-2023-014.docx", "MTG-2023-03-20.md", "SPEC-KX200-03_RevB.pdf"}
    assert names(find(archive, "date:[2024 to *]")) == ["complaint-2024.txt"]


def test_prefix_and_fuzzy(archive):
    assert names(find(archive, "warr*")) == ["complaint-2024.txt"]
    assert names(find(archive, "warrenty~")) == ["complaint-2024.txt"]


def test_exact_identifier_finds_its_document_first(archive):
    assert names(find(archive, "CR-2023-014"))[0] == "CR-2023-014.docx"
    assert names(find(archive, "cr 2023 014"))[0] == "CR-2023-014.docx"
    assert names(find(archive, "SPEC-KX200-03 Rev B"))[0] == "SPEC-KX200-03_RevB.pdf"
    assert names(find(archive, "spec-kx200-03 rev. a"))[0] == "SPEC-KX200-03_RevA.pdf"


def test_a_similar_identifier_is_not_confused(archive):
    assert names(find(archive, "CR-2023-1"))[0] == "CR-2023-1.txt"
    assert "CR-2023-1.txt" not in names(find(archive, "CR-2023-014"))


def test_snippet_marks_hits_and_cites_the_page(archive):
    [hit] = find(archive, '"base plate"').hits
    assert hit.page == 2
    assert "<mark>base</mark> <mark>plate</mark>" in hit.snippet


def test_snippets_are_html_safe(tmp_path, engine):
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "x.txt").write_text("kettle <script>alert(1)</script> & more")
    with Dms(load_settings(environ=engine, home=tmp_path / "h")) as app:
        ingest(app, [inbox])
        [hit] = find(app, "kettle").hits
    assert "<script>" not in hit.snippet and "&lt;script&gt;" in hit.snippet


def test_facets_count_type_product_and_year(archive):
    facets = find(archive, "hinge").facets
    assert facets["type"] == {"specification": 2, "change request": 1, "minutes": 1}
    assert facets["year"] == {"2023": 3, "2022": 1}
    assert facets["product"]["kx200"] == 3


def test_sort_by_date_and_paging(archive):
    newest = find(archive, "hinge", sort="newest")
    assert [h.date for h in newest.hits] == sorted([h.date for h in newest.hits], reverse=True)
    page1, page2 = find(archive, "hinge", limit=2, page=1), find(archive, "hinge", limit=2, page=2)
    assert page1.total == page2.total == 4
    assert len(page1.hits) == 2 and len(page2.hits) == 2
    assert not {h.id for h in page1.hits} & {h.id for h in page2.hits}


def test_did_you_mean_when_nothing_is_found(archive):
    results = find(archive, "hinqe")
    assert results.total == 0 and results.did_you_mean == "hinge"


def test_did_you_mean_offers_a_word_as_written_not_an_index_stem(archive):
    assert find(archive, "warrenty claim").did_you_mean == "warranty claim"  # the index holds "warranti"


@pytest.mark.parametrize("query, message", [
    ('"lid hinge', "closing quote"),
    ("(lid OR", "needs something after it"),
    ("lid)", "unmatched closing parenthesis"),
    ("colour:red", "unknown field 'colour'"),
    ("type:invoice", "unknown type 'invoice'"),
    ("date:[2023-13 to 2024]", "not a valid date"),
    ("date:[2024 to 2023]", "starts (2024-01-01) after it ends"),
    ("", "the query is empty"),
])
def test_malformed_query_gets_a_clear_message(archive, query, message):
    with pytest.raises(QueryError, match=None) as info:
        find(archive, query)
    assert message in str(info.value)


def test_malformed_query_on_the_command_line_exits_2_without_traceback(tmp_path, engine):
    """With --strict a slip is an error (without it, it is searched as words: tests/test_search_forgiving.py)."""
    proc = run_dms(tmp_path / "h", "search", "--strict", '"lid hinge', check=False, env=engine)
    assert proc.returncode == 2
    assert "closing quote" in proc.stderr and "Traceback" not in proc.stderr


def test_exact_phrase_matcher_finds_what_whoosh_phrase_finds(tmp_path):
    """GIVEN texts where the phrase words occur adjacent, apart, reversed and repeated
    THEN the fast phrase matcher returns exactly Whoosh's own phrase result set."""
    import whoosh.index
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.query import Phrase

    from dms.index.whoosh_phrase import ExactPhrase

    texts = ["first article inspection report", "article first inspection", "first article, then inspection",
             "the first article inspection and a first article inspection", "inspection article first",
             "first first article inspection inspection", "first article"]
    ix = whoosh.index.create_in(tmp_path, Schema(id=ID(stored=True), body=TEXT))
    with ix.writer() as w:
        for n, text in enumerate(texts):
            w.add_document(id=str(n), body=text)
    with ix.searcher() as s:
        for words in (["first", "article", "inspection"], ["first", "article"], ["article", "first"],
                      ["inspection", "inspection"], ["first", "missing"]):
            want = {h["id"] for h in s.search(Phrase("body", words), limit=None)}
            got = {h["id"] for h in s.search(ExactPhrase("body", words), limit=None)}
            assert got == want, words


def test_identifier_snippet_marks_the_identifier_not_its_parts_elsewhere(archive):
    [first, *_] = find(archive, "CR-2023-014").hits
    assert "<mark>CR</mark>-<mark>2023</mark>-<mark>014</mark>" in first.snippet
    assert "<mark>2023</mark>-03-01" not in first.snippet  # the date shares "2023" but is not the identifier


def test_a_long_lived_searcher_sees_new_documents_and_keeps_working(tmp_path, engine):
    """A server keeps one archive open: after another writer commits, its next searches refresh and still work
    (the refreshed searcher shares segment readers with the old one, which must not be closed under it)."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "a.txt").write_text("first walrus note")
    settings = load_settings(environ=engine, home=tmp_path / "home")
    with Dms(settings) as server, Dms(settings) as writer:
        ingest(writer, [inbox], inline=True)
        assert search_archive(server, "walrus").total == 1
        for n in range(2, 5):
            (inbox / f"n{n}.txt").write_text(f"walrus note number {n}")
            ingest(writer, [inbox], inline=True)
            assert search_archive(server, "walrus").total == n
            assert search_archive(server, "walrus").total == n


def test_a_snippet_shows_the_whole_phrase_even_when_it_ends_the_best_window():
    from dms.index.query import parse
    from dms.index.snippets import query_terms, snippet

    text = " ".join(f"filler{n}" for n in range(31)) + " credited within 21 days, not 30 days as printed. " + \
        " ".join(f"tail{n}" for n in range(40))
    shown = snippet(text, query_terms(parse('"credited within 21 days"')))
    assert "<mark>credited</mark> <mark>within</mark> <mark>21</mark> <mark>days</mark>" in shown
    assert shown.startswith("… ") and shown.endswith(" …")
