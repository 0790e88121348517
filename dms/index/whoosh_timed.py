"""A Whoosh query that stops with the deadline's error (DMS_QUERY_TIMEOUT) while its matcher is stepped.

Whoosh does the costly part of a query of many fuzzy words inside building its matchers (an intersection
seeks its first document before anything is collected), so a check in the collector comes too late. The
fuzzy and prefix parts of a query are wrapped in `Timed`: every step of their matchers counts, and every
16th step looks at the clock.
"""

from __future__ import annotations

from whoosh import matching
from whoosh.query.wrappers import WrappingQuery

from dms.index.limits import Deadline

_EVERY = 15  # look at the clock when the step count has these bits clear: every 16 steps


class _TimedMatcher(matching.WrappingMatcher):
    def __init__(self, child, deadline: Deadline, boost: float = 1.0):
        super().__init__(child, boost)
        self.deadline = deadline
        self.steps = 0

    def _step(self) -> None:
        self.steps += 1
        if not self.steps & _EVERY:
            self.deadline.check()

    def next(self):
        self._step()
        return self.child.next()

    def skip_to(self, id):
        self._step()
        return self.child.skip_to(id)

    def _replacement(self, newchild):
        return _TimedMatcher(newchild, self.deadline, self.boost)

    def copy(self):
        return _TimedMatcher(self.child.copy(), self.deadline, self.boost)


class Timed(WrappingQuery):
    """The child query, its matcher checking the deadline as it steps."""

    def __init__(self, child, deadline: Deadline):
        super().__init__(child)
        self.deadline = deadline

    def _rewrap(self, child):
        return Timed(child, self.deadline)

    def __eq__(self, other) -> bool:
        return isinstance(other, Timed) and self.child == other.child

    def __hash__(self) -> int:
        return hash(("timed", self.child))

    def __str__(self) -> str:
        return str(self.child)

    def matcher(self, searcher, context=None):
        return _TimedMatcher(self.child.matcher(searcher, context), self.deadline)
