"""Plain text and Markdown, in whatever encoding they came in.

Pages are split at form feeds and, past `PAGE_CHARS`, at line ends, so no page is huge. A large file is
read a chunk at a time (its encoding judged from its first megabyte) and its pages are produced lazily:
the worker keeps only what the text bound lets through.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

from dms.ingest.extractors.tabletitle import csv_title
from dms.ingest.registry import Raw, register
from dms.ingest.textbound import PAGE_CHARS, split_page
from dms.ingest.textcodec import decode

WHOLE_BYTES = 8 << 20  # files up to this size are decoded in one piece (the most careful encoding guess)
SAMPLE_BYTES = 1 << 20  # the part of a larger file its encoding is judged from


_CALENDAR_NAME = re.compile(r"^X-WR-CALNAME[^:\n]*:(.+)$", re.MULTILINE)
_SUMMARY = re.compile(r"^SUMMARY[^:\n]*:(.+)$", re.MULTILINE)


def calendar_title(text: str) -> str | None:
    """An iCalendar file (leave records) is titled by its calendar name, else its first event's summary: never
    by its first line, BEGIN:VCALENDAR."""
    if not text.lstrip("\ufeff \t\r\n").upper().startswith("BEGIN:VCALENDAR"):
        return None
    found = _CALENDAR_NAME.search(text) or _SUMMARY.search(text)
    name = " ".join(found.group(1).replace("\\,", ",").split())[:160] if found else ""
    return f"Calendar: {name}" if name else "Calendar"


def first_line_title(text: str) -> str | None:
    if (calendar := calendar_title(text)) is not None:
        return calendar
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:160]
    return None


def paginate(text: str) -> Iterator[str]:
    for page in text.split("\f"):
        yield from split_page(page)


def _stream(path: Path, encoding: str) -> Iterator[str]:
    """The file's pages, decoded a chunk at a time; CRLF becomes LF as in a whole read."""
    page = ""
    with open(path, "rb") as raw, io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="") as fh:
        while chunk := fh.read(PAGE_CHARS):
            if chunk.endswith("\r"):  # its \n may start the next chunk
                chunk += fh.read(1)
            parts = (page + chunk.replace("\r\n", "\n")).split("\f")
            for done in parts[:-1]:
                yield from split_page(done)
            page = parts[-1]
            while len(page) > 2 * PAGE_CHARS:
                pieces = list(split_page(page))
                yield from pieces[:-1]
                page = pieces[-1]
    yield from split_page(page)


class TextExtractor:
    name = "text"
    kinds = frozenset({"text", "markdown"})

    @staticmethod
    def title(first_page: str) -> str | None:
        return first_line_title(first_page)

    def extract(self, path: Path) -> Raw:
        if path.stat().st_size <= WHOLE_BYTES:
            text, encoding = decode(path.read_bytes())
            text = text.replace("\r\n", "\n")
            return Raw(pages=list(paginate(text)), title=self.title(text), meta={"encoding": encoding})
        with open(path, "rb") as fh:
            sample = fh.read(SAMPLE_BYTES)
        cut = sample.rfind(b"\n")  # whole lines, so a character is not judged by half its bytes
        _, encoding = decode(sample[: cut + 1] if cut > 0 else sample)
        pages = _stream(path, encoding)
        first = next(pages, "")
        return Raw(pages=_chain(first, pages), title=self.title(first), meta={"encoding": encoding})


class CsvExtractor(TextExtractor):
    """CSV is read as text; its title is named from its first rows (dms.ingest.extractors.tabletitle), not
    taken as the raw first line."""

    kinds = frozenset({"csv"})

    @staticmethod
    def title(first_page: str) -> str | None:
        return csv_title(first_page)


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


register(TextExtractor())
register(CsvExtractor())
