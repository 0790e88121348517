"""Labelled values in a document's head: `Label: value` at the start of a line, as a field of a header line
split by | ; or tabs ("Doc: DS-10452 | Rev. 3 | Effective 28 March 2024"), or in a table: a label alone in its
cell with the value in the next cell ("| Document No | DS-10452 |", DOCX and XLSX rows "Revision | B") or in
the same column of the rows below ("Document No | Revision" over "DS-10452 | 3"), or alone on its line with
the value alone on the next (a two-column table as PDF text often reads).

The labels come from the rules file; they match case-insensitively, as whole words, with any run of spaces
between their words, and are followed by any of : # . - or spaces (or nothing, before a digit: "Rev3").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

HEAD_CHARS = 4000  # labels are looked for in this much of the first page
NEXT_LINE_CHARS = 40  # a value on the line under its label is no longer than this

_SPLIT = re.compile(r"[ \t]*[|;\t][ \t]*")
_SPLIT_CSV = re.compile(r"[ \t]*[|;\t,][ \t]*")  # a CSV file's cells are split by commas too
_RULE_ROW = re.compile(r"[\s|:+=-]*")  # a Markdown table's |---|---| row, or a ruler line
_LEAD = " \t*#>•-"  # bullets, Markdown headings and bold around a label
_SEP = r"[\s:#.*_-]*"


@dataclass(frozen=True, slots=True)
class Labelled:
    label: str  # the label as written in the document
    value: str  # what follows it: the rest of its field, the next cell, or a cell of its column
    line: str  # the line the value is on
    line_no: int  # of that line, within the text scanned (from 0)
    # "field" (label and value in one field), "cell" (the next cell), "next line" (a label alone on its line:
    # the next line, when that holds nothing else) or "column" (the rows below)
    how: str
    words: str  # the label and its value as written ("Rev. 3", "Revision | B")
    rows: int = 1  # for "column": how many rows the column holds (its values are in `column`)
    column: tuple[str, ...] = ()


@lru_cache(maxsize=32)
def label_regex(labels: tuple[str, ...]) -> tuple[re.Pattern, re.Pattern]:
    """A label at the start of a field, then its separators (group `rest` is what follows); and a label
    anywhere, to pass over the lines that hold none."""
    words = sorted((label.split() for label in labels), key=lambda w: -len(" ".join(w)))
    alternatives = "|".join(r"[ \t]+".join(re.escape(w) for w in label) for label in words)
    return (re.compile(rf"(?P<label>{alternatives})(?![^\W\d_]){_SEP}(?P<rest>.*)$", re.IGNORECASE),
            re.compile(rf"(?<![^\W\d_])(?:{alternatives})(?![^\W\d_])", re.IGNORECASE))


def labelled(text: str, labels: tuple[str, ...], csv: bool = False) -> Iterator[Labelled]:
    """Every labelled value in `text` (bound it first), in reading order; a table column after the fields.
    `csv`: the text is a CSV file's, whose cells commas separate."""
    if not labels:
        return
    regex, anywhere = label_regex(labels)
    split = (_SPLIT_CSV if csv else _SPLIT).split
    lines = text.splitlines()
    columns: list[Labelled] = []
    for line_no, line in enumerate(lines):
        if not anywhere.search(line):
            continue
        cells = split(line.strip())
        for index, cell in enumerate(cells):
            m = regex.match(cell.lstrip(_LEAD))
            if not m:
                continue
            label, rest = " ".join(m.group("label").split()), m.group("rest").strip(" \t*_")
            if rest:
                yield Labelled(label, rest, line, line_no, "field", cell.strip(_LEAD))
                continue
            if index + 1 < len(cells) and cells[index + 1].strip():
                value = cells[index + 1].strip()
                yield Labelled(label, value, line, line_no, "cell", f"{cell.strip(_LEAD)} | {value}")
            elif len(cells) == 1:  # a label on a line of its own, as a two-column table reads from a PDF
                below = next((b.strip() for b in lines[line_no + 1: line_no + 3] if b.strip()), "")
                if below and len(below) <= NEXT_LINE_CHARS and len(split(below)) == 1:
                    yield Labelled(label, below, below, line_no + 1, "next line", f"{cell.strip(_LEAD)} {below}")
            below = _column(lines, line_no, len(cells), index, split)
            if below:
                columns.append(Labelled(label, below[0][1], below[0][0], line_no, "column",
                                        f"{cell.strip(_LEAD)} | {below[0][1]}", len(below),
                                        tuple(v for _, v in below)))
    yield from columns


def _column(lines: list[str], header_no: int, width: int, index: int, split) -> list[tuple[str, str]]:
    """(line, cell) of the rows under a header row that have its number of cells, down to the table's end."""
    if width < 2:
        return []
    out = []
    for line in lines[header_no + 1: header_no + 60]:
        if not line.strip():
            if out:
                break
            continue
        if _RULE_ROW.fullmatch(line):
            continue
        cells = split(line.strip())
        if len(cells) != width:
            break
        if cells[index].strip():
            out.append((line, cells[index].strip()))
    return out
