"""The days an iCalendar recurrence rule (RFC 5545 RRULE) stands for, expanded within bounds.

A general expander (dateutil.rrule) can be led into an endless search: FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30
never matches, and dateutil walks to the year 9999 looking (seconds per event, measured: 8.6 s). Leave is
counted in days, so this walks days: from the event's start, at most `MAX_SPAN_DAYS` days on (or to UNTIL),
keeping at most `MAX_OCCURRENCES`, each day tested against the rule. The cost of an event is bounded by its
span, whatever the rule says; the caller bounds the days walked per calendar.

Read: FREQ DAILY, WEEKLY, MONTHLY, YEARLY; INTERVAL, COUNT, UNTIL, WKST; BYMONTH, BYMONTHDAY and BYDAY
(with ordinals, "1MO", "-1FR", in MONTHLY and YEARLY rules). Other parts (BYSETPOS, BYYEARDAY, BYWEEKNO,
hourly rules …) raise `Unsupported`: the caller keeps the event's own first occurrence and says why.
DTSTART counts as the first occurrence (RFC 5545 3.8.5.3).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, datetime, timedelta

MAX_SPAN_DAYS = 5 * 366  # days after the start a recurrence is followed
MAX_OCCURRENCES = 1_000  # occurrences of one event
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
FREQS = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
READ = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST", "BYMONTH", "BYMONTHDAY", "BYDAY"}


class Unsupported(ValueError):
    """A rule this expander does not read; the message names the part."""


def _day(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise Unsupported(f"UNTIL {value!r}")


def _ints(values, low: int, high: int, what: str) -> frozenset[int]:
    out = set()
    for v in values:
        try:
            n = int(v)
        except (TypeError, ValueError):
            raise Unsupported(f"{what} {v!r}") from None
        if not (low <= abs(n) <= high) or (n < 0 and low > 0 and what == "BYMONTH"):
            raise Unsupported(f"{what} {v!r}")
        out.add(n)
    return frozenset(out)


def _bydays(values) -> tuple[tuple[int | None, int], ...]:
    """(ordinal or None, weekday 0-6) pairs of BYDAY (icalendar gives "MO", "+1MO", "-1FR" or tuples)."""
    out = []
    for v in values:
        text = v if isinstance(v, str) else "".join(str(x) for x in v)
        text = text.strip().upper()
        code, ordinal = text[-2:], text[:-2]
        if code not in WEEKDAYS or (ordinal and not ordinal.lstrip("+-").isdigit()):
            raise Unsupported(f"BYDAY {v!r}")
        n = int(ordinal) if ordinal else None
        if n is not None and not 1 <= abs(n) <= 53:
            raise Unsupported(f"BYDAY {v!r}")
        out.append((n, WEEKDAYS.index(code)))
    return tuple(out)


class Rule:
    """One RRULE (icalendar's vRecur, a dict of lists), read strictly."""

    def __init__(self, recur: dict, start: date):
        if isinstance(recur, list):  # several RRULEs: their union is not followed
            raise Unsupported("more than one RRULE")
        parts = {str(k).upper(): (v if isinstance(v, list) else [v]) for k, v in dict(recur).items()}
        other = sorted(set(parts) - READ)
        if other:
            raise Unsupported(f"{', '.join(other)} is not read")
        freq = str((parts.get("FREQ") or [""])[0]).upper()
        if freq not in FREQS:
            raise Unsupported(f"FREQ={freq or '?'} (leave is read in days: {', '.join(FREQS)})")
        self.freq, self.start = freq, start
        self.interval = min(next(iter(_ints(parts.get("INTERVAL", [1]), 1, 10**9, "INTERVAL"))), 10**6)
        self.count = next(iter(_ints(parts["COUNT"], 1, 10**12, "COUNT"))) if "COUNT" in parts else None
        self.until = _day(parts["UNTIL"][0]) if "UNTIL" in parts else None
        wkst = str((parts.get("WKST") or ["MO"])[0]).upper()
        if wkst not in WEEKDAYS:
            raise Unsupported(f"WKST {wkst!r}")
        self.wkst = WEEKDAYS.index(wkst)
        self.months = _ints(parts.get("BYMONTH", []), 1, 12, "BYMONTH")
        self.monthdays = _ints(parts.get("BYMONTHDAY", []), 1, 31, "BYMONTHDAY")
        self.days = _bydays(parts.get("BYDAY", []))
        if freq in ("DAILY", "WEEKLY") and any(n is not None for n, _ in self.days):
            raise Unsupported(f"BYDAY with a number in a {freq} rule")

    def _week(self, d: date) -> int:
        return (d - timedelta(days=(d.weekday() - self.wkst) % 7)).toordinal() // 7

    def _in_step(self, d: date) -> bool:
        s = self.start
        if self.freq == "DAILY":
            steps = (d - s).days
        elif self.freq == "WEEKLY":
            steps = self._week(d) - self._week(s)
        elif self.freq == "MONTHLY":
            steps = (d.year - s.year) * 12 + d.month - s.month
        else:
            steps = d.year - s.year
        return steps % self.interval == 0

    def _nth(self, d: date, n: int, whole_year: bool) -> bool:
        """d is the n-th (from the end when negative) of its weekday in its month (or year)."""
        if whole_year:
            first, last = date(d.year, 1, 1), date(d.year, 12, 31)
        else:
            first, last = d.replace(day=1), d.replace(day=calendar.monthrange(d.year, d.month)[1])
        return ((d - first).days // 7 + 1 == n) if n > 0 else ((last - d).days // 7 + 1 == -n)

    def matches(self, d: date) -> bool:
        s = self.start
        if self.months and d.month not in self.months:
            return False
        if self.monthdays:
            size = calendar.monthrange(d.year, d.month)[1]
            if d.day not in self.monthdays and d.day - size - 1 not in self.monthdays:
                return False
        if self.days:
            whole_year = self.freq == "YEARLY" and not self.months
            if not any(d.weekday() == wd and (n is None or self._nth(d, n, whole_year)) for n, wd in self.days):
                return False
        elif not self.monthdays:  # the defaults come from the start (RFC 5545 3.3.10)
            if self.freq == "WEEKLY" and d.weekday() != s.weekday():
                return False
            if self.freq == "MONTHLY" and d.day != s.day:
                return False
            if self.freq == "YEARLY" and (d.day != s.day or (not self.months and d.month != s.month)):
                return False
        return self._in_step(d)

    def days_from(self, budget: list[int]) -> Iterator[date]:
        """The occurrences, DTSTART first; `budget` ([days left]) is what the calendar may still walk."""
        last = self.start + timedelta(days=MAX_SPAN_DAYS)
        if self.until is not None:
            last = min(last, self.until)
        yield self.start
        made = 1
        d = self.start
        while made < min(self.count or MAX_OCCURRENCES, MAX_OCCURRENCES):
            d += timedelta(days=1)
            if d > last or budget[0] <= 0:
                return
            budget[0] -= 1
            if self.matches(d):
                made += 1
                yield d
