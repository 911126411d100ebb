"""Web geometry: size budget per district, winding, precision, shared edges kept shared."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely

from saferplaces.geo import overlap_parents, to_web_geojson
from saferplaces.geo.webgeom import ring_is_clockwise


def _rings(geometry):
    polys = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    for poly in polys:
        yield True, poly[0]
        for hole in poly[1:]:
            yield False, hole


@pytest.mark.parametrize("zoom", ["detail", "overview"])
def test_lancashire_wards_per_district(wards, districts, zoom):
    best, _ = overlap_parents(wards, districts)
    for j, code in enumerate(districts.codes):
        sub = wards.subset(wards.codes[best == j])
        web = to_web_geojson(sub, zoom=zoom)
        text = web.dumps()
        assert len(text.encode()) < 300 * 1024, (code, len(text))
        assert web.method == "coverage"
        gj = json.loads(text)
        assert len(gj["features"]) == len(sub)
        for f in gj["features"]:
            assert f["id"] == f["properties"]["code"]
            for exterior, ring in _rings(f["geometry"]):
                assert ring[0] == ring[-1]
                assert ring_is_clockwise(ring) == exterior
                for lon, lat in ring[:20]:
                    assert round(lon, 5) == lon and round(lat, 5) == lat
                    assert -3.2 < lon < -2.0 and 53.4 < lat < 54.3


def test_shared_edges_stay_shared(wards):
    """Coverage simplification: no gaps or overlaps open between neighbouring wards."""
    from saferplaces.geo.webgeom import simplify_areas

    simple, method = simplify_areas(wards.geometries, 100.0)
    assert method == "coverage"
    assert (
        shapely.get_num_coordinates(simple).sum()
        < 0.7 * shapely.get_num_coordinates(wards.geometries).sum()
    )
    total = shapely.area(simple).sum()
    union = shapely.union_all(simple).area
    assert union == pytest.approx(total, rel=1e-6)  # no overlaps
    assert union == pytest.approx(shapely.union_all(wards.geometries).area, rel=0.01)


def test_overlapping_areas_fall_back_per_area():
    from saferplaces.geo import Areas

    a = Areas.build(
        "ward", ["A", "B"], None, [shapely.box(0, 0, 1000, 1000), shapely.box(500, 0, 1500, 1000)]
    )
    web = to_web_geojson(a, tolerance=10)
    assert web.method == "per-area"
    with pytest.raises(ValueError, match="precision"):
        to_web_geojson(a, precision=9)


def test_holes_wind_anticlockwise():
    from saferplaces.geo import Areas

    donut = shapely.box(400_000, 300_000, 402_000, 302_000).difference(
        shapely.box(400_500, 300_500, 401_500, 301_500)
    )
    gj = to_web_geojson(Areas.build("ward", ["D"], None, [donut]), tolerance=0).geojson
    rings = list(_rings(gj["features"][0]["geometry"]))
    assert [e for e, _ in rings] == [True, False]
    assert [ring_is_clockwise(r) for _, r in rings] == [True, False]
    assert np.isclose(ring_is_clockwise([[0, 0], [0, 1], [1, 1], [0, 0]]), True)
