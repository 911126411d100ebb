"""SPC charts and the Making Data Count rules on constructed series with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from saferplaces.stats.spc import (
    MIN_POINTS,
    SPCResult,
    c_chart,
    p_chart,
    seasonal_xmr,
    u_chart,
    xmr,
)

# A steady baseline: mean 11, moving ranges all 2, so limits are 11 ± 5.32 and the near
# (2σ) limits 11 ± 3.5467 whatever follows when limits are fixed on these 12 points.
BASE = [10.0, 12.0] * 6


def chart(tail: list[float], **kw: object) -> SPCResult:
    # A point on the mean either side of ``tail`` (which starts at index 13) isolates it.
    return xmr([*BASE, 11.0, *tail, 11.0, 11.0], baseline=12, **kw)  # type: ignore[arg-type]


def flagged(res: SPCResult, rule: str) -> list[int]:
    return [int(i) for i in np.flatnonzero(res.flags[rule])]


# ---------------------------------------------------------------- limits (REFERENCE_VALUES.md)


def test_xmr_limits_hand_computed() -> None:
    # REFERENCE_VALUES.md line 22: mean ± 2.66 × mean moving range.
    res = xmr([5, 7, 6, 8, 7])
    mean, amr = 6.6, 1.5
    np.testing.assert_allclose(res.centre, mean)
    np.testing.assert_allclose(res.upper, mean + 2.66 * amr)
    np.testing.assert_allclose(res.lower, mean - 2.66 * amr)
    np.testing.assert_allclose(res.upper_near, mean + 2 / 3 * 2.66 * amr)
    # REFERENCE_VALUES.md line 25: fewer than 12 points -> warning.
    assert any("only 5 points" in w for w in res.warnings)


def test_moving_range_screening() -> None:
    # REFERENCE_VALUES.md line 22: moving ranges ≥ 3.267 × AMR are screened out, AMR recomputed.
    x = np.array([10, 11, 10, 11, 10, 40, 10, 11, 10, 11, 10, 11], dtype=float)
    mr = np.abs(np.diff(x))
    amr = mr.mean()
    assert (mr >= 3.267 * amr).sum() == 2  # the two jumps around 40
    screened = mr[mr < 3.267 * amr].mean()
    res = xmr(x)
    np.testing.assert_allclose(res.upper, x.mean() + 2.66 * screened)
    unscreened = xmr(x, screen_moving_ranges=False)
    np.testing.assert_allclose(unscreened.upper, x.mean() + 2.66 * amr)
    assert res.flags["outside_limits"][5]


def test_no_warning_with_twelve_points() -> None:
    assert xmr(BASE).warnings == ()
    assert len(xmr(BASE[:11]).warnings) == 1
    assert MIN_POINTS == 12


# ---------------------------------------------------------------- the four rules


def test_outside_limits() -> None:
    res = chart([20.0])
    assert flagged(res, "outside_limits") == [13]
    assert res.side[13] == 1


def test_run_of_seven_flagged_six_not() -> None:
    # REFERENCE_VALUES.md line 23: 7 in a row on one side of the mean.
    assert flagged(chart([11.5] * 7), "run") == list(range(13, 20))
    assert flagged(chart([11.5] * 6), "run") == []
    # A point exactly on the mean breaks the run.
    assert flagged(chart([11.5] * 3 + [11.0] + [11.5] * 4), "run") == []
    assert flagged(chart([10.5] * 8), "run") == list(range(13, 21))


def test_trend_of_seven_flagged_six_not() -> None:
    # REFERENCE_VALUES.md lines 23-24: a trend of 7 rising or falling points.
    rising = [10.2, 10.5, 10.8, 11.1, 11.4, 11.7, 12.0]
    res = chart(rising)
    assert flagged(res, "trend") == list(range(13, 20))
    assert flagged(res, "run") == [] and flagged(res, "two_of_three") == []
    assert flagged(chart(rising[:6]), "trend") == []
    falling = chart(rising[::-1])
    assert flagged(falling, "trend") == list(range(13, 20))
    assert all(falling.side[13:20] == -1)
    # A tie breaks a trend.
    assert flagged(chart([10.2, 10.5, 10.8, 10.8, 11.1, 11.4, 11.7, 12.0]), "trend") == []


def test_two_of_three_beyond_two_sigma() -> None:
    # REFERENCE_VALUES.md line 24: 2 of 3 beyond two-thirds of the limit distance, same side.
    assert flagged(chart([15.0, 11.0, 15.0]), "two_of_three") == [13, 15]
    assert flagged(chart([15.0, 11.0, 11.0, 15.0]), "two_of_three") == []
    assert flagged(chart([15.0, 7.0, 11.0]), "two_of_three") == []  # opposite sides
    assert flagged(chart([7.0, 7.2, 11.0]), "two_of_three") == [13, 14]
    assert flagged(chart([15.0]), "two_of_three") == []


def test_two_sigma_shift_for_eight_points_caught_by_run_rule() -> None:
    rng = np.random.default_rng(20240601)
    sigma = 10.0
    before = rng.normal(100, sigma, 20)
    after = rng.normal(100 + 2 * sigma, sigma, 8)
    x = np.r_[before, after]
    for res in (xmr(x, baseline=20, improvement="decrease"), xmr(x, improvement="decrease")):
        assert res.flags["run"][20:].sum() >= 7
        assert not res.special_cause[:20].any()
        assert res.point_type[-1] == "special_cause_concern"
        assert res.variation_icon == "concern_high"


def test_pure_noise_mostly_flags_nothing() -> None:
    flagged_share, outside_share, clean = [], [], 0
    for seed in range(50):
        x = np.random.default_rng(seed).poisson(100, 24).astype(float)
        res = xmr(x)
        flagged_share.append(res.special_cause.mean())
        outside_share.append(res.flags["outside_limits"].mean())
        clean += not res.special_cause.any()
    assert np.mean(flagged_share) < 0.08
    assert np.mean(outside_share) < 0.02
    assert clean >= 30


# ---------------------------------------------------------------- classification and assurance


def test_improvement_direction_classifies_points() -> None:
    low = chart([4.0])
    assert xmr(low.values, baseline=12, improvement="decrease").point_type[13] == (
        "special_cause_improvement"
    )
    assert xmr(low.values, baseline=12, improvement="increase").point_type[13] == (
        "special_cause_concern"
    )
    assert xmr(low.values, baseline=12).point_type[13] == "special_cause_neutral_low"
    last = xmr([*BASE, 4.0], baseline=12, improvement="decrease")
    assert last.variation_icon == "improvement_low"
    assert "improving" in last.variation
    assert xmr(BASE).variation_icon == "common_cause"


@pytest.mark.parametrize(
    ("target", "improvement", "expected"),
    [
        (12.0, "decrease", "hit_and_miss"),
        (20.0, "decrease", "consistent_pass"),
        (20.0, "increase", "consistent_fail"),
        (2.0, "decrease", "consistent_fail"),
        (2.0, "increase", "consistent_pass"),
        (12.0, "neutral", None),
    ],
)
def test_assurance_against_target(target: float, improvement: str, expected: str | None) -> None:
    res = xmr(BASE, target=target, improvement=improvement)  # type: ignore[arg-type]
    assert res.assurance == expected
    if expected == "hit_and_miss":
        assert res.assurance_text is not None and "Hit and miss" in res.assurance_text


# ---------------------------------------------------------------- rebasing


def test_rebase_computes_limits_per_segment() -> None:
    rng = np.random.default_rng(7)
    a = rng.normal(100, 5, 15)
    b = rng.normal(60, 5, 15)
    x = np.r_[a, b]
    res = xmr(x, rebase_at=[15])
    np.testing.assert_allclose(res.centre[:15], xmr(a).centre)
    np.testing.assert_allclose(res.upper[15:], xmr(b).upper)
    assert res.segment.tolist() == [0] * 15 + [1] * 15
    # Without the rebase the step is (correctly) flagged; with it, not.
    assert xmr(x).special_cause.sum() > 20
    assert res.special_cause.sum() <= 3


def test_runs_do_not_cross_a_rebase() -> None:
    x = BASE + [11.5] * 4 + [11.5] * 4 + BASE
    res = xmr(x, rebase_at=[16], baseline=12)
    assert not res.flags["run"].any()


def test_short_segment_warns() -> None:
    res = xmr(BASE * 2 + BASE[:6], rebase_at=[24])
    assert len(res.warnings) == 1 and "point 24 has only 6 points" in res.warnings[0]


# ---------------------------------------------------------------- c, u and p charts


def test_c_chart() -> None:
    res = c_chart([2, 4, 6, 4, 4, 3, 5, 4, 3, 5, 4, 4])
    np.testing.assert_allclose(res.centre, 4.0)
    np.testing.assert_allclose(res.upper, 4 + 3 * 2)
    np.testing.assert_allclose(res.lower, 0.0)  # 4 − 6 clipped at zero
    np.testing.assert_allclose(res.upper_near, 4 + 2 * 2)


def test_u_chart_varying_exposure() -> None:
    counts = np.array([20, 30, 25, 40, 10, 22, 28, 31, 18, 24, 26, 90])
    pop = np.array([1000, 1500, 1200, 2000, 500, 1100, 1400, 1600, 900, 1200, 1300, 1500])
    res = u_chart(counts, pop, multiplier=1000, improvement="decrease")
    u = counts.sum() / pop.sum()
    np.testing.assert_allclose(res.centre, u * 1000)
    np.testing.assert_allclose(res.upper, (u + 3 * np.sqrt(u / pop)) * 1000)
    np.testing.assert_allclose(res.values, counts / pop * 1000)
    assert res.flags["outside_limits"][-1] and res.point_type[-1] == "special_cause_concern"


def test_p_chart_varying_denominators() -> None:
    x = np.array([40, 45, 50, 38, 60, 44, 47, 52, 41, 49, 43, 10])
    n = np.array([100, 110, 120, 90, 130, 100, 105, 115, 95, 110, 100, 100])
    res = p_chart(x, n, multiplier=100)
    p = x.sum() / n.sum()
    np.testing.assert_allclose(res.upper, (p + 3 * np.sqrt(p * (1 - p) / n)) * 100)
    assert res.flags["outside_limits"][-1]
    assert np.all(res.upper <= 100) and np.all(res.lower >= 0)


# ---------------------------------------------------------------- seasonality


def _seasonal(seed: int, step: float = 0.0) -> np.ndarray:
    t = np.arange(48)
    mean = 100 + 30 * np.sin(2 * np.pi * t / 12) + step * (t >= 36)
    return np.asarray(np.random.default_rng(seed).poisson(mean), dtype=np.float64)


def test_seasonal_peaks_not_flagged_as_change() -> None:
    raw_share, adj_share, last_year, noise_last_year = [], [], [], []
    for seed in range(20):
        x = _seasonal(seed)
        raw_share.append(xmr(x).special_cause.mean())
        res = seasonal_xmr(x)
        adj_share.append(res.special_cause.mean())
        last_year.append(res.special_cause[36:].mean())
        # Benchmark: the same design (limits fixed on 36 points) on a series with no season.
        noise = np.random.default_rng(1000 + seed).poisson(100, 48).astype(float)
        noise_last_year.append(xmr(noise, baseline=36).special_cause[36:].mean())
    # The plain chart calls the seasonal cycle a change; the seasonal chart flags about as
    # often as MDC's rules do on pure noise (the rules have a false-alarm rate of their own).
    assert np.mean(raw_share) > 0.4
    assert np.mean(adj_share) < 0.08
    assert np.mean(last_year) <= np.mean(noise_last_year) + 0.02


def test_seasonal_chart_still_detects_a_real_step() -> None:
    hits = [seasonal_xmr(_seasonal(s, step=30.0)).special_cause[36:].mean() for s in range(20)]
    assert np.mean(hits) > 0.8


def test_seasonal_effect_reported() -> None:
    x = _seasonal(3)
    res = seasonal_xmr(x)
    assert res.raw_values is not None and res.seasonal_effect is not None
    np.testing.assert_allclose(res.values, res.raw_values - res.seasonal_effect)
    # Later points use the baseline same-month means (the latest year is outside the baseline).
    base = x[:36].reshape(3, 12)
    np.testing.assert_allclose(res.seasonal_effect[36:], base.mean(axis=0) - base.mean())
    assert res.chart == "xmr-seasonal" and res.notes


# ---------------------------------------------------------------- properties and failures


@settings(max_examples=40, deadline=None)
@given(
    x=st.lists(st.integers(0, 200), min_size=3, max_size=40),
    scale=st.floats(0.1, 100),
    shift=st.floats(-1000, 1000),
)
def test_xmr_flags_invariant_to_units(x: list[int], scale: float, shift: float) -> None:
    a = xmr(np.array(x, float))
    b = xmr(np.array(x, float) * scale + shift)
    assert np.all(a.lower <= a.centre) and np.all(a.centre <= a.upper)
    for rule in ("run", "trend"):
        assert np.array_equal(a.flags[rule], b.flags[rule])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: xmr([1.0, np.nan, 3.0]), "finite"),
        (lambda: xmr([1.0]), "at least 2 points"),
        (lambda: xmr(BASE, rebase_at=[0]), "rebase_at"),
        (lambda: xmr(BASE, rebase_at=[5, 3]), "strictly increasing"),
        (lambda: xmr(BASE, improvement="up"), "improvement must be"),  # type: ignore[arg-type]
        (lambda: c_chart([1, -2, 3]), "must not be negative"),
        (lambda: u_chart([1, 2], [10, 0]), "exposures must be greater than zero"),
        (lambda: u_chart([1, 2], [10]), "same length"),
        (lambda: p_chart([5, 20], [10, 10]), "numerator exceeds denominator"),
        (lambda: seasonal_xmr(np.ones(30)), "at least 2 whole years"),
    ],
)
def test_failure_paths(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]
