"""The phrases that make a minutes line a decision and a specification line an amendment, from the rules file.

Each outcome's phrases ([phrases.<language>] approved, rejected, deferred, undecided, decided) and the
amendment phrases are compiled once per set of rules into case-insensitive whole-word patterns. When a line
holds phrases of several outcomes, `undecided` ("no decision") wins over the named outcomes, and those over
`decided` (a decision whose outcome the line does not name).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from dms.rules import Rules

PRECEDENCE = ("undecided", "rejected", "deferred", "approved", "decided")
UNNAMED = "decided"


def _pattern(phrases: Iterable[str]) -> re.Pattern | None:
    """One whole-word, case-insensitive pattern; longer phrases first, spaces inside a phrase match any spacing."""
    alternatives = [r"\s+".join(map(re.escape, p.split())) for p in sorted(set(phrases), key=len, reverse=True)]
    alternatives = [a for a in alternatives if a]
    if not alternatives:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Phrases:
    decisions: tuple[tuple[str, re.Pattern], ...]  # (outcome, pattern) in order of precedence
    amendment: re.Pattern | None

    def decision(self, text: str) -> tuple[str, int] | None:
        """The outcome a piece of text records and where its phrase starts, or None."""
        for outcome, pattern in self.decisions:
            if m := pattern.search(text):
                return outcome, m.start()
        return None

    def outcome(self, text: str) -> str | None:
        found = self.decision(text)
        return found[0] if found else None

    def decision_in(self, lines: Iterable[str]) -> tuple[str, str] | None:
        """(outcome, line) of the first line that names an outcome; else of the first that records a decision
        without naming it; None when no line records one."""
        unnamed = None
        for line in lines:
            outcome = self.outcome(line)
            if outcome is None:
                continue
            if outcome != UNNAMED:
                return outcome, line
            unnamed = unnamed or (outcome, line)
        return unnamed

    def amends(self, line: str) -> bool:
        """Whether the line holds an amendment phrase ("implements", "changes per", "in accordance with" ...)."""
        return bool(self.amendment and self.amendment.search(line))

    def ends_with_amendment(self, line: str) -> bool:
        """Whether the line ends with an amendment phrase, as a label ("Reason for revision:") or a phrase
        wrapped onto the next line ("... updated in accordance with" / "ECO-24-0117")."""
        if not self.amendment:
            return False
        ends = [m.end() for m in self.amendment.finditer(line)]
        return bool(ends) and not line[ends[-1]:].strip(" \t:.-–—|*_")


@lru_cache(maxsize=16)
def _compiled(decision_phrases: tuple[tuple[str, tuple[str, ...]], ...],
              amendment_phrases: tuple[str, ...]) -> Phrases:
    by_outcome = dict(decision_phrases)
    order = [o for o in PRECEDENCE if o in by_outcome] + [o for o in by_outcome if o not in PRECEDENCE]
    decisions = tuple((o, p) for o in order if (p := _pattern(by_outcome[o])) is not None)
    return Phrases(decisions, _pattern(amendment_phrases))


def phrases_for(rules: Rules) -> Phrases:
    """The compiled phrases of these rules (compiled once, kept while the rules stay the same)."""
    return _compiled(rules.decision_phrases, rules.amendment_phrases)
