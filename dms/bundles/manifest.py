"""The two manifests of a bundle: manifest.json (exact values) and manifest.csv (for spreadsheets).

CSV cells are escaped against formula injection, as OWASP recommends: a cell beginning with `=`, `+`,
`-`, `@`, a tab or a carriage return (which Excel, LibreOffice and Google Sheets may run as a formula,
e.g. `=cmd|' /C calc'!A0` in a file's title) gets a leading apostrophe, so spreadsheets show it as text.
The CSV module quotes cells holding commas, quotes and newlines. manifest.json keeps the exact values.
"""

from __future__ import annotations

import csv
import io

FIELDS = ("control_number", "file", "sha256", "size", "title", "type", "date", "ingested_at", "number", "revision",
          "products", "parties", "references", "ocr_pages", "ocr_confidence", "source_path", "document_id")
REQUIRED = {"control_number": str, "file": str, "sha256": str}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    """A manifest value as a CSV cell: lists joined with "; ", None empty, formula starts escaped."""
    text = "; ".join(str(v) for v in value) if isinstance(value, list) else ("" if value is None else str(value))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(FIELDS)
    for row in rows:
        writer.writerow([cell(row.get(k)) for k in FIELDS])
    return buf.getvalue()


def check_json(data: bytes) -> tuple[list[dict], list[str]]:
    """(the rows that are well formed, a problem for each that is not)."""
    import json

    try:
        rows = json.loads(data)
    except ValueError as exc:
        return [], [f"manifest.json is not valid JSON: {exc}"]
    if not isinstance(rows, list):
        return [], ["manifest.json is not a list of documents"]
    good, problems = [], []
    for n, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            problems.append(f"manifest.json document {n} is not an object")
            continue
        bad = [k for k, kind in REQUIRED.items() if not isinstance(row.get(k), kind)]
        if bad:
            problems.append(f"manifest.json document {n} lacks {', '.join(bad)}")
        elif "/" in row["file"] or "\\" in row["file"] or row["file"] in ("", ".", ".."):
            problems.append(f"manifest.json document {n} names a file outside originals/: {row['file']!r}")
        else:
            good.append(row)
    return good, problems


def check_csv(data: bytes, rows: list[dict]) -> list[str]:
    """Problems: unreadable CSV, a bad header or row, or a cell that disagrees with manifest.json."""
    try:
        table = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    except (UnicodeDecodeError, csv.Error) as exc:
        return [f"manifest.csv cannot be read: {exc}"]
    if not table or tuple(table[0]) != FIELDS:
        return ["manifest.csv does not start with the expected header row"]
    problems = [f"manifest.csv row {n} has {len(r)} cells, not {len(FIELDS)}"
                for n, r in enumerate(table[1:], start=1) if len(r) != len(FIELDS)]
    if problems:
        return problems
    if len(table) - 1 != len(rows):
        return [f"manifest.csv lists {len(table) - 1} documents, manifest.json {len(rows)}: they disagree"]
    for n, (line, row) in enumerate(zip(table[1:], rows), start=1):
        differ = [k for k, v in zip(FIELDS, line) if v != cell(row.get(k))]
        if differ:
            problems.append(f"manifest.csv and manifest.json disagree on document {n} ({', '.join(differ)})")
    return problems
