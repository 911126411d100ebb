"""Getis-Ord G / Gi / Gi* hotspot statistics, hotspot classification over time, PAI and PEI.

Methods and sources
-------------------
* **Global G** — Getis & Ord (1992) "The analysis of spatial association by use of distance
  statistics", *Geographical Analysis* 24(3); moments as implemented in PySAL ``esda.G``
  (binary weights, normal approximation).
* **Local Gi and Gi\\*** — Getis & Ord (1992); Ord & Getis (1995) *Geographical Analysis*
  27(4). Analytic z-scores exactly as ``esda.G_Local`` (binary "B" or row-standardised "R"
  weights), so results reproduce esda to rounding error. Conditional-permutation pseudo
  p-values follow Anselin (1995, LISA) / esda ``crand``: site i's value is held fixed and its
  neighbours are drawn at random, without replacement, from the other n − 1 values.
* **Multiple testing** — Holm (1979) step-down and Benjamini & Hochberg (1995) FDR, as R's
  ``p.adjust`` (used by sfhotspot via ``spdep::p.adjustSP``; METHODS.md §4.3).
* **Confidence bins** — Esri "Hot Spot Analysis (Getis-Ord Gi*)" ``Gi_Bin``: ±3/±2/±1 for
  99/95/90% confidence (two-sided), 0 otherwise (METHODS.md §4.3).
* **Classification over time** — sfhotspot ``hotspot_classify()`` (Ashby; after Chainey's
  persistent / emerging / former / intermittent typology) with its default thresholds
  (METHODS.md §4.3).
* **PAI / PEI** — Chainey, Tompson & Uhlig (2008) *Security Journal* 21; Hunt (2016, PEI);
  ptools ``pai()`` (Wheeler & Steenbeek 2019) (METHODS.md §4.2).

Gi* describes where counts cluster *in the period analysed*; it does not predict. Use grids of
at least 100–200 m on police.uk data (snap points, METHODS.md §4.6).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse, stats

from saferplaces.stats._weights import as_weights, lattice_weights, row_standardise
from saferplaces.stats.grid import FloatArray, GridCounts, _as_1d_float

__all__ = [
    "GI_BIN_LABELS",
    "GlobalG",
    "GridHotspots",
    "HotspotClasses",
    "HotspotMapEvaluation",
    "LocalG",
    "adjust_pvalues",
    "classify_hotspots",
    "evaluate_hotspot_map",
    "gi_bins",
    "gistar_bins_over_time",
    "gistar_grid",
    "global_g",
    "local_g",
    "pai",
    "pei",
]

AdjustMethod = Literal["none", "holm", "fdr_bh", "bonferroni"]
Int8Array = NDArray[np.int8]
BoolArray = NDArray[np.bool_]

#: Esri Gi_Bin meaning.
GI_BIN_LABELS: dict[int, str] = {
    -3: "cold spot, 99% confidence",
    -2: "cold spot, 95% confidence",
    -1: "cold spot, 90% confidence",
    0: "not significant",
    1: "hot spot, 90% confidence",
    2: "hot spot, 95% confidence",
    3: "hot spot, 99% confidence",
}
#: Two-sided standard-normal critical values for 90/95/99% confidence.
Z_CRITICAL = (1.6448536269514722, 1.959963984540054, 2.5758293035489004)
_ALPHAS = (0.10, 0.05, 0.01)


# --------------------------------------------------------------------------------------------
# input helpers
# --------------------------------------------------------------------------------------------


def _values(y: ArrayLike) -> FloatArray:
    arr = _as_1d_float(y, "y")
    if arr.size < 3:
        raise ValueError(f"Getis-Ord statistics need at least 3 units (got {arr.size})")
    if (arr < 0).any():
        i = int(np.flatnonzero(arr < 0)[0])
        raise ValueError(
            f"Getis-Ord G is defined for non-negative values such as counts or rates "
            f"(got {arr[i]} at position {i})"
        )
    if arr.sum() <= 0:
        raise ValueError("y sums to zero: there is nothing to find hotspots of")
    return arr


def _binary(w: sparse.csr_matrix) -> sparse.csr_matrix:
    b = w.copy()
    b.data = np.ones_like(b.data)
    return b


def _set_diagonal(w: sparse.csr_matrix, values: FloatArray) -> sparse.csr_matrix:
    """``w`` with its diagonal replaced by ``values`` (zeros removed), built in O(nnz)."""
    n = w.shape[0]
    coo = w.tocoo()
    keep = (coo.row != coo.col) & (coo.data != 0)
    diag_at = np.flatnonzero(values != 0)
    rows = np.concatenate([coo.row[keep], diag_at])
    cols = np.concatenate([coo.col[keep], diag_at])
    data = np.concatenate([coo.data[keep], values[diag_at]])
    out = sparse.csr_matrix((data, (rows, cols)), shape=(n, n))
    out.sort_indices()
    return out


# --------------------------------------------------------------------------------------------
# multiple testing and bins
# --------------------------------------------------------------------------------------------


def adjust_pvalues(p: ArrayLike, method: AdjustMethod = "holm") -> FloatArray:
    """Adjust p-values for multiple comparisons (NaNs are ignored and kept).

    Method: ``"holm"`` — Holm (1979) step-down family-wise error control;
    ``"fdr_bh"`` — Benjamini & Hochberg (1995) false discovery rate; ``"bonferroni"``;
    ``"none"``. Results equal R ``stats::p.adjust`` (methods "holm", "BH", "bonferroni").
    """
    arr = np.asarray(p, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"p must be one-dimensional (got shape {arr.shape})")
    ok = ~np.isnan(arr)
    if ((arr[ok] < 0) | (arr[ok] > 1)).any():
        raise ValueError("p-values must lie between 0 and 1")
    out = arr.copy()
    vals = arr[ok]
    m = vals.size
    if method == "none" or m == 0:
        return out
    if method == "bonferroni":
        out[ok] = np.minimum(1.0, vals * m)
        return out
    order = np.argsort(vals, kind="stable")
    ranked = vals[order]
    if method == "holm":
        adj = np.maximum.accumulate((m - np.arange(m)) * ranked)
    elif method == "fdr_bh":
        adj = np.minimum.accumulate((m / np.arange(m, 0, -1)) * ranked[::-1])[::-1]
    else:
        raise ValueError(f"method must be 'none', 'holm', 'fdr_bh' or 'bonferroni' ({method!r})")
    res = np.empty(m)
    res[order] = np.minimum(1.0, adj)
    out[ok] = res
    return out


def gi_bins(z: ArrayLike, p: ArrayLike | None = None) -> Int8Array:
    """Esri-style Gi_Bin: ±3/±2/±1 = hot/cold spot at 99/95/90% confidence, 0 otherwise.

    Method: Esri "Hot Spot Analysis (Getis-Ord Gi*)" output convention (METHODS.md §4.3).
    Without ``p`` the bins use the two-sided normal critical values |z| ≥ 1.645 / 1.96 /
    2.576; with ``p`` (two-sided, e.g. permutation or multiple-testing-adjusted) a bin is
    given when p < 0.10 / 0.05 / 0.01, signed by z. NaN z (islands) gives 0.
    """
    za = np.asarray(z, dtype=np.float64)
    sign = np.sign(np.nan_to_num(za)).astype(np.int8)
    level = np.zeros(za.shape, dtype=np.int8)
    if p is None:
        absz = np.abs(np.nan_to_num(za))
        for crit in Z_CRITICAL:
            level += (absz >= crit).astype(np.int8)
    else:
        pa = np.asarray(p, dtype=np.float64)
        if pa.shape != za.shape:
            raise ValueError(f"z and p must have the same shape ({za.shape} vs {pa.shape})")
        pa = np.where(np.isnan(pa), 1.0, pa)
        for alpha in _ALPHAS:
            level += (pa < alpha).astype(np.int8)
    return (sign * level).astype(np.int8)


# --------------------------------------------------------------------------------------------
# global G
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GlobalG:
    """Getis-Ord General G with its normal-approximation inference."""

    G: float
    expected: float
    variance: float
    z: float
    #: one-sided p-value from the normal approximation, as ``esda.G.p_norm``
    p_norm: float
    #: pseudo p-value from complete random permutations (esda's folded one-sided form)
    p_sim: float | None
    permutations: int

    @property
    def p_two_sided(self) -> float:
        """Two-sided normal p-value (2 × ``p_norm``)."""
        return min(1.0, 2.0 * self.p_norm)


def global_g(
    y: ArrayLike, weights: object, *, permutations: int = 0, seed: int | None = None
) -> GlobalG:
    """Getis-Ord General G for a non-negative variable (binary weights).

    Method: Getis & Ord (1992); mean and variance under the normality assumption as in PySAL
    ``esda.G``: E[G] = S0 / (n(n − 1)); Var[G] from the b0…b4 moment terms with S0, S1, S2
    of the binary weights. Weights are binarised and the diagonal ignored (G sums over
    i ≠ j), as esda does. ``permutations`` > 0 adds a pseudo p-value from random
    permutations of y (seeded).
    """
    yv = _values(y)
    n = yv.size
    w = _binary(as_weights(weights, n))
    w = _set_diagonal(w, np.zeros(n))
    s0 = float(w.sum())
    if s0 == 0:
        raise ValueError("the weights have no neighbour pairs: G is undefined")
    wt = w + w.T
    s1 = 0.5 * float(wt.multiply(wt).sum())
    s2 = float(((np.asarray(w.sum(axis=1)).ravel() + np.asarray(w.sum(axis=0)).ravel()) ** 2).sum())
    n2 = n * n
    s02 = s0 * s0
    b0 = (n2 - 3 * n + 3) * s1 - n * s2 + 3 * s02
    b1 = -((n2 - n) * s1 - 2 * n * s2 + 6 * s02)
    b2 = -(2 * n * s1 - (n + 3) * s2 + 6 * s02)
    b3 = 4 * (n - 1) * s1 - 2 * (n + 1) * s2 + 8 * s02
    b4 = s1 - s2 + s02
    sy, sy2 = float(yv.sum()), float((yv**2).sum())
    sy3, sy4 = float((yv**3).sum()), float((yv**4).sum())
    eg = s0 / (n * (n - 1))
    eg2 = (b0 * sy2**2 + b1 * sy4 + b2 * sy**2 * sy2 + b3 * sy * sy3 + b4 * sy**4) / (
        (sy**2 - sy2) ** 2 * n * (n - 1) * (n - 2) * (n - 3)
    )
    vg = eg2 - eg**2
    den = sy**2 - sy2
    g = float(yv @ (w @ yv)) / den
    z = (g - eg) / np.sqrt(vg) if vg > 0 else float("nan")
    p_norm = float(stats.norm.sf(abs(z)))
    p_sim = None
    if permutations:
        if permutations < 0:
            raise ValueError(f"permutations must be ≥ 0 (got {permutations})")
        rng = np.random.default_rng(seed)
        sims = np.empty(permutations)
        step = max(1, min(permutations, 2_000_000 // max(n, 1)))
        for start in range(0, permutations, step):
            stop = min(permutations, start + step)
            yp = np.stack([rng.permutation(yv) for _ in range(stop - start)], axis=1)
            sims[start:stop] = (yp * (w @ yp)).sum(axis=0) / den
        larger = int((sims >= g - 1e-12 * abs(g)).sum())
        larger = min(larger, permutations - larger)
        p_sim = (larger + 1.0) / (permutations + 1.0)
    return GlobalG(g, eg, float(vg), float(z), p_norm, p_sim, permutations)


# --------------------------------------------------------------------------------------------
# local G / G*
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class LocalG:
    """Local Getis-Ord Gi (``star=False``) or Gi* (``star=True``) for every unit."""

    G: FloatArray
    expected: FloatArray
    variance: FloatArray
    z: FloatArray
    #: two-sided normal p-value, 2·Φ(−|z|) (esda reports the one-sided half as ``p_norm``)
    p_norm: FloatArray
    #: two-sided permutation pseudo p-value, min(1, 2·(1 + min(#draws ≥ obs, #draws ≤ obs))
    #: / (R + 1)); None without permutations
    p_sim: FloatArray | None
    #: esda's ``p_sim``: (1 + #draws as or more extreme in the observed direction) / (R + 1)
    p_sim_directed: FloatArray | None
    star: bool
    transform: str
    permutations: int
    cardinality: NDArray[np.int64]

    def p_values(self, source: Literal["auto", "norm", "sim"] = "auto") -> FloatArray:
        """The two-sided p-values to use: permutation ones when available (``"auto"``)."""
        if source == "sim" or (source == "auto" and self.p_sim is not None):
            if self.p_sim is None:
                raise ValueError("no permutation p-values: call local_g with permutations > 0")
            return self.p_sim
        return self.p_norm

    def bins(
        self, adjust: AdjustMethod = "none", source: Literal["auto", "norm", "sim"] = "auto"
    ) -> Int8Array:
        """Gi_Bin (±1/2/3) from the chosen p-values after the chosen multiple-testing fix."""
        return gi_bins(self.z, adjust_pvalues(self.p_values(source), adjust))


def _sample_rows(rng: np.random.Generator, n: int, m: int, reps: int) -> NDArray[np.int64]:
    """``reps`` independent ordered samples of ``m`` distinct values from ``range(n)``."""
    if m * 4 > n:
        out = np.empty((reps, m), dtype=np.int64)
        step = max(1, 4_000_000 // n)
        for s in range(0, reps, step):
            e = min(reps, s + step)
            out[s:e] = np.argsort(rng.random((e - s, n)), axis=1)[:, :m]
        return out
    out = rng.integers(0, n, size=(reps, m), dtype=np.int64)
    while True:
        srt = np.sort(out, axis=1)
        bad = (srt[:, 1:] == srt[:, :-1]).any(axis=1)
        nbad = int(bad.sum())
        if nbad == 0:
            return out
        out[bad] = rng.integers(0, n, size=(nbad, m), dtype=np.int64)


def _conditional_permutation_counts(
    y: FloatArray,
    woff: sparse.csr_matrix,
    lag_obs: FloatArray,
    permutations: int,
    rng: np.random.Generator,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Counts of random neighbour lags ≥ and ≤ the observed lag, per unit.

    Conditional randomisation (esda ``crand``): for unit i with k_i neighbours, its k_i
    neighbour values are replaced by a random sample without replacement from the other n − 1
    values. Vectorised: each replicate r draws ONE ordered sample ``ids[r]`` of k_max + 1
    distinct units from all n; unit i uses the first k_i entries of that sample that are not
    i itself (a uniform sample from the others). As in esda, the same draws are shared by all
    units (each unit's null distribution is exact; units' p-values are dependent, as in esda).

    * Equal weights within each row (binary or row-standardised contiguity/distance-band/knn
      weights — the usual case): the random lag of every unit with k neighbours is
      w_i × C[r, k], C the running sum of the drawn values, so one sorted column of C per
      cardinality answers all those units by binary search: O(R·k_max + n log R).
    * Unequal weights: units with the same cardinality k are handled together as one dense
      product ``Y[:, :k] @ W_k.T`` (BLAS), O(R · nnz).

    The few (replicate, unit) pairs where i occurs among its own first k_i draws are
    corrected afterwards (i is skipped and the next draw used).
    """
    n = y.size
    indptr = woff.indptr
    card = np.diff(indptr).astype(np.int64)
    ge = np.zeros(n, dtype=np.int64)
    le = np.zeros(n, dtype=np.int64)
    kmax = int(card.max()) if n else 0
    if kmax == 0:
        return ge, le
    m = kmax + 1  # ≤ n because k_i ≤ n − 1
    ids = _sample_rows(rng, n, m, permutations)
    big_y = y[ids]  # (R, m)
    tol = 1e-9 * np.abs(lag_obs) + 1e-12 * (float(np.abs(y).max()) * float(woff.data.max()) + 1)
    lo_bound = lag_obs - tol
    hi_bound = lag_obs + tol
    # corrections: unit i = ids[r, p] drawn at a position p < k_i
    r_c, p_c = np.nonzero(np.arange(m)[None, :] < card[ids])
    i_c = ids[r_c, p_c]
    k_c = card[i_c]
    has = card > 0
    starts = indptr[:-1][has]
    row_max = np.maximum.reduceat(woff.data, starts)
    row_min = np.minimum.reduceat(woff.data, starts)
    if np.array_equal(row_max, row_min):
        w_row = np.zeros(n)
        w_row[has] = row_max
        csum = np.cumsum(big_y, axis=1)  # csum[:, k - 1] = sum of the first k draws
        lo_t = np.zeros(n)
        hi_t = np.zeros(n)
        lo_t[has] = lo_bound[has] / w_row[has]
        hi_t[has] = hi_bound[has] / w_row[has]
        for k in np.unique(card[has]).tolist():
            cells = np.flatnonzero(card == k)
            col = np.sort(csum[:, k - 1])
            ge[cells] = permutations - np.searchsorted(col, lo_t[cells], side="left")
            le[cells] = np.searchsorted(col, hi_t[cells], side="right")
        base = csum[r_c, k_c - 1]
        fixed = csum[r_c, k_c] - big_y[r_c, p_c]  # first k_c + 1 draws minus unit i itself
        lo_i, hi_i = lo_t[i_c], hi_t[i_c]
        np.add.at(ge, i_c, (fixed >= lo_i).astype(np.int64) - (base >= lo_i))
        np.add.at(le, i_c, (fixed <= hi_i).astype(np.int64) - (base <= hi_i))
        return ge, le
    # general weights: padded (n, kmax) weight rows for the corrections, BLAS per cardinality
    wpad = np.zeros((n, kmax))
    row_of = np.repeat(np.arange(n), card)
    pos_in_row = np.arange(woff.nnz) - np.repeat(indptr[:-1], card)
    wpad[row_of, pos_in_row] = woff.data
    t = np.arange(kmax)[None, :]
    shifted = np.minimum(t + (t >= p_c[:, None]), m - 1)
    corr_val = (big_y[r_c[:, None], shifted] * wpad[i_c]).sum(axis=1)
    chunk_cols = max(1, 2_000_000 // max(permutations, 1))
    for k in np.unique(card[has]).tolist():
        cells = np.flatnonzero(card == k)
        wk = woff.data[indptr[cells][:, None] + np.arange(k)[None, :]]  # (m_k, k)
        yk = big_y[:, :k]
        sel_k = k_c == k
        ck_r, ck_val = r_c[sel_k], corr_val[sel_k]
        col_of = np.searchsorted(cells, i_c[sel_k])
        for a in range(0, cells.size, chunk_cols):
            b = min(cells.size, a + chunk_cols)
            lags = yk @ wk[a:b].T  # (R, b − a)
            in_chunk = (col_of >= a) & (col_of < b)
            lags[ck_r[in_chunk], col_of[in_chunk] - a] = ck_val[in_chunk]
            ge[cells[a:b]] += (lags >= lo_bound[cells[a:b]]).sum(axis=0)
            le[cells[a:b]] += (lags <= hi_bound[cells[a:b]]).sum(axis=0)
    return ge, le


def local_g(
    y: ArrayLike,
    weights: object,
    *,
    star: bool = True,
    transform: Literal["B", "R"] = "B",
    permutations: int = 0,
    seed: int | None = None,
) -> LocalG:
    """Local Getis-Ord Gi* (``star=True``, default) or Gi with analytic and permutation inference.

    Method: Getis & Ord (1992), Ord & Getis (1995), computed exactly as PySAL
    ``esda.G_Local``: G_i = Σ_j w_ij y_j / Σ_j y_j (j ≠ i for Gi); E[G_i] = W_i / N and
    Var[G_i] = W_i (N − W_i) / (N − 1) · s² / (N² ȳ²), with W_i the row sum of the weights,
    N = n (Gi*) or n − 1 (Gi), and ȳ, s² the mean and population variance of y (excluding
    y_i for Gi). For Gi* a missing diagonal is filled with 1 (binary) or the row maximum
    (row-standardised), as esda. ``transform="B"`` binarises the weights; ``"R"``
    row-standardises them (after adding the self-weight).

    ``permutations`` > 0 adds conditional-permutation pseudo p-values (seeded, vectorised;
    see :func:`_conditional_permutation_counts`). ``weights`` is any square scipy.sparse
    matrix: :func:`~saferplaces.stats._weights.distance_band_weights`,
    :func:`~saferplaces.stats._weights.lattice_weights`, contiguity, k-nearest….

    The z-score is unchanged by multiplying y by a positive constant or adding a constant
    (it equals (Σ w_ij y_j − W_i ȳ) / (s √(W_i (N − W_i)/(N − 1)))).
    """
    yv = _values(y)
    n = yv.size
    if transform not in ("B", "R"):
        raise ValueError(f"transform must be 'B' (binary) or 'R' (row-standardised): {transform!r}")
    if permutations < 0:
        raise ValueError(f"permutations must be ≥ 0 (got {permutations})")
    w = as_weights(weights, n)
    diag = w.diagonal()
    if star:
        if not diag.any():
            # esda: self-weight 1 for binary weights, the row maximum before row-standardising
            fill = (
                np.ones(n)
                if transform == "B"
                else np.asarray(w.max(axis=1).todense(), dtype=np.float64).ravel()
            )
            w = _set_diagonal(w, fill)
    elif diag.any():
        w = _set_diagonal(w, np.zeros(n))
    w = _binary(w) if transform == "B" else row_standardise(w)
    rs = 0.0 if star else 1.0
    big_n = n - rs
    lag = np.asarray(w @ yv, dtype=np.float64)
    total = float(yv.sum())
    denom = total - yv * rs
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(denom > 0, lag / np.where(denom > 0, denom, 1.0), np.nan)
    mean_all = total / n
    ss = float(((yv - mean_all) ** 2).sum())
    if star:
        mean = np.full(n, mean_all)
        var_pop = np.full(n, ss / n)
    else:
        mean = denom / big_n
        ss_i = ss - (yv - mean_all) ** 2 * n / (n - 1)
        # leave-one-out update: treat rounding residue (others all equal) as exactly zero
        var_pop = np.where(ss_i > 1e-12 * ss, ss_i, 0.0) / big_n
    wsum = np.asarray(w.sum(axis=1)).ravel()
    expected = wsum / big_n
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = wsum * (big_n - wsum) / (big_n - 1)
        variance = spread / big_n**2 * var_pop / mean**2
        z = (lag - wsum * mean) / (np.sqrt(var_pop) * np.sqrt(spread))
    z = np.where(np.isfinite(z), z, np.nan)
    p_norm = 2.0 * stats.norm.sf(np.abs(z))
    p_sim = p_dir = None
    woff = _set_diagonal(w, np.zeros(n))
    card = np.diff(woff.indptr).astype(np.int64)
    if permutations:
        rng = np.random.default_rng(seed)
        lag_off = np.asarray(woff @ yv, dtype=np.float64)
        ge, le = _conditional_permutation_counts(yv, woff, lag_off, permutations, rng)
        larger = np.minimum(ge, permutations - ge)
        p_dir = (larger + 1.0) / (permutations + 1.0)
        # two-sided: double the smaller tail, counting ties on both sides
        p_sim = np.minimum(1.0, 2.0 * (np.minimum(ge, le) + 1.0) / (permutations + 1.0))
        islands = card == 0
        p_dir[islands] = np.nan
        p_sim[islands] = np.nan
    return LocalG(
        G=g,
        expected=expected,
        variance=np.where(np.isfinite(variance), variance, np.nan),
        z=z,
        p_norm=p_norm,
        p_sim=p_sim,
        p_sim_directed=p_dir,
        star=star,
        transform=transform,
        permutations=permutations,
        cardinality=card,
    )


# --------------------------------------------------------------------------------------------
# Gi* on a grid
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class GridHotspots:
    """Gi* on a square grid: z-scores, adjusted p-values and Gi_Bin, all shaped like the grid."""

    counts: GridCounts
    result: LocalG
    z: FloatArray
    p_adjusted: FloatArray
    bins: Int8Array
    adjust: str

    def hot(self, min_bin: int = 2) -> BoolArray:
        """Mask of hotspot cells at the given confidence bin (2 = 95%)."""
        return np.asarray(self.bins >= min_bin)


def gistar_grid(
    counts: GridCounts,
    *,
    neighbourhood: Literal["queen", "rook"] = "queen",
    permutations: int = 0,
    seed: int | None = None,
    adjust: AdjustMethod = "holm",
) -> GridHotspots:
    """Gi* hotspots on a grid of counts, sfhotspot-style.

    Method: sfhotspot ``hotspot_gistar()`` / ``gistar()`` (METHODS.md §4.3): binary weights
    with neighbours = the 8 adjacent cells (``cell_size × √2``, queen contiguity) plus the
    cell itself; two-sided p-values (permutation ones when ``permutations`` > 0) adjusted
    for multiple comparisons (Holm by default); Esri-style ±1/2/3 bins.
    """
    nrows, ncols = counts.grid.shape
    w = lattice_weights(nrows, ncols, rule=neighbourhood)
    res = local_g(
        counts.counts.ravel(), w, star=True, transform="B", permutations=permutations, seed=seed
    )
    p_adj = adjust_pvalues(res.p_values("auto"), adjust)
    bins = gi_bins(res.z, p_adj)
    shape = counts.grid.shape
    return GridHotspots(
        counts, res, res.z.reshape(shape), p_adj.reshape(shape), bins.reshape(shape), adjust
    )


def gistar_bins_over_time(
    counts: ArrayLike,
    *,
    neighbourhood: Literal["queen", "rook"] = "queen",
    adjust: AdjustMethod = "holm",
) -> Int8Array:
    """Gi_Bin for each period of a ``(periods, nrows, ncols)`` stack of grid counts.

    Method: as sfhotspot ``hotspot_classify()``: Gi* (binary, queen + self) per period with
    normal p-values, adjusted *per cell across periods* (R ``p.adjust``, Holm by default),
    then binned. Periods with no events give 0 everywhere. Returns ``(periods, n_cells)``
    ready for :func:`classify_hotspots`.
    """
    arr = np.asarray(counts, dtype=np.float64)
    if arr.ndim != 3:
        raise ValueError(f"counts must be shaped (periods, nrows, ncols) (got {arr.shape})")
    n_t, nrows, ncols = arr.shape
    w = lattice_weights(nrows, ncols, rule=neighbourhood)
    z = np.full((n_t, nrows * ncols), np.nan)
    p = np.full((n_t, nrows * ncols), np.nan)
    for t in range(n_t):
        flat = arr[t].ravel()
        if flat.sum() <= 0:
            continue
        res = local_g(flat, w, star=True, transform="B")
        z[t], p[t] = res.z, res.p_norm
    p_adj = np.full_like(p, np.nan)
    for c in range(p.shape[1]):
        p_adj[:, c] = adjust_pvalues(p[:, c], adjust)
    return gi_bins(z, p_adj)


# --------------------------------------------------------------------------------------------
# classification over time
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class HotspotClasses:
    """Per-cell hotspot category and the shares of periods behind it."""

    labels: NDArray[np.str_]
    share_hot: FloatArray
    share_cold: FloatArray
    recent_hot: FloatArray
    older_hot: FloatArray
    recent_cold: FloatArray
    older_cold: FloatArray
    n_recent: int
    n_periods: int

    def counts(self) -> dict[str, int]:
        """Number of cells in each category."""
        labels, n = np.unique(self.labels, return_counts=True)
        return {str(k): int(v) for k, v in zip(labels.tolist(), n.tolist(), strict=True)}


def _categorise(
    share: FloatArray,
    older: FloatArray,
    recent: FloatArray,
    kind: str,
    hotspot_prop: float,
    persistent_prop: float,
    recent_prop: float,
) -> NDArray[np.str_]:
    persistent = share >= persistent_prop
    emerging = (older < hotspot_prop) & (recent >= recent_prop)
    former = (older >= hotspot_prop) & (recent < hotspot_prop)
    intermittent = share >= hotspot_prop
    return np.select(
        [persistent, emerging, former, intermittent],
        [f"persistent {kind}", f"emerging {kind}", f"former {kind}", f"intermittent {kind}"],
        default="",
    ).astype(np.str_)


def classify_hotspots(
    significance: ArrayLike,
    *,
    cold: ArrayLike | None = None,
    min_bin: int = 2,
    hotspot_prop: float = 0.1,
    persistent_prop: float = 0.8,
    recent_prop: float = 0.2,
) -> HotspotClasses:
    """Classify cells as persistent / emerging / former / intermittent hot (or cold) spots.

    Method: sfhotspot ``hotspot_classify()`` (Ashby; Chainey's typology; METHODS.md §4.3),
    defaults ``hotspot_prop = 0.1``, ``persistent_prop = 0.8``, ``recent_prop = 0.2``.
    ``significance`` is ``(periods, cells)``: either Gi_Bin integers (hot when ≥ ``min_bin``,
    cold when ≤ −``min_bin``; 2 = 95%, matching sfhotspot's critical p = 0.05) or booleans
    (hot flags; pass ``cold`` flags separately if wanted). The last
    ``max(1, floor(recent_prop × periods))`` periods are "recent", the rest "older"
    (at least one of each is required). Per cell, with shares of significant periods:

    * persistent — share of all periods ≥ ``persistent_prop``;
    * emerging — older share < ``hotspot_prop`` and recent share ≥ ``recent_prop``;
    * former — older share ≥ ``hotspot_prop`` and recent share < ``hotspot_prop``;
    * intermittent — share of all periods ≥ ``hotspot_prop``;
    * otherwise "not a hotspot"; a cell that is both a hot and a cold category is
      "mixed hot/coldspot".

    Rules are applied in that order. Note: sfhotspot's R code indexes the recent window as
    ``(ncol − recent):ncol``, which includes one extra period; we use exactly the last
    ``recent`` periods.
    """
    sig = np.asarray(significance)
    if sig.ndim != 2:
        raise ValueError(f"significance must be shaped (periods, cells) (got {sig.shape})")
    n_t = sig.shape[0]
    if n_t < 2:
        raise ValueError("classification needs at least 2 periods (one older, one recent)")
    for name, val in [
        ("hotspot_prop", hotspot_prop),
        ("persistent_prop", persistent_prop),
        ("recent_prop", recent_prop),
    ]:
        if not 0 < val <= 1:
            raise ValueError(f"{name} must be in (0, 1] (got {val})")
    if sig.dtype == np.bool_:
        hot = sig
        cold_arr = np.zeros_like(hot) if cold is None else np.asarray(cold, dtype=bool)
        if cold_arr.shape != hot.shape:
            raise ValueError(f"cold must have the same shape as significance ({hot.shape})")
    else:
        if cold is not None:
            raise ValueError("pass `cold` only with boolean flags; bins already carry the sign")
        if min_bin not in (1, 2, 3):
            raise ValueError(f"min_bin must be 1, 2 or 3 (got {min_bin})")
        hot = sig >= min_bin
        cold_arr = sig <= -min_bin
    n_recent = int(np.floor(recent_prop * n_t))
    if n_recent < 1 or n_t - n_recent < 1:
        n_recent = 1
    older_n = n_t - n_recent

    def shares(flags: NDArray[np.bool_]) -> tuple[FloatArray, FloatArray, FloatArray]:
        f = flags.astype(np.float64)
        return f.mean(axis=0), f[older_n:].mean(axis=0), f[:older_n].mean(axis=0)

    sh, rh, oh = shares(hot)
    sc, rc, oc = shares(cold_arr)
    args = (hotspot_prop, persistent_prop, recent_prop)
    cat_h = _categorise(sh, oh, rh, "hotspot", *args)
    cat_c = _categorise(sc, oc, rc, "coldspot", *args)
    labels = np.where(
        (cat_h != "") & (cat_c != ""),
        "mixed hot/coldspot",
        np.where(cat_h != "", cat_h, np.where(cat_c != "", cat_c, "not a hotspot")),
    ).astype(np.str_)
    return HotspotClasses(labels, sh, sc, rh, oh, rc, oc, n_recent, n_t)


# --------------------------------------------------------------------------------------------
# PAI / PEI
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HotspotMapEvaluation:
    """How well a hotspot map captured later crime."""

    n_units: int
    n_hotspot_units: int
    crimes_captured: float
    total_crimes: float
    hit_rate: float
    area_share: float
    pai: float
    pai_max: float
    pei: float


def evaluate_hotspot_map(
    hotspot: ArrayLike, counts: ArrayLike, *, areas: ArrayLike | None = None
) -> HotspotMapEvaluation:
    """PAI and PEI of a hotspot map (a boolean mask over cells/units) against later counts.

    Method: Prediction Accuracy Index (Chainey, Tompson & Uhlig 2008):
    PAI = (c / C) / (a / A) — the share of the (later, out-of-sample) crimes falling in the
    hotspot units divided by the share of the area they cover. Prediction Efficiency Index
    (Hunt 2016; ptools ``pai`` docs): PEI = PAI / PAI*, where PAI* is the best PAI any map of
    the same area could have scored on these counts. With equal areas (grid cells; the
    default) PAI* takes the top-k units by count, k = number of hotspot units; with unequal
    ``areas`` (or street-segment lengths) PAI* uses the fractional greedy bound (units by
    count per area, the last one pro rata), an upper bound, so PEI ≤ 1 always holds.
    """
    mask = np.asarray(hotspot)
    if mask.dtype != np.bool_:
        raise ValueError("hotspot must be a boolean mask (True = hotspot)")
    cnt = np.asarray(counts, dtype=np.float64)
    if mask.shape != cnt.shape:
        raise ValueError(
            f"hotspot and counts must have the same shape ({mask.shape} vs {cnt.shape})"
        )
    mask, cnt = mask.ravel(), cnt.ravel()
    if cnt.size == 0:
        raise ValueError("counts is empty")
    if not np.isfinite(cnt).all() or (cnt < 0).any():
        raise ValueError("counts must be finite and non-negative")
    area = np.ones_like(cnt) if areas is None else np.asarray(areas, dtype=np.float64).ravel()
    if area.shape != cnt.shape:
        raise ValueError(f"areas must have one value per unit ({area.size} vs {cnt.size})")
    if not np.isfinite(area).all() or (area <= 0).any():
        raise ValueError("areas must be positive")
    total = float(cnt.sum())
    if total <= 0:
        raise ValueError("there are no crimes in `counts`: PAI is undefined")
    k = int(mask.sum())
    if k == 0:
        raise ValueError("the hotspot mask selects no units: PAI is undefined")
    big_a = float(area.sum())
    a = float(area[mask].sum())
    c = float(cnt[mask].sum())
    hit, share = c / total, a / big_a
    pai_val = hit / share
    if areas is None:
        best = float(np.sort(cnt)[::-1][:k].sum())
    else:
        order = np.argsort(-(cnt / area), kind="stable")
        cum_a = np.cumsum(area[order])
        full = cum_a <= a * (1 + 1e-12)
        best = float(cnt[order][full].sum())
        nxt = int(full.sum())
        if nxt < cnt.size:
            left = a - (float(cum_a[nxt - 1]) if nxt else 0.0)
            best += float(cnt[order][nxt]) * max(left, 0.0) / float(area[order][nxt])
    pai_max = (best / total) / share
    pei_val = pai_val / pai_max if pai_max > 0 else float("nan")
    return HotspotMapEvaluation(cnt.size, k, c, total, hit, share, pai_val, pai_max, pei_val)


def pai(hotspot: ArrayLike, counts: ArrayLike, *, areas: ArrayLike | None = None) -> float:
    """Prediction Accuracy Index (Chainey et al. 2008); see :func:`evaluate_hotspot_map`."""
    return evaluate_hotspot_map(hotspot, counts, areas=areas).pai


def pei(hotspot: ArrayLike, counts: ArrayLike, *, areas: ArrayLike | None = None) -> float:
    """Prediction Efficiency Index (Hunt 2016); see :func:`evaluate_hotspot_map`."""
    return evaluate_hotspot_map(hotspot, counts, areas=areas).pei
