"""Many series at once: XmR charts and conditional exact tests over matrices.

The Scorecard evaluates every indicator for every area (35,000 LSOAs nationally), so it needs
the single-series methods of :mod:`saferplaces.stats.spc` and :mod:`saferplaces.stats.change`
applied to thousands of rows. These functions give the same answers as those (a test checks
them row by row against the single-series functions, which are themselves validated against
published values) for the cases the Scorecard uses: one segment, no fixed baseline.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats as sps

from .spc import MR_SCREEN, RUN_LENGTH, TREND_LENGTH, XMR_LIMIT, Improvement

FloatMatrix = NDArray[np.float64]
BoolMatrix = NDArray[np.bool_]

#: Point-type codes used in :class:`XmRBatch.point_type`.
COMMON, IMPROVEMENT, CONCERN, NEUTRAL = 0, 1, 2, 3


@dataclass(frozen=True)
class XmRBatch:
    """XmR results for each row of a (series × points) matrix."""

    centre: FloatMatrix  # (rows,)
    upper: FloatMatrix  # (rows,)
    lower: FloatMatrix  # (rows,)
    special_cause: BoolMatrix  # (rows, points)
    side: NDArray[np.int8]  # (rows, points): +1 high, -1 low, 0 none
    point_type: NDArray[np.int8]  # (rows, points): COMMON / IMPROVEMENT / CONCERN / NEUTRAL
    flags: dict[str, BoolMatrix]


def _run_lengths(keys: NDArray[np.int64]) -> NDArray[np.int64]:
    """Length of the run of equal keys (along axis 1) that each element belongs to."""
    rows, n = keys.shape
    fwd = np.ones((rows, n), dtype=np.int64)
    bwd = np.ones((rows, n), dtype=np.int64)
    for t in range(1, n):
        same = keys[:, t] == keys[:, t - 1]
        fwd[:, t] = np.where(same, fwd[:, t - 1] + 1, 1)
    for t in range(n - 2, -1, -1):
        same = keys[:, t] == keys[:, t + 1]
        bwd[:, t] = np.where(same, bwd[:, t + 1] + 1, 1)
    return fwd + bwd - 1


def xmr_batch(values: ArrayLike, *, improvement: Improvement = "neutral") -> XmRBatch:
    """XmR chart of each row with the four Making Data Count rules (see :func:`spc.xmr`)."""
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 2 or v.shape[1] < 2:
        raise ValueError("values must be a 2-D array with at least 2 points per row")
    if not np.isfinite(v).all():
        raise ValueError("values must be finite (drop missing months before charting)")
    rows, n = v.shape
    centre = v.mean(axis=1)
    mr = np.abs(np.diff(v, axis=1))
    amr = mr.mean(axis=1)
    keep = mr < MR_SCREEN * amr[:, None]
    kept = keep.sum(axis=1)
    screened = np.where(kept > 0, (mr * keep).sum(axis=1) / np.maximum(kept, 1), amr)
    amr = np.where(amr > 0, screened, amr)
    half = XMR_LIMIT * amr
    upper, lower = centre + half, centre - half
    upper_near, lower_near = centre + half * 2 / 3, centre - half * 2 / 3
    c = centre[:, None]

    rel = np.sign(v - c).astype(np.int64)
    above, below = v > upper[:, None], v < lower[:, None]
    outside = above | below
    run = (_run_lengths(rel) >= RUN_LENGTH) & (rel != 0)

    d = np.sign(np.diff(v, axis=1)).astype(np.int64)
    in_trend = (_run_lengths(d) >= TREND_LENGTH - 1) & (d != 0)
    trend = np.zeros((rows, n), dtype=bool)
    trend_dir = np.zeros((rows, n), dtype=np.int64)
    trend[:, :-1] |= in_trend
    trend[:, 1:] |= in_trend
    trend_dir[:, :-1] = np.where(in_trend, d, trend_dir[:, :-1])
    trend_dir[:, 1:] = np.where(in_trend, d, trend_dir[:, 1:])

    two3 = np.zeros((rows, n), dtype=bool)
    two3_side = np.zeros((rows, n), dtype=np.int64)
    if n >= 3:
        for beyond, sign in ((v > upper_near[:, None], 1), (v < lower_near[:, None], -1)):
            b = beyond.astype(np.int64)
            window = b[:, :-2] + b[:, 1:-1] + b[:, 2:] >= 2
            covered = np.zeros((rows, n), dtype=bool)
            for k in range(3):
                covered[:, k : n - 2 + k] |= window
            hit = covered & beyond
            two3 |= hit
            two3_side[hit] = sign

    side = np.where(trend, trend_dir, 0)
    side = np.where(two3, two3_side, side)
    side = np.where(run, rel, side)
    side = np.where(outside, np.where(above, 1, -1), side)
    special = outside | run | trend | two3
    good = {"increase": 1, "decrease": -1}.get(improvement, 0)
    if good == 0:
        ptype = np.where(special, NEUTRAL, COMMON)
    else:
        ptype = np.where(special, np.where(side == good, IMPROVEMENT, CONCERN), COMMON)
    return XmRBatch(
        centre=centre,
        upper=upper,
        lower=lower,
        special_cause=special,
        side=side.astype(np.int8),
        point_type=ptype.astype(np.int8),
        flags={"outside_limits": outside, "run": run, "trend": trend, "two_of_three": two3},
    )


def c_test_batch(
    before: ArrayLike,
    after: ArrayLike,
    before_exposure: ArrayLike = 1.0,
    after_exposure: ArrayLike = 1.0,
) -> FloatMatrix:
    """Two-sided p-values of the exact conditional test for pairs of Poisson counts
    (the same test and two-sided rule as :func:`saferplaces.stats.change.conditional_test`)."""
    b = np.asarray(before, dtype=np.float64)
    a = np.asarray(after, dtype=np.float64)
    tb = np.broadcast_to(np.asarray(before_exposure, dtype=np.float64), b.shape)
    ta = np.broadcast_to(np.asarray(after_exposure, dtype=np.float64), b.shape)
    if (b < 0).any() or (a < 0).any() or (tb <= 0).any() or (ta <= 0).any():
        raise ValueError("counts must be ≥ 0 and exposures > 0")
    n = b + a
    prob = tb / (tb + ta)
    lower = sps.binom.cdf(b, n, prob)
    upper = sps.binom.sf(b - 1, n, prob)
    p = np.minimum(1.0, 2 * np.minimum(lower, upper))
    return np.where(n == 0, 1.0, p)
