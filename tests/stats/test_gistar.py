"""Getis-Ord G, Gi and Gi*: published esda figures, esda as an oracle, properties, failures."""

from __future__ import annotations

import itertools
import warnings

import esda
import libpysal
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from scipy import stats as sps

from saferplaces.stats._weights import (
    distance_band_weights,
    knn_weights,
    lattice_weights,
    row_standardise,
)
from saferplaces.stats.hotspots import adjust_pvalues, gi_bins, global_g, local_g

# PySAL esda test-suite example (REFERENCE_VALUES.md "Getis-Ord G and Gi*")
POINTS = np.array([(10, 10), (20, 10), (40, 10), (15, 20), (30, 20), (30, 30)], dtype=float)
Y = np.array([2, 3, 3.2, 5, 8, 7])


@pytest.fixture(scope="module")
def band15() -> sparse.csr_matrix:
    return distance_band_weights(POINTS[:, 0], POINTS[:, 1], 15)


def _esda_local(y: np.ndarray, w: libpysal.weights.W, **kw: object) -> esda.G_Local:
    with warnings.catch_warnings():
        # esda warns (UserWarning) when it fills the Gi* diagonal of row-standardised weights
        warnings.simplefilter("ignore")
        return esda.G_Local(y, w, **kw)


# ----------------------------------------------------------------------------- reference values


def test_global_g_reference_values(band15: sparse.csr_matrix) -> None:
    g = global_g(Y, band15)
    stat = g.G
    assert stat == pytest.approx(0.55709779, abs=1e-8)
    assert g.p_norm == pytest.approx(0.172936, abs=1e-6)
    assert g.p_two_sided == pytest.approx(2 * 0.172936, abs=2e-6)


def test_local_g_reference_values(band15: sparse.csr_matrix) -> None:
    assert local_g(Y, band15, star=False, transform="B").z[0] == pytest.approx(-1.0136729, abs=1e-7)
    assert local_g(Y, band15, star=False, transform="R").z[0] == pytest.approx(
        -0.62074534, abs=1e-8
    )
    assert local_g(Y, band15, star=True, transform="B").z[0] == pytest.approx(-1.39727626, abs=1e-8)


def test_local_g_full_published_arrays(band15: sparse.csr_matrix) -> None:
    """All six z-scores printed in the esda G_Local docstring, for all four variants."""
    published = {
        (False, "B"): [-1.0136729, -0.04361589, 1.31558703, -0.31412676, 1.15373986, 1.77833941],
        (True, "B"): [-1.39727626, -0.28917762, 0.65064964, -0.28917762, 1.23452088, 2.02424331],
        (False, "R"): [-0.62074534, -0.01780611, 1.31558703, -0.12824171, 0.28843496, 1.77833941],
        (True, "R"): [-0.62488094, -0.09144599, 0.41150696, -0.09144599, 0.24690418, 1.28024388],
    }
    for (star, transform), z in published.items():
        got = local_g(Y, band15, star=star, transform=transform).z
        np.testing.assert_allclose(got, z, atol=1e-8, err_msg=f"star={star} {transform}")


def test_p_norm_is_two_sided_double_of_esda(band15: sparse.csr_matrix) -> None:
    res = local_g(Y, band15, star=True)
    np.testing.assert_allclose(res.p_norm, 2 * sps.norm.sf(np.abs(res.z)))


# --------------------------------------------------------------------------------- esda oracle


@pytest.mark.parametrize("rook", [True, False])
def test_local_g_matches_esda_on_30x30_lattice(rook: bool) -> None:
    rng = np.random.default_rng(7)
    y = rng.poisson(2.5, size=900).astype(float)
    y[rng.integers(0, 900, 40)] += 15  # some clustering-like spikes
    ours_w = lattice_weights(30, 30, rule="rook" if rook else "queen")
    for star, transform in itertools.product([True, False], ["B", "R"]):
        e = _esda_local(
            y,
            libpysal.weights.lat2W(30, 30, rook=rook),
            transform=transform,
            star=star,
            permutations=0,
        )
        o = local_g(y, ours_w, star=star, transform=transform)
        np.testing.assert_allclose(o.z, e.Zs, rtol=0, atol=1e-10)
        np.testing.assert_allclose(o.G, e.Gs, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(o.expected, e.EGs, rtol=1e-12)
        np.testing.assert_allclose(o.variance, e.VGs, rtol=1e-9)


def test_lattice_weights_equal_libpysal() -> None:
    for rook in (True, False):
        ours = lattice_weights(7, 5, rule="rook" if rook else "queen")
        theirs = libpysal.weights.lat2W(7, 5, rook=rook).sparse
        assert (ours != theirs).nnz == 0


def test_distance_band_matches_libpysal_and_esda() -> None:
    rng = np.random.default_rng(11)
    xy = rng.uniform(0, 3000, size=(400, 2))
    ours = distance_band_weights(xy[:, 0], xy[:, 1], 250)
    lib = libpysal.weights.DistanceBand(xy, threshold=250, binary=True, silence_warnings=True)
    assert (ours != lib.sparse).nnz == 0
    y = rng.gamma(2.0, 3.0, size=400)
    for star in (True, False):
        lib = libpysal.weights.DistanceBand(xy, threshold=250, binary=True, silence_warnings=True)
        e = _esda_local(y, lib, transform="B", star=star, permutations=0)
        o = local_g(y, ours, star=star, transform="B")
        ok = np.isfinite(e.Zs)
        np.testing.assert_array_equal(ok, np.isfinite(o.z))  # islands are NaN in both
        np.testing.assert_allclose(o.z[ok], e.Zs[ok], atol=1e-10)


def test_knn_weights_match_libpysal() -> None:
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 1000, size=(200, 2))
    ours = knn_weights(xy[:, 0], xy[:, 1], 6)
    lib = libpysal.weights.KNN.from_array(xy, k=6)
    assert (ours != lib.sparse).nnz == 0


def test_global_g_matches_esda_on_lattice() -> None:
    rng = np.random.default_rng(5)
    y = rng.gamma(1.5, 2.0, size=400)
    e = esda.G(y, libpysal.weights.lat2W(20, 20, rook=False), permutations=0)
    o = global_g(y, lattice_weights(20, 20, rule="queen"))
    ours_g, esda_g = o.G, e.G
    assert ours_g == pytest.approx(esda_g, rel=1e-12)
    assert o.expected == pytest.approx(e.EG, rel=1e-12)
    assert o.variance == pytest.approx(e.VG, rel=1e-9)
    assert o.z == pytest.approx(e.z_norm, abs=1e-9)
    assert o.p_norm == pytest.approx(e.p_norm, abs=1e-10)


def test_global_g_permutation_p_is_consistent() -> None:
    rng = np.random.default_rng(8)
    y = rng.gamma(1.5, 2.0, size=100)
    w = lattice_weights(10, 10)
    a = global_g(y, w, permutations=499, seed=1)
    b = global_g(y, w, permutations=499, seed=1)
    assert a.p_sim == b.p_sim  # seeded
    assert a.p_sim is not None and 1 / 500 <= a.p_sim <= 0.5 + 1 / 500


def test_permutation_p_values_agree_with_esda() -> None:
    """Both are Monte Carlo: agreement within a few standard errors, cell by cell."""
    rng = np.random.default_rng(1)
    y = rng.gamma(2.0, size=900)  # continuous: no ties (esda resolves ties by rounding)
    r = 999
    e = _esda_local(
        y,
        libpysal.weights.lat2W(30, 30, rook=False),
        transform="B",
        star=True,
        permutations=r,
        seed=3,
        n_jobs=1,
    )
    o = local_g(y, lattice_weights(30, 30), star=True, permutations=r, seed=5)
    assert o.p_sim_directed is not None and o.p_sim is not None
    p = (o.p_sim_directed + e.p_sim) / 2
    se = np.sqrt(2 * p * (1 - p) / (r + 1)) + 1 / (r + 1)
    # 900 cells; a 5-SE excursion has probability ≈ 5e-4 in total
    assert np.max(np.abs(o.p_sim_directed - e.p_sim) / se) < 5
    assert np.corrcoef(o.p_sim_directed, e.p_sim)[0, 1] > 0.98
    np.testing.assert_allclose(o.p_sim, np.minimum(1, 2 * o.p_sim_directed), atol=0.01)


def _exact_conditional_p(y: np.ndarray, w: sparse.csr_matrix, i: int) -> tuple[float, float]:
    """P(random lag ≥ observed), P(≤) by enumerating every neighbour set (binary weights)."""
    k = w.indptr[i + 1] - w.indptr[i]
    obs = float(y[w.indices[w.indptr[i] : w.indptr[i + 1]]].sum())
    others = np.delete(y, i)
    sums = np.array([others[list(c)].sum() for c in itertools.combinations(range(y.size - 1), k)])
    return float((sums >= obs - 1e-9).mean()), float((sums <= obs + 1e-9).mean())


def test_conditional_permutation_matches_exact_enumeration_with_ties() -> None:
    y = np.array([0, 3, 1, 0, 5, 2, 2, 0, 1, 4, 0, 1], dtype=float)  # counts: many ties
    w = lattice_weights(3, 4, rule="queen")
    r = 20_000
    res = local_g(y, w, star=True, permutations=r, seed=42)
    assert res.p_sim_directed is not None
    for i in range(y.size):
        p_ge, _ = _exact_conditional_p(y, w, i)
        larger = min(p_ge, 1 - p_ge) if p_ge < 1 else 0.0
        # esda's folded count: min(#≥, R − #≥); expected value of the estimate ≈ min(p_ge, 1-p_ge)
        expected = (min(p_ge * r, r - p_ge * r) + 1) / (r + 1)
        se = np.sqrt(max(p_ge * (1 - p_ge), 1e-4) / r)
        assert abs(res.p_sim_directed[i] - expected) < 5 * se + 1e-4, (i, larger)


def test_conditional_permutation_with_unequal_weights_matches_enumeration() -> None:
    """Row-standardised inverse-distance weights take the general (BLAS) permutation path."""
    rng = np.random.default_rng(12)
    xy = rng.uniform(0, 100, size=(9, 2))
    y = rng.gamma(2.0, size=9)
    w = knn_weights(xy[:, 0], xy[:, 1], 3).tocoo()
    keep = w.row != w.col
    dist = np.hypot(*(xy[w.row[keep]] - xy[w.col[keep]]).T)
    inv = sparse.csr_matrix((1 / dist, (w.row[keep], w.col[keep])), shape=(9, 9))
    card = np.diff(inv.indptr)
    assert (card == 3).all()
    r = 20_000
    res = local_g(y, inv, star=False, transform="R", permutations=r, seed=3)
    assert res.p_sim_directed is not None
    rs = row_standardise(inv)
    for i in range(9):
        nb = rs.indices[rs.indptr[i] : rs.indptr[i + 1]]
        wt = rs.data[rs.indptr[i] : rs.indptr[i + 1]]
        obs = float(wt @ y[nb])
        others = np.delete(y, i)
        sims = np.array([wt @ others[list(c)] for c in itertools.permutations(range(8), nb.size)])
        p_ge = float((sims >= obs - 1e-12).mean())
        expected = (min(p_ge, 1 - p_ge) * r + 1) / (r + 1)
        se = np.sqrt(max(p_ge * (1 - p_ge), 1e-4) / r)
        assert abs(res.p_sim_directed[i] - expected) < 5 * se + 1e-4, i


def test_permutations_are_seeded_and_islands_are_nan() -> None:
    w = sparse.lil_matrix((5, 5))
    w[0, 1] = w[1, 0] = w[1, 2] = w[2, 1] = w[2, 3] = w[3, 2] = 1  # unit 4 is an island
    y = np.array([1.0, 4.0, 2.0, 0.5, 3.0])
    a = local_g(y, w.tocsr(), star=False, permutations=99, seed=9)
    b = local_g(y, w.tocsr(), star=False, permutations=99, seed=9)
    assert a.p_sim is not None and b.p_sim is not None
    np.testing.assert_array_equal(a.p_sim, b.p_sim)
    assert np.isnan(a.z[4]) and np.isnan(a.p_sim[4])
    assert gi_bins(a.z)[4] == 0
    # Gi* of an island compares the unit only with itself: finite z, but nothing to permute
    s = local_g(y, w.tocsr(), star=True, permutations=99, seed=9)
    assert np.isfinite(s.z[4]) and s.p_sim is not None and np.isnan(s.p_sim[4])


# ---------------------------------------------------------------------------------- properties

_y_strategy = st.lists(st.integers(0, 30), min_size=16, max_size=16).filter(
    lambda v: len(set(v)) > 1
)


@settings(max_examples=40, deadline=None)
@given(y=_y_strategy, scale=st.floats(0.01, 1e4), star=st.booleans(), rowstd=st.booleans())
def test_z_invariant_to_positive_scaling(
    y: list[int], scale: float, star: bool, rowstd: bool
) -> None:
    yv = np.asarray(y, dtype=float)
    w = lattice_weights(4, 4)
    t = "R" if rowstd else "B"
    a = local_g(yv, w, star=star, transform=t).z
    b = local_g(yv * scale, w, star=star, transform=t).z
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(y=_y_strategy, shift=st.floats(0.0, 1e3), star=st.booleans())
def test_z_invariant_to_adding_a_constant(y: list[int], shift: float, star: bool) -> None:
    """True for esda's Gi/Gi* z: it equals (Σ w y − W ȳ) / (s √(W(N−W)/(N−1)))."""
    yv = np.asarray(y, dtype=float)
    w = lattice_weights(4, 4)
    a = local_g(yv, w, star=star).z
    b = local_g(yv + shift, w, star=star).z
    np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-7)


def test_global_g_is_not_shift_invariant() -> None:
    """The global G z-score does change when a constant is added (so we do not claim it)."""
    rng = np.random.default_rng(2)
    y = rng.gamma(1.0, size=64)
    w = lattice_weights(8, 8)
    assert abs(global_g(y, w).z - global_g(y + 10, w).z) > 1e-3


# ------------------------------------------------------------------------- adjustment and bins


def test_adjust_pvalues_match_r_p_adjust() -> None:
    p = np.array([0.01, 0.02, 0.03, 0.04, 0.05])
    # R: p.adjust(c(.01,.02,.03,.04,.05), "holm") / "BH"
    np.testing.assert_allclose(adjust_pvalues(p, "holm"), [0.05, 0.08, 0.09, 0.09, 0.09])
    np.testing.assert_allclose(adjust_pvalues(p, "fdr_bh"), [0.05] * 5)
    np.testing.assert_allclose(adjust_pvalues(p, "bonferroni"), [0.05, 0.1, 0.15, 0.2, 0.25])
    rng = np.random.default_rng(0)
    q = rng.uniform(size=200) ** 3
    np.testing.assert_allclose(adjust_pvalues(q, "fdr_bh"), sps.false_discovery_control(q))
    with_nan = np.array([0.01, np.nan, 0.04])
    out = adjust_pvalues(with_nan, "holm")
    assert np.isnan(out[1]) and out[0] == pytest.approx(0.02) and out[2] == pytest.approx(0.04)


def test_gi_bins_thresholds() -> None:
    z = np.array([-3.0, -2.0, -1.7, -1.0, 0.0, 1.65, 1.96, 2.6, np.nan])
    np.testing.assert_array_equal(gi_bins(z), [-3, -2, -1, 0, 0, 1, 2, 3, 0])
    p = np.array([0.001, 0.04, 0.09, 0.2, 1.0, 0.09, 0.04, 0.001, np.nan])
    np.testing.assert_array_equal(gi_bins(z, p), [-3, -2, -1, 0, 0, 1, 2, 3, 0])


def test_bins_from_result_use_adjusted_permutation_p(band15: sparse.csr_matrix) -> None:
    res = local_g(Y, band15, permutations=99, seed=1)
    assert res.p_sim is not None
    np.testing.assert_array_equal(
        res.bins("holm"), gi_bins(res.z, adjust_pvalues(res.p_sim, "holm"))
    )
    np.testing.assert_array_equal(res.bins(source="norm"), gi_bins(res.z, res.p_norm))


def test_row_standardise_rows_sum_to_one() -> None:
    w = row_standardise(lattice_weights(3, 3))
    np.testing.assert_allclose(np.asarray(w.sum(axis=1)).ravel(), 1.0)


# ---------------------------------------------------------------------------------- failures


def test_failure_paths(band15: sparse.csr_matrix) -> None:
    with pytest.raises(ValueError, match="must be 5×5"):
        local_g(Y[:5], band15)
    with pytest.raises(ValueError, match=r"empty|at least 3"):
        local_g([], band15)
    with pytest.raises(ValueError, match="non-negative"):
        local_g(Y - 3, band15)
    with pytest.raises(ValueError, match="sums to zero"):
        local_g(np.zeros(6), band15)
    with pytest.raises(ValueError, match="permutations"):
        local_g(Y, band15, permutations=-1)
    with pytest.raises(ValueError, match="transform"):
        local_g(Y, band15, transform="X")
    with pytest.raises(ValueError, match=r"scipy\.sparse"):
        local_g(Y, [[0, 1], [1, 0]])
    with pytest.raises(ValueError, match="no neighbour pairs"):
        global_g(Y, sparse.csr_matrix((6, 6)))
    with pytest.raises(ValueError, match="same length"):
        distance_band_weights([1, 2, 3], [1, 2], 5)
    with pytest.raises(ValueError, match="threshold"):
        distance_band_weights([1, 2], [1, 2], -5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        adjust_pvalues([0.5, 1.5])
