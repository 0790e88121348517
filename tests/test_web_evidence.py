"""Evidence in the web UI and API: holds, corrections, retire/purge, audit history, as-of, bundles, retrospectives."""

from __future__ import annotations

import io
import re
import zipfile

from conftest import csrf_of

from dms import bundles
from dms.app import Dms


def _post(client, path, **data):
    return client.post(path, data={**data, "csrf": csrf_of(client)})


def _doc_id(web_settings, ref: str) -> int:
    from dms.documents import resolve

    with Dms(web_settings) as app:
        return resolve(app, ref).id


def test_a_hold_placed_in_the_browser_blocks_retiring_until_a_manager_releases_it(client_for, web_settings):
    cora, mona = client_for("cora"), client_for("mona")
    doc = _doc_id(web_settings, "SPEC-AQ150-01 Rev A")
    placed = _post(cora, "/holds", name="Web matter", description="returns claim", documents=str(doc))
    assert placed.status_code == 303
    hold_url = placed.headers["location"]
    page = cora.get(f"/documents/{doc}").text
    assert "Under legal hold: Web matter" in page
    refused = _post(cora, f"/documents/{doc}/retire", reason="old")
    assert refused.status_code == 400 and "under legal hold (Web matter)" in refused.text
    assert _post(cora, f"{hold_url}/release", reason="x").status_code == 403  # a coordinator does not release
    assert _post(mona, f"{hold_url}/release", reason="claim withdrawn").status_code == 303
    assert "claim withdrawn" in mona.get(hold_url).text
    assert _post(cora, f"/documents/{doc}/retire", reason="superseded by Rev B").status_code == 303
    page = cora.get(f"/documents/{doc}").text
    assert "Retired" in page and "superseded by Rev B" in page
    assert re.search(r"<td>\w+ ?\w*</td><td>retired</td>|<td>retired</td>", page)
    assert cora.get("/api/v1/search", params={"q": "number:SPEC-AQ150-01 rev:A"}).json()["total"] == 0
    assert _post(cora, f"/documents/{doc}/restore", reason="needed").status_code == 303


def test_a_correction_in_the_browser_is_applied_indexed_and_audited(client_for, web_settings):
    cora = client_for("cora")
    doc = _doc_id(web_settings, "SPEC-VL310-03 Rev A")
    assert _post(cora, f"/documents/{doc}/edit", title="VL310 Mechanical Specification (corrected)",
                 reason="title misread").status_code == 303
    assert cora.get(f"/api/v1/documents/{doc}").json()["title"] == "VL310 Mechanical Specification (corrected)"
    assert cora.get("/api/v1/search", params={"q": 'title:"corrected"'}).json()["hits"][0]["id"] == doc
    history = cora.get(f"/api/v1/audit/{doc}").json()["entries"]
    assert history[-1]["action"] == "metadata edited" and history[-1]["details"]["reason"] == "title misread"
    assert "metadata edited" in cora.get(f"/documents/{doc}").text
    bad = _post(cora, f"/documents/{doc}/edit", date="last Tuesday", reason="x")
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.text


def test_purge_is_admin_only_in_the_browser(client_for, web_settings, tmp_path):
    cora, ada = client_for("cora"), client_for("ada")
    uploaded = cora.post("/api/v1/documents", headers={"X-CSRF-Token": csrf_of(cora)},
                         files={"files": ("private.txt", b"salary of one person: quetzal", "text/plain")}).json()
    doc = uploaded["files"][0]["id"]
    assert _post(cora, f"/documents/{doc}/purge", reason="privacy").status_code == 403
    assert _post(ada, f"/documents/{doc}/purge", reason="privacy request").status_code == 303
    page = ada.get(f"/documents/{doc}").text
    assert "Purged" in page and "quetzal" not in page
    assert ada.get(f"/documents/{doc}/original").status_code == 404
    assert ada.get("/api/v1/search", params={"q": "quetzal"}).json()["total"] == 0


def test_bundles_from_search_trace_and_matter_download_and_verify(client_for, tmp_path):
    cora, vera = client_for("cora"), client_for("vera")
    for data in ({"query": "hinge", "as_of": "2023-06-30"}, {"trace": "CR-2023-003"}):
        response = _post(cora, "/bundles", **data)
        assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
        path = tmp_path / "b.zip"
        path.write_bytes(response.content)
        assert bundles.verify(path)["ok"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as z:
        assert z.read("manifest.csv").decode().startswith("control_number,")
    assert _post(vera, "/bundles", query="hinge").status_code == 403
    api = cora.post("/api/v1/bundles", json={"trace": "CR-2023-003"}, headers={"X-CSRF-Token": csrf_of(cora)})
    assert api.status_code == 200 and api.content[:2] == b"PK"
    nothing = _post(cora, "/bundles", query="zzqxv")
    assert nothing.status_code == 404 and "selects no document" in nothing.text


def test_as_of_in_the_search_page_and_the_trace_page(client_for):
    vera = client_for("vera")
    html = vera.get("/search", params={"q": "hinge", "as_of": "2023-06-30", "limit": 100}).text
    assert "As the archive stood on <b>2023-06-30</b>" in html
    dates = re.findall(r'<div class="meta">[^·]+· (\d{4}-\d{2}-\d{2}|undated)', html)
    assert dates and all(d == "undated" or d <= "2023-06-30" for d in dates)
    later = vera.get("/api/v1/search", params={"q": "hinge", "limit": 1}).json()["total"]
    earlier = vera.get("/api/v1/search", params={"q": "hinge", "limit": 1, "as_of": "2023-06-30"}).json()["total"]
    assert earlier < later
    early = vera.get("/api/v1/trace/CR-2023-003", params={"as_of": "2023-03-31", "limit": 500}).json()
    full = vera.get("/api/v1/trace/CR-2023-003", params={"limit": 500}).json()
    assert 0 < early["total"] < full["total"]
    assert "as of 2023-03-31" in vera.get("/trace", params={"ref": "CR-2023-003", "as_of": "2023-03-31"}).text
    bad = vera.get("/api/v1/search", params={"q": "hinge", "as_of": "yesterday"})
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.json()["error"]["message"]


def test_audit_history_on_change_request_pages_and_the_audit_api(client_for):
    cora = client_for("cora")
    number = _post(cora, "/changes", title="Audited request").headers["location"].rsplit("/", 1)[1]
    _post(cora, f"/changes/{number}/submit")
    page = cora.get(f"/changes/{number}").text
    assert "History from the audit log" in page and "change request transition" in page
    assert cora.get("/api/v1/audit/verify").json()["ok"] is True


def test_holds_through_the_api(client_for, web_settings):
    cora, mona = client_for("cora"), client_for("mona")
    made = cora.post("/api/v1/holds", json={"name": "API matter", "products": ["VL310"]},
                     headers={"X-CSRF-Token": csrf_of(cora)})
    assert made.status_code == 201 and len(made.json()["documents"]) > 10
    assert cora.get("/api/v1/holds/API matter").json()["scope"]["products"] == ["VL310"]
    doc = made.json()["documents"][0]
    refused = cora.post(f"/api/v1/documents/{doc}/retire", json={"reason": "x"},
                        headers={"X-CSRF-Token": csrf_of(cora)})
    assert refused.status_code == 400 and "API matter" in refused.json()["error"]["message"]
    released = mona.post("/api/v1/holds/API matter/release", json={"reason": "done"},
                         headers={"X-CSRF-Token": csrf_of(mona)})
    assert released.status_code == 200 and released.json()["released_by"] == "mona"
    assert "API matter" in cora.get("/holds").text


def test_the_product_page_shows_the_retrospective(client_for):
    vera = client_for("vera")
    page = vera.get("/products/VL310").text
    retro = page[page.index("Retrospective"):page.index("Lifecycle plans")]  # plan badges are drawn too
    assert retro.count("<svg") == 3 and "CR-2023-003" in page
    report = vera.get("/products/VL310/retro")
    assert report.status_code == 200 and "script-src" not in report.headers["content-security-policy"]
    data = vera.get("/api/v1/retro/VL310").json()
    assert len(data["months"]) == 36 and data["change_requests"]
