"""Rates, Wilson intervals and funnel limits against PHE formulas and published values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from saferplaces.stats.rates import (
    count_interval,
    count_interval_array,
    funnel_limits_proportion,
    funnel_limits_rate,
    funnel_significance,
    rate,
    rate_array,
    wilson_interval,
    wilson_interval_array,
)

Z95 = stats.norm.ppf(0.975)
Z998 = stats.norm.ppf(0.999)


def byar(o: float, z: float) -> tuple[float, float]:
    # REFERENCE_VALUES.md line 9, typed out independently of the implementation.
    lo = o * (1 - 1 / (9 * o) - z / (3 * math.sqrt(o))) ** 3
    hi = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * math.sqrt(o + 1))) ** 3
    return lo, hi


# ---------------------------------------------------------------- published formulas and values


@pytest.mark.parametrize("o", [10, 11, 25, 65, 1045, 250_000])
@pytest.mark.parametrize(("conf", "z"), [(0.95, Z95), (0.998, Z998)])
def test_byar_for_ten_or_more_events(o: int, conf: float, z: float) -> None:
    # REFERENCE_VALUES.md lines 8-10: Byar for O >= 10.
    ci = count_interval(o, conf)
    lo, hi = byar(o, z)
    assert ci.method == "Byar"
    assert ci.lower == pytest.approx(lo, rel=1e-12)
    assert ci.upper == pytest.approx(hi, rel=1e-12)


@pytest.mark.parametrize(("conf", "z_published"), [(0.95, 1.96), (0.998, 3.09)])
def test_exact_z_matches_phe_rounded_z(conf: float, z_published: float) -> None:
    # REFERENCE_VALUES.md line 10: PHE quotes z = 1.96 and 3.09; we use the exact quantile, so
    # limits agree with the rounded-z formula to well under 0.1%.
    lo, hi = byar(65, z_published)
    ci = count_interval(65, conf)
    assert ci.lower == pytest.approx(lo, rel=1e-3)
    assert ci.upper == pytest.approx(hi, rel=1e-3)


@pytest.mark.parametrize("o", range(10))
def test_exact_chi_square_below_ten(o: int) -> None:
    # REFERENCE_VALUES.md line 10: lower = χ²(α/2, 2O)/2, upper = χ²(1−α/2, 2O+2)/2.
    ci = count_interval(o)
    assert ci.method.startswith("exact")
    expected_lo = 0.0 if o == 0 else stats.chi2.ppf(0.025, 2 * o) / 2
    assert ci.lower == pytest.approx(expected_lo, abs=1e-12)
    assert ci.upper == pytest.approx(stats.chi2.ppf(0.975, 2 * o + 2) / 2, rel=1e-12)


@pytest.mark.parametrize(
    ("o", "lo", "hi"),
    # Exact Poisson 95% limits as tabulated by Garwood (1936) / Breslow & Day (1987).
    [(0, 0.0, 3.689), (1, 0.0253, 5.572), (5, 1.6235, 11.668)],
)
def test_exact_limits_match_published_table(o: int, lo: float, hi: float) -> None:
    ci = count_interval(o)
    assert ci.lower == pytest.approx(lo, abs=6e-4)
    assert ci.upper == pytest.approx(hi, abs=6e-4)


def test_method_switches_at_ten() -> None:
    arr = count_interval_array([9, 10])
    assert arr.method == ("exact Poisson (chi-square)", "Byar")


def test_rate_per_thousand() -> None:
    r = rate(25, 5000)
    ci = count_interval(25)
    assert r.value == pytest.approx(5.0)
    assert r.lower == pytest.approx(ci.lower / 5000 * 1000)
    assert r.upper == pytest.approx(ci.upper / 5000 * 1000)
    assert (r.numerator, r.denominator, r.multiplier, r.confidence) == (25, 5000, 1000, 0.95)


@pytest.mark.parametrize(
    ("x", "n", "lo", "hi"),
    # Newcombe (1998), Stat. Med. 17:857-872, Table II, method 3 (Wilson score).
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_newcombe(x: int, n: int, lo: float, hi: float) -> None:
    ci = wilson_interval(x, n)
    assert ci.lower == pytest.approx(lo, abs=6e-5)
    assert ci.upper == pytest.approx(hi, abs=6e-5)
    assert ci.method == "Wilson score"


def test_wilson_percentage_multiplier() -> None:
    ci = wilson_interval(81, 263, multiplier=100)
    assert ci.lower == pytest.approx(25.53, abs=6e-3)
    assert ci.value == pytest.approx(100 * 81 / 263)


# ---------------------------------------------------------------- funnels against PHE's code


def phe_sigma_adjustment(p: float, population: np.ndarray, av: float, side: str) -> np.ndarray:
    # PHEindicatormethods R/Funnels.R ``sigma_adjustment`` transcribed as a test oracle.
    z2 = stats.norm.ppf(p) ** 2
    first = av * (population / z2 + 1)
    adj = np.sqrt(
        (-8 * av * (population / z2 + 1)) ** 2
        - 64
        * (1 / z2 + 1 / population)
        * av
        * (population * (av * (population / z2 + 2) - 1) + z2 * (av - 1))
    )
    last = 1 / z2 + 1 / population
    val = (first - adj / 8) / last if side == "low" else (first + adj / 8) / last
    return np.asarray(val / population)


def test_proportion_funnel_equals_phe_sigma_adjustment() -> None:
    n = np.array([20.0, 50, 137, 1000, 25_000])
    av = 0.37
    lim = funnel_limits_proportion(av, n)
    np.testing.assert_allclose(lim.lower95, phe_sigma_adjustment(0.975, n, av, "low"), rtol=1e-9)
    np.testing.assert_allclose(lim.upper95, phe_sigma_adjustment(0.975, n, av, "high"), rtol=1e-9)
    np.testing.assert_allclose(lim.lower998, phe_sigma_adjustment(0.999, n, av, "low"), rtol=1e-9)
    np.testing.assert_allclose(lim.upper998, phe_sigma_adjustment(0.999, n, av, "high"), rtol=1e-9)


@pytest.mark.parametrize("conf", [0.95, 0.998])
def test_rate_funnel_matches_phe_event_parametrisation(conf: float) -> None:
    # PHEindicatormethods computes rate funnels per event count O: the population at which O
    # events sit on the lower limit is E_high(O)/average, where E_high is the exact upper limit
    # of O (and vice versa). Our funnel is parametrised by denominator; the two must agree.
    av = 0.045  # 45 per 1,000
    o = np.arange(1.0, 80.0)
    alpha = 1 - conf
    n_low = stats.chi2.ppf(1 - alpha / 2, 2 * o + 2) / 2 / av
    n_high = stats.chi2.ppf(alpha / 2, 2 * o) / 2 / av
    low = funnel_limits_rate(45, n_low)
    high = funnel_limits_rate(45, n_high)
    lo_attr, hi_attr = ("lower95", "upper95") if conf == 0.95 else ("lower998", "upper998")
    np.testing.assert_allclose(getattr(low, lo_attr), o / n_low * 1000, rtol=1e-9)
    np.testing.assert_allclose(getattr(high, hi_attr), o / n_high * 1000, rtol=1e-9)


def test_funnel_significance_labels() -> None:
    # Pooled average is 40 per 1,000; 5/1000 is far below, 120/1000 far above.
    labels = funnel_significance(
        [5, 80, 120, 35], [1000, 2000, 1000, 1000], "rate", multiplier=1000
    )
    assert labels == ("Low (99.8%)", "Not significant", "High (99.8%)", "Not significant")
    props = funnel_significance([10, 50, 90], [100, 100, 100], "proportion", target=0.5)
    assert props == ("Low (99.8%)", "Not significant", "High (99.8%)")


# ---------------------------------------------------------------- properties

counts = st.integers(min_value=0, max_value=5000)
denoms = st.floats(min_value=1.0, max_value=1e7, allow_nan=False)
confs = st.sampled_from([0.9, 0.95, 0.99, 0.998])


@settings(max_examples=60, deadline=None)
@given(o=counts, n=denoms, conf=confs)
def test_rate_interval_contains_estimate(o: int, n: float, conf: float) -> None:
    r = rate(o, n, confidence=conf)
    assert 0 <= r.lower <= r.value <= r.upper


@settings(max_examples=60, deadline=None)
@given(o=st.integers(min_value=0, max_value=3000), conf=confs)
def test_count_interval_monotone_in_count(o: int, conf: float) -> None:
    # Including the switch from exact to Byar at 10.
    a, b = count_interval(o, conf), count_interval(o + 1, conf)
    assert b.lower > a.lower or (o == 0 and b.lower >= a.lower)
    assert b.upper > a.upper


@settings(max_examples=60, deadline=None)
@given(o=counts, n=denoms, k=st.floats(min_value=1.5, max_value=100))
def test_rate_interval_scales_with_denominator(o: int, n: float, k: float) -> None:
    a, b = rate(o, n), rate(o, n * k)
    assert b.lower == pytest.approx(a.lower / k, rel=1e-9, abs=1e-300)
    assert b.upper == pytest.approx(a.upper / k, rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    data=st.integers(min_value=1, max_value=10_000).flatmap(
        lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
    ),
    conf=confs,
)
def test_wilson_contains_estimate_and_stays_in_unit_interval(
    data: tuple[int, int], conf: float
) -> None:
    x, n = data
    ci = wilson_interval(x, n, conf)
    assert 0 <= ci.lower <= ci.value <= ci.upper <= 1


@settings(max_examples=40, deadline=None)
@given(
    target=st.floats(min_value=0.5, max_value=500),
    n=st.lists(st.floats(min_value=100, max_value=1e6), min_size=2, max_size=8, unique=True),
)
def test_rate_funnel_narrows_as_denominator_grows(target: float, n: list[float]) -> None:
    d = np.sort(np.array(n))
    lim = funnel_limits_rate(target, d)
    assert np.all(np.diff(lim.upper95) <= 1e-9 * target)
    assert np.all(np.diff(lim.lower95) >= -1e-9 * target)
    assert np.all(lim.lower998 <= lim.lower95)
    assert np.all(lim.lower95 <= target) and np.all(target <= lim.upper95)
    assert np.all(lim.upper95 <= lim.upper998)


@settings(max_examples=40, deadline=None)
@given(
    target=st.floats(min_value=0.01, max_value=0.99),
    n=st.lists(st.floats(min_value=5, max_value=1e6), min_size=2, max_size=8, unique=True),
)
def test_proportion_funnel_narrows_as_denominator_grows(target: float, n: list[float]) -> None:
    d = np.sort(np.array(n))
    lim = funnel_limits_proportion(target, d)
    assert np.all(np.diff(lim.upper998) <= 1e-12)
    assert np.all(np.diff(lim.lower998) >= -1e-12)
    assert np.all((lim.lower95 <= target) & (target <= lim.upper95))


def test_vectorised_matches_scalar() -> None:
    arr = rate_array([0, 3, 10, 400], [100, 200, 300, 400])
    for i, (o, n) in enumerate([(0, 100), (3, 200), (10, 300), (400, 400)]):
        assert arr[i] == rate(o, n)
    w = wilson_interval_array([0, 5], [10, 10])
    assert w[1] == wilson_interval(5, 10)


# ---------------------------------------------------------------- failure paths


@pytest.mark.parametrize("bad", [0, -5])
def test_zero_or_negative_denominator_raises(bad: float) -> None:
    with pytest.raises(ValueError, match="denominator must be greater than zero"):
        rate(3, bad)
    with pytest.raises(ValueError, match=r"denominators must be greater than zero .* position 1"):
        rate_array([1, 2], [10, bad])
    with pytest.raises(ValueError, match="greater than zero"):
        wilson_interval(0, bad)
    with pytest.raises(ValueError, match="greater than zero"):
        funnel_limits_rate(10, [100, bad])


def test_bad_counts_raise() -> None:
    with pytest.raises(ValueError, match=r"counts must not be negative \(got -1 at position 0\)"):
        count_interval(-1)
    with pytest.raises(ValueError, match="finite"):
        rate_array([1, float("nan")], [10, 10])
    with pytest.raises(ValueError, match="finite"):
        rate(1, float("inf"))
    with pytest.raises(ValueError, match="same length: counts has 2, denominators has 3"):
        rate_array([1, 2], [10, 10, 10])
    with pytest.raises(ValueError, match="numerator exceeds denominator"):
        wilson_interval(11, 10)
    with pytest.raises(ValueError, match="confidence"):
        rate(1, 10, confidence=95)
    with pytest.raises(ValueError, match="statistic"):
        funnel_significance([1], [10], "ratio")  # type: ignore[arg-type]
