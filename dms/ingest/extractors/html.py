"""HTML: the visible text only; script, style and other invisible content never reach the index."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from dms.ingest.registry import Raw, register
from dms.ingest.textcodec import decode

_INVISIBLE = {"script", "style", "noscript", "template", "head", "svg", "object", "iframe"}
_BLOCK = {
    "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section", "article",
    "header", "footer", "ul", "ol", "pre", "blockquote", "hr", "dt", "dd", "title",
}
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.IGNORECASE)


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.in_title = False
        self.title = ""
        self.h1 = ""
        self.in_h1 = False

    def handle_starttag(self, tag, attrs):
        if tag == "title":
            self.in_title = True
        elif tag in _INVISIBLE:
            self.hidden += 1
        if tag == "h1":
            self.in_h1 = True
        if tag in _BLOCK:
            self.parts.append("\n")
        if tag in ("td", "th"):
            self.parts.append(" | ")

    def handle_startendtag(self, tag, attrs):
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False
        elif tag in _INVISIBLE and self.hidden:
            self.hidden -= 1
        if tag == "h1":
            self.in_h1 = False
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if self.in_title:
            self.title += data
            return
        if self.hidden:
            return
        if self.in_h1:
            self.h1 += data
        self.parts.append(data)


def html_to_text(markup: str) -> tuple[str, str | None]:
    """(visible text, title) of an HTML string."""
    parser = _Visible()
    parser.feed(markup)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r" *\n[ \n]*", "\n", text).strip()
    title = " ".join(parser.title.split()) or " ".join(parser.h1.split()) or None
    return text, title


class HtmlExtractor:
    name = "html"
    kinds = frozenset({"html"})

    def extract(self, path: Path) -> Raw:
        data = path.read_bytes()
        declared = _CHARSET.search(data[:4096])
        markup, encoding = decode(data, hint=declared.group(1).decode("ascii") if declared else None)
        text, title = html_to_text(markup)
        return Raw(pages=[text], title=title, meta={"encoding": encoding})


register(HtmlExtractor())
