"""Near-repeat analysis: the Knox test for space–time clustering of events.

Method: Knox (1964) "The detection of space–time interactions", *Applied Statistics* 13;
as used for near-repeat victimisation by Johnson et al. (2007) and Ratcliffe's Near Repeat
Calculator (NRC v1.3; re-implemented by Davies, tobydavies/NearRepeat, and Steenbeek,
wsteenbeek/NearRepeat) — METHODS.md §4.4.

Every pair of events is classified by its distance band × time band. The observed table is
compared with its distribution when the event **dates are randomly permuted across the
locations** (Monte Carlo, seeded): expected = mean of the permuted tables, Knox ratio =
observed / expected, p = (1 + #{permuted ≥ observed}) / (permutations + 1) (one-sided; the
smallest possible p is 1 / (permutations + 1)). Because a permutation only reassigns dates,
the number of pairs in each distance band and in each time band is fixed, and the exact
permutation expectation is Knox's N_s · M_t / N (also reported, ``expected_exact``).

Interval semantics (explicit; ``convention``)
---------------------------------------------
``b1 < … < bn`` are the spatial breaks (default: bandwidth × 1…n), ``t1 < … < tn`` the
temporal breaks in days. A "same location" band (distance exactly 0) is added first and a
"beyond" band last in each dimension, as the NRC does.

* ``"right-open"`` (default): spatial (0, b1), [b1, b2), …, [bn, ∞); temporal [0, t1),
  [t1, t2), …, [tn, ∞). With day-resolution dates [0, 7) means 0–6 days apart.
* ``"right-closed"``: spatial (0, b1], (b1, b2], …, (bn, ∞); temporal [0, t1], (t1, t2], …
* ``"calculator"``: reproduces the NRC's **counts and labels**. The NRC computes right-open
  bands (its "1 to 100" is (0, 100) m and "0 to 7" days is [0, 7) — 0–6 days, its "8 to 14"
  is [7, 14)), i.e. its labels are one unit off (Steenbeek, NearRepeat vignette "NRC"), and it
  holds coordinates in single precision: we cast coordinates to float32 as it does, which is
  what reproduces its observed tables exactly (``chicago_arson``, ``chicago_be_month1``).

Day resolution is required. Month-resolution dates (police.uk street-level data: every crime
dated to its month, stored as the 1st or as "YYYY-MM") are refused: all pairs in the same
month would look "0 days apart" and the test would measure how the data were published, not
how crime clusters (METHODS.md §4.6).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import signal
from scipy.spatial import cKDTree

from saferplaces.stats.grid import FloatArray, IntArray, _as_xy

__all__ = ["KnoxResult", "dates_to_days", "knox_test"]

Convention = Literal["right-open", "right-closed", "calculator"]
Metric = Literal["euclidean", "manhattan"]

_MONTH_STRING = re.compile(r"^\s*\d{4}-\d{1,2}\s*$")


# --------------------------------------------------------------------------------------------
# dates
# --------------------------------------------------------------------------------------------


def dates_to_days(dates: ArrayLike, *, assume_daily: bool = False) -> IntArray:
    """Day numbers (days since 1970-01-01) from dates; refuses month-resolution dates.

    Accepts ``numpy.datetime64`` arrays (times of day are dropped), ``datetime.date`` /
    ``datetime`` objects, ISO strings ("2019-01-04") or integer day numbers. Raises
    ValueError for month-resolution input — a ``datetime64[M]`` (or coarser) array, strings
    like "2019-01", or dates that all fall on the 1st of a month (how police.uk months are
    usually stored). Pass ``assume_daily=True`` only if your day-resolution dates genuinely
    all fall on the 1st.
    """
    arr = np.asarray(dates)
    if arr.ndim != 1:
        raise ValueError(f"dates must be one-dimensional (got shape {arr.shape})")
    if arr.size == 0:
        raise ValueError("dates is empty")
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    if arr.dtype.kind in "OUS":
        items = [str(v) if not hasattr(v, "isoformat") else v for v in arr.tolist()]
        if any(isinstance(v, str) and _MONTH_STRING.match(v) for v in items):
            raise ValueError(_month_message("some dates are month strings such as 'YYYY-MM'"))
        try:
            arr = np.array(
                [np.datetime64(v.isoformat() if hasattr(v, "isoformat") else v) for v in items]
            )
        except ValueError as exc:
            raise ValueError(f"could not read the dates as ISO dates: {exc}") from None
    if arr.dtype.kind != "M":
        raise ValueError(f"dates must be dates or datetimes (got dtype {arr.dtype})")
    unit = np.datetime_data(arr.dtype)[0]
    if unit in ("Y", "M", "W"):
        raise ValueError(_month_message(f"the dates have resolution '{unit}' (coarser than a day)"))
    if np.isnat(arr).any():
        i = int(np.flatnonzero(np.isnat(arr))[0])
        raise ValueError(f"dates must not be missing (NaT at position {i})")
    days = arr.astype("datetime64[D]")
    if not assume_daily and days.size >= 2:
        first_of_month = days.astype("datetime64[M]").astype("datetime64[D]")
        if (days == first_of_month).all():
            raise ValueError(
                _month_message(f"all {days.size} dates fall on the 1st of a month")
                + " If your dates really are day-resolution, pass assume_daily=True."
            )
    return days.astype(np.int64)


def _month_message(reason: str) -> str:
    return (
        f"The Knox near-repeat test needs dates to the day, but {reason}. This is how "
        "month-resolution data such as police.uk street-level crime is published (every crime "
        "in a month carries the same date), so every pair in the same month would look "
        "0 days apart and the result would reflect the publication format, not crime. Use "
        "force or partner data with the date of each offence."
    )


# --------------------------------------------------------------------------------------------
# bands and labels
# --------------------------------------------------------------------------------------------


def _fmt(v: float) -> str:
    return f"{v:g}"


def _breaks(
    breaks: Sequence[float] | None, bandwidth: float, n_bands: int, name: str
) -> FloatArray:
    if breaks is None:
        if not math.isfinite(bandwidth) or bandwidth <= 0:
            raise ValueError(f"{name} bandwidth must be positive (got {bandwidth})")
        if n_bands < 1:
            raise ValueError(f"the number of {name} bands must be at least 1 (got {n_bands})")
        return bandwidth * np.arange(1, n_bands + 1, dtype=np.float64)
    b = np.asarray(breaks, dtype=np.float64)
    if b.ndim != 1 or b.size == 0 or not np.isfinite(b).all():
        raise ValueError(f"{name} breaks must be a non-empty list of finite numbers")
    if b[0] <= 0 or (np.diff(b) <= 0).any():
        raise ValueError(f"{name} breaks must be positive and strictly increasing (got {b})")
    return b


def _spatial_labels(
    b: FloatArray, convention: Convention, same: bool
) -> tuple[list[str], list[str]]:
    """(table labels, sentence phrases) for the spatial bands."""
    labels: list[str] = []
    phrases: list[str] = []
    if same:
        labels.append("Same location" if convention == "calculator" else "same location")
        phrases.append("at the same location as")
    lows = np.concatenate([[0.0], b[:-1]])
    for lo, hi in zip(lows.tolist(), b.tolist(), strict=True):
        if convention == "calculator":
            a = 1.0 if lo == 0 else lo + 1
            labels.append(f"{_fmt(a)} to {_fmt(hi)}")
            phrases.append(f"{_fmt(a)}–{_fmt(hi)} m from")
        elif convention == "right-open":
            if lo == 0:
                labels.append(f"{'>0' if same else '0'} to <{_fmt(hi)} m")
                phrases.append(
                    f"less than {_fmt(hi)} m (but not at the same location) from"
                    if same
                    else f"less than {_fmt(hi)} m from"
                )
            else:
                labels.append(f"{_fmt(lo)} to <{_fmt(hi)} m")
                phrases.append(f"{_fmt(lo)} to less than {_fmt(hi)} m from")
        else:
            if lo == 0 and not same:
                labels.append(f"0 to {_fmt(hi)} m")
                phrases.append(f"up to {_fmt(hi)} m from")
            else:
                labels.append(f">{_fmt(lo)} to {_fmt(hi)} m")
                phrases.append(f"more than {_fmt(lo)} m and up to {_fmt(hi)} m from")
    last = float(b[-1])
    if convention == "calculator":
        labels.append(f"More than {_fmt(last)}")
        phrases.append(f"more than {_fmt(last)} m from")
    elif convention == "right-open":
        labels.append(f"≥{_fmt(last)} m")
        phrases.append(f"{_fmt(last)} m or more from")
    else:
        labels.append(f">{_fmt(last)} m")
        phrases.append(f"more than {_fmt(last)} m from")
    return labels, phrases


def _days(lo: float, hi: float) -> str:
    if lo == hi:
        return "0 days (the same day)" if lo == 0 else f"{_fmt(lo)} days"
    return f"{_fmt(lo)}–{_fmt(hi)} days"


def _temporal_labels(t: FloatArray, convention: Convention) -> tuple[list[str], list[str]]:
    labels: list[str] = []
    phrases: list[str] = []
    integral = bool(np.all(t == np.round(t)))
    lows = np.concatenate([[0.0], t[:-1]])
    for lo, hi in zip(lows.tolist(), t.tolist(), strict=True):
        if convention == "calculator":
            a = 0.0 if lo == 0 else lo + 1
            labels.append(f"{_fmt(a)} to {_fmt(hi)}")
            phrases.append(_days(a, hi))
        elif convention == "right-open":
            if integral:
                labels.append(_days(lo, hi - 1))
                phrases.append(_days(lo, hi - 1))
            else:
                labels.append(f"{_fmt(lo)} to <{_fmt(hi)} days")
                phrases.append(f"{_fmt(lo)} to less than {_fmt(hi)} days")
        else:
            a = lo if lo == 0 else (lo + 1 if integral else lo)
            if integral or lo == 0:
                labels.append(_days(a, hi))
                phrases.append(_days(a, hi))
            else:
                labels.append(f">{_fmt(lo)} to {_fmt(hi)} days")
                phrases.append(f"more than {_fmt(lo)} and up to {_fmt(hi)} days")
    last = float(t[-1])
    if convention == "calculator":
        labels.append(f"More than {_fmt(last)}")
        phrases.append(f"more than {_fmt(last)} days")
    elif convention == "right-open":
        labels.append(f"≥{_fmt(last)} days")
        phrases.append(f"{_fmt(last)} or more days")
    else:
        labels.append(f">{_fmt(last)} days")
        phrases.append(f"more than {_fmt(last)} days")
    return labels, phrases


def _band_index(values: FloatArray, breaks: FloatArray, convention: Convention) -> IntArray:
    side: Literal["left", "right"] = "left" if convention == "right-closed" else "right"
    return np.searchsorted(breaks, values, side=side).astype(np.int64)


# --------------------------------------------------------------------------------------------
# result
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class KnoxResult:
    """Knox test tables: rows are distance bands, columns time bands."""

    spatial_labels: tuple[str, ...]
    temporal_labels: tuple[str, ...]
    spatial_breaks: FloatArray
    temporal_breaks: FloatArray
    observed: IntArray
    expected: FloatArray
    expected_exact: FloatArray
    knox_ratio: FloatArray
    p_value: FloatArray
    permutations: int
    convention: str
    metric: str
    same_location: bool
    n_events: int
    n_pairs: int
    seed: int | None
    _spatial_phrases: tuple[str, ...] = field(repr=False, default=())
    _temporal_phrases: tuple[str, ...] = field(repr=False, default=())

    @property
    def percent_more_likely(self) -> FloatArray:
        """(Knox ratio − 1) × 100, the NRC's "percent greater"."""
        return (self.knox_ratio - 1.0) * 100.0

    def cell(self, spatial: str, temporal: str) -> dict[str, float]:
        """Observed, expected, ratio and p for one (spatial label, temporal label) cell."""
        i = self.spatial_labels.index(spatial)
        j = self.temporal_labels.index(temporal)
        return {
            "observed": float(self.observed[i, j]),
            "expected": float(self.expected[i, j]),
            "expected_exact": float(self.expected_exact[i, j]),
            "knox_ratio": float(self.knox_ratio[i, j]),
            "p_value": float(self.p_value[i, j]),
        }

    def summary(self, alpha: float = 0.05) -> str:
        """Plain-English findings: each near band with significantly more pairs than chance."""
        if self.permutations == 0:
            return (
                "No permutations were run, so significance cannot be judged; Knox ratios use "
                "the exact expected counts."
            )
        lines: list[str] = []
        n_s, n_t = self.observed.shape
        for i in range(n_s - 1):
            for j in range(n_t - 1):
                ratio, p = float(self.knox_ratio[i, j]), float(self.p_value[i, j])
                if not (p <= alpha and ratio > 1):
                    continue
                pct = math.floor((ratio - 1) * 100 + 0.5)
                where = self._spatial_phrases[i]
                lines.append(
                    f"Events {where} an earlier event and {self._temporal_phrases[j]} after it "
                    f"were about {pct:,}% more likely than expected by chance "
                    f"(Knox ratio {ratio:.2f}, p = {p:.2g})."
                )
        if not lines:
            lines.append(
                "No near space–time band had significantly more pairs of events than expected "
                f"by chance (p ≤ {alpha:g})."
            )
        p_min = 1.0 / (self.permutations + 1)
        lines.append(
            f"Based on {self.n_events:,} events ({self.n_pairs:,} pairs) and "
            f"{self.permutations} random permutations of the dates; the smallest possible "
            f"p-value is {p_min:.2g}. This describes the period analysed, not a forecast."
        )
        if self.convention == "calculator":
            first = float(self.temporal_breaks[0])
            lines.append(
                "Bands are labelled as the Near Repeat Calculator labels them, but it counts "
                f"right-open bands: its '{self.temporal_labels[0]}' days means "
                f"{_days(0.0, first - 1)} apart (and '{self.spatial_labels[1]}' means "
                f"under {_fmt(float(self.spatial_breaks[0]))} m)."
            )
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# the test
# --------------------------------------------------------------------------------------------


def _pair_counts_by_lag(days: IntArray) -> FloatArray:
    """c[δ] = number of unordered event pairs whose dates differ by δ days."""
    offs = days - days.min()
    hist = np.bincount(offs)
    if hist.size <= 1_500:  # about 4 years of days: exact integer correlation (≤ 5 ms)
        corr = np.correlate(hist, hist, mode="full")[hist.size - 1 :].astype(np.float64)
    else:
        h = hist.astype(np.float64)
        corr = np.rint(signal.fftconvolve(h, h[::-1], mode="full")[hist.size - 1 :])
    corr[0] = float((hist * (hist - 1) // 2).sum())
    return np.asarray(corr, dtype=np.float64)


def knox_test(
    x: ArrayLike,
    y: ArrayLike,
    dates: ArrayLike,
    *,
    spatial_bandwidth: float = 100.0,
    n_spatial_bands: int = 3,
    temporal_bandwidth: float = 7.0,
    n_temporal_bands: int = 3,
    spatial_breaks: Sequence[float] | None = None,
    temporal_breaks: Sequence[float] | None = None,
    metric: Metric = "euclidean",
    convention: Convention = "right-open",
    same_location: bool = True,
    permutations: int = 99,
    seed: int | None = None,
    assume_daily: bool = False,
) -> KnoxResult:
    """Knox test for near-repeat (space–time) clustering of events.

    Method: Knox (1964); Near Repeat Calculator (Ratcliffe; Johnson et al. 2007) with date
    permutation (METHODS.md §4.4); interval semantics per ``convention`` (module docs).
    ``x``/``y`` in metres (EPSG:27700); ``dates`` at day resolution (month-resolution dates
    are refused, see :func:`dates_to_days`); ``metric`` "euclidean" or "manhattan".

    Implementation: the pairs closer than the largest spatial break are found once with
    ``cKDTree.query_pairs``; each permutation only re-draws the dates of those pairs. Pairs
    beyond the last break are obtained by subtraction from the (permutation-invariant) count
    of all pairs per time band, so the work per permutation is proportional to the number of
    close pairs, not n².
    """
    xa, ya = _as_xy(x, y)
    n = xa.size
    days = dates_to_days(dates, assume_daily=assume_daily)
    if days.size != n:
        raise ValueError(f"dates must have one value per event (got {days.size} for {n} events)")
    if n < 2:
        raise ValueError("the Knox test needs at least 2 events")
    if metric not in ("euclidean", "manhattan"):
        raise ValueError(f"metric must be 'euclidean' or 'manhattan' (got {metric!r})")
    if convention not in ("right-open", "right-closed", "calculator"):
        raise ValueError(
            f"convention must be 'right-open', 'right-closed' or 'calculator' ({convention!r})"
        )
    if permutations < 0:
        raise ValueError(f"permutations must be ≥ 0 (got {permutations})")
    sb = _breaks(spatial_breaks, spatial_bandwidth, n_spatial_bands, "spatial")
    tb = _breaks(temporal_breaks, temporal_bandwidth, n_temporal_bands, "temporal")
    if convention == "calculator":
        if not same_location:
            raise ValueError("the calculator convention always has a same-location band")
        xa = xa.astype(np.float32).astype(np.float64)
        ya = ya.astype(np.float32).astype(np.float64)

    n_near = sb.size + (1 if same_location else 0)  # spatial bands before "beyond"
    n_s = n_near + 1
    n_t = tb.size + 1
    n_pairs = n * (n - 1) // 2

    # close pairs (a little beyond the last break so the closed convention is safe)
    tree = cKDTree(np.column_stack([xa, ya]))
    p_norm = 2.0 if metric == "euclidean" else 1.0
    pairs = tree.query_pairs(float(sb[-1]) * (1 + 1e-9) + 1e-9, p=p_norm, output_type="ndarray")
    pi, pj = pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)
    dx, dy = xa[pi] - xa[pj], ya[pi] - ya[pj]
    dist = np.hypot(dx, dy) if metric == "euclidean" else np.abs(dx) + np.abs(dy)
    sband = _band_index(dist, sb, convention)  # 0..len(sb); len(sb) = beyond
    if same_location:
        sband = np.where(dist == 0, 0, sband + 1)
    near = sband < n_near
    pi, pj, sband = pi[near], pj[near], sband[near]

    # time-band lookup for every possible lag, and the all-pairs time marginal
    span = int(days.max() - days.min())
    lut = _band_index(np.arange(span + 1, dtype=np.float64), tb, convention)
    by_lag = _pair_counts_by_lag(days)
    marginal_t = np.bincount(lut, weights=by_lag, minlength=n_t)

    def table(d: IntArray) -> IntArray:
        tband = lut[np.abs(d[pi] - d[pj])]
        near_tab = np.bincount(sband * n_t + tband, minlength=n_near * n_t).reshape(n_near, n_t)
        beyond = np.rint(marginal_t).astype(np.int64) - near_tab.sum(axis=0)
        return np.vstack([near_tab, beyond[None, :]]).astype(np.int64)

    observed = table(days)
    rows_total = observed.sum(axis=1).astype(np.float64)
    expected_exact = np.outer(rows_total, marginal_t) / n_pairs

    if permutations:
        rng = np.random.default_rng(seed)
        ge = np.zeros((n_s, n_t), dtype=np.int64)
        acc = np.zeros((n_s, n_t), dtype=np.float64)
        for _ in range(permutations):
            sim = table(days[rng.permutation(n)])
            acc += sim
            ge += sim >= observed
        expected = acc / permutations
        p_value = np.asarray((ge + 1.0) / (permutations + 1.0), dtype=np.float64)
    else:
        expected = expected_exact.copy()
        p_value = np.full((n_s, n_t), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(expected > 0, observed / expected, np.nan)

    s_labels, s_phr = _spatial_labels(sb, convention, same_location)
    t_labels, t_phr = _temporal_labels(tb, convention)
    return KnoxResult(
        spatial_labels=tuple(s_labels),
        temporal_labels=tuple(t_labels),
        spatial_breaks=sb,
        temporal_breaks=tb,
        observed=observed,
        expected=expected,
        expected_exact=expected_exact,
        knox_ratio=ratio,
        p_value=p_value,
        permutations=permutations,
        convention=convention,
        metric=metric,
        same_location=same_location,
        n_events=n,
        n_pairs=n_pairs,
        seed=seed,
        _spatial_phrases=tuple(s_phr),
        _temporal_phrases=tuple(t_phr),
    )
