"""The documents of the Vantor Medical archive, each with the truth about it, built from the plan."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from email.utils import format_datetime

from .world import (
    AMEND,
    COMPLAINTS,
    DISCUSS,
    HOSPITALS,
    MEETINGS,
    MONTHS,
    NAMES,
    NEXT_LINE,
    PEOPLE,
    REQS,
    SAME_LINE,
    SPECS,
    STYLES,
    WHY,
    Doc,
    World,
    ccb,
    d_dmy,
    d_iso,
    d_mdy,
    d_us,
    d_us1,
    named,
    workday,
)


class Archive(World):
    """The plan, and the documents made from it (each method yields Doc)."""

    def specs(self):
        rng = self.rng
        for (number, title, products, first, _), rev, eff, made in self.revs:
            ext = rng.choice(("pdf", "pdf", "pdf", "docx", "docx", "txt", "md"))
            header = rng.choice("ABCDEF" if ext == "docx" else "ABCEF")
            supersedes = rev > first and rng.random() < 0.5
            style = rng.choice(STYLES)
            if header == "A":
                form = rng.choice((f"Rev. {rev}", f"Revision {rev:02d}", f"REV {rev}", f"Rev {rev}"))
                blocks = [f"{title} - Design Specification", f"Doc: {number} | {form} | Effective {d_dmy(eff)}"]
                blocks += [f"Supersedes: Rev. {rev - 1}"] if supersedes else []
            elif header == "B":
                blocks = ["DESIGN SPECIFICATION", f"Document No.: {number}", f"Revision: {rev:02d}",
                          f"Effective date: {style(eff)}", f"Title: {title}"]
                blocks += [f"Supersedes: Revision {rev - 1:02d}"] if supersedes else []
            elif header == "C":
                blocks = [f"{number} REV {rev} - {title} Design Specification", f"Issued: {d_iso(eff)}"]
            elif header == "D":
                blocks = [f"Design Specification - {title}",
                          [["Document No", number], ["Revision", f"{rev:02d}"], ["Effective", d_us(eff)]]]
            elif header == "E":
                blocks = [f"Design Specification {number} rev{rev}", title, f"Effective: {d_us1(eff)}"]
            else:  # a draft template: number and revision only in the file name
                blocks = [f"{title} - Design Specification", f"Effective {d_mdy(eff)}"]
            blocks += ["", "1. Scope", f"This specification defines the {title.lower()} of the "
                       f"{named(rng, products, eff.year == 2022)}.", "", "2. Requirements"]
            blocks += [f"2.{i + 1} {req}" for i, req in enumerate(rng.sample(REQS, 3))]
            nxt = [c for s, r, _, m in self.revs if s[0] == number and r == rev + 1 for c in m]
            if nxt and nxt[0].raised <= eff:
                blocks.append(f"Open change: {nxt[0].number} (under CCB review).")
            ecos = " and ".join(c.number for c in made)
            history = rng.choice(("table", "reason", "sentence"))
            blocks += ["", "3. Revision history"]
            if history == "table":
                rows = [["Rev", "Date", "Description"]]
                for s, r, e, m in self.revs:
                    if s[0] == number and max(first, rev - 3) <= r <= rev:
                        what = rng.choice(AMEND).format(e=" and ".join(c.number for c in m)) if m else "Initial release"
                        rows.append([str(r) if header != "B" else f"{r:02d}", style(e), what])
                blocks.append(rows)
            elif history == "reason" and made:
                if rng.random() < 0.5:
                    blocks.append(f"Reason for revision: {rng.choice(AMEND).format(e=ecos)}")
                else:
                    blocks += ["Reason for revision:", f"{ecos} - {made[0].title.split(': ')[1]}"]
            else:
                blocks.append(rng.choice(AMEND).format(e=ecos) if made else "Initial release.")
            folder = f"Engineering/Specifications/{products[0] if len(products) == 1 else 'Common'}"
            signed = eff - timedelta(days=rng.randint(3, 20))
            blocks += ["", f"Approved by: {rng.choice(PEOPLE)} (Quality), {d_us(signed)}"]
            names = [f"{number} Rev {rev} - {title}", f"{number.replace('-', '_')}_r{rev}", f"{number}_r{rev}",
                     f"{number.replace('-', ' ')} Rev {rev} - {title}"]
            names += [f"{title} spec Rev {rev}"] if header != "F" else []
            name = rng.choice(names)
            yield Doc(f"{folder}/{name}.{ext}", "specification", eff, blocks, products, number, rev,
                      amends=[c.number for c in made], created=self.created(eff))

    def change_docs(self):
        rng = self.rng
        for ch in self.changes:
            if ch.raised < date(2023, 1, 1) or (ch.effective and rng.random() < 0.15):
                continue
            prod, person = named(rng, ch.products), rng.choice(PEOPLE)
            if ch.kind == "ECR":
                ext = rng.choice(("pdf", "txt", "md"))
                blocks = [("# " if ext == "md" else "") + "ENGINEERING CHANGE REQUEST", f"ECR No.: {ch.number}",
                          f"Date received: {rng.choice(STYLES)(ch.raised)}", "Requested by: Field Service",
                          f"Product: {prod}", "", f"Request: {ch.title}.", "Expected benefit: fewer service calls."]
                name = rng.choice((f"{ch.number} request", ch.number.replace("-", "_")))
                yield Doc(f"Engineering/Changes/ECR/{name}.{ext}", "change request", ch.raised, blocks,
                          ch.products, ch.number)
                continue
            cur = self.current_rev(ch.spec, ch.raised)
            affected = f"{ch.spec} (currently Rev. {cur})" if cur and rng.random() < 0.5 else ch.spec
            ext = rng.choice(("pdf", "pdf", "docx", "txt"))
            if ext == "docx":
                blocks = ["Engineering Change Order", [["ECO Number", ch.number], ["Raised on", d_mdy(ch.raised)],
                                                       ["Product", prod], ["Affected documents", affected]]]
                name = ch.number.replace("-", "_")
            elif ext == "pdf":
                blocks = ["ENGINEERING CHANGE ORDER",
                          f"ECO No.: {ch.number} | Raised on {d_us(ch.raised)} | Originator: {person}",
                          f"Product: {prod}", f"Affected document: {affected}"]
                name = f"{ch.number} {ch.title.split(': ')[1]}".replace("/", "-")
            else:
                blocks = [f"ECO No: {ch.number}", f"Raised on: {d_iso(ch.raised)}", f"Originator: {person}",
                          f"Product: {prod}", f"Affected document: {affected}"]
                name = ch.number
            blocks += ["", f"Description of change: {ch.title}.", f"Justification: {rng.choice(WHY)}"]
            if ch.origin:
                blocks.append(f"Originating request: {ch.origin}")
            blocks.append(f"Target implementation: {d_us(ch.raised + timedelta(days=rng.randint(60, 120)))}")
            yield Doc(f"Engineering/Changes/ECO/{ch.raised.year}/{name}.{ext}", "change request", ch.raised, blocks,
                      ch.products, ch.number, created=self.created(ch.raised))

    def minutes(self):
        rng = self.rng
        held = [m for m in MEETINGS if m >= date(2023, 3, 1)]
        missing = rng.choice(held[2:-2])
        for i, meeting in enumerate(MEETINGS):
            items = sorted(((ch, o) for ch in self.changes for m, o in ch.decisions if m == meeting),
                           key=lambda x: (x[0].kind != "ECR", x[0].number))
            if meeting not in held or meeting == missing or not items:
                continue
            number, style = ccb(meeting), rng.choice(("pipe", "pipe", "docx", "table", "txt"))
            if style == "pipe":
                blocks = ["CHANGE CONTROL BOARD - MEETING MINUTES",
                          f"Meeting: {number} | Date of meeting: {d_us(meeting)} | Location: Building 2, Room 210"]
                path = f"{number} Minutes.pdf"
            elif style in ("docx", "table"):
                blocks = ["CCB Minutes", f"Meeting No.: {number}", f"Date: {d_mdy(meeting)}"]
                path = rng.choice((f"{number.replace('-', '_')}_minutes.docx",
                                   f"CCB minutes {MONTHS[meeting.month - 1]} {meeting.year}.docx"))
            else:
                blocks = ["Minutes of the Change Control Board", f"Meeting {number} held on {d_dmy(meeting)}"]
                path = f"CCB minutes {meeting.year}-{meeting.month:02d}.txt"
            blocks += ["", f"Attendees: {', '.join(rng.sample(PEOPLE, 4))}", "",
                       f"1. Minutes of {ccb(MEETINGS[i - 1])} accepted without changes."]
            products = {p for ch, _ in items for p in ch.products}
            status = [c for c in self.changes if c.effective and c.effective > meeting + timedelta(days=10)
                      and any(o == "approved" and m < meeting for m, o in c.decisions)]
            section = 2
            if status:
                blocks += ["", "2. Status of open changes"]
                section = 3
                for ch in sorted(rng.sample(status, min(2, len(status))), key=lambda c: c.number):
                    products |= set(ch.products)
                    blocks.append(f"{ch.number} ({named(rng, ch.products)}): implementation in progress, "
                                  f"{ch.spec} update in preparation.")
            blocks += ["", f"{section}. Change items"]
            if style == "table":
                rows = [["Item", "Change", "Description", "Outcome"]]
                rows += [[f"{section}.{k}", ch.number, f"{ch.title} - {named(rng, ch.products)}", o.capitalize()]
                         for k, (ch, o) in enumerate(items, 1)]
                blocks.append(rows)
            for k, (ch, outcome) in enumerate(items if style != "table" else [], 1):
                head = f"{section}.{k} {ch.number} {ch.title} - {named(rng, ch.products)}"
                talk = rng.sample(DISCUSS, rng.randint(0, 2))
                if ch.spec and rng.random() < 0.3:
                    talk.insert(0, f"Affects the {ch.spec} drawings and the risk file.")
                said = rng.choice(NEXT_LINE[outcome])
                if ch.kind == "ECR" and outcome == "approved":
                    said = "Outcome: Accepted; an ECO will be raised."
                if rng.random() < 0.3:
                    blocks += [f"{head}; {rng.choice(SAME_LINE[outcome])}", *talk, ""]
                else:
                    blocks += [head, *talk, said, ""]
            blocks += ["", f"Next meeting: {d_mdy(MEETINGS[min(i + 1, len(MEETINGS) - 1)])}",
                       f"Recorded by: {rng.choice(PEOPLE)}"]
            yield Doc(f"Quality/CCB/{meeting.year}/{path}", "minutes", meeting, blocks, tuple(products), number,
                      decided_in=sorted(ch.number for ch, _ in items), created=self.created(meeting))

    def ncr_docs(self):
        rng = self.rng
        for number, day, product, part, supplier in self.ncrs:
            spec = next(s[0] for s in SPECS if product in s[2])
            ext = rng.choice(("pdf", "docx", "txt"))
            closed = day + timedelta(days=rng.randint(25, 70))
            tail = ["", f"Description: {part} out of tolerance at incoming inspection.", f"Drawing: {spec}",
                    "Disposition: return to supplier; 100% inspection of stock.", f"Date closed: {d_us(closed)}"]
            if ext == "pdf":
                blocks = ["NONCONFORMANCE REPORT", f"NCR No: {number} | Date opened: {d_us(day)}",
                          f"Product: {product} | Lot: L{day.year % 100}-{rng.randint(100, 999)}",
                          f"Supplier: {supplier}", f"Part: {part}"]
                name = number
            elif ext == "docx":
                blocks = ["Nonconformance Report", [["NCR Number", number], ["Date opened", d_mdy(day)],
                                                    ["Product", NAMES[product]], ["Supplier", supplier]]]
                name = f"NCR {number[4:]} {part}"
            else:
                blocks = [f"NCR No.: {number}", f"Date opened: {d_iso(day)}", f"Product: {product}",
                          f"Supplier: {supplier}", f"Part: {part}"]
                name = number.replace("-", "_")
            yield Doc(f"Quality/NCR/{name}.{ext}", "report", day, blocks + tail, (product,), number,
                      created=self.created(day))

    def complaints(self):
        rng = self.rng
        days = sorted(date(2023, 3, 1) + timedelta(days=rng.randint(0, 560)) for _ in range(12))
        seq = {2023: 310, 2024: 40}
        for day in days:
            seq[day.year] += rng.randint(3, 30)
            number, product = f"CPL-{day.year % 100}-{seq[day.year]:05d}", rng.choice(list(NAMES))
            ncr = next((n for n, d, p, _, _ in self.ncrs if p == product and day <= d <= day + timedelta(60)), None)
            blocks = ["CUSTOMER COMPLAINT FILE", f"Complaint No: {number}",
                      f"Date received: {rng.choice((d_us, d_us1, d_mdy))(day)}",
                      f"Reporter: {rng.choice(HOSPITALS)}, Biomedical Engineering",
                      f"Device: {NAMES[product]}, serial {product[:2]}{product[3]}-{rng.randint(10000, 99999)}",
                      f"Event date: {d_us(day - timedelta(days=rng.randint(2, 10)))}", "",
                      f"Description: {rng.choice(COMPLAINTS[product])}", "Patient involvement: none reported.",
                      f"Investigation: see {ncr}." if ncr else "Investigation: device returned for evaluation."]
            ext = rng.choice(("pdf", "docx", "txt"))
            name = {"pdf": f"{number} complaint file", "docx": f"Complaint {number}",
                    "txt": number.replace("-", "_")}[ext]
            yield Doc(f"Quality/Complaints/{day.year}/{name}.{ext}", "complaint", day, blocks, (product,), number,
                      created=self.created(day))

    def mails(self, docs: list[Doc]):
        rng = self.rng
        topics = []
        for number, day, product, part, _ in self.ncrs:
            topics.append((f"{number} containment request", day + timedelta(days=1), (product,),
                           f"we opened {number} for the {part} supplied for the {named(rng, (product,))}. "
                           "Please confirm containment of your stock within 48 hours."))
        for d in docs:
            if d.type == "change request" and d.number.startswith("ECO") and d.revision is None:
                topics.append((f"{d.number} drawings for review", d.day + timedelta(days=3), d.products,
                               f"the drawings for {d.number} ({named(rng, d.products)}) are on the share."))
            if d.type == "specification" and d.revision >= 3:
                topics.append((f"{d.number} Rev {d.revision} review comments", d.day - timedelta(days=9), (),
                               f"my comments on the draft of {d.number} Rev. {d.revision} are in the PDF."))
        for subject, day, products, text in sorted(rng.sample(topics, 18), key=lambda t: t[1]):
            day = workday(day)
            reply = rng.random() < 0.4
            subject = ("RE: " if reply else rng.choice(("", "", "FW: "))) + subject
            sent = datetime(day.year, day.month, day.day, rng.randint(8, 16), rng.randint(0, 59),
                            tzinfo=timezone(timedelta(hours=-5)))
            body = ["Hello,", "", "thanks, noted; we follow up this week." if reply else text, "", "Regards,",
                    rng.choice(PEOPLE), "Vantor Medical Inc."]
            if reply:  # the quoted message carries its own, earlier date
                body += ["", f"On {d_mdy(day - timedelta(days=rng.randint(2, 6)))}, {rng.choice(PEOPLE)} wrote:",
                         f"> {text}"]
            name = subject.replace(":", "_") if rng.random() < 0.6 else f"{d_iso(day)} {subject.replace(':', '')}"
            mail = {"From": "quality@vantormed.com", "To": "engineering@vantormed.com", "Subject": subject,
                    "Date": format_datetime(sent), "Message-ID": f"<{rng.getrandbits(48):x}@vantormed.com>"}
            yield Doc(f"Correspondence/Email/{name}.eml", "correspondence", day, body, tuple(products), mail=mail)

    def letters(self):
        rng = self.rng
        for number, day, product, part, supplier in self.ncrs:
            sent = workday(day + timedelta(days=rng.randint(10, 25)))
            if supplier.startswith("Hartmann"):
                while not (sent.day <= 12 and sent.day != sent.month):
                    sent += timedelta(days=1)
                ref = sent - timedelta(days=sent.day + rng.randint(1, 10))
                blocks = ["Hartmann Sensorik GmbH", "Industriestraße 14, 78467 Konstanz, Deutschland", "",
                          "Vantor Medical Inc., Supplier Quality", "", f"Datum: {sent:%d.%m.%Y}", "",
                          f"Betreff: Ihre Reklamation {number} - Drucksensor", f"Bezug: Ihr Schreiben vom "
                          f"{ref:%d.%m.%Y}", "", "Sehr geehrte Frau Park,",
                          "wir haben die zurückgesandten Drucksensoren für die Vantor Pump 300 untersucht.",
                          "Ursache: Kalibrierfehler an einer Prüfstation.",
                          "Maßnahme: Prüfstation neu kalibriert, Bestand gesperrt.", "", "Mit freundlichen Grüßen",
                          "Hartmann Sensorik GmbH"]
                path = f"Correspondence/Suppliers/Hartmann Sensorik/Hartmann Antwort Drucksensor {sent:%Y-%m}.pdf"
                yield Doc(path, "correspondence", sent, blocks, ("VP-300",), created=sent + timedelta(days=2))
                continue
            if rng.random() < 0.45:
                continue
            dated = f"Date: {d_mdy(sent)}" if rng.random() < 0.6 else d_mdy(sent)
            blocks = [supplier, "1200 Industrial Pkwy, Dayton, OH 45402", "", dated, "", "Vantor Medical Inc.",
                      "Attn: Supplier Quality", "", f"Subject: Corrective action for {number}", "", "Dear Ms. Park,",
                      f"in response to {number} concerning the {part} supplied for the "
                      f"{named(rng, (product,))}, we have completed our root cause analysis.",
                      "Root cause: worn tooling at station 4.", "Corrective action: tooling replaced, first articles "
                      "measured.", "", "Sincerely,", rng.choice(("K. Brandt", "A. Lopez", "P. Sullivan")), supplier]
            ext = rng.choice(("pdf", "pdf", "docx"))
            yield Doc(f"Correspondence/Letters/{supplier.split()[0]} - corrective action letter {d_iso(sent)}.{ext}",
                      "correspondence", sent, blocks, (product,), created=sent + timedelta(days=rng.randint(1, 90)))

    def protocols(self):
        rng = self.rng
        plan = (("TP-2041", "DS-10452", (1, 2)), ("TP-2044", "DS-10470", (1,)), ("TP-2047", "DS-10502", (2, 3)),
                ("TP-2052", "DS-10480", (1,)), ("TP-2058", "DS-10511", (1, 2)))
        for number, spec, revs in plan:
            _, title, products, _, _ = next(s for s in SPECS if s[0] == spec)
            day = date(2023, 4, 3) + timedelta(days=rng.randint(0, 300))
            for rev in revs:
                day = workday(day + timedelta(days=rng.randint(40, 150)))
                ext = rng.choice(("md", "txt", "docx"))
                body = ["", f"Product: {named(rng, products)}", "", "Purpose", f"Verify the {title.lower()} "
                        f"requirements of {spec}.", "", "Method", "1. Condition ten units at 23 C for 24 hours.",
                        "2. Perform the test sequence and record the results."]
                if ext == "md":
                    blocks = [f"# Test Protocol {number} Rev. {rev}", "",
                              f"Doc: {number} | Revision {rev:02d} | Issued {d_iso(day)}"] + body
                    name = f"{number} Rev {rev} {title.lower()} protocol"
                elif ext == "txt":
                    blocks = ["TEST PROTOCOL", f"Protocol No.: {number}", f"REV {rev}", f"Issued: {d_mdy(day)}"] + body
                    name = f"{number.replace('-', '_')}_r{rev}"
                else:
                    blocks = ["Test Protocol", [["Protocol No", number], ["Revision", f"{rev:02d}"],
                                                ["Issued", d_us(day)]]] + body
                    name = f"{number} rev{rev}"
                yield Doc(f"Engineering/Verification/{name}.{ext}", "plan", day, blocks, products, number, rev,
                          created=self.created(day))

    def reports(self):
        rng = self.rng
        codes = sorted(NAMES)
        for name, title, day, months, column, ext in (
                ("Complaint trend 2024 Q1", "Complaint trend report, Q1 2024", date(2024, 4, 11), range(1, 4),
                 "Complaints", "csv"),
                ("Complaint trend 2024 Q2", "Complaint trend report, Q2 2024", date(2024, 7, 15), range(4, 7),
                 "Complaints", "xlsx"),
                ("Field returns 2023", "Field returns 2023", date(2024, 1, 12), range(1, 13), "Returned", "xlsx")):
            year = 2023 if "2023" in title else 2024
            rows = [[title], [f"Report date: {d_us(day) if ext == 'csv' else d_mdy(day)}"], [],
                    ["Month", "Product", column]]
            rows += [[f"{year}-{m:02d}", p, rng.randint(0, 9)] for m in months for p in codes]
            yield Doc(f"Quality/Reports/{name}.{ext}", "report", day, [rows], tuple(codes), created=self.created(day))
        rows = [["NCR log 2024"], ["Report date: 09/30/2024"], [], ["NCR", "Opened", "Product", "Supplier"]]
        rows += [[n, d_iso(d), p, s] for n, d, p, _, s in self.ncrs if d.year == 2024]
        yield Doc("Quality/Reports/NCR log 2024.csv", "report", date(2024, 9, 30), [rows],
                  tuple(sorted({r[2] for r in rows[4:]})))

