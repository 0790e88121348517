"""Plans in the sample archive: plan workbooks, the supply evidence they are checked against (stock reports,
purchase orders, a roster, leave records), minutes with action items and e-mails waiting for a reply — and the
ground truth of what `dms plan check` and `dms followup` must find, written from what is planted here.

Composed with its own random.Random(seed + 16) and appended after the World's documents, so every document the
World writes stays byte-identical. The planted facts are fixed; the random generator only varies filler prose.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from dms.samplegen.model import Doc
from dms.samplegen.prose import Prose

D = date.fromisoformat
NORDLICHT = "nordlicht.example"
# name, role, hours per week (the roster's capacity column)
ROSTER = [("Anna Lindqvist", "product coordinator", 40), ("Marco Bianchi", "product manager", 40),
          ("Sofia Novak", "quality engineer", 40), ("Jonas Weber", "purchasing", 40),
          ("Priya Raman", "design engineer", 32), ("Lukas Meyer", "design engineer", 40),
          ("Tomas Berg", "test technician", 40), ("Elif Demir", "test technician", 40)]
LEAVE_CSV = [("Sofia Novak", "leave", "2025-03-24", "2025-03-28"), ("Tomas Berg", "training", "2025-02-17",
                                                                       "2025-02-21"),
             ("Lukas Meyer", "parental leave", "2025-02-03", "2025-02-28")]
LEAVE_ICS = ("Priya Raman", "2025-02-03", "2025-02-07")  # inclusive; the .ics writes DTEND the day after
# part, description, unit (as the stock reports write it), supplier
PARTS = {"LH-200": ("lid hinge", "pcs", "Helix Components"), "HE-1800": ("heating element", "pcs",
                                                                          "Kessler Thermotechnik"),
         "GS-310": ("gasket", "pcs", "Polaris Plastics"), "SC-10": ("sealing compound", "g", "Polaris Plastics"),
         "MM-310": ("motor mount", "pcs", "Helix Components"), "BR-310": ("brush roll", "pcs", "Polaris Plastics"),
         "FH-310": ("filter housing", "pcs", "Polaris Plastics")}
STOCK_1 = {"LH-200": 500, "HE-1800": 450, "GS-310": 1200, "SC-10": 2500, "MM-310": 80, "BR-310": 150, "FH-310": 300}
STOCK_2 = {"GS-310": (2100, "pcs"), "SC-10": (6, "kg"), "FH-310": (200, "pcs")}  # partial: supersedes only these
# PO, ordered, supplier, [(part, quantity, due, status)]
ORDERS = {
    "PO-2025-0001": ("2025-01-13", "Polaris Plastics", [("GS-310", 1000, "2025-01-24", "received"),
                                                        ("BR-310", 300, "2025-02-26", "open")]),
    "PO-2025-0002": ("2025-01-20", "Helix Components", [("LH-200", 300, "2025-04-30", "open")]),  # too late
    "PO-2025-0003": ("2025-02-12", "Helix Components", [("LH-200", 700, "2025-02-14", "open")]),  # resolves M2
    "PO-2025-0004": ("2025-02-05", "Helix Components", [("MM-310", 60, "2025-02-25", "open")]),  # too late for V1
    "PO-2025-0005": ("2025-01-22", "Kessler Thermotechnik", [("HE-1800", 200, "2025-03-07", "open")]),
}
EXPORTED = ("PO-2025-0001", "PO-2025-0002", "PO-2025-0005")  # the open-orders export of 2025-01-27


def _milestones(rev_b: bool) -> list[list]:
    m3 = ("2025-03-24", "2025-04-25") if rev_b else ("2025-03-17", "2025-04-11")  # Rev B moves the pilot run
    return [["Key", "Milestone", "Phase", "Start", "Date", "Owner", "Deliverables", "Depends on"],
            ["M1", "Design freeze", "Development", D("2025-01-13"), D("2025-02-14"), "Priya Raman",
             "SPEC-KX200-02 Rev D; CR-2023-002 approved", ""],
            ["M2", "Prototype build", "Development", D("2025-02-17"), D("2025-03-14"), "Anna Lindqvist",
             "RPT-KX200-2025-02", "M1"],
            ["M3", "Pilot run", "Industrialisation", D(m3[0]), D(m3[1]), "Marco Bianchi", "SPEC-KX200-04 Rev A",
             "M2"],
            ["M4", "Market launch", "Launch", D("2025-04-28"), D("2025-05-23"), "Marco Bianchi", "CTR-2025-001",
             "M3"]]


def _kx200_plan(rev: str, issued: str) -> Doc:
    materials = [["Milestone", "Part", "Description", "Quantity", "Unit", "Needed by", "Supplier"],
                 ["M2", "LH-200", "lid hinge", 800, "pcs", None, None],
                 ["M2", "HE-1800", "heating element", 300, "pcs", None, "Kessler Thermotechnik"],
                 ["M3", "LH-200", "lid hinge", 1200, "pcs", None, None],
                 ["M3", "GS-310", "gasket", 2000, "pcs", None, "Polaris Plastics"],
                 ["M3", "SC-10", "sealing compound", 5, "kg", None, None]]
    if rev == "B":
        materials.append(["M4", "PK-200", "gift box", 2000, "pcs", None, None])  # a part no stock data names
    staff = [["Milestone", "Person or role", "Days", "From", "To"], ["M1", "Priya Raman", 10, None, None],
             ["M2", "test technician", 15, None, None], ["M3", "Sofia Novak", 8, None, None],
             ["M4", "Jonas Weber", 25, None, None]]
    return _plan_doc("KX200", "PLAN-KX200-2025", rev, issued, "Kettle KX200 2025 refresh plan", "Marco Bianchi",
                     _milestones(rev == "B"), materials, staff)


def _vl310_plan() -> Doc:
    milestones = [["Key", "Milestone", "Phase", "Start", "Date", "Owner", "Deliverables", "Depends on"],
                  ["V1", "Motor qualification", "Development", D("2025-02-03"), D("2025-02-28"), "Lukas Meyer",
                   "SPEC-VL310-01", ""],
                  ["V2", "Field test", "Validation", D("2025-03-03"), D("2025-03-28"), "Sofia Novak", "", "V1"],
                  ["V3", "Series release", "Launch", None, D("2025-04-30"), "Marco Bianchi", "SPEC-VL310-02 Rev H",
                   "V2"]]
    materials = [["Milestone", "Part", "Description", "Quantity", "Unit", "Needed by", "Supplier"],
                 ["V1", "MM-310", "motor mount", 120, "pcs", None, None],
                 ["V2", "BR-310", "brush roll", 400, "pcs", None, None],
                 ["V3", "FH-310", "filter housing", 250, "pcs", None, None]]
    staff = [["Milestone", "Person or role", "Days", "From", "To"], ["V1", "Lukas Meyer", 10, None, None],
             ["V2", "field service", 12, None, None]]
    return _plan_doc("VL310", "PLAN-VL310-2025", "A", "2025-01-15", "Vacuum cleaner VL310 motor upgrade plan",
                     "Marco Bianchi", milestones, materials, staff)


def _plan_doc(code, number, rev, issued, title, owner, milestones, materials, staff) -> Doc:
    head = [["Document No", number], ["Revision", rev], ["Product", code], ["Title", title], ["Date", D(issued)],
            ["Owner", owner]]
    return Doc(f"{code}/plans/{number}_Rev{rev}.xlsx", "xlsx", "plan", title, D(issued), [code], number, rev,
               sheets=[("Plan", head), ("Milestones", milestones), ("Materials", materials), ("Staff", staff)])


def _stock_docs() -> list[Doc]:
    first = [["Stock report", "Warehouse Hamburg"], ["Date", D("2025-01-31")],
             ["Part", "Description", "On hand", "Unit", "Supplier"]]
    first += [[p, PARTS[p][0], q, PARTS[p][1], PARTS[p][2]] for p, q in STOCK_1.items()]
    second = [["Stock count", "Warehouse Hamburg", "Date", "2025-02-21"],
              ["Part", "Description", "Qty on hand", "UoM", "Count date", "Vendor"]]
    second += [[p, PARTS[p][0], q, unit, "2025-02-21", PARTS[p][2]] for p, (q, unit) in STOCK_2.items()]
    return [Doc("supply/stock-report-2025-01-31.xlsx", "xlsx", "report", "Stock report 2025-01-31 Warehouse Hamburg",
                D("2025-01-31"), [], sheets=[("Stock", first)]),
            Doc("supply/stock-report-2025-02-21.csv", "csv", "report", "Stock count 2025-02-21", D("2025-02-21"), [],
                sheets=[("Stock", second)])]


def _order_lines(po: str) -> list[list]:
    ordered, supplier, lines = ORDERS[po]
    return [[po, part, PARTS[part][0], qty, "pcs", due, supplier, status] for part, qty, due, status in lines]


def _order_docs() -> list[Doc]:
    header = ["PO", "Part", "Description", "Quantity", "Unit", "Due date", "Supplier", "Status"]
    export = [["Open purchase order lines"], ["Date", D("2025-01-27")], header]
    export += [line for po in EXPORTED for line in _order_lines(po)]
    docs = [Doc("supply/purchase-orders/open-orders-2025-01-27.xlsx", "xlsx", "other",
                "Open purchase order lines 2025-01-27", D("2025-01-27"), [], sheets=[("Open orders", export)])]
    for po, fmt in (("PO-2025-0001", "xlsx"), ("PO-2025-0003", "xlsx"), ("PO-2025-0004", "csv")):
        ordered, supplier, _ = ORDERS[po]
        if fmt == "xlsx":
            rows = [["Document No", po], ["Date", D(ordered)], ["Supplier", supplier], [], header]
        else:
            rows = [["Purchase order", po, "Date", ordered, "Supplier", supplier], header]
        docs.append(Doc(f"supply/purchase-orders/{po}.{fmt}", fmt, "other", f"Purchase order {po} {supplier}",
                        D(ordered), [], po, sheets=[("Order", rows + _order_lines(po))]))
    return docs


def _staff_docs() -> list[Doc]:
    roster = [["Staff roster 2025"], ["Date", D("2025-01-06")], ["Name", "Role", "Hours per week", "E-mail"]]
    roster += [[n, r, h, email(n)] for n, r, h in ROSTER]
    leave = [["Leave and absence records", "Date", "2025-01-08"], ["Name", "Absence", "From", "To"]]
    leave += [list(row) for row in LEAVE_CSV]
    who, start, end = LEAVE_ICS
    ics = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Nordlicht//Leave calendar//EN", "X-WR-CALNAME:Leave " + who,
           "BEGIN:VEVENT", f"UID:leave-{who.split()[0].lower()}-{start}@{NORDLICHT}", "DTSTAMP:20250109T090000Z",
           f"DTSTART;VALUE=DATE:{start.replace('-', '')}",
           f"DTEND;VALUE=DATE:{(D(end) + timedelta(days=1)).isoformat().replace('-', '')}",
           f"SUMMARY:{who} – leave", f"ORGANIZER;CN={who}:mailto:{email(who)}",
           f"ATTENDEE;CN={who}:mailto:{email(who)}", "DESCRIPTION:Annual leave. Date: 2025-01-09",
           "END:VEVENT", "END:VCALENDAR"]
    return [Doc("staff/roster-2025.xlsx", "xlsx", "other", "Staff roster 2025", D("2025-01-06"), [],
                sheets=[("Roster", roster)]),
            Doc("staff/leave-2025.csv", "csv", "other", "Leave and absence records", D("2025-01-08"), [],
                sheets=[("Leave", leave)]),
            Doc("staff/leave-priya-raman.ics", "ics", "other", "Leave Priya Raman", D("2025-01-09"), [],
                blocks=[("ics", "\r\n".join(ics) + "\r\n")])]


def email(name: str) -> str:
    return f"{name.split()[0].lower()}.{name.split()[-1].lower()}@{NORDLICHT}"


# minutes: (path, date, product, [(kind, what, owner, due)]); kind "action" or "done"
MINUTES = [
    ("KX200/minutes/MTG-2025-01-20.md", "2025-01-20", "KX200", [
        ("action", "Order the missing lid hinges LH-200 for the prototype build", "Jonas Weber", "2025-02-07"),
        ("action", "Send the gasket GS-310 test samples to the lab", "Sofia Novak", "2025-02-14"),
        ("action", "Book the climate chamber for the pilot run", "Anna Lindqvist", "2025-03-10")]),
    ("VL310/minutes/MTG-2025-01-27.docx", "2025-01-27", "VL310", [
        ("action", "Find a replacement for Lukas Meyer during the motor qualification", "Marco Bianchi",
         "2025-02-05"),
        ("action", "Ask Helix Components for an earlier motor mount delivery", "Jonas Weber", "2025-02-12")]),
    ("KX200/minutes/MTG-2025-02-17.txt", "2025-02-17", "KX200", [
        ("done", "Order the missing lid hinges LH-200 for the prototype build", "", ""),
        ("action", "Confirm the pilot run dates with production", "Marco Bianchi", "2025-02-28")]),
    ("VL310/minutes/MTG-2025-03-03.md", "2025-03-03", "VL310", [
        ("done", "ask Helix Components for an earlier motor mount delivery, answer received on 2025-02-20", "",
         "")]),
    ("KX200/minutes/MTG-2025-03-17.md", "2025-03-17", "KX200", [
        ("done", "Book the climate chamber for the pilot run", "", "")]),
]
# e-mails: (path, date, product, from, to, subject, paragraphs, message id, in-reply-to)
HELIX = "Nina Brandt <nina.brandt@helix-components.example>"
KESSLER = "Lena Hoffmann <lena.hoffmann@kessler-thermo.example>"
MAILS = [
    ("KX200/correspondence/2025-01-15_Novak_gasket-samples.eml", "2025-01-15", "KX200", "Sofia Novak", "Priya Raman",
     "Gasket GS-310 test samples for the KX200 refresh",
     ["Hi Priya, do you already have the drawing revision for the gasket GS-310 test samples?"],
     "<p1.kx200@nordlicht.example>", None),
    ("KX200/correspondence/2025-01-17_Raman_gasket-samples.eml", "2025-01-17", "KX200", "Priya Raman", "Sofia Novak",
     "Re: Gasket GS-310 test samples for the KX200 refresh",
     ["Hi Sofia, yes: the samples follow drawing revision C. The lab has it."], "<p2.kx200@nordlicht.example>", None),
    ("KX200/correspondence/2025-01-22_Lindqvist_lid-hinges.eml", "2025-01-22", "KX200", "Anna Lindqvist", HELIX,
     "KX200 lid hinges LH-200: delivery date for PO-2025-0002",
     ["Dear Ms Brandt, could you confirm an earlier delivery date for the lid hinges LH-200 of order "
      "PO-2025-0002? We need them for the KX200 pilot run in March."], "<p3.kx200@nordlicht.example>", None),
    ("KX200/correspondence/2025-01-24_Helix_quantity.eml", "2025-01-24", "KX200", HELIX, "Jonas Weber",
     "KX200 lid hinges: quantity for the prototype build",
     ["Dear Mr Weber, please confirm the quantity of lid hinges LH-200 you need for the KX200 prototype build."],
     "<p4.kx200@helix-components.example>", None),
    ("KX200/correspondence/2025-01-28_Weber_quantity.eml", "2025-01-28", "KX200", "Jonas Weber", HELIX,
     "Re: KX200 lid hinges: quantity for the prototype build",
     ["Dear Ms Brandt, we need 700 pieces by 14 February; our order follows.",
      "> Dear Mr Weber, please confirm the quantity of lid hinges LH-200 you need for the KX200 prototype build?"],
     "<p5.kx200@nordlicht.example>", "<p4.kx200@helix-components.example>"),
    ("KX200/correspondence/2025-02-24_Kessler_drawing.eml", "2025-02-24", "KX200", KESSLER, "Jonas Weber",
     "Heating element HE-1800 for the KX200 refresh",
     ["Dear Mr Weber, can you send us the updated drawing of the heating element HE-1800 for the KX200 refresh?"],
     "<p6.kx200@kessler-thermo.example>", None),
    ("VL310/correspondence/2025-03-12_Bianchi_field-test.eml", "2025-03-12", "VL310", "Marco Bianchi",
     "Sofia Novak", "VL310 field test sites",
     ["Hi Sofia, please review the list of field test sites for the VL310 before Friday."],
     "<p7.vl310@nordlicht.example>", None),
]


def _address(who: str) -> str:
    return who if "<" in who else f"{who} <{email(who)}>"


def _minutes_docs(prose: Prose) -> list[Doc]:
    docs = []
    for path, day, code, items in MINUTES:
        number = path.rsplit("/", 1)[1].rsplit(".", 1)[0]
        blocks = [("p", "Present: Anna Lindqvist, Marco Bianchi, Sofia Novak, Jonas Weber"),
                  ("h", "1 Plan status"), ("p", f"The team reviewed the {code} plan and the parts on order."),
                  *prose.words(120, "lid hinge" if code == "KX200" else "motor mount"), ("h", "2 Actions")]
        for kind, what, owner, due in items:
            blocks.append(("p", f"Action: {what} ({owner}, {due})" if kind == "action" else f"Done: {what}."))
        fmt = path.rsplit(".", 1)[1]
        docs.append(Doc(path, fmt, "minutes", f"Minutes {number} plan meeting {code}", D(day), [code], number, None,
                        blocks))
    return docs


def _mail_docs(prose: Prose) -> list[Doc]:
    docs = []
    for path, day, code, sender, to, subject, paragraphs, mid, reply_to in MAILS:
        sign = sender.split("<")[0].strip()
        body = [paragraphs[0], prose.paragraph(), f"Regards, {sign}", *paragraphs[1:]]
        doc = Doc(path, "eml", "correspondence", subject, D(day), [code], None, None, [("p", p) for p in body],
                  mail={"from": _address(sender), "to": _address(to), "subject": subject, "message_id": mid,
                        "in_reply_to": reply_to})
        if reply_to:
            doc.relations["reply_to"] = reply_to
        docs.append(doc)
    return docs


def plan_documents(seed: int, scale: int = 1) -> list[Doc]:
    """The planning documents, in the order they are written after the World's."""
    prose = Prose(random.Random(seed + 16))
    kx_a, kx_b = _kx200_plan("A", "2025-01-10"), _kx200_plan("B", "2025-02-20")
    kx_b.relations["supersedes"] = kx_a.rel
    return [kx_a, kx_b, _vl310_plan(), *_stock_docs(), *_order_docs(), *_staff_docs(), *_minutes_docs(prose),
            *_mail_docs(prose)]


def write_ics(doc: Doc, path) -> None:
    path.write_bytes(doc.blocks[0][1].encode("utf-8"))


WRITERS = {"ics": write_ics}
