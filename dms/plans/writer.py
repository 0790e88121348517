"""Writing plan workbooks: a Plan as XLSX (sheets Plan, Milestones, Materials, Staff) or as one sectioned CSV
file, and the empty template with its About sheet. dms.plans.workbook reads back what these write.

The Plan sheet comes first, its labels in column A and values in column B: `Document No | PLAN-…` and
`Revision | B` are what the ingest's number and revision rules read from a workbook's first page, and
`Date | …` its date. A written XLSX carries the plan's title as its title property (the document's title).

Every text cell is written as text, never as a formula: a phase typed "=1+1" is kept as those four characters (a
spreadsheet program shows them, it does not compute them or call out with the workbook's cells). The template's
TITLE_FORMULA is the one formula dms writes.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from dms.plans import sheets as vocab
from dms.plans.model import Plan
from dms.plans.numbers import plain

# The template's first cell repeats the Title entered below it (row 5), so a workbook filled in a spreadsheet
# program, which saves the formula's value, is titled by its plan when ingested rather than by its first row.
TITLE_FORMULA = '=IF(B5="","Lifecycle plan",B5)'


def _rows(plan: Plan | None) -> dict[str, list[list]]:
    """The cells of each sheet, header first (the template: headers only)."""
    head = {f: "" for f in vocab.PLAN_FIELDS}
    if plan:
        head = {"number": plan.number, "revision": plan.revision or "", "product": plan.product,
                "title": plan.title, "issued": plan.issued or "", "owner": ""}
    out = {"Plan": [[label, head[f]] for f, (label, *_) in vocab.PLAN_FIELDS.items()]}
    headers = {sheet: [main for main, *_ in cols.values()] for sheet, cols in vocab.COLUMNS.items()}
    out["Milestones"] = [headers["Milestones"]]
    out["Materials"] = [headers["Materials"]]
    out["Staff"] = [headers["Staff"]]
    for m in plan.milestones if plan else ():
        out["Milestones"].append([m.key, m.name, m.phase, m.start or "", m.due, m.owner,
                                  "; ".join(vocab.deliverable_text(d) for d in m.deliverables),
                                  vocab.join_keys(m.depends_on)])
    for n in plan.materials if plan else ():
        out["Materials"].append([n.milestone, n.part, n.description, plain(n.quantity), n.unit, n.needed_by,
                                 n.supplier])
    for s in plan.staff if plan else ():
        out["Staff"].append([s.milestone, s.who, "", plain(s.hours), s.start, s.end])
    return out


def write_workbook(plan: Plan, path: Path) -> None:
    """The plan as a workbook dms reads back to the same plan: XLSX, or a sectioned CSV file when path ends .csv."""
    _write(Path(path), _rows(plan), plan.title, about=False)


def write_template(path: Path) -> None:
    """An empty plan workbook (headers only) with an About sheet explaining every sheet and column."""
    _write(Path(path), _rows(None), "", about=True)


def _write(path: Path, rows: dict[str, list[list]], title: str, about: bool) -> None:
    if path.suffix.lower() == ".csv":
        with open(path, "w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            if title:
                out.writerow([title])
            for sheet, sheet_rows in rows.items():
                out.writerow([f"[{sheet}]"])
                out.writerows([[v.isoformat() if isinstance(v, date) else v for v in r] for r in sheet_rows])
                out.writerow([])
        return
    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sheet, sheet_rows in rows.items():
        ws = wb.create_sheet(sheet)
        if sheet == "Plan":  # its first row names the document when ingested (a table's title, tabletitle.py)
            ws.append([title or TITLE_FORMULA])
        for r in sheet_rows:
            ws.append(r)
        for cells in ws.iter_rows():
            for cell in cells:
                if isinstance(cell.value, date):
                    cell.number_format = "yyyy-mm-dd"
                elif isinstance(cell.value, str) and (title or sheet != "Plan" or cell.row > 1):
                    cell.data_type = "s"  # text, never a formula (openpyxl makes "=…" one)
        bold = [c for c in ws[1]] if sheet != "Plan" else [r[0] for r in ws.iter_rows(min_row=2)]
        for cell in bold:
            cell.font = Font(bold=True)
        for column in ws.columns:
            width = max(len(str(c.value or "")) for c in column)
            ws.column_dimensions[column[0].column_letter].width = min(60, max(10, width + 2))
    if about:
        ws = wb.create_sheet("About")
        for line in about_lines():
            ws.append([line])
        ws.column_dimensions["A"].width = 110
    if title:
        wb.properties.title = title
    wb.save(path)


def about_lines() -> list[str]:
    """The About sheet: what each sheet and column holds. No example numbers or product codes (the sheet is read
    like the rest of the workbook when it is ingested, and would name them)."""
    lines = ["dms lifecycle plan workbook",
             "Fill in the sheets Plan, Milestones, Materials and Staff, then: dms plan import FILE.xlsx",
             "Header names are matched case-insensitively; the names in brackets are also understood. Other columns "
             "and sheets (like this one) are not read.", "",
             "Sheet Plan: one field per row, its label in column A and its value in column B. Its first row "
             "repeats the Title (it names the document once the plan is on file); keep it first."]
    for label, other, required, what in vocab.PLAN_FIELDS.values():
        lines.append(f"  {label}{' (required)' if required else ''}: {what}" + (f" [{', '.join(other)}]"
                                                                                  if other else ""))
    for sheet, columns in vocab.COLUMNS.items():
        lines += ["", f"Sheet {sheet}: a header row, then one row per "
                      + {"Milestones": "milestone", "Materials": "material need", "Staff": "staff need"}[sheet] + "."]
        for main, other, required, what in columns.values():
            lines.append(f"  {main}{' (required)' if required else ''}: {what}" + (f" [{', '.join(other)}]"
                                                                                     if other else ""))
    lines += ["", "Dates are written YYYY-MM-DD (or DD.MM.YYYY). Staff days are hours_per_day hours each ([supply] in "
                  "the rules file).",
              "dms refuses a workbook with any problem (a missing sheet or required column, an empty required cell, a "
              "bad date or number, an unknown unit, a duplicate or unknown key, dependencies in a circle, dates out "
              "of order) and names the sheet, row and column of each; nothing is stored until all are fixed.",
              "A part no stock report or purchase order in the archive names is refused too, unless imported with "
              "--new-parts.",
              "The same plan as one CSV file: sections starting with a row [Plan], [Milestones], [Materials], [Staff], "
              "each laid out as its sheet."]
    return lines
