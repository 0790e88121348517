"""A title for a table (a CSV file, a spreadsheet without a title property), from its first rows as a person
would name it, instead of the raw first row ("Report,RPT-VL310-2022-03,Date,2022-03-28").

    Quarterly returns                          one filled cell: it is the title
    Report,RPT-VL310-2022-03,Date,2022-03-28   label/value pairs: "Report RPT-VL310-2022-03 of 2022-03-28"
    Month,Retailer,Sold,Returned               a header row: "Table of Month, Retailer, Sold, Returned"
    2022-10,Brightwater,1048                   data from the first row: no title (the file name is shown)
"""

from __future__ import annotations

import csv
import re

MAX_TITLE = 160
_LABEL = re.compile(r"[^\W\d_][\w .&/()'-]{0,39}")  # a short label of words, starting with a letter
_DATE_LABELS = {"date", "dated", "as of", "as at", "issued", "period", "month"}
_DATE = re.compile(r"\d{4}-\d{2}(-\d{2})?|\d{1,2}[./]\d{1,2}[./]\d{2,4}")


def _is_label(cell: str) -> bool:
    return bool(_LABEL.fullmatch(cell)) and not _DATE.search(cell)


def title_from_rows(rows: list[list[str]]) -> str | None:
    """The title of a table whose first rows these are (cells as text), or None when they hold no title."""
    for row in rows[:3]:
        cells = [" ".join(c.split()) for c in row]
        filled = [c for c in cells if c]
        if not filled:
            continue  # a blank line before the table
        if len(filled) == 1:
            return filled[0][:MAX_TITLE]
        if len(cells) >= 2 and len(filled) % 2 == 0 and all(_is_label(c) for c in filled[0::2]) \
                and not all(_is_label(c) for c in filled[1::2]):
            pairs = list(zip(filled[0::2], filled[1::2], strict=True))
            label, value = pairs[0]
            title = f"{label} {value}"
            dated = next((v for k, v in pairs[1:] if k.lower() in _DATE_LABELS), None)
            return (title + (f" of {dated}" if dated else ""))[:MAX_TITLE]
        if all(_is_label(c) for c in filled):
            shown = ", ".join(filled[:6]) + (", …" if len(filled) > 6 else "")
            return f"Table of {shown}"[:MAX_TITLE]
        return None
    return None


def csv_title(text: str) -> str | None:
    """The title of CSV text (its first lines are enough), in whatever dialect it was written."""
    head = "\n".join(text.splitlines()[:3])
    if not head.strip():
        return None
    try:
        dialect = csv.Sniffer().sniff(head, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = list(csv.reader(head.splitlines(), dialect))
    except csv.Error:
        return None
    return title_from_rows(rows)
