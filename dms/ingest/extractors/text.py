"""Plain text and Markdown, in whatever encoding they came in."""

from __future__ import annotations

from pathlib import Path

from dms.ingest.registry import Raw, register
from dms.ingest.textcodec import decode


def first_line_title(text: str) -> str | None:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:160]
    return None


class TextExtractor:
    name = "text"
    kinds = frozenset({"text", "markdown", "csv"})

    def extract(self, path: Path) -> Raw:
        text, encoding = decode(path.read_bytes())
        text = text.replace("\r\n", "\n")
        pages = text.split("\f") if "\f" in text else [text]
        return Raw(pages=pages, title=first_line_title(text), meta={"encoding": encoding})


register(TextExtractor())
