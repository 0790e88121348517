"""Retrospectives: figures read from report tables, and what each change request did."""

from __future__ import annotations

import csv
from collections import defaultdict

import pytest
from conftest import REPO, copy_sample_home, run_json, write_xlsx
from openpyxl import load_workbook

from dms.app import Dms
from dms.config import load_settings
from dms.ingest.pipeline import ingest
from dms.retro import for_product, render, retro_data
from dms.retro.metrics import normalise_period
from dms.retro.report import before_after

PRODUCTS = ("AQ150", "KX200", "VL310")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    home = copy_sample_home(tmp_path_factory.mktemp("retro") / "home")  # archive/ ingested (once per run)
    with Dms(load_settings(environ={}, home=home)) as app:
        yield app


def _from_csv_files(product: str) -> dict[tuple[str, str], float]:
    """(month, metric) -> sum over retailers, read straight from the sample's CSV files."""
    columns = {"Distributed": "distributed", "Sold": "sold", "Returned": "returned", "Complaints": "complaints"}
    out: dict[tuple[str, str], float] = defaultdict(float)
    for path in sorted((REPO / "archive" / product / "reports").glob("*.csv")):
        rows = list(csv.reader(path.read_text().splitlines()))
        header = rows[1]
        for row in rows[2:]:
            for name, metric in columns.items():
                out[(row[0], metric)] += float(row[header.index(name)])
    return dict(out)


@pytest.mark.parametrize("product", PRODUCTS)
def test_monthly_figures_match_the_numbers_in_the_report_files(world, product):
    expected = _from_csv_files(product)
    figures = for_product(world, product)
    got = {(period, metric): f["value"] for period, metrics in figures.items() if "-Q" not in period
           for metric, f in metrics.items()}
    assert got == expected and len(expected) == 36 * 4


@pytest.mark.parametrize("product", PRODUCTS)
def test_quarterly_figures_match_the_annual_workbooks(world, product):
    figures = for_product(world, product)
    for path in sorted((REPO / "archive" / product / "reports").glob("*.xlsx")):
        book = load_workbook(path, read_only=True)
        year = list(book["Summary"].iter_rows(values_only=True))[1][2]
        for quarter, sold, returned in list(book["Quarters"].iter_rows(values_only=True))[1:]:
            period = f"{year}-{quarter}"
            assert figures[period]["sold"]["value"] == sold and figures[period]["returned"]["value"] == returned
        book.close()


def test_each_figure_names_the_report_it_came_from(world):
    figures = for_product(world, "KX200")
    doc = world.catalog.document(figures["2023-05"]["sold"]["doc_id"])
    assert doc.version.number == "RPT-KX200-2023-06"


@pytest.mark.parametrize("product", PRODUCTS)
def test_the_retrospective_renders_for_every_sample_product(world, product):
    html, data = render(world, product)
    assert html.count("<svg") == 3 and f"Retrospective: {product}" in html
    assert len(data["months"]) == 36
    kinds = {e["kind"] for e in data["events"]}
    assert {"release", "revision", "meeting", "change request"} <= kinds
    approved = [c for c in data["change_requests"] if c["decision"] == "approved"]
    assert approved and all(c["effective"] and c["lead_days"] > 0 and c["cost_once"] for c in approved)
    assert all(c["effect"]["before"]["months"] + c["effect"]["after"]["months"] > 0 for c in approved)
    stopped = [c for c in data["change_requests"] if c["decision"] in ("rejected", "deferred")]
    assert all(c["effective"] is None and c["effect"] is None for c in stopped)


def test_change_requests_match_the_ground_truth_on_cost_and_decision(world):
    data = retro_data(world, "VL310")
    cr = next(c for c in data["change_requests"] if c["number"] == "CR-2023-003")
    assert cr["decision"] == "approved" and cr["cost_once"] == 66000 and cr["cost_recurring"] == 0.20
    assert cr["submitted"] == "2023-02-18" and cr["effective"] == "2023-04-18" and cr["lead_days"] == 59


def test_before_and_after_compare_the_months_around_the_effective_date():
    figures = {f"2023-{m:02d}": {"sold": {"value": 100.0}, "returned": {"value": 10.0 if m < 4 else 4.0},
                                 "complaints": {"value": 3.0}} for m in range(1, 8)}
    effect = before_after(figures, "2023-04-18")
    assert effect["before"]["months"] == 3 and effect["after"]["months"] == 4
    assert effect["before"]["return_rate"] == 10.0 and effect["after"]["return_rate"] == 4.0
    assert effect["return_rate_change"] == -6.0 and before_after(figures, None) is None


@pytest.mark.parametrize(("value", "period"), [
    ("2023-04", "2023-04"), ("2023-04-17", "2023-04"), ("Q2", "2022-Q2"), ("2023-Q1", "2023-Q1"),
    ("Q3 2021", "2021-Q3"), ("April", None), ("2023-13", None), ("", None),
])
def test_periods_are_normalised(value, period):
    assert normalise_period(value, 2022) == period


@pytest.mark.both_catalogs
def test_column_names_are_configurable(tmp_path, home, database_url):
    home.mkdir()
    (home / "rules.toml").write_text('[metrics]\nperiod = ["Monat"]\nsold = ["Verkauft"]\nreturned = ["Retouren"]\n'
                                     'product = ["Produkt"]\n')
    inbox = tmp_path / "in"
    inbox.mkdir()
    write_xlsx(inbox / "absatz.xlsx", {"Daten": [["Monat", "Produkt", "Verkauft", "Retouren"],
                                                 ["2024-01", "KX200", 120, 4], ["2024-01", "KX200", 30, 1],
                                                 ["2024-02", "VL310", 50, 2], ["Summe", "", 200, 7]]})
    with Dms(load_settings(environ={"DMS_DATABASE_URL": database_url} if database_url else {}, home=home)) as app:
        ingest(app, [inbox], inline=True)
        assert for_product(app, "KX200") == {"2024-01": {"sold": {"value": 150.0, "doc_id": 1},
                                                         "returned": {"value": 5.0, "doc_id": 1}}}
        assert for_product(app, "VL310")["2024-02"]["returned"]["value"] == 2.0


def test_dms_retro_writes_the_report(world, tmp_path):
    out = tmp_path / "kx200.html"
    data = run_json(world.settings.home, "retro", "KX200", "-o", str(out))
    assert data["product"] == "KX200" and out.read_text().count("<svg") == 3


def test_figures_asked_while_another_process_writes_answer_soon_from_what_was_read(tmp_path, dms):
    """A product page during a long ingest: the tables not read yet wait for the next question, the page does not
    wait 30 s for the writer and fail."""
    import time

    from test_graph_sync import another_writer

    inbox = tmp_path / "in"
    inbox.mkdir()
    header = ["Month", "Product", "Sold", "Returned"]
    write_xlsx(inbox / "first.xlsx", {"Sales": [header, ["2024-01", "KX200", 120, 4]]})
    ingest(dms, [inbox], inline=True)
    assert for_product(dms, "KX200")["2024-01"]["sold"]["value"] == 120.0
    write_xlsx(inbox / "second.xlsx", {"Sales": [header, ["2024-02", "KX200", 80, 2]]})
    ingest(dms, [inbox], inline=True)
    with another_writer(dms):
        started = time.monotonic()
        figures = for_product(dms, "KX200")
        assert time.monotonic() - started < 15  # not the 30 s busy timeout
    assert set(figures) == {"2024-01"}  # what was read; the new table waits for the next question
    assert set(for_product(dms, "KX200")) == {"2024-01", "2024-02"}  # the writer gone: read now

