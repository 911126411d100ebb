"""BNG grids: stable, aligned cell ids (hypothesis) and grids clipped to areas."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from saferplaces.geo import cell_ids, cell_polygon, parse_cell_id, square_grid

coord = st.floats(min_value=-50_000, max_value=1_300_000, allow_nan=False)
size = st.sampled_from([1, 50, 100, 150, 200, 250, 500, 1000])


@settings(max_examples=200, deadline=None)
@given(x=coord, y=coord, s=size)
def test_cell_id_holds_its_point_and_is_aligned(x, y, s):
    cid = cell_ids(np.array([x]), np.array([y]), s)[0]
    sz, e, n = parse_cell_id(cid)
    assert sz == s and e % s == 0 and n % s == 0
    assert e <= x < e + s and n <= y < n + s
    assert shapely.covers(cell_polygon(cid), shapely.Point(x, y))


@settings(max_examples=50, deadline=None)
@given(x=coord, y=coord, s=size, dx=st.floats(0, 0.999), dy=st.floats(0, 0.999))
def test_points_in_one_cell_share_its_id(x, y, s, dx, dy):
    e, n = np.floor(x / s) * s, np.floor(y / s) * s
    ids = cell_ids(np.array([e, e + dx * s]), np.array([n, n + dy * s]), s)
    assert ids[0] == ids[1] == f"{s}m_E{int(e)}N{int(n)}"


def test_known_id():
    assert cell_ids([358_299.9], [172_400.0], 200)[0] == "200m_E358200N172400"
    assert cell_ids([np.nan], [1.0], 200)[0] is None
    with pytest.raises(ValueError, match="positive whole number"):
        cell_ids([1.0], [1.0], 0)


def test_grid_over_bristol_is_stable(lads):
    bristol = lads.geometry("E06000023")
    g1 = square_grid(bristol, 500)
    g2 = square_grid(shapely.union_all([bristol, shapely.Point(0, 0).buffer(1)]), 500)
    assert set(g1.ids) <= set(g2.ids)  # same cells whatever else the area holds
    assert len(set(g1.ids)) == len(g1)
    centres = shapely.centroid(g1.cells)
    assert (cell_ids(shapely.get_x(centres), shapely.get_y(centres), 500) == g1.ids).all()
    assert shapely.area(g1.clipped).sum() == pytest.approx(bristol.area)
    assert ((g1.land_share() > 0) & (g1.land_share() <= 1 + 1e-9)).all()
    with pytest.raises(ValueError, match="use larger cells"):
        square_grid(bristol, 1)
