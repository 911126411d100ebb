"""Small hand-built SVG charts for briefings: trend charts with control limits, the area map,
and a funnel plot against a peer group.

Why not Vega-Lite, as the Scorecard uses: a vl-convert SVG holds hundreds of elements, and
WeasyPrint draws SVG node by node (about a millisecond each on our machine), so three of them
made a briefing PDF several times slower. These charts draw each *kind* of mark as a single
``<path>`` (all the points of a series, all the grid squares of one shade), so a chart is a
dozen elements. Every chart has a ``<title>`` and ``<desc>`` and is labelled by them
(``role="img"``); the page repeats the description as visible text, and nothing is told by
colour alone (limits are dashed, the area in a funnel is a labelled diamond, map shades have a
numbered key).

Inputs are plain data (lists of numbers), so the same functions serve the web page and the PDF.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import Any

from ..indicators.evaluate import month_name

# GOV.UK Frontend palette (blue, dark grey, mid grey), and a light-to-dark blue ramp whose
# shades stay distinguishable when printed in greyscale.
BLUE = "#1d70b8"
DARK = "#0b0c0c"
GREY = "#505a5f"
LIGHT = "#b1b4b6"
RAMP = ("#d2e2f1", "#9fc1e3", "#5694ca", "#1d70b8", "#003078")


def _n(v: float) -> str:
    """A coordinate with at most one decimal, no trailing zeros (keeps the SVG small)."""
    s = f"{v:.1f}"
    return s[:-2] if s.endswith(".0") else s


def _open(width: float, height: float, title: str, desc: str, ident: str) -> list[str]:
    t, d = f"{ident}-t", f"{ident}-d"
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'width="{_n(width)}" height="{_n(height)}" role="img" aria-labelledby="{t} {d}" '
        'class="sp-svg" font-family="Liberation Sans, Arial, Helvetica, sans-serif">',
        f'<title id="{t}">{escape(title)}</title>',
        f'<desc id="{d}">{escape(desc)}</desc>',
    ]


def nice_max(v: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^k at or above ``v`` (an axis maximum)."""
    if v <= 0 or not math.isfinite(v):
        return 1.0
    exp = 10 ** math.floor(math.log10(v))
    for m in (1, 2, 2.5, 5, 10):
        if m * exp >= v - 1e-9:
            return float(m * exp)
    return float(10 * exp)


def _fmt_tick(v: float) -> str:
    return f"{v:,.0f}" if v >= 10 or v == int(v) else f"{v:.1f}"


def trend_svg(
    months: Sequence[str],
    values: Sequence[float | None],
    *,
    centre: float | None,
    lower: float | None,
    upper: float | None,
    title: str,
    desc: str,
    ident: str,
    width: float = 230,
    height: float = 120,
    with_months: bool = False,
) -> str:
    """Monthly counts as a line with points, the average (solid) and control limits (dashed).

    Missing months (None) break the line: nothing is drawn for them, never a zero."""
    left, right, top = 30.0, 6.0, 6.0
    bottom = 16.0 if with_months else 4.0
    pw, ph = width - left - right, height - top - bottom
    finite = [v for v in values if v is not None]
    top_value = max([*finite, upper or 0.0, centre or 0.0, 1.0])
    ymax = nice_max(top_value)
    n = len(months)

    def x(i: int) -> float:
        return left + (pw * i / (n - 1) if n > 1 else pw / 2)

    def y(v: float) -> float:
        return top + ph - ph * max(0.0, min(v, ymax)) / ymax

    out = _open(width, height, title, desc, ident)
    # Axes: one path for the baseline and the left axis.
    out.append(
        f'<path d="M{_n(left)} {_n(top)}V{_n(top + ph)}H{_n(left + pw)}" '
        f'fill="none" stroke="{LIGHT}" stroke-width="1"/>'
    )
    if upper is not None and lower is not None:
        segs = [f"M{_n(left)} {_n(y(upper))}H{_n(left + pw)}"]
        if lower > 0:
            segs.append(f"M{_n(left)} {_n(y(lower))}H{_n(left + pw)}")
        out.append(
            f'<path d="{"".join(segs)}" fill="none" stroke="{GREY}" stroke-width="1" '
            'stroke-dasharray="4 3"/>'
        )
    if centre is not None:
        out.append(
            f'<path d="M{_n(left)} {_n(y(centre))}H{_n(left + pw)}" fill="none" '
            f'stroke="{GREY}" stroke-width="1"/>'
        )
    line: list[str] = []
    dots: list[str] = []
    pen_up = True
    for i, v in enumerate(values):
        if v is None:
            pen_up = True
            continue
        px, py = x(i), y(v)
        line.append(f"{'M' if pen_up else 'L'}{_n(px)} {_n(py)}")
        dots.append(f"M{_n(px - 1.6)} {_n(py - 1.6)}h3.2v3.2h-3.2z")
        pen_up = False
    if line:
        out.append(
            f'<path d="{"".join(line)}" fill="none" stroke="{BLUE}" stroke-width="1.6" '
            'stroke-linejoin="round"/>'
        )
        out.append(f'<path d="{"".join(dots)}" fill="{BLUE}"/>')
    # One text label, the axis maximum: each <text> costs WeasyPrint a full text layout (about
    # 2.5 ms), so the months at either end and the zero are said once in the page's text.
    out.append(
        f'<text x="{_n(left - 3)}" y="{_n(top + 7)}" font-size="9" text-anchor="end" '
        f'fill="{DARK}">{_fmt_tick(ymax)}</text>'
    )
    if n and with_months:
        out.append(
            f'<text x="{_n(left)}" y="{_n(height - 3)}" font-size="8.5" fill="{DARK}">'
            f"{escape(month_name(months[0]))}</text>"
        )
        out.append(
            f'<text x="{_n(left + pw)}" y="{_n(height - 3)}" font-size="8.5" '
            f'text-anchor="end" fill="{DARK}">{escape(month_name(months[-1]))}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _ring_path(coords: Sequence[Sequence[float]], tx: Any) -> str:
    pts = [tx(c[0], c[1]) for c in coords]
    if len(pts) < 3:
        return ""
    return "M" + "L".join(f"{_n(a)} {_n(b)}" for a, b in pts) + "Z"


def map_svg(
    data: dict[str, Any],
    *,
    title: str,
    desc: str,
    ident: str,
    width: float = 460,
) -> str:
    """The area's outline over a grid of shaded squares, with neighbouring outlines in grey.

    ``data`` is the ``map`` part of a briefing's content: ``bounds`` (BNG xmin, ymin, xmax,
    ymax), ``outline`` and ``neighbours`` (lists of rings of [x, y] in BNG metres),
    ``cell_shapes`` ([shade class, rings] of each grid square clipped to the area) and
    ``scale_m``. Holes in clipped squares are drawn with the even-odd rule."""
    xmin, ymin, xmax, ymax = data["bounds"]
    span_x, span_y = max(xmax - xmin, 1.0), max(ymax - ymin, 1.0)
    pad = 6.0
    scale = (width - 2 * pad) / span_x
    height = min(span_y * scale + 2 * pad + 14, width * 1.15)
    scale = min(scale, (height - 2 * pad - 14) / span_y)
    ox = pad + ((width - 2 * pad) - span_x * scale) / 2

    def tx(e: float, n: float) -> tuple[float, float]:
        return ox + (e - xmin) * scale, pad + (ymax - n) * scale

    out = _open(width, height, title, desc, ident)
    neighbours = "".join(_ring_path(r, tx) for r in data.get("neighbours", []))
    if neighbours:
        out.append(f'<path d="{neighbours}" fill="#f3f2f1" stroke="{LIGHT}" stroke-width="0.8"/>')
    by_class: dict[int, list[str]] = {}
    for k, rings in data.get("cell_shapes", []):
        by_class.setdefault(int(k), []).extend(_ring_path(r, tx) for r in rings)
    for k in sorted(by_class):
        out.append(
            f'<path d="{"".join(by_class[k])}" fill="{RAMP[min(k, len(RAMP) - 1)]}" '
            'fill-rule="evenodd"/>'
        )
    outline = "".join(_ring_path(r, tx) for r in data.get("outline", []))
    if outline:
        out.append(
            f'<path d="{outline}" fill="none" stroke="{DARK}" stroke-width="1.8" '
            'stroke-linejoin="round"/>'
        )
    km = float(data.get("scale_m") or 0)
    if km > 0:
        bar = km * scale
        yb = height - 6
        out.append(
            f'<path d="M{_n(pad)} {_n(yb - 3)}V{_n(yb)}H{_n(pad + bar)}V{_n(yb - 3)}" '
            f'fill="none" stroke="{DARK}" stroke-width="1"/>'
        )
        label = f"{km / 1000:g} km" if km >= 1000 else f"{km:g} m"
        out.append(
            f'<text x="{_n(pad + bar + 4)}" y="{_n(yb)}" font-size="9" fill="{DARK}">{label}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def funnel_svg(
    data: dict[str, Any],
    *,
    title: str,
    desc: str,
    ident: str,
    width: float = 300,
    height: float = 170,
) -> str:
    """Peer areas' rates against their population, with 95% (dashed) and 99.8% (dotted)
    limits around the peer average (solid); this area is a labelled diamond, the peers dots.
    The rate axis is labelled at both ends and does not start at zero.

    ``data``: ``peers`` ([population, rate]), ``area`` ([population, rate]), ``average``,
    ``limits`` ([population, lower95, upper95, lower998, upper998] along the x axis)."""
    left, right, top, bottom = 34.0, 8.0, 8.0, 18.0
    pw, ph = width - left - right, height - top - bottom
    pops = [p for p, _ in data["peers"]] + [data["area"][0]]
    rates = [r for _, r in data["peers"]] + [data["area"][1], data["average"]]
    xmax = nice_max(max(pops) * 1.05)
    lim = data.get("limits", [])
    # The rate axis spans the areas and the 99.8% limits at the smallest area (not from zero:
    # the comparison is about the spread around the average).
    near = [row for row in lim if row[0] >= min(pops) * 0.9] or lim
    hi = max([*rates, *(row[4] for row in near)])
    lo = min([*rates, *(row[3] for row in near)])
    pad_y = (hi - lo) * 0.08 or 1.0
    ymin, ymax = float(max(0.0, lo - pad_y)), float(hi + pad_y)

    def x(v: float) -> float:
        return left + pw * v / xmax

    def y(v: float) -> float:
        return top + ph - ph * (max(ymin, min(v, ymax)) - ymin) / (ymax - ymin)

    out = _open(width, height, title, desc, ident)
    out.append(
        f'<path d="M{_n(left)} {_n(top)}V{_n(top + ph)}H{_n(left + pw)}" fill="none" '
        f'stroke="{LIGHT}"/>'
    )
    out.append(
        f'<path d="M{_n(left)} {_n(y(data["average"]))}H{_n(left + pw)}" fill="none" '
        f'stroke="{GREY}"/>'
    )
    for col, dash in ((1, "4 3"), (2, "4 3"), (3, "1 2"), (4, "1 2")):
        pts = [(x(row[0]), y(row[col])) for row in lim if row[0] <= xmax]
        if len(pts) > 1:
            d = "M" + "L".join(f"{_n(a)} {_n(b)}" for a, b in pts)
            out.append(f'<path d="{d}" fill="none" stroke="{GREY}" stroke-dasharray="{dash}"/>')
    dots = "".join(
        f"M{_n(x(p) - 2)} {_n(y(r))}a2 2 0 1 0 4 0a2 2 0 1 0 -4 0z" for p, r in data["peers"]
    )
    if dots:
        out.append(f'<path d="{dots}" fill="{LIGHT}" stroke="{GREY}" stroke-width="0.6"/>')
    ax, ay = x(data["area"][0]), y(data["area"][1])
    out.append(f'<path d="M{_n(ax)} {_n(ay - 5)}l5 5l-5 5l-5 -5z" fill="{BLUE}" stroke="{DARK}"/>')
    out.append(
        f'<text x="{_n(min(ax + 7, left + pw - 40))}" y="{_n(max(ay - 6, top + 8))}" '
        f'font-size="9" fill="{DARK}">{escape(str(data.get("label", "this area")))}</text>'
    )
    for v, yy in ((ymax, top + 6), (ymin, top + ph)):
        out.append(
            f'<text x="{_n(left - 3)}" y="{_n(yy)}" font-size="8.5" text-anchor="end" '
            f'fill="{DARK}">{_fmt_tick(v)}</text>'
        )
    out.append(
        f'<text x="{_n(left + pw)}" y="{_n(height - 4)}" font-size="8.5" text-anchor="end" '
        f'fill="{DARK}">{_fmt_tick(xmax)} residents</text>'
    )
    out.append("</svg>")
    return "".join(out)
