"""A document's text shown a bounded slice at a time (DMS_PAGE_TEXT_MAX_CHARS, DMS_PAGE_TEXT_MAX_PAGES).

A view starts at a page and a character offset within it and takes whole pages while they fit; a page
longer than what is left is cut (at a space near the cut when there is one) and the next view goes on
from there. The document page and `GET /api/v1/documents/{ref}/text` both show views; only the
characters shown are read from the catalog, and only they are highlighted.
"""

from __future__ import annotations

from dataclasses import dataclass

from dms.app import Dms
from dms.catalog.pagetext import page_chars, page_lengths, pages_holding
from dms.errors import UsageError

WORD_EDGE = 200  # a cut page is cut at the last space within this many characters of the limit


@dataclass(frozen=True, slots=True)
class Slice:
    page: int  # 1-based
    start: int  # offset of `text` within the page, in characters
    text: str
    length: int  # of the whole page

    @property
    def cut(self) -> bool:
        return self.start > 0 or self.start + len(self.text) < self.length


@dataclass(frozen=True, slots=True)
class TextView:
    page_count: int
    total_chars: int
    limit: int  # characters one view may hold
    slices: list[Slice]
    next: tuple[int, int] | None  # (page, offset) where the next view starts; None at the end
    previous: tuple[int, int] | None
    start_char: int = 0  # where the view starts in the whole text (pages laid end to end)

    @property
    def end_char(self) -> int:
        return self.start_char + sum(len(s.text) for s in self.slices)

    @property
    def first_page(self) -> int:
        return self.slices[0].page if self.slices else 0

    @property
    def last_page(self) -> int:
        return self.slices[-1].page if self.slices else 0

    def to_dict(self) -> dict:
        where = lambda at: {"page": at[0], "offset": at[1]} if at else None  # noqa: E731
        first = self.slices[0] if self.slices else None
        return {
            "page_count": self.page_count, "total_chars": self.total_chars, "limit": self.limit,
            "page": first.page if first else 1, "offset": first.start if first else 0,
            "start_char": self.start_char, "end_char": self.end_char,
            "pages": [s.text for s in self.slices],
            "slices": [{"page": s.page, "offset": s.start, "chars": len(s.text), "page_chars": s.length}
                       for s in self.slices],
            "next": where(self.next), "previous": where(self.previous),
        }


def view(dms: Dms, version_id: int, page: int = 1, offset: int = 0, limit: int | None = None) -> TextView:
    """The view of a version's text from `page` (1-based) and `offset` (characters into it), of at most
    `limit` characters (default and ceiling DMS_PAGE_TEXT_MAX_CHARS) and DMS_PAGE_TEXT_MAX_PAGES pages."""
    most, most_pages = dms.settings.page_text_max_chars, dms.settings.page_text_max_pages
    limit = most if limit is None else limit
    if not 1 <= limit <= most:
        raise UsageError(f"limit must be between 1 and {most:,} characters (DMS_PAGE_TEXT_MAX_CHARS)")
    lengths = page_lengths(dms.catalog, version_id)
    if not lengths:
        if page != 1 or offset:
            raise UsageError("the document has no text")
        return TextView(0, 0, limit, [], None, None)
    if not 1 <= page <= len(lengths):
        raise UsageError(f"page {page} is not in the document: it has {len(lengths)} page(s)")
    if not 0 <= offset <= max(0, lengths[page - 1] - 1):
        raise UsageError(f"offset {offset} is not in page {page}: it has {lengths[page - 1]:,} characters")
    slices, left, p, at = [], limit, page, offset
    while p <= len(lengths) and len(slices) < most_pages and left > 0:
        take = min(lengths[p - 1] - at, left)
        text = page_chars(dms.catalog, version_id, p, at, take) if take else ""
        cut = at + take < lengths[p - 1]
        if cut:  # end at a space near the limit, so that no word is split between two views
            space = max(text.rfind(" ", len(text) - WORD_EDGE), text.rfind("\n", len(text) - WORD_EDGE))
            text = text[: space + 1] if space > 0 else text
        slices.append(Slice(p, at, text, lengths[p - 1]))
        left -= len(text)
        at += len(text)
        if cut:
            break
        p, at = p + 1, 0
    following = (p, at) if p <= len(lengths) else None
    return TextView(len(lengths), sum(lengths), limit, slices, following,
                    _previous(lengths, page, offset, limit, most_pages), sum(lengths[: page - 1]) + offset)


def _previous(lengths: list[int], page: int, offset: int, limit: int, most_pages: int) -> tuple[int, int] | None:
    """Where a view ending at (page, offset) starts: walking back as far as one view reaches."""
    if page == 1 and offset == 0:
        return None
    p, end = (page, offset) if offset else (page - 1, lengths[page - 2])
    left, touched = limit, 0
    while True:
        take = min(end, left)
        left, touched, start = left - take, touched + 1, end - take
        if start > 0 or left == 0 or touched == most_pages or p == 1:
            return p, start
        p, end = p - 1, lengths[p - 2]


def hit_pages(dms: Dms, version_id: int, keys: list[str], most: int = 50) -> list[int]:
    """Pages that mention any of these search keys (found by SQLite, not read here), at most `most`."""
    return pages_holding(dms.catalog, version_id, sorted({k.lower() for k in keys}), most)
