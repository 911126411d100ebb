"""Shared private helpers for ``saferplaces.stats``: input checks and plain-English wording.

Every statistic validates its inputs the same way (ValueError naming the argument and the first
bad position) and words its results the same way (counts, not percentages, for small numbers;
never "up" or "down" as a real change unless a test says so).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

# Below this many events we describe counts ("2 to 6"), not percentages ("+200%"): a
# percentage of a handful of crimes overstates how much we know (METHODS §3.3, §6.2 rule 5).
SMALL_COUNT = 10


def as_float_array(values: ArrayLike, name: str) -> FloatArray:
    """``values`` as a 1-D float array; ValueError for NaN, infinity or more than one dimension."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional (got shape {arr.shape})")
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name} must be finite numbers (got {arr[i]} at position {i})")
    return arr


def check_non_negative(arr: FloatArray, name: str) -> None:
    """ValueError naming the first negative element."""
    if (arr < 0).any():
        i = int(np.flatnonzero(arr < 0)[0])
        raise ValueError(f"{name} must not be negative (got {arr[i]:g} at position {i})")


def check_positive(arr: FloatArray, name: str, what: str = "") -> None:
    """ValueError naming the first element that is zero or negative."""
    if (arr <= 0).any():
        i = int(np.flatnonzero(arr <= 0)[0])
        hint = f"; {what}" if what else ""
        raise ValueError(f"{name} must be greater than zero (got {arr[i]:g} at position {i}){hint}")


def check_same_length(**arrays: FloatArray) -> None:
    """ValueError when the named arrays differ in length."""
    lengths = {k: len(v) for k, v in arrays.items()}
    if len(set(lengths.values())) > 1:
        desc = ", ".join(f"{k} has {n}" for k, n in lengths.items())
        raise ValueError(f"arrays must have the same length: {desc}")


def counts_array(values: ArrayLike, name: str = "counts") -> FloatArray:
    """Finite, non-negative counts as floats."""
    arr = as_float_array(values, name)
    check_non_negative(arr, name)
    return arr


def scalar(value: float, name: str) -> float:
    """A finite float; ValueError otherwise."""
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be a finite number (got {value!r})")
    return v


def z_for(confidence: float) -> float:
    """Two-sided normal quantile for ``confidence`` (0.95 → 1.959964, 0.998 → 3.090232).

    PHE/OHID round these to 1.96 and 3.09; we use the exact quantile, as PHEindicatormethods
    does (``qnorm(confidence + (1 - confidence) / 2)``).
    """
    c = float(confidence)
    if not 0.5 <= c < 1:
        raise ValueError(
            "confidence must be a proportion between 0.5 and 1, e.g. 0.95 or 0.998 "
            f"(got {confidence!r})"
        )
    return float(stats.norm.ppf(0.5 + c / 2))


def check_alpha(alpha: float) -> float:
    """A significance level in (0, 0.5]."""
    a = float(alpha)
    if not 0 < a <= 0.5:
        raise ValueError(f"alpha must be between 0 and 0.5, e.g. 0.05 (got {alpha!r})")
    return a


def fmt_num(x: float) -> str:
    """A number for prose: whole numbers without decimals, others to 3 significant figures."""
    if float(x).is_integer():
        return f"{int(x):,}"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def fmt_p(p: float) -> str:
    """``p = 0.17``, ``p = 0.046``, ``p < 0.001``."""
    if p < 0.001:
        return "p < 0.001"
    if p < 0.1:
        return f"p = {p:.3f}"
    return f"p = {p:.2f}"


def fmt_pct_change(before: float, after: float) -> str:
    """``+56%`` / ``-20%``; empty when the baseline is zero (a percentage of nothing)."""
    if before == 0:
        return ""
    pct = 100.0 * (after - before) / before
    return f"{pct:+.0f}%"


def describe_change(before: float, after: float) -> tuple[str, str]:
    """(observed direction, phrase) such as ("up", "Up from 16 to 25 (+56%)").

    With fewer than :data:`SMALL_COUNT` events in either period the phrase gives the difference
    in counts ("4 more") instead of a percentage.
    """
    b, a = fmt_num(before), fmt_num(after)
    if after == before:
        return "none", f"Unchanged at {a}"
    direction = "up" if after > before else "down"
    diff = abs(after - before)
    if min(before, after) < SMALL_COUNT:
        detail = f"{fmt_num(diff)} {'more' if direction == 'up' else 'fewer'}"
    else:
        detail = fmt_pct_change(before, after)
    word = "Up" if direction == "up" else "Down"
    return direction, f"{word} from {b} to {a} ({detail})"


def significance_clause(significant: bool, direction: str, evidence: str) -> str:
    """The second half of a verdict; ``evidence`` names the test, e.g. ``"E-test p = 0.17"``."""
    if significant and direction in ("up", "down"):
        kind = "increase" if direction == "up" else "decrease"
        return f"; this {kind} is statistically significant ({evidence})."
    if direction == "none":
        return f" ({evidence})."
    return f", but this change is not statistically significant ({evidence})."
