"""Bounds on extracted text, applied in the extraction worker before anything reaches the main process.

A document keeps at most DMS_MAX_TEXT_MB million characters of text: the page that crosses the bound
is cut at a line or word boundary and later pages are only counted, never kept, so a huge file costs
the worker one page at a time and the main process at most the bound. Pages themselves are bounded
too (`split_page`), so no single page, catalog row or transfer chunk is huge.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from dms.model import Problem

PAGE_CHARS = 100_000  # a plain-text page is cut near this size (about 25 printed pages)
BOUNDARY_SLACK = 2_000  # how far back from a cut to look for a line end or a space


def cut_point(text: str, limit: int) -> int:
    """Where to cut `text` to keep at most `limit` characters: after a line end or a space close before
    the limit when there is one, else exactly at the limit."""
    if len(text) <= limit:
        return len(text)
    floor = max(0, limit - BOUNDARY_SLACK)
    for sep in ("\n", " "):
        at = text.rfind(sep, floor, limit)
        if at > 0:
            return at + 1
    return limit


def split_page(text: str, size: int = PAGE_CHARS) -> Iterator[str]:
    """One long page as pages of at most `size` characters, cut at line ends or spaces where near."""
    while len(text) > size:
        at = cut_point(text, size)
        yield text[:at]
        text = text[at:]
    yield text


def bound_pages(pages: Iterable[str], max_chars: int) -> tuple[list[str], int, int]:
    """The pages to keep (at most `max_chars` characters in all), the characters kept, and the characters
    there were. Pages past the bound are read one at a time and only counted."""
    kept: list[str] = []
    used = total = 0
    full = False
    for page in pages:
        total += len(page)
        if full:
            continue
        if used + len(page) > max_chars:
            full = True  # this page is the last one kept, cut
            page = page[: cut_point(page, max_chars - used)]
            if not page.strip():
                continue
        kept.append(page)
        used += len(page)
    return kept, used, total


def truncated(kept: int, total: int) -> Problem:
    return Problem("truncated", f"text truncated at {_mb(kept)} of {_mb(total)} (DMS_MAX_TEXT_MB); "
                                "the original is kept whole", "warning")


def _mb(chars: int) -> str:
    return f"{chars / 1e6:,.{1 if chars >= 1_000_000 else 3}f} MB"
