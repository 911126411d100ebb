"""Near-repeat and hotspot analysis of dated partner data."""

from __future__ import annotations

import numpy as np
import pytest
from tests.partners.conftest import ASB_HEADER, TODAY, WriteCsv, asb_rows

from saferplaces.partners import import_file
from saferplaces.partners._examples import example_path
from saferplaces.partners.analysis import AnalysisError, hotspot_grid, near_repeat, points
from saferplaces.publish.disclosure import DisclosureRefused
from saferplaces.stats.hotspots import GridHotspots
from saferplaces.stats.kde import KDEResult
from saferplaces.stats.nearrepeat import knox_test
from saferplaces.workspace import Workspace


def test_knox_on_day_resolution_asb_finds_the_planted_burst(ws: Workspace) -> None:
    import_file(ws, "council_asb", example_path("council_asb"), today=TODAY)
    res = near_repeat(ws, "council_asb", permutations=39, seed=3)
    pts = points(ws, "council_asb")
    assert pts.dropped == 17 and pts.x.size == 288  # rows with no location are left out
    assert res.n_events == 288
    # The wrapper passes exactly the stored points and dates to the library.
    direct = knox_test(pts.x, pts.y, pts.dates, permutations=39, seed=3)
    assert np.array_equal(res.observed, direct.observed)
    near = res.cell(res.spatial_labels[1], res.temporal_labels[0])
    assert near["knox_ratio"] > 2 and near["p_value"] <= 0.05


def test_datetime_fire_data_and_hotspots(ws: Workspace) -> None:
    import_file(ws, "fire_deliberate", example_path("fire_deliberate"), today=TODAY)
    res = near_repeat(
        ws, "fire_deliberate", permutations=9, seed=1, where={"fire_type": "secondary"}
    )
    secondary = points(ws, "fire_deliberate", where={"fire_type": "secondary"})
    assert res.n_events == secondary.x.size and 100 < res.n_events < 250
    gi = hotspot_grid(ws, "fire_deliberate", cell_size=250)
    assert isinstance(gi, GridHotspots)
    surface = hotspot_grid(ws, "fire_deliberate", method="kde", cell_size=100, bandwidth=400)
    assert isinstance(surface, KDEResult)
    assert surface.total_weight == 250


def test_month_resolution_is_refused_with_the_library_message(
    ws: Workspace, write_csv: WriteCsv
) -> None:
    rows = asb_rows(30)
    for r in rows:
        r[1] = "2024-01-01"  # months written as the 1st, like police.uk
    import_file(ws, "council_asb", write_csv("m.csv", ASB_HEADER, rows), today=TODAY)
    with pytest.raises(AnalysisError) as exc:
        near_repeat(ws, "council_asb")
    assert "The Knox near-repeat test needs dates to the day" in str(exc.value)
    assert "police.uk" in str(exc.value)
    # A spatial hotspot map does not need days.
    assert hotspot_grid(ws, "council_asb", method="counts", cell_size=200).counts.sum() == 30
    import_file(ws, "nrm", example_path("nrm"), today=TODAY)
    with pytest.raises(AnalysisError, match="not by points"):
        near_repeat(ws, "nrm")


def test_analysis_needs_record_level_access(ws: Workspace) -> None:
    import_file(ws, "ae_assaults", example_path("ae_assaults"), today=TODAY)
    with pytest.raises(DisclosureRefused):
        near_repeat(ws, "ae_assaults", audience="partner")
    res = near_repeat(ws, "ae_assaults", permutations=9, seed=2)
    located = points(ws, "ae_assaults")
    assert res.n_events == located.x.size == 200 - located.dropped
