"""The bounds on OCR of one document in one run: its pages (DMS_OCR_MAX_PAGES) and its time
(DMS_OCR_DOCUMENT_TIMEOUT), besides each page's own limit (DMS_OCR_PAGE_TIMEOUT).

Pages past a bound are not recognised in this run: they are marked failed, so no queue takes them up
again on its own, with one warning per document naming the pages, the bound and how to continue
(`dms ocr --retry-failed` goes on with them, within the same bounds). The pages read so far, and the
rest of the document, stay catalogued and indexed.
"""

from __future__ import annotations

from collections.abc import Iterable

from dms.catalog import ocrwork
from dms.catalog.db import Catalog

CONTINUE = "`dms ocr --retry-failed` continues with them"


def span(numbers: Iterable[int]) -> str:
    """Page numbers as runs: 4-30, or 2, 5-7."""
    runs: list[list[int]] = []
    for n in sorted(numbers):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ", ".join(f"{a}-{b}" if b > a else str(a) for a, b in runs)


def _pages(numbers: list[int]) -> str:
    return f"pages {span(numbers)} were" if len(numbers) > 1 else f"page {numbers[0]} was"


def over_pages(numbers: list[int], total: int, limit: int) -> str:
    return (f"{_pages(numbers)} not OCRed: the document has {total} scanned pages to read and at most {limit} "
            f"are OCRed per document in one run (DMS_OCR_MAX_PAGES); {CONTINUE} (the next {limit}), "
            "or raise DMS_OCR_MAX_PAGES")


def over_time(numbers: list[int], limit: float) -> str:
    return (f"{_pages(numbers)} not OCRed: OCR of the document took longer than the {limit:g} s limit per document "
            f"in one run (DMS_OCR_DOCUMENT_TIMEOUT); {CONTINUE}, or raise DMS_OCR_DOCUMENT_TIMEOUT")


def leave_out(catalog: Catalog, by_version: dict[int, list[int]], reason) -> list[int]:
    """Mark each version's pages as left out, `reason(pages)` saying why; returns the versions changed."""
    return [vid for vid, numbers in by_version.items() if ocrwork.leave_out(catalog, vid, numbers, reason(numbers))]
