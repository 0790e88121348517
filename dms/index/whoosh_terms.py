"""Whoosh's analysis of a document's text, made where the text is read (an ingest worker) and handed to the writer.

Whoosh analyses text in the process that holds its writer: on an ingest, the one process that also writes the
catalog, where the analysis of the body took about 45 % of the indexing CPU (issue 19). The body field of the
schema is an `AnalyzedText`: a Whoosh TEXT field that takes either the text (analysed by the writer, as before) or
the `Terms` that `analyze` made of the same text in a worker: the (term, frequency, weight, positions) items
Whoosh's own `index()` gives for that text, on a field built by the same function (`body_field`).

The writer takes the Terms only for the text they were made of (`Terms.fits`, by a digest of the text); any other
text it analyses itself.

`analyze` walks the text with the analyzer's own parts (its tokenizer's expression, its stemmer and cache, the
format's weights) in one loop instead of Whoosh's chain of token generators, at twice the speed; for any other
chain than the one the schema builds it calls Whoosh's `index()`. tests/test_whoosh_terms.py holds both to stock
Whoosh's output.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pickle import dumps
from typing import Any

from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter, StemmingAnalyzer
from whoosh.fields import TEXT
from whoosh.formats import Positions
from whoosh.system import pack_uint

ANALYSED_CHARS = 1_000_000  # longer texts are analysed by the writer: a worker's answer travels in one message


def stem_analyzer():
    return StemmingAnalyzer(stoplist=None, minsize=1)


@dataclass(frozen=True, slots=True)
class Terms:
    """One text's terms as Whoosh's field.index() gives them, and a digest of the text they were made of."""

    digest: bytes
    items: tuple[tuple[bytes, int, float, bytes], ...]  # (term, frequency, weight, encoded positions), per term

    def fits(self, pages: Sequence[str]) -> bool:
        """Made of these pages (joined by newlines, as the body field takes them)?"""
        return self.digest == _digest("\n".join(pages))


def _digest(text: str) -> bytes:
    """The text's fingerprint (about 2 ms a megabyte; not hash(), whose seed differs from process to process)."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


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
    field = _body()
    return Terms(_digest(text), _one_loop(field, text) if _plain_chain(field) else tuple(field.index(text)))


def _plain_chain(field: TEXT) -> bool:
    """Is the field's analysis the schema's: words (a regex), lower case, stems, positions?"""
    parts = getattr(field.analyzer, "items", ())
    return (type(field.format) is Positions and len(parts) == 3 and type(parts[0]) is RegexTokenizer
            and not parts[0].gaps and type(parts[1]) is LowercaseFilter and type(parts[2]) is StemFilter
            and not parts[2].ignore)


def _one_loop(field: TEXT, text: str) -> tuple:
    """What Whoosh's field.index(text) gives for a _plain_chain field: (term, frequency, weight, positions) per
    term in the order of first use, positions encoded as Positions.encode writes them."""
    words, _, stemmer = field.analyzer.items
    stem = stemmer._stem  # the filter's own stemmer, behind its own cache
    positions: defaultdict[str, list[int]] = defaultdict(list)
    for pos, term in enumerate(map(stem, map(str.lower, map(re.Match.group, words.expression.finditer(text))))):
        positions[term].append(pos)
    boost = field.format.field_boost
    return tuple((term.encode("utf-8"), len(at), float(len(at)) * boost, _encoded(at))
                 for term, at in positions.items())


def _encoded(at: list[int]) -> bytes:
    return pack_uint(len(at)) + dumps([at[0], *(b - a for a, b in zip(at, at[1:]))], 2)
