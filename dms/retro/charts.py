"""Line charts as SVG, drawn on the server: readable without JavaScript, printable, no plotting library."""

from __future__ import annotations

from html import escape

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 760, 240, 56, 16, 16, 46
COLOURS = ("#1f5fbf", "#c0392b", "#27ae60", "#8e44ad", "#d35400")


def line_chart(periods: list[str], series: dict[str, list[float | None]], markers: list[tuple[str, str]],
               title: str) -> str:
    """periods along x; one line per series; markers are (period, label) drawn as dashed vertical lines."""
    if not periods:
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="40" role="img">' \
               f'<text x="8" y="24" font-size="13">{escape(title)}: no figures</text></svg>'
    values = [v for vs in series.values() for v in vs if v is not None]
    top = max(values or [1]) * 1.1 or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(1, len(periods) - 1)

    def x(i: float) -> float:
        return LEFT + i * step

    def y(v: float) -> float:
        return TOP + plot_h - (v / top) * plot_h

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT + 18 * len(series)}" '
           f'width="{WIDTH}" role="img" aria-label="{escape(title)}" font-family="DejaVu Sans, Arial" font-size="10">',
           f'<title>{escape(title)}</title>',
           f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="#fbfbfc" stroke="#ccd"/>']
    for k in range(5):
        v = top * k / 4
        out.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e3e6ec"/>'
                   f'<text x="{LEFT - 4}" y="{y(v) + 3:.1f}" text-anchor="end">{v:,.0f}</text>')
    every = max(1, len(periods) // 12)
    for i, p in enumerate(periods):
        if i % every == 0:
            out.append(f'<text x="{x(i):.1f}" y="{TOP + plot_h + 14}" text-anchor="middle">{escape(p)}</text>')
    index = {p: i for i, p in enumerate(periods)}
    for n, (period, label) in enumerate(markers):
        if period in index:
            xm = x(index[period])
            out.append(f'<line x1="{xm:.1f}" x2="{xm:.1f}" y1="{TOP}" y2="{TOP + plot_h}" stroke="#e67e22" '
                       f'stroke-dasharray="4 3"/><text x="{xm + 3:.1f}" y="{TOP + 10 + (n % 3) * 11}" '
                       f'fill="#a04000">{escape(label)}</text>')
    for n, (name, vs) in enumerate(series.items()):
        colour = COLOURS[n % len(COLOURS)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(vs) if v is not None)
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        ly = HEIGHT + 18 * n
        out.append(f'<rect x="{LEFT}" y="{ly - 8}" width="12" height="4" fill="{colour}"/>'
                   f'<text x="{LEFT + 18}" y="{ly - 3}">{escape(name)}</text>')
    out.append("</svg>")
    return "".join(out)
