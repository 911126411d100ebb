"""Statistical process control: NHS "Making Data Count" XmR charts, c/u/p charts, seasonality.

Method (METHODS §3.2): NHS England "Making Data Count" (MDC) and its reference implementation
NHSRplotthedots (``ptd_spc_standard``, ``ptd_calculate_point_type``,
``ptd_calculate_assurance_type``); count charts from Mohammed, Worthington & Woodall (2008),
"Plotting basic control charts", BMJ Qual. Saf. 17:137–145.

* XmR: centre = mean; limits = mean ± 2.66 × mean moving range (AMR); moving ranges
  ≥ 3.267 × AMR are screened out and AMR recomputed; "near" limits at 2/3 of the distance (≈2σ).
* c-chart: c̄ ± 3√c̄; u-chart: ū ± 3√(ū/nᵢ); p-chart: p̄ ± 3√(p̄(1 − p̄)/nᵢ).
* Special cause rules: (1) a point outside the limits; (2) a run of 7 on one side of the mean;
  (3) a trend of 7 points all rising or all falling; (4) 2 of 3 consecutive points beyond the
  near limit (2σ) on the same side.
* Rebasing: limits are computed separately for each segment between known change points, and
  runs and trends do not cross a rebase.

:func:`seasonal_xmr` removes a same-calendar-month effect estimated from earlier years before
charting, so that a seasonal peak is not flagged as a change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from saferplaces.stats._verdict import (
    BoolArray,
    FloatArray,
    as_float_array,
    check_positive,
    check_same_length,
    counts_array,
    scalar,
)

__all__ = [
    "MIN_POINTS",
    "RULES",
    "SPCResult",
    "c_chart",
    "p_chart",
    "seasonal_xmr",
    "u_chart",
    "xmr",
]

Improvement = Literal["increase", "decrease", "neutral"]
PointType = Literal[
    "common_cause",
    "special_cause_improvement",
    "special_cause_concern",
    "special_cause_neutral_high",
    "special_cause_neutral_low",
]

#: XmR constants: 2.66 = 3/d2 with d2 = 1.128; 3.267 = D4 for moving ranges of 2.
XMR_LIMIT = 2.66
MR_SCREEN = 3.267
RUN_LENGTH = 7
TREND_LENGTH = 7
#: MDC warns when a chart (or rebased segment) has fewer points than this.
MIN_POINTS = 12
RULES = ("outside_limits", "run", "trend", "two_of_three")

_VARIATION_TEXT = {
    "common_cause": "Common cause variation",
    "improvement_high": "Special cause variation of an improving nature: significantly higher",
    "improvement_low": "Special cause variation of an improving nature: significantly lower",
    "concern_high": "Special cause variation of a concerning nature: significantly higher",
    "concern_low": "Special cause variation of a concerning nature: significantly lower",
    "neutral_high": "Special cause variation, neither improvement nor concern: higher",
    "neutral_low": "Special cause variation, neither improvement nor concern: lower",
}
_ASSURANCE_TEXT = {
    "consistent_pass": "Consistently passing the target: it lies outside the process limits",
    "consistent_fail": "Consistently failing the target: it lies outside the process limits",
    "hit_and_miss": "Hit and miss: the target lies within the process limits, so it will be "
    "met or missed by common cause variation alone",
}


@dataclass(frozen=True, eq=False)
class SPCResult:
    """A control chart: limits per point, rule flags per point, and the MDC summaries.

    ``flags`` maps each rule in :data:`RULES` to a boolean array; ``special_cause`` is their
    union. ``side`` is +1 (unusually high), −1 (unusually low) or 0 per point. ``variation_icon``
    and ``assurance`` use the MDC icon vocabulary for the latest point; ``variation`` and
    ``assurance_text`` say the same in words.
    """

    chart: str
    values: FloatArray
    centre: FloatArray
    upper: FloatArray
    lower: FloatArray
    upper_near: FloatArray
    lower_near: FloatArray
    segment: NDArray[np.int64]
    flags: dict[str, BoolArray]
    special_cause: BoolArray
    side: NDArray[np.int8]
    point_type: tuple[PointType, ...]
    improvement: Improvement
    variation_icon: str
    variation: str
    target: float | None
    assurance: str | None
    assurance_text: str | None
    warnings: tuple[str, ...]
    raw_values: FloatArray | None = None
    seasonal_effect: FloatArray | None = None
    notes: tuple[str, ...] = field(default=())


# --------------------------------------------------------------------------------------------
# Input handling


def _segments(n: int, rebase_at: Sequence[int]) -> NDArray[np.int64]:
    cuts = [int(i) for i in rebase_at]
    if any(not 0 < i < n for i in cuts):
        raise ValueError(
            f"rebase_at positions must be between 1 and {n - 1} (got {list(rebase_at)})"
        )
    if sorted(set(cuts)) != cuts:
        raise ValueError(f"rebase_at positions must be strictly increasing (got {list(rebase_at)})")
    seg = np.zeros(n, dtype=np.int64)
    for c in cuts:
        seg[c:] += 1
    return seg


def _check_improvement(improvement: str) -> Improvement:
    if improvement not in ("increase", "decrease", "neutral"):
        raise ValueError(
            f"improvement must be 'increase', 'decrease' or 'neutral' (got {improvement!r}); "
            "for crime counts lower is usually better: 'decrease'"
        )
    return improvement  # type: ignore[return-value]


def _baseline_slice(start: int, stop: int, baseline: int | None) -> slice:
    if baseline is None:
        return slice(start, stop)
    if baseline < 2:
        raise ValueError(f"baseline must be at least 2 points (got {baseline})")
    return slice(start, min(stop, start + baseline))


def _segment_bounds(seg: NDArray[np.int64]) -> list[tuple[int, int]]:
    starts = np.flatnonzero(np.r_[True, seg[1:] != seg[:-1]])
    stops = np.r_[starts[1:], len(seg)]
    return [(int(a), int(b)) for a, b in zip(starts, stops, strict=True)]


# --------------------------------------------------------------------------------------------
# Rules


def _long_runs(keys: NDArray[np.int64], valid: BoolArray, min_len: int) -> BoolArray:
    """True for elements inside runs of identical keys (with ``valid`` set) of ≥ min_len."""
    n = len(keys)
    if n == 0:
        return np.zeros(0, dtype=bool)
    change = np.r_[True, keys[1:] != keys[:-1]]
    starts = np.flatnonzero(change)
    lengths = np.diff(np.r_[starts, n])
    run_id = np.cumsum(change) - 1
    long = (lengths >= min_len) & valid[starts]
    return np.asarray(long[run_id], dtype=bool)


def _apply_rules(
    v: FloatArray,
    centre: FloatArray,
    upper: FloatArray,
    lower: FloatArray,
    upper_near: FloatArray,
    lower_near: FloatArray,
    seg: NDArray[np.int64],
) -> tuple[dict[str, BoolArray], NDArray[np.int8]]:
    n = len(v)
    rel = np.sign(v - centre).astype(np.int64)

    above, below = v > upper, v < lower
    outside = above | below

    # Rule 2: 7 in a row on one side; a point on the mean breaks the run (NHSRplotthedots).
    run = _long_runs(seg * 3 + rel, rel != 0, RUN_LENGTH)

    # Rule 3: 7 points each higher (lower) than the last = 6 same-signed differences; a tie or
    # a rebase breaks the trend.
    trend = np.zeros(n, dtype=bool)
    trend_dir = np.zeros(n, dtype=np.int64)
    if n >= 2:
        d = np.sign(np.diff(v)).astype(np.int64)
        d[seg[1:] != seg[:-1]] = 0
        in_trend = _long_runs(seg[1:] * 3 + d, d != 0, TREND_LENGTH - 1)
        trend[:-1] |= in_trend
        trend[1:] |= in_trend
        trend_dir[:-1] = np.where(in_trend, d, trend_dir[:-1])
        trend_dir[1:] = np.where(in_trend, d, trend_dir[1:])

    # Rule 4: 2 of 3 consecutive points beyond the same near limit (2σ), within one segment.
    # Points beyond the process limits count too (Western Electric); we flag the points that
    # are beyond the near limit in a qualifying window.
    two3 = np.zeros(n, dtype=bool)
    two3_side = np.zeros(n, dtype=np.int64)
    if n >= 3:
        same = seg[:-2] == seg[2:]
        for beyond, sign in ((v > upper_near, 1), (v < lower_near, -1)):
            b = beyond.astype(np.int64)
            window = same & (b[:-2] + b[1:-1] + b[2:] >= 2)
            covered = np.zeros(n, dtype=bool)
            for k in range(3):
                covered[k : n - 2 + k] |= window
            hit = covered & beyond
            two3 |= hit
            two3_side[hit] = sign

    # Side of a special cause: rules about position relative to the mean take precedence over
    # the direction of a trend (a falling trend still above the mean is reported as high only if
    # a positional rule flags it; otherwise as low).
    side = np.zeros(n, dtype=np.int64)
    side = np.where(trend, trend_dir, side)
    side = np.where(two3, two3_side, side)
    side = np.where(run, rel, side)
    side = np.where(outside, np.where(above, 1, -1), side)
    flags = {"outside_limits": outside, "run": run, "trend": trend, "two_of_three": two3}
    return flags, side.astype(np.int8)


def _point_types(
    special: BoolArray, side: NDArray[np.int8], improvement: Improvement
) -> tuple[PointType, ...]:
    good = {"increase": 1, "decrease": -1}.get(improvement, 0)
    out: list[PointType] = []
    for s, sd in zip(special, side, strict=True):
        if not s:
            out.append("common_cause")
        elif good == 0:
            out.append("special_cause_neutral_high" if sd > 0 else "special_cause_neutral_low")
        elif sd == good:
            out.append("special_cause_improvement")
        else:
            out.append("special_cause_concern")
    return tuple(out)


def _variation_icon(point_type: PointType, side: int) -> str:
    if point_type == "common_cause":
        return "common_cause"
    hl = "high" if side > 0 else "low"
    if point_type == "special_cause_improvement":
        return f"improvement_{hl}"
    if point_type == "special_cause_concern":
        return f"concern_{hl}"
    return f"neutral_{hl}"


def _assurance(
    target: float | None, improvement: Improvement, upper: float, lower: float
) -> str | None:
    if target is None or improvement == "neutral":
        return None
    inc = improvement == "increase"
    if target > upper:
        return "consistent_fail" if inc else "consistent_pass"
    if target < lower:
        return "consistent_pass" if inc else "consistent_fail"
    return "hit_and_miss"


def _finish(
    chart: str,
    v: FloatArray,
    centre: FloatArray,
    half: FloatArray,
    seg: NDArray[np.int64],
    improvement: Improvement,
    target: float | None,
    warnings: list[str],
    *,
    floor: float | None = None,
    ceiling: float | None = None,
    raw: FloatArray | None = None,
    seasonal: FloatArray | None = None,
    notes: tuple[str, ...] = (),
) -> SPCResult:
    """Limits from centre ± half (half = 3σ), rules, classification, assurance, warnings."""
    upper, lower = centre + half, centre - half
    upper_near, lower_near = centre + half * 2 / 3, centre - half * 2 / 3
    if floor is not None:
        lower, lower_near = np.maximum(lower, floor), np.maximum(lower_near, floor)
    if ceiling is not None:
        upper, upper_near = np.minimum(upper, ceiling), np.minimum(upper_near, ceiling)
    flags, side = _apply_rules(v, centre, upper, lower, upper_near, lower_near, seg)
    special = flags["outside_limits"] | flags["run"] | flags["trend"] | flags["two_of_three"]
    types = _point_types(special, side, improvement)
    for a, b in _segment_bounds(seg):
        if b - a < MIN_POINTS:
            where = "The chart" if a == 0 and b == len(v) else f"The segment starting at point {a}"
            warnings.append(
                f"{where} has only {b - a} points; NHS Making Data Count advises at least "
                f"{MIN_POINTS} before the limits are relied on."
            )
    icon = _variation_icon(types[-1], int(side[-1]))
    t = None if target is None else scalar(target, "target")
    assurance = _assurance(t, improvement, float(upper[-1]), float(lower[-1]))
    return SPCResult(
        chart=chart,
        values=v,
        centre=centre,
        upper=upper,
        lower=lower,
        upper_near=upper_near,
        lower_near=lower_near,
        segment=seg,
        flags=flags,
        special_cause=special,
        side=side,
        point_type=types,
        improvement=improvement,
        variation_icon=icon,
        variation=_VARIATION_TEXT[icon],
        target=t,
        assurance=assurance,
        assurance_text=None if assurance is None else _ASSURANCE_TEXT[assurance],
        warnings=tuple(warnings),
        raw_values=raw,
        seasonal_effect=seasonal,
        notes=notes,
    )


# --------------------------------------------------------------------------------------------
# Charts


def _xmr_limits(
    v: FloatArray,
    seg: NDArray[np.int64],
    baseline: int | None,
    screen: bool,
    warnings: list[str],
) -> tuple[FloatArray, FloatArray]:
    centre = np.empty_like(v)
    half = np.empty_like(v)
    for a, b in _segment_bounds(seg):
        base = v[_baseline_slice(a, b, baseline)]
        if len(base) < 2:
            raise ValueError(
                f"an XmR chart needs at least 2 points per segment (segment starting at point {a} "
                f"has {len(base)})"
            )
        mean = float(base.mean())
        mr = np.abs(np.diff(base))
        amr = float(mr.mean())
        if screen and amr > 0:
            # Screen out moving ranges ≥ 3.267 × AMR (a single shock inflates the limits).
            keep = mr < MR_SCREEN * amr
            if keep.any():
                amr = float(mr[keep].mean())
        if amr == 0:
            warnings.append(
                f"All baseline values in the segment starting at point {a} are equal; the limits "
                "have zero width, so any different value is flagged."
            )
        centre[a:b] = mean
        half[a:b] = XMR_LIMIT * amr
    return centre, half


def xmr(
    values: ArrayLike,
    *,
    improvement: Improvement = "neutral",
    target: float | None = None,
    rebase_at: Sequence[int] = (),
    baseline: int | None = None,
    screen_moving_ranges: bool = True,
) -> SPCResult:
    """XmR (individuals) chart with the four MDC special-cause rules.

    Method: NHS England "Making Data Count"; NHSRplotthedots ``ptd_spc`` — limits mean ±
    2.66 × AMR, moving ranges ≥ 3.267 × AMR screened out, near limits at 2/3 of that distance.
    ``improvement`` is the direction that is better ("decrease" for most crime measures);
    ``rebase_at`` lists positions where a new segment starts (a known system change);
    ``baseline`` fixes each segment's limits on its first N points (MDC "fix after N points").
    """
    v = as_float_array(values, "values")
    imp = _check_improvement(improvement)
    seg = _segments(len(v), rebase_at)
    warnings: list[str] = []
    centre, half = _xmr_limits(v, seg, baseline, screen_moving_ranges, warnings)
    return _finish("xmr", v, centre, half, seg, imp, target, warnings)


def c_chart(
    counts: ArrayLike,
    *,
    improvement: Improvement = "neutral",
    target: float | None = None,
    rebase_at: Sequence[int] = (),
    baseline: int | None = None,
) -> SPCResult:
    """c-chart for counts with a constant area of opportunity: c̄ ± 3√c̄ (lower limit ≥ 0).

    Method: Mohammed, Worthington & Woodall (2008), BMJ Qual. Saf. 17:137–145; Poisson
    variance. Use when the population at risk is steady; otherwise use :func:`u_chart`.
    Overdispersed counts (common in crime) give too-narrow limits: compare with :func:`xmr`.
    """
    c = counts_array(counts, "counts")
    imp = _check_improvement(improvement)
    seg = _segments(len(c), rebase_at)
    centre = np.empty_like(c)
    for a, b in _segment_bounds(seg):
        base = c[_baseline_slice(a, b, baseline)]
        centre[a:b] = base.mean()
    return _finish("c", c, centre, 3 * np.sqrt(centre), seg, imp, target, [], floor=0.0)


def u_chart(
    counts: ArrayLike,
    exposures: ArrayLike,
    *,
    multiplier: float = 1.0,
    improvement: Improvement = "neutral",
    target: float | None = None,
    rebase_at: Sequence[int] = (),
    baseline: int | None = None,
) -> SPCResult:
    """u-chart for rates with varying exposure: ū ± 3√(ū/nᵢ), ū = Σc/Σn (lower limit ≥ 0).

    Method: Mohammed, Worthington & Woodall (2008), BMJ Qual. Saf. 17:137–145. Values, limits
    and ``target`` are on the reporting scale (× ``multiplier``, e.g. 1,000 for per 1,000).
    """
    c = counts_array(counts, "counts")
    n = as_float_array(exposures, "exposures")
    check_same_length(counts=c, exposures=n)
    check_positive(n, "exposures", "a rate needs a population or other base")
    m = scalar(multiplier, "multiplier")
    imp = _check_improvement(improvement)
    seg = _segments(len(c), rebase_at)
    centre = np.empty_like(c)
    for a, b in _segment_bounds(seg):
        s = _baseline_slice(a, b, baseline)
        centre[a:b] = c[s].sum() / n[s].sum()
    half = 3 * np.sqrt(centre / n)
    return _finish("u", c / n * m, centre * m, half * m, seg, imp, target, [], floor=0.0)


def p_chart(
    numerators: ArrayLike,
    denominators: ArrayLike,
    *,
    multiplier: float = 1.0,
    improvement: Improvement = "neutral",
    target: float | None = None,
    rebase_at: Sequence[int] = (),
    baseline: int | None = None,
) -> SPCResult:
    """p-chart for proportions with varying denominators: p̄ ± 3√(p̄(1 − p̄)/nᵢ), in [0, 1].

    Method: Mohammed, Worthington & Woodall (2008), BMJ Qual. Saf. 17:137–145. Use
    ``multiplier=100`` for percentages (e.g. the share of crimes closed with no suspect).
    """
    x = counts_array(numerators, "numerators")
    n = as_float_array(denominators, "denominators")
    check_same_length(numerators=x, denominators=n)
    check_positive(n, "denominators", "a proportion needs a count of cases")
    if (x > n).any():
        i = int(np.flatnonzero(x > n)[0])
        raise ValueError(f"numerator exceeds denominator at position {i} ({x[i]:g} > {n[i]:g})")
    m = scalar(multiplier, "multiplier")
    imp = _check_improvement(improvement)
    seg = _segments(len(x), rebase_at)
    centre = np.empty_like(x)
    for a, b in _segment_bounds(seg):
        s = _baseline_slice(a, b, baseline)
        centre[a:b] = x[s].sum() / n[s].sum()
    half = 3 * np.sqrt(centre * (1 - centre) / n)
    return _finish("p", x / n * m, centre * m, half * m, seg, imp, target, [], floor=0.0, ceiling=m)


# --------------------------------------------------------------------------------------------
# Seasonality


def seasonal_xmr(
    values: ArrayLike,
    *,
    period: int = 12,
    baseline_periods: int | None = None,
    improvement: Improvement = "neutral",
    target: float | None = None,
    screen_moving_ranges: bool = True,
) -> SPCResult:
    """XmR chart of seasonally adjusted values, so seasonal peaks are not flagged as change.

    Method (our choice, documented in docs/methods/spc.md): an additive same-calendar-month
    baseline. From the first ``baseline_periods`` whole years (default: every whole year before
    the latest ``period`` points, at least 2), estimate each calendar position's effect as its
    baseline mean minus the baseline grand mean; subtract it from every point; chart the
    adjusted series with XmR limits fixed on the baseline years. Each month is thereby compared
    with the same month in earlier years (the logic of Wheeler 2016's seasonal charts and of
    same-period-last-year comparisons) while keeping MDC's rules. The latest year is kept out of
    the baseline so that a real change is not absorbed into the seasonal effect. Point 0 is taken
    as calendar position 0; only relative positions matter.
    """
    v = as_float_array(values, "values")
    if period < 2:
        raise ValueError(f"period must be at least 2 (got {period})")
    n = len(v)
    if baseline_periods is None:
        baseline_periods = (n - period) // period
    if baseline_periods < 2:
        raise ValueError(
            f"a seasonal baseline needs at least 2 whole years ({2 * period} points) before the "
            f"latest {period}; the series has {n} points"
        )
    nb = baseline_periods * period
    if nb > n:
        raise ValueError(f"baseline of {baseline_periods} years needs {nb} points (got {n})")
    pos = np.arange(n) % period
    base = v[:nb].reshape(baseline_periods, period)
    k = baseline_periods
    grand = base.mean()
    effect = (base.mean(axis=0) - grand)[pos]
    # Baseline points are compared with the same month in the *other* baseline years (leave one
    # year out): an in-sample mean would shrink their residuals by a factor (1 − 1/k) and give
    # limits too narrow for later, out-of-sample months, whose residual variance is (1 + 1/k)σ².
    loo_month = (base.sum(axis=0)[None, :] - base) / (k - 1)
    loo_grand = (base.sum() - base.sum(axis=1, keepdims=True)) / ((k - 1) * period)
    effect[:nb] = (loo_month - loo_grand).ravel()
    adjusted = v - effect
    imp = _check_improvement(improvement)
    seg = np.zeros(n, dtype=np.int64)
    warnings: list[str] = []
    centre, half = _xmr_limits(adjusted, seg, nb, screen_moving_ranges, warnings)
    note = (
        f"Seasonally adjusted: each point minus its calendar-month effect estimated from the "
        f"first {baseline_periods} years; limits fixed on those {nb} points."
    )
    return _finish(
        "xmr-seasonal",
        adjusted,
        centre,
        half,
        seg,
        imp,
        target,
        warnings,
        raw=v,
        seasonal=effect,
        notes=(note,),
    )
