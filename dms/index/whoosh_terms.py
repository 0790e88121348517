"""Whoosh's analysis of a document's text, made where the text is read (an ingest worker) and handed to the writer.

Whoosh analyses text in the process that holds its writer: on an ingest, the one process that also writes the
catalog, where the analysis of the body took about 45 % of the indexing CPU (issue 19). The body field of the
schema is an `AnalyzedText`: a Whoosh TEXT field that takes either the text (analysed by the writer, as before) or
the `Terms` that `analyze` made of the same text in a worker: the same (term, frequency, weight, positions) items
Whoosh's own `index()` gives, because they are made by that very method, on a field built by the same function.

The writer takes the Terms only for the text they were made of (`Terms.fits`); any other text it analyses itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import TEXT

ANALYSED_CHARS = 1_000_000  # longer texts are analysed by the writer: a worker's answer travels in one message


def stem_analyzer():
    return StemmingAnalyzer(stoplist=None, minsize=1)


@dataclass(frozen=True, slots=True)
class Terms:
    """One text's terms as Whoosh's field.index() gives them, and the length of the text they were made of."""

    chars: int
    items: tuple[tuple[bytes, int, float, bytes], ...]  # (term, frequency, weight, encoded positions), per term

    def fits(self, pages: Sequence[str]) -> bool:
        """Made of these pages (joined by newlines, as the body field takes them)?"""
        return self.chars == sum(map(len, pages)) + max(len(pages) - 1, 0)


class AnalyzedText(TEXT):
    """A TEXT field that also takes its terms ready-made (a `Terms`), analysed elsewhere by this same class."""

    def index(self, value: Any, **kwargs: Any):
        if isinstance(value, Terms):
            return value.items
        return super().index(value, **kwargs)


def body_field() -> AnalyzedText:
    """The schema's body field (dms.index.whoosh_backend.build_schema) and the one `analyze` uses."""
    return AnalyzedText(analyzer=stem_analyzer())


@cache
def _body() -> AnalyzedText:
    return body_field()


def analyze(pages: Sequence[str]) -> Terms | None:
    """The body's terms, for the writer to take as they are; None for a text it had better analyse itself."""
    text = "\n".join(pages)
    if not text or len(text) > ANALYSED_CHARS:
        return None
    return Terms(len(text), tuple(_body().index(text)))
