"""Disclosure control: access rules, and suppression that an intruder cannot undo."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.publish.attacker import equations, exact_recoveries, interval_recoveries

from saferplaces.publish import disclosure
from saferplaces.publish.disclosure import (
    Audience,
    Dimension,
    DisclosureRefused,
    Sensitivity,
    access_mode,
    audience_for_role,
    protect,
    round_to_base,
    suppression_pattern,
)

# --------------------------------------------------------------------------------------------
# access
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("audience", ["public", "parish_council"])
def test_restricted_refused_for_public_and_parish(audience: str) -> None:
    with pytest.raises(DisclosureRefused, match="restricted") as exc:
        access_mode("restricted", audience, 10, dataset="marac")
    assert isinstance(exc.value, PermissionError)


def test_access_matrix() -> None:
    got = {
        (s.value, a.value): access_mode(s, a, 10)
        for s in Sensitivity
        for a in Audience
        if not (s is Sensitivity.RESTRICTED and a.rank < 2)
    }
    assert got == {
        ("public", "public"): "controlled",
        ("public", "parish_council"): "controlled",
        ("public", "partner"): "raw",
        ("public", "analyst"): "raw",
        ("partners", "public"): "controlled",
        ("partners", "parish_council"): "controlled",
        ("partners", "partner"): "raw",
        ("partners", "analyst"): "raw",
        ("restricted", "partner"): "controlled",
        ("restricted", "analyst"): "raw",
    }
    # A public dataset with no threshold is raw for everyone.
    assert access_mode("public", "public", 0) == "raw"


def test_audience_for_role() -> None:
    assert audience_for_role("opcc") is Audience.PARTNER
    assert audience_for_role("admin") is Audience.ANALYST
    assert audience_for_role("parish_council") is Audience.PARISH_COUNCIL
    assert audience_for_role("someone-new") is Audience.PUBLIC


# --------------------------------------------------------------------------------------------
# suppression: worked examples
# --------------------------------------------------------------------------------------------

WARDS = {"w1": "dA", "w2": "dA", "w3": "dB", "w4": "dB"}
MONTHS = {"2023-01": "2023", "2023-02": "2023", "2023-03": "2023"}


def _dims() -> list[Dimension]:
    return [Dimension("ward", tuple(WARDS), WARDS), Dimension("month", tuple(MONTHS), MONTHS)]


def test_worked_example_from_the_docs() -> None:
    """The example in docs/disclosure.md, value for value."""
    counts = [[12, 3, 15], [20, 22, 18], [11, 14, 0], [25, 30, 28]]
    cells = {(w, m): counts[i][j] for i, w in enumerate(WARDS) for j, m in enumerate(MONTHS)}
    t = protect(cells, _dims(), threshold=10)
    assert t.get(("w2", "2023-01")) == 20
    assert t.get(("w1", "2023-02")) is None  # primary: 3
    assert t.get(("w3", "2023-03")) == 0  # zeros are shown
    hidden = sorted(k for k in t.suppressed)
    assert hidden == [("w1", "2023-02"), ("w1", "2023-03"), ("w2", "2023-02"), ("w2", "2023-03")]
    assert t.get((None, None)) == 198
    assert t.get(("dA", "2023")) == 90
    assert "1 to 9" in t.footnotes[0]
    eqs = equations([(tuple(WARDS), WARDS), (tuple(MONTHS), MONTHS)])
    assert exact_recoveries(t.values, eqs) == {}
    assert interval_recoveries(t.values, eqs, 1.0) == {}


def test_small_hidden_sum_gets_a_third_complement() -> None:
    """Two suppressed 1s in a row whose total is shown would be pinned (1 + 1 = 2, each ≥ 1):
    the group rule hides a third cell so that the hidden part of the row is ≥ threshold."""
    row = {"a": "x", "b": "x", "c": "x"}
    dims = [Dimension("k", tuple(row), {})]
    t = protect({("a",): 1, ("b",): 1, ("c",): 48}, dims, threshold=10)
    assert t.values == {("a",): None, ("b",): None, ("c",): None, (None,): 50}


def test_zero_and_large_cells_are_published_unchanged_without_small_counts() -> None:
    cells = {(w, m): 40 for w in WARDS for m in MONTHS}
    cells[("w1", "2023-01")] = 0
    t = protect(cells, _dims(), threshold=10)
    assert not t.suppressed and t.footnotes == ()
    assert t.get(("w1", "2023-01")) == 0


def test_rounding_to_base_five() -> None:
    assert [round_to_base(v, 5) for v in (0, 2, 3, 12, 13, 17, 18)] == [0, 0, 5, 10, 15, 15, 20]
    cells = {(w, m): 13 for w in WARDS for m in MONTHS}
    t = protect(cells, _dims(), threshold=10, rounding=5)
    assert t.get(("w1", "2023-01")) == 15 and t.get((None, None)) == 155  # 156 → 155
    assert any("nearest 5" in f for f in t.footnotes)


def test_threshold_below_two_suppresses_nothing() -> None:
    cells = {(w, m): 1 for w in WARDS for m in MONTHS}
    assert not protect(cells, _dims(), threshold=0).suppressed
    assert not suppression_pattern(cells, _dims(), 1).suppressed


def test_result_is_deterministic_and_order_independent() -> None:
    rng = np.random.default_rng(3)
    cells = {(w, m): int(rng.integers(0, 25)) for w in WARDS for m in MONTHS}
    a = protect(cells, _dims(), threshold=10)
    b = protect(dict(reversed(list(cells.items()))), _dims(), threshold=10)
    assert a.values == b.values


def test_too_large_a_linked_block_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(disclosure, "MAX_AUDIT", 2)
    cells = {(w, m): 3 for w in WARDS for m in MONTHS}
    with pytest.raises(disclosure.TableTooLargeError, match="group by fewer"):
        protect(cells, _dims(), threshold=10)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="not a leaf"):
        protect({("nowhere", "2023-01"): 3}, _dims(), threshold=10)
    with pytest.raises(ValueError, match="non-negative"):
        protect({("w1", "2023-01"): -3}, _dims(), threshold=10)
    with pytest.raises(ValueError, match="rounding"):
        protect({}, _dims(), threshold=10, rounding=1)


# --------------------------------------------------------------------------------------------
# suppression: property tests with the intruder
# --------------------------------------------------------------------------------------------


@st.composite
def hierarchical_tables(
    draw: st.DrawFn, n_dims: int = 2
) -> tuple[list[Dimension], dict[tuple[Any, ...], int], int]:
    """Random tables: areas (wards in districts), periods (months in years), categories."""
    dims: list[Dimension] = []
    shapes = [("ward", "d"), ("month", "y"), ("cat", None)][:n_dims]
    small = n_dims > 2
    for name, parent_prefix in shapes:
        if parent_prefix is None:
            leaves = [f"c{i}" for i in range(draw(st.integers(2, 3)))]
            dims.append(Dimension(name, tuple(leaves), {}))
            continue
        n_par = draw(st.integers(1, 2 if small else 3))
        parents: dict[Hashable, Hashable] = {}
        for p in range(n_par):
            for c in range(draw(st.integers(1, 2 if small else 3))):
                parents[f"{name}{p}.{c}"] = f"{parent_prefix}{p}"
        dims.append(Dimension(name, tuple(parents), parents))
    size = int(np.prod([len(d.leaves) for d in dims]))
    # Mostly small counts, some zeros and some large: the hard case for suppression.
    values = draw(
        st.lists(
            st.one_of(st.integers(0, 0), st.integers(1, 12), st.integers(13, 60)),
            min_size=size,
            max_size=size,
        )
    )
    keys = list(np.ndindex(*[len(d.leaves) for d in dims]))
    cells = {
        tuple(d.leaves[i] for d, i in zip(dims, idx, strict=True)): v
        for idx, v in zip(keys, values, strict=True)
    }
    threshold = draw(st.sampled_from([3, 5, 10]))
    return dims, cells, threshold


def _attack(dims: list[Dimension], published: Mapping[tuple[Any, ...], Any]) -> None:
    eqs = equations([(d.leaves, d.parents) for d in dims])
    assert exact_recoveries(published, eqs) == {}, "a suppressed value is determined exactly"
    assert interval_recoveries(published, eqs, 1.0) == {}, "a suppressed value is pinned"


def _check(dims: list[Dimension], cells: dict[tuple[Any, ...], int], threshold: int) -> None:
    t = protect(cells, dims, threshold=threshold)
    pattern = suppression_pattern(cells, dims, threshold)
    assert pattern.suppressed == t.suppressed
    truth = protect(cells, dims, threshold=0).values
    for key, v in t.values.items():
        if v is None:
            continue
        # Everything published is exact and never a small number.
        assert v == truth[key]
        assert v == 0 or v >= threshold
    for key in pattern.primary:
        assert 0 < truth[key] < threshold  # type: ignore[operator]
    assert all(truth[k] != 0 for k in t.suppressed)  # zeros are never hidden
    _attack(dims, t.values)


_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(hierarchical_tables(2))
def test_two_way_hierarchical_tables_resist_differencing(
    table: tuple[list[Dimension], dict[tuple[Any, ...], int], int],
) -> None:
    _check(*table)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hierarchical_tables(1))
def test_one_way_tables_resist_differencing(
    table: tuple[list[Dimension], dict[tuple[Any, ...], int], int],
) -> None:
    _check(*table)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hierarchical_tables(3))
def test_three_way_tables_resist_differencing(
    table: tuple[list[Dimension], dict[tuple[Any, ...], int], int],
) -> None:
    _check(*table)


def test_the_exact_audit_is_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the audit (group rules only) the intruder recovers values in some tables: the
    property tests above would fail if the audit were removed."""
    rng = np.random.default_rng(10)
    monkeypatch.setattr(disclosure, "_pinned", lambda lat, sup: [])
    leaks = 0
    wards = {f"w{i}": f"d{i % 3}" for i in range(9)}
    months = {f"m{i}": f"y{i // 3}" for i in range(6)}
    dims = [Dimension("w", tuple(wards), wards), Dimension("m", tuple(months), months)]
    eqs = equations([(d.leaves, d.parents) for d in dims])
    for _ in range(30):
        cells = {(w, m): int(rng.choice([0, 1, 2, 4, 8, 15, 30])) for w in wards for m in months}
        t = protect(cells, dims, threshold=10)
        if exact_recoveries(t.values, eqs) or interval_recoveries(t.values, eqs, 1.0):
            leaks += 1
            monkeypatch.undo()
            _check(dims, cells, 10)
            break
    assert leaks, "expected the group rules alone to leak in at least one table"
