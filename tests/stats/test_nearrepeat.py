"""Knox test: Near Repeat Calculator oracle files, band-edge semantics, properties, refusals."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support import shared

from saferplaces.stats.nearrepeat import dates_to_days, knox_test

ORACLE = "oracles/near-repeat"


# ------------------------------------------------------------------------- oracle file readers


def _events(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    xs, ys, ts = [], [], []
    with path.open(newline="") as fh:
        for row in csv.reader(fh):
            try:
                xs.append(float(row[0]))
                ys.append(float(row[1]))
            except ValueError:
                continue  # header
            ts.append(row[2].strip())
    return np.array(xs), np.array(ys), np.array(ts, dtype="datetime64[D]")


def _verbose(path: Path) -> dict[str, object]:
    """Observed table and per-cell Monte Carlo draws from an NRC 'NRverbose' CSV."""
    lines = [ln.rstrip("\r\n") for ln in path.read_text(errors="replace").splitlines()]
    start = lines.index("Observed frequencies distribution")
    observed = []
    for ln in lines[start + 3 : start + 8]:
        fields = ln.split(",")[2:6]
        observed.append([int(float(f)) if f.strip() else 0 for f in fields])
    cells: dict[tuple[int, int], dict[str, object]] = {}
    i = 0
    while i < len(lines):
        ln = lines[i]
        if ln.startswith("Row ") and " Column " in ln:
            parts = ln.split()
            key = (int(parts[1]) - 1, int(parts[3]) - 1)
            draws: list[int] = []
            i += 1
            while not lines[i].startswith("Observed"):
                draws += [int(v) for v in lines[i].split(",")[1:] if v.strip()]
                i += 1
            info: dict[str, object] = {"draws": np.array(draws, dtype=float)}
            for _ in range(6):
                name, _, value = lines[i].partition(",")
                info[name.strip()] = float(value)
                i += 1
            cells[key] = info
            continue
        i += 1
    return {"observed": np.array(observed), "cells": cells}


NRC_RUNS = {
    # file stem: (spatial bandwidth m, temporal bandwidth days, iterations) — from the .htm
    "chicago_arson": ("chicago_arson_NRverbose_2019-09-23_145637.csv", 200.0, 1.0, 99),
    "chicago_be_month1": ("chicago_be_month1_NRverbose_2019-09-23_143005.csv", 100.0, 7.0, 19),
}


@pytest.fixture(scope="module", params=sorted(NRC_RUNS))
def nrc(request: pytest.FixtureRequest) -> dict[str, object]:
    stem = request.param
    verbose_name, sbw, tbw, iters = NRC_RUNS[stem]
    x, y, t = _events(shared(f"{ORACLE}/{stem}.csv"))
    parsed = _verbose(shared(f"{ORACLE}/{verbose_name}"))
    return {"stem": stem, "x": x, "y": y, "t": t, "sbw": sbw, "tbw": tbw, "iters": iters, **parsed}


# ---------------------------------------------------------------------------- NRC: observed


def test_calculator_convention_reproduces_nrc_observed_counts(nrc: dict[str, object]) -> None:
    res = knox_test(
        nrc["x"],
        nrc["y"],
        nrc["t"],
        spatial_bandwidth=nrc["sbw"],
        temporal_bandwidth=nrc["tbw"],
        metric="manhattan",
        convention="calculator",
        permutations=0,
    )
    np.testing.assert_array_equal(res.observed, nrc["observed"])
    assert res.n_pairs == int(np.asarray(nrc["observed"]).sum())


def test_nrc_labels_are_reproduced() -> None:
    x, y, t = _events(shared(f"{ORACLE}/chicago_arson.csv"))
    res = knox_test(
        x,
        y,
        t,
        spatial_bandwidth=200,
        temporal_bandwidth=1,
        metric="manhattan",
        convention="calculator",
        permutations=0,
    )
    assert res.spatial_labels == (
        "Same location",
        "1 to 200",
        "201 to 400",
        "401 to 600",
        "More than 600",
    )
    assert res.temporal_labels == ("0 to 1", "2 to 2", "3 to 3", "More than 3")


def test_arson_band_edge_and_precision_differences_are_explained() -> None:
    """Our default (right-open, full precision) differs from the NRC in exactly two pairs.

    * two arsons 0.56 m apart: not "same location" (the NRC agrees: d ≠ 0);
    * a pair 399.96 m apart is 400 m in the NRC's single-precision coordinates, so the NRC
      files it in [400, 600); at full precision it is in [200, 400).
    Labels also differ: the NRC calls [0, 1) days "0 to 1"; we call it "0 days (the same day)".
    """
    x, y, t = _events(shared(f"{ORACLE}/chicago_arson.csv"))
    ours = knox_test(
        x, y, t, spatial_bandwidth=200, temporal_bandwidth=1, metric="manhattan", permutations=0
    )
    nrc = knox_test(
        x,
        y,
        t,
        spatial_bandwidth=200,
        temporal_bandwidth=1,
        metric="manhattan",
        convention="calculator",
        permutations=0,
    )
    diff = ours.observed - nrc.observed
    assert np.abs(diff).sum() == 2
    assert diff[2, 3] == 1 and diff[3, 3] == -1
    assert ours.temporal_labels[0] == "0 days (the same day)"
    assert ours.spatial_labels[1] == ">0 to <200 m"


# ------------------------------------------------------------------------ NRC: Monte Carlo


def test_exact_expectation_agrees_with_nrc_monte_carlo_draws(nrc: dict[str, object]) -> None:
    """The NRC's own permutation draws are centred on Knox's exact expectation N_s·M_t/N.

    Tolerance: each NRC mean is of R draws; |mean − E| ≤ 4·SE + 0.5/R with SE = sd/√R
    (the 0.5/R covers cells whose draws are almost all zero, where sd understates the SE).
    """
    res = knox_test(
        nrc["x"],
        nrc["y"],
        nrc["t"],
        spatial_bandwidth=nrc["sbw"],
        temporal_bandwidth=nrc["tbw"],
        metric="manhattan",
        convention="calculator",
        permutations=0,
    )
    cells = nrc["cells"]
    assert isinstance(cells, dict) and len(cells) == 20
    for (i, j), info in cells.items():
        draws = info["draws"]
        r = draws.size
        assert r == nrc["iters"]
        assert info["Mean"] == pytest.approx(draws.mean(), rel=1e-9, abs=1e-12)
        se = draws.std(ddof=1) / np.sqrt(r)
        assert abs(draws.mean() - res.expected_exact[i, j]) <= 4 * se + 0.5 / r, (i, j)


def test_knox_ratios_agree_with_nrc_within_monte_carlo_error(nrc: dict[str, object]) -> None:
    """Our ratios (9,999 permutations) vs the NRC's (19 or 99), where expected ≥ 5 pairs.

    Ratio = O / Ē; by the delta method SE(ratio) ≈ O · SE(Ē) / Ē². Both runs contribute.
    """
    res = knox_test(
        nrc["x"],
        nrc["y"],
        nrc["t"],
        spatial_bandwidth=nrc["sbw"],
        temporal_bandwidth=nrc["tbw"],
        metric="manhattan",
        convention="calculator",
        permutations=2_000,
        seed=20190923,
    )
    checked = 0
    for (i, j), info in nrc["cells"].items():
        if res.expected_exact[i, j] < 5:
            continue
        draws = info["draws"]
        o, e = float(res.observed[i, j]), float(res.expected_exact[i, j])
        var_nrc = draws.var(ddof=1) / draws.size
        var_ours = var_nrc * draws.size / res.permutations  # same null distribution
        se = o * np.sqrt(var_nrc + var_ours) / e**2
        assert abs(res.knox_ratio[i, j] - info["Obs over Mean Exp"]) <= 4 * se + 1e-9, (i, j)
        checked += 1
    assert checked >= 8


def test_headline_be_month1_near_repeat() -> None:
    """NRC summary: '1 to 100 m, 0 to 7 days: about 69% greater' (ratio 1.685 from 19 draws).

    The exact expectation gives 1.64 (64%): the NRC's 69% is within its Monte Carlo error.
    """
    x, y, t = _events(shared(f"{ORACLE}/chicago_be_month1.csv"))
    res = knox_test(
        x,
        y,
        t,
        spatial_bandwidth=100,
        temporal_bandwidth=7,
        metric="manhattan",
        convention="calculator",
        permutations=999,
        seed=1,
    )
    cell = res.cell("1 to 100", "0 to 7")
    assert cell["observed"] == 44
    exact_ratio = 44 / cell["expected_exact"]
    assert exact_ratio == pytest.approx(1.64, abs=0.01)
    assert cell["p_value"] == pytest.approx(0.001)
    text = res.summary()
    assert "Events 1–100 m from an earlier event and 0–7 days after it were about" in text
    assert "more likely than expected by chance" in text
    same = res.cell("Same location", "0 to 7")
    assert same["observed"] == 28 and same["knox_ratio"] > 1.5


# ------------------------------------------------------------------------------ band edges


def _pathological() -> tuple[np.ndarray, np.ndarray, list[dt.date]]:
    path = shared(f"{ORACLE}/pathological_example.csv")
    rows = list(csv.DictReader(path.read_text().splitlines()))
    x = np.array([float(r["x"]) for r in rows])
    y = np.array([float(r["y"]) for r in rows])
    days = [dt.datetime.strptime(r["t"], "%d/%m/%Y").date() for r in rows]  # 01/01 and 04/01
    return x, y, days


def _where(res: object) -> tuple[str, str]:
    obs = res.observed
    i, j = (int(v[0]) for v in np.nonzero(obs[:-1, :-1]))
    return res.spatial_labels[i], res.temporal_labels[j]


def test_pathological_pair_under_each_convention() -> None:
    """Two events 100 m and 3 days apart, bands of 100 m and 3 days."""
    x, y, days = _pathological()
    kw = {
        "spatial_bandwidth": 100.0,
        "n_spatial_bands": 2,
        "temporal_bandwidth": 3.0,
        "n_temporal_bands": 2,
        "permutations": 0,
    }
    # right-open [a, b): 100 m is not < 100 m and 3 days is not < 3 days → second bands
    assert _where(knox_test(x, y, days, **kw)) == ("100 to <200 m", "3–5 days")
    # right-closed (a, b]: the first bands, as the NRC's labels would suggest
    assert _where(knox_test(x, y, days, convention="right-closed", **kw)) == (
        ">0 to 100 m",
        "0–3 days",
    )
    # the NRC counts right-open but labels "a to b": it files the pair under "101 to 200"
    # and "4 to 6" days (Steenbeek's NRC runs on this file)
    assert _where(knox_test(x, y, days, convention="calculator", **kw)) == (
        "101 to 200",
        "4 to 6",
    )
    kw["spatial_bandwidth"] = 200.0
    assert _where(knox_test(x, y, days, convention="calculator", **kw)) == (
        "1 to 200",
        "4 to 6",
    )


# -------------------------------------------------------------------- brute force & properties


def _naive_table(
    x: np.ndarray,
    y: np.ndarray,
    d: np.ndarray,
    sb: list[float],
    tb: list[float],
    metric: str,
    closed: bool,
) -> np.ndarray:
    """Pure-Python O(n²) Knox table (same-location band first, 'beyond' bands last)."""

    def band(v: float, edges: list[float]) -> int:
        for k, e in enumerate(edges):
            if (v <= e) if closed else (v < e):
                return k
        return len(edges)

    out = np.zeros((len(sb) + 2, len(tb) + 1), dtype=int)
    for i, j in itertools.combinations(range(len(x)), 2):
        dx, dy = abs(x[i] - x[j]), abs(y[i] - y[j])
        dist = (dx * dx + dy * dy) ** 0.5 if metric == "euclidean" else dx + dy
        s = 0 if dist == 0 else 1 + band(dist, sb)
        out[s, band(abs(int(d[i]) - int(d[j])), tb)] += 1
    return out


@pytest.mark.parametrize("metric", ["euclidean", "manhattan"])
@pytest.mark.parametrize("convention", ["right-open", "right-closed"])
def test_observed_table_equals_brute_force(metric: str, convention: str) -> None:
    rng = np.random.default_rng(17)
    n = 150
    x = np.round(rng.uniform(0, 800, n), 0)  # whole metres → many pairs exactly on edges
    y = np.round(rng.uniform(0, 800, n), 0)
    x[:10], y[:10] = x[10:20], y[10:20]  # some repeats at the same location
    d = rng.integers(0, 40, n)
    res = knox_test(
        x,
        y,
        d,
        spatial_bandwidth=100,
        n_spatial_bands=3,
        temporal_bandwidth=5,
        n_temporal_bands=3,
        metric=metric,
        convention=convention,
        permutations=0,
    )
    naive = _naive_table(
        x, y, d, [100, 200, 300], [5, 10, 15], metric, closed=convention == "right-closed"
    )
    np.testing.assert_array_equal(res.observed, naive)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 60))
def test_observed_counts_do_not_depend_on_event_order(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 500, n).round(1)
    y = rng.uniform(0, 500, n).round(1)
    d = rng.integers(0, 30, n)
    order = rng.permutation(n)
    a = knox_test(x, y, d, permutations=0)
    b = knox_test(x[order], y[order], d[order], permutations=0)
    np.testing.assert_array_equal(a.observed, b.observed)
    np.testing.assert_allclose(a.expected_exact, b.expected_exact)
    assert a.observed.sum() == n * (n - 1) // 2
    np.testing.assert_allclose(a.expected_exact.sum(), n * (n - 1) / 2)


def test_permutation_mean_converges_to_exact_expectation() -> None:
    rng = np.random.default_rng(3)
    n = 300
    x, y = rng.uniform(0, 2000, n), rng.uniform(0, 2000, n)
    d = rng.integers(0, 120, n)
    res = knox_test(
        x, y, d, spatial_bandwidth=150, temporal_bandwidth=10, permutations=1000, seed=4
    )
    # SE of a mean of 1,000 near-Poisson draws ≈ √(E/1000)
    tol = 5 * np.sqrt(np.maximum(res.expected_exact, 1) / 1000)
    assert (np.abs(res.expected - res.expected_exact) <= tol).all()
    again = knox_test(
        x, y, d, spatial_bandwidth=150, temporal_bandwidth=10, permutations=1000, seed=4
    )
    np.testing.assert_array_equal(res.p_value, again.p_value)  # seeded
    assert res.p_value.min() >= 1 / 1001


def test_summary_when_nothing_is_significant() -> None:
    rng = np.random.default_rng(8)
    n = 200
    res = knox_test(
        rng.uniform(0, 5000, n),
        rng.uniform(0, 5000, n),
        rng.integers(0, 365, n),
        permutations=19,
        seed=1,
    )
    text = res.summary(alpha=0.0001)
    assert text.startswith("No near space–time band had significantly more pairs")
    assert "smallest possible p-value is 0.05" in text


# ---------------------------------------------------------------------------------- refusals


def test_month_resolution_dates_are_refused() -> None:
    x, y = np.array([0.0, 50.0, 90.0]), np.array([0.0, 0.0, 10.0])
    with pytest.raises(ValueError, match=r"police\.uk"):
        knox_test(x, y, ["2019-01", "2019-02", "2019-02"])
    with pytest.raises(ValueError, match="coarser than a day"):
        knox_test(x, y, np.array(["2019-01", "2019-02", "2019-03"], dtype="datetime64[M]"))
    with pytest.raises(ValueError, match="1st of a month"):
        knox_test(x, y, ["2019-01-01", "2019-02-01", "2019-02-01"])
    with pytest.raises(ValueError, match="1st of a month"):
        knox_test(x, y, [dt.date(2019, 1, 1), dt.date(2019, 3, 1), dt.date(2019, 5, 1)])
    ok = knox_test(
        x, y, ["2019-01-01", "2019-02-01", "2019-02-01"], assume_daily=True, permutations=0
    )
    assert ok.n_pairs == 3


def test_date_inputs() -> None:
    assert dates_to_days(["1970-01-02", "1970-01-05"]).tolist() == [1, 4]
    stamps = np.array(["2019-01-01T23:59", "2019-01-04T00:01"], dtype="datetime64[m]")
    assert np.diff(dates_to_days(stamps)).tolist() == [3]  # times of day are dropped
    assert dates_to_days(np.array([5, 9])).tolist() == [5, 9]
    with pytest.raises(ValueError, match="ISO dates"):
        dates_to_days(["01/01/2019", "04/01/2019"])
    with pytest.raises(ValueError, match="missing"):
        dates_to_days(np.array(["2019-01-02", "NaT"], dtype="datetime64[D]"))


def test_knox_failure_paths() -> None:
    x, y, d = [0.0, 10.0, 20.0], [0.0, 0.0, 0.0], [1, 2, 3]
    with pytest.raises(ValueError, match="one value per event"):
        knox_test(x, y, [1, 2])
    with pytest.raises(ValueError, match="same length"):
        knox_test(x, y[:2], d)
    with pytest.raises(ValueError, match="empty"):
        knox_test([], [], [])
    with pytest.raises(ValueError, match="at least 2 events"):
        knox_test([0.0], [0.0], [1])
    with pytest.raises(ValueError, match="bandwidth must be positive"):
        knox_test(x, y, d, spatial_bandwidth=-100)
    with pytest.raises(ValueError, match="bandwidth must be positive"):
        knox_test(x, y, d, temporal_bandwidth=0)
    with pytest.raises(ValueError, match="strictly increasing"):
        knox_test(x, y, d, spatial_breaks=[100, 50])
    with pytest.raises(ValueError, match="convention"):
        knox_test(x, y, d, convention="nrc")
    with pytest.raises(ValueError, match="metric"):
        knox_test(x, y, d, metric="chebyshev")
    with pytest.raises(ValueError, match="permutations"):
        knox_test(x, y, d, permutations=-1)
