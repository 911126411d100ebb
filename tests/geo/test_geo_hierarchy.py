"""The area hierarchy: lookup levels, drawn areas by overlap, user lookups, the partnership."""

from __future__ import annotations

import numpy as np
import pytest
from tests.geo.conftest import AVON_AND_SOMERSET
from tests.support import shared

from saferplaces.geo import (
    AreaNotFoundError,
    Hierarchy,
    overlap_parents,
    read_boundaries,
    save_areas,
    save_lookup,
)
from saferplaces.geo.lookups import AreaLookup
from saferplaces.workspace import Workspace


def test_lookup_levels():
    h = Hierarchy()
    assert h.children("avon-and-somerset", "lad") == sorted(AVON_AND_SOMERSET)
    assert len(h.children("E06000023", "lsoa")) == 263
    assert h.parent("E06000023", "force") == "avon-and-somerset"
    assert h.parent("E01014485", "region") == "E12000009"
    assert h.level_of("E02003012") == "msoa"
    with pytest.raises(ValueError, match="not coarser"):
        h.parent("E06000023", "lsoa")
    with pytest.raises(AreaNotFoundError, match="'XYZ'"):
        h.level_of("XYZ")


def test_partnership_areas_and_force(ws, lads):
    save_areas(ws.lake_dir, lads.subset(AVON_AND_SOMERSET))
    h = Hierarchy.for_workspace(ws)
    refs = h.partnership_areas(ws)
    assert [(r.code, r.level, r.name) for r in refs] == [("E06000023", "lad", "Bristol, City of")]
    assert h.partnership_children(ws, "lad") == ["E06000023"]
    assert len(h.partnership_children(ws, "msoa")) == 55
    geom = h.partnership_geometry(ws)
    assert geom.area == pytest.approx(lads.geometry("E06000023").area)
    assert h.force_geometry(ws) is None  # no 'force' level imported


def test_drawn_wards_in_districts(tmp_path, wards, districts):
    ws = Workspace.create(tmp_path / "lancs", "Lancaster CSP", ["lancashire"], ["E07000121"])
    save_areas(ws.lake_dir, wards)
    save_areas(ws.lake_dir, districts)
    best, share = overlap_parents(wards, districts)
    assert (best >= 0).all() and share.min() > 0.99
    h = Hierarchy.for_workspace(ws)
    lancaster = h.children("E07000121", "ward")
    assert len(lancaster) == 27
    assert h.partnership_children(ws, "ward") == lancaster
    assert h.parent(lancaster[0], "lad") == "E07000121"
    parents = h.parents("ward", "lad")
    assert sum(p == "E07000121" for p in parents.values()) == 27
    assert sum(len(h.children(str(d), "ward")) for d in districts.codes) == 271


def test_wards_via_user_lookup(tmp_path, wards):
    """Blackburn with Darwen LSOAs → wards (best fit by LSOA centroid), then hierarchy."""
    lsoas = read_boundaries(
        shared("reference/boundaries/lsoa2011-blackburn-with-darwen.geojson"),
        level="lsoa",
        code_field="LSOA11CD",
    ).areas
    from saferplaces.geo import assign_points

    pts = np.array([g.representative_point() for g in lsoas.geometries])
    x = np.array([p.x for p in pts])
    y = np.array([p.y for p in pts])
    ward_codes = assign_points(wards, x, y, crs="bng").area_codes()
    ok = np.array([w is not None for w in ward_codes])
    lk = AreaLookup("ward", lsoas.codes[ok], ward_codes[ok], ward_codes[ok], 2011, "fit.csv")
    root = tmp_path / "bwd"
    ws = Workspace.create(root, "Blackburn", ["lancashire"], ["E06000008"])
    save_lookup(ws.lake_dir, lk)
    h = Hierarchy.for_workspace(ws)
    kids = h.children("E06000008", "ward")  # no ward boundaries stored: via the lookup
    assert len(kids) == 17  # Blackburn with Darwen has 17 wards
    assert h.parent(kids[0], "lad") == "E06000008"
    with pytest.raises(AreaNotFoundError, match="cannot relate level 'parish'"):
        h.children("E06000008", "parish")
