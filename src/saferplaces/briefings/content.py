"""What a neighbourhood briefing says, as a plain dict (the Python API of briefings).

Statistics are computed **once per level** (:meth:`BriefingSet.prepare`): each briefing measure
is an :class:`~saferplaces.indicators.definitions.Indicator` built in code and evaluated with
:func:`~saferplaces.indicators.evaluate.evaluate_indicator` for every area of the level at once
(counts with exact intervals, the comparison with the same 12 months a year earlier by the exact
conditional test, an XmR control chart); the same measures as rates are evaluated for the level,
its parent level (the district, say) and the force. :meth:`BriefingSet.content` then only picks
one area's numbers and words them, so a level of 300 wards costs one evaluation, not 300.

Fair comparisons: the area's figure counts crimes with a location in the area (by LSOA lookup,
or by point-in-polygon for a council's own boundaries). The district and force averages count
the same way: the force average leaves out rows with no location, which no area below the force
can hold, so an area is not made to look safer than its force by that alone.

The words follow three rules (PRODUCT.md, "the people it must not fail"):

* a change is called a change only when the statistics support it (significant comparison or a
  sustained control-chart signal; conflicting evidence is said to conflict);
* counts under 10 are shown as counts with their likely range, never as a percentage change, and
  outcome shares are shown only over 20 crimes and when most crimes are no longer open;
* every figure says what it counts and what it leaves out (caveats for this area and period).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import shapely
from numpy.typing import NDArray

from ..errors import SaferPlacesError
from ..geo import Hierarchy, to_bng
from ..geo.areas import LOOKUP_LEVELS, AreaNotFoundError, Areas
from ..geo.peers import load_peer_groups
from ..geo.populations import denominator_names, load_denominator
from ..indicators import workspace_indicators
from ..indicators.cube import Level, MartCube, build_level, denominator_for, lookup_vintage
from ..indicators.definitions import Indicator, IndicatorSet, Polarity
from ..indicators.evaluate import (
    METHOD_VERSION,
    SMALL_COUNT,
    SMALL_DENOMINATOR,
    Evaluation,
    evaluate_indicator,
    month_name,
)
from ..lake.catalog import connect
from ..lake.mart import OUTCOME_GROUPS
from ..stats.rates import funnel_limits_rate
from ..taxonomy import OUTCOME_GROUP_LABELS
from ..workspace import Workspace
from .config import AreaText, BriefingsConfig, load_briefings_config

SCHEMA = "saferplaces.briefing/1"
PER = 1000.0
#: Months of data needed for a full trend chart (two years: this year and last).
FULL_TREND_MONTHS = 24
#: A measure with fewer than this many in 12 months gets no trend chart (a line of zeros and
#: ones says nothing); its count is still given.
MIN_CHART_TOTAL = 10
ASB = "anti-social-behaviour"


@dataclass(frozen=True)
class MeasureSpec:
    """One briefing measure: a police.uk category group counted for the area."""

    id: str
    title: str
    what: str  # plural noun: "crimes", "incidents"
    field: Literal["crimes", "asb_incidents"]
    categories: tuple[str, ...] = ()
    polarity: Polarity = "lower-is-better"
    activity_driven: bool = False
    note: str = ""


MEASURES: tuple[MeasureSpec, ...] = (
    MeasureSpec("all-crime", "All crime", "crimes", "crimes", (), note="every category except ASB"),
    MeasureSpec("violence", "Violence and sexual offences", "crimes", "crimes", ("violent-crime",)),
    MeasureSpec("asb", "Anti-social behaviour", "incidents", "asb_incidents", (ASB,),
                note="incidents, not crimes"),
    MeasureSpec("burglary", "Burglary", "crimes", "crimes", ("burglary",),
                note="homes and other buildings"),
    MeasureSpec("vehicle-crime", "Vehicle crime", "crimes", "crimes", ("vehicle-crime",)),
    MeasureSpec("criminal-damage", "Criminal damage and arson", "crimes", "crimes",
                ("criminal-damage-arson",)),
    MeasureSpec("shoplifting", "Shoplifting", "crimes", "crimes", ("shoplifting",)),
    MeasureSpec("public-order", "Public order offences", "crimes", "crimes", ("public-order",)),
    MeasureSpec("drugs", "Drug offences", "crimes", "crimes", ("drugs",), polarity="neutral",
                activity_driven=True, note="found mostly by police activity"),
)  # fmt: skip


def _indicator(spec: MeasureSpec, denominator: str | None) -> Indicator:
    kind = "rate" if denominator else "count"
    return Indicator.model_validate(
        {
            "id": f"briefing-{spec.id}-{kind}",
            "title": spec.title,
            "description": f"{spec.title} recorded by the police, latest 12 months.",
            "objective": "briefing",
            "theme": "Neighbourhood briefing",
            "type": "lagging",
            "measure": {"kind": kind, "denominator": denominator},
            "source": {"field": spec.field, "categories": list(spec.categories)},
            "period": "rolling-12-months",
            "polarity": spec.polarity,
            "activity_driven": spec.activity_driven,
        }
    )


def briefing_indicators(denominator: str | None = None) -> list[Indicator]:
    """The briefing measures as indicators: counts, or rates per 1,000 of ``denominator``."""
    return [_indicator(s, denominator) for s in MEASURES]


def no_suspect_indicator(lag_months: int) -> Indicator:
    """Share of crimes closed with no suspect identified, leaving out the latest months."""
    return Indicator.model_validate(
        {
            "id": "briefing-no-suspect",
            "title": "Crimes closed with no suspect identified",
            "description": "Share of crimes whose latest outcome is 'Investigation complete; no "
            "suspect identified', over 12 months ending a few months ago.",
            "objective": "briefing",
            "theme": "Outcomes",
            "type": "lagging",
            "measure": {"kind": "outcome_rate"},
            "source": {"field": "crimes", "outcome_groups": ["no_suspect"]},
            "period": "rolling-12-months",
            "polarity": "lower-is-better",
            "lag_months": lag_months,
        }
    )


# ---------------------------------------------------------------------------------------------
# Levels and what they are compared with


def located_force_level(ws: Workspace, cube: MartCube) -> Level:
    """The force, counting only rows with a location (as every area below the force does)."""
    force = build_level(ws, cube, "force")
    assert force.row_area is not None
    located = np.array([c is not None for c in cube.lsoa_codes], dtype=bool)
    return Level(
        "force",
        "force",
        force.codes,
        force.names,
        np.where(located, force.row_area, -1),
        "police.uk force: rows with a location",
    )


def default_parent_level(level: str) -> str | None:
    """The level an area is compared with by default: the district, or nothing but the force."""
    if level in ("force", "region"):
        return None
    if level == "lad":
        return None  # a district's parent is the force, which every briefing shows anyway
    return "lad"


def _denominator_name(
    ws: Workspace, cube: MartCube, level: Level, setting: str | None
) -> tuple[str | None, NDArray[np.float64] | None, str | None]:
    """The denominator for rates at ``level``: the configured one, else a stored denominator
    held for this level, else Census residents (through the LSOA lookup). None when no
    population is known for the level (drawn areas without one): counts only."""
    if setting:
        values, label = denominator_for(ws, cube, level, setting)
        return setting, values, label
    stored = []
    for name in denominator_names(ws.lake_dir):
        if name == "residents":
            continue  # the engine reads 'residents' from the bundled Census, whatever is stored
        try:
            if load_denominator(ws.lake_dir, name).level == level.name:
                stored.append(name)
        except (AreaNotFoundError, OSError):
            continue
    if stored:
        preferred = [n for n in stored if "resident" in n or "population" in n]
        name = sorted(preferred or stored)[0]
    elif level.point_fields is None:
        name = "residents"
    else:
        return None, None, None
    try:
        values, label = denominator_for(ws, cube, level, name)
    except (SaferPlacesError, KeyError, AttributeError):
        return None, None, None
    if not np.isfinite(values).any():
        return None, None, None
    return name, values, label


@dataclass
class LevelFigures:
    """Every briefing measure evaluated for every area of one level."""

    level: Level
    counts: dict[str, list[Evaluation]]
    rates: dict[str, list[Evaluation]]  # empty when the level has no population
    population: NDArray[np.float64] | None
    population_label: str | None
    no_suspect: list[Evaluation]
    outcome_counts: dict[str, NDArray[np.float64]]  # group -> per area, over the outcome window
    outcome_total: NDArray[np.float64]


def _window(evals: Sequence[Evaluation], months: list[str]) -> tuple[int, int] | None:
    ev = next((e for e in evals if e.period_start and e.period_end), None)
    if ev is None:
        return None
    return months.index(ev.period_start), months.index(ev.period_end)


def level_figures(
    ws: Workspace,
    cube: MartCube,
    level: Level,
    *,
    denominator: str | None,
    lag_months: int,
    with_counts: bool = True,
) -> LevelFigures:
    name, pop, label = _denominator_name(ws, cube, level, denominator)
    counts = (
        {s.id: evaluate_indicator(ws, cube, level, _indicator(s, None)) for s in MEASURES}
        if with_counts
        else {}
    )
    rates = (
        {s.id: evaluate_indicator(ws, cube, level, _indicator(s, name)) for s in MEASURES}
        if name
        else {}
    )
    ns = evaluate_indicator(ws, cube, level, no_suspect_indicator(lag_months))
    crime_mask = cube.category_mask([])
    n = len(level.codes)
    groups: dict[str, NDArray[np.float64]] = {}
    total = np.full(n, np.nan)
    win = _window(ns, cube.months)
    if win is not None:
        s, e = win
        total = level.series(cube, "crimes", crime_mask)[:, s : e + 1].sum(axis=1)
        for g in OUTCOME_GROUPS:
            groups[g] = level.series(cube, f"outcome_{g}", crime_mask)[:, s : e + 1].sum(axis=1)
    return LevelFigures(level, counts, rates, pop, label, ns, groups, total)


# ---------------------------------------------------------------------------------------------
# Points: the map, the parent of a drawn area, the places named most often

_POINTS_SQL = """
SELECT force, lsoa_code, location, longitude, latitude, is_asb, counts_as_crime FROM (
    SELECT force, month, lsoa_code, location, longitude, latitude, is_asb, no_location,
           (crime_id IS NOT NULL AND NOT is_asb
            AND row_number() OVER (PARTITION BY force, month, crime_id ORDER BY line) = 1)
               AS counts_as_crime
    FROM street WHERE force IN ({forces}) AND month >= ? AND month <= ?
) WHERE NOT no_location AND (counts_as_crime OR is_asb)
"""


@dataclass
class Points:
    """police.uk rows with a location in the briefing period, in British National Grid."""

    x: NDArray[np.float64]
    y: NDArray[np.float64]
    force: NDArray[np.object_]
    lsoa: NDArray[np.object_]
    location: NDArray[np.object_]
    crime: NDArray[np.bool_]
    asb: NDArray[np.bool_]
    area: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    order: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    starts: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def of_area(self, a: int) -> NDArray[np.int64]:
        """Indices of the points in area ``a``."""
        return self.order[self.starts[a] : self.starts[a + 1]]


def load_points(ws: Workspace, cube: MartCube, first: str, last: str) -> Points:
    con = connect(ws.lake_dir)
    try:
        forces = ", ".join("'" + f.replace("'", "''") + "'" for f in cube.forces)
        cols = con.execute(_POINTS_SQL.format(forces=forces), [first, last]).fetchnumpy()
    finally:
        con.close()
    x, y = to_bng(
        np.asarray(cols["longitude"], dtype=np.float64),
        np.asarray(cols["latitude"], dtype=np.float64),
    )
    return Points(
        x,
        y,
        np.asarray(cols["force"], dtype=object),
        np.asarray(cols["lsoa_code"], dtype=object),
        np.asarray(cols["location"], dtype=object),
        np.asarray(cols["counts_as_crime"], dtype=bool),
        np.asarray(cols["is_asb"], dtype=bool),
    )


def assign_level(points: Points, cube: MartCube, level: Level, drawn: Areas | None) -> None:
    """Each point's area in ``level``, the way the level counts (lookup or point-in-polygon)."""
    from ..geo import locate_points

    n_areas = len(level.codes)
    if level.point_fields is not None and drawn is not None:
        area = locate_points(drawn.geometries, points.x, points.y)
    elif level.row_area is not None:
        key = {
            (cube.forces[f], c): int(a)
            for f, c, a in zip(cube.row_force, cube.lsoa_codes, level.row_area, strict=True)
        }
        area = np.fromiter(
            (key.get((f, c), -1) for f, c in zip(points.force, points.lsoa, strict=True)),
            dtype=np.int64,
            count=len(points.x),
        )
    else:
        area = np.full(len(points.x), -1, dtype=np.int64)
    order = np.argsort(area, kind="stable")
    sorted_area = area[order]
    starts = np.searchsorted(sorted_area, np.arange(n_areas + 1))
    points.area, points.order, points.starts = area, order, starts


def parents_of(
    ws: Workspace,
    cube: MartCube,
    level: Level,
    parent: Level,
    points: Points | None,
) -> dict[str, str]:
    """The parent area of each area of ``level`` (areas with none are left out).

    Through the bundled lookup for LSOA levels; through stored boundaries, a stored LSOA lookup
    or stored parent codes for drawn levels; failing those, the parent holding most of the
    area's located police.uk rows (their LSOA codes through the lookup)."""
    h = Hierarchy.for_workspace(ws, vintage=lookup_vintage(cube))  # type: ignore[arg-type]
    out: dict[str, str] = {}
    if level.name in LOOKUP_LEVELS and parent.name in LOOKUP_LEVELS:
        found: dict[str, set[str]] = {}
        for c, p in zip(
            h.lookup.level_codes(level.name), h.lookup.level_codes(parent.name), strict=True
        ):
            if c is not None and p is not None:
                found.setdefault(str(c), set()).add(str(p))
        for code in level.codes:
            ps = found.get(code, set())
            if len(ps) == 1 and (p := next(iter(ps))) in parent.index:
                out[code] = p
        return out
    try:
        drawn_parents = h.parents(level.name, parent.name)
        out = {c: p for c, p in drawn_parents.items() if p is not None and p in parent.index}
        if out:
            return out
    except (AreaNotFoundError, ValueError):
        pass
    if points is None or parent.row_area is None:
        return out
    # Majority of the area's points, through their LSOA codes.
    key = {
        (cube.forces[f], c): int(a)
        for f, c, a in zip(cube.row_force, cube.lsoa_codes, parent.row_area, strict=True)
    }
    for i, code in enumerate(level.codes):
        idx = points.of_area(i)
        if not len(idx):
            continue
        votes = np.fromiter(
            (key.get((points.force[j], points.lsoa[j]), -1) for j in idx), dtype=np.int64
        )
        votes = votes[votes >= 0]
        if len(votes):
            out[code] = parent.codes[int(np.bincount(votes).argmax())]
    return out


# ---------------------------------------------------------------------------------------------
# Words and numbers


def _int(v: float | None) -> int | None:
    return None if v is None or not math.isfinite(v) else round(v)


def count_text(v: float | None) -> str:
    n = _int(v)
    return "not available" if n is None else f"{n:,}"


def rate_text(v: float | None) -> str:
    if v is None or not math.isfinite(v):
        return "not available"
    return f"{v:,.1f}" if v >= 0.95 or v == 0 else f"{v:,.2f}"


def _pct(v: float) -> str:
    return f"{v:.0f}%"


def _plural(n: int | None, one: str, many: str) -> str:
    return one if n == 1 else many


def change_words(ev: Evaluation, spec: MeasureSpec, months_held: int) -> dict[str, Any]:
    """The year-on-year verdict in plain words (see the module docs for the rules)."""
    what = spec.what
    if ev.status != "ok" or ev.numerator is None:
        return {
            "kind": "not-available",
            "short": "Not available",
            "text": _plain_reason(ev.reason),
        }
    if not ev.comparisons:
        return {
            "kind": "not-compared",
            "short": "No comparison yet",
            "text": f"Not compared: only {months_held} months of data are held, and a "
            "comparison with the same 12 months a year earlier needs 24.",
        }
    c = ev.comparisons[-1]
    if c.before_numerator is None or c.after_numerator is None:
        return {
            "kind": "not-compared",
            "short": "No comparison",
            "text": "Not compared: a month of the year before is missing from police.uk.",
        }
    a, b = round(c.after_numerator), round(c.before_numerator)
    base = {"before": b, "after": a}
    if min(a, b) < SMALL_COUNT:
        return {
            **base,
            "kind": "too-few",
            "short": "Too few to tell",
            "text": f"{a:,} {_plural(a, what[:-1], what)} compared with {b:,} a year earlier: "
            "numbers this small go up and down by chance, so it is too few to tell whether "
            "anything changed.",
        }
    neutral = spec.polarity == "neutral"
    if c.significant and ev.score == "stable":
        return {
            **base,
            "kind": "mixed",
            "short": "Mixed evidence",
            "text": f"{a:,} compared with {b:,} a year earlier. The year-on-year difference is "
            "larger than chance, but the monthly figures point the other way, so we do not "
            "call it a change.",
        }
    if c.significant:
        up = a > b
        pct = abs(a - b) / b * 100 if b else 0.0
        word = "more" if up else "fewer"
        return {
            **base,
            "pct_text": f"{_pct(pct)} {word}",
            "kind": "up" if up else "down",
            "short": ("Up" if up else "Down") + ": a real change",
            "text": f"{'Up' if up else 'Down'} from {b:,} to {a:,} ({_pct(pct)} {word}): more "
            "than chance alone would explain."
            + (" This reflects police activity as much as offending." if neutral else ""),
        }
    if ev.score in ("improving", "deteriorating", "changed") and ev.spc.get("sustained"):
        above = ev.spc.get("side", 0) > 0
        return {
            **base,
            "kind": "shift",
            "short": "Recent shift " + ("up" if above else "down"),
            "text": f"{a:,} compared with {b:,} a year earlier, which on its own is within "
            f"chance; but the monthly figures have stayed {'above' if above else 'below'} "
            "their average for 7 months or more, a sign of a real shift.",
        }
    return {
        **base,
        "kind": "same",
        "short": "No real change",
        "text": f"{a:,} compared with {b:,} a year earlier: the difference is within what "
        "chance alone produces.",
    }


def _plain_reason(reason: str) -> str:
    text = reason.removeprefix("Not computable: ").strip()
    if "fewer than 12 months" in text:
        return "Not available: fewer than 12 months of data are held."
    gap = re.match(r"^(.*) missing from the police\.uk data for this period\.$", text)
    if gap:
        return (
            f"Not available: police.uk has no data for {gap.group(1)}, which falls in this "
            "period, and a total without it would be too low."
        )
    return "Not available: " + (text or "no data.")


def compare_rates(
    counts: NDArray[np.float64], pops: NDArray[np.float64], targets: NDArray[np.float64]
) -> list[str | None]:
    """'higher', 'lower' or 'similar' for each area's rate against its target rate, by the
    95% Poisson funnel limits around the target (PHE funnel method), None if unknown."""
    out: list[str | None] = [None] * len(counts)
    ok = np.isfinite(counts) & np.isfinite(pops) & (pops > 0) & np.isfinite(targets)
    for t in np.unique(targets[ok]):
        idx = np.flatnonzero(ok & (targets == t))
        lim = funnel_limits_rate(float(t), pops[idx], PER)
        rate = counts[idx] / pops[idx] * PER
        for k, i in enumerate(idx):
            if rate[k] > lim.upper95[k]:
                out[i] = "higher"
            elif rate[k] < lim.lower95[k]:
                out[i] = "lower"
            else:
                out[i] = "similar"
    return out


VERSUS_WORDS = {
    "higher": "higher than",
    "lower": "lower than",
    "similar": "similar to",
}


# ---------------------------------------------------------------------------------------------
# The map


def _nice(v: float, steps: Sequence[float]) -> float:
    return next((s for s in steps if s >= v), steps[-1])


def _rings(geom: Any, tol: float) -> list[list[list[float]]]:
    simple = shapely.simplify(geom, tol, preserve_topology=True) if tol > 0 else geom
    rings: list[list[list[float]]] = []
    for poly in shapely.get_parts(simple):
        if shapely.get_type_id(poly) != 3:
            continue
        for ring in [poly.exterior, *poly.interiors]:
            coords = np.round(shapely.get_coordinates(ring)).tolist()
            if len(coords) >= 4:
                rings.append(coords)
    return rings


def class_breaks(values: NDArray[np.int64]) -> list[int]:
    """Upper bounds of up to five shade classes for counts per square (the last open)."""
    if not len(values):
        return []
    top = int(values.max())
    if top <= 5:
        return list(range(1, top + 1))
    qs = np.ceil(np.quantile(values, [0.5, 0.75, 0.9, 0.97])).astype(int).tolist()
    out: list[int] = []
    for q in qs:
        if q < top and (not out or q > out[-1]):
            out.append(int(q))
    return [*out, top]


def _class_labels(breaks: list[int]) -> list[str]:
    labels = []
    low = 1
    for i, b in enumerate(breaks):
        if i == len(breaks) - 1 and b > low:
            labels.append(f"{low} or more")
        elif b == low:
            labels.append(f"{b}")
        else:
            labels.append(f"{low} to {b}")
        low = b + 1
    return labels


def map_data(
    geom: Any,
    neighbours: Iterable[Any],
    xs: NDArray[np.float64],
    ys: NDArray[np.float64],
) -> dict[str, Any]:
    """Outline, neighbouring outlines, grid squares with shade classes, and a scale bar."""
    xmin, ymin, xmax, ymax = shapely.bounds(geom).tolist()
    span = max(xmax - xmin, ymax - ymin, 1.0)
    margin = span * 0.04
    bounds = [xmin - margin, ymin - margin, xmax + margin, ymax + margin]
    # About 20 squares across an area of the same size as a square, so a district with a long
    # thin stretch of estuary is not drawn in coarse squares; at least 200 m, because police.uk
    # snap points make finer grids count artefacts of anonymisation.
    side = math.sqrt(max(float(shapely.area(geom)), 1.0))
    size = int(_nice(side / 20, (200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000)))
    # Tolerances of a few pixels at print size: every vertex costs drawing time in the PDF.
    tol = span / 350
    box = shapely.box(*bounds)
    near = []
    for g in neighbours:
        clipped = shapely.intersection(g, box)
        if not shapely.is_empty(clipped):
            near.extend(_rings(clipped, span / 200))
    cells: list[list[float]] = []
    shapes: list[list[Any]] = []
    breaks: list[int] = []
    if len(xs):
        ex = (np.floor(xs / size) * size).astype(np.int64)
        ny = (np.floor(ys / size) * size).astype(np.int64)
        keys, counts = np.unique(np.stack([ex, ny], axis=1), axis=0, return_counts=True)
        breaks = class_breaks(counts)
        cls = np.searchsorted(np.asarray(breaks), counts, side="left")
        cells = [
            [float(k[0]), float(k[1]), int(c), int(n)]
            for k, c, n in zip(keys, cls, counts, strict=True)
        ]
        # Squares are drawn clipped to the (simplified) boundary, so the shading stays inside
        # the area; the counts are those of the whole square.
        boxes = shapely.box(keys[:, 0], keys[:, 1], keys[:, 0] + size, keys[:, 1] + size)
        clipped = shapely.intersection(boxes, shapely.simplify(geom, tol, preserve_topology=True))
        for shape, c in zip(clipped, cls, strict=True):
            rings = _rings(shape, 0.0)
            if rings:
                shapes.append([int(c), rings])
        counts_sorted = np.sort(counts)[::-1]
        half = int(np.searchsorted(np.cumsum(counts_sorted), counts_sorted.sum() / 2) + 1)
        stats = {
            "squares": len(counts),
            "half_in": half,
            "busiest": int(counts_sorted[0]),
        }
    else:
        stats = {"squares": 0, "half_in": 0, "busiest": 0}
    scale = _nice((bounds[2] - bounds[0]) / 5, (100, 200, 500, 1000, 2000, 5000, 10000, 20000))
    return {
        "available": True,
        "bounds": bounds,
        "outline": _rings(geom, tol),
        "neighbours": near,
        "cell_size": size,
        "cell_size_text": f"{size / 1000:g} km" if size >= 1000 else f"{size} m",
        "cells": cells,
        "cell_shapes": shapes,
        "legend": [{"label": lab, "shade": k} for k, lab in enumerate(_class_labels(breaks))],
        "scale_m": scale,
        **stats,
    }


def top_locations(locations: NDArray[np.object_], n: int = 3) -> list[dict[str, Any]]:
    """The snap-point street names recorded most often (police.uk's 'On or near ...')."""
    if not len(locations):
        return []
    names, counts = np.unique(np.asarray([str(v or "") for v in locations]), return_counts=True)
    order = np.lexsort((names, -counts))[:n]
    out = []
    for i in order:
        name = str(names[i]).removeprefix("On or near ").strip()
        if name and counts[i] >= 2:
            out.append({"place": name, "count": int(counts[i])})
    return out


# ---------------------------------------------------------------------------------------------
# The briefing set of one level


@dataclass
class BriefingSet:
    """Everything needed to write the briefings of one level, computed once."""

    ws: Workspace
    cube: MartCube
    config: BriefingsConfig
    indicators: IndicatorSet
    figures: LevelFigures
    parent: LevelFigures | None
    force: LevelFigures
    parent_of: dict[str, str]
    points: Points
    drawn: Areas | None
    versus: dict[str, dict[str, list[str | None]]]
    generated: str
    has_crime: bool
    has_asb: bool
    no_location: tuple[int, int] = (0, 0)  # rows with no location, and all rows (force, period)
    timings: dict[str, float] = field(default_factory=dict)
    _tree: Any = None

    @property
    def level(self) -> Level:
        return self.figures.level

    @property
    def codes(self) -> list[str]:
        return self.level.codes

    @property
    def names(self) -> list[str]:
        return self.level.names

    @classmethod
    def prepare(
        cls,
        ws: Workspace,
        level: str,
        *,
        cube: MartCube | None = None,
        config: BriefingsConfig | None = None,
        indicators: IndicatorSet | None = None,
    ) -> BriefingSet:
        """Load the data and compute every statistic for every area of ``level``."""
        import time

        t0 = time.perf_counter()
        cfg = config if config is not None else load_briefings_config(ws)
        cube = cube or MartCube.load(ws)
        lvl = build_level(ws, cube, level)
        settings = cfg.level(level)
        lag = cfg.settings.outcome_lag_months
        figures = level_figures(ws, cube, lvl, denominator=settings.denominator, lag_months=lag)
        force_level = located_force_level(ws, cube)
        force = (
            figures
            if level == "force"
            else level_figures(ws, cube, force_level, denominator=None, lag_months=lag)
        )
        parent_name = (
            settings.parent if settings.parent is not None else default_parent_level(level)
        )
        if parent_name in ("none", "force", level):
            parent_name = None
        h = Hierarchy.for_workspace(ws, vintage=lookup_vintage(cube))  # type: ignore[arg-type]
        drawn = h.areas(level)
        period = _window(next(iter(figures.counts.values())), cube.months)
        first, last = (
            (cube.months[period[0]], cube.months[period[1]])
            if period
            else (cube.months[max(0, len(cube.months) - 12)], cube.months[-1])
        )
        points = load_points(ws, cube, first, last)
        assign_level(points, cube, lvl, drawn)
        t1 = time.perf_counter()
        parent = None
        parent_of: dict[str, str] = {}
        if parent_name:
            try:
                plevel = build_level(ws, cube, parent_name)
            except SaferPlacesError:
                if settings.parent:
                    raise
                plevel = None
            if plevel is not None:
                parent = level_figures(
                    ws,
                    cube,
                    plevel,
                    denominator=cfg.level(parent_name).denominator,
                    lag_months=lag,
                    with_counts=False,
                )
                parent_of = parents_of(ws, cube, lvl, plevel, points)
        # Rows with no location, across the whole force over the period (the located force
        # level cannot see them: that is the point of it).
        full_force = build_level(ws, cube, "force")
        no_location = (0, 0)
        if period is not None:
            s, e = period
            every = np.ones(len(cube.categories), dtype=bool)
            rows = full_force.series(cube, "rows", every)[:, s : e + 1].sum()
            nol = full_force.series(cube, "no_location_rows", every)[:, s : e + 1].sum()
            if np.isfinite(rows) and np.isfinite(nol):
                no_location = (int(nol), int(rows))
        versus = _versus(figures, parent, None if level == "force" else force, parent_of)
        out = cls(
            ws,
            cube,
            cfg,
            workspace_indicators(ws) if indicators is None else indicators,
            figures,
            parent,
            force,
            parent_of,
            points,
            drawn,
            versus,
            dt.date.today().isoformat(),
            has_crime=any(c != ASB for c in cube.categories),
            has_asb=ASB in cube.categories,
            no_location=no_location,
        )
        out.timings = {"statistics": t1 - t0, "parents": time.perf_counter() - t1}
        return out

    # ---- one area --------------------------------------------------------------------------

    def measures(self) -> list[MeasureSpec]:
        """The measures this workspace's data can support."""
        return [
            s
            for s in MEASURES
            if (s.field == "asb_incidents" and self.has_asb)
            or (s.field == "crimes" and self.has_crime)
        ]

    def content(self, code: str) -> dict[str, Any]:
        """One area's briefing as a plain, JSON-serialisable dict (see docs/briefings.md)."""
        if code not in self.level.index:
            raise AreaNotFoundError(f"no area {code!r} at level '{self.level.name}'")
        a = self.level.index[code]
        cube = self.cube
        name = self.level.names[a]
        measures = self.measures()
        primary = measures[0] if measures else None
        counts = self.figures.counts
        lead = counts[primary.id][a] if primary else None
        months_held = len(cube.months)
        period = {
            "label": lead.period if lead and lead.period else "",
            "start": lead.period_start if lead else "",
            "end": lead.period_end if lead else "",
            "months_held": months_held,
            "first_month": cube.months[0],
            "last_month": cube.months[-1],
            "missing_months": [m for m, x in zip(cube.months, cube.missing, strict=True) if x],
            "comparison_available": bool(lead and lead.comparisons),
        }
        parent_code = self.parent_of.get(code)
        parent_idx = (
            self.parent.level.index.get(parent_code) if self.parent and parent_code else None
        )
        area = {
            "code": code,
            "name": name,
            "level": self.level.name,
            "level_label": self.level.label,
            "counted_by": self.level.lookup_source,
            "parent": (
                {
                    "code": parent_code,
                    "name": self.parent.level.names[parent_idx],
                    "level_label": self.parent.level.label,
                }
                if self.parent is not None and parent_idx is not None
                else None
            ),
            "force": {
                "code": self.force.level.codes[0] if self.force.level.codes else "",
                "name": ", ".join(self.force.level.names),
            },
        }
        rows = [self._measure_row(s, a, parent_idx, months_held) for s in measures]
        trends = [self._trend(s, a) for s in measures]
        outcomes = self._outcomes(a)
        text = self.config.text_for(self.level.name, code)
        content: dict[str, Any] = {
            "schema": SCHEMA,
            "partnership": self.ws.config.partnership.name,
            "generated": self.generated,
            "area": area,
            "period": period,
            "data": {
                "crime": self.has_crime,
                "asb": self.has_asb,
                "note": ""
                if self.has_crime
                else "This workspace holds anti-social behaviour incidents only, so there are "
                "no crime figures or outcomes in this briefing.",
            },
            "population": {
                "available": self.figures.population is not None
                and bool(np.isfinite(self.figures.population[a]))
                and self.figures.population[a] > 0,
                "value": _float(self.figures.population[a])
                if self.figures.population is not None
                else None,
                "label": self.figures.population_label,
                "parent_label": self.parent.population_label if self.parent else None,
                "force_label": self.force.population_label,
            },
            "measures": rows,
            "trends": trends,
            "trend_note": self._trend_note(),
            "map": self._map(a, primary),
            "outcomes": outcomes,
            "peer": self._peer(a, primary),
            "partnership_priorities": [
                {"title": o.title, "description": o.description} for o in self.indicators.objectives
            ],
            "neighbourhood": _neighbourhood(text),
        }
        content["headline"] = self._headline(content, a)
        content["key_figures"] = [r for r in rows if r["id"] in ("all-crime", "violence", "asb")][
            :3
        ]
        content["caveats"] = self._caveats(content, a)
        content["provenance"] = self._provenance()
        content["attribution"] = [
            "Contains public sector information licensed under the Open Government Licence v3.0.",
            "Contains National Statistics data © Crown copyright and database right.",
            "Contains OS data © Crown copyright and database right.",
        ]
        plain: dict[str, Any] = _plain(content)
        return plain

    def _measure_row(
        self, spec: MeasureSpec, a: int, parent_idx: int | None, months_held: int
    ) -> dict[str, Any]:
        ev = self.figures.counts[spec.id][a]
        rate_ev = self.figures.rates[spec.id][a] if self.figures.rates else None
        n = _int(ev.numerator)
        small = n is not None and n < SMALL_COUNT
        row: dict[str, Any] = {
            "id": spec.id,
            "title": spec.title,
            "what": spec.what,
            "note": spec.note,
            "activity_driven": spec.activity_driven,
            "count": n,
            "count_text": count_text(ev.numerator),
            # The 95% interval widened to whole numbers (down and up), never narrowed.
            "count_low": math.floor(ev.lower) if ev.lower is not None else None,
            "count_high": math.ceil(ev.upper) if ev.upper is not None else None,
            "small": small,
            "range_text": (
                f"likely range {math.floor(ev.lower)} to {math.ceil(ev.upper)}"
                if small and ev.lower is not None and ev.upper is not None
                else ""
            ),
            "change": change_words(ev, spec, months_held),
            "rate": None,
            "rate_text": "",
            "rate_range_text": "",
            "parent_rate": None,
            "parent_rate_text": "",
            "parent_versus": None,
            "force_rate": None,
            "force_rate_text": "",
            "force_versus": None,
        }
        if rate_ev is not None and rate_ev.status == "ok" and rate_ev.value is not None:
            row["rate"] = rate_ev.value
            row["rate_text"] = rate_text(rate_ev.value)
            if rate_ev.lower is not None and rate_ev.upper is not None:
                row["rate_range_text"] = f"{rate_text(rate_ev.lower)} to {rate_text(rate_ev.upper)}"
        if self.parent is not None and parent_idx is not None and self.parent.rates:
            pev = self.parent.rates[spec.id][parent_idx]
            if pev.status == "ok" and pev.value is not None:
                row["parent_rate"] = pev.value
                row["parent_rate_text"] = rate_text(pev.value)
                row["parent_versus"] = self.versus[spec.id]["parent"][a]
        if self.force.rates:
            fev = self.force.rates[spec.id][0]
            if fev.status == "ok" and fev.value is not None:
                row["force_rate"] = fev.value
                row["force_rate_text"] = rate_text(fev.value)
                row["force_versus"] = self.versus[spec.id]["force"][a]
        parts = []
        if row["parent_versus"] and self.parent is not None:
            parts.append(f"{VERSUS_WORDS[row['parent_versus']]} {self.parent.level.label}")
        if row["force_versus"]:
            parts.append(f"{VERSUS_WORDS[row['force_versus']]} force")
        text = "; ".join(parts)
        row["versus_text"] = text[:1].upper() + text[1:]
        return row

    def _trend(self, spec: MeasureSpec, a: int) -> dict[str, Any]:
        ev = self.figures.counts[spec.id][a]
        total = ev.numerator
        spc = ev.spc or {}
        enough = total is not None and total >= MIN_CHART_TOTAL
        status = ""
        if not ev.months:
            status = "No monthly data."
        elif not enough:
            status = (
                f"Too few to chart: {count_text(total)} {spec.what} in 12 months."
                if total is not None
                else "Not charted: the 12-month figure is not available."
            )
        elif spc.get("status") == "common cause":
            status = "No unusual months: the latest month is within the usual range."
        elif spc.get("status") in ("improvement", "concern", "neutral high", "neutral low"):
            side = "above" if spc.get("side", 0) > 0 else "below"
            rules = [r for r in spc.get("rules", []) if r in PLAIN_RULES]
            # Only a run or a trend is a sustained signal (the engine scores on those alone);
            # a single month at the edge is worth watching, not a change.
            lead = "A sustained shift: " if spc.get("sustained") else "Worth watching: "
            status = lead + "; ".join(PLAIN_RULES[r].format(side=side) for r in rules) + "."
        elif spc.get("text"):
            status = str(spc["text"])
        lower = spc.get("lower")
        values = list(ev.series)
        finite = [v for v in values if v is not None]
        desc = ""
        if finite and enough:
            hi = max(
                range(len(values)),
                key=lambda i: -1.0 if values[i] is None else float(values[i] or 0.0),
            )
            desc = (
                f"{spec.title} each month from {month_name(ev.months[0])} to "
                f"{month_name(ev.months[-1])}: between {min(finite):,.0f} and "
                f"{max(finite):,.0f} a month (highest in {month_name(ev.months[hi])}), "
                f"latest {_fmt_month_value(values[-1])}."
            )
            if spc.get("centre") is not None:
                desc += (
                    f" Average {spc['centre']:,.1f} a month; control limits "
                    f"{max(float(lower or 0.0), 0.0):,.1f} to {spc['upper']:,.1f}."
                )
            desc += " " + status
        return {
            "id": spec.id,
            "title": spec.title,
            "chart": bool(enough and finite),
            "months": list(ev.months),
            "values": values,
            "centre": spc.get("centre"),
            "upper": spc.get("upper"),
            "lower": max(float(lower), 0.0) if lower is not None else None,
            "points": spc.get("points"),
            "status": status,
            "description": desc,
        }

    def _trend_note(self) -> str:
        n = len(self.cube.months)
        if n >= FULL_TREND_MONTHS:
            return ""
        return (
            f"Only {n} months of data are held, so the trend is short: the charts cannot show "
            "whether this year differs from last year, and their control limits are provisional "
            f"(at least {FULL_TREND_MONTHS} months are needed for a full picture)."
        )

    def _map(self, a: int, primary: MeasureSpec | None) -> dict[str, Any]:
        what = "crimes" if self.has_crime else "ASB incidents"
        if self.drawn is None or primary is None:
            return {
                "available": False,
                "what": what,
                "note": "No boundary is held for this area, so there is no map. Import one "
                "with 'saferplaces areas import' to add it.",
            }
        code = self.level.codes[a]
        if code not in self.drawn:
            return {"available": False, "what": what, "note": "No boundary for this area."}
        geom = self.drawn.geometry(code)
        if self._tree is None:
            self._tree = shapely.STRtree(self.drawn.geometries)
        box = shapely.box(*shapely.bounds(geom).tolist()).buffer(
            max(shapely.bounds(geom)[2] - shapely.bounds(geom)[0], 1.0) * 0.05
        )
        near = [
            self.drawn.geometries[i]
            for i in self._tree.query(box)
            if str(self.drawn.codes[i]) != code
        ]
        idx = self.points.of_area(a)
        mask = self.points.crime[idx] if self.has_crime else self.points.asb[idx]
        sel = idx[mask]
        data = map_data(geom, near, self.points.x[sel], self.points.y[sel])
        data["what"] = what
        data["count"] = len(sel)
        data["places"] = top_locations(self.points.location[sel])
        return data

    def _outcomes(self, a: int) -> dict[str, Any]:
        f = self.figures
        lag = self.config.settings.outcome_lag_months
        ns = f.no_suspect[a]
        out: dict[str, Any] = {
            "available": False,
            "lag_months": lag,
            "period_label": ns.period,
            "groups": [],
            "show_shares": False,
            "message": "",
            "no_suspect": None,
            "force_no_suspect_text": "",
        }
        if not self.has_crime:
            out["message"] = (
                "No outcomes: anti-social behaviour incidents have no investigation outcome, "
                "and this workspace holds no crime data."
            )
            return out
        if not ns.period_start or not f.outcome_counts:
            out["message"] = (
                f"Not enough months of data to report outcomes: they need 12 months ending "
                f"{lag} months before the latest month, because recent cases are still open."
            )
            return out
        total = _int(f.outcome_total[a])
        if total is None:
            out["message"] = _plain_reason(ns.reason) if ns.reason else "Not available."
            return out
        out["available"] = True
        out["total"] = total
        if total == 0:
            out["message"] = f"No crimes were recorded in {ns.period}."
            return out
        open_n = f.outcome_counts["open"][a]
        open_share = open_n / total
        show = total >= SMALL_DENOMINATOR and open_share <= 0.5
        out["show_shares"] = show
        out["open_share_text"] = _pct(open_share * 100) if total >= SMALL_DENOMINATOR else ""
        order = ["charged_court", "out_of_court", "evidential_closure", "no_suspect", "open"]
        if f.outcome_counts["unknown"][a] > 0:
            order.append("unknown")
        for g in order:
            n = _int(f.outcome_counts[g][a]) or 0
            out["groups"].append(
                {
                    "group": g,
                    "label": OUTCOME_GROUP_LABELS[g],
                    "count": n,
                    "share_text": _pct(n / total * 100) if show else "",
                }
            )
        nsi = _int(f.outcome_counts["no_suspect"][a]) or 0
        if open_share > 0.5:
            # Under 20 crimes even this share is given as a count (METHODS §6.2 rule 5).
            how_many = (
                f"Most of these crimes ({_pct(open_share * 100)})"
                if total >= SMALL_DENOMINATOR
                else f"{round(open_n)} of these {total} {_plural(total, 'crime', 'crimes')}"
            )
            out["message"] = (
                f"{how_many} are still shown as under investigation or without a status "
                "update, so it is too early to say how they were resolved. Counts are shown; "
                "shares would mislead."
            )
        elif total < SMALL_DENOMINATOR:
            out["message"] = (
                f"Of {total} {_plural(total, 'crime', 'crimes')}, {nsi} "
                f"{_plural(nsi, 'was', 'were')} closed with no suspect identified. With fewer "
                f"than {SMALL_DENOMINATOR} crimes, shares would mislead, so only counts are shown."
            )
        elif ns.status == "ok" and ns.value is not None:
            out["no_suspect"] = {
                "value_text": _pct(ns.value),
                "range_text": f"{_pct(ns.lower or 0)} to {_pct(ns.upper or 0)}",
            }
            out["message"] = (
                f"{_pct(ns.value)} of crimes recorded in {ns.period} were closed with no "
                f"suspect identified (likely range {_pct(ns.lower or 0)} to "
                f"{_pct(ns.upper or 0)})."
            )
        fns = self.force.no_suspect[0] if self.force.no_suspect else None
        if fns is not None and fns.status == "ok" and fns.value is not None:
            out["force_no_suspect_text"] = _pct(fns.value)
            if out["no_suspect"] is not None:
                out["message"] += f" Across the force area: {_pct(fns.value)}."
        return out

    def _peer(self, a: int, primary: MeasureSpec | None) -> dict[str, Any] | None:
        if primary is None or not self.figures.rates:
            return None
        evs = self.figures.rates[primary.id]
        ev = evs[a]
        if ev.peer is None or ev.value is None or ev.denominator is None:
            return None
        group = next(
            (g for g in load_peer_groups(self.ws.root) if g.name == ev.peer["group"]), None
        )
        if group is None:
            return None
        idx = [self.level.index[m] for m in group.members if m in self.level.index]
        peers = [
            [float(evs[i].denominator or 0), float(evs[i].value or 0)]
            for i in idx
            if i != a and evs[i].value is not None and evs[i].denominator
        ]
        avg = float(ev.peer["average"])
        pops = [p for p, _ in peers] + [float(ev.denominator)]
        xs = np.linspace(max(min(pops) * 0.5, 1.0), max(pops) * 1.1, 40)
        lim = funnel_limits_rate(avg, xs, PER)
        label = str(ev.peer["label"])
        words = {
            "High (99.8%)": "clearly higher than",
            "High (95%)": "higher than",
            "Not significant": "similar to",
            "Low (95%)": "lower than",
            "Low (99.8%)": "clearly lower than",
        }.get(label, "compared with")
        rows = []
        for spec in self.measures():
            pe = self.figures.rates[spec.id][a].peer
            if pe is not None:
                rows.append(
                    {
                        "id": spec.id,
                        "title": spec.title,
                        "rate_text": rate_text(self.figures.rates[spec.id][a].value),
                        "average_text": rate_text(pe["average"]),
                        "words": {
                            "High (99.8%)": "Clearly higher",
                            "High (95%)": "Higher",
                            "Not significant": "Similar",
                            "Low (95%)": "Lower",
                            "Low (99.8%)": "Clearly lower",
                        }.get(str(pe["label"]), str(pe["label"])),
                    }
                )
        return {
            "group": group.name,
            "description": group.description,
            "source": group.source,
            "members": len(idx),
            "measure": primary.title,
            "rate_text": rate_text(ev.value),
            "average_text": rate_text(avg),
            "label": label,
            "text": f"{primary.title} per 1,000 residents in {self.level.names[a]} "
            f"({rate_text(ev.value)}) is {words} the average of its peer group "
            f"'{group.name}' ({rate_text(avg)}, {len(idx)} areas).",
            "rows": rows,
            "funnel": {
                "peers": peers,
                "area": [float(ev.denominator), float(ev.value)],
                "average": avg,
                "label": self.level.names[a],
                "limits": [
                    [
                        float(xs[i]),
                        float(lim.lower95[i]),
                        float(lim.upper95[i]),
                        float(lim.lower998[i]),
                        float(lim.upper998[i]),
                    ]
                    for i in range(len(xs))
                ],
            },
        }

    def _headline(self, content: dict[str, Any], a: int) -> dict[str, Any]:
        rows = content["measures"]
        name = content["area"]["name"]
        period = content["period"]
        if not rows:
            return {"title": f"No police.uk data for {name}.", "sentences": [], "changes": []}
        lead = rows[0]
        what = "crime" if lead["id"] == "all-crime" else "anti-social behaviour"
        ch = lead["change"]
        kind = ch["kind"]
        plabel = period["label"] or "the latest 12 months"
        count = lead["count_text"]
        unit = lead["what"] if lead["id"] == "all-crime" else "anti-social behaviour incidents"
        if lead["count"] == 1:
            unit = unit.replace("crimes", "crime").replace("incidents", "incident")
        if kind == "not-available":
            title = f"Figures for {name} cannot be given for {plabel}."
            first = ch["text"]
        elif kind == "not-compared":
            title = (
                f"{count} {unit} {'was' if lead['count'] == 1 else 'were'} recorded in {name} "
                f"in {plabel}."
            )
            first = (
                ch["text"]
                if "missing" in ch["text"]
                else f"Only {period['months_held']} months of data are held, so this cannot yet "
                "be compared with the same months a year earlier: we cannot say whether "
                f"{what} has gone up or down."
            )
        elif kind == "too-few":
            title = (
                f"Very little {what} was recorded in {name}: too few to tell whether anything "
                "changed."
            )
            first = (
                f"{count} {unit} in {plabel}, compared with {ch['before']:,} a year earlier. "
                "Numbers this small go up and down by chance."
            )
        elif kind in ("up", "down"):
            verb = "rose" if kind == "up" else "fell"
            title = f"Recorded {what} in {name} {verb}, and the change is real."
            first = (
                f"{count} {unit} in {plabel}, {kind} from {ch['before']:,} a year earlier "
                f"({ch['pct_text']}): more than chance alone would explain."
            )
        elif kind == "shift":
            title = f"Recorded {what} in {name} may be shifting."
            first = f"{count} {unit} in {plabel}. " + ch["text"]
        elif kind == "mixed":
            title = f"Recorded {what} in {name}: the evidence of change is mixed."
            first = f"{count} {unit} in {plabel}. " + ch["text"]
        else:
            title = f"Recorded {what} in {name} was about the same as a year earlier."
            first = (
                f"{count} {unit} in {plabel}, compared with {ch['before']:,} a year earlier: "
                "the difference is within what chance alone produces."
            )
        sentences = [first]
        rate_bits = []
        if lead["rate"] is not None:
            if lead["parent_versus"] and content["area"]["parent"]:
                rate_bits.append(
                    f"{VERSUS_WORDS[lead['parent_versus']]} the average for "
                    f"{content['area']['parent']['name']} ({lead['parent_rate_text']})"
                )
            if lead["force_versus"]:
                rate_bits.append(
                    f"{VERSUS_WORDS[lead['force_versus']]} the force area as a whole "
                    f"({lead['force_rate_text']})"
                )
            if rate_bits:
                sentences.append(
                    f"The rate per 1,000 residents ({lead['rate_text']}) is "
                    + " and ".join(rate_bits)
                    + "."
                )
        changes = []
        for r in rows[1:]:
            k = r["change"]["kind"]
            if k in ("up", "down"):
                changes.append(f"{r['title']}: {r['change']['text']}")
            elif k == "shift":
                changes.append(f"{r['title']}: {r['change']['short'].lower()}.")
        compared = any(r["change"]["kind"] not in ("not-compared", "not-available") for r in rows)
        if compared and not changes and len(rows) > 1:
            sentences.append("No other category changed by more than chance would explain.")
        return {"title": title, "sentences": sentences, "changes": changes}

    def _caveats(self, content: dict[str, Any], a: int) -> list[str]:
        out = [
            "Locations are approximate: police.uk moves every crime to the nearest of about "
            "750,000 anonymous map points (the middle of a street, a park, a shopping centre), "
            "so crimes near the edge of the area can be counted in the neighbouring area.",
        ]
        nol, rows = self.no_location
        if nol and rows:
            counted = (
                "they count towards the force's totals only"
                if self.level.name == "force"
                else "they are not counted here, nor in the district and force averages"
            )
            out.append(
                f"{nol:,} crimes and incidents across the force in "
                f"{content['period']['label']} ({nol / rows * 100:.0f}% of all rows) had no "
                f"location. They cannot be placed in any area, so {counted}."
            )
        elif rows:
            out.append(
                "Every crime and incident in the force's data for this period had a location, "
                "so none is left out of the area's count for want of one."
            )
        else:
            out.append(
                "Crimes with no location cannot be placed in any area and are not counted here."
            )
        missing = content["period"]["missing_months"]
        if missing:
            out.append(
                "Missing from police.uk: "
                + ", ".join(month_name(m) for m in missing)
                + ". These months are left blank in the charts, never counted as zero, and any "
                "12-month figure that includes them is not given."
            )
        if content["trend_note"]:
            out.append(content["trend_note"])
        small = [r["title"] for r in content["measures"] if r["small"]]
        if small:
            out.append(
                "Small numbers: "
                + ", ".join(small)
                + (" is" if len(small) == 1 else " are")
                + f" under {SMALL_COUNT}. Small counts are shown as counts with a likely range, "
                "never as percentage changes, because they vary a lot by chance."
            )
        if self.has_asb:
            out.append(
                "Anti-social behaviour is counted as incidents reported to the police, not "
                "crimes; councils and housing providers record more."
            )
        if self.has_crime:
            out.append(
                "Drug offences mostly come to light through police activity, so a rise can mean "
                "more enforcement rather than more drug use."
            )
        if self.level.point_fields is not None:
            out.append(
                f"Counted by whether each police.uk point falls inside the {self.level.label} "
                f"boundary ({self.level.lookup_source})."
            )
        pop = content["population"]
        if pop["available"]:
            out.append(f"Rates per 1,000 residents for this area use {pop['label']}.")
        elif pop["label"]:
            out.append(
                f"No rates are given: the population data used for rates have no figure for "
                f"this {self.level.label} (they are {pop['label']})."
            )
        elif self.has_crime or self.has_asb:
            out.append(f"No population is held for this {self.level.label}, so no rates are given.")
        if self.has_crime:
            out.append(
                "Outcomes are the latest recorded when police.uk published each month's file "
                "and change as cases progress; the latest "
                f"{self.config.settings.outcome_lag_months} months are left out because most "
                "of their cases are still open."
            )
        if self.cube.lsoa_vintage not in ("2011", "2021", "2011/2021"):
            out.append(
                f"LSOA codes in the data are of {self.cube.lsoa_vintage} vintage; areas may not "
                "match exactly."
            )
        return out

    def _provenance(self) -> dict[str, Any]:
        cube = self.cube
        provs = cube.provenance
        ingested = max((str(p.get("ingested_at") or "") for p in provs), default="")
        forces = ", ".join(self.force.level.names)
        from .. import __version__

        boundary = self.drawn.source if self.drawn is not None and self.drawn.source else ""
        parts = [
            f"Source: police.uk street-level crime and anti-social behaviour data for {forces}, "
            f"{month_name(cube.months[0])} to {month_name(cube.months[-1])} "
            f"({len(provs)} monthly files, each recorded with its SHA-256 checksum"
            + (f"; last loaded {ingested[:10]}" if ingested else "")
            + ").",
            f"Areas: {self.level.lookup_source}"
            + (f"; boundary file {boundary}" if boundary else "")
            + ".",
        ]
        if self.figures.population_label:
            parts.append(f"Population: {self.figures.population_label}.")
        parts.append(
            f"Produced by SaferPlaces {__version__} (method version {METHOD_VERSION}) on "
            f"{self.generated}."
        )
        return {
            "text": " ".join(parts),
            "files": len(provs),
            "first_month": cube.months[0],
            "last_month": cube.months[-1],
            "forces": list(cube.forces),
            "saferplaces_version": __version__,
            "method_version": METHOD_VERSION,
            "generated": self.generated,
        }


PLAIN_RULES = {
    "run": "7 months or more in a row {side} the average",
    "trend": "7 months in a row each higher, or each lower, than the one before",
    "outside_limits": "the latest month is outside the usual range",
    "two_of_three": "2 of the last 3 months close to the edge of the usual range",
}


def _plain(value: Any) -> Any:
    """Python values only (numpy scalars to bool/int/float), so the dict is JSON-ready."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _fmt_month_value(v: float | None) -> str:
    return "missing" if v is None else f"{v:,.0f}"


def _float(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _neighbourhood(text: AreaText) -> dict[str, Any]:
    return {
        "team": text.team,
        "priorities": list(text.priorities or []),
        "contact": text.contact,
        "links": [{"text": x.text, "url": x.url} for x in text.links or []],
        "note": text.note,
        "configured": any(
            v for v in (text.team, text.priorities, text.contact, text.links, text.note)
        ),
    }


def _versus(
    figures: LevelFigures,
    parent: LevelFigures | None,
    force: LevelFigures | None,
    parent_of: dict[str, str],
) -> dict[str, dict[str, list[str | None]]]:
    """Each area's rate against its parent's and the force's, for every measure."""
    out: dict[str, dict[str, list[str | None]]] = {}
    n = len(figures.level.codes)
    for spec in MEASURES:
        entry: dict[str, list[str | None]] = {"parent": [None] * n, "force": [None] * n}
        if figures.rates:
            evs = figures.rates[spec.id]
            counts = np.array([e.numerator if e.numerator is not None else np.nan for e in evs])
            pops = np.array([e.denominator if e.denominator is not None else np.nan for e in evs])
            if force is not None and force.rates:
                f = force.rates[spec.id][0]
                if f.value is not None:
                    entry["force"] = compare_rates(counts, pops, np.full(n, f.value))
            if parent is not None and parent.rates:
                pe = parent.rates[spec.id]
                targets = np.array(
                    [
                        (pe[parent.level.index[parent_of[c]]].value or np.nan)
                        if c in parent_of
                        else np.nan
                        for c in figures.level.codes
                    ],
                    dtype=np.float64,
                )
                entry["parent"] = compare_rates(counts, pops, targets)
        out[spec.id] = entry
    return out


def briefing_content(
    ws: Workspace, level: str, code: str, *, config: BriefingsConfig | None = None
) -> dict[str, Any]:
    """One area's briefing content (computes the whole level: use :class:`BriefingSet` for
    more than one area)."""
    return BriefingSet.prepare(ws, level, config=config).content(code)
