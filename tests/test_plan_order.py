"""The order draft: one line per shortage grouped by supplier, the CSV kept on file, an e-mail per supplier queued
in the notice outbox and delivered like change-request notices, audited; only a coordinator drafts one."""

from __future__ import annotations

import csv
from datetime import date
from email import message_from_bytes, policy

import pytest
from test_plan_check import RULES, D, ms, order, plan_of, src

from dms import audit, users
from dms.app import Dms
from dms.catalog import outbox
from dms.config import load_settings
from dms.errors import PermissionDenied
from dms.plans.check import check
from dms.plans.deliverables import OnFile
from dms.plans.model import MaterialNeed, StockRow, Supply
from dms.plans.order import COLUMNS, NO_SUPPLIER, csv_text, draft_lines, order_draft


@pytest.fixture
def result():
    """Three parts short, from two suppliers and one nobody names; one part not short.
    LH-200: 100 on hand, needs 300 (M1) -> 200 short, supplier Helix (latest order, received)
    GS-10: 0 on hand, PO-7 50 due in time, needs 80 (M2) -> 30 short, plan's supplier Acme Parts
    =EVIL: 5 on hand, needs 10 (M2) -> 5 short, nobody named
    OK-1: 100 on hand, needs 10: not short."""
    stock = (StockRow("LH-200", 100, "pcs", D("2025-01-02"), src(12, 2)),
             StockRow("GS-10", 0, "pcs", D("2025-01-02"), src(12, 3)),
             StockRow("=EVIL", 5, "pcs", D("2025-01-02"), src(12, 4)),
             StockRow("OK-1", 100, "pcs", D("2025-01-02"), src(12, 5)))
    orders = (order("PO-6", 400, "2024-12-20", status="received", supplier="Helix Components", doc=56),
              order("PO-7", 50, "2025-01-20", supplier="Gasket Co", part="GS-10", doc=57))
    needs = (MaterialNeed("M1", "LH-200", "lid hinge", 300, "pcs", D("2025-02-01"), row=2),
             MaterialNeed("M2", "GS-10", "gasket", 80, "pcs", D("2025-02-10"), "Acme Parts", row=3),
             MaterialNeed("M2", "=EVIL", "=HYPERLINK(\"x\")", 10, "pcs", D("2025-02-10"), row=4),
             MaterialNeed("M2", "OK-1", "fine", 10, "pcs", D("2025-02-10"), row=5))
    plan = plan_of([ms("M1", "2025-02-05"), ms("M2", "2025-02-15")], needs)
    return check(plan, Supply(stock=stock, orders=orders), OnFile(), D("2025-01-10"), RULES)


def test_the_draft_lines_equal_the_shortages_grouped_by_supplier(result):
    shortages = {(f.milestone, f.subject, f.quantity, f.supplier or NO_SUPPLIER) for f in result.findings
                 if f.kind == "shortage"}
    drafted = draft_lines(result)
    assert {(x.milestone, x.part, x.quantity, x.supplier) for x in drafted} == shortages
    assert [(x.supplier, x.part, x.quantity) for x in drafted] == [
        ("Acme Parts", "GS-10", 30), ("Helix Components", "LH-200", 200), (NO_SUPPLIER, "=EVIL", 5)]
    assert drafted[0].description == "gasket" and drafted[0].needed_by == D("2025-02-10")


def test_the_csv_has_the_columns_and_writes_formulas_as_text(result):
    rows = list(csv.reader(csv_text(draft_lines(result)).splitlines()))
    assert tuple(rows[0]) == COLUMNS == ("supplier", "part", "description", "quantity", "unit", "needed by",
                                         "milestone", "plan")
    assert rows[1] == ["Acme Parts", "GS-10", "gasket", "30", "pcs", "2025-02-10", "M2", "PLAN-KX200-2025"]
    assert rows[3][:3] == [NO_SUPPLIER, "'=EVIL", "'=HYPERLINK(\"x\")"]


@pytest.fixture
def app(tmp_path):
    with Dms(load_settings(environ={}, home=tmp_path / "home")) as dms:
        users.add(dms.catalog, "root", "admin", "long enough pass", by="root")
        users.add(dms.catalog, "anna", "coordinator", "long enough pass", by="root", email="anna@nordlicht.example")
        users.add(dms.catalog, "sofia", "viewer", "long enough pass", by="root")
        yield dms


def test_order_draft_keeps_the_csv_on_file_queues_a_mail_per_supplier_and_audits(app, result, tmp_path):
    from dms.documents import resolve

    out = tmp_path / "out" / "order.csv"
    draft = order_draft(app, result, out, by="anna")
    assert out.read_text() == draft.kept.read_text() == csv_text(draft.lines)
    assert len(draft.lines) == 3 and [m.supplier for m in draft.emails] == ["Acme Parts", "Helix Components",
                                                                           NO_SUPPLIER]
    kept = resolve(app, str(draft.kept))
    assert kept.id == draft.doc_id and kept.path.startswith(str(app.settings.home / "purchase-requests"))
    notices = outbox.notices(app.catalog, number="PLAN-KX200-2025")
    assert [n.name for n in notices] == [m.name for m in draft.emails]
    assert all(n.delivered_at and n.archived_at for n in notices)
    sent = message_from_bytes((app.settings.home / "outbox" / draft.emails[1].name).read_bytes(),
                              policy=policy.default)
    assert sent["To"] == "anna <anna@nordlicht.example>" and sent["X-Dms-Supplier"] == "Helix Components"
    assert sent["Subject"] == "Purchase request PLAN-KX200-2025 for Helix Components: 1 line"
    body = sent.get_content()
    assert "LH-200 (lid hinge): 200 pcs needed by 2025-02-01 for milestone M1" in body and "GS-10" not in body
    assert (app.settings.home / "notices" / draft.emails[1].name).exists()  # filed before it was sent
    resolve(app, str(app.settings.home / "notices" / draft.emails[1].name))  # and ingested
    [entry] = [e for e in audit.entries_for(app.catalog, {f"doc:{draft.doc_id}"})
               if e["action"] == "plan order draft"]
    assert entry["user"] == "anna" and entry["details"]["lines"] == 3 and entry["details"]["plan"] == "PLAN-KX200-2025"
    from dms.supply.evidence import supply_on

    assert supply_on(app, date.today()) == Supply()  # the draft on file is read as no stock and no orders


def test_only_a_coordinator_drafts_an_order_and_a_refusal_writes_nothing(app, result, tmp_path):
    out = tmp_path / "order.csv"
    with pytest.raises(PermissionDenied):
        order_draft(app, result, out, by="sofia")
    assert not out.exists() and outbox.notices(app.catalog) == []
    assert not (app.settings.home / "purchase-requests").exists()


def test_a_plan_with_no_shortage_drafts_an_empty_request_and_no_mail(app, tmp_path):
    plan = plan_of([ms("M1", "2025-02-05")], (MaterialNeed("M1", "OK-1", "", 1, "pcs", D("2025-02-01")),))
    quiet = check(plan, Supply(stock=(StockRow("OK-1", 5, "pcs", D("2025-01-01"), src(12, 2)),)), OnFile(),
                  date(2025, 1, 10), RULES)
    draft = order_draft(app, quiet, tmp_path / "order.csv", by="anna")
    assert draft.lines == () and draft.emails == () and outbox.notices(app.catalog) == []
    assert (tmp_path / "order.csv").read_text().strip() == ",".join(COLUMNS)
