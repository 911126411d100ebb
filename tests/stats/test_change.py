"""Change tests against published values (ptools, Krishnamoorthy & Thomson, Wheeler & Ratcliffe)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from saferplaces.stats.change import (
    conditional_test,
    e_test,
    e_test_p_value,
    poisson_z,
    rolling_12_months,
    same_period_last_year,
    wdd,
)

# ---------------------------------------------------------------- E-test


def test_e_test_ptools_reference() -> None:
    # REFERENCE_VALUES.md line 13: ptools e_test(6, 2) = 0.1748748 (K&T 2004 second example).
    assert e_test(6, 2).p_value == pytest.approx(0.1748748, abs=5e-8)
    # Order does not matter when exposures are equal (ptools test "reverse arguments equal").
    assert e_test(2, 6).p_value == pytest.approx(e_test(6, 2).p_value, abs=1e-15)


def test_e_test_sixteen_to_twenty_five() -> None:
    # REFERENCE_VALUES.md line 14: 16 -> 25, E-test p ≈ 0.165.
    r = e_test(16, 25)
    assert r.p_value == pytest.approx(0.165, abs=5e-4)
    assert not r.significant
    assert r.direction == "none" and r.observed_direction == "up"
    assert r.verdict == (
        "Up from 16 to 25 (+56%), but this change is not statistically significant "
        "(E-test p = 0.16)."
    )


def test_e_test_paper_example_one() -> None:
    # ptools tests/testthat/test-etest.R "Paper rep 1": e_test(0, 3) ≈ 0.0884 (tolerance 5e-4).
    assert e_test(0, 3).p_value == pytest.approx(0.0884, abs=5e-4)


def test_e_test_with_exposures_equal_rates_same_p() -> None:
    # ptools example: e_test(3, 0) and e_test(3, 0, 2, 2) agree (same rates, same exposure ratio).
    assert e_test_p_value(3, 0, 2, 2)[0] == pytest.approx(e_test_p_value(3, 0)[0], abs=1e-12)


def test_e_test_large_counts_use_normal_approximation_consistently() -> None:
    exact = e_test(3000, 3200)
    assert exact.test == "E-test"
    approx = e_test(40_000, 41_000)
    assert approx.test == "E-test (normal approximation)"
    t = (41_000 - 40_000) / math.sqrt(81_000)
    assert approx.p_value == pytest.approx(2 * stats.norm.sf(t), rel=1e-9)
    # Where both are computable they agree closely.
    p_exact = exact.p_value
    t2 = 200 / math.sqrt(6200)
    assert p_exact == pytest.approx(2 * stats.norm.sf(t2), abs=2e-3)


def test_e_test_zero_zero_is_no_change() -> None:
    r = e_test(0, 0)
    assert r.p_value == 1.0 and r.direction == "none"
    assert r.verdict.startswith("Unchanged at 0")


# ---------------------------------------------------------------- Poisson z and C-test


def test_poisson_z_wheeler_example() -> None:
    # REFERENCE_VALUES.md line 14: 16 -> 25 gives z = 2(√25 − √16) = 2.0.
    r = poisson_z(16, 25)
    assert r.statistic == pytest.approx(2.0, abs=1e-12)
    assert r.p_value == pytest.approx(2 * stats.norm.sf(2.0))


def test_poisson_z_exposure_adjusted() -> None:
    # 48 crimes over 3 months is an expected 16 in one month: same z as 16 -> 25.
    r = poisson_z(48, 25, before_exposure=3, after_exposure=1)
    assert r.statistic == pytest.approx(2.0, abs=1e-12)
    assert r.before == pytest.approx(16.0)


def test_conditional_test_matches_binomial() -> None:
    r = conditional_test(16, 25)
    lo = stats.binom.cdf(16, 41, 0.5)
    assert r.p_value == pytest.approx(2 * lo, rel=1e-12)
    # Exposures: 10 in 2 months vs 10 in 1 month; H0 p = 2/3.
    r2 = conditional_test(10, 10, before_exposure=2, after_exposure=1)
    expected = 2 * min(stats.binom.cdf(10, 20, 2 / 3), stats.binom.sf(9, 20, 2 / 3))
    assert r2.p_value == pytest.approx(min(1.0, expected), rel=1e-12)


def test_e_test_is_at_least_as_powerful_as_c_test_here() -> None:
    # K&T 2004: the E-test rejects more often than the C-test at the same level.
    assert e_test(6, 2).p_value < conditional_test(6, 2).p_value
    assert e_test(16, 25).p_value < conditional_test(16, 25).p_value


# ---------------------------------------------------------------- WDD


def test_wdd_no_displacement() -> None:
    # REFERENCE_VALUES.md line 16: WDD −10, SE 8.3666, z −1.195, 90% CI −23.8 to 3.8.
    r = wdd((20, 20), (20, 10), alpha=0.1)
    assert r.estimate == pytest.approx(-10)
    assert r.se == pytest.approx(8.3666, abs=5e-5)
    assert r.statistic == pytest.approx(-1.195, abs=5e-4)
    assert (round(r.lower or 0, 1), round(r.upper or 0, 1)) == (-23.8, 3.8)
    assert not r.significant and r.direction == "none"


def test_wdd_with_displacement_paper_example() -> None:
    # REFERENCE_VALUES.md lines 17-18: WDD −118, SE √1568, z −2.98, 95% CI −196 to −40.
    r = wdd(
        (308, 318),
        (207, 110),
        displacement_control=(150, 140),
        displacement_treated=(178, 157),
        alpha=0.05,
    )
    assert r.estimate == pytest.approx(-118)
    assert r.se == pytest.approx(math.sqrt(1568))
    assert round(r.statistic, 2) == -2.98
    assert (round(r.lower or 0), round(r.upper or 0)) == (-196, -40)
    assert r.significant and r.direction == "down"
    assert "statistically significant" in r.verdict and "reduction" in r.verdict


def test_wdd_time_weights() -> None:
    # REFERENCE_VALUES.md line 19: time weights (2, 1): WDD −20, SE √115.
    r = wdd((100, 50), (80, 20), time_weights=(2, 1))
    assert r.estimate == pytest.approx(-20)
    assert r.se == pytest.approx(math.sqrt(115))


def test_wdd_area_weights_ptools() -> None:
    # ptools tests/testthat/test-wdd.R "Area Weights" (Wheeler 2021 blog, different area sizes).
    r = wdd(
        (308, 318),
        (207, 110),
        displacement_control=(150, 140),
        displacement_treated=(178, 157),
        area_weights=(0.9, 1.2, 1.6, 1.5),
        alpha=0.05,
    )
    expected = (-99.69444444, 35.4280755, -2.813995483, -169.1321965, -30.25669241)
    got = (r.estimate, r.se, r.statistic, r.lower, r.upper)
    assert got == pytest.approx(expected, rel=1e-8)


def test_wdd_components() -> None:
    # ptools test-wdd.R: local −10, displacement −10, total −20.
    r = wdd((20, 20), (20, 10), displacement_control=(20, 20), displacement_treated=(20, 10))
    assert r.details["local_estimate"] == -10
    assert r.details["displacement_estimate"] == -10
    assert r.estimate == -20


# ---------------------------------------------------------------- verdict wording


def test_small_counts_described_as_counts_not_percentages() -> None:
    r = e_test(2, 6)
    assert "%" not in r.verdict.split("(E-test")[0]
    assert r.verdict.startswith("Up from 2 to 6 (4 more)")
    assert "not statistically significant" in r.verdict


def test_significant_change_named_as_increase() -> None:
    r = e_test(20, 60)
    assert r.significant and r.direction == "up"
    assert r.verdict == (
        "Up from 20 to 60 (+200%); this increase is statistically significant (E-test p < 0.001)."
    )


def test_not_significant_never_claims_a_change() -> None:
    for before, after in [(16, 25), (25, 16), (100, 110), (3, 1)]:
        r = e_test(before, after)
        assert not r.significant
        assert r.direction == "none"
        assert "not statistically significant" in r.verdict
        assert "increase is" not in r.verdict and "decrease is" not in r.verdict


# ---------------------------------------------------------------- monthly helpers


def test_same_period_last_year_and_rolling_year() -> None:
    monthly = np.r_[np.full(12, 16), np.full(11, 20), 25]
    r = same_period_last_year(monthly, 23)
    assert (r.before, r.after) == (16, 25)
    assert r.p_value == pytest.approx(e_test(16, 25).p_value)
    assert r.verdict.startswith("Latest month vs a year earlier: up from 16 to 25")
    q = same_period_last_year(monthly, 23, months=3)
    assert (q.before, q.after) == (48, 65)
    y = rolling_12_months(monthly, 23)
    assert (y.before, y.after) == (192, 245)
    assert y.significant and y.direction == "up"
    c = rolling_12_months(monthly, 23, test="c-test")
    assert c.test == "C-test"


def test_monthly_helpers_need_history() -> None:
    with pytest.raises(ValueError, match="needs 13 months"):
        same_period_last_year(np.ones(12), 11)
    with pytest.raises(ValueError, match="needs 24 months"):
        rolling_12_months(np.ones(30), 20)
    with pytest.raises(ValueError, match="outside the series"):
        same_period_last_year(np.ones(24), 24)
    with pytest.raises(ValueError, match="whole number"):
        same_period_last_year(np.full(24, 1.5), 23)
    with pytest.raises(ValueError, match="finite"):
        same_period_last_year(np.r_[np.ones(23), np.nan], 23)


# ---------------------------------------------------------------- properties and failures


@settings(max_examples=40, deadline=None)
@given(a=st.integers(0, 150), b=st.integers(0, 150))
def test_e_test_p_is_a_probability_and_symmetric(a: int, b: int) -> None:
    p = e_test(a, b).p_value
    assert 0 <= p <= 1
    assert p == pytest.approx(e_test(b, a).p_value, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(a=st.integers(5, 200), k=st.integers(1, 60))
def test_e_test_p_falls_as_gap_widens(a: int, k: int) -> None:
    assert e_test(a, a + k + 5).p_value <= e_test(a, a + k).p_value + 1e-12


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: e_test(-1, 3), "before must not be negative"),
        (lambda: e_test(2.5, 3), "whole number"),
        (lambda: e_test(1, 3, after_exposure=0), "after_exposure must be greater than zero"),
        (lambda: poisson_z(float("nan"), 3), "finite"),
        (lambda: conditional_test(1, 2, alpha=1.5), "alpha"),
        (lambda: wdd((1, 2, 3), (1, 2)), r"control must be \(pre, post\)"),
        (lambda: wdd((1, 2), (1, -2)), "treated must not be negative"),
        (lambda: wdd((0, 0), (0, 0)), "no variance"),
        (lambda: wdd((1, 2), (1, 2), time_weights=(0, 1)), "greater than zero"),
    ],
)
def test_failure_paths(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]
