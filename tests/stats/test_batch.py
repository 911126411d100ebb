"""The batch XmR and C-test agree, row by row, with the single-series functions (which are
validated against published values in test_spc.py and test_change.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from saferplaces.stats.batch import (
    COMMON,
    CONCERN,
    IMPROVEMENT,
    NEUTRAL,
    c_test_batch,
    xmr_batch,
)
from saferplaces.stats.change import conditional_test
from saferplaces.stats.spc import xmr

CODES = {
    "common_cause": COMMON,
    "special_cause_improvement": IMPROVEMENT,
    "special_cause_concern": CONCERN,
    "special_cause_neutral_high": NEUTRAL,
    "special_cause_neutral_low": NEUTRAL,
}


@settings(max_examples=150, deadline=None)
@given(
    m=arrays(
        np.int64, st.tuples(st.integers(1, 6), st.integers(2, 40)), elements=st.integers(0, 30)
    ),
    improvement=st.sampled_from(["increase", "decrease", "neutral"]),
)
def test_xmr_batch_matches_single(m: np.ndarray, improvement: str) -> None:
    values = m.astype(float)
    batch = xmr_batch(values, improvement=improvement)  # type: ignore[arg-type]
    for i, row in enumerate(values):
        one = xmr(row, improvement=improvement)  # type: ignore[arg-type]
        assert batch.centre[i] == pytest.approx(one.centre[0])
        assert batch.upper[i] == pytest.approx(one.upper[0])
        assert batch.lower[i] == pytest.approx(one.lower[0])
        for rule, flags in one.flags.items():
            assert (batch.flags[rule][i] == flags).all(), rule
        assert (batch.side[i] == one.side).all()
        assert list(batch.point_type[i]) == [CODES[t] for t in one.point_type]


def test_xmr_batch_detects_a_real_shift_not_noise() -> None:
    rng = np.random.default_rng(5)
    noise = rng.poisson(50, (200, 30)).astype(float)
    shifted = noise.copy()
    shifted[:, 20:] += 25  # ~3.5 sigma shift for the last 10 points
    b_noise = xmr_batch(noise, improvement="decrease")
    b_shift = xmr_batch(shifted, improvement="decrease")
    assert (b_shift.point_type[:, -1] == CONCERN).mean() > 0.9
    assert (b_noise.point_type[:, -1] != COMMON).mean() < 0.15


@settings(max_examples=200, deadline=None)
@given(
    b=st.integers(0, 400),
    a=st.integers(0, 400),
    tb=st.floats(0.5, 3),
    ta=st.floats(0.5, 3),
)
def test_c_test_batch_matches_single(b: int, a: int, tb: float, ta: float) -> None:
    p = c_test_batch([b], [a], [tb], [ta])[0]
    one = conditional_test(b, a, before_exposure=tb, after_exposure=ta)
    assert p == pytest.approx(one.p_value, rel=1e-9, abs=1e-12)


def test_batch_input_errors() -> None:
    with pytest.raises(ValueError, match="2-D"):
        xmr_batch(np.ones(5))
    with pytest.raises(ValueError, match="finite"):
        xmr_batch(np.array([[1.0, np.nan, 2.0]]))
    with pytest.raises(ValueError, match="exposures"):
        c_test_batch([1], [2], [0.0], [1.0])
