"""Hotspot burden by group and proactive-category hotspots."""

from __future__ import annotations

import numpy as np
import pytest

from saferplaces.stats.equality import hotspot_burden, proactive_share

AREAS = ["E01", "E02", "E03", "E04", "E05", "E06"]
POP = [1000, 1500, 2000, 1500, 2000, 2000]  # 10,000 residents
DECILE = [1, 1, 5, 5, 10, 10]


def test_burden_hand_computed() -> None:
    rep = hotspot_burden(["E01", "E02", "E04"], AREAS, POP, DECILE, group_name="IMD decile")
    assert rep.total_population == 10_000 and rep.hotspot_population == 4_000
    assert rep.overall_share == pytest.approx(0.4)
    by = {g.group: g for g in rep.groups}
    assert list(by) == ["1", "5", "10"]
    assert by["1"].share_in_hotspots == pytest.approx(1.0)  # all 2,500 decile-1 residents
    assert by["1"].ratio == pytest.approx(2.5)
    assert by["5"].share_in_hotspots == pytest.approx(1500 / 3500)
    assert by["5"].ratio == pytest.approx((1500 / 3500) / 0.4)
    assert by["10"].ratio == 0.0
    assert by["1"].share_of_hotspot_population == pytest.approx(2500 / 4000)
    assert sum(g.share_of_population for g in rep.groups) == pytest.approx(1.0)
    assert "40% of residents (4,000 of 10,000) live in the 3 hotspot areas (of 6)." in rep.note
    assert "Residents of IMD decile 1 are 2.5 times more likely" in rep.note
    assert "No residents of IMD decile 10 live in a hotspot area." in rep.note
    assert "decile 5" not in rep.note  # ratio 1.07: not notable
    assert "recording also reflects where police patrol" in rep.note


def test_burden_without_groups_and_with_nothing_notable() -> None:
    rep = hotspot_burden(["E01"], AREAS, POP)
    assert rep.groups == () and rep.overall_share == pytest.approx(0.1)
    even = hotspot_burden(["E01", "E03"], AREAS[:4], [1, 1, 1, 1], ["a", "a", "b", "b"])
    assert "No group is markedly over- or under-represented" in even.note


def test_burden_failures() -> None:
    with pytest.raises(ValueError, match="not in area_ids"):
        hotspot_burden(["E99"], AREAS, POP)
    with pytest.raises(ValueError, match="one value per area"):
        hotspot_burden(["E01"], AREAS, POP[:3])
    with pytest.raises(ValueError, match="duplicates"):
        hotspot_burden(["E01"], ["E01", "E01"], [1, 2])
    with pytest.raises(ValueError, match="negative"):
        hotspot_burden(["E01"], ["E01", "E02"], [1, -2])
    with pytest.raises(ValueError, match="no population"):
        hotspot_burden(["E01"], ["E01", "E02"], [0, 0])
    with pytest.raises(ValueError, match="empty"):
        hotspot_burden([], [], [])


def test_proactive_share_flags_strictly_over_threshold() -> None:
    cells = np.array([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3])
    cats = np.array(
        [
            "drugs",
            "possession-of-weapons",
            "Drugs",
            "burglary",  # cell 1: 3/4 proactive
            "drugs",
            "Possession of weapons",
            "shoplifting",
            "robbery",  # cell 2: exactly 1/2
            "burglary",
            "vehicle-crime",
            "drugs",  # cell 3: 1/3
        ]
    )
    rep = proactive_share(cells, cats)
    assert rep.units.tolist() == [1, 2, 3]
    np.testing.assert_allclose(rep.share, [0.75, 0.5, 1 / 3])
    assert rep.flagged.tolist() == [True, False, False]  # 0.5 is not "more than half"
    assert rep.note.startswith("1 of 3 areas is driven by proactive police activity")
    assert "1 (75%)" in rep.note and "where police looked" in rep.note


def test_proactive_share_for_selected_hotspots() -> None:
    cells = np.array(["a", "a", "b"])
    cats = np.array(["burglary", "drugs", "burglary"])
    rep = proactive_share(cells, cats, hotspot_ids=["b", "z"])
    assert rep.units.tolist() == ["b", "z"]
    assert rep.total.tolist() == [1.0, 0.0] and np.isnan(rep.share[1])
    assert not rep.flagged.any()
    assert rep.note.startswith("None of the 2 hotspots is driven by proactive categories")
    custom = proactive_share(cells, cats, proactive=["burglary"], threshold=0.4)
    assert custom.flagged.tolist() == [True, True]


def test_proactive_failures() -> None:
    with pytest.raises(ValueError, match="one value per crime"):
        proactive_share([1, 2], ["drugs"])
    with pytest.raises(ValueError, match="non-empty"):
        proactive_share([], [])
    with pytest.raises(ValueError, match="threshold"):
        proactive_share([1], ["drugs"], threshold=1.0)
