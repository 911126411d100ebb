"""Concentration measures against lorenzgini's published vectors (Bernasco & Steenbeek 2017)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from saferplaces.stats.concentration import (
    generalized_gini,
    gini,
    gini_bootstrap,
    lorenz_curve,
    share_of_places,
)


def zeros(k: int) -> list[int]:
    return [0] * k


# ---------------------------------------------------------------- published vectors


def test_gini_10_8_2() -> None:
    # REFERENCE_VALUES.md line 28: (10, 8, 2, 0×7): G = G′ = 0.78.
    c = [10, 8, 2, *zeros(7)]
    assert round(gini(c), 2) == 0.78
    assert round(generalized_gini(c), 2) == 0.78


def test_gini_5_2_1() -> None:
    # REFERENCE_VALUES.md line 29: (5, 2, 1, 0×7): G = 0.80, G′ = 0.75.
    c = [5, 2, 1, *zeros(7)]
    assert round(gini(c), 2) == 0.80
    assert round(generalized_gini(c), 2) == 0.75


def test_gini_all_in_one_of_ten() -> None:
    # REFERENCE_VALUES.md line 30: (10, 0×9): biased 0.90, unbiased 1.
    c = [10, *zeros(9)]
    assert round(gini(c), 2) == 0.90
    assert round(gini(c, unbiased=True), 2) == 1.0


def test_gini_all_in_one_of_hundred() -> None:
    # REFERENCE_VALUES.md line 31: (10, 0×99): biased 0.99 (unbiased 1, lorenzgini example).
    c = [10, *zeros(99)]
    assert round(gini(c), 2) == 0.99
    assert round(gini(c, unbiased=True), 2) == 1.0


def test_gini_3_1_1_standard() -> None:
    # REFERENCE_VALUES.md line 32: (3, 1, 1, 0×7): G = 0.78.
    assert round(gini([3, 1, 1, *zeros(7)]), 2) == 0.78


def test_generalized_gini_3_1_1_follows_the_published_formula() -> None:
    # REFERENCE_VALUES.md line 32 quotes G′ = 0.58 from the caption of the lorenzgini vignette's
    # Figure 2. The package's own formula, G′ = max(1, n/N)·(G − 1) + 1 (R/gini.R), gives
    # 2 × (0.78 − 1) + 1 = 0.56 for n = 10 places and N = 5 crimes; no variant of the formula
    # (biased or unbiased, 0.70) gives 0.58. We follow the formula; see the next test.
    c = [3, 1, 1, *zeros(7)]
    assert generalized_gini(c) == pytest.approx(0.56, abs=1e-12)
    assert generalized_gini(c) == pytest.approx(2 * (gini(c) - 1) + 1)


@pytest.mark.xfail(
    strict=True,
    reason="vignette caption G′ = .58 contradicts lorenzgini's formula (0.56); see docs",
)
def test_generalized_gini_3_1_1_vignette_caption() -> None:
    assert round(generalized_gini([3, 1, 1, *zeros(7)]), 2) == 0.58


def test_unbiased_generalized_gini() -> None:
    # lorenzgini R/gini.R: G′_unbiased = G′ × m/(m − 1), m = min(n, N).
    c = [5, 2, 1, *zeros(7)]
    assert generalized_gini(c, unbiased=True) == pytest.approx(0.75 * 8 / 7)


# ---------------------------------------------------------------- shares and Lorenz curve


def test_share_of_places_for_25_and_50_percent() -> None:
    c = [10, 8, 2, *zeros(7)]
    half = share_of_places(c, 0.5)
    assert (half.places, half.place_share, half.crimes_in_places) == (1, 0.1, 10)
    quarter = share_of_places(c, 0.25)
    assert quarter.places == 1
    most = share_of_places(c, 0.95)
    assert most.places == 3 and most.place_share == pytest.approx(0.3)
    even = share_of_places([1] * 20, 0.5)
    assert even.places == 10


def test_lorenz_curve_points() -> None:
    curve = lorenz_curve([3, 1, 1, *zeros(7)])
    np.testing.assert_allclose(curve.place_share[:4], [0, 0.1, 0.2, 0.3])
    np.testing.assert_allclose(curve.crime_share[:4], [0, 0.6, 0.8, 1.0])
    assert curve.crime_share[-1] == 1.0
    # Sparse: line of maximal equality reaches 1 at N/n = 0.5 (Bernasco & Steenbeek 2017).
    np.testing.assert_allclose(curve.equality_x, [0, 0.5, 1])
    # Area between curve and the standard diagonal gives the Gini (trapezoid rule).
    area = np.trapezoid(curve.crime_share, curve.place_share)
    assert (area - 0.5) / 0.5 == pytest.approx(gini([3, 1, 1, *zeros(7)]))


# ---------------------------------------------------------------- bootstrap


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    rng = np.random.default_rng(8722)
    c = np.where(rng.random(1000) < 0.1, 0, rng.poisson(1.0, 1000))
    a = gini_bootstrap(c, n_boot=400, seed=347)
    b = gini_bootstrap(c, n_boot=400, seed=347)
    assert a == b
    assert a.lower < a.value < a.upper
    assert a.upper - a.lower < 0.1
    d = gini_bootstrap(c, n_boot=400, seed=np.random.default_rng(1))
    assert d.value == a.value and d.lower != a.lower


# ---------------------------------------------------------------- properties

places = st.lists(st.integers(0, 50), min_size=2, max_size=60)


@settings(max_examples=80, deadline=None)
@given(c=places)
def test_gini_in_unit_interval(c: list[int]) -> None:
    assume(sum(c) > 0)
    for value in (gini(c), generalized_gini(c), gini(c, unbiased=True)):
        assert -1e-12 <= value <= 1 + 1e-12


@settings(max_examples=80, deadline=None)
@given(c=places, k=st.integers(2, 50))
def test_gini_scale_invariant(c: list[int], k: int) -> None:
    assume(sum(c) > 0)
    scaled = [k * x for x in c]
    assert gini(scaled) == pytest.approx(gini(c), abs=1e-12)
    # G′ is only scale-free once crimes ≥ places: below that, scaling changes the sparsity.
    if sum(c) >= len(c):
        assert generalized_gini(scaled) == pytest.approx(generalized_gini(c), abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(c=places)
def test_generalized_gini_never_exceeds_gini(c: list[int]) -> None:
    assume(sum(c) > 0)
    assert generalized_gini(c) <= gini(c) + 1e-12


@settings(max_examples=50, deadline=None)
@given(c=places, p=st.floats(0.01, 1.0))
def test_share_of_places_is_smallest_sufficient_set(c: list[int], p: float) -> None:
    assume(sum(c) > 0)
    s = share_of_places(c, p)
    ordered = sorted(c, reverse=True)
    assert sum(ordered[: s.places]) >= p * sum(c) * (1 - 1e-9)
    assert sum(ordered[: s.places - 1]) < p * sum(c)


# ---------------------------------------------------------------- failures


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: gini([0, 0, 0]), "no crimes"),
        (lambda: gini([3]), "at least 2 places"),
        (lambda: gini([3, -1, 2]), "must not be negative"),
        (lambda: gini([3, np.nan]), "finite"),
        (lambda: share_of_places([1, 2], 0), "crime_share"),
        (lambda: generalized_gini([1, 0, 0], unbiased=True), "at least 2 crimes"),
        (lambda: gini_bootstrap([1, 2, 3], n_boot=10), "n_boot"),
    ],
)
def test_failure_paths(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]
