"""Foreign archive: Brenner Verpackungsmaschinen GmbH, an (invented) German maker of filling and bagging machines.

Drawings ZN-4711-03 and Lastenhefte with letter revisions written every way (ZN-4700-01 reaches AA), Änderungsanträge
ÄA-2023-017 and ECN-24-007 decided under the agenda item of the committee's minutes and implemented by revisions whose
Änderungshistorie says so, Reklamationen, e-mails, Angebote, reports and letters; dates mostly German.
"""

from __future__ import annotations

import csv
import io
import random
from collections import namedtuple
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

RULES = r"""# Brenner Verpackungsmaschinen GmbH: our archive is mostly German, export documents are English.
# Document types: the first rule that matches wins (name, path or content of the first page).
types = [
    {type = "correspondence", name = '(?i)\.eml$'},
    {type = "correspondence", path = '(?i)/Korrespondenz/'},
    {type = "minutes", name = '(?i)(protokoll|minutes|\bPROT[-_ ]\d|\bCRB[-_ ]\d)'},
    {type = "minutes", content = '(?im)^\s*(protokoll|minutes)\b'},
    {type = "change request", name = '(?i)(\bÄA[-_ ]\d|\bECN[-_ ]\d|änderungsantrag)'},
    {type = "change request", content = '(?im)^\s*(änderungsantrag|engineering change notice)\b'},
    {type = "specification", name = '(?i)(\bZN[-_ ]\d|\bLH[-_ ]\d|\bPH[-_ ]\d|zeichnung|lastenheft|pflichtenheft)'},
    {type = "specification", content = '(?im)^\s*(technische zeichnung|drawing|lastenheft|pflichtenheft)\b'},
    {type = "report", name = '(?i)(bericht|statistik|auswertung|report|\bQB[-_ ]\d)'},
    {type = "report", path = '(?i)/Berichte/'},
    {type = "complaint", name = '(?i)(\bRK[-_ ]\d|reklamation|complaint)'},
    {type = "contract", name = '(?i)(angebot|quotation|vertrag|\bAN[-_ ]\d|\bWV[-_ ]\d)'},
    {type = "plan", name = '(?i)(prüfplan|\bPP[-_ ]\d)'},
]

[identifiers]
zeichnung = 'ZN-\d{4}-\d{2}'
lastenheft = 'LH-\d{4}-\d{3}'
pflichtenheft = 'PH-\d{4}-\d{3}'
aenderungsantrag = 'ÄA-\d{4}-\d{3}'
ecn = 'ECN-\d{2}-\d{3}'
protokoll = 'PROT-\d{4}-\d{2}'
crb = 'CRB-\d{4}-\d{2}'
reklamation = 'RK-\d{2}-\d{4}'
angebot = 'AN-\d{4}-\d{3}'
vertrag = 'WV-\d{4}-\d{3}'
bericht = 'QB-\d{4}-\d{2}'
pruefplan = 'PP-\d{4}-\d{2}'

[families]
change = ["aenderungsantrag", "ecn"]
[families.revisions]
zeichnung = "letter"
lastenheft = "letter"
pflichtenheft = "letter"

[changes]
number = 'ÄA-{year}-{seq:03d}'

[numbers]
labels = ["Zeichnungsnummer", "Zeichnungs-Nr", "Zeichnung-Nr", "Dokument", "Dokument-Nr", "Lastenheft-Nr",
          "Pflichtenheft-Nr", "ÄA-Nr", "Protokoll-Nr", "Reklamations-Nr", "Reklamation", "Angebot Nr",
          "Angebots-Nr", "Vertrags-Nr", "Bericht-Nr", "Prüfplan-Nr", "Drawing No", "ECN No", "Minutes No",
          "Complaint No", "Quotation No", "Report No", "Document No", "Doc"]
from_file_name = true

[revisions]
labels = ["Revision", "Rev", "Index", "Änderungsindex"]

[dates]
labels = ["Datum", "Stand", "Gültig ab", "Ausgabedatum", "Eingang", "Eingangsdatum", "Sitzungsdatum", "Date",
          "Dated", "Issued", "Issue date", "Meeting date", "Effective", "Received", "Date received"]
order = "DMY"
languages = ["de", "en"]

[products]
pattern = '\b(?:FM-\d{4}|SL-\d{2})\b'
exclude = []
[products.aliases]
"Füllmaschine 4000" = "FM-4000"
"FM4K" = "FM-4000"
"Füllmaschine 4500" = "FM-4500"
"FM45K" = "FM-4500"
"Schlauchbeutelmaschine 12" = "SL-12"
"SLB12" = "SL-12"

[parties]
names = ["Brenner Verpackungsmaschinen", "Molkerei Albtal", "Nordsee Feinkost", "Backhaus Lindner",
         "Harbourside Foods", "Vireo Packaging", "Stahlbau Wiegand", "Pneumatik Ruhland", "Antriebstechnik Sommer"]

[phrases.de]
approved = ["genehmigt", "angenommen", "freigegeben"]
rejected = ["abgelehnt", "zurückgewiesen"]
deferred = ["zurückgestellt", "vertagt", "verschoben"]
undecided = ["keine Entscheidung"]
decided = ["Beschluss", "beschlossen", "Entscheidung"]
amendment = ["umgesetzt gemäß", "gemäß", "Änderung nach", "setzt um", "Änderungsgrund"]

[phrases.en]
approved = ["approved", "accepted"]
rejected = ["rejected", "declined"]
deferred = ["deferred", "postponed"]
undecided = ["no decision"]
decided = ["decision", "decided"]
amendment = ["implements", "incorporates", "changes per", "in accordance with", "reason for revision"]

[metrics]
period = ["Monat", "Quartal", "Month", "Period"]
product = ["Produkt", "Maschine", "Product"]
distributed = ["Ausgeliefert", "Auslieferungen", "Shipped"]
sold = ["Verkauft", "Sold"]
returned = ["Retouren", "Returned"]
complaints = ["Reklamationen", "Complaints"]
enquiries = ["Anfragen", "Enquiries"]
"""

COMPANY = "Brenner Verpackungsmaschinen GmbH"
PRODUCTS = {"FM-4000": ("Füllmaschine 4000", "FM4K"), "FM-4500": ("Füllmaschine 4500", "FM45K"),
            "SL-12": ("Schlauchbeutelmaschine 12", "SLB12")}
CUSTOMERS = ["Molkerei Albtal eG", "Nordsee Feinkost AG", "Backhaus Lindner GmbH"]
EXPORT = [("Harbourside Foods Ltd", "Mr Cole"), ("Vireo Packaging Inc.", "Ms Alvarez")]
SUPPLIERS = [("Stahlbau Wiegand KG", "wiegand-stahlbau.de"), ("Pneumatik Ruhland GmbH", "ruhland-pneumatik.de"),
             ("Antriebstechnik Sommer GmbH", "sommer-antriebe.de")]
PEOPLE = ["Hr. Becker (Konstruktion)", "Fr. Aydin (Qualität)", "Hr. Lorenz (Einkauf)", "Fr. Schulte (Vertrieb)"]
MEETINGS = {"de": [date(2023, 1, 18), date(2023, 3, 15), date(2023, 5, 17), date(2023, 7, 12), date(2023, 9, 13),
                   date(2023, 11, 15), date(2024, 1, 17), date(2024, 3, 13), date(2024, 5, 15), date(2024, 7, 10),
                   date(2024, 9, 11)],
            "en": [date(2023, 3, 9), date(2023, 10, 5), date(2024, 4, 9)]}
CHANGE_TEXT = {"de": ["Wandstärke von 4 auf 5 mm erhöht", "Bohrbild an neue Zylinder angepasst",
                      "Werkstoff 1.4301 statt S235 für Lebensmittelkontakt", "Dichtung aus EPDM statt NBR",
                      "Passfeder verlängert", "Schweißnaht a4 statt a3", "Kabeldurchführung verlegt",
                      "Passung Ø25 H7 eingeführt", "Schutzgitter ergänzt", "Sensorhalter geändert",
                      "Oberfläche Ra 0,8 vorgeschrieben", "Spannhebel aus Edelstahl"],
               "en": ["Reinforced cross member for sea freight", "UL-listed cable glands for the US market",
                      "Hood hinge moved to the operator side", "Imperial fasteners removed"]}
EDITORIAL = {"de": ["Zeichnungsfehler korrigiert (redaktionell)", "Schriftfeld aktualisiert",
                    "Maßkette vereinfacht, keine Funktionsänderung"],
             "en": ["Title block updated (editorial)", "Dimension typo corrected"]}
DECISION = {"approved": ["Beschluss: genehmigt", "Beschluss: Der Antrag wird genehmigt.", "Ergebnis: freigegeben",
                         "Beschluss: angenommen, Umsetzung bis KW {w}"],
            "rejected": ["Beschluss: abgelehnt", "Ergebnis: abgelehnt, Kosten-Nutzen-Verhältnis unzureichend"],
            "deferred": ["Ergebnis: zurückgestellt bis zur nächsten Sitzung",
                         "Beschluss: vertagt, Angebot des Lieferanten abwarten"]}
DECISION_EN = {"approved": ["Decision: approved", "Outcome: approved by all members"],
               "rejected": ["Decision: rejected, cost not justified"],
               "deferred": ["Decision: deferred to the next meeting"]}
SHORT = {"approved": "genehmigt", "rejected": "abgelehnt", "deferred": "zurückgestellt"}
MONATE = "Januar Februar März April Mai Juni Juli August September Oktober November Dezember".split()
TAGE = "Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag".split()
MONTHS = "January February March April May June July August September October November December".split()
EMBEDDED = datetime(2021, 6, 1, 8, 0, tzinfo=UTC)  # the templates' date: what a file's own metadata says
CET = timezone(timedelta(hours=1))


def de_num(d: date) -> str:
    return f"{d.day:02d}.{d.month:02d}.{d.year}"


def de_long(d: date) -> str:
    return f"{d.day}. {MONATE[d.month - 1]} {d.year}"


def en_us(d: date) -> str:
    return f"{MONTHS[d.month - 1]} {d.day}, {d.year}"


def en_uk(d: date) -> str:
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


@dataclass
class Change:
    board: str  # "de" (Änderungsausschuss, ÄA-…) or "en" (Change Review Board, ECN-…)
    raised: date
    subject: str
    products: list[str]
    target: str  # the drawing it changes, as the request cites it
    decisions: list[tuple[date, str]]  # (meeting, outcome); empty: still being assessed
    number: str = ""


Rev = namedtuple("Rev", "letter day change note")  # change: the Change it implements, or None
# history: the revisions older than the archive (of a long-lived drawing)
Spec = namedtuple("Spec", "number title products letters first english history", defaults=(False, ()))


SPECS = [
    Spec("ZN-4700-01", "Grundrahmen", ["FM-4000", "FM-4500"], ["Y", "Z", "AA", "AB"], date(2022, 3, 14),
         history=(Rev("W", date(2020, 2, 3), None, "Querstrebe ergänzt"),
                  Rev("X", date(2021, 4, 19), None, "Stellfüße M16 statt M12"))),
    Spec("ZN-4711-03", "Gehäuse", ["FM-4000"], list("ABC"), date(2022, 5, 2)),
    Spec("ZN-4711-07", "Dosierkolben", ["FM-4000"], list("ABCD"), date(2022, 2, 7)),
    Spec("ZN-4712-02", "Füllventil", ["FM-4000", "FM-4500"], list("AB"), date(2022, 9, 12)),
    Spec("ZN-4750-01", "Frame, export version", ["FM-4500"], list("ABC"), date(2022, 6, 20), english=True),
    Spec("ZN-4751-04", "Steuerschrank", ["FM-4500"], list("ABC"), date(2022, 4, 11)),
    Spec("ZN-4752-02", "Safety hood", ["FM-4500"], list("AB"), date(2022, 11, 7), english=True),
    Spec("ZN-5120-01", "Siegelbacke", ["SL-12"], list("ABCD"), date(2022, 1, 24)),
    Spec("ZN-5121-05", "Folienabzug", ["SL-12"], list("ABC"), date(2022, 8, 29)),
    Spec("ZN-5122-03", "Formschulter", ["SL-12"], list("AB"), date(2022, 10, 17)),
    Spec("LH-2022-011", "Lastenheft Füllmaschine 4500", ["FM-4500"], list("ABC"), date(2022, 2, 1)),
    Spec("LH-2023-004", "Lastenheft Schlauchbeutelmaschine SL-12, Baureihe 2", ["SL-12"], list("AB"), date(2023, 2, 6)),
    Spec("PH-2023-002", "Pflichtenheft Steuerung SL-12", ["SL-12"], list("AB"), date(2023, 4, 3)),
]


class _Archive:
    def __init__(self, rng: random.Random):
        self.rng, self.docs, self.changes, self.paths = rng, [], [], set()
        self.revs: dict[str, list[Rev]] = {}

    def add(self, path: str, kind: str, number: str | None, revision: str | None, day: date, products: set[str],
            blocks: list, decided_in=(), amends=(), mail: dict | None = None) -> None:
        """blocks: lines and tables (lists of rows); an e-mail's body lines; a sheet's rows in one table."""
        stem, _, ext = path.rpartition(".")
        n = 2
        while path in self.paths:
            path, n = f"{stem} ({n}).{ext}", n + 1
        self.paths.add(path)
        forms = (de_num(day), de_long(day), en_us(day), en_uk(day), f"{day:%m/%d/%Y}")
        written = None if mail else next(x for x in _lines(blocks) if any(f in x for f in forms))
        self.docs.append({"path": path, "type": kind, "number": number, "revision": revision,
                          "date": day.isoformat(), "products": sorted(products), "decided_in": sorted(decided_in),
                          "amends": sorted(amends), "blocks": blocks, "written": written, "mail": mail})

    def pname(self, code: str, day: date) -> str:
        """A product as a document writes it: its code, its name or (in 2022) its old code."""
        r = self.rng.random()
        return PRODUCTS[code][1] if day.year == 2022 and r < 0.4 else code if r < 0.65 else PRODUCTS[code][0]

    def chains(self) -> None:
        """Each specification's revisions, and the changes (decided in meetings) that most of them implement."""
        rng = self.rng
        for spec in SPECS:
            board, prev = "en" if spec.english else "de", spec.first
            revs = [Rev(spec.letters[0], prev, None, "Bohrungen M12 statt M10" if spec.history else
                        "First issue" if spec.english else "Erstausgabe")]
            for letter in spec.letters[1:]:
                later = [m for m in MEETINGS[board] if m > prev + timedelta(days=25)]
                if not later or rng.random() < 0.2:
                    prev = prev + timedelta(days=rng.randint(30, 90))
                    revs.append(Rev(letter, prev, None, rng.choice(EDITORIAL[board])))
                    continue
                decisions = [(later[0], "approved")]
                if len(later) > 1 and rng.random() < 0.25:
                    decisions = [(later[0], "deferred"), (later[1], "approved")]
                raised = max(prev + timedelta(days=3), decisions[0][0] - timedelta(days=rng.randint(7, 35)))
                change = Change(board, raised, rng.choice(CHANGE_TEXT[board]), spec.products,
                                f"{spec.number} Rev. {revs[-1].letter}", decisions)
                self.changes.append(change)
                prev = decisions[-1][0] + timedelta(days=rng.randint(10, 40))
                revs.append(Rev(letter, prev, change, change.subject))
            self.revs[spec.number] = revs
        drawings = [s for s in SPECS if s.number.startswith("ZN")]
        for i, outcome in enumerate(["rejected"] * 3 + ["deferred"] * 2 + ["pending"] * 2 + ["rejected"]):
            board = "en" if i == 7 else "de"
            meeting = MEETINGS[board][-1 if outcome != "rejected" else rng.randrange(1, len(MEETINGS[board]))]
            spec = rng.choice([s for s in drawings if s.english == (board == "en")])
            self.changes.append(Change(board, meeting - timedelta(days=rng.randint(6, 30)),
                                       rng.choice(CHANGE_TEXT[board]), spec.products, spec.number,
                                       [] if outcome == "pending" else [(meeting, outcome)]))
        seq: dict[tuple[str, int], int] = {}
        for c in sorted(self.changes, key=lambda c: (c.raised, c.board)):
            key = (c.board, c.raised.year)
            seq[key] = seq.get(key, 0) + rng.randint(1, 3)
            c.number = (f"ÄA-{c.raised.year}-{seq[key]:03d}" if c.board == "de"
                        else f"ECN-{c.raised.year % 100:02d}-{seq[key]:03d}")

    def spec_doc(self, spec: Spec, i: int) -> None:
        rng, rev, en, drawing = self.rng, self.revs[spec.number][i], spec.english, spec.number.startswith("ZN")
        n, r, d = spec.number, rev.letter, rev.day
        if en:
            form = rng.randrange(3)
            block = [[f"Drawing No.: {n} | Rev: {r} | Date: {en_us(d)}"], [[["Drawing No.", "Rev.", "Date"],
                     [n, r, en_uk(d)]]], [f"Drawing No.: {n} REV {r}", f"Issued: {en_uk(d)}"]][form]
            head = [COMPANY + " - Engineering", f"Drawing: {spec.title}"]
        elif drawing:
            form = rng.randrange(8)
            block = [[f"Dokument: {n} | Index: {r} | Stand: {de_num(d)}"],
                     [f"Zeichnungsnummer: {n} Rev. {r}", f"Datum: {de_long(d)}"],
                     [f"Zeichnung-Nr.: {n} ({r})", f"Stand: {de_num(d)}"],
                     [f"{n} REV {r}", f"Ausgabedatum: {de_num(d)}"],
                     [f"Zeichnung-Nr. {n} rev-{r.lower()}", f"Gültig ab {de_num(d)}"],
                     [[["Zeichnung-Nr.:", n], [f"Rev.: {r}", f"Datum: {de_num(d)}"]]],
                     [[["Zeichnungsnummer", "Revision", "Datum"], [n, r, de_num(d)]]],
                     [f"Zeichnungsnummer: {n}", f"Revision {r}", f"Stand: {de_long(d)}"]][form]
            head = [COMPANY + " - Konstruktion", f"Technische Zeichnung: {spec.title}"]
        else:
            form = rng.randrange(3)
            block = [[f"{spec.title.split()[0]}-Nr.: {n}", f"Revision {r}", f"Ausgabedatum: {de_long(d)}"],
                     [[["Dokument:", n], ["Index:", r], ["Stand:", de_num(d)]]],
                     [f"Dokument: {n} | Rev. {r} | Gültig ab {de_num(d)}"]][form]
            head = [spec.title]
        ext = "docx" if any(isinstance(b, list) for b in block) else rng.choice(["pdf", "pdf", "pdf", "docx", "txt",
                                                                                 "md"])
        used = ", ".join(self.pname(p, d) for p in spec.products)
        body = [f"Used on: {used}", "Material: S355, hot-dip galvanised"] if en else (
            [f"Verwendung: {used}", rng.choice(["Werkstoff: 1.4301", "Werkstoff: S235JR"]),
             "Allgemeintoleranzen gemäß ISO 2768-mK"] if drawing else
            [f"1. Zweck: Dieses Dokument beschreibt die Anforderungen an die {used}.",
             f"2. Leistung: {rng.choice([40, 60, 80])} Takte/min", "3. Umgebung: 5 bis 35 °C, Nassreinigung"])
        if n.startswith("ZN-47") and spec.products == ["FM-4500"] and not en:
            body.append("Grundlage: LH-2022-011 Rev. B")
        rows, amends = [], []
        for old in [*spec.history, *self.revs[n][: i + 1]]:
            text = old.note if old.change is None else f"{old.note} ({old.change.number})"
            if old is rev and rev.change:  # the row of this revision says which change it implements
                amends, style, number = [rev.change.number], rng.randrange(3), rev.change.number
                if style == 2:
                    body.append(f"{'Reason for revision' if en else 'Änderungsgrund'}: {number} - {rev.note}")
                else:
                    phrase = (["implements", "changes per"] if en else ["umgesetzt gemäß", "Änderung nach"])[style]
                    text = f"{old.note}, {phrase} {number}"
            rows.append([old.letter, en_uk(old.day) if en else de_num(old.day), text])
        history = ["", "Revision history" if en else "Änderungshistorie",
                   [["Rev", "Date", "Description"] if en else ["Index", "Datum", "Änderung"], *rows]]
        folder = (f"Konstruktion/{'Gemeinsam' if len(spec.products) > 1 else spec.products[0]}/Zeichnungen"
                  if drawing else "Konstruktion/Lastenhefte")
        short = spec.title.split(",")[0].split()[-1]
        name = rng.choice([f"ZN {n[3:]} Rev {r} {short}", f"{n}_{r}_{short}", f"{short} {n} ({r})",
                           f"{n} rev-{r.lower()}"] if drawing else [f"{spec.title.split()[0]} {n} Rev {r}", f"{n}_{r}"])
        self.add(f"{folder}/{name}.{ext}", "specification", n, r, d, set(spec.products),
                 head + block + body + history, amends=amends)

    def change_doc(self, c: Change) -> None:
        rng, n, d = self.rng, c.number, c.raised
        used = ", ".join(self.pname(p, d) for p in c.products)
        if c.board == "en":
            blocks = ["Engineering Change Notice", f"ECN No.: {n} | Date: {en_us(d)} | Product: {used}",
                      f"Affected drawing: {c.target}", f"Description: {c.subject}.", f"Requested by: {EXPORT[0][0]}"]
            path = f"Änderungswesen/ECN/{n} {c.subject.split()[0]}.pdf"
        else:
            form = rng.randrange(3)
            cited = c.target.replace(" Rev. ", " (") + (")" if " Rev. " in c.target else "")
            blocks = [["Änderungsantrag", f"ÄA-Nr.: {n}", f"Datum: {de_num(d)}", f"Produkt: {used}",
                       f"Betroffene Zeichnung: {c.target}"],
                      ["Änderungsantrag", [["ÄA-Nr.:", n], ["Eingang:", de_long(d)], ["Produkt:", used],
                                           ["Betroffene Zeichnung:", cited]]],
                      [f"Änderungsantrag {n}", f"Dokument: {n} | Stand: {de_num(d)} | Produkt: {used}",
                       f"Zeichnung: {c.target}"]][form]
            blocks += [f"Antragsteller: {rng.choice(PEOPLE)}", "", "Beschreibung der Änderung:", f"{c.subject}.",
                       "Begründung:", rng.choice(["Reklamationen aus dem Feld.", "Kostenreduzierung.",
                                                  "Lieferant kündigt das Teil ab."])]
            name = rng.choice([f"{n} {c.subject.split()[0]}", f"Änderungsantrag_{n}", n])
            path = f"Änderungswesen/Anträge/{d.year}/{name}.{'docx' if form == 1 else rng.choice(['pdf', 'txt'])}"
        self.add(path, "change request", n, None, d, set(c.products), blocks)

    def minutes(self, board: str, k: int) -> None:
        rng, meetings, en = self.rng, MEETINGS[board], board == "en"
        m = meetings[k]
        number = f"{'CRB' if en else 'PROT'}-{m.year}-{sum(x.year == m.year for x in meetings[:k]) + 1:02d}"
        items = [(c, o) for c in self.changes if c.board == board for x, o in c.decisions if x == m]
        products = {p for c, _ in items for p in c.products}
        top = "{t}." if en or rng.random() < 0.4 else "TOP {t}:"
        if en:
            lines = ["Minutes of the Change Review Board (export)", f"Minutes No.: {number}",
                     f"Meeting date: {en_uk(m)}", "Attendees: Fr. Schulte, Hr. Becker, Mr Cole (guest)", ""]
        else:
            form = rng.randrange(3)
            lines = [["Protokoll der Sitzung des Änderungsausschusses", f"Protokoll-Nr.: {number}",
                      f"Datum: {de_num(m)} | Ort: Bielefeld, Raum 2.14"],
                     ["Protokoll Änderungsausschuss", f"Protokoll-Nr.: {number} | Sitzungsdatum: {de_long(m)}"],
                     ["Protokoll Änderungsausschuss", [["Protokoll-Nr.", "Datum", "Ort"],
                                                       [number, de_num(m), "Bielefeld"]]]][form]
            lines += ["Teilnehmer: " + ", ".join(PEOPLE), ""]
            if k:
                lines += [top.format(t=1) + " Protokoll der letzten Sitzung",
                          f"Das Protokoll vom {de_num(meetings[k - 1])} wird ohne Einwände genehmigt.", ""]
        for t, (c, outcome) in enumerate(items, start=1 if en else 2):
            heading = f"{top.format(t=t)} {c.number} - {c.subject} ({', '.join(self.pname(p, m) for p in c.products)})"
            if en:
                lines += [heading, f"Requested by {rng.choice(EXPORT)[0].rstrip('.')}.",
                          rng.choice(DECISION_EN[outcome]), ""]
                continue
            place, decision = rng.randrange(3), rng.choice(DECISION[outcome]).format(w=rng.randint(2, 50))
            filler = [f"Vorgestellt von {rng.choice(PEOPLE)}.", f"Mehrkosten ca. {rng.randint(2, 40)}00 EUR je Stück."]
            lines += ([f"{heading}: {SHORT[outcome]}"] if place == 0 else  # the decision on the item's own line
                      [heading, filler[0], decision] if place == 1 else [heading, *filler, decision]) + [""]
        if not en:  # items that mention changes without deciding them
            info = [f"Umsetzung {rv.change.number}: {drawing} Rev. {rv.letter} liegt vor."
                    for drawing, revs in self.revs.items() for rv in revs if rv.change and rv.change.board == "de"
                    and rv.change.decisions[-1][0] < rv.day <= m and (k == 0 or rv.day > meetings[k - 1])]
            for c in self.changes:
                if c.board == "de" and not c.decisions and c.raised < m:
                    info.append(f"{c.number} ({c.subject}, {c.products[0]}) wird noch bewertet.")
                    products.add(c.products[0])
            if info:
                lines += [top.format(t=len(items) + 2) + " Informationen", *info, ""]
            lines += [f"Nächste Sitzung: {de_num(meetings[k + 1]) if k + 1 < len(meetings) else 'offen'}",
                      f"Protokollführung: {PEOPLE[1]}"]
        ext = "docx" if any(isinstance(b, list) for b in lines) else rng.choice(["docx", "pdf", "pdf", "md"])
        name = f"CRB minutes {m:%Y-%m}" if en else rng.choice(
            [f"Protokoll_ÄA-Ausschuss_{m:%Y-%m}", f"Protokoll Änderungsausschuss {de_num(m)}", number])
        self.add(f"Änderungswesen/Protokolle/{name}.{ext}", "minutes", number, None, m, products, lines,
                 decided_in=[c.number for c, _ in items])

    def complaints(self) -> None:
        rng, seq = self.rng, {23: 10, 24: 4}
        for i in range(12):
            d = date(2023, 3, 1) + timedelta(days=rng.randint(0, 590))
            seq[d.year % 100] += rng.randint(1, 9)
            n, code, sn = f"RK-{d.year % 100}-{seq[d.year % 100]:04d}", rng.choice(list(PRODUCTS)), rng.randint(1, 999)
            part = rng.choice([s for s in SPECS if code in s.products and s.number.startswith("ZN")])
            if i % 4 == 3:  # the US customer writes 04/03/2024 for April 3; its other date is unambiguous
                cust, us = EXPORT[i > 3][0], i > 3
                d = d.replace(day=d.month % 12 + 1) if us else d  # a day that could be a month
                installed, received = d - timedelta(days=rng.randint(60, 400)), f"{d:%m/%d/%Y}" if us else en_us(d)
                blocks = ["Customer complaint", f"Complaint No: {n}", f"Received: {received}", f"Customer: {cust}",
                          f"Machine: {code}, serial no. {sn}", f"Part concerned: {part.number}",
                          f"Installed: {installed.replace(day=max(13, installed.day)):%m/%d/%Y}" if us else "",
                          f"Description: leakage at the filling head after {rng.randint(2, 30)} days of operation."]
                name = f"Complaint {n} {cust.split()[0]}.pdf"
            else:
                cust, form = rng.choice(CUSTOMERS), rng.randrange(3)
                blocks = [["Reklamation", f"Reklamations-Nr.: {n}", f"Eingang: {de_num(d)}", f"Kunde: {cust}"],
                          ["Reklamation", [["Reklamations-Nr.", "Eingangsdatum", "Kunde"], [n, de_long(d), cust]]],
                          [f"Reklamation {n} | Eingang: {de_num(d)} | Kunde: {cust}"]][form]
                blocks += [f"Maschine: {self.pname(code, d)}, Seriennummer {sn}",
                           f"Lieferdatum der Maschine: {de_num(d - timedelta(days=rng.randint(60, 400)))}",
                           f"Betroffenes Teil: {part.title} {part.number}", "Fehlerbeschreibung:",
                           rng.choice(["Undichtigkeit am Füllventil.", "Siegelnaht nicht dicht.",
                                       "Not-Aus löst sporadisch aus."])]
                name = [f"{n} {cust.split()[0]}.pdf", f"Reklamation_{n}.docx", f"{n} Reklamation.txt"][form]
            self.add(f"Qualität/Reklamationen/{d.year}/{name}", "complaint", n, None, d, {code}, blocks)

    def offers(self) -> None:
        rng = self.rng
        for i in range(8):
            d = date(2023, 1, 9) + timedelta(days=rng.randint(0, 620))
            n, code, price = f"AN-{d.year}-{10 + 7 * i:03d}", rng.choice(list(PRODUCTS)), rng.randint(180, 420)
            if i % 3 == 2:
                cust = rng.choice(EXPORT)[0]
                blocks = ["Quotation", f"Quotation No.: {n} | Date: {en_us(d)}", f"Customer: {cust}",
                          f"Item: {code}, export version", f"Price: EUR {price},000 EXW Bielefeld",
                          f"Valid until {en_uk(d + timedelta(days=30))}"]
                name = f"Quotation_{n}_{cust.split()[0]}.docx"
            else:
                cust = rng.choice(CUSTOMERS)
                blocks = ["Angebot", f"Angebot Nr. {n}", f"Datum: {de_long(d)}", f"Kunde: {cust}",
                          f"Gegenstand: {self.pname(code, d)} inkl. Formatteile", f"Preis: {price}.000 EUR netto",
                          f"Gültig bis {de_num(d + timedelta(days=30))}", "Lieferzeit: 16 Wochen nach Auftragseingang"]
                name = f"Angebot {n} {cust.split()[0]}.pdf"
            self.add(f"Vertrieb/Angebote/{name}", "contract", n, None, d, {code}, blocks)

    def reports(self) -> None:
        for path, n, d, year, codes in [
            ("Qualität/Berichte/Reklamationsstatistik_2023.csv", "QB-2023-04", date(2024, 1, 15), 2023, list(PRODUCTS)),
            ("Qualität/Berichte/Auslieferungen FM-4500 2024.csv", "QB-2024-03", date(2024, 7, 8), 2024, ["FM-4500"]),
            ("Qualität/Berichte/Qualitätsbericht Q1 2024.xlsx", "QB-2024-01", date(2024, 4, 5), 2024, list(PRODUCTS)),
            ("Qualität/Berichte/Auswertung SL-12 2023.xlsx", "QB-2023-05", date(2024, 2, 2), 2023, ["SL-12"]),
            ("Vertrieb/Berichte/Export shipments 2024.xlsx", "QB-2024-07", date(2024, 7, 5), 2024, ["SL-12"]),
        ]:
            en = path.startswith("Vertrieb")
            months = 12 if year == 2023 else 3 if "Q1" in path else 6
            head = ["Month", "Product", "Shipped", "Complaints"] if en else ["Monat", "Produkt", "Ausgeliefert",
                                                                             "Reklamationen"]
            rows = [[f"{year}-{mo:02d}", c, str(self.rng.randint(0, 9)), str(self.rng.randint(0, 3))]
                    for mo in range(1, months + 1) for c in codes]
            top = [f"Report No: {n}", f"Date: {en_uk(d)}"] if en else [f"Bericht-Nr.: {n}", f"Stand: {de_num(d)}"]
            self.add(path, "report", n, None, d, set(codes), [[[Path(path).stem.replace("_", " ")], top, [], head,
                                                                *rows]])

    def plans_and_letters(self) -> None:
        rng = self.rng
        for i, code in enumerate(["FM-4000", "FM-4500", "SL-12", "FM-4000"]):
            d = date(2023, 6, 5) + timedelta(days=130 * i + rng.randint(0, 20))
            n, kind = f"PP-{d.year}-{i + 1:02d}", ["Werksabnahme", "Wareneingang", "Werksabnahme", "Inbetriebnahme"][i]
            lines = [f"# Prüfplan {kind} {code}", "", f"Prüfplan-Nr.: {n}", f"Stand: {de_num(d)}", ""]
            lines += ["Grundlage: LH-2022-011 Rev. C", ""] if code == "FM-4500" else []
            lines += ["| Prüfschritt | Kriterium | Methode |", "|---|---|---|",
                      "| Füllgenauigkeit | ± 0,5 % | Wägung 50 Gebinde |", "| Not-Aus | Stopp < 0,5 s | Messung |"]
            self.add(f"Qualität/Prüfpläne/Prüfplan {kind} {code}.md", "plan", n, None, d, {code}, lines)
        for i in range(6):
            d, code = date(2023, 2, 1) + timedelta(days=rng.randint(0, 600)), rng.choice(list(PRODUCTS))
            head = [f"{COMPANY} · Industriestraße 12 · 33602 Bielefeld", ""]
            if i % 2:  # an English letter: the date alone, in the letterhead
                cust, contact = rng.choice(EXPORT)
                when = [en_us(d), en_uk(d)][i % 4 == 1]
                lines = head + [cust, "United Kingdom" if "Ltd" in cust else "USA", "", when, "",
                                f"Subject: Your enquiry regarding the {code}", f"Dear {contact},",
                                f"thank you for your visit. As discussed, our quotation AN-{d.year}-0{20 + i} "
                                "remains valid for 30 days.", "Yours sincerely,", "Fr. Schulte, Export Sales"]
                name = f"Letter {cust.split()[0]} {d.isoformat()}"
            else:
                cust, when = rng.choice(CUSTOMERS), f"Bielefeld, {de_long(d)}"
                lines = head + [cust, "", when, "",
                                f"Betreff: Ihre Anfrage vom {de_num(d - timedelta(days=9))} - {self.pname(code, d)}",
                                "Sehr geehrte Damen und Herren,", "gerne bieten wir Ihnen eine Vorführung an.",
                                "Mit freundlichen Grüßen", "Fr. Schulte"]
                name = f"Schreiben {cust.split()[0]} {MONATE[d.month - 1]} {d.year}"
            self.add(f"Vertrieb/Korrespondenz/{name}.{rng.choice(['txt', 'pdf'])}", "correspondence", None, None, d,
                     {code}, lines)

    def mails(self) -> None:
        """E-mails cite drawings, change requests, complaints and quotations in subjects and names."""
        rng = self.rng
        revs = [(s, rv) for s in SPECS if s.number.startswith("ZN") for rv in self.revs[s.number][1:]]
        picks = [("rev", s, rv) for s, rv in rng.sample(revs, 10)]
        picks += [("change", c, None) for c in rng.sample([c for c in self.changes if c.board == "de"], 6)]
        picks += [("doc", d, None) for d in rng.sample([d for d in self.docs if (d["number"] or "")[:2] in
                                                        ("RK", "AN")], 9)]
        for k, (kind, obj, rv) in enumerate(picks):
            supplier, domain = rng.choice(SUPPLIERS)
            sender, to = "Einkauf Brenner <einkauf@brenner-vm.de>", f"Vertrieb {supplier} <info@{domain}>"
            folder, greet, bye = f"Einkauf/Lieferanten/{supplier.split()[1]}", "Guten Tag,", "Mit freundlichen Grüßen"
            if kind == "rev":
                d, code = rv.day + timedelta(days=rng.randint(1, 6)), obj.products[0]
                subject = rng.choice([f"Neue Zeichnung {obj.number} Rev {rv.letter}",
                                      f"AW: {obj.number} Rev. {rv.letter} - Rückfrage Bohrbild"])
                text = (f"anbei die Zeichnung {obj.number} Rev. {rv.letter} ({obj.title}) für die "
                        f"{self.pname(code, d)}. Bitte ab der nächsten Lieferung beachten.")
                name = rng.choice([f"AW_ ZN {obj.number[3:]} Rev {rv.letter} Rückfrage",
                                   f"Zeichnung_{obj.number}_{rv.letter}"])
            elif kind == "change":
                d, code = obj.raised + timedelta(days=rng.randint(2, 10)), obj.products[0]
                subject, name = f"WG: {obj.number} - Kostenanfrage", f"{obj.number} Kostenanfrage"
                text = f"zum Änderungsantrag {obj.number} ({obj.subject}) bitte ein Angebot für die Teile der {code}."
                quoted = d - timedelta(days=1)  # an Outlook forward quotes the earlier message's date
                text += ("\n\n-----Ursprüngliche Nachricht-----\nVon: Konstruktion Brenner\nGesendet: "
                         f"{TAGE[quoted.weekday()]}, {de_long(quoted)} 09:14\nBetreff: {obj.number}\nBitte klären.")
            else:
                d, code = date.fromisoformat(obj["date"]) + timedelta(days=rng.randint(1, 5)), obj["products"][0]
                sender, to = "Service Brenner <service@brenner-vm.de>", "Kunde <einkauf@kunde.example>"
                if obj["blocks"][0] in ("Customer complaint", "Quotation"):
                    subject, greet, bye = f"Follow-up {obj['number']}", "Dear customer,", "Best regards,"
                    text = f"regarding {obj['number']} for your {code}: our engineer will contact you this week."
                else:
                    subject = f"Nachfrage {obj['number']}"
                    text = f"zu {obj['number']} ({code}): unser Techniker meldet sich in dieser Woche."
                name, folder = f"{obj['number']} {subject.split()[0]}", "Vertrieb/Kunden"
            sent = datetime(d.year, d.month, d.day, rng.randint(8, 16), rng.randint(0, 59), tzinfo=CET)
            mail = {"From": sender, "To": to, "Subject": subject, "Date": format_datetime(sent),
                    "Message-ID": f"<{k + 1000}.{d:%Y%m%d}@brenner-vm.de>"}
            self.add(f"{folder}/{name}.eml", "correspondence", None, None, d, {code}, [greet, "", text, "", bye,
                                                                                     "Brenner"], mail=mail)


def _lines(blocks: list, md: bool = False) -> list[str]:
    out = []
    for b in blocks:
        if isinstance(b, str):
            out.append(b)
        elif md:
            out += [f"| {' | '.join(b[0])} |", "|" + "---|" * len(b[0]), *(f"| {' | '.join(r)} |" for r in b[1:])]
        else:
            out += [" | ".join(r) for r in b]
    return out


def _write(target: Path, blocks: list, mail: dict | None) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.suffix == ".pdf":  # Helvetica's Latin-1 has the umlauts, ß, Ø, ±, ° and · these documents use
        from fpdf import FPDF

        pdf = FPDF()
        pdf.set_creation_date(EMBEDDED)
        pdf.add_page()
        for line in _lines(blocks):
            line = line.encode("latin-1", "replace").decode("latin-1")
            pdf.set_font("Helvetica", size=9)  # one line of text stays one line
            pdf.set_font_size(min(9.0, 9 * (pdf.epw - 2) / max(pdf.get_string_width(line), 1)))
            pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
        pdf.output(str(target))
    elif target.suffix == ".docx":
        import docx

        d = docx.Document()
        for b in blocks:
            if isinstance(b, str):
                d.add_paragraph(b)
                continue
            table = d.add_table(rows=len(b), cols=max(len(r) for r in b))
            for i, row in enumerate(b):
                for j, cell in enumerate(row):
                    table.cell(i, j).text = cell
        d.core_properties.author = COMPANY
        d.core_properties.created = d.core_properties.modified = EMBEDDED.replace(tzinfo=None)
        d.save(str(target))
    elif target.suffix == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        for row in blocks[0]:
            wb.active.append(row)
        wb.properties.created = wb.properties.modified = EMBEDDED.replace(tzinfo=None)
        wb.save(str(target))
    elif target.suffix == ".csv":  # as Excel exports it: semicolons, CRLF, a byte-order mark
        buf = io.StringIO()
        csv.writer(buf, delimiter=";", lineterminator="\r\n").writerows(blocks[0])
        target.write_text(buf.getvalue(), encoding="utf-8-sig", newline="")
    elif target.suffix == ".eml":
        msg = EmailMessage()
        for key, value in mail.items():
            msg[key] = value
        msg.set_content("\n".join(blocks) + "\n")
        target.write_bytes(msg.as_bytes())
    else:
        target.write_text("\n".join(_lines(blocks, md=target.suffix == ".md")) + "\n", encoding="utf-8")


def generate(dest: Path) -> dict:
    """Write the archive under dest; return its ground truth, and how each document writes its own date."""
    archive = _Archive(random.Random(4711))
    archive.chains()
    for spec in SPECS:
        for i in range(len(spec.letters)):
            archive.spec_doc(spec, i)
    for change in archive.changes:
        archive.change_doc(change)
    for board, meetings in MEETINGS.items():
        for k in range(len(meetings)):
            archive.minutes(board, k)
    archive.complaints()
    archive.offers()
    archive.reports()
    archive.plans_and_letters()
    archive.mails()
    docs = sorted(archive.docs, key=lambda d: d["path"])
    for doc in docs:
        _write(dest / doc["path"], doc.pop("blocks"), doc.pop("mail"))
    return {"company": COMPANY, "written_dates": {d["path"]: d.pop("written") for d in docs if d["written"]},
            "files": [{k: v for k, v in d.items() if k != "written"} for d in docs]}
