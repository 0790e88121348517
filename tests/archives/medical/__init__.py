"""The archive of Vantor Medical Inc., an American maker of infusion pumps and a patient monitor (invented).

Its conventions are none of ours: design specifications DS-10452 with numeric revisions written "Rev. 3",
"Revision 03", "rev3", "REV 3" or "_r3" (up to Rev 12), engineering change orders ECO-24-0117 and requests
ECR-24-0031 decided by a change control board (minutes CCB-2024-07, the outcome often on the line after the
item), nonconformance reports, complaint files, supplier letters (some in German, dated 05.03.2024), e-mails
that cite numbers in their subjects, test protocols and CSV/XLSX reports; dates in US order (03/04/2024 is
March 4) as well as 2024-03-12, 12 March 2024 and March 12, 2024. `generate(dest)` writes it and returns the
ground truth; `RULES` is the rules.toml its coordinator wrote from the README.
"""

from __future__ import annotations

import random
from pathlib import Path

from .documents import Archive
from .files import named_products, write
from .world import SEED

RULES = r"""
# Vantor Medical: rules for our archive
[identifiers]
design_spec = 'DS-\d{5}'
eco = 'ECO-\d{2}-\d{4}'
ecr = 'ECR-\d{2}-\d{4}'
ccb = 'CCB-\d{4}-\d{2}'
ncr = 'NCR-\d{4}-\d{3}'
complaint = 'CPL-\d{2}-\d{5}'
protocol = 'TP-\d{4}'

[families]
change = ["eco", "ecr"]
[families.revisions]
design_spec = "numeric"
protocol = "numeric"

[changes]
number = 'ECO-{yy}-{seq:04d}'

[numbers]
labels = ["Doc", "Document No", "Document Number", "ECO No", "ECO Number", "ECR No", "NCR No", "NCR Number",
          "Complaint No", "Meeting", "Meeting No", "Protocol No"]
from_file_name = true

[revisions]
labels = ["Revision", "Rev"]

[dates]
labels = ["Effective", "Effective date", "Issued", "Date", "Date received", "Raised on", "Date of meeting",
          "Held on", "Date opened", "Report date", "Datum"]
order = "MDY"
languages = ["en", "de"]

[products]
pattern = '\b(?:VP-\d{3}|HM-\d{2})\b'
exclude = []
[products.aliases]
"Vantor Pump 300" = "VP-300"
"Vantor Pump 500" = "VP-500"
"HemoWatch 20" = "HM-20"
"VIP-3" = "VP-300"

[parties]
names = ["Keller Molding Inc.", "Brightline Electronics", "Summit Cable Assemblies", "Hartmann Sensorik GmbH",
         "Oakridge Medical Center", "St. Brendan Hospital", "Lakeshore Regional Health"]

[phrases.en]
approved = ["approved", "accepted", "agreed"]
rejected = ["rejected", "declined", "refused"]
deferred = ["deferred", "postponed", "on hold", "tabled"]
undecided = ["no decision"]
decided = ["decision", "decided"]
amendment = ["implements", "incorporates", "amends", "amended per", "changes per", "in accordance with",
             "reason for revision"]

[[types]]
type = "correspondence"
name = '(?i)\.eml$'
[[types]]
type = "correspondence"
path = '(?i)/correspondence/'
[[types]]
type = "specification"
name = '(?i)(^|[^a-z])(DS[-_ ]?\d{5}|spec)'
[[types]]
type = "change request"
name = '(?i)(^|[^a-z])EC[OR][-_ ]?\d{2}'
[[types]]
type = "minutes"
name = '(?i)(^|[^a-z])(CCB|minutes)([^a-z]|$)'
[[types]]
type = "report"
name = '(?i)(^|[^a-z])NCR[-_ ]?\d{4}'
[[types]]
type = "complaint"
name = '(?i)(^|[^a-z])(CPL[-_ ]?\d{2}|complaint file)'
[[types]]
type = "plan"
name = '(?i)(^|[^a-z])TP[-_ ]?\d{4}'
[[types]]
type = "report"
name = '(?i)(report|log|trend|returns)'
"""


def generate(dest: Path, seed: int = SEED) -> dict:
    """Write the archive under dest; return its ground truth. Another seed draws another archive alike."""
    world = Archive(random.Random(seed))
    world.plan()
    docs = [*world.specs(), *world.change_docs(), *world.minutes(), *world.ncr_docs(), *world.complaints()]
    docs += [*world.mails(docs), *world.letters(), *world.protocols(), *world.reports()]
    files = []
    for doc in docs:
        named = named_products(doc)
        if named != set(doc.products):
            raise AssertionError(f"{doc.path}: the text names {sorted(named)}, the truth says {sorted(doc.products)}")
        path = dest / doc.path
        if path.exists():
            raise AssertionError(f"{doc.path} written twice")
        path.parent.mkdir(parents=True, exist_ok=True)
        write(path, doc)
        files.append({"path": doc.path, "format": path.suffix[1:], "type": doc.type, "number": doc.number,
                      "revision": None if doc.revision is None else str(doc.revision), "date": doc.day.isoformat(),
                      "products": sorted(doc.products), "decided_in": doc.decided_in, "amends": doc.amends})
    return {"seed": seed, "files": sorted(files, key=lambda f: f["path"])}

