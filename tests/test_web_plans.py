"""Plans in the web UI and the JSON API (issue 16), over HTTP against `dms serve` (a real uvicorn): a plan workbook
written by dms.plans.workbook.write_workbook is uploaded, stock, order, roster and leave tables are ingested for
real into a copy of the sample archive's home, and the pages and API answer what the library answers."""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path

import httpx2 as httpx
import pytest
from conftest import make_web_home, password_of, write_xlsx

from dms.app import Dms
from dms.config import load_settings
from dms.plans.model import (
    CheckResult,
    Deliverable,
    MaterialNeed,
    Milestone,
    MilestoneCheck,
    Plan,
    StaffNeed,
)

T = date.today()
NUMBER = "PLAN-KX200-2031"  # the sample archive's plans are of other years


def day(n: int) -> date:
    return T + timedelta(days=n)


# -- the home: the sample archive, a few supply tables, a plan ---------------------------------------------------
def write_supply(folder: Path) -> Path:
    """Stock, an open order, a roster and leave, as a coordinator's exports would be (CSV and XLSX). The first
    date in each table is the document's date, so each is in force from before today."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "stock-report-web.csv").write_text(
        "Stock date,Part,Description,On hand,Unit\n"
        f"{day(-1)},WB-7001,Lid hinge (web test),500,pcs\n"
        f"{day(-1)},WB-7002,Gasket (web test),1000,pcs\n", encoding="utf-8")
    (folder / "open-orders-web.csv").write_text(
        "Order date,PO,Part,Description,Quantity,Unit,Due,Supplier,Status\n"
        f"{day(-5)},PO-2026-9001,WB-7001,Lid hinge (web test),200,pcs,{day(40)},Helix Components,open\n",
        encoding="utf-8")
    write_xlsx(folder / "roster-web.xlsx", {"Roster": [
        ["Name", "Role", "Capacity", "Email"],
        ["Wanda Berg", "Design engineer", 40, "wanda.berg@nordlicht.example"],
        ["Walter Brandt", "Industrial engineer", 40, "walter.brandt@nordlicht.example"]]})
    (folder / "leave-web.csv").write_text(
        "Recorded,Name,From,To,Absence\n"
        f"{day(-3)},Walter Brandt,{day(75)},{day(78)},leave\n", encoding="utf-8")
    (folder / "minutes-kx200-web-review.txt").write_text(
        "Minutes of the KX200 plan review (web test)\n"
        f"Date: {day(-20)}\n"
        "Present: cora, Wanda Berg, Walter Brandt\n\n"
        f"Action: confirm the gasket supplier for the web test launch (cora, {day(-2)})\n", encoding="utf-8")
    return folder


def the_plan(number: str = NUMBER, *, extra_part: str | None = None) -> Plan:
    """M1 ready; M2 short of 100 WB-7001 (500 on hand + 200 on order < 800) so blocked; M3 at risk (Walter
    Brandt absent some days, its deliverable not on file yet, and it depends on the blocked M2)."""
    ms = (Milestone("M1", "Design freeze", "Development", day(5), day(30), "Wanda Berg", row=2),
          Milestone("M2", "Pilot run", "Industrialisation", day(45), day(60), "Walter Brandt", depends_on=("M1",),
                    row=3),
          Milestone("M3", "Launch", "Industrialisation", day(70), day(90), "Walter Brandt",
                    deliverables=(Deliverable("SPEC-KX200-99", text="SPEC-KX200-99"),), depends_on=("M2",), row=4))
    materials = [MaterialNeed("M2", "WB-7001", "Lid hinge", 800, "pcs", day(50), "Helix Components", row=2),
                 MaterialNeed("M3", "WB-7002", "Gasket", 100, "pcs", day(70), "", row=3)]
    if extra_part:
        materials.append(MaterialNeed("M3", extra_part, "never heard of", 5, "pcs", day(70), "", row=4))
    staff = (StaffNeed("M1", "Wanda Berg", 16, day(5), day(30), row=2),
             StaffNeed("M3", "Walter Brandt", 24, day(70), day(90), row=3))
    return Plan(number, "A", "KX200", "KX200 lifecycle plan (web test)", day(-10), ms, tuple(materials), staff)


def workbook(path: Path, plan: Plan) -> Path:
    from dms.plans.workbook import write_workbook

    write_workbook(plan, path)
    return path


def prepare_home(home: Path) -> Path:
    """A copy of the sample archive's home (users of each role) with the supply tables ingested."""
    from dms.ingest.pipeline import ingest

    make_web_home(home)
    with Dms(load_settings(environ={}, home=home)) as app:
        ingest(app, [write_supply(home.parent / "supply")])
    return home


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(home: Path):
    """`dms serve` in its own process on a free port; returns (base URL, process, log file)."""
    port = _free_port()
    log = open(home.parent / "server.log", "w")  # noqa: SIM115 (closed by stop_server)
    proc = subprocess.Popen([sys.executable, "-m", "dms", "serve", "--port", str(port)], stdout=log,
                            stderr=subprocess.STDOUT, env={**os.environ, "DMS_HOME": str(home), "DMS_WORKERS": "2"})
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/health", timeout=2).read()
            return base, proc, log
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                log.close()
                raise AssertionError("dms serve did not start:\n" + (home.parent / "server.log").read_text()) from None
            time.sleep(0.2)


def stop_server(proc, log) -> None:
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


def sign_in(base: str, name: str) -> httpx.Client:
    client = httpx.Client(base_url=base, follow_redirects=False, timeout=120)
    response = client.post("/sign-in", data={"name": name, "password": password_of(name), "next": "/"})
    assert response.status_code == 303, response.text
    return client


def csrf(client: httpx.Client) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/account").text).group(1)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return prepare_home(tmp_path_factory.mktemp("webplans") / "home")


@pytest.fixture(scope="module")
def server(home):
    base, proc, log = start_server(home)
    yield base
    stop_server(proc, log)


@pytest.fixture(scope="module")
def users(server):
    opened = {}

    def get(name: str) -> httpx.Client:
        if name not in opened:
            opened[name] = sign_in(server, name)
        return opened[name]

    yield get
    for client in opened.values():
        client.close()


@pytest.fixture(scope="module")
def planned(users, tmp_path_factory):
    """The plan, uploaded through the API by a coordinator."""
    cora = users("cora")
    path = workbook(tmp_path_factory.mktemp("plan") / "plan-web.xlsx", the_plan())
    with open(path, "rb") as fh:
        response = cora.post("/api/v1/plans", files={"file": (path.name, fh)}, headers={"X-CSRF-Token": csrf(cora)})
    assert response.status_code == 201, response.text
    return response.json()


def library(home: Path):
    return Dms(load_settings(environ={}, home=home))


def _check(users, as_of: date | None = None, number: str = NUMBER) -> dict:
    params = {"as_of": as_of.isoformat()} if as_of else {}
    response = users("vera").get(f"/api/v1/plans/{number}/check", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _milestones(check: dict) -> dict[str, dict]:
    return {m["key"]: m for m in check["milestones"]}


# -- the API ---------------------------------------------------------------------------------------------------
def test_an_uploaded_workbook_becomes_the_plan_the_api_lists_and_shows(users, planned, home):
    from dms.plans.library import load_plan, plan_to_dict

    assert planned["number"] == NUMBER and planned["revision"] == "A" and planned["doc_id"]
    listed = users("vera").get("/api/v1/plans", params={"product": "KX200"}).json()["plans"]
    ours = [p for p in listed if p["number"] == NUMBER]
    assert len(ours) == 1 and ours[0]["readiness"] == "blocked"
    shown = users("vera").get(f"/api/v1/plans/{NUMBER}").json()
    with library(home) as archive:
        assert shown == plan_to_dict(load_plan(archive, NUMBER))
    assert [m["key"] for m in shown["milestones"]] == ["M1", "M2", "M3"]


def test_the_check_api_gives_what_the_library_check_gives_with_evidence(users, planned, home):
    from dms.plans.check import check_plan
    from dms.plans.report import to_dict

    api = _check(users)
    with library(home) as archive:
        assert api == to_dict(check_plan(archive, NUMBER))
    ms = _milestones(api)
    assert (ms["M1"]["readiness"], ms["M2"]["readiness"], ms["M3"]["readiness"]) == ("ready", "blocked", "at risk")
    [short] = [f for f in ms["M2"]["findings"] if f["kind"] == "shortage"]
    assert short["subject"] == "WB-7001" and short["quantity"] == 100 and short["supplier"] == "Helix Components"
    assert any("PO-2026-9001" in e["says"] for e in short["evidence"])  # the order line counted
    assert all(e["doc_id"] for e in short["evidence"])
    assert {f["kind"] for f in ms["M3"]["findings"]} >= {"absent", "deliverable pending", "dependency"}


def test_as_of_a_later_day_the_missing_deliverable_blocks_the_milestone(users, planned):
    later = _milestones(_check(users, day(100)))
    assert later["M3"]["readiness"] == "blocked"
    assert "deliverable missing" in {f["kind"] for f in later["M3"]["findings"]}
    page = users("vera").get(f"/plans/{NUMBER}", params={"as_of": day(100).isoformat()}).text
    assert f"as of <b>{day(100)}</b>" in page
    m3 = re.search(r'<section class="milestone" id="ms-M3".*?</section>', page, re.S).group(0)
    assert "✕ blocked" in m3 and "deliverable missing" in m3


def test_a_bad_as_of_date_is_a_400_that_says_how_to_write_it(users, planned):
    response = users("vera").get(f"/api/v1/plans/{NUMBER}/check", params={"as_of": "31.12.2026"})
    assert response.status_code == 400 and "YYYY-MM-DD" in response.json()["error"]["message"]
    page = users("vera").get(f"/plans/{NUMBER}", params={"as_of": "soon"})
    assert page.status_code == 400 and "YYYY-MM-DD" in page.text


def test_an_unknown_plan_is_a_404(users):
    assert users("vera").get("/api/v1/plans/PLAN-KX200-1999").status_code == 404
    assert users("vera").get("/plans/PLAN-KX200-1999").status_code == 404


def test_the_api_refuses_a_bad_workbook_naming_sheet_row_and_column_and_stores_nothing(users, tmp_path):
    cora = users("cora")
    path = workbook(tmp_path / "plan-bad.xlsx", the_plan("PLAN-KX200-2032", extra_part="ZZ-9999"))
    with open(path, "rb") as fh:
        response = cora.post("/api/v1/plans", files={"file": (path.name, fh)}, headers={"X-CSRF-Token": csrf(cora)})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "PlanError"
    assert {"sheet": "Materials", "row": 4, "column": "Part"} in [
        {k: p[k] for k in ("sheet", "row", "column")} for p in error["problems"]]
    assert users("vera").get("/api/v1/plans/PLAN-KX200-2032").status_code == 404


def test_a_viewer_may_not_upload_a_plan(users, tmp_path):
    vera = users("vera")
    path = workbook(tmp_path / "plan-viewer.xlsx", the_plan("PLAN-KX200-2033"))
    with open(path, "rb") as fh:
        response = vera.post("/api/v1/plans", files={"file": (path.name, fh)}, headers={"X-CSRF-Token": csrf(vera)})
    assert response.status_code == 403


def test_the_openapi_document_lists_the_plan_and_followup_endpoints(users):
    paths = users("vera").get("/api/v1/openapi.json").json()["paths"]
    for path, method in [("/api/v1/plans", "get"), ("/api/v1/plans", "post"), ("/api/v1/plans/{number}", "get"),
                         ("/api/v1/plans/{number}/check", "get"), ("/api/v1/plans/{number}/order-draft", "post"),
                         ("/api/v1/followup", "get")]:
        assert method in paths[path], (path, method)


# -- the pages -------------------------------------------------------------------------------------------------
def test_the_plan_page_draws_the_timeline_with_readiness_in_words_and_a_legend(users, planned):
    page = users("vera").get(f"/plans/{NUMBER}").text
    svg = re.search(r"<svg xmlns=\"http://www.w3.org/2000/svg\".*?</svg>", page, re.S).group(0)
    root = ET.fromstring(svg)
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert root.find("s:title", ns).text.startswith(f"Timeline of {NUMBER}")
    assert "1 ready" in root.find("s:desc", ns).text and "1 blocked" in root.find("s:desc", ns).text
    links = {a.get("href"): a for a in root.iter("{http://www.w3.org/2000/svg}a")}
    assert set(links) == {"#ms-M1", "#ms-M2", "#ms-M3"}
    words = {href: "".join(a.itertext()) for href, a in links.items()}
    assert "✓ ready" in words["#ms-M1"] and "✕ blocked" in words["#ms-M2"] and "! at risk" in words["#ms-M3"]
    fills = {a.get("href"): [p.get("fill") for p in a.iter() if p.get("fill", "").startswith("url(")]
             for a in links.values()}
    assert fills["#ms-M2"] and all(f == "url(#gantt-blocked)" for f in fills["#ms-M2"])  # a pattern, not only colour
    legend = re.search(r'<ul class="gantt-legend".*?</ul>', page, re.S).group(0)
    for word in ("ready", "at risk", "blocked", "phase", "as-of date"):
        assert word in legend
    for key in ("M1", "M2", "M3"):
        assert f'id="ms-{key}"' in page


def test_the_plan_page_lists_findings_with_links_to_their_evidence_documents(users, planned):
    page = users("vera").get(f"/plans/{NUMBER}").text
    api = _milestones(_check(users))
    m2 = re.search(r'<section class="milestone" id="ms-M2".*?</section>', page, re.S).group(0)
    [short] = [f for f in api["M2"]["findings"] if f["kind"] == "shortage"]
    assert short["message"].replace("'", "&#39;") in m2 or short["message"] in m2
    for e in short["evidence"]:
        assert f'<a href="/documents/{e["doc_id"]}">' in m2
        if e["row"]:
            assert f"row {e['row']}" in m2
    opened = users("vera").get(f"/documents/{short['evidence'][0]['doc_id']}")
    assert opened.status_code == 200


def test_the_plan_page_has_the_materials_and_staff_tables_with_their_status(users, planned):
    page = users("vera").get(f"/plans/{NUMBER}").text
    materials = re.search(r'<table class="plan-materials".*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    rows = re.findall(r"<tr>(.*?)</tr>", materials, re.S)
    assert len(rows) == 2
    assert "WB-7001" in rows[0] and "800" in rows[0] and "shortage 100 pcs" in rows[0] and "blocked" in rows[0]
    assert "WB-7002" in rows[1] and "✓ ready" in rows[1]
    staff = re.search(r'<table class="plan-staff".*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    walter = [r for r in re.findall(r"<tr>(.*?)</tr>", staff, re.S) if "Walter Brandt" in r][0]
    assert "absent" in walter and "at risk" in walter


def test_the_plans_list_and_the_product_page_show_the_plan_with_its_readiness(users, planned):
    listing = users("vera").get("/plans", params={"product": "kx200"}).text
    row = re.search(rf"<tr><td><a href=\"/plans/{NUMBER}\">.*?</tr>", listing, re.S).group(0)
    assert "✕ blocked" in row and "1 / 1 / 1" in row
    product = users("vera").get("/products/KX200").text
    section = re.search(r'<section class="product-plans".*?</section>', product, re.S).group(0)
    assert f'href="/plans/{NUMBER}"' in section and "✕ blocked" in section


def test_only_a_coordinator_sees_and_may_use_the_draft_purchase_request_button(users, planned):
    vera = users("vera")
    assert "order-draft-form" not in vera.get(f"/plans/{NUMBER}").text
    refused = vera.post(f"/plans/{NUMBER}/order-draft", data={"csrf": csrf(vera), "as_of": ""})
    assert refused.status_code == 403
    cora = users("cora")
    assert 'id="order-draft-form"' in cora.get(f"/plans/{NUMBER}").text
    made = cora.post(f"/plans/{NUMBER}/order-draft", data={"csrf": csrf(cora), "as_of": ""})
    assert made.status_code == 200, made.text
    notice = re.search(r'<div class="notice" role="status" id="order-drafted">.*?</div>', made.text, re.S).group(0)
    assert "1 line(s)" in notice and "Helix Components: 1 line(s)" in notice
    doc_id = re.search(r'href="/documents/(\d+)"', notice).group(1)
    original = cora.get(f"/api/v1/documents/{doc_id}/original").text
    assert "WB-7001" in original and "100" in original and NUMBER in original


def test_the_order_draft_api_drafts_one_line_per_shortage(users, planned):
    cora = users("cora")
    shortages = [f for m in _check(users)["milestones"] for f in m["findings"] if f["kind"] == "shortage"]
    draft = cora.post(f"/api/v1/plans/{NUMBER}/order-draft", json={}, headers={"X-CSRF-Token": csrf(cora)})
    assert draft.status_code == 200, draft.text
    lines = draft.json()["lines"]
    assert [(line["part"], float(line["quantity"])) for line in lines] == [(f["subject"], f["quantity"])
                                                                         for f in shortages]
    assert draft.json()["doc_id"]


def test_a_change_request_naming_a_milestone_is_listed_as_moving_it(users, planned):
    cora = users("cora")
    new = cora.get("/changes/new").text
    assert 'name="milestones"' in new
    made = cora.post("/changes", data={"csrf": csrf(cora), "title": "Move the pilot run (web test)",
                                       "products": "KX200", "milestones": f"{NUMBER.lower()} / m2"})
    assert made.status_code == 303, made.text
    cr = made.headers["location"].rsplit("/", 1)[1]
    assert cora.get(f"/api/v1/changes/{cr}").json()["milestones"] == [f"{NUMBER}:M2"]
    assert cr in _milestones(_check(users))["M2"]["moved_by"]
    page = users("vera").get(f"/plans/{NUMBER}").text
    m2 = re.search(r'<section class="milestone" id="ms-M2".*?</section>', page, re.S).group(0)
    assert f'<a href="/changes/{cr}">{cr}</a>' in m2 and "Move the pilot run" in m2


# -- editing ---------------------------------------------------------------------------------------------------
def _form_of(page: str) -> list[tuple[str, str]]:
    form = re.search(r'<form method="post" action="[^"]*" id="plan-form".*?</form>', page, re.S).group(0)
    fields = []
    for tag in re.findall(r"<input [^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if name and 'type="checkbox"' not in tag:
            value = re.search(r'value="([^"]*)"', tag)
            fields.append((name.group(1), value.group(1).replace("&#39;", "'").replace("&amp;", "&") if value else ""))
    return fields


def _data(fields) -> dict[str, list[str]]:
    """Form fields (name, value) in order as httpx sends repeated names: each name with its values in order."""
    out: dict[str, list[str]] = {}
    for k, v in fields:
        out.setdefault(k, []).append(v)
    return out


def _replace(fields, name: str, index: int, value: str):
    seen, out = -1, []
    for k, v in fields:
        if k == name:
            seen += 1
            if seen == index:
                v = value
        out.append((k, v))
    return out


def test_a_viewer_cannot_open_the_editing_form(users, planned):
    assert users("vera").get(f"/plans/{NUMBER}/edit").status_code == 403


def test_editing_in_the_browser_files_the_next_revision(users, planned, home):
    cora = users("cora")
    page = cora.get(f"/plans/{NUMBER}/edit").text
    fields = _form_of(page)
    assert ("mi_key", "M2") in fields and ("ma_part", "WB-7001") in fields
    fields = _replace(fields, "mi_due", 1, day(62).isoformat())  # M2 moves two days
    fields = _replace(fields, "mi_deliverables", 0, "SPEC-KX200-02 Rev A; CR-2023-003 approved")
    saved = cora.post(f"/plans/{NUMBER}/edit", data=_data(fields))
    assert saved.status_code == 303, saved.text
    shown = users("vera").get(f"/api/v1/plans/{NUMBER}").json()
    assert shown["revision"] == "B" and shown["milestones"][1]["date"] == day(62).isoformat()
    assert [(d["number"], d["revision"], d["state"]) for d in shown["milestones"][0]["deliverables"]] == [
        ("SPEC-KX200-02", "A", None), ("CR-2023-003", None, "approved")]
    assert "Rev B" in users("vera").get(f"/plans/{NUMBER}").text
    with library(home) as archive:
        from dms.plans.library import load_plan

        assert load_plan(archive, f"{NUMBER} Rev A").milestones[1].due == day(60)  # the earlier revision is kept


def test_a_refused_edit_names_sheet_row_and_column_and_keeps_what_was_typed(users, planned):
    cora = users("cora")
    before = users("vera").get(f"/api/v1/plans/{NUMBER}").json()
    fields = _form_of(cora.get(f"/plans/{NUMBER}/edit").text)
    fields = _replace(fields, "mi_due", 2, "2031-13-45")  # row 4 of Milestones
    fields = _replace(fields, "ma_unit", 0, "bananas")  # row 2 of Materials
    refused = cora.post(f"/plans/{NUMBER}/edit", data=_data(fields))
    assert refused.status_code == 400
    problems = re.search(r'<ul class="problems" id="plan-problems">.*?</ul>', refused.text, re.S).group(0)
    assert "sheet <b>Milestones</b>, row <b>4</b>, column <b>Date</b>" in problems
    assert "sheet <b>Materials</b>, row <b>2</b>, column <b>Unit</b>" in problems
    assert re.search(r'value="2031-13-45" aria-label="Milestones row 4: Date" aria-invalid="true"', refused.text)
    assert 'value="bananas"' in refused.text
    assert "no milestone has the key" not in refused.text  # M3 is there, though its date does not read
    assert users("vera").get(f"/api/v1/plans/{NUMBER}").json() == before  # nothing was stored


def test_a_dates_out_of_order_edit_is_refused_by_the_workbook_reader(users, planned):
    cora = users("cora")
    before = users("vera").get(f"/api/v1/plans/{NUMBER}").json()
    fields = _form_of(cora.get(f"/plans/{NUMBER}/edit").text)
    fields = _replace(fields, "mi_start", 0, day(40).isoformat())  # M1 starts after its date
    refused = cora.post(f"/plans/{NUMBER}/edit", data=_data(fields))
    assert refused.status_code == 400
    assert "sheet <b>Milestones</b>, row <b>2</b>" in refused.text and "out of order" in refused.text
    assert f'value="{day(40).isoformat()}"' in refused.text
    assert users("vera").get(f"/api/v1/plans/{NUMBER}").json() == before


def test_a_stale_editing_form_is_refused_with_what_was_typed_kept(users, planned):
    cora = users("cora")
    stale = _replace(_form_of(cora.get(f"/plans/{NUMBER}/edit").text), "based_on", 0, "1")
    stale = _replace(stale, "mi_name", 0, "Design freeze (stale)")
    refused = cora.post(f"/plans/{NUMBER}/edit", data=_data(stale))
    assert refused.status_code == 409 and "changed since you opened the form" in refused.text
    assert 'value="Design freeze (stale)"' in refused.text


def test_a_new_plan_written_in_the_browser_is_filed_as_rev_a(users, planned):
    cora = users("cora")
    page = cora.get("/plans/new").text
    assert 'href="/plans/template.xlsx"' in page and 'action="/plans/new/upload"' in page
    fields = [("csrf", csrf(cora)), ("based_on", ""), ("number", "PLAN-KX200-2034"), ("product", "KX200"),
              ("title", "Typed in the browser"), ("issued", "")]
    fields += [("mi_key", "M1"), ("mi_name", "Kick-off"), ("mi_phase", ""), ("mi_start", ""),
               ("mi_due", day(20).isoformat()), ("mi_owner", "Wanda Berg"), ("mi_deliverables", ""),
               ("mi_depends_on", "")]
    fields += [("ma_milestone", "M1"), ("ma_part", "WB-7002"), ("ma_description", "Gasket"), ("ma_quantity", "10"),
               ("ma_unit", "pieces"), ("ma_needed_by", ""), ("ma_supplier", "")]
    made = cora.post("/plans/new", data=_data(fields))
    assert made.status_code == 303, made.text
    assert made.headers["location"] == "/plans/PLAN-KX200-2034"
    shown = users("vera").get("/api/v1/plans/PLAN-KX200-2034").json()
    assert shown["revision"] == "A" and shown["materials"][0]["needed_by"] == day(20).isoformat()
    again = cora.post("/plans/new", data=_data(fields))
    assert again.status_code == 400 and "exists already" in again.text


def test_an_upload_through_the_page_that_is_refused_lists_every_problem_and_keeps_nothing(users, tmp_path, home):
    cora = users("cora")
    path = workbook(tmp_path / "plan-unknown-part.xlsx", the_plan("PLAN-KX200-2035", extra_part="ZZ-9999"))
    with open(path, "rb") as fh:
        refused = cora.post("/plans/new/upload", files={"file": (path.name, fh)}, data={"csrf": csrf(cora)})
    assert refused.status_code == 400
    assert "sheet <b>Materials</b>, row <b>4</b>, column <b>Part</b>" in refused.text and "ZZ-9999" in refused.text
    assert users("vera").get("/api/v1/plans/PLAN-KX200-2035").status_code == 404
    assert not list((home / "uploads").rglob("plan-unknown-part*"))
    with open(path, "rb") as fh:  # the same workbook, saying the part is new, is taken
        taken = cora.post("/plans/new/upload", files={"file": (path.name, fh)},
                          data={"csrf": csrf(cora), "new_parts": "true"})
    assert taken.status_code == 303 and taken.headers["location"] == "/plans/PLAN-KX200-2035"
    assert not list((home / "uploads").rglob("plan-unknown-part*"))  # the copy on file is the plan's own
    assert list((home / "plans" / "PLAN-KX200-2035").glob("*.xlsx"))
    check = _milestones(_check(users, number="PLAN-KX200-2035"))
    assert ("no stock data", "ZZ-9999") in {(f["kind"], f["subject"]) for f in check["M3"]["findings"]}


def test_the_template_download_is_the_documented_workbook(users):
    import openpyxl

    response = users("vera").get("/plans/template.xlsx")
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    sheets = openpyxl.load_workbook(io.BytesIO(response.content)).sheetnames
    assert {"Plan", "Milestones", "Materials", "Staff", "About"} <= set(sheets)


# -- follow-up -------------------------------------------------------------------------------------------------
def test_the_followup_page_and_api_give_what_the_library_gives(users, planned, home):
    from dms.followup.listing import followups, to_dict

    api = users("vera").get("/api/v1/followup", params={"product": "KX200"}).json()
    with library(home) as archive:
        expected = [to_dict(i) for i in followups(archive, product="KX200")]
    assert api["items"] == expected and api["count"] == len(expected)
    ours = [i for i in api["items"] if i["kind"] == "plan finding" and NUMBER in i["key"]]
    assert ours
    page = users("vera").get("/followup", params={"product": "KX200"}).text
    assert f"{len(expected)} item(s)" in page
    assert f'href="/plans/{NUMBER}#ms-M2"' in page


GASKET = "confirm the gasket supplier for the web test launch"


def test_mine_lists_the_callers_own_actions_only(users, planned):
    mine = users("cora").get("/api/v1/followup", params={"mine": "true"}).json()["items"]
    theirs = users("vera").get("/api/v1/followup", params={"mine": "true"}).json()["items"]
    assert [i for i in mine if i["kind"] == "action" and i["text"] == GASKET and i["overdue"]]
    assert not [i for i in theirs if i["text"] == GASKET]
    assert not [i for i in mine if i["kind"] == "plan finding" and NUMBER in i["key"]]  # Walter's, not cora's
    page = users("cora").get("/followup", params={"mine": "1"}).text
    assert GASKET in page and "overdue" in page and 'name="mine" value="1" checked' in page


def test_marking_an_action_done_without_a_note_is_refused_beside_its_form(users, planned):
    cora = users("cora")
    [action] = [i for i in cora.get("/api/v1/followup").json()["items"] if i["text"] == GASKET]
    refused = cora.post("/followup/done", data={"csrf": csrf(cora), "key": action["key"], "note": " ",
                                                "mine": "1"})
    assert refused.status_code == 400
    row = re.search(rf'<tr[^>]*>(?:(?!</tr>).)*{GASKET}.*?</tr>', refused.text, re.S).group(0)
    assert "say how it was taken care of" in row
    done = cora.post("/followup/done", data={"csrf": csrf(cora), "key": action["key"], "mine": "1",
                                             "note": "Helix Components confirmed (web test)"})
    assert done.status_code == 303 and done.headers["location"] == "/followup?mine=1"
    assert GASKET not in {i["text"] for i in cora.get("/api/v1/followup").json()["items"]}


# -- the timeline on its own -----------------------------------------------------------------------------------
def test_a_plan_with_more_milestones_than_drawn_says_how_many_more():
    from dms.web.plantimeline import MAX_ROWS, timeline_svg

    ms = tuple(Milestone(f"K{i}", f"Step {i}", f"P{i // 50}", None, day(i), "") for i in range(MAX_ROWS + 7))
    plan = Plan("PLAN-KX200-2040", "A", "KX200", "big", None, ms)
    result = CheckResult(plan, T, tuple(MilestoneCheck(m, "ready", ()) for m in ms))
    svg = timeline_svg(result)
    root = ET.fromstring(svg)
    assert len(list(root.iter("{http://www.w3.org/2000/svg}a"))) == MAX_ROWS
    assert "… and 7 more milestones" in svg


def test_text_in_the_timeline_is_escaped():
    from dms.web.plantimeline import timeline_svg

    ms = (Milestone("M<1>", "Ship & <script>alert(1)</script>", "A&B", None, T, "O'Brien"),)
    plan = Plan("PLAN-KX200-2041", None, "KX200", "t", None, ms)
    svg = timeline_svg(CheckResult(plan, T, (MilestoneCheck(ms[0], "ready", ()),)))
    ET.fromstring(svg)  # well-formed
    assert "<script>" not in svg and "&lt;script&gt;" in svg


# -- review 16 ---------------------------------------------------------------------------------------------------
def test_a_plan_whose_milestone_keys_hold_spaces_round_trips_through_the_editing_form():
    from dms.web import planform

    ms = (Milestone("Gate 1", "Design freeze", "", None, day(10), "", row=2),
          Milestone("Gate 2", "Pilot run", "", None, day(20), "", depends_on=("Gate 1",), row=3))
    plan = Plan(NUMBER, "A", "KX200", "gates", day(-1), ms)
    back = planform.plan_from_form(planform.form_of(plan))
    assert [m.depends_on for m in back.milestones] == [(), ("Gate 1",)]


def test_an_uploaded_workbook_is_read_and_refused_without_waiting_for_the_write_lock(tmp_path):
    import asyncio
    import threading
    from types import SimpleNamespace

    from starlette.datastructures import UploadFile

    from dms.errors import PlanError
    from dms.web.pages_plans import import_upload
    from dms.web.state import WebState

    plan = the_plan()
    late_first = (plan.milestones[0], Milestone("M2", "Pilot run", "", None, day(1), "", depends_on=("M1",)))
    data = workbook(tmp_path / "bad.xlsx", Plan(plan.number, "A", "KX200", "t", day(-1), late_first)).read_bytes()
    state = WebState(load_settings(environ={}, home=tmp_path / "home"))
    outcome: list = []

    def upload():
        try:
            asyncio.run(import_upload(state, UploadFile(io.BytesIO(data), filename="bad.xlsx"),
                                      SimpleNamespace(name="cora"), False))
        except Exception as exc:  # noqa: BLE001 - the outcome is asserted below
            outcome.append(exc)

    with state.write_lock:  # another writer (an ingest, an edit) holds the archive
        worker = threading.Thread(target=upload)
        worker.start()
        worker.join(timeout=60)
        refused_while_held = not worker.is_alive()
    worker.join()
    state.close()
    assert refused_while_held, "the upload waited for the write lock before reading the workbook"
    assert isinstance(outcome[0], PlanError) and ("Milestones", 3, "Date") in [p[:3] for p in outcome[0].problems]
