"""What a hostile query or a huge document must never win: every query's size and cost is bounded by a
setting (terms, nesting depth, fuzzy/prefix expansion, time), and a document's text is shown a bounded
slice at a time, on the page and in the API."""

from __future__ import annotations

import random
import re
import time
from contextlib import contextmanager

import pytest
from conftest import csrf_of, run_dms, run_json

from dms.app import Dms
from dms.config import load_settings
from dms.errors import QueryError
from dms.index import engines
from dms.ingest.pipeline import ingest
from dms.search import matching_ids, search

ENGINES = engines.NAMES  # every registered search engine
NESTED = "(" * 260 + "lid" + ")" * 260


def _words(n: int, seed: int = 7) -> list[str]:
    """n distinct made-up four-letter words: many share a beginning (ga…, co…) and differ in one letter, so
    prefixes and fuzzy words expand widely (300 of them, fuzzy, fit in a query of 2,000 characters)."""
    rnd = random.Random(seed)
    out: set[str] = set()
    while len(out) < n:
        out.add(rnd.choice(["ga", "co", "ve", "ru", "mi"]) + "".join(rnd.choice("aeioulnrst") for _ in range(2)))
    return sorted(out)


VOCAB = _words(400)


@pytest.fixture(scope="module")
def letters(tmp_path_factory):
    """A folder of 120 letters about an ocelot gasket, each also holding 60 of the made-up words."""
    folder = tmp_path_factory.mktemp("letters")
    rnd = random.Random(3)
    for i in range(120):
        filler = " ".join(rnd.sample(VOCAB, 60))
        (folder / f"letter-{i:03d}.txt").write_text(f"Letter {i} about the ocelot gasket.\n{filler}\n")
    return folder


@pytest.fixture(scope="module", params=ENGINES)
def archive_home(request, letters, tmp_path_factory):
    """A data directory holding the letters, indexed by one engine."""
    home = tmp_path_factory.mktemp(f"home-{request.param}") / "home"
    with Dms(load_settings(environ={"DMS_SEARCH_ENGINE": request.param}, home=home)) as app:
        ingest(app, [letters], inline=True)
    return request.param, home


def _fuzzy(n: int) -> str:
    return " ".join(f"{w}~" for w in VOCAB[:n])


def _open(archive_home, **limits) -> Dms:
    engine, home = archive_home
    env = {"DMS_SEARCH_ENGINE": engine, **{f"DMS_QUERY_{k.upper()}": str(v) for k, v in limits.items()}}
    return Dms(load_settings(environ=env, home=home))


# -- nesting ---------------------------------------------------------------------------------------------------


def test_260_nested_brackets_are_refused_by_dms_search_naming_the_setting(archive_home):
    engine, home = archive_home
    proc = run_dms(home, "search", NESTED, env={"DMS_SEARCH_ENGINE": engine}, check=False)
    assert proc.returncode == 2, proc.stderr
    assert "DMS_QUERY_MAX_DEPTH=16" in proc.stderr and "Traceback" not in proc.stderr


def test_300_nested_nots_are_refused_too(archive_home):
    with _open(archive_home) as app, pytest.raises(QueryError, match="DMS_QUERY_MAX_DEPTH=16"):
        search(app, "NOT " * 300 + "gasket")


def test_nesting_within_the_limit_still_searches(archive_home):
    with _open(archive_home, max_depth=5) as app:
        assert search(app, "(" * 5 + "ocelot" + ")" * 5).total == 120
        with pytest.raises(QueryError, match="DMS_QUERY_MAX_DEPTH=5"):
            search(app, "(" * 6 + "ocelot" + ")" * 6)


def test_260_nested_brackets_are_a_400_on_search_holds_and_bundles(client_for):
    cora = client_for("cora")
    token = {"X-CSRF-Token": csrf_of(cora)}
    answers = {
        "search": cora.get("/api/v1/search", params={"q": NESTED}),
        "search page": cora.get("/search", params={"q": NESTED}),
        "hold": cora.post("/api/v1/holds", json={"name": "Nested matter", "query": NESTED}, headers=token),
        "bundle": cora.post("/api/v1/bundles", json={"query": NESTED}, headers=token),
    }
    for name, answer in answers.items():
        assert answer.status_code == 400, (name, answer.status_code, answer.text[:300])
        assert "DMS_QUERY_MAX_DEPTH" in answer.text, name
    assert answers["search"].json()["error"]["type"] == "QueryError"
    assert cora.get("/api/v1/holds/Nested matter").status_code == 404  # nothing was placed


# -- terms, expansion, time ----------------------------------------------------------------------------------


def test_300_fuzzy_words_are_refused_at_once_by_dms_search(archive_home):
    engine, home = archive_home
    started = time.monotonic()
    proc = run_dms(home, "search", _fuzzy(300), env={"DMS_SEARCH_ENGINE": engine}, check=False)
    assert proc.returncode == 2, proc.stdout[-300:]
    assert "the query has 300 terms; DMS_QUERY_MAX_TERMS=50" in proc.stderr
    assert time.monotonic() - started < 10  # a process start, not a search


def test_a_query_over_the_time_limit_stops_with_an_error_naming_the_setting(archive_home):
    with _open(archive_home, max_terms=400, max_expansion_total=10**6, timeout=0.05) as app:
        search(app, "ocelot")  # the searcher is open: the time below is the query's own
        started = time.monotonic()
        with pytest.raises(QueryError, match=r"took longer than DMS_QUERY_TIMEOUT=0.05s; narrow it"):
            search(app, _fuzzy(300))
        assert time.monotonic() - started < 1.0


@contextmanager
def _viewer(settings, folder):
    """A TestClient signed in as a viewer of an archive holding what is in `folder`."""
    from conftest import password_of
    from fastapi.testclient import TestClient

    from dms import users
    from dms.web import create_app

    with Dms(settings) as app:
        ingest(app, [folder], inline=True)
        users.add(app.catalog, "ada", "admin", password_of("ada"), by="ada")
        users.add(app.catalog, "vera", "viewer", password_of("vera"), by="ada")
    with TestClient(create_app(settings), follow_redirects=False) as client:
        client.post("/sign-in", data={"name": "vera", "password": password_of("vera"), "next": "/"})
        yield client


def test_the_time_limit_stops_a_search_of_many_fuzzy_words_in_the_web_api(tmp_path, letters):
    settings = load_settings(environ={"DMS_QUERY_MAX_TERMS": "400", "DMS_QUERY_MAX_EXPANSION_TOTAL": "1000000",
                                      "DMS_QUERY_TIMEOUT": "0.05"}, home=tmp_path / "home")
    with _viewer(settings, letters) as client:
        answer = client.get("/api/v1/search", params={"q": _fuzzy(300)})
    assert answer.status_code == 400
    assert "DMS_QUERY_TIMEOUT=0.05s" in answer.json()["error"]["message"]


def test_a_prefix_matching_too_many_words_is_refused_naming_the_setting(archive_home):
    with _open(archive_home, max_expansion=20) as app:
        with pytest.raises(QueryError, match=r"the prefix ga\* matches more than DMS_QUERY_MAX_EXPANSION=20"):
            search(app, "ga*")
        assert search(app, f"{VOCAB[0][:4]}*").total > 0  # a longer prefix stays within the limit


def test_a_fuzzy_word_matching_too_many_words_is_refused_naming_the_setting(archive_home):
    word = next(w for w in VOCAB if w.startswith("ga"))
    with _open(archive_home, max_expansion=3) as app:
        with pytest.raises(QueryError, match=rf"the fuzzy word {word}~2 matches more than DMS_QUERY_MAX_EXPANSION=3"):
            search(app, f"{word}~2")


def test_the_expansion_of_the_whole_query_is_bounded(archive_home):
    prefixes = sorted({w[:3] for w in VOCAB})[:12]
    with _open(archive_home, max_expansion_total=40) as app:
        with pytest.raises(QueryError, match="DMS_QUERY_MAX_EXPANSION_TOTAL=40"):
            search(app, " OR ".join(f"{p}*" for p in prefixes))


def test_ordinary_queries_are_answered_as_before_on_the_default_limits(archive_home):
    with _open(archive_home) as app:
        assert search(app, "ocelot gasket").total == 120
        assert search(app, "ocelot~ gaskt~").total == 120
        assert search(app, "ocelo*").total == 120
        assert search(app, f"{VOCAB[0]} OR {VOCAB[1]}").total > 0
        assert len(matching_ids(app, "ocelot NOT letter")) == 0
    engine, home = archive_home
    assert run_json(home, "search", "(ocelot OR gasket) NOT recall", env={"DMS_SEARCH_ENGINE": engine})["total"] == 120


def test_query_limits_are_settings_checked_when_read():
    from dms.errors import ConfigError

    with pytest.raises(ConfigError, match="DMS_QUERY_MAX_DEPTH=500 is more than 50"):
        load_settings(environ={"DMS_QUERY_MAX_DEPTH": "500"}, home="/tmp/x")
    with pytest.raises(ConfigError, match="DMS_QUERY_TIMEOUT"):
        load_settings(environ={"DMS_QUERY_TIMEOUT": "0"}, home="/tmp/x")


# -- a document's text, a bounded view at a time ------------------------------------------------------------

PAGES = 120
PAGE_LIMITS = {"DMS_PAGE_TEXT_MAX_CHARS": "2000", "DMS_PAGE_TEXT_MAX_PAGES": "5"}


def _page_text(n: int) -> str:
    rare = " The quokka clause applies here." if n in (7, 90) else ""
    return f"Page {n} of the supply agreement.{rare} " + " ".join(f"term{n}x{i}" for i in range(150))


@pytest.fixture(scope="module")
def long_docs(tmp_path_factory):
    """A signed-in viewer on an archive holding a text of 120 pages and one of a single 30,000-character page,
    served with views of at most 2,000 characters and 5 pages."""
    from dms.documents import resolve

    root = tmp_path_factory.mktemp("long")
    (root / "in").mkdir()
    (root / "in" / "agreement.txt").write_text("\f".join(_page_text(n) for n in range(1, PAGES + 1)))
    (root / "in" / "wall.txt").write_text(" ".join(f"w{i:05d}" for i in range(5000)))  # one page, 30,000 chars
    settings = load_settings(environ=PAGE_LIMITS, home=root / "home")
    with _viewer(settings, root / "in") as client:
        with Dms(settings) as app:
            ids = {name: resolve(app, str(root / "in" / name)).id for name in ("agreement.txt", "wall.txt")}
            texts = {name: app.catalog.pages(resolve(app, str(root / "in" / name)).version.id) for name in ids}
        yield client, ids, texts


def _read_all(client, doc_id: int) -> tuple[list[dict], dict[int, str]]:
    """Every view of a document's text through the API, following `next`; and each page put back together."""
    views, pages, params = [], {}, {}
    while True:
        answer = client.get(f"/api/v1/documents/{doc_id}/text", params=params)
        assert answer.status_code == 200, answer.text
        view = answer.json()
        views.append(view)
        for part, text in zip(view["slices"], view["pages"]):
            assert len(pages.get(part["page"], "")) == part["offset"]  # no gap, no overlap
            pages[part["page"]] = pages.get(part["page"], "") + text
        if not view["next"]:
            return views, pages
        params = view["next"]
        assert len(views) < 500


def test_the_text_api_gives_a_bounded_view_with_totals_and_pages_through_everything(long_docs):
    client, ids, texts = long_docs
    views, pages = _read_all(client, ids["agreement.txt"])
    first = views[0]
    assert first["page_count"] == PAGES and first["total_chars"] == sum(len(t) for t in texts["agreement.txt"])
    assert first["page"] == 1 and first["previous"] is None and first["next"]
    for view in views:
        assert len(view["pages"]) <= 5 and sum(len(t) for t in view["pages"]) <= 2000
    assert [pages[n] for n in range(1, PAGES + 1)] == list(texts["agreement.txt"])
    back = client.get(f"/api/v1/documents/{ids['agreement.txt']}/text", params=views[3]["previous"]).json()
    assert back["next"]["page"] <= views[3]["page"] and back["end_char"] >= views[3]["start_char"]


def test_a_single_huge_page_is_cut_into_views_at_spaces(long_docs):
    client, ids, texts = long_docs
    views, pages = _read_all(client, ids["wall.txt"])
    assert len(views) >= 15 and pages[1] == texts["wall.txt"][0]
    for view in views[:-1]:
        assert view["pages"][0].endswith(" ") and view["next"]["page"] == 1  # no word split between two views
    small = client.get(f"/api/v1/documents/{ids['wall.txt']}/text", params={"offset": 600, "limit": 60}).json()
    end = texts["wall.txt"][0].rfind(" ", 600, 660) + 1
    assert small["pages"] == [texts["wall.txt"][0][600:end]] and small["next"] == {"page": 1, "offset": end}


def test_text_views_outside_the_document_or_over_the_limit_are_refused(long_docs):
    client, ids, _ = long_docs
    doc = ids["agreement.txt"]
    for params, message in (({"page": 121}, "it has 120 page(s)"), ({"page": 0}, "it has 120 page(s)"),
                            ({"offset": 10**6}, "characters"), ({"limit": 2001}, "DMS_PAGE_TEXT_MAX_CHARS")):
        answer = client.get(f"/api/v1/documents/{doc}/text", params=params)
        assert answer.status_code == 400 and message in answer.json()["error"]["message"], params


def test_the_document_page_shows_one_view_with_navigation(long_docs):
    client, ids, texts = long_docs
    doc = ids["agreement.txt"]
    html = client.get(f"/documents/{doc}").text
    assert len(html) < 40_000 < sum(len(t) for t in texts["agreement.txt"])
    assert re.search(r"page\(s\) 1–\d of 120", html) and 'rel="prev"' not in html
    assert 'id="p1"' in html and 'id="p6"' not in html
    shown = set()
    link = re.search(r'rel="next" href="([^"#]+)', html).group(1).replace("&amp;", "&")
    while link:
        page = client.get(link)
        assert page.status_code == 200 and len(page.text) < 40_000 and 'rel="prev"' in page.text
        shown.update(int(n) for n in re.findall(r'<article class="page" id="p(\d+)"', page.text))
        following = re.search(r'rel="next" href="([^"#]+)', page.text)
        link = following.group(1).replace("&amp;", "&") if following else None
    assert shown | {1} == set(range(1, PAGES + 1))


def test_hits_are_marked_in_the_view_shown_and_pages_mentioning_them_are_linked(long_docs):
    client, ids, _ = long_docs
    doc = ids["agreement.txt"]
    html = client.get(f"/documents/{doc}", params={"q": "quokka"}).text
    assert f'href="/documents/{doc}?q=quokka&amp;page=90#p90">90</a>' in html
    assert f'href="/documents/{doc}?q=quokka&amp;page=7#p7">7</a>' in html
    assert "<mark>" not in html.split('id="text"')[1]  # pages 1-5 do not mention it
    at_90 = client.get(f"/documents/{doc}", params={"q": "quokka", "page": 90}).text
    assert 'id="p90"' in at_90 and "<mark>quokka</mark>" in at_90 and "1 hit(s)" in at_90


def test_a_search_hit_opens_the_document_at_the_page_it_was_found_on(long_docs):
    client, ids, _ = long_docs
    html = client.get("/search", params={"q": "quokka"}).text
    assert f'href="/documents/{ids["agreement.txt"]}?q=quokka&amp;page=7#p7"' in html
