"""Is this change in a count real? Tests for two Poisson counts and place-based interventions.

* :func:`poisson_z` — Wheeler's square-root z, 2(√after − √expected), for a count against a
  known baseline (e.g. a long-run average), with an exposure-adjusted variant.
* :func:`conditional_test` — the exact conditional binomial test (C-test) for two counts.
* :func:`e_test` — Krishnamoorthy & Thomson (2004) E-test, more powerful than the C-test.
* :func:`wdd` — Weighted Displacement Difference (Wheeler & Ratcliffe 2018).
* :func:`same_period_last_year`, :func:`rolling_12_months` — the comparisons a Scorecard makes,
  run through the E-test (or the C-test).

Every result is a :class:`ChangeResult` whose ``verdict`` is plain English. A change is only
called an increase or decrease when the test is significant; small counts are described as
counts, not percentages (METHODS §3.3: "percent change is a horrible metric").
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from saferplaces.stats._verdict import (
    as_float_array,
    check_alpha,
    check_non_negative,
    describe_change,
    fmt_num,
    fmt_p,
    scalar,
    significance_clause,
)

__all__ = [
    "ChangeResult",
    "conditional_test",
    "e_test",
    "e_test_p_value",
    "poisson_z",
    "rolling_12_months",
    "same_period_last_year",
    "wdd",
]

Direction = Literal["up", "down", "none"]

# The E-test sums over a grid of count pairs; beyond this many cells (counts in the thousands)
# the normal approximation of the same statistic is indistinguishable and far cheaper.
_E_TEST_MAX_CELLS = 2_500_000


@dataclass(frozen=True)
class ChangeResult:
    """The outcome of a change test.

    ``direction`` is ``"up"`` or ``"down"`` only when the change is statistically significant,
    otherwise ``"none"``; ``observed_direction`` is the raw direction of the counts.
    ``estimate``, ``se``, ``lower`` and ``upper`` are filled in by tests that estimate a
    difference (WDD); ``details`` holds test-specific extras (WDD local/displacement parts).
    """

    test: str
    statistic: float
    p_value: float
    significant: bool
    direction: Direction
    verdict: str
    before: float = math.nan
    after: float = math.nan
    observed_direction: Direction = "none"
    alpha: float = 0.05
    estimate: float | None = None
    se: float | None = None
    lower: float | None = None
    upper: float | None = None
    details: Mapping[str, float] = field(default_factory=dict)


def _count(value: float, name: str, *, integer: bool) -> float:
    v = scalar(value, name)
    if v < 0:
        raise ValueError(f"{name} must not be negative (got {value!r})")
    if integer and not v.is_integer():
        raise ValueError(
            f"{name} must be a whole number of events for an exact test (got {value!r})"
        )
    return v


def _exposure(value: float, name: str) -> float:
    v = scalar(value, name)
    if v <= 0:
        raise ValueError(
            f"{name} must be greater than zero (got {value!r}); it is the length of the period "
            "or the size of the population the count refers to"
        )
    return v


def _result(
    test: str,
    statistic: float,
    p: float,
    before: float,
    after: float,
    alpha: float,
    evidence: str,
) -> ChangeResult:
    observed, phrase = describe_change(before, after)
    significant = bool(p < alpha) and observed != "none"
    direction: Direction = observed if significant else "none"  # type: ignore[assignment]
    verdict = phrase + significance_clause(significant, observed, evidence)
    return ChangeResult(
        test=test,
        statistic=float(statistic),
        p_value=float(p),
        significant=significant,
        direction=direction,
        verdict=verdict,
        before=before,
        after=after,
        observed_direction=observed,  # type: ignore[arg-type]
        alpha=alpha,
    )


# --------------------------------------------------------------------------------------------
# Poisson z


def poisson_z(
    before: float,
    after: float,
    *,
    before_exposure: float = 1.0,
    after_exposure: float = 1.0,
    alpha: float = 0.05,
) -> ChangeResult:
    """Wheeler's Poisson z-score, z = 2(√after − √expected), expected = before × t_after/t_before.

    Method: variance-stabilising square-root transform of a Poisson count (Wheeler 2016, "Tables
    and graphs for monitoring temporal crime trends", Int. J. Police Sci. & Mgmt; Wheeler 2018
    blog "Testing changes in short run crime patterns"). ``before`` is treated as a known
    baseline — ideally an average of several earlier periods — so the test is more liberal than
    the E-test for two single periods. With unequal periods (``before_exposure`` months before,
    ``after_exposure`` months after) the baseline is rescaled to the later period's length.
    Wheeler suggests |z| ≥ 3 when screening many series at once; pass ``alpha=0.0027``.
    """
    a = check_alpha(alpha)
    b = _count(before, "before", integer=False)
    c = _count(after, "after", integer=False)
    expected = (
        b
        * _exposure(after_exposure, "after_exposure")
        / _exposure(before_exposure, "before_exposure")
    )
    z = 2.0 * (math.sqrt(c) - math.sqrt(expected))
    p = float(2 * stats.norm.sf(abs(z)))
    return _result("Poisson z", z, p, expected, c, a, f"Poisson z = {z:.2f}, {fmt_p(p)}")


# --------------------------------------------------------------------------------------------
# Exact tests for two Poisson counts


def conditional_test(
    before: float,
    after: float,
    *,
    before_exposure: float = 1.0,
    after_exposure: float = 1.0,
    alpha: float = 0.05,
) -> ChangeResult:
    """Exact conditional (binomial) test of equal Poisson rates (the C-test).

    Method: given n = before + after, before ~ Binomial(n, t_before/(t_before + t_after)) under
    H0 (Przyborowski & Wilenski 1940; Krishnamoorthy & Thomson 2004, J. Stat. Plan. Inference
    119:23–35). Two-sided p = min(1, 2 × smaller tail).
    """
    a = check_alpha(alpha)
    b = _count(before, "before", integer=True)
    c = _count(after, "after", integer=True)
    tb = _exposure(before_exposure, "before_exposure")
    ta = _exposure(after_exposure, "after_exposure")
    n = b + c
    if n == 0:
        p = 1.0
    else:
        prob = tb / (tb + ta)
        lower_tail = stats.binom.cdf(b, n, prob)
        upper_tail = stats.binom.sf(b - 1, n, prob)
        p = float(min(1.0, 2 * min(lower_tail, upper_tail)))
    before_scaled = b * ta / tb
    return _result("C-test", b, p, before_scaled, c, a, f"exact conditional test {fmt_p(p)}")


def _e_stat(x1: np.ndarray, x2: np.ndarray, n1: float, n2: float) -> np.ndarray:
    var = x1 / n1**2 + x2 / n2**2
    with np.errstate(invalid="ignore", divide="ignore"):
        t = (x1 / n1 - x2 / n2) / np.sqrt(var)
    # (0, 0) carries no evidence either way: T = 0.
    return np.asarray(np.where(var > 0, t, 0.0))


def _support(mean: float) -> np.ndarray:
    # ±9 sd holds all but ~1e-19 of the Poisson mass: the omitted tail cannot move p.
    lo = max(0, math.floor(mean - 9 * math.sqrt(mean) - 10))
    hi = math.ceil(mean + 9 * math.sqrt(mean) + 10)
    return np.arange(lo, hi + 1, dtype=np.float64)


def e_test_p_value(k1: int, k2: int, n1: float = 1.0, n2: float = 1.0) -> tuple[float, float, bool]:
    """Two-sided E-test p-value for counts k1, k2 over exposures n1, n2.

    Returns ``(p, T, exact)``: the p-value, the observed statistic
    T = (k1/n1 − k2/n2)/√(k1/n1² + k2/n2²), and whether the exact sum was used (False: normal
    approximation for counts in the thousands). Method: Krishnamoorthy & Thomson (2004), J. Stat.
    Plan. Inference 119:23–35 — p = Σ P(X1 = i | n1·λ̂) P(X2 = j | n2·λ̂) 1{|T(i, j)| ≥ |T_obs|}
    with λ̂ = (k1 + k2)/(n1 + n2). Reproduces ptools ``e_test(6, 2)`` = 0.1748748.
    """
    if k1 == 0 and k2 == 0:
        return 1.0, 0.0, True
    lam = (k1 + k2) / (n1 + n2)
    t_obs = float(_e_stat(np.array([k1], float), np.array([k2], float), n1, n2)[0])
    x1, x2 = _support(n1 * lam), _support(n2 * lam)
    if len(x1) * len(x2) > _E_TEST_MAX_CELLS:
        return float(2 * stats.norm.sf(abs(t_obs))), t_obs, False
    p1 = stats.poisson.pmf(x1, n1 * lam)
    p2 = stats.poisson.pmf(x2, n2 * lam)
    t = np.abs(_e_stat(x1[:, None], x2[None, :], n1, n2))
    # Relative tolerance so a mirror-image pair (T exactly equal) counts as "as extreme".
    extreme = t >= abs(t_obs) * (1 - 1e-10)
    p = float(p1 @ (extreme @ p2))
    return min(1.0, p), t_obs, True


def e_test(
    before: float,
    after: float,
    *,
    before_exposure: float = 1.0,
    after_exposure: float = 1.0,
    alpha: float = 0.05,
) -> ChangeResult:
    """E-test for the difference between two Poisson rates (Krishnamoorthy & Thomson 2004).

    Method: K. Krishnamoorthy & J. Thomson (2004), "A more powerful test for comparing two Poisson
    means", J. Stat. Plan. Inference 119:23–35; same statistic as ptools ``e_test`` (Wheeler).
    Reproduces e_test(6, 2) = 0.1748748 and 16 → 25, p ≈ 0.165. Counts must be whole numbers;
    exposures allow periods of different lengths. Counts in the thousands use the normal
    approximation of the statistic.
    """
    a = check_alpha(alpha)
    b = _count(before, "before", integer=True)
    c = _count(after, "after", integer=True)
    tb = _exposure(before_exposure, "before_exposure")
    ta = _exposure(after_exposure, "after_exposure")
    p, t, exact = e_test_p_value(int(b), int(c), tb, ta)
    name = "E-test" if exact else "E-test (normal approximation)"
    before_scaled = b * ta / tb
    # Statistic oriented as after − before so its sign matches the direction of change.
    return _result(name, -t, p, before_scaled, c, a, f"{name} {fmt_p(p)}")


# --------------------------------------------------------------------------------------------
# Weighted Displacement Difference


def _pair(values: Sequence[float] | None, name: str) -> tuple[float, float]:
    if values is None:
        return 0.0, 0.0
    arr = as_float_array(values, name)
    if len(arr) != 2:
        raise ValueError(f"{name} must be (pre, post) counts (got {len(arr)} values)")
    check_non_negative(arr, name)
    return float(arr[0]), float(arr[1])


def wdd(
    control: Sequence[float],
    treated: Sequence[float],
    *,
    displacement_control: Sequence[float] | None = None,
    displacement_treated: Sequence[float] | None = None,
    time_weights: Sequence[float] = (1.0, 1.0),
    area_weights: Sequence[float] = (1.0, 1.0, 1.0, 1.0),
    alpha: float = 0.05,
) -> ChangeResult:
    """Weighted Displacement Difference test for a place-based intervention.

    Method: Wheeler & Ratcliffe (2018), "A simple weighted displacement difference test to
    evaluate place based crime interventions", Crime Science 7:11 (doi:10.1186/s40163-018-0085-5);
    weights as in ptools ``wdd`` (Wheeler 2021 blog posts on different time periods and areas).
    Each area is (pre, post). WDD = ΔT − ΔC + (ΔD − ΔDc), Δ = post/w_post − pre/w_pre, with
    w = time weight × area weight; Var = Σ count / w² (Poisson); z = WDD/SE; CI at 1 − alpha.
    A negative WDD means crime fell in the treated (and displacement) areas relative to control.
    """
    a = check_alpha(alpha)
    c0, c1 = _pair(control, "control")
    t0, t1 = _pair(treated, "treated")
    dc0, dc1 = _pair(displacement_control, "displacement_control")
    dt0, dt1 = _pair(displacement_treated, "displacement_treated")
    tw = as_float_array(time_weights, "time_weights")
    aw = as_float_array(area_weights, "area_weights")
    if len(tw) != 2 or len(aw) != 4:
        raise ValueError(
            "time_weights must be (pre, post) and area_weights (control, treated, "
            f"displacement_control, displacement_treated) (got {len(tw)} and {len(aw)} values)"
        )
    if (tw <= 0).any() or (aw <= 0).any():
        raise ValueError("time_weights and area_weights must be greater than zero")

    def part(pre: float, post: float, area_w: float) -> tuple[float, float]:
        wpre, wpost = float(tw[0]) * area_w, float(tw[1]) * area_w
        return post / wpost - pre / wpre, post / wpost**2 + pre / wpre**2

    d_t, v_t = part(t0, t1, float(aw[1]))
    d_c, v_c = part(c0, c1, float(aw[0]))
    d_dt, v_dt = part(dt0, dt1, float(aw[3]))
    d_dc, v_dc = part(dc0, dc1, float(aw[2]))
    local, var_local = d_t - d_c, v_t + v_c
    disp, var_disp = d_dt - d_dc, v_dt + v_dc
    est, var = local + disp, var_local + var_disp
    if var == 0:
        raise ValueError("all counts are zero: the WDD has no variance and cannot be tested")
    se = math.sqrt(var)
    z = est / se
    p = float(2 * stats.norm.sf(abs(z)))
    q = float(stats.norm.ppf(1 - a / 2))
    lo, hi = est - q * se, est + q * se
    significant = bool(p < a) and est != 0
    observed: Direction = "down" if est < 0 else ("up" if est > 0 else "none")
    direction: Direction = observed if significant else "none"
    level = f"{100 * (1 - a):g}%"
    head = (
        f"Treated area {fmt_num(t0)} to {fmt_num(t1)}, control area {fmt_num(c0)} to {fmt_num(c1)}"
    )
    if displacement_treated is not None or displacement_control is not None:
        head += (
            f", displacement area {fmt_num(dt0)} to {fmt_num(dt1)} "
            f"(its control {fmt_num(dc0)} to {fmt_num(dc1)})"
        )
    evidence = f"WDD z = {z:.2f}, {fmt_p(p)}"
    body = f"; relative to control, crime changed by {est:+.1f} ({level} CI {lo:.1f} to {hi:.1f})"
    if significant:
        kind = "reduction" if est < 0 else "increase"
        tail = f"; this {kind} is statistically significant ({evidence})."
    else:
        tail = f", which is not statistically significant ({evidence})."
    return ChangeResult(
        test="WDD",
        statistic=z,
        p_value=p,
        significant=significant,
        direction=direction,
        verdict=head + body + tail,
        before=t0,
        after=t1,
        observed_direction=observed,
        alpha=a,
        estimate=est,
        se=se,
        lower=lo,
        upper=hi,
        details={
            "local_estimate": local,
            "local_se": math.sqrt(var_local),
            "displacement_estimate": disp,
            "displacement_se": math.sqrt(var_disp),
        },
    )


# --------------------------------------------------------------------------------------------
# Scorecard comparisons on a monthly series

ExactTest = Literal["e-test", "c-test"]


def _monthly(monthly: ArrayLike, latest: int, needed: int) -> np.ndarray:
    arr = as_float_array(monthly, "monthly")
    check_non_negative(arr, "monthly")
    if not isinstance(latest, (int, np.integer)) or isinstance(latest, bool):
        raise ValueError(f"latest must be an integer index into monthly (got {latest!r})")
    if not 0 <= latest < len(arr):
        raise ValueError(f"latest index {latest} is outside the series of {len(arr)} months")
    if latest + 1 < needed:
        raise ValueError(
            f"this comparison needs {needed} months up to and including the latest month; "
            f"the series has only {latest + 1}"
        )
    return arr


def _exact(test: ExactTest, before: float, after: float, alpha: float) -> ChangeResult:
    if test == "e-test":
        return e_test(before, after, alpha=alpha)
    if test == "c-test":
        return conditional_test(before, after, alpha=alpha)
    raise ValueError(f"test must be 'e-test' or 'c-test' (got {test!r})")


def _relabel(r: ChangeResult, prefix: str) -> ChangeResult:
    v = r.verdict
    verdict = f"{prefix}: {v[0].lower()}{v[1:]}"
    return replace(r, verdict=verdict)


def same_period_last_year(
    monthly: ArrayLike,
    latest: int,
    *,
    months: int = 1,
    test: ExactTest = "e-test",
    alpha: float = 0.05,
) -> ChangeResult:
    """The latest ``months`` months against the same months a year earlier, by an exact test.

    Method: E-test (Krishnamoorthy & Thomson 2004) or C-test on the two period totals; comparing
    like calendar months removes seasonality from the comparison (METHODS §3.3). ``monthly`` is
    a series of monthly counts with no gaps; ``latest`` is the index of the latest month.
    """
    if months < 1 or months > 12:
        raise ValueError(f"months must be between 1 and 12 (got {months!r})")
    arr = _monthly(monthly, latest, 12 + months)
    after = float(arr[latest - months + 1 : latest + 1].sum())
    before = float(arr[latest - 12 - months + 1 : latest - 12 + 1].sum())
    what = "month" if months == 1 else f"{months} months"
    return _relabel(_exact(test, before, after, alpha), f"Latest {what} vs a year earlier")


def rolling_12_months(
    monthly: ArrayLike,
    latest: int,
    *,
    test: ExactTest = "e-test",
    alpha: float = 0.05,
) -> ChangeResult:
    """The 12 months to the latest month against the 12 months before them, by an exact test.

    Method: E-test (Krishnamoorthy & Thomson 2004) or C-test on rolling 12-month totals, e.g.
    "12 months to March 2025 vs 12 months to March 2024". Needs 24 months of history.
    """
    arr = _monthly(monthly, latest, 24)
    after = float(arr[latest - 11 : latest + 1].sum())
    before = float(arr[latest - 23 : latest - 11].sum())
    return _relabel(_exact(test, before, after, alpha), "12 months to latest vs previous 12 months")
