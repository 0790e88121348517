"""Varied technical prose for the sample documents, so that the corpus has a realistic vocabulary and length."""

from __future__ import annotations

import random
from datetime import date

PARTS = ["lid hinge", "heating element", "thermostat", "power cord", "base plate", "filter housing", "motor mount",
         "switch assembly", "water gauge", "dust container", "fan blade", "gasket", "control board", "handle",
         "hinge pin", "spring clip", "seal ring", "connector", "thermal fuse", "humidity sensor", "display module",
         "cable clamp", "screw boss", "foot pad", "spout", "nozzle", "brush roll", "battery pack", "charger",
         "HEPA filter", "pre-filter", "ion generator", "limescale filter", "steam vent", "release button"]
MATERIALS = ["PP", "ABS", "PC", "PA66-GF30", "stainless steel 1.4301", "aluminium", "silicone", "EPDM",
             "borosilicate glass", "copper", "POM", "TPE"]
TESTS = ["drop test", "thermal cycling", "humidity test", "salt spray test", "vibration test", "endurance run",
         "ball pressure test", "glow wire test", "leakage current measurement", "dielectric strength test",
         "abnormal operation test", "stability test"]
STANDARDS = ["EN 60335-1", "EN 60335-2-15", "EN 55014-1", "EN 61000-3-2", "IEC 62321", "REACH", "RoHS",
             "EN 1186", "ISO 2859-1", "EN 60335-2-2", "EN 60335-2-65", "EN 62233"]
CONDITIONS = ["at 40 degrees C ambient", "after 500 cycles", "at rated voltage", "under 85 % relative humidity",
              "after the drop test", "at the end of the endurance run", "with the lid open", "at minimum fill level",
              "after 1000 hours of operation", "in the highest setting"]
DEFECTS = ["cracks", "discolouration", "deformation", "a loose fit", "corrosion", "leakage", "rattling noise",
           "overheating", "burrs", "a missing marking", "delamination", "scratches"]
ROLES = ["quality", "purchasing", "logistics", "design", "marketing", "service", "production"]
COLOURS = ["white", "black", "anthracite", "silver", "mint", "red"]
SUPPLIER_NAMES = ["Helix Components", "Kessler Thermotechnik", "Polaris Plastics", "Meridian Electronics"]
PERSONS = ["Anna Lindqvist", "Marco Bianchi", "Sofia Novak", "Jonas Weber", "Priya Raman"]

TEMPLATES = [
    "The {part} shall withstand {n} cycles {cond} without {defect}.",
    "Material of the {part}: {material}, colour {colour}, wall thickness {x} mm.",
    "Compliance with {standard} is verified by the {test} {cond}.",
    "{supplier} delivers the {part} in lots of {n} units with a certificate of conformity.",
    "During the {test}, {k} of {n2} samples showed {defect} at the {part}.",
    "Tightening torque of the {part} screws is {x} Nm plus or minus {y} Nm.",
    "The {role} team reviews the {part} documentation before series release.",
    "Acceptance sampling of the {part} follows {standard} with an AQL of {aql}.",
    "The {part} is marked with the date code and the material symbol {material}.",
    "Spare {part} units remain available for {months} months after the end of production.",
    "Field data from {month} show a return rate of {pct} % related to the {part}.",
    "The {part} costs EUR {price} per unit at an annual volume of {volume} units.",
    "Lead time for the {part} from {supplier} is {weeks} weeks after order confirmation.",
    "Surface temperature of the {part} must stay below {temp} degrees C {cond}.",
    "Noise at one metre distance shall not exceed {db} dB(A) {cond}.",
    "Packaging protects the {part} against a drop of {cm} cm onto a concrete floor.",
    "Drawing D-{drawing} revision {rev} defines the geometry of the {part}.",
    "Measured values for the {part}: mean {x} mm, standard deviation {y} mm, minimum {z} mm.",
    "Open point: {person} to confirm the tolerance of the {part} with {supplier} by {when}.",
    "Customer feedback mentions {defect} of the {part} in {k} cases this quarter.",
    "The {test} of the {part} is repeated whenever the {material} grade changes.",
    "Assembly of the {part} takes {secs} seconds on line {line}; the target is {secs2} seconds.",
    "Incoming inspection found {defect} on {k} {part} parts; the lot was put on hold.",
    "{person} ({role}) agreed that the {part} change needs no new {test}.",
    "The rated power input is {watts} W at 230 V; the tolerance is plus 5 % and minus 10 %.",
    "Cleaning instructions for the {part} are given in the user manual, section {section}.",
    "The {part} must not contain substances listed in {standard} above the limit values.",
    "A first article inspection report for the {part} is required before the first delivery.",
]


class Prose:
    def __init__(self, rnd: random.Random):
        self.rnd = rnd

    def sentence(self, part: str | None = None) -> str:
        r = self.rnd
        values = {
            "part": part if part and r.random() < 0.4 else r.choice(PARTS), "material": r.choice(MATERIALS),
            "test": r.choice(TESTS), "standard": r.choice(STANDARDS), "cond": r.choice(CONDITIONS),
            "defect": r.choice(DEFECTS), "role": r.choice(ROLES), "colour": r.choice(COLOURS),
            "supplier": r.choice(SUPPLIER_NAMES), "person": r.choice(PERSONS),
            "n": r.choice([500, 1000, 5000, 10000, 20000, 50000]), "n2": r.randint(20, 80), "k": r.randint(1, 12),
            "x": f"{r.uniform(0.5, 4):.2f}", "y": f"{r.uniform(0.01, 0.3):.2f}", "z": f"{r.uniform(0.3, 2):.2f}",
            "aql": r.choice(["0.65", "1.0", "1.5", "2.5"]), "months": r.choice([24, 36, 60, 84]),
            "month": date(r.randint(2022, 2024), r.randint(1, 12), 1).strftime("%B %Y"),
            "pct": f"{r.uniform(0.2, 4):.1f}", "price": f"{r.uniform(0.05, 12):.2f}",
            "volume": r.choice([20000, 50000, 120000, 250000]), "weeks": r.randint(2, 16),
            "temp": r.choice([45, 60, 75, 85, 105]), "db": r.randint(48, 82), "cm": r.choice([50, 80, 100]),
            "drawing": r.randint(10000, 99999), "rev": r.choice("ABCDE"),
            "when": date(r.randint(2022, 2024), r.randint(1, 12), r.randint(1, 28)).isoformat(),
            "secs": r.randint(8, 40), "secs2": r.randint(6, 30), "line": r.randint(1, 6),
            "watts": r.choice([800, 1200, 1800, 2200, 2400]), "section": f"{r.randint(2, 9)}.{r.randint(1, 6)}",
        }
        return r.choice(TEMPLATES).format(**values)

    def paragraph(self, part: str | None = None) -> str:
        return " ".join(self.sentence(part) for _ in range(self.rnd.randint(3, 7)))

    def words(self, count: int, part: str | None = None) -> list[tuple]:
        """Paragraph blocks adding up to about `count` words."""
        blocks, total = [], 0
        while total < count:
            text = self.paragraph(part)
            blocks.append(("p", text))
            total += len(text.split())
        return blocks
