"""People's hours over working days (Mon-Fri), for the plan check: the roster, the absences, and what the plan's
staff needs load on any period.

A person's hours in a period are their working days there not absent times hours per week / 5. A need loads a
period with its hours times the share of its own working days falling in that period (a need over a weekend only:
by calendar days). Each person (and each role's unnamed demand) keeps a timeline cut at the bounds of every need
and absence that concerns it, with running sums of free days and load, so a period is two look-ups, not a walk
over every need: 1,000 milestones stay well under a second.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from functools import lru_cache

from dms.plans.model import Plan, StaffNeed, Supply

DAY = timedelta(days=1)


@lru_cache(maxsize=1 << 16)
def weekdays(a: date, b: date) -> int:
    """Working days (Mon-Fri) from a to b, both included."""
    if b < a:
        return 0
    days = (b - a).days + 1
    full, rest = divmod(days, 7)
    start = a.weekday()
    return full * 5 + sum(1 for k in range(rest) if (start + k) % 7 < 5)


def share(n: StaffNeed, a: date, b: date) -> float:
    """The part of a need's hours that falls in [a, b]."""
    lo, hi = max(n.start, a), min(n.end, b)
    if hi < lo:
        return 0.0
    own = weekdays(n.start, n.end)
    if own == 0:  # a need over a weekend only: by calendar days
        return ((hi - lo).days + 1) / ((n.end - n.start).days + 1)
    return weekdays(lo, hi) / own


def norm(text: str) -> str:
    return " ".join(str(text).lower().split())


def merge(spans) -> list[tuple[date, date]]:
    out: list[list[date]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1] + DAY:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


class Timeline:
    """Running sums over the segments between cut points: working days absent, working days free, hours loaded."""

    def __init__(self, cuts: set[date], absent: list[tuple[date, date]], needs: list[StaffNeed]):
        for s, e in absent:
            cuts |= {s, e + DAY}
        for n in needs:
            cuts |= {n.start, n.end + DAY}
        self.cuts = sorted(cuts)
        self.at = {d: i for i, d in enumerate(self.cuts)}
        size = len(self.cuts)
        per_day, per_cal, off = [0.0] * size, [0.0] * size, [0] * size
        for n in needs:
            i, j = self.at[n.start], self.at[n.end + DAY]
            own = weekdays(n.start, n.end)
            rate, rates = (n.hours / own, per_day) if own else (n.hours / ((n.end - n.start).days + 1), per_cal)
            rates[i] += rate
            rates[j] -= rate
        for s, e in absent:
            off[self.at[s]] += 1
            off[self.at[e + DAY]] -= 1
        self.absent, self.working, self.load = [0], [0], [0.0]
        day_rate = cal_rate = 0.0
        away = 0
        for i in range(size - 1):
            day_rate, cal_rate, away = day_rate + per_day[i], cal_rate + per_cal[i], away + off[i]
            wd = weekdays(self.cuts[i], self.cuts[i + 1] - DAY)
            self.absent.append(self.absent[-1] + (wd if away else 0))
            self.working.append(self.working[-1] + wd)
            self.load.append(self.load[-1] + day_rate * wd + cal_rate * (self.cuts[i + 1] - self.cuts[i]).days)

    def span(self, a: date, b: date) -> tuple[int, int] | None:
        i, j = self.at.get(a), self.at.get(b + DAY)
        return None if i is None or j is None else (i, j)


class People:
    """The roster and the absences, and what each named person's (and each role's) needs load on a period."""

    def __init__(self, plan: Plan, supply: Supply):
        self.people = {}
        self.roles: dict[str, list[str]] = defaultdict(list)
        for r in supply.roster:
            p = norm(r.person)
            self.people.setdefault(p, r)
            if r.role and p not in self.roles[norm(r.role)]:
                self.roles[norm(r.role)].append(p)
        self.absences = defaultdict(list)
        for a in supply.absences:
            self.absences[norm(a.person)].append(a)
        self.merged = {p: merge((r.start, r.end) for r in rows) for p, rows in self.absences.items()}
        self.named: dict[str, list[StaffNeed]] = defaultdict(list)
        self.by_role: dict[str, list[StaffNeed]] = defaultdict(list)
        for n in plan.staff:
            who = norm(n.who)
            if who in self.people:
                self.named[who].append(n)
            elif who in self.roles:
                self.by_role[who].append(n)
        cuts: dict[str, set[date]] = defaultdict(set)
        for role, needs in self.by_role.items():
            bounds = {d for n in needs for d in (n.start, n.end + DAY)}
            for p in self.roles[role]:
                cuts[p] |= bounds
        self.lines = {p: Timeline(cuts[p], self.merged.get(p, []), self.named.get(p, []))
                      for p in set(self.named) | set(cuts)}
        self.role_lines = {role: Timeline(set(), [], needs) for role, needs in self.by_role.items()}

    def absent_days(self, p: str, a: date, b: date) -> int:
        line = self.lines.get(p)
        if line and (ij := line.span(a, b)):
            return line.absent[ij[1]] - line.absent[ij[0]]
        return sum(weekdays(max(a, s), min(b, e)) for s, e in self.merged.get(p, ()) if s <= b and e >= a)

    def hours(self, p: str, a: date, b: date) -> float:
        return (weekdays(a, b) - self.absent_days(p, a, b)) * self.people[p].hours_per_week / 5

    def load(self, p: str, a: date, b: date) -> float:
        line = self.lines.get(p)
        if line and (ij := line.span(a, b)):
            return line.load[ij[1]] - line.load[ij[0]]
        return sum(n.hours * share(n, a, b) for n in self.named.get(p, ()))

    def role_load(self, role: str, a: date, b: date) -> float:
        line = self.role_lines.get(role)
        if line and (ij := line.span(a, b)):
            return line.load[ij[1]] - line.load[ij[0]]
        return sum(n.hours * share(n, a, b) for n in self.by_role.get(role, ()))

    def role_pool(self, role: str, a: date, b: date) -> float:
        """The role's people's hours in the period minus what their named needs load there."""
        return sum(self.hours(p, a, b) - self.load(p, a, b) for p in self.roles[role])

    def absences_in(self, p: str, a: date, b: date) -> list:
        return [r for r in self.absences.get(p, ()) if r.start <= b and r.end >= a
                and weekdays(max(a, r.start), min(b, r.end))]

