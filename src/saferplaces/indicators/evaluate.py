"""Evaluating indicators: value, interval, comparisons, control chart, target, peers, score.

The score is one of **improving**, **stable**, **deteriorating** (or **changed** for indicators
with no better direction, such as police-activity counts), or **not computable** with the
reason. It comes from statistics, never from colour thresholds:

1. *Comparison*: the period against the same period a year earlier (rolling 12 months: against
   the 12 months before) by the exact conditional test for two Poisson counts (counts, rates),
   or a two-proportion z-test (proportions). Comparing like months removes seasonality.
2. *Control chart*: an XmR chart of the monthly values (Making Data Count rules). Only a
   *sustained* signal at the latest month counts here (a run of 7 on one side of the mean, or a
   trend of 7), so one seasonal peak is never read as a change.
3. The score follows a significant comparison unless the chart signals the opposite; without a
   significant comparison it follows a sustained chart signal; otherwise the measure is stable.
   Conflicting evidence is reported as stable, with both pieces of evidence in the reason.

Every evaluation says what it counts, the period, the denominator and the caveats.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy import stats as sps

from ..errors import SaferPlacesError
from ..stats.batch import CONCERN, IMPROVEMENT, NEUTRAL, c_test_batch, xmr_batch
from ..stats.harm import cchi_weights
from ..stats.rates import count_interval_array, rate_array, wilson_interval_array
from ..stats.spc import MIN_POINTS
from ..workspace import Workspace
from .cube import Level, MartCube, build_level, denominator_for
from .definitions import Indicator, IndicatorSet
from .partner import dataset_name, is_partner, partner_series

METHOD_VERSION = "1"
ALPHA = 0.05
SMALL_COUNT = 10
SMALL_DENOMINATOR = 20
#: An outcome measure is not computed when more than this share of its crimes are still open.
OPEN_LIMIT = 0.5

Score = Literal["improving", "stable", "deteriorating", "changed", "not computable"]


@dataclass
class Comparison:
    label: str
    before: float | None
    after: float | None
    before_numerator: float | None
    after_numerator: float | None
    test: str
    p_value: float | None
    significant: bool
    direction: Literal["up", "down", "none"]
    verdict: str


@dataclass
class Evaluation:
    indicator: str
    area_code: str
    area_name: str
    level: str
    period: str
    period_start: str
    period_end: str
    status: Literal["ok", "not computable", "withheld"]
    value: float | None = None
    lower: float | None = None
    upper: float | None = None
    unit: str = ""
    numerator: float | None = None
    denominator: float | None = None
    denominator_label: str | None = None
    comparisons: list[Comparison] = field(default_factory=list)
    spc: dict[str, Any] = field(default_factory=dict)
    target: dict[str, Any] | None = None
    peer: dict[str, Any] | None = None
    benchmark: dict[str, Any] | None = None
    score: Score = "not computable"
    reason: str = ""
    caveats: list[str] = field(default_factory=list)
    months: list[str] = field(default_factory=list)
    series: list[float | None] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---------------------------------------------------------------------------------------------
# Formatting


def month_name(month: str) -> str:
    names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return f"{names[int(month[5:]) - 1]} {month[:4]}"


def _fmt(v: float | None, unit: str = "") -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    if unit == "%":
        return f"{v:.1f}%"
    if abs(v - round(v)) < 1e-9 and abs(v) >= 1:
        return f"{round(v):,}"
    return f"{v:,.2f}" if abs(v) < 100 else f"{v:,.0f}"


def _fmt_p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


# ---------------------------------------------------------------------------------------------
# Periods


@dataclass(frozen=True)
class Window:
    start: int
    end: int  # inclusive

    def label(self, months: list[str]) -> str:
        if self.start == self.end:
            return month_name(months[self.end])
        return f"{month_name(months[self.start])} to {month_name(months[self.end])}"


def windows(ind: Indicator, months: list[str]) -> tuple[Window, Window | None, Window | None, str]:
    """The period, the previous period and the same period a year earlier (None when the data
    do not reach back), and a plain label of the period."""
    t = len(months) - 1 - ind.lag_months
    if t < 0:
        raise ValueError("no months left after the lag")
    if ind.period == "month":
        cur = Window(t, t)
        prev = Window(t - 1, t - 1) if t >= 1 else None
        last = Window(t - 12, t - 12) if t >= 12 else None
        return cur, prev, last, f"the month of {month_name(months[t])}"
    if ind.period == "quarter":
        while t >= 0 and int(months[t][5:]) % 3 != 0:
            t -= 1  # latest complete calendar quarter (ends Mar, Jun, Sep, Dec)
        if t < 2:
            raise ValueError("no complete quarter in the data")
        cur = Window(t - 2, t)
        prev = Window(t - 5, t - 3) if t >= 5 else None
        last = Window(t - 14, t - 12) if t >= 14 else None
        return cur, prev, last, f"the quarter {cur.label(months)}"
    if ind.period == "financial-year":
        while t >= 0 and months[t][5:] != "03":
            t -= 1  # latest complete financial year (April to March)
        if t < 11:
            raise ValueError("no complete financial year (April to March) in the data")
        cur = Window(t - 11, t)
        last = Window(t - 23, t - 12) if t >= 23 else None
        fy = f"{int(months[t][:4]) - 1}/{months[t][2:4]}"
        return cur, None, last, f"the financial year {fy}"
    if t < 11:
        raise ValueError("fewer than 12 months of data")
    cur = Window(t - 11, t)
    last = Window(t - 23, t - 12) if t >= 23 else None
    return cur, None, last, f"the 12 months to {month_name(months[t])}"


# ---------------------------------------------------------------------------------------------
# Series


@dataclass
class Series:
    """Monthly numerators (and denominators for proportions) per area, plus constants."""

    numerator: NDArray[np.float64]  # areas × months
    denominator: NDArray[np.float64] | None  # areas × months (proportions) or None
    population: NDArray[np.float64] | None  # areas (rates)
    population_label: str | None
    unit: str
    counts_label: str
    months: list[str]
    missing: NDArray[np.bool_]  # per month: no data supplied (never zero)
    source_label: str = "police.uk"


def build_series(ws: Workspace, cube: MartCube, level: Level, ind: Indicator) -> Series:
    src = ind.source
    if is_partner(ind):
        num, den, pop, pop_label, months, missing = partner_series(ws, cube, level, ind)
        name = dataset_name(ind)
        kind = ind.measure.kind
        what = "records" if src.measure == "rows" else src.measure.replace("_", " ")
        if kind == "proportion":
            unit = "%"
        elif kind == "rate":
            unit = f"per {ind.measure.per:,.0f} {ind.measure.denominator}"
        else:
            unit = what
        return Series(
            num, den, pop, pop_label, unit, what, months, missing, f"partner data '{name}'"
        )
    months, missing = cube.months, cube.missing
    mask = cube.category_mask(src.categories)
    kind = ind.measure.kind
    what = "crimes" if src.field == "crimes" else "ASB incidents"
    if kind in ("proportion", "outcome_rate"):
        num = np.sum([level.series(cube, f"outcome_{g}", mask) for g in src.outcome_groups], axis=0)
        den = level.series(cube, "crimes", mask)
        return Series(num, den, None, None, "%", "crimes", months, missing)
    if kind == "harm":
        w = cchi_weights().weights
        weights = np.array([float(w.get(c, 0.0)) for c in cube.categories]) * mask
        num = np.einsum("act,c->at", level.field(cube, "crimes"), weights)
        return Series(num, None, None, None, "harm days", "crimes (harm-weighted)", months, missing)
    num = level.series(cube, src.field, mask)
    if kind == "rate":
        assert ind.measure.denominator
        pop, label = denominator_for(ws, cube, level, ind.measure.denominator)
        per = ind.measure.per
        unit = f"per {per:,.0f} {ind.measure.denominator}"
        return Series(num, None, pop, label, unit, what, months, missing)
    return Series(num, None, None, None, what, what, months, missing)


def _window_sum(a: NDArray[np.float64], w: Window) -> NDArray[np.float64]:
    out: NDArray[np.float64] = a[:, w.start : w.end + 1].sum(axis=1)
    return out  # NaN if any month in the window is missing


# ---------------------------------------------------------------------------------------------
# Evaluation


def evaluate_indicator(
    ws: Workspace, cube: MartCube, level: Level, ind: Indicator
) -> list[Evaluation]:
    """Evaluate one indicator for every area of ``level``."""
    try:
        series = build_series(ws, cube, level, ind)
        months, missing = series.months, series.missing
        cur, prev, last, period_label = windows(ind, months)
    except (ValueError, KeyError, SaferPlacesError) as exc:  # each becomes a stated reason
        return [
            Evaluation(
                area_code=c,
                area_name=n,
                period="",
                period_start="",
                period_end="",
                status="not computable",
                reason=f"Not computable: {exc}",
                indicator=ind.id,
                level=level.label,
            )
            for c, n in zip(level.codes, level.names, strict=True)
        ]
    n_areas = len(level.codes)
    kind = ind.measure.kind
    num = series.numerator
    den = series.denominator
    after_n = _window_sum(num, cur)
    after_d = _window_sum(den, cur) if den is not None else None
    open_share = None
    if not is_partner(ind) and kind in ("proportion", "outcome_rate") and after_d is not None:
        mask = cube.category_mask(ind.source.categories)
        open_n = level.series(cube, "outcome_open", mask)
        with np.errstate(invalid="ignore", divide="ignore"):
            open_share = _window_sum(open_n, cur) / after_d
    comparison_windows = [
        (w, lbl) for w, lbl in ((prev, "previous period"), (last, "a year earlier")) if w
    ]

    # Value and interval
    value = lower = upper = np.full(n_areas, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        if kind == "rate":
            assert series.population is not None
            pop = series.population
            ok = np.isfinite(after_n) & (pop > 0)
            value, lower, upper = (np.full(n_areas, np.nan) for _ in range(3))
            if ok.any():
                ia = rate_array(after_n[ok], pop[ok], ind.measure.per)
                value[ok], lower[ok], upper[ok] = ia.value, ia.lower, ia.upper
        elif kind in ("proportion", "outcome_rate"):
            assert after_d is not None
            ok = np.isfinite(after_n) & (after_d > 0)
            value, lower, upper = (np.full(n_areas, np.nan) for _ in range(3))
            if ok.any():
                ia = wilson_interval_array(after_n[ok], after_d[ok], multiplier=100.0)
                value[ok], lower[ok], upper[ok] = ia.value, ia.lower, ia.upper
        elif kind == "count":
            ok = np.isfinite(after_n)
            value, lower, upper = (np.full(n_areas, np.nan) for _ in range(3))
            if ok.any():
                ia = count_interval_array(after_n[ok])
                value[ok], lower[ok], upper[ok] = ia.value, ia.lower, ia.upper
        else:  # harm: no interval (weights are not counts)
            value = after_n.copy()

    # Comparisons (vectorised per window)
    comp: list[
        tuple[
            str,
            NDArray[np.float64],
            NDArray[np.float64],
            NDArray[np.float64] | None,
            NDArray[np.float64] | None,
            NDArray[np.float64],
        ]
    ] = []
    for w, lbl in comparison_windows:
        bn = _window_sum(num, w)
        bd = _window_sum(den, w) if den is not None else None
        p = _p_values(kind, bn, after_n, bd, after_d)
        comp.append((f"{period_label} vs {lbl} ({w.label(months)})", bn, after_n, bd, after_d, p))

    # Control chart over the monthly values up to the latest month used
    t_end = cur.end
    spc_months = [i for i in range(t_end + 1) if not missing[i]]
    with np.errstate(invalid="ignore", divide="ignore"):
        if kind == "rate":
            monthly = num * (ind.measure.per / series.population[:, None])  # type: ignore[index]
        elif den is not None:
            monthly = np.where(den > 0, num / den * 100.0, np.nan)
        else:
            monthly = num.copy()
    chart_vals = monthly[:, spc_months]
    chartable = np.asarray(np.isfinite(chart_vals).all(axis=1), dtype=bool)
    if len(spc_months) < 2:
        chartable[:] = False
    improvement = {"lower-is-better": "decrease", "higher-is-better": "increase"}.get(
        ind.polarity, "neutral"
    )
    spc = xmr_batch(chart_vals[chartable], improvement=improvement) if chartable.any() else None  # type: ignore[arg-type]
    chart_row = np.cumsum(chartable) - 1

    rounded = np.round(monthly[:, : t_end + 1], 6)
    series_lists = [
        [None if x != x else x for x in row]
        for row in rounded.tolist()  # NaN → None
    ]
    gap_in_period = [months[i] for i in range(cur.start, cur.end + 1) if missing[i]]
    caveats = _caveats(ind, series, level, months[: t_end + 1])  # same for all areas
    out: list[Evaluation] = []
    for a in range(n_areas):
        ev = Evaluation(
            area_code=level.codes[a],
            area_name=level.names[a],
            period=period_label,
            period_start=months[cur.start],
            period_end=months[cur.end],
            status="ok",
            unit=series.unit,
            denominator_label=series.population_label,
            indicator=ind.id,
            level=level.label,
            months=months[: t_end + 1],
            series=series_lists[a],
        )
        ev.caveats = list(caveats)
        if gap_in_period:
            ev.status, ev.score = "not computable", "not computable"
            ev.reason = (
                f"Not computable: {', '.join(month_name(m) for m in gap_in_period)} "
                f"missing from the {series.source_label} data for this period."
            )
            out.append(ev)
            continue
        ev.numerator = float(after_n[a])
        if kind == "rate":
            ev.denominator = float(series.population[a])  # type: ignore[index]
            if not (series.population[a] > 0):  # type: ignore[index]
                ev.status, ev.score = "not computable", "not computable"
                ev.reason = (
                    f"Not computable: the denominator ({series.population_label}) is zero or "
                    "unknown for this area."
                )
                out.append(ev)
                continue
        elif after_d is not None:
            ev.denominator = float(after_d[a])
            if after_d[a] == 0:
                ev.status, ev.score = "not computable", "not computable"
                ev.reason = "Not computable: no crimes in the period to take a share of."
                out.append(ev)
                continue
        if open_share is not None and np.isfinite(open_share[a]) and open_share[a] > 0:
            share = float(open_share[a])
            note = (
                f"{share:.0%} of these crimes are still shown as under investigation or with "
                "no status update, so the outcome figures are incomplete."
            )
            if share > OPEN_LIMIT:
                ev.status, ev.score = "not computable", "not computable"
                ev.reason = f"Not computable: {note}"
                out.append(ev)
                continue
            if share > 0.2:
                ev.caveats.insert(0, note)
        ev.value = _num(value[a])
        ev.lower, ev.upper = _num(lower[a]), _num(upper[a])
        for label, bn, an, bd, ad, p in comp:
            ev.comparisons.append(_comparison(ind, label, a, bn, an, bd, ad, p, series))
        if spc is not None and bool(chartable[a]):
            ev.spc = _spc_summary(spc, int(chart_row[a]), len(spc_months))
        else:
            ev.spc = {
                "points": len(spc_months),
                "status": "no chart",
                "text": "No control chart: too few complete months.",
            }
        ev.target = _target(ind, ev)
        ev.benchmark = _benchmark(ind, ev)
        ev.score, ev.reason = _score(ind, ev)
        out.append(ev)
    _peers(ws, ind, level, out, after_n, series, after_d)
    return out


def _num(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)


def _p_values(
    kind: str,
    bn: NDArray[np.float64],
    an: NDArray[np.float64],
    bd: NDArray[np.float64] | None,
    ad: NDArray[np.float64] | None,
) -> NDArray[np.float64]:
    p = np.full(len(an), np.nan)
    ok = np.isfinite(bn) & np.isfinite(an)
    if kind in ("count", "rate"):
        if ok.any():
            p[ok] = c_test_batch(bn[ok], an[ok])
    elif kind in ("proportion", "outcome_rate") and bd is not None and ad is not None:
        ok &= (bd > 0) & (ad > 0)
        if ok.any():
            p1, p2 = bn[ok] / bd[ok], an[ok] / ad[ok]
            pool = (bn[ok] + an[ok]) / (bd[ok] + ad[ok])
            se = np.sqrt(pool * (1 - pool) * (1 / bd[ok] + 1 / ad[ok]))
            with np.errstate(invalid="ignore", divide="ignore"):
                z = np.where(se > 0, (p2 - p1) / se, 0.0)
            p[ok] = 2 * sps.norm.sf(np.abs(z))
    return p


def _comparison(
    ind: Indicator,
    label: str,
    a: int,
    bn: NDArray[np.float64],
    an: NDArray[np.float64],
    bd: NDArray[np.float64] | None,
    ad: NDArray[np.float64] | None,
    p: NDArray[np.float64],
    series: Series,
) -> Comparison:
    kind = ind.measure.kind
    b_num, a_num = float(bn[a]), float(an[a])
    if not (np.isfinite(b_num) and np.isfinite(a_num)):
        return Comparison(
            label,
            None,
            None,
            None,
            None,
            "none",
            None,
            False,
            "none",
            "Not compared: a month of the earlier period is missing.",
        )
    if kind == "rate":
        per = ind.measure.per / series.population[a]  # type: ignore[index]
        before, after = b_num * per, a_num * per
    elif bd is not None and ad is not None:
        if bd[a] == 0 or ad[a] == 0:
            return Comparison(
                label,
                None,
                None,
                b_num,
                a_num,
                "none",
                None,
                False,
                "none",
                "Not compared: no crimes in one of the periods.",
            )
        before, after = b_num / bd[a] * 100, a_num / ad[a] * 100
    else:
        before, after = b_num, a_num
    unit = "%" if bd is not None else ""
    if kind == "harm":
        return Comparison(
            label,
            before,
            after,
            b_num,
            a_num,
            "none",
            None,
            False,
            "none",
            f"From {_fmt(before)} to {_fmt(after)} harm days: not tested, because a "
            "harm index is not a count; see the control chart.",
        )
    pv = float(p[a])
    test = "exact conditional test" if kind in ("count", "rate") else "two-proportion z-test"
    sig = bool(np.isfinite(pv) and pv < ALPHA)
    observed: Literal["up", "down", "none"] = (
        "up" if after > before else ("down" if after < before else "none")
    )
    direction = observed if sig else "none"
    if bd is not None and ad is not None:
        small = min(float(bd[a]), float(ad[a])) < SMALL_DENOMINATOR
    else:
        small = min(b_num, a_num) < SMALL_COUNT
    if unit == "%":
        change = f"from {_fmt(before, '%')} to {_fmt(after, '%')}"
    elif small:
        change = f"from {_fmt(b_num)} to {_fmt(a_num)} {series.counts_label}"
    else:
        pct = (after - before) / before * 100 if before else math.inf
        change = f"from {_fmt(before)} to {_fmt(after)} ({pct:+.0f}%)"
    if sig:
        verdict = (
            f"{'Up' if observed == 'up' else 'Down'} {change}: a statistically significant "
            f"change ({test}, {_fmt_p(pv)})."
        )
    elif small:
        verdict = (
            f"{change[0].upper()}{change[1:]}: numbers this small cannot tell a real change "
            f"from chance ({test}, {_fmt_p(pv)})."
        )
    else:
        verdict = (
            f"{change[0].upper()}{change[1:]}: not a statistically significant change "
            f"({test}, {_fmt_p(pv)})."
        )
    return Comparison(label, before, after, b_num, a_num, test, pv, sig, direction, verdict)


_RULE_TEXT = {
    "run": "at least 7 months in a row on one side of the average",
    "trend": "7 months in a row each higher or lower than the last",
    "outside_limits": "a month outside the control limits",
    "two_of_three": "2 of the last 3 months close to a control limit",
}


def _spc_summary(spc: Any, row: int, points: int) -> dict[str, Any]:
    ptype = int(spc.point_type[row, -1])
    rules = [r for r in ("run", "trend", "outside_limits", "two_of_three") if spc.flags[r][row, -1]]
    sustained = any(r in ("run", "trend") for r in rules)
    if ptype == IMPROVEMENT:
        status = "improvement"
    elif ptype == CONCERN:
        status = "concern"
    elif ptype == NEUTRAL:
        status = "neutral high" if spc.side[row, -1] > 0 else "neutral low"
    else:
        status = "common cause"
    if status == "common cause":
        text = (
            f"Common-cause variation: the latest month lies within the control limits "
            f"({_fmt(float(spc.lower[row]))} to {_fmt(float(spc.upper[row]))}) "
            "with no run or trend."
        )
    else:
        text = (
            f"Special-cause variation ({status}): " + "; ".join(_RULE_TEXT[r] for r in rules) + "."
        )
    warnings = []
    if points < MIN_POINTS:
        warnings.append(f"Only {points} months: Making Data Count advises at least {MIN_POINTS}.")
    return {
        "chart": "XmR",
        "points": points,
        "status": status,
        "rules": rules,
        "sustained": sustained,
        "side": int(spc.side[row, -1]),
        "centre": float(spc.centre[row]),
        "upper": float(spc.upper[row]),
        "lower": float(spc.lower[row]),
        "text": text,
        "warnings": warnings,
    }


def _better(ind: Indicator, direction: str) -> bool | None:
    if ind.polarity == "neutral" or direction == "none":
        return None
    return (direction == "down") == (ind.polarity == "lower-is-better")


def _target(ind: Indicator, ev: Evaluation) -> dict[str, Any] | None:
    t = ind.target
    if t is None:
        return None
    yoy = ev.comparisons[-1] if ev.comparisons else None
    if t.kind == "significant-reduction":
        met = bool(yoy and yoy.significant and yoy.direction == "down")
        text = (
            "Met: a statistically significant reduction on a year earlier."
            if met
            else "Not met: no statistically significant reduction on a year earlier."
        )
        return {"kind": t.kind, "status": "met" if met else "not met", "text": text}
    if t.kind == "percent-change":
        if not yoy or yoy.before in (None, 0) or yoy.after is None:
            return {
                "kind": t.kind,
                "value": t.value,
                "status": "not computable",
                "text": "No comparison period.",
            }
        change = (yoy.after - yoy.before) / yoy.before * 100
        met = change <= t.value if t.value < 0 else change >= t.value
        sig = (
            " (and the change is statistically significant)"
            if yoy.significant
            else " (but the change is within chance)"
        )
        return {
            "kind": t.kind,
            "value": t.value,
            "status": "met" if met else "not met",
            "text": f"{'Met' if met else 'Not met'}: {change:+.1f}% against a target of "
            f"{t.value:+.1f}%{sig if met else ''}.",
        }
    lower_better = ind.polarity != "higher-is-better"
    if ev.lower is None or ev.upper is None:
        return {
            "kind": t.kind,
            "value": t.value,
            "status": "not computable",
            "text": "No interval.",
        }
    if (ev.upper < t.value) if lower_better else (ev.lower > t.value):
        status, text = "met", "Met: the whole confidence interval is better than the target."
    elif (ev.lower > t.value) if lower_better else (ev.upper < t.value):
        status, text = "not met", "Not met: the whole confidence interval is worse than the target."
    else:
        status, text = "uncertain", "Cannot tell: the target lies within the confidence interval."
    return {"kind": t.kind, "value": t.value, "status": status, "text": text}


def _benchmark(ind: Indicator, ev: Evaluation) -> dict[str, Any] | None:
    b = ind.benchmark
    if b is None or ev.lower is None or ev.upper is None:
        return None
    where = f"the {b.label} benchmark of {_fmt(b.value, ev.unit)}"
    if ev.lower > b.value:
        text = f"Above {where}: the whole 95% interval is above it."
    elif ev.upper < b.value:
        text = f"Below {where}: the whole 95% interval is below it."
    else:
        text = f"Consistent with {where} (it lies within the 95% interval)."
    return {"value": b.value, "label": b.label, "text": text}


def _score(ind: Indicator, ev: Evaluation) -> tuple[Score, str]:
    yoy = ev.comparisons[-1] if ev.comparisons else None
    spc = ev.spc
    chart_dir = "none"
    if spc.get("sustained"):
        chart_dir = "up" if spc["side"] > 0 else "down"
    parts = []
    if yoy is not None:
        parts.append(yoy.verdict)
    if spc.get("text"):
        parts.append("Control chart: " + spc["text"])
    evidence = " ".join(parts)
    if yoy is not None and yoy.significant:
        if chart_dir not in ("none", yoy.direction):
            return "stable", (
                "Stable: the evidence conflicts (the comparison and the control "
                f"chart point different ways). {evidence}"
            )
        direction: str = yoy.direction
    elif chart_dir != "none":
        direction = chart_dir
    else:
        return "stable", f"Stable: no statistically supported change. {evidence}"
    better = _better(ind, direction)
    if better is None:
        word = "higher" if direction == "up" else "lower"
        return "changed", f"Changed ({word}); this measure has no better direction. {evidence}"
    return ("improving" if better else "deteriorating"), (
        f"{'Improving' if better else 'Deteriorating'}: {evidence}"
    )


def _caveats(ind: Indicator, series: Series, level: Level, months: list[str]) -> list[str]:
    out = list(ind.caveats)
    gaps = [
        m for m, miss in zip(series.months, series.missing, strict=True) if miss and m in months
    ]
    if gaps:
        out.append(
            f"Missing from {series.source_label}: {', '.join(month_name(m) for m in gaps)} "
            "(left out of the control chart; never treated as zero)."
        )
    if is_partner(ind):
        out.append(f"Source: {series.source_label}, supplied by a partner agency.")
        return out
    if level.name != "force":
        out.append(
            "Crimes with no location (about 1 in 10 in some forces) cannot be placed in "
            "any area below the force and are not counted here."
        )
    out.append(
        "Locations are anonymised to nearby snap points, so crimes near a boundary can "
        "fall in the neighbouring area."
    )
    if level.lsoa_vintage not in ("2011", "2021", "2011/2021", "n/a (points)"):
        out.append(f"LSOA codes are of {level.lsoa_vintage} vintage; areas may not match exactly.")
    if ind.activity_driven:
        out.append("Counts reflect police activity as much as offending.")
    if ind.lag_months:
        out.append(f"The latest {ind.lag_months} months are left out: outcomes take time.")
    return out


def _peers(
    ws: Workspace,
    ind: Indicator,
    level: Level,
    evals: list[Evaluation],
    after_n: NDArray[np.float64],
    series: Series,
    after_d: NDArray[np.float64] | None,
) -> None:
    """Funnel comparison with the area's peer group, when one is defined."""
    if ind.measure.kind not in ("rate", "proportion", "outcome_rate"):
        return
    from ..geo import load_peer_groups
    from ..stats.rates import funnel_significance

    for group in load_peer_groups(ws.root):
        members = [m for m in group.members if m in level.index]
        if len(members) < 3:
            continue
        idx = np.array([level.index[m] for m in members])
        x = after_n[idx]
        n = series.population[idx] if series.population is not None else after_d[idx]  # type: ignore[index]
        if not (np.isfinite(x).all() and (n > 0).all()):
            continue
        stat = "rate" if ind.measure.kind == "rate" else "proportion"
        mult = ind.measure.per if stat == "rate" else 100.0
        labels = funnel_significance(x, n, stat, multiplier=mult)  # type: ignore[arg-type]
        avg = float(x.sum() / n.sum() * mult)
        for m, lab in zip(members, labels, strict=True):
            ev = evals[level.index[m]]
            ev.peer = {
                "group": group.name,
                "average": avg,
                "label": lab,
                "text": f"Against its peer group '{group.name}' (average {_fmt(avg)}): "
                f"{lab.lower()}.",
            }


_SUPPRESSED = (
    "Not shown: fewer than {n} records, or hidden so that a small number cannot be worked out "
    "from other published totals (disclosure control)."
)


def protect_evaluations(ind: Indicator, evals: list[Evaluation], threshold: int) -> None:
    """Apply disclosure control to evaluations an audience sees below its clearance.

    The period and comparison-period counts of every area form one table, protected with
    primary and secondary suppression (:func:`saferplaces.publish.disclosure.protect`); an area
    with any hidden cell shows no figures at all. Monthly series and control-chart limits are
    never published for such data (months could be differenced against the period total)."""
    from ..publish.disclosure import Dimension, protect

    cells: dict[tuple[str, str], float] = {}
    for e in evals:
        if e.numerator is not None:
            cells[(e.area_code, "period")] = e.numerator
            comp = e.comparisons[-1] if e.comparisons else None
            if comp is not None and comp.before_numerator is not None:
                cells[(e.area_code, "before")] = comp.before_numerator
    if cells:
        dims = [
            Dimension("area", tuple(sorted({k[0] for k in cells}))),
            Dimension("period", ("period", "before")),
        ]
        table = protect(cells, dims, threshold=threshold)
        hidden = {k[0] for k in table.suppressed if k[0] is not None}
    else:
        hidden = set()
    for e in evals:
        e.series, e.months = [], []
        # Keep the chart's verdict, drop its monthly limits, and re-word the reason without them.
        e.spc = {
            k: e.spc[k]
            for k in ("chart", "points", "status", "rules", "sustained", "side")
            if k in e.spc
        }
        e.spc["text"] = (
            f"{str(e.spc.get('status', 'no chart')).capitalize()} (monthly figures are not "
            "published for this data)."
        )
        if e.status == "ok":
            e.score, e.reason = _score(ind, e)
        if e.area_code in hidden:
            e.value = e.lower = e.upper = e.numerator = e.denominator = None
            e.comparisons = []
            e.target = e.benchmark = e.peer = None
            e.status, e.score = "not computable", "not computable"
            e.reason = _SUPPRESSED.format(n=threshold)


def evaluate(
    ws: Workspace,
    indicators: IndicatorSet,
    levels: list[str] | None = None,
    cube: MartCube | None = None,
    *,
    audience: str = "analyst",
) -> list[Evaluation]:
    """Evaluate every indicator for every area of the given levels (default: the force and the
    partnership's districts), as ``audience`` ("public", "parish_council", "partner",
    "analyst") may see them: partner data restricted from the audience is withheld, and partner
    data below its clearance is protected by suppression."""
    from .partner import access, withheld_reason

    cube = cube or MartCube.load(ws)
    levels = levels or ["force", "lad"]
    out: list[Evaluation] = []
    for level_name in levels:
        level = build_level(ws, cube, level_name)
        for ind in indicators.indicators:
            if is_partner(ind):
                reason = withheld_reason(ws, ind, audience)
                if reason is not None:
                    out.extend(
                        Evaluation(ind.id, c, n, level.label, "", "", "", "withheld",
                                   score="not computable", reason=reason)
                        for c, n in zip(level.codes, level.names, strict=True)
                    )  # fmt: skip
                    continue
                evals = evaluate_indicator(ws, cube, level, ind)
                acc = access(ws, ind, audience)
                if acc.mode == "controlled":
                    protect_evaluations(ind, evals, acc.threshold)
                out.extend(evals)
            else:
                out.extend(evaluate_indicator(ws, cube, level, ind))
    return out
