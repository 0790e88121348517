"""A plan's timeline as a server-drawn SVG (Gantt-like): no script, nothing but markup the page's CSP allows.

Phases are light bands behind their milestones; a milestone with a start is a bar from its start to its date,
ending in a diamond at its date; one without is a diamond alone. Readiness shows three ways at once, so colour is
never the only signal: a colour, a fill pattern (solid / stripes / cross-hatch) and the word with a symbol in the
right-hand column. Each milestone links to its details on the page (`#` + `anchor(key)`). The drawing has a fixed
width and scrolls inside its own box on a narrow screen (CSS `.gantt`).
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta
from html import escape

from markupsafe import Markup

from dms.plans.model import READINESS, CheckResult, Milestone

# readiness -> (colour, pattern id, symbol): colour, texture and text together
# colour, fill pattern and symbol of each readiness, in dms.plans.model.READINESS order (ready, at risk, blocked)
LOOK = dict(zip(READINESS, (("#1b7f3b", "gantt-ready", "✓"), ("#a85400", "gantt-risk", "!"),
                            ("#b3261e", "gantt-blocked", "✕")), strict=True))
LABEL_W, CHART_W, STATE_W = 230, 620, 110  # label column, time axis, readiness column (px)
WIDTH = LABEL_W + CHART_W + STATE_W
ROW_H, PHASE_H, AXIS_H = 24, 20, 34
MAX_ROWS = 400  # milestones drawn; a larger plan says how many more are in the table below
MONTH_STEPS = (1, 2, 3, 6, 12, 24, 60, 120)


def anchor(key: str) -> str:
    """The page id of a milestone's details (what the timeline links to): its key when that is a plain word, else
    the key made plain plus a digest of it, so two keys ("A 1", "A-1") never share an id."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", key).strip("-") or "x"
    if slug == key:
        return f"ms-{slug}"
    return f"ms-{slug}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"


def _defs() -> str:
    out = ["<defs>"]
    for readiness, (colour, pid, _) in LOOK.items():
        out.append(f'<pattern id="{pid}" width="6" height="6" patternUnits="userSpaceOnUse">')
        if readiness == "ready":
            out.append(f'<rect width="6" height="6" fill="{colour}"/>')
        else:
            out.append('<rect width="6" height="6" fill="#ffffff"/>')
            out.append(f'<path d="M-1,7 L7,-1" stroke="{colour}" stroke-width="2"/>')
            if readiness == "blocked":
                out.append(f'<path d="M-1,-1 L7,7" stroke="{colour}" stroke-width="2"/>')
        out.append("</pattern>")
    out.append("</defs>")
    return "".join(out)


def swatch(readiness: str) -> str:
    """A small picture of a readiness for the legend and the tables (pattern drawn in place, with its own ids)."""
    colour, _, symbol = LOOK[readiness]
    lines = ""
    if readiness != "ready":
        lines = f'<path d="M0,14 L14,0 M-4,10 L10,-4 M4,18 L18,4" stroke="{colour}" stroke-width="2"/>'
        if readiness == "blocked":
            lines += f'<path d="M0,0 L14,14 M-4,4 L10,18 M4,-4 L18,10" stroke="{colour}" stroke-width="2"/>'
    fill = colour if readiness == "ready" else "#ffffff"
    return (f'<svg class="swatch" width="14" height="14" viewBox="0 0 14 14" aria-hidden="true" focusable="false">'
            f'<rect width="14" height="14" fill="{fill}"/>{lines}'
            f'<rect x=".5" y=".5" width="13" height="13" fill="none" stroke="{colour}"/></svg>')


def badge(readiness: str | None) -> Markup:
    """A readiness as markup: swatch, symbol and word (what the pages show beside milestones and plans)."""
    if readiness not in LOOK:
        return Markup('<span class="readiness r-none">not checked</span>')
    return Markup(f'<span class="readiness r-{readiness.replace(" ", "-")}">{swatch(readiness)} {LOOK[readiness][2]} '
                  f"{readiness}</span>")


def legend_html() -> str:
    """The legend: each readiness as swatch, symbol and word; the phase band; the as-of line."""
    items = [f'<li>{swatch(r)} {LOOK[r][2]} {r}</li>' for r in LOOK]
    items.append('<li><svg class="swatch" width="22" height="14" aria-hidden="true" focusable="false">'
                 '<rect width="22" height="14" fill="#eef1f6" stroke="#c9d0dc"/></svg> phase</li>')
    items.append('<li><svg class="swatch" width="14" height="14" aria-hidden="true" focusable="false">'
                 '<path d="M7,0 L7,14" stroke="#1f5fbf" stroke-width="2" stroke-dasharray="3 2"/></svg> '
                 "as-of date</li>")
    items.append('<li><svg class="swatch" width="30" height="14" aria-hidden="true" focusable="false">'
                 '<rect x="0" y="4" width="22" height="6" fill="#8892a3"/><path d="M22,7 L26,2 L30,7 L26,12 Z" '
                 'fill="#8892a3"/></svg> work from start to milestone date</li>')
    return '<ul class="gantt-legend" aria-label="Legend of the timeline">' + "".join(items) + "</ul>"


def _span(result: CheckResult) -> tuple[date, date]:
    days = [d for m in result.milestones for d in (m.milestone.start, m.milestone.due) if d]
    days.append(result.as_of)
    first, last = min(days), max(days)
    first = first.replace(day=1)
    last = (last.replace(day=1) + timedelta(days=32)).replace(day=1)  # the first of the following month
    return first, last


def _ticks(first: date, last: date) -> list[date]:
    months = (last.year - first.year) * 12 + last.month - first.month
    step = next((s for s in MONTH_STEPS if months / s <= 10), MONTH_STEPS[-1])
    out, y, m = [], first.year, first.month
    while date(y, m, 1) <= last:
        if ((y * 12 + m - 1) - (first.year * 12 + first.month - 1)) % step == 0:
            out.append(date(y, m, 1))
        m += 1
        if m == 13:
            y, m = y + 1, 1
    return out


def _label(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _phases(result: CheckResult) -> list[tuple[str, list]]:
    """The milestones grouped by phase, phases in the order they first appear, milestones in plan order."""
    groups: dict[str, list] = {}
    for check in result.milestones[:MAX_ROWS]:
        groups.setdefault(check.milestone.phase or "", []).append(check)
    return list(groups.items())


def _milestone(check, x, y: int) -> str:
    ms: Milestone = check.milestone
    colour, pid, symbol = LOOK[check.readiness]
    findings = len(check.findings)
    said = (f"{ms.key} {ms.name}: {check.readiness}"
            + (f", {findings} finding{'s' if findings != 1 else ''}" if findings else "")
            + (f"; work from {ms.start.isoformat()}" if ms.start else "") + f"; due {ms.due.isoformat()}"
            + (f"; owner {ms.owner}" if ms.owner else ""))
    mid = y + ROW_H // 2
    parts = [f'<a href="#{anchor(ms.key)}" class="gantt-ms" data-readiness="{escape(check.readiness)}">',
             f"<title>{escape(said)}</title>",
             f'<rect class="gantt-hit" x="0" y="{y + 1}" width="{WIDTH}" height="{ROW_H - 2}" fill="transparent"/>',
             f'<text x="8" y="{mid + 4}" class="gantt-label">'
             f'<tspan font-weight="600">{escape(_label(ms.key, 8))}</tspan> {escape(_label(ms.name, 26))}</text>']
    due_x = x(ms.due)
    if ms.start and ms.start < ms.due:
        start_x = x(ms.start)
        parts.append(f'<rect x="{start_x:.1f}" y="{mid - 5}" width="{max(due_x - start_x, 1):.1f}" height="10" '
                     f'fill="url(#{pid})" stroke="{colour}" stroke-width="1"/>')
    parts.append(f'<path d="M{due_x:.1f},{mid - 8} L{due_x + 8:.1f},{mid} L{due_x:.1f},{mid + 8} '
                 f'L{due_x - 8:.1f},{mid} Z" fill="url(#{pid})" stroke="{colour}" stroke-width="1.5"/>')
    parts.append(f'<text x="{LABEL_W + CHART_W + 10}" y="{mid + 4}" fill="{colour}" font-weight="600">'
                 f'{symbol} {escape(check.readiness)}</text>')
    parts.append("</a>")
    return "".join(parts)


def timeline_svg(result: CheckResult) -> str:
    """The plan's timeline as of the check's date, as inline SVG markup."""
    plan = result.plan
    title = f"Timeline of {plan.number}" + (f" Rev {plan.revision}" if plan.revision else "")
    counts = {r: sum(1 for m in result.milestones if m.readiness == r) for r in LOOK}
    desc = (f"{len(result.milestones)} milestones as of {result.as_of.isoformat()}: "
            + ", ".join(f"{n} {r}" for r, n in counts.items())
            + f". Plan readiness: {result.readiness}. Each milestone links to its findings below.")
    if not result.milestones:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="40" viewBox="0 0 {WIDTH} 40" '
                f'role="img" aria-label="{escape(title)}: no milestones"><text x="8" y="24">'
                f"{escape(title)}: the plan has no milestones</text></svg>")
    first, last = _span(result)
    total = max((last - first).days, 1)

    def x(day: date) -> float:
        return LABEL_W + (day - first).days / total * CHART_W

    groups = _phases(result)
    height = AXIS_H + sum(PHASE_H + ROW_H * len(items) for _, items in groups) + 10
    shown = sum(len(items) for _, items in groups)
    more = len(result.milestones) - shown
    if more:
        height += ROW_H
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
           f'viewBox="0 0 {WIDTH} {height}" role="group" aria-labelledby="gantt-title gantt-desc" '
           f'font-family="system-ui, sans-serif" font-size="12" class="gantt-svg">',
           f'<title id="gantt-title">{escape(title)}</title><desc id="gantt-desc">{escape(desc)}</desc>', _defs()]
    out.append(f'<g aria-hidden="true"><rect x="{LABEL_W}" y="{AXIS_H - 4}" width="{CHART_W}" '
               f'height="{height - AXIS_H - 6}" fill="#fbfcfd" stroke="#d9dde5"/>')
    for tick in _ticks(first, last):
        tx = x(tick)
        out.append(f'<path d="M{tx:.1f},{AXIS_H - 8} L{tx:.1f},{height - 10}" stroke="#e3e6ec"/>')
        if tx + 56 <= LABEL_W + CHART_W:  # a label that would run into the readiness column is left out
            out.append(f'<text x="{tx + 3:.1f}" y="{AXIS_H - 12}" fill="#5b6475">{tick.strftime("%b %Y")}</text>')
    out.append(f'<text x="8" y="{AXIS_H - 12}" fill="#5b6475" font-weight="600">Milestone</text>'
               f'<text x="{LABEL_W + CHART_W + 10}" y="{AXIS_H - 12}" fill="#5b6475" font-weight="600">'
               "Readiness</text></g>")
    y = AXIS_H
    for phase, items in groups:
        starts = [c.milestone.start or c.milestone.due for c in items]
        band_from, band_to = x(min(starts)), x(max(c.milestone.due for c in items))
        band_h = PHASE_H + ROW_H * len(items)
        out.append(f'<g class="gantt-phase"><rect x="{band_from - 10:.1f}" y="{y}" '
                   f'width="{band_to - band_from + 20:.1f}" height="{band_h}" fill="#eef1f6" stroke="#c9d0dc" rx="3"/>'
                   f'<text x="8" y="{y + 14}" fill="#5b6475" font-style="italic">'
                   f'{escape(_label("Phase: " + (phase or "(none)"), 34))}</text></g>')
        y += PHASE_H
        for check in items:
            out.append(_milestone(check, x, y))
            y += ROW_H
    if more:
        out.append(f'<text x="8" y="{y + 16}" fill="#5b6475">… and {more} more milestones: see the table '
                   "below</text>")
    asof_x = x(result.as_of)
    if asof_x + 100 > LABEL_W + CHART_W:  # near the end: the label goes left of the line, not into the readiness
        label = f'x="{asof_x - 4:.1f}" text-anchor="end"'
    else:
        label = f'x="{asof_x + 4:.1f}"'
    out.append(f'<g><path d="M{asof_x:.1f},{AXIS_H - 6} L{asof_x:.1f},{height - 8}" stroke="#1f5fbf" '
               f'stroke-width="2" stroke-dasharray="4 3"/><text {label} y="{AXIS_H - 1}" fill="#1f5fbf" '
               f'font-size="11">as of {result.as_of.isoformat()}</text></g>')
    out.append("</svg>")
    return "".join(out)
