"""Leave from iCalendar files (.ics): each VEVENT is an absence of the person it names.

The person: every ATTENDEE's CN, else the ORGANIZER's CN, else the SUMMARY's name before a dash or colon
("Anna Berg – leave", "Anna Berg: training"). The kind: the SUMMARY's words after it, else CATEGORIES, else
"leave". Days: DTSTART to DTEND, DTEND exclusive for all-day events (RFC 5545); a timed event counts when it
lasts a day or more (the days it touches, a midnight end not counted). Recurring events are expanded by
dms.supply.recur within its bounds, EXDATE days removed, RDATE days added; the days of one event that follow
each other make one absence row. Cancelled events are left out, and so is a calendar that is a meeting
invitation or reply (METHOD REQUEST, REPLY, CANCEL …: iTIP scheduling, not a leave record).

Bounds: the file's size (the text bound), `MAX_EVENTS` events and `max_rows` absence rows (a calendar over
either is not parsed or kept at all), and `MAX_DAYS_WALKED` days tested for
recurrences per calendar; past the last, recurring events keep their first occurrence and the document gets a
warning. A row's Source row is the event's position in the file (1-based).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

from dms.plans.model import LATEST, in_range, out_of_range
from dms.retro.metrics import TooLarge
from dms.supply import recur
from dms.supply.cells import MAX_NAME
from dms.supply.tables import MAX_REASONS, Absence, Found

MAX_DAYS_WALKED = 400_000  # days tested against recurrence rules, per calendar (about 1 s)
MAX_EVENTS = 20_000  # events of one calendar (icalendar parses about 5,000 a second): a team's leave is far fewer
MAX_ATTENDEES = 50
_DASH = re.compile(r"\s+[-–—]\s+|:\s+")
SCHEDULING = {"REQUEST", "REPLY", "CANCEL", "COUNTER", "DECLINECOUNTER", "ADD", "REFRESH"}


def is_calendar(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").upper().startswith(b"BEGIN:VCALENDAR")


def _name(value) -> str:
    return " ".join(str(value or "").split())[:MAX_NAME]


def _people(event) -> list[str]:
    attendees = event.get("ATTENDEE")
    attendees = attendees if isinstance(attendees, list) else [attendees] if attendees is not None else []
    names = [_name(a.params.get("CN")) for a in attendees[:MAX_ATTENDEES] if hasattr(a, "params")]
    names = [n for n in names if n]
    if names:
        return list(dict.fromkeys(names))
    organizer = event.get("ORGANIZER")
    if organizer is not None and hasattr(organizer, "params") and _name(organizer.params.get("CN")):
        return [_name(organizer.params.get("CN"))]
    summary = _name(event.get("SUMMARY"))
    parts = _DASH.split(summary, maxsplit=1)
    return [parts[0].strip()] if len(parts) == 2 and parts[0].strip() else []


def _kind(event) -> str:
    summary = _name(event.get("SUMMARY"))
    parts = _DASH.split(summary, maxsplit=1)
    if len(parts) == 2 and parts[1].strip():
        return parts[1].strip()
    categories = event.get("CATEGORIES")
    if categories is not None:
        cats = getattr(categories, "cats", None) or (categories[0].cats if isinstance(categories, list) else [])
        if cats:
            return _name(cats[0])
    return "leave"


def _span(event) -> tuple[date, int]:
    """(first day, days) of the event; ValueError with the reason when it has none."""
    start = event.get("DTSTART")
    if start is None:
        raise ValueError("no DTSTART")
    first = getattr(start, "dt", None)
    if not isinstance(first, date):
        raise ValueError(f"bad DTSTART {str(start)[:40]!r}")
    end = event.get("DTEND")
    if end is not None:
        last = getattr(end, "dt", None)
        if not isinstance(last, date):
            raise ValueError(f"bad DTEND {str(end)[:40]!r}")
    elif event.get("DURATION") is not None:
        last = first + event.get("DURATION").dt
    else:
        last = first + timedelta(days=1) if not isinstance(first, datetime) else first
    if isinstance(first, datetime) != isinstance(last, datetime):
        raise ValueError("DTSTART and DTEND are not both dates or both date-times")
    if isinstance(first, datetime):
        if (last - first) < timedelta(days=1):
            return first.date(), 0  # a timed event of less than a day is no day's absence
        days = (last.date() - first.date()).days + (1 if last.time() != datetime.min.time() else 0)
        return first.date(), days
    if last <= first:
        raise ValueError(f"DTEND {last} is not after DTSTART {first}")
    return first, (last - first).days


def _dates(prop) -> list[date]:
    items = prop if isinstance(prop, list) else [prop] if prop is not None else []
    out = []
    for item in items:
        for d in getattr(item, "dts", []):
            value = d.dt
            if isinstance(value, (date, datetime)):
                out.append(value.date() if isinstance(value, datetime) else value)
    return out


def _runs(days: list[date], length: int) -> list[tuple[date, date]]:
    """Occurrences of `length` days as inclusive ranges, overlapping or touching ones joined."""
    out: list[list[date]] = []
    for d in sorted(set(days)):
        end = d + timedelta(days=length - 1)
        if out and d <= out[-1][1] + timedelta(days=1):
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([d, end])
    return [(a, b) for a, b in out]


def read_calendar(path: Path, *, max_rows: int, max_bytes: int) -> Found:
    """The absences of an .ics file; TooLarge over a bound."""
    import icalendar

    size = path.stat().st_size
    if size > max_bytes:
        raise TooLarge(f"supply evidence not read: the calendar is {size / 1e6:,.1f} MB, over the "
                       f"{max_bytes / 1e6:,.1f} MB bound (DMS_MAX_TEXT_MB)")
    data = path.read_bytes()
    events = data.upper().count(b"BEGIN:VEVENT")
    if events > min(max_rows, MAX_EVENTS):
        bound = "DMS_SUPPLY_MAX_ROWS" if max_rows < MAX_EVENTS else "the calendar bound"
        raise TooLarge(f"supply evidence not read: the calendar has {events:,} events, more than "
                       f"{min(max_rows, MAX_EVENTS):,} ({bound})")
    try:
        calendars = icalendar.Calendar.from_ical(data, multiple=True)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        return Found(skipped=(f"the calendar cannot be read: {str(exc)[:200]}",), bad=1)
    events = [e for cal in calendars if _name(cal.get("METHOD")).upper() not in SCHEDULING
              for e in cal.walk("VEVENT")]
    rows: list[Absence] = []
    skipped: list[str] = []
    bad = 0
    budget = [MAX_DAYS_WALKED]

    def skip(why: str) -> None:
        nonlocal bad
        bad += 1
        if len(skipped) < MAX_REASONS:
            skipped.append(why)

    for number, event in enumerate(events, start=1):
        if _name(event.get("STATUS")).upper() == "CANCELLED":
            continue
        try:
            first, length = _span(event)
        except (ValueError, TypeError, AttributeError) as exc:
            skip(f"event {number}: not read: {exc}")
            continue
        if length == 0:
            continue
        if not in_range(first) or (LATEST - first).days < length:  # 9999 for 2025: that event only is left out
            skip(f"event {number}: not read: {out_of_range(first if not in_range(first) else LATEST)}")
            continue
        people = _people(event)
        if not people:
            skip(f"event {number}: no person (no ATTENDEE or ORGANIZER CN, no 'Name – kind' SUMMARY)")
            continue
        days = [first]
        if event.get("RRULE") is not None:
            try:
                rule = recur.Rule(event.get("RRULE"), first)
                days = list(rule.days_from(budget))
                if budget[0] <= 0:
                    skip(f"event {number}: recurrence followed only in part: more than {MAX_DAYS_WALKED:,} days "
                         "of recurrences in the calendar")
            except (recur.Unsupported, TypeError, ValueError) as exc:
                skip(f"event {number}: recurrence not expanded ({exc}): its first occurrence counts")
        excluded = set(_dates(event.get("EXDATE")))
        days = [d for d in days if d not in excluded] + _dates(event.get("RDATE"))[:recur.MAX_OCCURRENCES]
        days = [d for d in days if in_range(d) and d <= LATEST - timedelta(days=length)]
        for start, end in _runs(days, length):
            for person in people:
                if len(rows) >= max_rows:
                    raise TooLarge(f"supply evidence not read: more than {max_rows:,} absences in the calendar "
                                   "(DMS_SUPPLY_MAX_ROWS)")
                rows.append(Absence(person, start, end, _kind(event), "", number))
    return Found(absences=tuple(rows), skipped=tuple(skipped), bad=bad, rows=len(rows))
