"""Small SVG charts for the cockpit, written by hand and inlined in the page.

Presentation attributes only (no <style>, no script), so the site's Content-Security-Policy
(``style-src 'self'``, no inline script) holds and nothing loads from another origin.
"""

from __future__ import annotations

from html import escape

LIGHT_COLOURS = {"red": "#d0312d", "yellow": "#e0a800", "green": "#2e9e44", "blue": "#1d6fd8", "none": "#b8bec6"}


def stacked_bar(counts: dict[str, int], *, width: int = 240, height: int = 14, label: str = "") -> str:
    """One horizontal bar split by light, for a row of a table."""
    total = sum(counts.values())
    parts, x = [], 0.0
    for key in ("red", "yellow", "green", "blue", "none"):
        n = counts.get(key, 0)
        if not n or not total:
            continue
        w = width * n / total
        parts.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{height}" fill="{LIGHT_COLOURS[key]}"><title>{n}</title></rect>')
        x += w
    if not parts:
        parts.append(f'<rect x="0" y="0" width="{width}" height="{height}" fill="#eef0f3"/>')
    return (
        f'<svg class="lightbar" viewBox="0 0 {width} {height}" width="100%" height="{height}" preserveAspectRatio="none" '
        f'role="img" aria-label="{escape(label)}">{"".join(parts)}</svg>'
    )


def line_chart(labels: list[str], series: list[tuple[str, str, list[float | None]]], *, title: str, invert: bool = False,
               y_max: float | None = None, width: int = 640, height: int = 220) -> str:
    """A line chart: ``series`` is (name, colour, values); a None value leaves a gap.
    ``invert`` puts small values on top (ranks)."""
    left, right, top, bottom = 40, 12, 24, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _, _, vs in series for v in vs if v is not None]
    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{escape(title)}">',
           f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>',
           f'<text x="{left}" y="16" font-size="13" fill="#333">{escape(title)}</text>']
    if not values or not labels:
        out.append(f'<text x="{left}" y="{top + plot_h / 2:.0f}" font-size="13" fill="#888">暂无已发布的晾晒数据</text></svg>')
        return "".join(out)
    lo = 0.0 if not invert else 1.0
    hi = y_max if y_max is not None else max(values)
    if hi <= lo:
        hi = lo + 1

    def y(v: float) -> float:
        frac = (v - lo) / (hi - lo)
        return top + (frac * plot_h if invert else (1 - frac) * plot_h)

    n = len(labels)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    for tick in (lo, (lo + hi) / 2, hi):
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#e3e6ea"/>')
        out.append(f'<text x="{left - 4}" y="{y(tick) + 4:.1f}" font-size="10" text-anchor="end" fill="#666">{tick:g}</text>')
    step = max(1, n // 8)
    for i, lab in enumerate(labels):
        if i % step == 0 or i == n - 1:
            out.append(f'<text x="{x(i):.1f}" y="{height - bottom + 16}" font-size="10" text-anchor="middle" fill="#666">{escape(lab)}</text>')
    legend_x = left
    for name, colour, vs in series:
        run: list[str] = []
        for i, v in enumerate(vs):
            if v is None:
                if len(run) > 1:
                    out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(run)}"/>')
                run = []
                continue
            run.append(f"{x(i):.1f},{y(v):.1f}")
            out.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.5" fill="{colour}"><title>{escape(labels[i])}：{v:g}</title></circle>')
        if len(run) > 1:
            out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(run)}"/>')
        out.append(f'<rect x="{legend_x}" y="{height - 14}" width="10" height="10" fill="{colour}"/>')
        out.append(f'<text x="{legend_x + 14}" y="{height - 5}" font-size="11" fill="#333">{escape(name)}</text>')
        legend_x += 20 + 13 * len(name)
    out.append("</svg>")
    return "".join(out)
