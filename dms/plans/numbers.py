"""Numbers in cells, as people write them: the one reader of plan workbooks (dms.plans.workbook), the plan form
(dms.web.planform) and supply evidence tables (dms.supply.cells), and the one way plans write a number back.

Read: 12, 12.5, -3, +4; 1,234 and 1,234,567.5 (commas group thousands); 1 234 and 1'234 (spaces and apostrophes
group); a decimal comma: 12,5 and 1.234,5 (a comma after the last dot).

The ambiguous form: one dot followed by exactly three digits and nothing else ("1.000", "2.500") is a thousand in
German writing and one (two and a half) in English. The rule:
- in a file that otherwise writes the German way (`decimal_comma=True`: a `;`-separated CSV, or a cell holding an
  unambiguous decimal comma such as 2,5 or 1.234,5, or a DD.MM.YYYY date; `writes_german` judges the cells), dots
  group thousands and a comma is the decimal mark: 1.000 is 1000, 1.000.000 a million, 1,000 is 1;
- elsewhere "1.000" is refused (`Ambiguous`): a plan workbook names the cell ("write 1000 or 1,0"), a supply table
  skips the row with a warning problem on its document. "1,000" is a thousand there (English writing).
Real numbers in XLSX cells are never ambiguous: only text is judged.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

_AMBIGUOUS = re.compile(r"[-+]?\d{1,3}\.\d{3}")  # 1.000: a thousand (German) or one (English)?
_THOUSANDS = re.compile(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")  # 1,234 and 1,234,567.5: commas group thousands
_DECIMAL_COMMA = re.compile(r"[-+]?(?:\d{1,3}(?:\.\d{3})+|\d+),\d+")  # 12,5 and 1.234,5 (not 1.23,5)
_DOT_GROUPS = re.compile(r"[-+]?\d{1,3}(?:\.\d{3})+(?:,\d+)?")  # 1.234.567 and 1.234,5: dots group thousands
# a decimal comma no English writing has: 2,5 / 12,75 / 0,1234 / 1.234,5 (not 1,000: that one is ambiguous too)
_GERMAN_NUMBER = re.compile(r"[-+]?(?:\d+,(?:\d{1,2}|\d{4,})|\d{1,3}(?:\.\d{3})+,\d+)")
_GERMAN_DATE = re.compile(r"\d{1,2}\.\d{1,2}\.\d{4}")


class NotANumber(ValueError):
    """Text that does not read as a number; the message quotes it."""


class Ambiguous(NotANumber):
    """1.000 in a file that does not say how it writes numbers; the message says how to write it."""


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split()) if value is not None else ""


def writes_german(cells: Iterable) -> bool:
    """Whether text cells show German writing: a decimal comma (2,5 or 1.234,5) or a DD.MM.YYYY date."""
    for value in cells:
        if type(value) is str and len(value) <= 40:
            text = value.strip()
            if _GERMAN_NUMBER.fullmatch(text.replace(" ", "")) or _GERMAN_DATE.fullmatch(text):
                return True
    return False


def ambiguity(written: str) -> str:
    """Why 1.000 is refused, and the two ways to write it."""
    whole = written.replace(".", "")
    decimal = written.replace(".", ",").rstrip("0")
    decimal = decimal + "0" if decimal.endswith(",") else decimal
    return (f"{written!r} is ambiguous: a dot before three digits groups thousands in German writing and is a "
            f"decimal point in English; write {whole} or {decimal}")


def read_number(value, *, decimal_comma: bool = False) -> float:
    """The number a cell holds (any sign; callers refuse what their column cannot hold). NotANumber, or Ambiguous
    for 1.000 unless `decimal_comma` (the file writes the German way)."""
    if isinstance(value, bool):
        raise NotANumber(f"{value!r} is not a number")
    if isinstance(value, (int, float)):
        number = float(value)
        if not math.isfinite(number):
            raise NotANumber(f"{_text(value)!r} is not a number")
        return number
    written = _text(value)
    digits = written.replace("'", "").replace(" ", "")
    if not digits:
        raise NotANumber("no number")
    if decimal_comma:
        if "," in digits and "." in digits and digits.rindex(".") > digits.rindex(","):
            digits = digits.replace(",", "") if _THOUSANDS.fullmatch(digits) else digits  # 1,234.5 says English
        elif _DOT_GROUPS.fullmatch(digits) or re.fullmatch(r"[-+]?\d+,\d+", digits):
            digits = digits.replace(".", "").replace(",", ".")  # 1.000, 1.234,5, 2,5, 1,000 (one)
    elif _AMBIGUOUS.fullmatch(digits):
        raise Ambiguous(ambiguity(written))
    elif _DECIMAL_COMMA.fullmatch(digits) and not _THOUSANDS.fullmatch(digits):
        digits = digits.replace(".", "").replace(",", ".")  # a decimal comma: 12,5 and 1.234,5
    else:
        digits = digits.replace(",", "") if _THOUSANDS.fullmatch(digits) else digits
    try:
        number = float(digits)
    except ValueError:
        raise NotANumber(f"{written[:40]!r} is not a number") from None
    if not math.isfinite(number) or not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)", digits):
        raise NotANumber(f"{written[:40]!r} is not a number")  # inf, nan, 1e5: not how a quantity is written
    return number


def plain(number: float) -> int | float:
    """A number as a plan writes it back: 800 not 800.0, and no float noise (0.30000000000000004 -> 0.3)."""
    return int(number) if float(number).is_integer() else round(number, 6)
