"""The dms query language, parsed once into an engine-neutral tree.

    kettle lid                 both words (AND is implied)
    "heating element"          a phrase
    lid OR cover, NOT recall   boolean operators (also -recall), parentheses group
    type:specification         field:value  (fields: see FIELDS)
    date:[2022-01 to 2023-06]  a date range; either end may be * (open)
    therm*  warrenty~  warrenty~2   prefix, fuzzy (edit distance 1 or 2)
    CR-2023-014, "SPEC-KX200-03 Rev B"   identifiers are recognised and found first
    linked:CR-2023-014         only documents the cross-reference graph ties to it

Each engine translates this tree; a malformed query raises QueryError with the position. A query's size and
cost are bounded by `Limits` (terms, nesting depth, fuzzy/prefix expansion, time), each named by a DMS_ setting.
Errors a person makes while typing (an unclosed quote or bracket, a stray `?` or `*`, a dangling operator, an
unknown field) are marked `repairable`: `dms.index.forgive` reads such a query as plain words instead. Errors in
what the language was asked to do (an unknown type, a bad date, a bound) never are.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from dms.errors import QueryError
from dms.identifiers import IdentifierMatcher
from dms.index.limits import Limits
from dms.revisions import normalize_revision
from dms.rules import DOC_TYPES

FIELDS = {
    "title": "title", "body": "body", "text": "body", "path": "path", "file": "path", "name": "path",
    "type": "type", "product": "product", "party": "party", "number": "number", "no": "number",
    "rev": "revision", "revision": "revision", "ref": "ref", "year": "year", "date": "date",
    "linked": "linked",
}


# -- the tree -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Word:
    text: str
    field: str | None = None


@dataclass(frozen=True)
class Phrase:
    text: str
    field: str | None = None


@dataclass(frozen=True)
class Prefix:
    text: str
    field: str | None = None


@dataclass(frozen=True)
class Fuzzy:
    text: str
    distance: int = 1
    field: str | None = None


@dataclass(frozen=True)
class Ident:
    number: str
    revision: str | None = None


@dataclass(frozen=True)
class Exact:
    """A keyword field equals a value: type, product, number, revision, ref."""

    field: str
    value: str


@dataclass(frozen=True)
class DateRange:
    start: date | None
    end: date | None


@dataclass(frozen=True)
class And:
    items: tuple


@dataclass(frozen=True)
class Or:
    items: tuple


@dataclass(frozen=True)
class Not:
    item: object


TIER = 10_000.0  # what matching all words (and again all but one) adds to a Ranked score: more than BM25 gives


@dataclass(frozen=True)
class Ranked:
    """Documents matching any of `items` (words, identifiers): those matching all first, then all but one,
    then the rest; BM25 orders each tier. How many words a person types is no longer how many a document must
    hold (see dms.index.forgive for when a query is read this way)."""

    items: tuple


@dataclass(frozen=True)
class MatchAll:
    pass


@dataclass(frozen=True)
class Linked:
    """Documents the cross-reference graph ties to `ref`; resolved to a DocSet before any engine sees it."""

    ref: str


@dataclass(frozen=True)
class DocSet:
    ids: frozenset[int]


def plain_words(tree) -> list[str]:
    """The unfielded (or body) words of a query, for "did you mean" on either engine."""
    if isinstance(tree, Word) and tree.field in (None, "body"):
        return [tree.text]
    if isinstance(tree, (And, Or, Ranked)):
        return [w for i in tree.items for w in plain_words(i)]
    return []


def resolve_linked(tree, resolve):
    """The tree with every Linked node replaced by the DocSet `resolve(ref)` returns."""
    if isinstance(tree, Linked):
        return DocSet(frozenset(resolve(tree.ref)))
    if isinstance(tree, (And, Or, Ranked)):
        return type(tree)(tuple(resolve_linked(i, resolve) for i in tree.items))
    if isinstance(tree, Not):
        return Not(resolve_linked(tree.item, resolve))
    return tree


# -- lexing -------------------------------------------------------------------------------------
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<lparen>\() | (?P<rparen>\)) |
      (?P<range>\[[^\]]*\]?) |
      (?P<phrase>"[^"]*"?) |
      (?P<field>[A-Za-z_]+):(?=\S) |
      (?P<minus>-)(?=[\w"(\[]) |
      (?P<word>[^\s()"\[\]]+)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    pos: int


def repairable(exc: QueryError) -> QueryError:
    """Mark a typing slip: a query failing only with these can be read as plain words (dms.index.forgive)."""
    exc.repairable = True
    return exc


def _lex(query: str, matcher: IdentifierMatcher | None, forgiving: bool = False,
         capitals: bool = False) -> list[_Tok]:
    """The query's tokens. `forgiving` never raises: an unclosed quote or range and an unexpected character
    come back as tokens of kind open_phrase, open_range and stray, for dms.index.forgive to repair. With
    `capitals`, only AND, OR and NOT written in capitals are operators (and, or, not are words)."""
    idents = []
    if matcher is not None:
        masked = re.sub(r'"[^"]*"?|\[[^\]]*\]?|[A-Za-z_]+:\S+', lambda m: " " * len(m.group(0)), query)
        idents = [(m.start, m.end, m) for m in matcher.find(masked, flexible=True)]
    tokens, pos = [], 0
    while pos < len(query):
        if query[pos].isspace():
            pos += 1
            continue
        ident = next((i for i in idents if i[0] == pos), None)
        if ident:
            tokens.append(_Tok("ident", query[ident[0]:ident[1]], pos))
            pos = ident[1]
            continue
        m = _TOKEN.match(query, pos)
        if not m or m.end() == pos:
            if forgiving:
                tokens.append(_Tok("stray", query[pos], pos))
                pos += 1
                continue
            raise repairable(QueryError(f"unexpected character {query[pos]!r}", query, pos))
        kind = m.lastgroup
        text = m.group(kind)
        start = m.start(kind)
        if kind == "phrase" and (len(text) < 2 or not text.endswith('"')):
            if not forgiving:
                raise repairable(QueryError("a phrase is missing its closing quote", query, start))
            kind = "open_phrase"
        if kind == "range" and not text.endswith("]"):
            if not forgiving:
                raise repairable(QueryError("a date range is missing its closing ]", query, start))
            kind = "open_range"
        if kind == "word" and (text if capitals else text.upper()) in ("AND", "OR", "NOT"):
            kind = text.upper()
        tokens.append(_Tok(kind, text, start))
        pos = m.end()
    return tokens


# -- parsing ------------------------------------------------------------------------------------
class _Parser:
    def __init__(self, query: str, tokens: list[_Tok], matcher: IdentifierMatcher | None, limits: Limits):
        self.q, self.toks, self.i, self.matcher = query, tokens, 0, matcher
        self.limits, self.depth = limits, 0

    def nested(self, tok: _Tok) -> None:
        """One level deeper (a bracket or a NOT); refused past DMS_QUERY_MAX_DEPTH, before any recursion can
        run out of stack. The caller steps back out with `self.depth -= 1`."""
        self.depth += 1
        if self.depth > self.limits.depth:
            raise self.error(f"brackets and NOTs are nested more than DMS_QUERY_MAX_DEPTH={self.limits.depth} "
                             "deep; write the query flatter", tok)

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def error(self, message: str, tok: _Tok | None = None, slip: bool = False) -> QueryError:
        exc = QueryError(message, self.q, tok.pos if tok else len(self.q))
        return repairable(exc) if slip else exc

    def parse(self):
        if not self.toks:
            raise QueryError("the query is empty; type some words, an identifier or field:value")
        node = self.or_expr()
        tok = self.peek()
        if tok is not None:
            message = "unmatched closing parenthesis" if tok.kind == "rparen" else "unexpected text"
            raise self.error(message, tok, slip=True)
        return node

    def or_expr(self):
        items = [self.and_expr()]
        while (tok := self.peek()) and tok.kind == "OR":
            self.take()
            if self.peek() is None or self.peek().kind in ("rparen", "OR", "AND"):
                raise self.error("OR needs something after it", self.peek() or tok, slip=True)
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self):
        items = [self.unary()]
        while (tok := self.peek()) and tok.kind not in ("OR", "rparen"):
            if tok.kind == "AND":
                self.take()
                if self.peek() is None or self.peek().kind in ("rparen", "OR", "AND"):
                    raise self.error("AND needs something after it", self.peek() or tok, slip=True)
            items.append(self.unary())
        return items[0] if len(items) == 1 else And(tuple(items))

    def unary(self):
        tok = self.peek()
        if tok is None:
            raise self.error("the query ends where a word was expected", slip=True)
        if tok.kind in ("NOT", "minus"):
            self.take()
            if self.peek() is None:
                raise self.error(f"{tok.text} needs something after it", tok, slip=True)
            self.nested(tok)
            node = Not(self.unary())
            self.depth -= 1
            return node
        return self.primary()

    def primary(self):
        tok = self.take()
        if tok.kind == "lparen":
            if (nxt := self.peek()) and nxt.kind == "rparen":
                raise self.error("empty parentheses", nxt, slip=True)
            self.nested(tok)
            node = self.or_expr()
            if not (close := self.peek()) or close.kind != "rparen":
                raise self.error("a parenthesis is not closed", tok, slip=True)
            self.take()
            self.depth -= 1
            return node
        if tok.kind == "field":
            return self.fielded(tok)
        if tok.kind == "ident":
            m = self.matcher.fullmatch(tok.text)
            return Ident(m.number, m.revision)
        if tok.kind == "phrase":
            return self.phrase(tok, None)
        if tok.kind == "range":
            raise self.error("a date range needs a field: date:[2022-01 to 2023-06]", tok, slip=True)
        if tok.kind == "word":
            return word_node(tok.text, None, self, tok)
        if tok.kind in ("AND", "OR"):
            raise self.error(f"{tok.kind} needs something before it", tok, slip=True)
        raise self.error("unexpected closing parenthesis", tok, slip=True)

    def phrase(self, tok: _Tok, field: str | None):
        inner = tok.text[1:-1].strip()
        if not inner:
            raise self.error("empty phrase", tok, slip=True)
        if field is None and self.matcher is not None and (m := self.matcher.fullmatch(inner)):
            return Ident(m.number, m.revision)
        return Phrase(inner, field)

    def fielded(self, tok: _Tok):
        name = tok.text.rstrip(":").lower()
        field = FIELDS.get(name)
        if field is None:
            known = ", ".join(sorted(set(FIELDS) - {"text", "file", "name", "no", "rev"}))
            raise self.error(
                f"unknown field {name!r}; fields are: {known} (quote the text to search it literally)", tok, slip=True)
        value = self.peek()
        if value is None:
            raise self.error(f"{name}: needs a value", tok, slip=True)
        if field in ("date", "year"):
            return self.date_value(field, self.take())
        if field == "linked":
            tok = self.take()
            if tok.kind not in ("word", "phrase", "ident"):
                raise self.error("linked: needs an identifier, product, party or document", tok, slip=True)
            return Linked(tok.text[1:-1] if tok.kind == "phrase" else tok.text)
        if value.kind == "lparen":
            if field in ("title", "body", "path", "party"):
                return self._with_field(self.primary(), field)
            raise self.error(f"{name}: takes one value", value)
        value = self.take()
        if value.kind not in ("word", "phrase", "ident"):
            raise self.error(f"{name}: needs a value", value, slip=True)
        text = value.text[1:-1] if value.kind == "phrase" else value.text
        if field in ("title", "body", "path", "party"):
            if value.kind == "phrase":
                return Phrase(text, field)
            return word_node(text, field, self, value)
        return self.exact(field, text, value)

    def _with_field(self, node, field):
        if isinstance(node, (Word, Phrase, Prefix, Fuzzy)):
            return type(node)(**{**node.__dict__, "field": field})
        if isinstance(node, Ident):
            return Phrase(f"{node.number} {node.revision or ''}".strip(), field)
        if isinstance(node, (And, Or)):
            return type(node)(tuple(self._with_field(n, field) for n in node.items))
        if isinstance(node, Not):
            return Not(self._with_field(node.item, field))
        return node

    def exact(self, field: str, text: str, tok: _Tok):
        if field == "type":
            wanted = re.sub(r"[-_]+", " ", text.strip().lower())
            if wanted in DOC_TYPES:
                return Exact("type", wanted)
            matches = [t for t in DOC_TYPES if t.startswith(wanted)]
            if len(matches) == 1:
                return Exact("type", matches[0])
            raise self.error(f"unknown type {text!r}; types are: {', '.join(DOC_TYPES)}", tok)
        if field in ("number", "ref"):
            m = self.matcher.fullmatch(text) if self.matcher else None
            if m:
                if field == "number":
                    node = Exact("number", m.number.lower())
                    return And((node, Exact("revision", m.revision.lower()))) if m.revision else node
                return Exact("ref", m.token)
            return Exact(field, text.strip().lower())
        if field == "revision":  # rev:03 is revision 3, as the catalog holds it
            return Exact(field, (normalize_revision(text) or text.strip()).lower())
        return Exact(field, text.strip().lower())

    def date_value(self, field: str, tok: _Tok):
        if field == "year":
            if tok.kind != "word" or not re.fullmatch(r"\d{4}", tok.text):
                raise self.error("year: needs a four-digit year, e.g. year:2023", tok)
            y = int(tok.text)
            return DateRange(date(y, 1, 1), date(y, 12, 31))
        if tok.kind == "range":
            parts = re.split(r"\s+to\s+", tok.text[1:-1].strip(), flags=re.IGNORECASE)
            if len(parts) != 2:
                raise self.error("a date range is written [START to END], e.g. date:[2022-01 to 2023-06]", tok)
            start = None if parts[0].strip() in ("", "*") else self.parse_date(parts[0], tok, end=False)
            end = None if parts[1].strip() in ("", "*") else self.parse_date(parts[1], tok, end=True)
            if start and end and start > end:
                raise self.error(f"the range starts ({start}) after it ends ({end})", tok)
            return DateRange(start, end)
        if tok.kind == "word":
            return DateRange(self.parse_date(tok.text, tok, end=False), self.parse_date(tok.text, tok, end=True))
        raise self.error("date: needs a date (2023-03-14, 2023-03, 2023) or a range [START to END]", tok)

    def parse_date(self, text: str, tok: _Tok, end: bool) -> date:
        m = re.fullmatch(r"\s*(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?\s*", text)
        if not m:
            raise self.error(f"{text.strip()!r} is not a date; write 2023, 2023-03 or 2023-03-14", tok)
        y, mo, d = int(m.group(1)), m.group(2), m.group(3)
        try:
            if mo is None:
                return date(y, 12, 31) if end else date(y, 1, 1)
            mo = int(mo)
            if d is None:
                return date(y, mo, calendar.monthrange(y, mo)[1]) if end else date(y, mo, 1)
            return date(y, mo, int(d))
        except ValueError as exc:
            raise self.error(f"{text.strip()!r} is not a valid date: {exc}", tok) from None


def word_node(text: str, field: str | None, parser: _Parser, tok: _Tok):
    if text.endswith("*"):
        stem = text.rstrip("*")
        if len(stem) < 2 or "*" in stem:
            raise parser.error("a prefix search needs at least two letters before a trailing *", tok, slip=True)
        return Prefix(stem.lower(), field)
    m = re.fullmatch(r"(.+?)~(\d)?", text)
    if m:
        distance = int(m.group(2) or 1)
        if distance not in (1, 2):
            raise parser.error("fuzzy distance must be 1 or 2, e.g. warrenty~2", tok)
        return Fuzzy(m.group(1).lower(), distance, field)
    if "*" in text or "?" in text:
        raise parser.error("wildcards are only supported at the end of a word (therm*)", tok, slip=True)
    return Word(text, field)


def parse(query: str, matcher: IdentifierMatcher | None = None, limits: Limits = Limits(), capitals: bool = False):
    """Parse a query string into the tree above; raises QueryError (also past `limits.terms` and `.depth`).
    `capitals`: only AND, OR, NOT in capitals are operators (the forgiving reading of typed sentences)."""
    if len(query) > 2000:
        raise QueryError("the query is longer than 2,000 characters")
    if query.strip() == "*":
        return MatchAll()  # every document (with --as-of: everything the archive held then)
    tokens = _lex(query, matcher, capitals=capitals)
    terms = [t for t in tokens if t.kind in ("word", "phrase", "ident", "range")]
    if len(terms) > limits.terms:
        exc = QueryError(f"the query has {len(terms)} terms; DMS_QUERY_MAX_TERMS={limits.terms} is the most one "
                         "query may have", query, terms[limits.terms].pos)
        exc.bound = "terms"  # a forgiving reading may retry without the stop words of a pasted paragraph
        raise exc
    return _Parser(query, tokens, matcher, limits).parse()


def tokens(query: str, matcher: IdentifierMatcher | None = None) -> list[_Tok]:
    """The query's tokens as a forgiving reader sees them (never raises; operators in capitals; see `_lex`)."""
    return _lex(query, matcher, forgiving=True, capitals=True)
