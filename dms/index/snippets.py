"""Engine-neutral snippets: the best page of a hit, its best window, hits marked with <mark>.

Text outside the marks is HTML-escaped, so a snippet is safe to render as HTML.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache

from whoosh.lang.porter import stem as _porter

from dms.index import query as q

stem = lru_cache(maxsize=100_000)(_porter)  # the stemmer is pure and each snippet stems hundreds of words
_WORD = re.compile(r"\w+", re.UNICODE)
WINDOW = 32  # words in a snippet


@dataclass(frozen=True, slots=True)
class Terms:
    stems: frozenset[str]
    prefixes: tuple[str, ...]
    exact: frozenset[str]  # expanded index terms from prefix/fuzzy parts
    sequences: tuple[tuple[str, ...], ...] = ()  # phrases and identifiers: marked only where whole

    def matches(self, word: str) -> bool:
        low = word.lower()
        stemmed = stem(low)
        if low in self.exact or stemmed in self.stems or stemmed in self.exact:
            return True
        return bool(self.prefixes) and low.startswith(self.prefixes)

    def keys(self) -> list[str]:
        words = [*self.stems, *(w for seq in self.sequences for w in seq)]
        keys = [w[: max(3, len(w) - 1)] for w in words] + list(self.prefixes) + list(self.exact)
        return [k for k in keys if k]

    def marks(self, words: list[str]) -> list[bool]:
        """Which of these words to mark: single terms anywhere, sequences only where complete."""
        seen: dict[str, bool] = {}  # a page repeats its words: decide each spelling once
        marks = []
        for w in words:
            hit = seen.get(w)
            if hit is None:
                hit = seen[w] = self.matches(w)
            marks.append(hit)
        if self.sequences:
            stems = [stem(w.lower()) for w in words]
            for seq in self.sequences:
                n = len(seq)
                for i in range(len(words) - n + 1):
                    if tuple(stems[i : i + n]) == seq:
                        marks[i : i + n] = [True] * n
        return marks


def query_terms(tree, expanded: frozenset[str] = frozenset()) -> Terms:
    stems: set[str] = set()
    prefixes: list[str] = []
    sequences: list[tuple[str, ...]] = []

    def sequence(text: str) -> None:
        words = tuple(stem(w.lower()) for w in _WORD.findall(text))
        if len(words) == 1:
            stems.add(words[0])
        elif words:
            sequences.append(words)

    def walk(n):
        if isinstance(n, q.Word) and n.field in (None, "body", "title"):
            sequence(n.text)  # a word like KX200-03 is analysed into several: a sequence too
        elif isinstance(n, q.Phrase) and n.field in (None, "body", "title"):
            sequence(n.text)
        elif isinstance(n, q.Ident):
            sequence(n.number)
            if n.revision:
                sequence(f"{n.number} rev {n.revision}")
        elif isinstance(n, q.Prefix) and n.field in (None, "body", "title"):
            prefixes.append(n.text.lower())
        elif isinstance(n, (q.And, q.Or, q.Ranked)):
            for i in n.items:
                walk(i)
        # NOT parts and field filters are not highlighted

    walk(tree)
    return Terms(frozenset(stems), tuple(prefixes), frozenset(expanded), tuple(sequences))


def best_page(pages: tuple[str, ...], terms: Terms) -> int:
    """1-based number of the page that mentions the query most (1 when none does)."""
    keys = terms.keys()
    if not keys or len(pages) <= 1:
        return 1
    best, best_score = 1, 0
    for number, text in enumerate(pages, start=1):
        low = text.lower()
        distinct = sum(1 for k in keys if k in low)
        score = distinct * 1000 + sum(low.count(k) for k in keys)
        if score > best_score:
            best, best_score = number, score
    return best


REGION = 800  # characters either side of where a long page's hits are densest


@lru_cache(maxsize=1024)
def _starts(keys: tuple[str, ...]) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True)) + ")")


def _dense_region(text: str, terms: Terms) -> tuple[int, int]:
    """Where on a long page the words that can match start closest together (a cheap pre-scan: only the
    region is then analysed word by word). Without any, the page's start."""
    keys = tuple(sorted(set(terms.keys())))
    found = [m.start() for m in _starts(keys).finditer(text.lower())] if keys else []
    if not found:
        return 0, min(len(text), 2 * REGION)
    best, best_n, j = found[0], 0, 0
    for i, at in enumerate(found):  # the most starts within REGION characters
        while found[j] < at - REGION:
            j += 1
        if i - j + 1 > best_n:
            best_n, best = i - j + 1, (found[j] + at) // 2
    return max(0, best - REGION), min(len(text), best + REGION)


def snippet(text: str, terms: Terms, window: int = WINDOW) -> str:
    """The best window of the text with its hits marked; on a long page, searched near its densest hits."""
    if len(text) <= 3 * REGION:
        return _snippet(text, terms, window)
    lo, hi = _dense_region(text, terms)
    if lo > 0:
        lo = text.find(" ", lo) + 1 or lo  # whole words only
    if hi < len(text):
        cut = text.rfind(" ", lo, hi)
        hi = cut if cut > lo else hi
    part = _snippet(text[lo:hi], terms, window)
    if lo > 0 and part and not part.startswith("… "):
        part = "… " + part
    if hi < len(text) and part and not part.endswith(" …"):
        part += " …"
    return part


def _snippet(text: str, terms: Terms, window: int = WINDOW) -> str:
    words = list(_WORD.finditer(text))
    if not words:
        return ""
    marks = terms.marks([m.group(0) for m in words])
    start = 0
    if any(marks):  # the window with the most hits, moved to centre them
        running = best = sum(marks[:window])
        for i in range(1, len(words) - window + 1):
            running += marks[i + window - 1] - marks[i - 1]
            if running > best:
                best, start = running, i
        inside = [i for i in range(start, min(start + window, len(words))) if marks[i]]
        first, last = inside[0], inside[-1]
        start = first - (window - (last - first + 1)) // 2
        start = max(0, min(start, len(words) - window))
    chosen = words[start : start + window]
    out, pos = [], chosen[0].start()
    for m, marked in zip(chosen, marks[start : start + window]):
        out.append(html.escape(text[pos : m.start()]))
        word = html.escape(m.group(0))
        out.append(f"<mark>{word}</mark>" if marked else word)
        pos = m.end()
    body = " ".join("".join(out).split())
    prefix = "… " if start > 0 else ""
    suffix = " …" if start + window < len(words) else ""
    return prefix + body + suffix


def highlight(text: str, terms: Terms) -> tuple[str, int]:
    """The whole text, HTML-escaped, with the query's hits marked; and how many were marked."""
    out, pos, count = [], 0, 0
    words = list(_WORD.finditer(text))
    for m, marked in zip(words, terms.marks([w.group(0) for w in words])):
        out.append(html.escape(text[pos : m.start()]))
        word = html.escape(m.group(0))
        out.append(f"<mark>{word}</mark>" if marked else word)
        count += marked
        pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out), count


def surface_form(pages: tuple[str, ...], term: str) -> str:
    """The first word in the text that the index stores as `term` (a stem), as it is written."""
    for text in pages:
        for m in _WORD.finditer(text):
            word = m.group(0).lower()
            if word == term or stem(word) == term:
                return word
    return term
