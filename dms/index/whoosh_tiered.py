"""A ranked OR for Whoosh (q.Ranked): documents holding any part, `tier` more for holding all of them and again
for all but one, the parts' BM25 summed within.

Built from Whoosh's own queries (an And of all parts, an Or of the n Ands of all but one, an Or of the parts)
this costs n² matchers and seconds on a question of ten words; here one matcher steps the n part matchers
together and counts, at each document, how many stand on it. Scores are the same as that composition.
"""

from __future__ import annotations

from whoosh import matching
from whoosh.query import Or

from dms.index.query import TIER


class _TierMatcher(matching.Matcher):
    def __init__(self, subs: list, parts: int, tier: float):
        self.subs = subs
        self.parts = parts  # parts of the query, also those without a matcher (a word the index lacks)
        self.tier = tier

    def _active(self) -> list:
        return [m for m in self.subs if m.is_active()]

    def is_active(self) -> bool:
        return any(m.is_active() for m in self.subs)

    def id(self) -> int:
        return min(m.id() for m in self.subs if m.is_active())

    def next(self) -> None:
        current = self.id()
        for m in self._active():
            if m.id() == current:
                m.next()

    def skip_to(self, id: int) -> None:
        for m in self._active():
            if m.id() < id:
                m.skip_to(id)

    def score(self) -> float:
        current = self.id()
        here = [m for m in self._active() if m.id() == current]
        bonus = self.tier if len(here) >= self.parts else 0.0
        if self.parts >= 3 and len(here) >= self.parts - 1:
            bonus += self.tier
        return bonus + sum(m.score() for m in here)

    def weight(self) -> float:
        return self.score()

    def children(self) -> list:
        return list(self.subs)

    def supports_block_quality(self) -> bool:
        return False

    def replace(self, minquality: float = 0):
        return self if self.is_active() else matching.NullMatcher()

    def copy(self):
        return _TierMatcher([m.copy() for m in self.subs], self.parts, self.tier)

    def reset(self) -> None:
        for m in self.subs:
            m.reset()


class Tiered(Or):
    """Or(parts) scored by how many of the parts a document holds (see the module docstring)."""

    JOINT = " TIERED "

    def __init__(self, subqueries, tier: float = TIER, boost: float = 1.0, **_):
        super().__init__(subqueries, boost=boost)
        self.tier = tier

    def normalize(self):
        return self

    def matcher(self, searcher, context=None):
        subs = [m for m in (s.matcher(searcher, context) for s in self.subqueries) if m.is_active()]
        return _TierMatcher(subs, len(self.subqueries), self.tier) if subs else matching.NullMatcher()
