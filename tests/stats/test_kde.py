"""Kernel density: published kernel values, mass conservation, binning error, failures."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from saferplaces.stats.grid import Grid, make_grid
from saferplaces.stats.kde import KERNELS, kde, kernel_value, rule_of_thumb_bandwidth

# ------------------------------------------------------------------ published kernel values


def test_kernel_reference_values_chopin() -> None:
    """REFERENCE_VALUES.md "Kernels" (chopin::kernelfunction documentation)."""
    assert kernel_value(0.1, 1, "quartic") == pytest.approx(0.9188437, abs=1e-7)
    assert kernel_value(0.1, 1, "epanechnikov") == pytest.approx(0.7425, abs=1e-12)
    assert kernel_value(0.1, 1, "uniform") == 0.5
    assert kernel_value(0.1, 10, "quartic") == pytest.approx(0.9373125, abs=1e-7)
    assert kernel_value(0.1, 10, "epanechnikov") == pytest.approx(0.749925, abs=1e-12)
    # chopin's "triweight" is 1 − u³; we reproduce it under an explicit name …
    assert kernel_value(0.1, 1, "triweight_chopin") == pytest.approx(0.999, abs=1e-12)
    # … and keep "triweight" the textbook (35/32)(1 − u²)³ kernel
    assert kernel_value(0.1, 1, "triweight") == pytest.approx(35 / 32 * 0.99**3, abs=1e-12)


@pytest.mark.parametrize("kernel", KERNELS)
def test_kernels_vanish_at_and_beyond_the_bandwidth(kernel: str) -> None:
    assert kernel_value(10, 10, kernel) == 0.0
    assert kernel_value(1, 1, kernel) == 0.0
    assert kernel_value([11.0, 1e6], 10, kernel).tolist() == [0.0, 0.0]
    assert kernel_value(9.999, 10, kernel) >= 0.0


def test_quartic_peak_matches_the_continuous_two_dimensional_kernel() -> None:
    """For a wide kernel the grid-normalised peak ≈ 3 / (π h²) (Silverman's 2-D biweight)."""
    bw = 1000.0
    res = kde([400_050.0], [200_050.0], bandwidth=bw, cell_size=100)
    peak_per_m2 = res.density.max() / 1e6
    assert peak_per_m2 == pytest.approx(3 / (math.pi * bw**2), rel=0.01)
    r, c = np.unravel_index(np.argmax(res.density), res.density.shape)
    cx, cy = res.grid.centres()
    assert (cx[r, c], cy[r, c]) == (400_050.0, 200_050.0)


# ----------------------------------------------------------------------------- normalisation

_xy = st.floats(400_000, 403_000, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(
    pts=st.lists(st.tuples(_xy, _xy, st.floats(0.0, 50.0)), min_size=1, max_size=40),
    bw_cells=st.floats(0.3, 6.0),
    kernel=st.sampled_from(KERNELS),
    method=st.sampled_from(["binned", "exact"]),
)
def test_density_integrates_to_weighted_count(
    pts: list[tuple[float, float, float]], bw_cells: float, kernel: str, method: str
) -> None:
    x, y, w = (np.array(v) for v in zip(*pts, strict=True))
    res = kde(
        x,
        y,
        bandwidth=bw_cells * 100,
        cell_size=100,
        kernel=kernel,
        weights=w,
        method=method,
    )
    mass = res.density.sum() * res.grid.cell_area / 1e6
    assert mass == pytest.approx(w.sum(), rel=1e-9, abs=1e-9)
    assert res.expected_per_cell.sum() == pytest.approx(w.sum(), rel=1e-9, abs=1e-9)
    assert res.total_weight == pytest.approx(w.sum())
    assert (res.density >= 0).all()


def test_binned_equals_exact_for_points_at_cell_centres() -> None:
    rng = np.random.default_rng(2)
    x = (rng.integers(4000, 4030, 300) + 0.5) * 100
    y = (rng.integers(2000, 2030, 300) + 0.5) * 100
    for kernel in KERNELS:
        a = kde(x, y, bandwidth=430, cell_size=100, kernel=kernel)
        b = kde(
            x,
            y,
            bandwidth=430,
            cell_size=100,
            kernel=kernel,
            method="exact",
        )
        np.testing.assert_allclose(a.density, b.density, rtol=1e-9, atol=1e-9 * a.density.max())


def test_binning_error_is_small_for_bandwidths_of_several_cells() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(401_000, 400, 2000)
    y = rng.normal(201_000, 400, 2000)
    errs = {}
    for cells in (1.5, 5.0):
        a = kde(x, y, bandwidth=cells * 100, cell_size=100)
        b = kde(x, y, bandwidth=cells * 100, cell_size=100, method="exact")
        errs[cells] = float(np.abs(a.density - b.density).max() / b.density.max())
    assert errs[5.0] < 0.03  # documented: < 3% of the peak at 5 cells
    assert errs[5.0] < errs[1.5]


def test_weights_scale_the_surface_linearly() -> None:
    x, y = np.array([400_120.0, 400_480.0]), np.array([200_300.0, 200_330.0])
    a = kde(x, y, bandwidth=300, cell_size=50)
    b = kde(x, y, bandwidth=300, cell_size=50, weights=[3.0, 3.0])
    np.testing.assert_allclose(b.density, 3 * a.density)


def test_supplied_grid_reports_outside_weight() -> None:
    grid = Grid(100.0, 4000, 2000, 10, 10)
    res = kde([400_500.0, 500_000.0], [200_500.0, 200_500.0], bandwidth=200, grid=grid)
    assert res.weight_outside == 1.0 and res.density.shape == (10, 10)


def test_default_grid_covers_a_bandwidth_around_the_points() -> None:
    x = np.array([400_000.0, 401_000.0])
    y = np.array([200_000.0, 200_500.0])
    res = kde(x, y, bandwidth=350, cell_size=100)
    assert res.grid == make_grid(x, y, 100, padding=350)
    assert res.density[0].sum() == 0 and res.density[:, 0].sum() == 0  # empty margins


def test_rule_of_thumb_bandwidth_is_mass_bandwidth_nrd() -> None:
    x = np.arange(1, 11.0)
    y = np.array([1, 1, 2, 3, 5, 8, 13, 21, 34, 55.0])
    # MASS::bandwidth.nrd(1:10) = 8.099749; bandwidth.nrd(c(1,1,2,3,5,8,13,21,34,55)) = 33.44074
    assert rule_of_thumb_bandwidth(x, y) == pytest.approx((8.099749284 + 33.440739257) / 2)
    res = kde(x * 100 + 400_000, y * 100 + 200_000, cell_size=100)
    assert res.bandwidth == pytest.approx(100 * (8.099749284 + 33.440739257) / 2)


# ------------------------------------------------------------------------------------ failures


def test_kde_failure_paths() -> None:
    x, y = [400_000.0, 400_100.0], [200_000.0, 200_100.0]
    with pytest.raises(ValueError, match="bandwidth must be a positive"):
        kde(x, y, bandwidth=-10)
    with pytest.raises(ValueError, match="bandwidth must be a positive"):
        kde(x, y, bandwidth=0)
    with pytest.raises(ValueError, match="bandwidth must be a positive"):
        kernel_value(0.1, -1)
    with pytest.raises(ValueError, match="same length"):
        kde(x, y[:1], bandwidth=100)
    with pytest.raises(ValueError, match="empty"):
        kde([], [], bandwidth=100)
    with pytest.raises(ValueError, match="kernel must be one of"):
        kde(x, y, bandwidth=100, kernel="gaussian")
    with pytest.raises(ValueError, match="one value per event"):
        kde(x, y, bandwidth=100, weights=[1.0])
    with pytest.raises(ValueError, match="method"):
        kde(x, y, bandwidth=100, method="fast")
    with pytest.raises(ValueError, match="disagrees"):
        kde(x, y, bandwidth=100, cell_size=50, grid=Grid(100.0, 4000, 2000, 5, 5))
    with pytest.raises(ValueError, match="non-negative"):
        kernel_value(-1.0, 10)
    with pytest.raises(ValueError, match="give `bandwidth` explicitly"):
        kde([400_000.0] * 5, [200_000.0] * 5)
