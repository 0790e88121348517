"""Queries as people type them: read forgivingly, never refused for a slip of the keyboard.

    the query language means what it says where it parses    lid OR cover   "heating element"   type:minutes
    operators are AND, OR, NOT in capitals (and -word):       lid or the cover -> words;  lid OR cover
      lowercase and/or/not are words of a sentence
    typing slips are read as plain words, with a notice       "lid hinge   (lid   hinge?   th*e   colour:red
    stop words among bare words are left out                  what did we agree about the lid hinge?
                                                                  -> agree lid hinge
    3 or more bare words rank: all words first, then all      kettle lid hinge cracked after two weeks
      but one, then the rest, BM25 within each (q.Ranked);
      brackets around bare words are prose, not a group
    1 or 2 bare words, or AND typed: every word required      lid hinge    kettle AND lid AND hinge
    what the language was asked wrongly stays an error        type:invoice   date:[2023-13 to *]
      (an unknown type, a bad date, a bound: terms, depth)

Everything that is not a bare word (a phrase, an identifier's exact match aside, field:value, prefix*, fuzzy~,
an OR group, a NOT or -word) is never dropped or loosened: it stays required, and the bare words rank within
what it selects. Holds and bundles do not come here: their scope is the query language read strictly
(dms.search.matching_ids), where lowercase and/or/not are operators as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dms.errors import QueryError
from dms.identifiers import IdentifierMatcher
from dms.index import query as q
from dms.index.limits import Limits
from dms.index.stopwords import is_stop

RANK_FROM = 3  # bare words (after stop words) from which documents need not hold every word
OPERATORS = ("AND", "OR", "NOT")
_PLAIN = re.compile(r"\w+(?:[-./']\w+)*", re.UNICODE)
_TEXT_FIELDS = ("title", "body", "path", "party")
_SENTENCE = re.compile(r"[.,;:!…]+")  # punctuation that ends or splits a sentence
READ, IGNORED = "read as plain words", "ignored"


@dataclass(frozen=True, slots=True)
class Reading:
    tree: object | None  # None: nothing searchable was left
    text: str  # what was searched, in the query language
    notice: str | None  # one line saying what was not read as the query language
    ranked: tuple[str, ...] = ()  # the words documents are ranked by (empty: every word is required)


@dataclass
class _Slips:
    """What a reading could not take as the query language, said once each, in the order met."""

    seen: dict[str, list[str]] = field(default_factory=lambda: {READ: [], IGNORED: []})

    def add(self, verb: str, what: str) -> None:
        if what not in self.seen[verb]:
            self.seen[verb].append(what)

    def notice(self, nothing_left: bool = False) -> str | None:
        parts = [f"{_listed(items)} {'was' if len(items) == 1 else 'were'} {verb}"
                 for verb, items in self.seen.items() if items]
        if nothing_left:
            parts.append("nothing was left to search for")
        return "; ".join(parts) or None


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def read(query: str, matcher: IdentifierMatcher | None = None, limits: Limits = Limits()) -> Reading:
    """The query as the rules above read it. Raises QueryError only for what is not a slip (see above).
    A text of more terms than DMS_QUERY_MAX_TERMS (a pasted paragraph) is read without its stop words; the
    bound holds for what is left."""
    try:
        return _read(query, matcher, limits)
    except QueryError as exc:
        if getattr(exc, "bound", None) != "terms":
            raise
        shorter = _join([(t.kind, t.text) for t in q.tokens(query, matcher)
                         if not (t.kind == "word" and is_stop(t.text))])
        if shorter != query.strip():
            try:
                return _read(shorter, matcher, limits)
            except QueryError as again:
                if getattr(again, "bound", None) != "terms":
                    raise
        # still too long: a pasted paragraph (prose, no query syntax: a query of 300 fuzzy words stays refused) is
        # searched for its distinct words, as many as the bound allows, said in a notice
        if re.search(r"[~*:\[\]]|\w\?\w", query):
            raise exc from None
        words = list(dict.fromkeys(w.lower() for w in _PLAIN.findall(query)
                                   if not is_stop(w) and w.upper() not in OPERATORS))
        if len(words) <= 1:
            raise exc from None
        kept = words[: max(1, limits.terms - 1)]
        reading = _read(" ".join(kept), matcher, limits)
        note = f"the text was long: searched for its first {len(kept)} of {len(words)} distinct words"
        return Reading(reading.tree, reading.text, "; ".join(filter(None, (reading.notice, note))), reading.ranked)


_CLITIC = re.compile(r"(?:n't|'(?:s|t|re|ve|ll|d|m)?)$", re.IGNORECASE)


def _without_clitics(query: str, matcher: IdentifierMatcher | None) -> str:
    """Bare words as people write them: "customer's" and "lid's" are customer and lid (not the phrase "lid s"
    the analyser would make of them); "don't" and other contracted stop words go."""
    if "'" not in query:
        return query
    out = []
    for t in q.tokens(query, matcher):
        if t.kind == "word" and "'" in t.text and not t.text.startswith("'"):
            bare = _CLITIC.sub("", t.text)
            if not bare or is_stop(t.text) or is_stop(bare):
                continue
            out.append((t.kind, bare))
        else:
            out.append((t.kind, t.text))
    return _join(out)


def _read(query: str, matcher: IdentifierMatcher | None, limits: Limits) -> Reading:
    slips = _Slips()
    try:
        query = _without_clitics(query, matcher)
    except QueryError:
        pass  # what cannot be split into tokens is left to the repair below
    text = query
    try:
        tree = q.parse(query, matcher, limits, capitals=True)
    except QueryError as exc:
        if not getattr(exc, "repairable", False):
            raise
        text = repair(query, matcher, slips)
        try:
            tree = q.parse(text, matcher, limits, capitals=True) if text.strip() else None
        except QueryError as again:
            if not getattr(again, "repairable", False):
                raise
            slips = _Slips()  # the repair left something unreadable: every word as a word
            slips.add(READ, "the query")
            text = plain(query)
            tree = q.parse(text, matcher, limits, capitals=True) if text.strip() else None
    tree = _drop_noise(tree, slips) if tree is not None else None
    if tree is None:
        return Reading(None, "", slips.notice(nothing_left=True))
    tree, ranked = rank(tree, text)
    return Reading(tree, text, slips.notice(), ranked)


def plain(text: str) -> str:
    """Every word of text as a plain word: no operator, quote, bracket, field or wildcard left."""
    return " ".join(w for w in _PLAIN.findall(text) if w.upper() not in OPERATORS)


def _words(text: str) -> list[tuple[str, str]]:
    return [("word", w) for w in _PLAIN.findall(text) if w.upper() not in OPERATORS]


def _bad_word(text: str) -> bool:
    """A word the parser refuses as a typing slip: a misplaced wildcard or ?, a prefix of one letter."""
    if text.endswith("*"):
        stem = text.rstrip("*")
        return len(stem) < 2 or "*" in stem or "?" in stem
    if re.fullmatch(r"(.+?)~(\d)?", text):
        return "*" in text or "?" in text
    return "*" in text or "?" in text


def repair(query: str, matcher: IdentifierMatcher | None, slips: _Slips) -> str:
    """The query with its slips replaced by plain words (or left out), as query-language text."""
    toks = q.tokens(query, matcher)
    question = query.rstrip().endswith("?")
    out: list[tuple[str, str]] = []
    for i, t in enumerate(toks):
        kind, text = t.kind, t.text
        if kind == "stray":
            slips.add(IGNORED, f"the stray {text}")
        elif kind == "open_phrase":
            slips.add(READ, "the unclosed quote")
            out += _words(text[1:])
        elif kind == "open_range":
            slips.add(READ, "the unclosed [")
            out += _words(text[1:])
        elif kind == "phrase" and not text[1:-1].strip():
            slips.add(IGNORED, 'the empty ""')
        elif kind == "range" and not (out and out[-1][0] == "field"
                                      and q.FIELDS.get(out[-1][1].lower()) in ("date", "year")):
            slips.add(READ, f"{text} without date:")
            out += _words(text[1:-1])
        elif kind == "field" and text.lower() not in q.FIELDS:
            slips.add(READ, f"{text}: (not a field)")
            out += _words(text)
        elif kind == "word" and _bad_word(text):
            if question and i == len(toks) - 1 and text.endswith("?"):
                slips.add(READ, "the question")
            elif "?" in text:
                slips.add(READ, f"the ? in {text}")
            else:
                slips.add(READ, f"the misplaced wildcard in {text}")
            out += _words(text)
        else:
            out.append((kind, text))
    return _join(_balanced(out, slips))


def _join(toks: list[tuple[str, str]]) -> str:
    """Tokens as query text again: a field name is followed by its value, a minus by what it excludes."""
    return "".join({"field": text + ":", "minus": text}.get(kind, text + " ") for kind, text in toks).strip()


def _operand_kind(kind: str | None) -> bool:
    return kind is not None and kind not in ("lparen", "rparen", "AND", "OR", "NOT", "minus", "field")


def _balanced(toks: list[tuple[str, str]], slips: _Slips) -> list[tuple[str, str]]:
    """Brackets matched, operators with something on each side, fields with a value: what is not, goes."""
    changed = True
    while changed:
        changed = False
        opened, keep = [], [True] * len(toks)
        for i, (kind, _) in enumerate(toks):
            if kind == "lparen":
                opened.append(i)
            elif kind == "rparen":
                if not opened:
                    keep[i] = False
                    slips.add(IGNORED, "the unmatched )")
                elif opened[-1] == i - 1:
                    keep[opened.pop()] = keep[i] = False
                    slips.add(IGNORED, "the empty brackets")
                else:
                    opened.pop()
        for i in opened:
            keep[i] = False
            slips.add(IGNORED, "the unclosed (")
        for i, (kind, text) in enumerate(toks):
            if not keep[i]:
                continue
            before = next((toks[j][0] for j in range(i - 1, -1, -1) if keep[j]), None)
            after = next((toks[j][0] for j in range(i + 1, len(toks)) if keep[j]), None)
            if kind in ("AND", "OR"):
                ok = (_operand_kind(before) or before == "rparen") and after not in (None, "rparen", "AND", "OR")
            elif kind in ("NOT", "minus"):
                ok = after not in (None, "rparen", "AND", "OR")
            elif kind == "field":
                name = q.FIELDS[text.lower()]
                ok = after in ("word", "phrase", "ident", "range") or (after == "lparen" and name in _TEXT_FIELDS)
                if not ok:
                    toks[i] = ("word", text)
                    slips.add(READ, f"{text}: without a value")
                    changed = True
                continue
            else:
                continue
            if not ok:
                keep[i] = False
                slips.add(IGNORED, f"the dangling {text}")
        if not all(keep):
            toks = [t for t, k in zip(toks, keep) if k]
            changed = True
    return toks


def _drop_noise(tree, slips: _Slips):
    """The tree without words that are only punctuation ("lid & hinge"): as required words they would match
    nothing."""
    if isinstance(tree, (q.Word, q.Phrase)) and not re.search(r"\w", tree.text):
        if not _SENTENCE.fullmatch(tree.text):  # a full stop or comma of a typed sentence goes without a word
            slips.add(IGNORED, f"the stray {tree.text}")
        return None
    if isinstance(tree, (q.And, q.Or)):
        items = [x for x in (_drop_noise(i, slips) for i in tree.items) if x is not None]
        if not items:
            return None
        return items[0] if len(items) == 1 else type(tree)(tuple(items))
    if isinstance(tree, q.Not):
        inner = _drop_noise(tree.item, slips)
        return None if inner is None else q.Not(inner)
    return tree


def _and_typed(text: str) -> bool:
    """AND typed outside quotes: the person asked for every word."""
    return bool(re.search(r"\bAND\b", re.sub(r'"[^"]*"?', " ", text)))


def _flat(tree) -> tuple:
    """The parts of an AND, with groups of ANDed parts (prose in brackets) opened up."""
    if isinstance(tree, q.And):
        return tuple(part for item in tree.items for part in _flat(item))
    return (tree,)


def _label(node) -> str:
    if isinstance(node, q.Ident):
        return f"{node.number} Rev {node.revision}" if node.revision else node.number
    return node.text


def rank(tree, text: str) -> tuple[object, tuple[str, ...]]:
    """Stop words out of the bare words, and 3 or more bare words ranked (q.Ranked) instead of all required."""
    items = _flat(tree)
    bare = [isinstance(i, q.Ident) or (isinstance(i, q.Word) and i.field is None) for i in items]
    required = [i for i, b in zip(items, bare) if not b]
    words, seen = [], set()
    for item, b in zip(items, bare):
        if not b or (isinstance(item, q.Word) and is_stop(item.text)) or _label(item).lower() in seen:
            continue
        seen.add(_label(item).lower())
        words.append(item)
    if not words and not required:
        return tree, ()  # only stop words ("the who"): searched as typed
    if len(words) >= RANK_FROM and not _and_typed(text):
        ranked = q.Ranked(tuple(words))
        return (q.And((*required, ranked)) if required else ranked), tuple(_label(w) for w in words)
    kept = (*required, *words)
    return (kept[0] if len(kept) == 1 else q.And(kept)), ()


def correction_distance(word: str) -> int:
    """How many edits a "did you mean" may make to this word: none to a stop word or a word under 3 letters
    ("two" is not a misspelt "the"), 1 up to 4 letters, 2 beyond."""
    if len(word) < 3 or is_stop(word) or not word.isalpha():
        return 0
    return 1 if len(word) <= 4 else 2


def has_ranked(tree) -> bool:
    if isinstance(tree, q.Ranked):
        return True
    return isinstance(tree, (q.And, q.Or)) and any(has_ranked(i) for i in tree.items)


def all_required(tree):
    """The tree with every Ranked part requiring all its words: what "did you mean" compares counts of."""
    if isinstance(tree, q.Ranked):
        return q.And(tree.items)
    if isinstance(tree, (q.And, q.Or)):
        return type(tree)(tuple(all_required(i) for i in tree.items))
    if isinstance(tree, q.Not):
        return q.Not(all_required(tree.item))
    return tree
