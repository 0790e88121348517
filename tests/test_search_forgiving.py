"""Search that forgives: a query typed as a person types it never fails for a slip, many words rank documents by
how many of them they hold, and "did you mean" only offers what finds more. Every test taking `archive` runs on
a real index of each engine (Whoosh and Tantivy)."""

from __future__ import annotations

import json
import random
import re

import pytest
from conftest import run_dms

from dms.app import Dms
from dms.config import load_settings
from dms.errors import QueryError
from dms.index import engines, search
from dms.index.forgive import read
from dms.index.query import Ranked
from dms.ingest.pipeline import ingest
from dms.search import matching_ids
from dms.search import search as search_archive

ENGINES = engines.NAMES  # every registered search engine

DOCS = {
    "complaint-lid.txt": "Customer complaint 2023-05-02\nThe kettle lid hinge cracked after two weeks of use. "
                         "The customer wants the money back.",
    "hinge-spec.txt": "Lid hinge specification\nThe lid hinge shall withstand 10000 opening cycles.",
    "kettle-manual.txt": "Kettle manual\nFill the kettle to the mark and close the lid before switching on.",
    "refund-policy.txt": "Refund policy\nA customer receives a refund within 30 days of a justified complaint.",
    "minutes-hinge.md": "# Minutes 2023-06-01\n\nWe agreed to reinforce the lid hinge with a steel pin.\n",
    "vacuum-filter.txt": "Vacuum filter housing\nThe VL310 vacuum filter housing leaks dust.",
    "lid-transit.txt": "Transport damage\nOne kettle lid cracked in transit; the carrier pays.",
    "cracked-base.txt": "Base plate note\nThe kettle base plate cracked in the drop test; no customer impact.",
}


@pytest.fixture(scope="module", params=ENGINES)
def archive(tmp_path_factory, request):
    root = tmp_path_factory.mktemp(f"forgiving-{request.param}")
    inbox = root / "inbox"
    inbox.mkdir()
    for name, text in DOCS.items():
        (inbox / name).write_text(text)
    settings = load_settings(environ={"DMS_SEARCH_ENGINE": request.param}, home=root / "home")
    with Dms(settings) as app:
        ingest(app, [inbox], inline=True)
        assert app.backend.name == request.param
        yield app


def find(app, query, **kw):
    return search(app.catalog, app.backend, app.matcher, query, forgiving=True, **kw)


def names(results) -> list[str]:
    return [h.path.rsplit("/", 1)[1] for h in results.hits]


def holding(name: str, words: list[str]) -> int:
    """How many of the words (by their first five letters, as the stemmer sees them) a test document holds."""
    text = DOCS[name].lower()
    return sum(1 for w in words if re.search(rf"\b{re.escape(w.lower()[:5])}", text))


# -- many words: ranked, all first ------------------------------------------------------------------------------


def test_many_words_find_documents_that_hold_only_some_of_them(archive):
    query = "kettle lid hinge cracked after two weeks customer refund"
    assert search(archive.catalog, archive.backend, archive.matcher, query).total == 0  # strict: every word
    results = find(archive, query, limit=20)
    assert results.total == 7  # all but the vacuum filter hold at least one of the words
    assert "vacuum-filter.txt" not in names(results)
    assert names(results)[0] == "complaint-lid.txt"  # 7 of the 8 words: all but one
    assert results.ranked == ("kettle", "lid", "hinge", "cracked", "two", "weeks", "customer", "refund")


def test_documents_holding_all_words_come_first_then_all_but_one_then_the_rest(archive):
    words = ["kettle", "lid", "hinge", "cracked"]
    results = find(archive, " ".join(words), limit=20)
    held = [holding(n, words) for n in names(results)]
    assert names(results)[0] == "complaint-lid.txt" and held[0] == 4
    assert names(results)[1] == "lid-transit.txt" and held[1] == 3  # all but one (no hinge)
    tiers = [min(h, 2) for h in held]  # all, all but one, then the rest by BM25
    assert tiers == sorted(tiers, reverse=True), list(zip(names(results), held))
    assert results.total == len([n for n in DOCS if holding(n, words)])


def test_one_or_two_words_still_require_every_word(archive):
    assert set(names(find(archive, "lid hinge"))) == {"complaint-lid.txt", "hinge-spec.txt", "minutes-hinge.md"}
    assert find(archive, "lid hinge").ranked == ()
    assert names(find(archive, "vacuum refund")) == []


def test_and_typed_keeps_every_word_required(archive):
    assert names(find(archive, "kettle AND lid AND hinge")) == ["complaint-lid.txt"]
    assert find(archive, "kettle AND lid AND hinge").ranked == ()


def test_a_not_still_excludes_while_the_other_words_rank(archive):
    for query in ("kettle hinge cracked -customer", "kettle hinge cracked NOT customer"):
        results = find(archive, query)
        assert set(names(results)) == {"hinge-spec.txt", "kettle-manual.txt", "minutes-hinge.md", "lid-transit.txt"}
        assert names(results)[0] == "lid-transit.txt"  # kettle and cracked: all but one
        assert results.ranked == ("kettle", "hinge", "cracked")


def test_brackets_around_words_are_prose_not_a_group(archive):
    results = find(archive, "kettle (lid hinge) cracked")
    assert results.ranked == ("kettle", "lid", "hinge", "cracked") and names(results)[0] == "complaint-lid.txt"
    assert set(names(find(archive, "hinge (vacuum OR refund)"))) == set()  # an OR group stays required


def test_lowercase_and_or_not_in_a_sentence_are_words_capitals_are_operators(archive):
    results = find(archive, "the lid or the hinge cracked")
    assert results.ranked == ("lid", "hinge", "cracked") and names(results)[0] == "complaint-lid.txt"
    assert set(names(find(archive, "vacuum OR refund"))) == {"vacuum-filter.txt", "refund-policy.txt"}
    strict = search(archive.catalog, archive.backend, archive.matcher, "vacuum or refund")
    assert strict.total == 2  # read strictly, as the query language always read it: lowercase or is OR


def test_phrases_and_fields_stay_required_while_the_words_rank(archive):
    results = find(archive, '"lid hinge" cracked reinforce steel')
    assert set(names(results)) == {"complaint-lid.txt", "minutes-hinge.md"}  # the phrase still selects
    assert names(results)[0] == "minutes-hinge.md"  # holds reinforce and steel, the complaint only cracked
    assert results.ranked == ("cracked", "reinforce", "steel")


def test_a_question_is_searched_by_its_subject_words(archive):
    results = find(archive, "what did we agree about the lid hinge?")
    assert results.notice == "the question was read as plain words"
    assert results.ranked == ("agree", "lid", "hinge")
    assert names(results)[0] == "minutes-hinge.md"


def test_stop_words_do_not_hurt_a_short_question(archive):
    """Two subject words and many stop words: the stop words are not required (no document holds them all)."""
    assert set(names(find(archive, "where is the vacuum filter?"))) == {"vacuum-filter.txt"}


def test_lowercase_or_and_not_in_a_question_are_words_not_operators(archive):
    results = find(archive, "is the kettle lid not cracked or the hinge?")
    assert names(results)[0] == "complaint-lid.txt" and results.ranked == ("kettle", "lid", "cracked", "hinge")


# -- slips read as plain words ---------------------------------------------------------------------------------


@pytest.mark.parametrize("query, notice, expect", [
    ('"lid hinge', "the unclosed quote was read as plain words", "hinge-spec.txt"),
    ("hinge?", "the question was read as plain words", "hinge-spec.txt"),
    ("(lid OR vacuum", "the unclosed ( was ignored", "vacuum-filter.txt"),
    ("lid hinge)", "the unmatched ) was ignored", "hinge-spec.txt"),
    ("lid OR", "the dangling OR was ignored", "kettle-manual.txt"),
    ("AND vacuum", "the dangling AND was ignored", "vacuum-filter.txt"),
    ("vacuum NOT", "the dangling NOT was ignored", "vacuum-filter.txt"),
    ("colour:red vacuum", "colour: (not a field) was read as plain words", None),
    ("hin*ge specification", "the misplaced wildcard in hin*ge was read as plain words", None),
    ("h* spec*", "the misplaced wildcard in h* was read as plain words", None),
    ("steel] pin", "the stray ] was ignored", "minutes-hinge.md"),
    ("[2023 hinge", "the unclosed [ was read as plain words", None),
    ('"" vacuum', 'the empty "" was ignored', "vacuum-filter.txt"),
    ("lid & hinge", "the stray & was ignored", "hinge-spec.txt"),
    ('hinge? "steel pin', "the ? in hinge? and the unclosed quote were read as plain words", "minutes-hinge.md"),
])
def test_a_slip_is_read_as_plain_words_with_a_one_line_notice(archive, query, notice, expect):
    results = find(archive, query)
    assert results.notice == notice
    assert "\n" not in results.notice
    if expect:
        assert expect in names(results)


def test_the_same_slips_are_errors_when_the_query_is_read_strictly(archive):
    for query in ('"lid hinge', "hinge?", "(lid OR vacuum", "lid hinge)", "colour:red vacuum"):
        with pytest.raises(QueryError):
            search(archive.catalog, archive.backend, archive.matcher, query)
        with pytest.raises(QueryError):
            search_archive(archive, query, forgiving=False)


def test_the_query_language_means_what_it_says_and_gives_no_notice(archive):
    for query, want in [('"lid hinge"', {"complaint-lid.txt", "hinge-spec.txt", "minutes-hinge.md"}),
                        ("vacuum OR refund", {"vacuum-filter.txt", "refund-policy.txt"}),
                        ("hinge NOT cracked NOT steel", {"hinge-spec.txt"}),
                        ("hing*", {"complaint-lid.txt", "hinge-spec.txt", "minutes-hinge.md"}),
                        ("vacuun~", {"vacuum-filter.txt"})]:
        results = find(archive, query)
        assert set(names(results)) == want, query
        assert results.notice is None and results.ranked == (), query


@pytest.mark.parametrize("query, message", [
    ("type:invoice lid", "unknown type 'invoice'"),
    ("date:[2023-13 to *] hinge", "not a valid date"),
    ("hinge~3", "fuzzy distance must be 1 or 2"),
    ("NOT " * 40 + "hinge", "DMS_QUERY_MAX_DEPTH"),
])
def test_what_the_language_was_asked_wrongly_and_the_bounds_stay_errors(archive, query, message):
    with pytest.raises(QueryError) as info:
        find(archive, query)
    assert message in str(info.value)


def test_a_query_of_punctuation_finds_nothing_and_says_so(archive):
    results = find(archive, "???")
    assert results.total == 0 and results.hits == []
    assert results.notice == "the question was read as plain words; nothing was left to search for"


def test_no_typed_query_fails(archive):
    """Random strings of what people type (words, quotes, brackets, operators, wildcards, punctuation, stray
    fields) are all read: the engines answer every one."""
    rnd = random.Random(15)
    parts = ['"', "(", ")", "[", "]", "*", "?", "~", "-", "OR", "AND", "NOT", "or", "not", ":", "colour:", "title:",
             "lid", "hinge", "kettle", "cracked", "vacuum", "the", "what", "&", ",", "!", "'", "x*", "e", "!?", "…"]
    queries = {"".join(rnd.choice(parts) + rnd.choice(["", " ", " "]) for _ in range(rnd.randint(1, 9)))
               for _ in range(300)}
    read_as_words = 0
    for query in sorted(q for q in queries if q.strip()):
        results = find(archive, query, limit=3)  # raises on any query it cannot read
        assert len(results.hits) <= min(3, results.total), query
        read_as_words += results.notice is not None
    assert read_as_words > 100  # most of these are slips, and each was said


def test_holds_and_bundles_still_read_the_query_strictly(archive):
    """A hold's scope must mean exactly what it says: every word required, a slip refused."""
    assert len(find(archive, "kettle lid hinge").hits) > 1  # searched: ranked, not all words required
    assert matching_ids(archive, "kettle lid hinge") == {h.id for h in find(archive, "kettle AND lid AND hinge").hits}
    assert len(matching_ids(archive, "vacuum or refund")) == 2
    with pytest.raises(QueryError):
        matching_ids(archive, '"lid hinge')


# -- did you mean ----------------------------------------------------------------------------------------------


def test_did_you_mean_corrects_a_word_of_a_many_word_query_when_all_words_are_then_found(archive):
    results = find(archive, "kettle lid hinqe cracked")
    assert results.total > 0  # the other words find documents
    assert results.did_you_mean == "kettle lid hinge cracked"


def test_did_you_mean_is_not_offered_when_the_correction_finds_no_more(archive):
    results = find(archive, "kettel vacuum")  # kettle exists, but no document holds kettle and vacuum
    assert results.total == 0 and results.did_you_mean is None


def test_did_you_mean_leaves_short_and_stop_words_alone(archive):
    results = find(archive, "tw0 weks pin")  # "tw0" is no word to correct; "weks" is
    assert results.did_you_mean in (None, "tw0 weeks pin")
    assert "the" not in (results.did_you_mean or "").split()


def test_did_you_mean_offers_only_words_of_the_index(archive):
    results = find(archive, "vacuum filtre housing leaks")
    assert results.did_you_mean == "vacuum filter housing leaks"


# -- the command line --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_home(tmp_path_factory):
    root = tmp_path_factory.mktemp("forgiving-cli")
    inbox = root / "inbox"
    inbox.mkdir()
    for name, text in DOCS.items():
        (inbox / name).write_text(text)
    run_dms(root / "home", "ingest", str(inbox))
    return root / "home"


def test_the_command_line_prints_the_notice_and_the_ranking(cli_home):
    proc = run_dms(cli_home, "search", "what did we agree about the lid hinge?")
    assert "note: the question was read as plain words" in proc.stdout
    assert "ranked by how many of agree lid hinge they hold (all first)" in proc.stdout
    assert "minutes-hinge.md" in proc.stdout
    data = json.loads(run_dms(cli_home, "search", '"lid hinge', "--json").stdout)
    assert data["notice"] == "the unclosed quote was read as plain words" and data["total"] == 3


def test_strict_on_the_command_line_refuses_a_slip_with_exit_2(cli_home):
    proc = run_dms(cli_home, "search", "--strict", '"lid hinge', check=False)
    assert proc.returncode == 2
    assert "closing quote" in proc.stderr and "Traceback" not in proc.stderr


def test_ranked_reading_is_engine_neutral():
    reading = read("kettle lid hinge cracked")
    assert isinstance(reading.tree, Ranked) and reading.notice is None


def test_the_whoosh_tier_matcher_scores_as_the_composed_query_does(tmp_path):
    """GIVEN texts holding all, all but one, some or none of four words
    THEN the one-pass tier matcher gives each document exactly the score of the composition it replaces:
    ConstantScore(And(all)) + ConstantScore(Or(And(all but one)...)) + Or(all), inside an intersection too."""
    import whoosh.index
    from whoosh import query as wq
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.scoring import BM25F

    from dms.index.query import TIER
    from dms.index.whoosh_tiered import Tiered

    texts = ["lid hinge crack kettle", "lid hinge crack", "lid kettle", "hinge", "nothing here", "kettle kettle lid",
             "crack hinge lid kettle lid", "base plate"]
    ix = whoosh.index.create_in(tmp_path, Schema(id=ID(stored=True), body=TEXT))
    with ix.writer() as w:
        for n, text in enumerate(texts):
            w.add_document(id=str(n), body=text)
    for words in (["lid", "hinge", "crack", "kettle"], ["lid", "hinge", "missing"], ["lid", "hinge", "crack"]):
        parts = [wq.Term("body", t) for t in words]
        most = [wq.And(parts[:k] + parts[k + 1:]) for k in range(len(parts))]
        composed = wq.Or([wq.ConstantScoreQuery(wq.And(parts), TIER), wq.ConstantScoreQuery(wq.Or(most), TIER),
                          wq.Or(parts)])
        with ix.searcher(weighting=BM25F()) as s:
            for wrap in (lambda x: x, lambda x: wq.And([x, wq.Not(wq.Term("body", "base"))])):
                want = {h["id"]: round(h.score, 3) for h in s.search(wrap(composed), limit=None)}
                got = {h["id"]: round(h.score, 3) for h in s.search(wrap(Tiered(parts, TIER)), limit=None)}
                assert got == want, words


def test_snippets_mark_the_words_of_a_ranked_query_and_of_a_slip(archive):
    [first, *_] = find(archive, "kettle lid hinge cracked").hits
    assert "<mark>hinge</mark>" in first.snippet and "<mark>cracked</mark>" in first.snippet
    [spec] = [h for h in find(archive, '"lid hinge').hits if h.path.endswith("hinge-spec.txt")]
    assert "<mark>hinge</mark>" in spec.snippet


def test_the_document_text_marks_what_a_forgiving_search_found():
    from dms.identifiers import IdentifierMatcher
    from dms.index import highlight_pages
    from dms.rules import load_rules

    matcher = IdentifierMatcher(load_rules(None))
    [(html, count)] = highlight_pages(matcher, ("The lid hinge cracked.",), "what about the lid hinge?")
    assert count == 2 and "<mark>lid</mark> <mark>hinge</mark>" in html and "<mark>The</mark>" not in html


def test_a_pasted_paragraph_over_the_term_bound_is_read_without_its_stop_words(archive):
    filler = "and the of it was in a to that " * 5  # 45 stop words
    results = find(archive, f"the kettle lid and the hinge cracked {filler} after two weeks")
    assert results.ranked == ("kettle", "lid", "hinge", "cracked", "two", "weeks")
    assert names(results)[0] == "complaint-lid.txt"
    # still over the bound without its stop words: its first distinct words, as many as the bound allows, said so
    pasted = "kettle lid hinge cracked " + " ".join(f"word{n}" for n in range(60)) + " lid hinge " + filler
    long = find(archive, pasted)
    assert long.notice == "the text was long: searched for its first 49 of 64 distinct words"
    assert "complaint-lid.txt" in names(long) and len(long.ranked) == 49


def test_possessives_and_contractions_are_read_as_the_words_people_mean(archive):
    assert names(find(archive, "lid's hinge")) == names(find(archive, "lid hinge")) != []
    assert find(archive, "customer's refund").total == find(archive, "customer refund").total > 0
    assert names(find(archive, "don't kettle lid's hinge cracked"))[0] == "complaint-lid.txt"
    assert names(find(archive, '"lid hinge"')) == names(find(archive, '"lid hinge"'))  # phrases untouched


def test_many_words_in_date_order_require_every_word_instead_of_ranking(archive):
    query = "kettle lid hinge cracked"
    newest = find(archive, query, sort="newest", limit=20)
    assert newest.ranked == () and newest.total == find(archive, "kettle AND lid AND hinge AND cracked").total
    assert newest.total < find(archive, query, limit=20).total
