"""What one query may cost: terms, nesting depth, fuzzy/prefix expansion and time, each bound named by
the DMS_ setting that sets it. The parser enforces terms and depth; the engines take an `Expansion` and a
`Deadline` while they translate and run a query.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from dms.errors import QueryError


@dataclass(frozen=True, slots=True)
class Limits:
    """What one query may cost; each bound is named by the setting that sets it (see dms.config)."""

    terms: int = 50  # DMS_QUERY_MAX_TERMS: words, phrases, identifiers, field values, prefixes and fuzzy words
    depth: int = 16  # DMS_QUERY_MAX_DEPTH: nested brackets and NOTs
    expansion: int = 200  # DMS_QUERY_MAX_EXPANSION: index terms one fuzzy word or prefix may stand for
    expansion_total: int = 1000  # DMS_QUERY_MAX_EXPANSION_TOTAL: the same, summed over the query
    timeout: float = 10.0  # DMS_QUERY_TIMEOUT: seconds

    @classmethod
    def of(cls, settings) -> Limits:
        return cls(settings.query_max_terms, settings.query_max_depth, settings.query_max_expansion,
                   settings.query_max_expansion_total, settings.query_timeout)


class Deadline:
    """The moment a query runs out of time (DMS_QUERY_TIMEOUT); `check()` raises QueryError after it."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def expired(self) -> bool:
        return time.monotonic() > self.at

    def check(self) -> None:
        if self.expired():
            raise self.error()

    def error(self) -> QueryError:
        return QueryError(f"the query took longer than DMS_QUERY_TIMEOUT={self.seconds:g}s; narrow it "
                          "(fewer fuzzy words~ and prefixes*, longer prefixes, or a field or date filter)")


class Expansion:
    """Counts the index terms fuzzy words and prefixes expand to, against DMS_QUERY_MAX_EXPANSION(_TOTAL).
    An engine asks `room()` how many terms to look for (one more than allowed, to tell "too many"), then
    `take()`s what it found."""

    def __init__(self, limits: Limits, deadline: Deadline):
        self.limits, self.deadline, self.total = limits, deadline, 0

    def room(self) -> int:
        return self.limits.expansion + 1

    def take(self, node, terms: set[str]) -> None:
        """Count the terms a fuzzy word or prefix (a node of dms.index.query) expanded to; QueryError saying
        what to do past a limit."""
        if hasattr(node, "distance"):
            what = f"the fuzzy word {node.text}~{node.distance if node.distance > 1 else ''}"
            remedy = "spell it out, or allow one edit (~) instead of two (~2)" if node.distance > 1 else "spell it out"
        else:
            what, remedy = f"the prefix {node.text}*", "give more letters before the *"
        if len(terms) > self.limits.expansion:
            raise QueryError(f"{what} matches more than DMS_QUERY_MAX_EXPANSION={self.limits.expansion} different "
                             f"words in the index; {remedy}")
        self.total += len(terms)
        if self.total > self.limits.expansion_total:
            raise QueryError(f"the fuzzy words and prefixes of the query match more than "
                             f"DMS_QUERY_MAX_EXPANSION_TOTAL={self.limits.expansion_total} different words in the "
                             "index; use fewer of them or give more letters")
        self.deadline.check()
