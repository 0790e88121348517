"""The fictional manufacturer and its product paperwork, composed as logical documents."""

from __future__ import annotations

import random
from datetime import date, timedelta

from dms.samplegen.model import Doc
from dms.samplegen.prose import Prose

BASE_PRODUCTS = [("KX200", "Kettle", "1.7 l cordless kettle"), ("VL310", "Vacuum cleaner", "bagless upright vacuum"),
                 ("AQ150", "Air purifier", "HEPA air purifier for 40 m2 rooms")]
PREFIXES = ["TR", "BM", "HS", "PX", "ZK", "LM", "RC", "DW", "FG", "NT", "SB", "WQ"]
KINDS = ["Toaster", "Blender", "Hair dryer", "Coffee grinder", "Steam iron", "Fan heater", "Juicer", "Mixer"]
RETAILERS = ["Brightwater Retail", "Casa Nova Stores", "Alder & Finch Distribution"]
SUPPLIERS = [("Helix Components", "helix-components.example"), ("Kessler Thermotechnik", "kessler-thermo.example"),
             ("Polaris Plastics", "polaris-plastics.example"), ("Meridian Electronics", "meridian-el.example")]
PEOPLE = [("Anna Lindqvist", "product coordinator"), ("Marco Bianchi", "product manager"),
          ("Sofia Novak", "quality engineer"), ("Jonas Weber", "purchasing"), ("Priya Raman", "design engineer")]
PARTS = ["lid hinge", "heating element", "thermostat", "power cord", "base plate", "filter housing", "motor mount",
         "switch assembly", "water gauge", "dust container", "fan blade", "gasket", "control board", "handle"]
PROBLEMS = ["cracks after repeated use", "overheats under continuous load", "fails the drop test",
            "shows discolouration", "is hard to assemble on the line", "draws more current than rated",
            "produces a rattling noise", "leaks at the seam"]
REV = "ABCDEFG"
MAIL_DOMAIN = "nordlicht.example"


def products_for(scale: int) -> list[tuple[str, str, str]]:
    out = list(BASE_PRODUCTS)
    n = 0
    while len(out) < 3 * scale:
        prefix = PREFIXES[n % len(PREFIXES)]
        number = 100 + (n // len(PREFIXES)) * 10 + 5
        kind = KINDS[n % len(KINDS)]
        out.append((f"{prefix}{number}", kind, f"{kind.lower()} model {prefix}{number}"))
        n += 1
    return out


def _email(name: str, domain: str = MAIL_DOMAIN) -> str:
    return f"{name.split()[0].lower()}.{name.split()[-1].lower()}@{domain}"


class World:
    """Composes every document of every product; ids are allocated in date order per year."""

    def __init__(self, seed: int, scale: int):
        self.rnd = random.Random(seed)
        self.products = products_for(scale)
        self.docs: list[Doc] = []
        self.cr_seq: dict[int, int] = {}
        self.ctr_seq: dict[int, int] = {}
        self.cmp_seq: dict[int, int] = {}
        self.po_seq: dict[int, int] = {}
        self.msg_seq = 0
        self.prose = Prose(self.rnd)

    def next_id(self, table: dict[int, int], year: int) -> int:
        table[year] = table.get(year, 0) + 1
        return table[year]

    def filler(self, words: int, part: str) -> list[tuple]:
        return self.prose.words(words, part)

    def day(self, year: int, lo: int = 1, hi: int = 12) -> date:
        return date(year, self.rnd.randint(lo, hi), self.rnd.randint(1, 28))

    def build(self) -> list[Doc]:
        for code, kind, desc in self.products:
            self.product(code, kind, desc)
        return self.docs

    # -- one product's life ---------------------------------------------------------------------
    def product(self, code: str, kind: str, desc: str) -> None:
        rnd = self.rnd
        launch = date(2022, rnd.randint(1, 3), rnd.randint(1, 28))
        folder = f"{code}"
        specs = {}
        for n, (area, fmt) in enumerate([("General", "pdf"), ("Electrical", "docx"), ("Mechanical", "pdf")], 1):
            number = f"SPEC-{code}-{n:02d}"
            specs[number] = [self.spec(folder, code, kind, number, area, "A", launch, fmt, None)]
        retailer = RETAILERS[len(self.docs) % len(RETAILERS)]
        self.contract(folder, code, kind, retailer, launch - timedelta(days=20))
        self.plan(folder, code, kind, desc, launch)
        supplier = SUPPLIERS[len(self.docs) % len(SUPPLIERS)]
        # change requests over three years, each decided in a meeting; approved ones amend a spec
        for year in (2022, 2023, 2024):
            for _ in range(2 if year == 2022 else 1 + (year == 2023)):
                self.change(folder, code, kind, year, specs, supplier)
        for year in (2022, 2023, 2024):
            self.reports(folder, code, kind, year)
        for _ in range(8):
            self.complaint(folder, code, kind, retailer)
        for year in (2022, 2023, 2024):
            for month in (4, 10):
                self.board_minutes(folder, code, kind, date(year, month, 3 + len(self.docs) % 20))
        self.supplier_thread(folder, code, kind, supplier, specs)
        self.review_deck(folder, code, kind, 2023)
        self.notice(folder, code, kind, desc, launch)

    def spec(self, folder, code, kind, number, area, rev, day, fmt, amends) -> Doc:
        part = self.rnd.choice(PARTS)
        pages = self.rnd.randint(2, 10)
        blocks: list[tuple] = [("h", "1 Scope"),
                               ("p", f"This specification defines the {area.lower()} requirements "
                                     f"of the {kind} {code}.")]
        if amends:
            blocks.append(("p", f"Revision {rev} implements change request {amends}."))
        for page in range(pages):
            blocks.append(("h", f"{page + 2} Requirements, part {page + 1}"))
            blocks += self.filler(380, part)
            if page + 1 < pages:
                blocks.append(("page",))
        blocks.append(("table", [["Parameter", "Value", "Unit"], ["Rated voltage", "230", "V"],
                                 ["Rated power", str(self.rnd.choice([1200, 1800, 2200])), "W"],
                                 ["Weight", f"{self.rnd.uniform(0.8, 6):.1f}", "kg"]]))
        doc = Doc(f"{folder}/specifications/{number}_Rev{rev}.{fmt}", fmt, "specification",
                  f"{kind} {code} {area} Specification", day, [code], number, rev, blocks)
        if amends:
            doc.relations["amends"] = amends
        self.docs.append(doc)
        return doc

    def contract(self, folder, code, kind, retailer, day) -> None:
        number = f"CTR-{day.year}-{self.next_id(self.ctr_seq, day.year):03d}"
        blocks = [("h", "1 Parties"),
                  ("p", f"This Distribution Agreement is made between Nordlicht Haushaltsgeräte GmbH and {retailer}."),
                  ("h", "2 Products"), ("p", f"The agreement covers the {kind} {code} and its accessories."),
                  ("h", "3 Terms"), ("p", "The term is 36 months. Prices are fixed for the first 12 months."),
                  ("p", "Returns of defective units are credited within 30 days of receipt."),
                  ("page",), ("h", "4 Liability"), *self.filler(380 * self.rnd.randint(2, 6), "packaging"),
                  ("h", "5 Signatures"), ("p", "Signed for both parties on the date above.")]
        self.docs.append(Doc(f"{folder}/contracts/{number}_{retailer.split()[0]}.pdf", "pdf", "contract",
                             f"Distribution Agreement {code} - {retailer}", day, [code], number, None, blocks))

    def plan(self, folder, code, kind, desc, launch) -> None:
        number = f"PLAN-{code}-{launch.year}"
        slides = [("slide", f"{kind} {code} lifecycle plan", [desc, f"Launch {launch.isoformat()}"], None),
                  ("slide", "Phases", ["Introduction 2022", "Growth 2023", "Maturity 2024", "Phase-out 2026"],
                   f"Plan owner: {PEOPLE[0][0]}. Document No.: {number}"),
                  ("slide", "Targets", ["Return rate below 2 %", "Distribution through three retailers"], None)]
        self.docs.append(Doc(f"{folder}/plans/{number}.pptx", "pptx", "plan", f"{kind} {code} lifecycle plan",
                             launch - timedelta(days=60), [code], number, None, slides))

    def change(self, folder, code, kind, year, specs, supplier) -> None:
        rnd = self.rnd
        submitted = self.day(year, 1, 9)
        cr = f"CR-{year}-{self.next_id(self.cr_seq, year):03d}"
        spec_no = rnd.choice(sorted(specs))
        current = specs[spec_no][-1]
        part, problem = rnd.choice(PARTS), rnd.choice(PROBLEMS)
        applicant = rnd.choice(PEOPLE[2:])[0]
        approved = rnd.random() < 0.75
        meeting_day = submitted + timedelta(days=rnd.randint(10, 40))
        mtg = f"MTG-{meeting_day.isoformat()}"
        fmt = rnd.choice(["docx", "md", "docx"])
        blocks = [("p", f"Applicant: {applicant}"),
                  ("p", f"Affected document: {current.number} Rev {current.revision}"),
                  ("h", "Description"), ("p", f"The {part} of the {kind} {code} {problem}."),
                  ("h", "Assessment"),
                  ("table", [["Aspect", "Assessment"], ["Relevance", rnd.choice(["high", "medium"])],
                             ["Risk", f"likelihood {rnd.randint(1, 5)}, severity {rnd.randint(1, 5)}"],
                             ["Benefit", "fewer returns and complaints"],
                             ["One-off cost", f"EUR {rnd.randint(2, 90) * 1000}"],
                             ["Recurring cost", f"EUR {rnd.randint(1, 40) / 100:.2f} per unit"]]),
                  ("p", f"Supplier involved: {supplier[0]}."),
                  ("h", "Analysis"), *self.filler(self.rnd.randint(250, 900), part),
                  ("p", f"To be presented to the product manager in meeting {mtg}.")]
        self.docs.append(Doc(f"{folder}/change-requests/{cr}.{fmt}", fmt, "change request",
                             f"Change Request {cr}: {part} of {code}", submitted, [code], cr, None, blocks,
                             relations={"decided_in": mtg}))
        decision = "approved" if approved else rnd.choice(["rejected", "deferred"])
        mfmt = rnd.choice(["md", "txt", "html", "docx"])
        minutes = [("p", f"Present: {PEOPLE[0][0]}, {PEOPLE[1][0]}, {applicant}"),
                   ("h", "1 Change requests"),
                   ("p", f"{cr} ({part} of {code}) was presented by {applicant}. Decision: {decision}."),
                   ("p", f"Rationale: {'benefit outweighs cost' if approved else 'cost not justified at present'}."),
                   ("h", "2 Actions")]
        if approved:
            minutes.append(("p", f"{PEOPLE[0][0]} to amend {current.number} and inform the applicant."))
        minutes += self.filler(self.rnd.randint(200, 800), part)
        self.docs.append(Doc(f"{folder}/minutes/{mtg}.{mfmt}", mfmt, "minutes", f"Minutes {mtg} product board {code}",
                             meeting_day, [code], mtg, None, minutes))
        if approved:
            rev = REV[REV.index(current.revision) + 1]
            area = current.title.split()[-2]
            new = self.spec(folder, code, kind, current.number, area, rev, meeting_day + timedelta(days=21),
                            current.fmt, cr)
            new.relations["supersedes"] = current.rel
            specs[current.number].append(new)

    def reports(self, folder, code, kind, year) -> None:
        rnd = self.rnd
        base = rnd.randint(300, 2000)
        for quarter in range(4):
            month = quarter * 3 + 3
            number = f"RPT-{code}-{year}-{month:02d}"
            rows = [["Report", number, "Date", date(year, month, 28).isoformat()],
                    ["Month", "Retailer", "Distributed", "Sold", "Returned", "Complaints"]]
            for m in range(month - 2, month + 1):
                for retailer in RETAILERS:
                    sold = base + rnd.randint(-200, 400)
                    rows.append([f"{year}-{m:02d}", retailer, sold + rnd.randint(0, 150), sold,
                                 rnd.randint(2, 40), rnd.randint(0, 9)])
            self.docs.append(Doc(f"{folder}/reports/{number}.csv", "csv", "report",
                                 f"Distribution, sales and returns report {code} {year} Q{quarter + 1}",
                                 date(year, month, 28), [code], number, None, sheets=[("Report", rows)]))
        sheets = [("Summary", [["Report", "Product", "Year", "Date"],
                               [f"RPT-{code}-{year}-12", code, year, f"{year}-12-31"]]),
                  ("Quarters", [["Quarter", "Sold", "Returned"]] +
                   [[f"Q{q}", base * 3 + rnd.randint(0, 900), rnd.randint(20, 120)] for q in range(1, 5)]),
                  ("Comments", [[self.prose.sentence()] for _ in range(rnd.randint(4, 10))])]
        self.docs.append(Doc(f"{folder}/reports/annual-sales-{code}-{year}.xlsx", "xlsx", "report",
                             f"Annual sales and returns {code} {year}", date(year, 12, 31), [code], None, None,
                             sheets=sheets))

    def complaint(self, folder, code, kind, retailer) -> None:
        rnd = self.rnd
        day = self.day(rnd.choice([2022, 2023, 2024]))
        number = f"CMP-{day.year}-{self.next_id(self.cmp_seq, day.year):04d}"
        part, problem = rnd.choice(PARTS), rnd.choice(PROBLEMS)
        blocks = [("p", f"Customer complaint {number} received via {retailer}."),
                  ("p", f"The customer reports that the {part} of the {kind} {code} {problem}."),
                  ("p", f"Purchase date {day - timedelta(days=rnd.randint(20, 300))}. Serial number "
                        f"{code}-{rnd.randint(100000, 999999)}."),
                  *self.filler(self.rnd.randint(60, 200), part),
                  ("p", "Requested: replacement or refund.")]
        if rnd.random() < 0.5:
            self.msg_seq += 1
            contact = f"service@{retailer.split()[0].lower()}.example"
            self.docs.append(Doc(f"{folder}/complaints/{number}.eml", "eml", "complaint",
                                 f"Customer complaint {number}: {kind} {code}", day, [code], number, None, blocks,
                                 mail={"from": f"{retailer} Service <{contact}>",
                                       "to": f"{PEOPLE[0][0]} <{_email(PEOPLE[0][0])}>",
                                       "subject": f"Customer complaint {number}: {kind} {code} {part}",
                                       "message_id": f"<cmp{self.msg_seq}.{number.lower()}@{contact.split('@')[1]}>"}))
        else:
            self.docs.append(Doc(f"{folder}/complaints/{number}.txt", "txt", "complaint",
                                 f"Customer complaint {number}", day, [code], number, None, blocks))

    def supplier_thread(self, folder, code, kind, supplier, specs) -> None:
        rnd = self.rnd
        name, domain = supplier
        day = self.day(2023, 2, 6)
        po = f"PO-{day.year}-{self.next_id(self.po_seq, day.year):04d}"
        spec = specs[sorted(specs)[0]][-1]
        contact = f"Lena Hoffmann <lena.hoffmann@{domain}>"
        me = f"{PEOPLE[3][0]} <{_email(PEOPLE[3][0])}>"
        previous = None
        subject = f"Quotation for {kind} {code} parts, order {po}"
        messages = [
            (me, contact, [f"Dear Ms Hoffmann, please quote for the parts of the {kind} {code} "
                           f"according to {spec.number} Rev {spec.revision}.", f"Our order reference is {po}."], []),
            (contact, me, [f"Please find our quotation for order {po} attached.",
                           f"Prices are valid for 90 days. Regards, {name}."], ["quote"]),
            (me, contact, [f"Thank you. We accept the quotation for {po}; delivery as agreed.",
                           f"Contact {PEOPLE[0][0]} for the specification {spec.number}."], []),
        ]
        for n, (sender, recipient, paragraphs, attach) in enumerate(messages):
            paragraphs = paragraphs[:1] + [self.prose.paragraph()] + paragraphs[1:]
            self.msg_seq += 1
            mid = f"<m{self.msg_seq}.{code.lower()}@{domain if sender == contact else MAIL_DOMAIN}>"
            when = day + timedelta(days=3 * n)
            doc = Doc(f"{folder}/correspondence/{when.isoformat()}_{name.split()[0]}_{n + 1}.eml", "eml",
                      "correspondence", ("Re: " if n else "") + subject, when, [code], None, None,
                      [("p", p) for p in paragraphs],
                      mail={"from": sender, "to": recipient, "subject": ("Re: " if n else "") + subject,
                            "message_id": mid, "in_reply_to": previous})
            if previous:
                doc.relations["reply_to"] = previous
            if attach:
                quote = Doc(f"quotation-{po}.pdf", "pdf", "correspondence", f"Quotation {name} for order {po}",
                            when, [code], None, None,
                            [("p", f"Quotation for order {po}, {kind} {code}."),
                             ("table", [["Item", "Qty", "Price EUR"],
                                        [rnd.choice(PARTS), 5000, f"{rnd.uniform(0.5, 9):.2f}"],
                                        [rnd.choice(PARTS), 5000, f"{rnd.uniform(0.5, 9):.2f}"]]),
                             ("p", f"Issued by {name}.")])
                doc.attachments.append(quote)
            self.docs.append(doc)
            previous = mid

    def board_minutes(self, folder, code, kind, day) -> None:
        mtg = f"MTG-{day.isoformat()}"
        crs = sorted({d.number for d in self.docs
                      if d.doc_type == "change request" and code in d.products and d.date <= day})[-2:]
        blocks = [("p", f"Present: {PEOPLE[0][0]}, {PEOPLE[1][0]}, {PEOPLE[2][0]}"),
                  ("h", "1 Sales and returns"),
                  ("p", f"Sales of the {kind} {code} are reviewed against plan; returns are within target."),
                  ("h", "2 Open changes"),
                  ("p", ("Status of " + ", ".join(crs) + " reviewed.") if crs else "No open change requests."),
                  *self.filler(self.rnd.randint(300, 900), self.rnd.choice(PARTS))]
        fmt = self.rnd.choice(["md", "txt", "docx"])
        self.docs.append(Doc(f"{folder}/minutes/{mtg}-review.{fmt}", fmt, "minutes",
                             f"Minutes {mtg} quarterly review {code}", day, [code], mtg, None, blocks))

    def review_deck(self, folder, code, kind, year) -> None:
        crs = sorted({d.number for d in self.docs if d.doc_type == "change request" and code in d.products})
        slides = [("slide", f"{kind} {code} product review {year}", ["Sales on plan", "Returns trending down"], None),
                  ("slide", "Change requests", crs or ["none"], "Status per minutes of the product board."),
                  ("slide", "Next steps", ["Prepare successor model", "Review retailer contracts"], None)]
        self.docs.append(Doc(f"{folder}/presentations/review-{code}-{year}.pptx", "pptx", "other",
                             f"{kind} {code} product review {year}", date(year, 11, 15), [code], None, None, slides))

    def notice(self, folder, code, kind, desc, launch) -> None:
        blocks = [("p", f"Nordlicht introduces the {kind} {code}, a {desc}."),
                  ("p", f"Available from {launch.isoformat()} at {', '.join(RETAILERS)}.")]
        self.docs.append(Doc(f"{folder}/announcements/launch-{code}.html", "html", "other",
                             f"Launch announcement {kind} {code}", launch, [code], None, None, blocks))
