"""Grids and counts, Gi* on grids, hotspot classification over time, PAI/PEI."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from saferplaces.stats.grid import (
    ID_BASE,
    Grid,
    area_counts,
    auto_cell_size,
    cell_corners,
    cell_ids,
    cell_labels,
    grid_counts,
    make_grid,
)
from saferplaces.stats.hotspots import (
    classify_hotspots,
    evaluate_hotspot_map,
    gistar_bins_over_time,
    gistar_grid,
    pai,
    pei,
)

# ------------------------------------------------------------------------------ cell size rule


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        (40_000, 25_000, 500.0),  # 25 km / 50 = 500 m
        (30_000, 12_345, 200.0),  # 246.9 m → rounded down to 200 m (sfhotspot floors)
        (8_000, 9_000, 100.0),  # 160 m → 100 m
        (3_000, 2_000, 100.0),  # 40 m → the 100 m floor
        (0.0, 50_000, 100.0),  # degenerate: all points on a line
    ],
)
def test_auto_cell_size_rule(width: float, height: float, expected: float) -> None:
    x = np.array([400_000.0, 400_000.0 + width])
    y = np.array([200_000.0, 200_000.0 + height])
    assert auto_cell_size(x, y) == expected


# ------------------------------------------------------------------------------------ cell ids


def test_cell_ids_are_global_and_readable() -> None:
    ids = cell_ids([359_150.0, 359_199.9, 359_200.0], [570_550.0, 570_599.9, 570_600.0], 100)
    assert ids.tolist() == [3591 * ID_BASE + 5705, 3591 * ID_BASE + 5705, 3592 * ID_BASE + 5706]
    ex, nx = cell_corners(ids, 100)
    assert ex.tolist()[0] == 359_100.0 and nx.tolist()[0] == 570_500.0
    assert cell_labels(ids[:1], 100) == ["100m_E359100N570500"]


def test_cell_labels_match_the_geo_grid_ids() -> None:
    """Integer ids here and text ids in saferplaces.geo.grids name the same squares."""
    from saferplaces.geo import grids

    rng = np.random.default_rng(0)
    x, y = rng.uniform(300_000, 320_000, 200), rng.uniform(150_000, 170_000, 200)
    for size in (100, 200, 250):
        ours = cell_labels(cell_ids(x, y, size), size)
        assert ours == grids.cell_ids(x, y, size).tolist()


def test_same_cell_ids_across_data_sets() -> None:
    a = grid_counts([400_010.0, 400_150.0], [300_010.0, 300_020.0], cell_size=100)
    b = grid_counts([400_020.0, 410_000.0], [300_030.0, 310_000.0], cell_size=100)
    ids_a, cnt_a = a.nonzero()
    ids_b, cnt_b = b.nonzero()
    shared = np.intersect1d(ids_a, ids_b)
    assert shared.tolist() == [4000 * ID_BASE + 3000]
    assert cnt_a[ids_a == shared[0]][0] == 1 and cnt_b[ids_b == shared[0]][0] == 1


_coord = st.integers(0, 2_000_000).map(lambda v: 300_000 + v / 100)  # centimetre precision


@settings(max_examples=60, deadline=None)
@given(
    xs=st.lists(_coord, min_size=1, max_size=30),
    data=st.data(),
    cell=st.sampled_from([50.0, 100.0, 200.0, 250.0, 500.0]),
    shift=st.tuples(st.integers(-100, 100), st.integers(-100, 100)),
)
def test_cell_ids_stable_under_translation_by_whole_cells(
    xs: list[float], data: st.DataObject, cell: float, shift: tuple[int, int]
) -> None:
    ys = data.draw(st.lists(_coord, min_size=len(xs), max_size=len(xs)))
    x, y = np.array(xs), np.array(ys)
    before = cell_ids(x, y, cell)
    after = cell_ids(x + shift[0] * cell, y + shift[1] * cell, cell)
    np.testing.assert_array_equal(after, before + shift[0] * ID_BASE + shift[1])
    # and the counts per cell are carried across unchanged
    g1, g2 = (
        grid_counts(x, y, cell_size=cell),
        grid_counts(x + shift[0] * cell, y + shift[1] * cell, cell_size=cell),
    )
    i1, c1 = g1.nonzero()
    i2, c2 = g2.nonzero()
    np.testing.assert_array_equal(np.sort(i1) + shift[0] * ID_BASE + shift[1], np.sort(i2))
    np.testing.assert_array_equal(c1[np.argsort(i1)], c2[np.argsort(i2)])


# ---------------------------------------------------------------------------------- grid counts


def test_grid_counts_weighted_and_complete() -> None:
    x = np.array([100.0, 150.0, 250.0, 399.0])
    y = np.array([100.0, 199.0, 100.0, 300.0])
    g = grid_counts(x, y, cell_size=100)
    assert g.grid == Grid(100.0, 1, 1, 3, 3)
    expected = np.zeros((3, 3))
    expected[0, 0] = 2  # (100,100) and (150,199) both in the cell [100,200)²
    expected[0, 1] = 1
    expected[2, 2] = 1
    np.testing.assert_array_equal(g.counts, expected)
    w = grid_counts(x, y, cell_size=100, weights=[1.0, 365.0, 2.0, 0.5])
    assert w.counts[0, 0] == 366.0 and w.counts.sum() == pytest.approx(368.5)
    # a caller-supplied grid drops (and reports) events outside it
    small = Grid(100.0, 1, 1, 2, 2)
    g2 = grid_counts(x, y, grid=small)
    assert g2.n_outside == 1 and g2.counts.sum() == 3


def test_make_grid_padding_and_centres() -> None:
    grid = make_grid([1050.0], [2050.0], 100, padding=150)
    assert (grid.col0, grid.row0, grid.ncols, grid.nrows) == (9, 19, 4, 4)
    cx, cy = grid.centres()
    assert cx[0, 0] == 950.0 and cy[0, 0] == 1950.0 and cy[1, 0] == 2050.0


def test_area_counts() -> None:
    res = area_counts(["E01", "E02", "E01", "E03"], areas=["E04", "E03", "E02", "E01"])
    assert res.counts.tolist() == [0.0, 1.0, 1.0, 2.0]
    res2 = area_counts(np.array([3, 1, 3]), weights=[1.0, 2.0, 0.5])
    assert res2.areas.tolist() == [1, 3] and res2.counts.tolist() == [2.0, 1.5]
    with pytest.raises(ValueError, match="not in `areas`"):
        area_counts(["E01", "E09"], areas=["E01"])
    with pytest.raises(ValueError, match="duplicate"):
        area_counts(["E01"], areas=["E01", "E01"])


def test_grid_failure_paths() -> None:
    with pytest.raises(ValueError, match="same length"):
        grid_counts([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="empty"):
        grid_counts([], [])
    with pytest.raises(ValueError, match="positive"):
        grid_counts([1.0], [1.0], cell_size=-100)
    with pytest.raises(ValueError, match="one value per event"):
        grid_counts([1.0, 2.0], [1.0, 2.0], weights=[1.0])
    with pytest.raises(ValueError, match="negative"):
        grid_counts([1.0, 2.0], [1.0, 2.0], weights=[1.0, -1.0])
    with pytest.raises(ValueError, match="British National Grid"):
        cell_ids([-5.0], [10.0], 100)
    with pytest.raises(ValueError, match="finite"):
        grid_counts([np.nan], [1.0])


# ------------------------------------------------------------------------------- Gi* on a grid


def test_gistar_grid_finds_a_planted_cluster() -> None:
    rng = np.random.default_rng(4)
    x = rng.uniform(400_000, 405_000, 3000)
    y = rng.uniform(200_000, 205_000, 3000)
    x = np.concatenate([x, rng.normal(402_550, 80, 400)])
    y = np.concatenate([y, rng.normal(202_550, 80, 400)])
    counts = grid_counts(x, y, cell_size=100)
    hs = gistar_grid(counts, adjust="fdr_bh")  # analytic p: permutation p ≥ 2/(R+1)
    assert hs.bins.shape == counts.grid.shape
    hot_ids = counts.grid.ids()[hs.hot()]
    assert 4025 * ID_BASE + 2025 in hot_ids.tolist()
    assert hs.hot().sum() < 0.05 * counts.grid.n_cells
    # Holm is stricter than BH: never more hotspots
    strict = gistar_grid(counts, adjust="holm")
    assert strict.hot().sum() <= hs.hot().sum()
    # with 99 permutations the smallest two-sided p is 0.02: nothing survives a correction
    # over 2,500 cells — the reason analytic p-values are the default for maps
    perm = gistar_grid(counts, permutations=99, seed=1, adjust="fdr_bh")
    assert perm.hot().sum() == 0 and perm.result.p_sim is not None
    assert perm.result.p_sim.min() == pytest.approx(0.02)


# ------------------------------------------------------------------------------ classification


def _flags(rows: list[str]) -> np.ndarray:
    """Periods × cells booleans from strings of '1'/'0' (one string per cell)."""
    return np.array([[c == "1" for c in r] for r in rows]).T


def test_classification_rules_with_ten_periods() -> None:
    # 10 periods → recent = last 2 (floor(0.2 × 10)), older = first 8
    cells = [
        "1111111101",  # 9/10 hot → persistent (≥ 0.8)
        "0000000011",  # older 0 < 0.1, recent 2/2 ≥ 0.2 → emerging
        "0000000001",  # recent 1/2 = 0.5 ≥ 0.2 → emerging
        "1100000000",  # older 2/8 ≥ 0.1, recent 0 → former
        "0100000010",  # older 1/8 ≥ 0.1, recent 1/2 → not former; share 0.2 → intermittent
        "0000000000",  # never → not a hotspot
    ]
    res = classify_hotspots(_flags(cells))
    assert res.n_recent == 2 and res.n_periods == 10
    assert res.labels.tolist() == [
        "persistent hotspot",
        "emerging hotspot",
        "emerging hotspot",
        "former hotspot",
        "intermittent hotspot",
        "not a hotspot",
    ]


def test_classification_from_bins_with_coldspots_and_mixed() -> None:
    bins = np.array(
        [
            [3, -2, 2, 1],
            [3, -2, -2, 1],
            [2, -3, 0, 1],
            [2, -2, 0, 1],
            [3, -2, 0, 1],
        ]
    )
    res = classify_hotspots(bins)  # hot = bin ≥ 2 (95%), recent = last 1 period
    assert res.labels.tolist() == [
        "persistent hotspot",
        "persistent coldspot",
        "mixed hot/coldspot",  # hot in period 1 and cold in period 2: former hot + former cold
        "not a hotspot",  # 90% bins do not count at min_bin = 2
    ]
    assert classify_hotspots(bins, min_bin=1).labels[3] == "persistent hotspot"
    assert res.counts()["persistent hotspot"] == 1


def test_classification_failures() -> None:
    with pytest.raises(ValueError, match="at least 2 periods"):
        classify_hotspots(np.ones((1, 3), dtype=bool))
    with pytest.raises(ValueError, match="periods, cells"):
        classify_hotspots(np.ones(3, dtype=bool))
    with pytest.raises(ValueError, match="hotspot_prop"):
        classify_hotspots(np.ones((3, 3), dtype=bool), hotspot_prop=0)


def test_gistar_bins_over_time_feeds_classification() -> None:
    rng = np.random.default_rng(0)
    counts = rng.poisson(1.0, size=(6, 12, 12)).astype(float)
    counts[:, 5:7, 5:7] += 12  # a persistent cluster
    counts[4:, 1, 1] += 25  # emerges in the last periods
    bins = gistar_bins_over_time(counts, adjust="none")
    assert bins.shape == (6, 144)
    res = classify_hotspots(bins, recent_prop=0.34)
    labels = res.labels.reshape(12, 12)
    assert labels[5, 5] == "persistent hotspot"
    assert labels[1, 1] == "emerging hotspot"


# ------------------------------------------------------------------------------------ PAI/PEI


def test_pai_pei_hand_computed() -> None:
    counts = np.array([10.0, 5.0, 3.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    mask = np.zeros(10, dtype=bool)
    mask[[1, 4]] = True  # 5 of 20 crimes in 2 of 10 cells
    ev = evaluate_hotspot_map(mask, counts)
    assert ev.hit_rate == pytest.approx(0.25) and ev.area_share == pytest.approx(0.2)
    assert ev.pai == pytest.approx(1.25)
    assert ev.pai_max == pytest.approx((15 / 20) / 0.2)  # best 2 cells hold 15 crimes
    assert ev.pei == pytest.approx(1.25 / 3.75)
    assert pai(mask, counts) == ev.pai and pei(mask, counts) == ev.pei
    best = np.zeros(10, dtype=bool)
    best[[0, 1]] = True
    assert pei(best, counts) == pytest.approx(1.0)


def test_pei_never_exceeds_one_with_unequal_areas() -> None:
    rng = np.random.default_rng(3)
    for _ in range(50):
        counts = rng.poisson(2, 30).astype(float) + (rng.uniform(size=30) < 0.1) * 20
        areas = rng.uniform(0.5, 3.0, 30)
        mask = rng.uniform(size=30) < 0.2
        if not mask.any() or counts.sum() == 0:
            continue
        ev = evaluate_hotspot_map(mask, counts, areas=areas)
        assert 0 <= ev.pei <= 1 + 1e-12


def test_pai_failures() -> None:
    with pytest.raises(ValueError, match="boolean"):
        pai(np.array([1, 0]), np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="same shape"):
        pai(np.array([True]), np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="no crimes"):
        pai(np.array([True, False]), np.array([0.0, 0.0]))
    with pytest.raises(ValueError, match="selects no units"):
        pai(np.array([False, False]), np.array([1.0, 0.0]))
