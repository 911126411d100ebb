"""Rates, proportions and their confidence intervals; funnel-plot control limits.

Methods follow the PHE/OHID Fingertips technical guidance ("Rates", "Confidence intervals",
"Funnel plots") as implemented in PHEindicatormethods (METHODS.md §3.1):

* counts and rates: Byar's approximation for O ≥ 10, the exact χ² (Poisson) method for O < 10;
* proportions: the Wilson score interval;
* funnel plots: exact Poisson limits for counts/rates, Wilson (score) limits for proportions,
  at 95% and 99.8% around a target or the pooled average.

All interval functions have a scalar form returning :class:`Interval` and an array form
returning :class:`IntervalArray`. A zero or negative denominator raises ``ValueError``: a rate
without a base is not zero and not infinite, it is undefined.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import special, stats

from saferplaces.stats._verdict import (
    BoolArray,
    FloatArray,
    as_float_array,
    check_positive,
    check_same_length,
    counts_array,
    scalar,
    z_for,
)

__all__ = [
    "FunnelLimits",
    "Interval",
    "IntervalArray",
    "count_interval",
    "count_interval_array",
    "funnel_limits_proportion",
    "funnel_limits_rate",
    "funnel_significance",
    "rate",
    "rate_array",
    "wilson_interval",
    "wilson_interval_array",
]

#: PHE switches from the exact method to Byar's approximation at this many events.
BYAR_THRESHOLD = 10

_DENOMINATOR_HINT = "a rate or proportion needs a population, household count or other base"


@dataclass(frozen=True)
class Interval:
    """A point estimate with a confidence interval.

    ``value``, ``lower`` and ``upper`` are on the reporting scale (already multiplied by
    ``multiplier``, e.g. per 1,000 residents); ``numerator`` and ``denominator`` are raw.
    """

    value: float
    lower: float
    upper: float
    method: str
    confidence: float
    numerator: float
    denominator: float
    multiplier: float = 1.0


@dataclass(frozen=True, eq=False)
class IntervalArray:
    """Vectorised :class:`Interval`: one element per area or period."""

    value: FloatArray
    lower: FloatArray
    upper: FloatArray
    method: tuple[str, ...]
    confidence: float
    numerator: FloatArray
    denominator: FloatArray
    multiplier: float = 1.0

    def __len__(self) -> int:
        return len(self.value)

    def __getitem__(self, i: int) -> Interval:
        return Interval(
            float(self.value[i]),
            float(self.lower[i]),
            float(self.upper[i]),
            self.method[i],
            self.confidence,
            float(self.numerator[i]),
            float(self.denominator[i]),
            self.multiplier,
        )


# --------------------------------------------------------------------------------------------
# Counts (Poisson)


def _exact_bounds(o: FloatArray, confidence: float) -> tuple[FloatArray, FloatArray]:
    alpha = 1.0 - confidence
    # χ²(α/2, 2O)/2 is undefined at O = 0; the exact lower limit there is 0.
    safe = np.where(o > 0, o, 1.0)
    lower = np.where(o > 0, stats.chi2.ppf(alpha / 2, 2 * safe) / 2, 0.0)
    upper = stats.chi2.ppf(1 - alpha / 2, 2 * o + 2) / 2
    return np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)


def _byar_bounds(o: FloatArray, z: float) -> tuple[FloatArray, FloatArray]:
    safe = np.where(o > 0, o, 1.0)  # Byar is only used for O >= 10; avoid 0-division noise
    lower = safe * (1 - 1 / (9 * safe) - z / (3 * np.sqrt(safe))) ** 3
    o1 = o + 1
    upper = o1 * (1 - 1 / (9 * o1) + z / (3 * np.sqrt(o1))) ** 3
    return np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)


def _count_bounds(o: FloatArray, confidence: float) -> tuple[FloatArray, FloatArray, BoolArray]:
    z = z_for(confidence)
    el, eu = _exact_bounds(o, confidence)
    bl, bu = _byar_bounds(o, z)
    use_byar = o >= BYAR_THRESHOLD
    lower = np.asarray(np.where(use_byar, bl, el), dtype=np.float64)
    upper = np.asarray(np.where(use_byar, bu, eu), dtype=np.float64)
    return lower, upper, use_byar


def _method_names(use_byar: BoolArray) -> tuple[str, ...]:
    return tuple("Byar" if b else "exact Poisson (chi-square)" for b in use_byar)


def count_interval_array(counts: ArrayLike, confidence: float = 0.95) -> IntervalArray:
    """Confidence intervals for Poisson counts: Byar (O ≥ 10) or exact χ² (O < 10).

    Method: PHE/OHID Fingertips technical guidance, "Rates" — Byar's approximation
    O·(1 − 1/(9O) − z/(3√O))³ and (O+1)·(1 − 1/(9(O+1)) + z/(3√(O+1)))³ for O ≥ 10; exact
    χ²(α/2, 2O)/2 and χ²(1−α/2, 2O+2)/2 for O < 10 (Breslow & Day 1987).
    """
    o = counts_array(counts, "counts")
    lower, upper, use_byar = _count_bounds(o, confidence)
    return IntervalArray(
        value=o.copy(),
        lower=lower,
        upper=upper,
        method=_method_names(use_byar),
        confidence=float(confidence),
        numerator=o,
        denominator=np.ones_like(o),
        multiplier=1.0,
    )


def count_interval(count: float, confidence: float = 0.95) -> Interval:
    """Confidence interval for one Poisson count (Byar for O ≥ 10, exact χ² below; PHE)."""
    return count_interval_array([scalar(count, "count")], confidence)[0]


# --------------------------------------------------------------------------------------------
# Rates


def rate_array(
    counts: ArrayLike,
    denominators: ArrayLike,
    multiplier: float = 1000.0,
    confidence: float = 0.95,
) -> IntervalArray:
    """Crude rates ``count / denominator × multiplier`` with Byar/exact Poisson intervals.

    Method: PHE/OHID Fingertips technical guidance, "Rates": the interval for the count O is
    divided by the denominator, r_lower = O_lower / n, r_upper = O_upper / n (Byar for O ≥ 10,
    exact χ² for O < 10). Per 1,000 residents by default (METHODS §3.1); use households for
    domestic burglary.
    """
    o = counts_array(counts, "counts")
    n = as_float_array(denominators, "denominators")
    check_same_length(counts=o, denominators=n)
    check_positive(n, "denominators", _DENOMINATOR_HINT)
    m = scalar(multiplier, "multiplier")
    if m <= 0:
        raise ValueError(f"multiplier must be greater than zero (got {multiplier!r})")
    lower, upper, use_byar = _count_bounds(o, confidence)
    return IntervalArray(
        value=o / n * m,
        lower=lower / n * m,
        upper=upper / n * m,
        method=_method_names(use_byar),
        confidence=float(confidence),
        numerator=o,
        denominator=n,
        multiplier=m,
    )


def rate(
    count: float, denominator: float, multiplier: float = 1000.0, confidence: float = 0.95
) -> Interval:
    """One crude rate per ``multiplier`` with a Byar/exact Poisson interval (PHE "Rates")."""
    c = scalar(count, "count")
    d = scalar(denominator, "denominator")
    if d <= 0:
        raise ValueError(
            f"denominator must be greater than zero (got {denominator!r}); {_DENOMINATOR_HINT}"
        )
    return rate_array([c], [d], multiplier, confidence)[0]


# --------------------------------------------------------------------------------------------
# Proportions


def _wilson(x: FloatArray, n: FloatArray, z: float) -> tuple[FloatArray, FloatArray]:
    p = x / n
    z2 = z * z
    centre = p + z2 / (2 * n)
    half = z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    denom = 1 + z2 / n
    # The score interval always contains p̂ (exactly 0 at x = 0, 1 at x = n); clamp rounding.
    lower = np.clip(np.minimum((centre - half) / denom, p), 0.0, 1.0)
    upper = np.clip(np.maximum((centre + half) / denom, p), 0.0, 1.0)
    return lower, upper


def _check_proportion(x: FloatArray, n: FloatArray) -> None:
    check_same_length(numerators=x, denominators=n)
    check_positive(n, "denominators", _DENOMINATOR_HINT)
    if (x > n).any():
        i = int(np.flatnonzero(x > n)[0])
        raise ValueError(
            f"numerator exceeds denominator at position {i} ({x[i]:g} > {n[i]:g}); "
            "a proportion must lie between 0 and 1"
        )


def wilson_interval_array(
    numerators: ArrayLike,
    denominators: ArrayLike,
    confidence: float = 0.95,
    multiplier: float = 1.0,
) -> IntervalArray:
    """Proportions with Wilson score intervals.

    Method: Wilson (1927), J. Am. Stat. Assoc. 22:209–212, as recommended by PHE/OHID
    ("Confidence intervals" technical guide; PHEindicatormethods ``wilson_lower``/``wilson_upper``)
    and Newcombe (1998), Stat. Med. 17:857–872. Use ``multiplier=100`` for percentages.
    """
    x = counts_array(numerators, "numerators")
    n = as_float_array(denominators, "denominators")
    _check_proportion(x, n)
    m = scalar(multiplier, "multiplier")
    lower, upper = _wilson(x, n, z_for(confidence))
    return IntervalArray(
        value=x / n * m,
        lower=lower * m,
        upper=upper * m,
        method=("Wilson score",) * len(x),
        confidence=float(confidence),
        numerator=x,
        denominator=n,
        multiplier=m,
    )


def wilson_interval(
    numerator: float, denominator: float, confidence: float = 0.95, multiplier: float = 1.0
) -> Interval:
    """One proportion with its Wilson score interval (Wilson 1927; PHE/OHID)."""
    return wilson_interval_array(
        [scalar(numerator, "numerator")],
        [scalar(denominator, "denominator")],
        confidence,
        multiplier,
    )[0]


# --------------------------------------------------------------------------------------------
# Funnel plots

FUNNEL_CONFIDENCES = (0.95, 0.998)


@dataclass(frozen=True, eq=False)
class FunnelLimits:
    """Funnel-plot control limits at 95% and 99.8% around ``target`` for each denominator.

    All values are on the reporting scale (× ``multiplier``).
    """

    denominators: FloatArray
    target: float
    lower95: FloatArray
    upper95: FloatArray
    lower998: FloatArray
    upper998: FloatArray
    method: str
    multiplier: float


def _bisect(
    f: Callable[[FloatArray], FloatArray], lo: FloatArray, hi: FloatArray, iters: int = 80
) -> FloatArray:
    """Vectorised bisection for a decreasing f with f(lo) ≥ 0 ≥ f(hi)."""
    lo, hi = lo.copy(), hi.copy()
    for _ in range(iters):
        mid = (lo + hi) / 2
        pos = f(mid) > 0
        lo = np.where(pos, mid, lo)
        hi = np.where(pos, hi, mid)
    return (lo + hi) / 2


def _poisson_funnel_counts(
    expected: FloatArray, confidence: float
) -> tuple[FloatArray, FloatArray]:
    """Count limits (continuous) around expected counts E, by inverting the exact interval.

    Upper limit O_u: the exact lower confidence limit of O_u equals E, i.e.
    P(X ≥ O_u | E) = α/2, written with the regularised gamma function as gammainc(O_u, E) = α/2.
    Lower limit O_l: the exact upper limit of O_l equals E: gammaincc(O_l + 1, E) = α/2.
    This is PHEindicatormethods' ``poisson_funnel`` parametrised by denominator instead of by
    event count.
    """
    half = (1 - confidence) / 2
    e = expected
    width = 10 * np.sqrt(e) + 20
    hi = e + width
    # gammainc(a, E) falls from 1 (a → 0) to 0 as a grows.
    upper = _bisect(lambda a: special.gammainc(a, e) - half, np.full_like(e, 1e-12), hi)
    # gammaincc(a + 1, E) rises from e^(-E) (a = 0) to 1; lower limit clipped at 0.
    lower = _bisect(lambda a: half - special.gammaincc(a + 1, e), np.zeros_like(e), hi)
    lower = np.where(special.gammaincc(1.0, e) >= half, 0.0, lower)
    return lower, upper


def funnel_limits_rate(
    target: float,
    denominators: ArrayLike,
    multiplier: float = 1000.0,
) -> FunnelLimits:
    """Poisson funnel limits (95%, 99.8%) for a rate per ``multiplier`` around ``target``.

    Method: PHE/OHID Fingertips technical guidance, "Funnel plots" (Spiegelhalter 2005,
    Stat. Med. 24:1185–1202); limits are the rates whose exact Poisson interval just touches the
    target, as in PHEindicatormethods ``calculate_funnel_limits(statistic = "rate")``.
    ``target`` is on the reporting scale, e.g. 45.2 crimes per 1,000.
    """
    t = scalar(target, "target")
    if t < 0:
        raise ValueError(f"target rate must not be negative (got {target!r})")
    n = as_float_array(denominators, "denominators")
    check_positive(n, "denominators", _DENOMINATOR_HINT)
    m = scalar(multiplier, "multiplier")
    expected = t / m * n
    if t == 0:
        zeros = np.zeros_like(n)
        return FunnelLimits(n, t, zeros, zeros, zeros, zeros, "exact Poisson", m)
    out: dict[float, tuple[FloatArray, FloatArray]] = {}
    for c in FUNNEL_CONFIDENCES:
        lo, hi = _poisson_funnel_counts(expected, c)
        out[c] = (lo / n * m, hi / n * m)
    return FunnelLimits(
        denominators=n,
        target=t,
        lower95=out[0.95][0],
        upper95=out[0.95][1],
        lower998=out[0.998][0],
        upper998=out[0.998][1],
        method="exact Poisson",
        multiplier=m,
    )


def funnel_limits_proportion(
    target: float,
    denominators: ArrayLike,
    multiplier: float = 1.0,
) -> FunnelLimits:
    """Wilson (score) funnel limits (95%, 99.8%) for a proportion around ``target``.

    Method: PHE/OHID "Funnel plots" guidance, PHEindicatormethods ``sigma_adjustment``: the limits
    are the observed proportions whose Wilson interval just touches the target. Because the
    Wilson interval inverts the score test, that is target ± z·√(target(1 − target)/n), clipped to
    [0, 1]. ``target`` is on the reporting scale (e.g. 40 with ``multiplier=100``).
    """
    m = scalar(multiplier, "multiplier")
    t = scalar(target, "target") / m
    if not 0 <= t <= 1:
        raise ValueError(f"target must be a proportion between 0 and {m:g} (got {target!r})")
    n = as_float_array(denominators, "denominators")
    check_positive(n, "denominators", _DENOMINATOR_HINT)
    out: dict[float, tuple[FloatArray, FloatArray]] = {}
    for c in FUNNEL_CONFIDENCES:
        half = z_for(c) * np.sqrt(t * (1 - t) / n)
        out[c] = (np.clip(t - half, 0, 1) * m, np.clip(t + half, 0, 1) * m)
    return FunnelLimits(
        denominators=n,
        target=t * m,
        lower95=out[0.95][0],
        upper95=out[0.95][1],
        lower998=out[0.998][0],
        upper998=out[0.998][1],
        method="Wilson score",
        multiplier=m,
    )


FunnelLabel = Literal["High (99.8%)", "High (95%)", "Not significant", "Low (95%)", "Low (99.8%)"]


def funnel_significance(
    numerators: ArrayLike,
    denominators: ArrayLike,
    statistic: Literal["rate", "proportion"],
    target: float | None = None,
    multiplier: float = 1.0,
) -> tuple[FunnelLabel, ...]:
    """Where each area sits against the funnel: outside the 99.8% or 95% limits, or inside.

    Method: PHE/OHID "Funnel plots" guidance (PHEindicatormethods ``assign_funnel_significance``).
    ``target`` defaults to the pooled average Σ numerators / Σ denominators (× ``multiplier``).
    """
    x = counts_array(numerators, "numerators")
    n = as_float_array(denominators, "denominators")
    check_same_length(numerators=x, denominators=n)
    check_positive(n, "denominators", _DENOMINATOR_HINT)
    m = scalar(multiplier, "multiplier")
    t = float(x.sum() / n.sum() * m) if target is None else scalar(target, "target")
    if statistic == "rate":
        lim = funnel_limits_rate(t, n, m)
    elif statistic == "proportion":
        _check_proportion(x, n)
        lim = funnel_limits_proportion(t, n, m)
    else:
        raise ValueError(f"statistic must be 'rate' or 'proportion' (got {statistic!r})")
    v = x / n * m
    labels: list[FunnelLabel] = []
    for i in range(len(v)):
        if v[i] > lim.upper998[i]:
            labels.append("High (99.8%)")
        elif v[i] > lim.upper95[i]:
            labels.append("High (95%)")
        elif v[i] < lim.lower998[i]:
            labels.append("Low (99.8%)")
        elif v[i] < lim.lower95[i]:
            labels.append("Low (95%)")
        else:
            labels.append("Not significant")
    return tuple(labels)
