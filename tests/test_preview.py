"""See the original: previews made in the ingest workers and cached by SHA-256, sanitised HTML renders, word
boxes for hits, and the web routes that only read the cache (a placeholder and the preview queue otherwise)."""

from __future__ import annotations

import json
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
from conftest import password_of, write_docx, write_eml, write_pdf, write_pptx, write_xlsx
from PIL import Image
from writers_scan import write_image_pdf, write_msg, write_tiff

from dms import users
from dms.app import Dms
from dms.config import load_settings
from dms.ingest.pipeline import ingest
from dms.preview import cache, html, words
from dms.preview.images import THUMB_WIDTH


def _previews(app: Dms, path: Path) -> cache.PreviewDir:
    doc = app.catalog.document_at_path(str(path))
    return cache.preview_dir(cache.root_of(app.settings.home), doc.version.sha256)


def _html_mail(path: Path) -> Path:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@x.example", "b@y.example", "Lid hinge"
    msg["Date"] = "Tue, 14 Mar 2023 09:00:00 +0000"
    msg.set_content("plain: the lid hinge cracked")
    msg.add_alternative(
        '<p onclick="steal()">The <b>lid hinge</b> cracked.</p><script>alert(1)</script>'
        '<img src="http://tracker.example/pixel.png" alt="pixel"><a href="javascript:alert(2)">click</a>'
        '<a href="https://example.com/ok">ok link</a><style>p{color:red}</style>', subtype="html")
    path.write_bytes(bytes(msg))
    return path


@pytest.fixture(scope="module")
def filed(tmp_path_factory):
    """An inbox of one file of each previewed kind, ingested with previews (shared: tests only add to it)."""
    tmp_path = tmp_path_factory.mktemp("filed")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    files = {
        "pdf": write_pdf(inbox / "spec.pdf", ["The lid hinge is made of steel.", "Page two speaks of the base."]),
        "tiff": write_tiff(inbox / "fax.tiff", [["FAX from Casa Nova", "the thermostat was replaced"],
                                                ["second page of the fax"]]),
        "docx": write_docx(inbox / "memo.docx", ["Memo about the lid hinge", "It <script>x</script> cracked."],
                           table=[["part", "qty"], ["hinge", "2"]]),
        "xlsx": write_xlsx(inbox / "sales.xlsx", {"Quarters": [["Quarter", "Sold"], ["Q1", 3825]]}),
        "pptx": write_pptx(inbox / "plan.pptx", [("Lifecycle plan", "Launch 2022", "owner: Anna")]),
        "eml": _html_mail(inbox / "mail.eml"),
        "text": write_eml(inbox / "plain.eml", "Quote", "please quote for the lid"),
        "msg": write_msg(inbox / "outlook.msg", "Quote for lids", "please quote for 500 lids"),
    }
    settings = load_settings(environ={"DMS_WORKERS": "2", "DMS_OCR": "0"}, home=tmp_path / "home")
    with Dms(settings) as app:
        ingest(app, [inbox])
        yield app, files


def test_ingest_makes_a_thumbnail_of_pdfs_and_scans_and_page_images_of_scans(filed):
    app, files = filed
    thumb = _previews(app, files["pdf"]).thumb
    with Image.open(thumb) as image:
        assert image.format == "PNG" and image.width == THUMB_WIDTH and image.height > image.width
    fax = _previews(app, files["tiff"])
    assert fax.thumb.is_file()
    for n in (1, 2):  # every frame of the TIFF, as PNG (browsers cannot show a TIFF)
        with Image.open(fax.page(n)) as image:
            assert image.format == "PNG" and image.width > 500
    assert not _previews(app, files["pdf"]).page(1).exists()  # PDF pages: PDF.js, or made later on request


def test_previews_are_named_by_the_originals_hash_so_a_copy_elsewhere_finds_them(filed, tmp_path):
    app, files = filed
    made = _previews(app, files["pdf"]).thumb.stat().st_mtime_ns
    other = tmp_path / "other"
    other.mkdir()
    (other / "copy.pdf").write_bytes(files["pdf"].read_bytes())
    ingest(app, [other])
    assert _previews(app, other / "copy.pdf").thumb.stat().st_mtime_ns == made


def test_office_files_and_mail_are_rendered_as_sanitised_html(filed):
    app, files = filed
    docx = _previews(app, files["docx"]).html.read_text()
    assert "Memo about the lid hinge" in docx and "<table" in docx and "<script" not in docx
    assert "3825" in _previews(app, files["xlsx"]).html.read_text()
    plan = _previews(app, files["pptx"]).html.read_text()
    assert "Slide 1: Lifecycle plan" in plan and "Launch 2022" in plan and "owner: Anna" in plan
    mail = _previews(app, files["eml"]).html.read_text()
    assert "<b>lid hinge</b>" in mail and "From" in mail and "a@x.example" in mail
    for bad in ("<script", "onclick", "tracker.example", "javascript:", "<style", "color:red"):
        assert bad not in mail, bad
    assert 'href="https://example.com/ok"' in mail and "noopener" in mail
    assert "please quote for the lid" in _previews(app, files["text"]).html.read_text()
    outlook = _previews(app, files["msg"]).html.read_text()
    assert "Quote for lids" in outlook and "please quote for 500 lids" in outlook and "Anna Lindqvist" in outlook


def test_sanitise_keeps_images_embedded_in_the_file_and_drops_fetched_ones():
    tiny = "data:image/png;base64,iVBORw0KGgo="
    out = html.sanitise(f'<img src="{tiny}" alt="a"><img src="https://x.example/a.png"><img src="cid:1">'
                        '<a href="data:text/html,<script>x</script>">d</a>')
    assert out.count("<img") == 3 and out.count("src=") == 1 and tiny in out
    assert "data:text" not in out


def test_an_html_render_is_cut_at_its_size_bound_with_a_note(tmp_path):
    rows = [[f"row {i}", "x" * 200] for i in range(2000)]
    path = write_xlsx(tmp_path / "big.xlsx", {"Big": rows})
    out = html.render(path, "xlsx", 50_000)
    assert len(out) < 60_000 and "row 10" in out and "row 1999" not in out
    assert "DMS_PREVIEW_HTML_MAX_MB" in out


def test_no_previews_are_made_at_ingest_with_thumbnails_switched_off(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    pdf = write_pdf(inbox / "spec.pdf", ["The lid hinge."])
    settings = load_settings(environ={"DMS_THUMBNAILS": "0", "DMS_OCR": "0"}, home=tmp_path / "home")
    with Dms(settings) as app:
        ingest(app, [inbox])
        assert not _previews(app, pdf).path.exists()


def test_word_boxes_of_a_pdf_page_place_each_word_and_the_query_marks_its_own(tmp_path):
    pdf = write_pdf(tmp_path / "a.pdf", ["Returns are credited within 21 days of receipt."])
    found = words.pdf_words(pdf, 1)
    assert [w[0] for w in found] == ["Returns", "are", "credited", "within", "21", "days", "of", "receipt"]
    xs = [w[1] for w in found]
    assert xs == sorted(xs) and all(0 <= v <= 1 for w in found for v in w[1:])
    assert all(w[3] > w[1] and w[4] > w[2] for w in found)
    with Dms(load_settings(environ={}, home=tmp_path / "home")) as app:
        saved = {"words": found}
        assert words.hits(saved, app.matcher, "credited") == [found[2][1:5]]
        phrase = words.hits(saved, app.matcher, '"within 21 days"')
        assert phrase == [w[1:5] for w in found[3:6]]
        assert words.hits(saved, app.matcher, "hinge") == []


def test_tesseract_word_boxes_are_read_as_fractions_of_the_page():
    tsv = ("level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
           "5\t1\t1\t1\t1\t1\t100\t50\t200\t20\t96\tcredited\n5\t1\t1\t1\t1\t2\t320\t50\t10\t20\t-1\t \n")
    assert words.parse_tsv(tsv, 1000, 500) == [["credited", 0.1, 0.1, 0.3, 0.14]]


# -- the web routes --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(filed):
    from fastapi.testclient import TestClient

    from dms.web import create_app

    app, files = filed
    users.add(app.catalog, "ada", "admin", password_of("ada"), by="ada")
    web = create_app(app.settings)
    with TestClient(web, follow_redirects=False) as c:
        assert c.post("/sign-in", data={"name": "ada", "password": password_of("ada"), "next": "/"}).status_code == 303
        yield c, app, files
    queue = getattr(web.state, "preview_queue", None)
    if queue is not None:
        queue.stop()


def _id(app: Dms, path: Path) -> int:
    return app.catalog.document_at_path(str(path)).id


def _eventually(get, done, seconds: float = 60.0):
    deadline = time.monotonic() + seconds
    while True:
        response = get()
        if done(response) or time.monotonic() > deadline:
            return response
        time.sleep(0.3)


def test_thumb_is_the_cached_png_or_a_placeholder_never_an_error(client):
    c, app, files = client
    got = c.get(f"/documents/{_id(app, files['pdf'])}/thumb")
    assert got.status_code == 200 and got.headers["content-type"] == "image/png"
    assert got.content == _previews(app, files["pdf"]).thumb.read_bytes()
    docx = c.get(f"/documents/{_id(app, files['docx'])}/thumb")
    assert docx.status_code == 200 and docx.headers["content-type"].startswith("image/svg+xml")
    assert b"DOCX" in docx.content and docx.headers["x-preview"] == "pending"


def test_a_missing_pdf_page_image_is_a_placeholder_then_made_outside_the_request(client):
    c, app, files = client
    url = f"/documents/{_id(app, files['pdf'])}/pages/2.png"
    first = c.get(url)
    assert first.status_code == 200 and first.headers["content-type"].startswith("image/svg+xml")
    made = _eventually(lambda: c.get(url), lambda r: r.headers["content-type"] == "image/png")
    assert made.headers["content-type"] == "image/png"
    assert c.get(f"/documents/{_id(app, files['pdf'])}/pages/3.png").status_code == 404  # it has 2 pages


def test_boxes_of_a_pdf_page_mark_the_query_words(client):
    c, app, files = client
    url = f"/documents/{_id(app, files['pdf'])}/pages/1/boxes?q=hinge"
    found = _eventually(lambda: c.get(url).json(), lambda r: r["state"] != "pending")
    assert found["state"] == "ready" and found["source"] == "text" and len(found["boxes"]) == 1
    x0, y0, x1, y1 = found["boxes"][0]
    assert 0 < x0 < x1 < 1 and 0 < y0 < y1 < 0.3  # near the top of the page, where the line is
    assert c.get(url.replace("hinge", "base")).json()["boxes"] == []  # that word is on page 2


def test_preview_json_and_html_fragment_for_each_kind(client):
    c, app, files = client
    assert c.get(f"/documents/{_id(app, files['pdf'])}/preview.json").json()["mode"] == "pdf"
    fax = c.get(f"/documents/{_id(app, files['tiff'])}/preview.json").json()
    assert fax["mode"] == "images" and fax["ready"] == [1, 2]
    doc = _id(app, files["eml"])
    assert c.get(f"/documents/{doc}/preview.json").json()["mode"] == "html"
    fragment = c.get(f"/documents/{doc}/preview.html")
    assert fragment.status_code == 200 and "lid hinge" in fragment.text and "<script" not in fragment.text
    assert "sandbox" in fragment.headers["content-security-policy"]


def test_nothing_is_shown_once_the_original_is_gone_from_the_store(client, tmp_path):
    c, app, files = client
    pdf = write_pdf(tmp_path / "gone.pdf", ["soon gone from the store"])
    ingest(app, [pdf])
    doc = _id(app, pdf)
    assert c.get(f"/documents/{doc}/thumb").headers["content-type"] == "image/png"
    app.store.path_for(app.catalog.document(doc).version.sha256).unlink()
    assert c.get(f"/documents/{doc}/thumb").headers["content-type"].startswith("image/svg+xml")
    assert c.get(f"/documents/{doc}/preview.json").json()["mode"] == "none"
    assert c.get(f"/documents/{doc}/pages/1.png").status_code == 404


def test_previews_need_a_signed_in_user(client):
    from fastapi.testclient import TestClient

    c, app, files = client
    with TestClient(c.app, follow_redirects=False) as anonymous:
        assert anonymous.get(f"/documents/{_id(app, files['pdf'])}/thumb").status_code in (303, 401)


def test_image_only_pdf_gets_no_text_boxes_but_a_thumbnail(tmp_path):
    pdf = write_image_pdf(tmp_path / "scan.pdf", [["signed by both parties"]])
    assert words.pdf_words(pdf, 1) == []
    from dms.preview.images import thumbnail

    assert thumbnail(pdf, "pdf")[:8] == b"\x89PNG\r\n\x1a\n"


def test_preview_settings_are_read_from_the_environment():
    s = load_settings(environ={"DMS_THUMBNAILS": "0", "DMS_PREVIEW_MAX_PAGES": "3",
                               "DMS_PREVIEW_MAX_MEGAPIXELS": "1.5", "DMS_PREVIEW_HTML_MAX_MB": "0.5"}, home="/tmp/x")
    assert (s.thumbnails, s.preview_max_pages, s.preview_max_megapixels, s.preview_html_max_mb) == (False, 3, 1.5, 0.5)
    assert json.dumps(s.thumbnails) == "false"


def test_purging_a_document_deletes_its_previews_too(client, tmp_path):
    from dms import records

    c, app, files = client
    pdf = write_pdf(tmp_path / "to-purge.pdf", ["salary bands, to be purged"])
    ingest(app, [pdf])
    previews = _previews(app, pdf)
    assert previews.thumb.is_file()
    records.purge(app, str(_id(app, pdf)), "ada", "personal data, kept too long")
    assert not previews.path.exists()
