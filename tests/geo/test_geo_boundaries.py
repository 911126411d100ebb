"""Boundary import: formats, reprojection, repairs, Z, holes, bad input."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely
from tests.geo.conftest import AVON_AND_SOMERSET, GEO_DATA, LAD_SHP
from tests.support import shared

from saferplaces.errors import InputError, UnsafeArchiveError
from saferplaces.geo import read_any, read_boundaries, read_neighbourhood_boundary, to_wgs84


def test_lad_shapefile_avon_and_somerset(lads):
    assert len(lads) == 326
    a = lads.subset(AVON_AND_SOMERSET)
    assert dict(zip(a.codes, a.names, strict=True)) == AVON_AND_SOMERSET
    assert list(a.codes) == sorted(AVON_AND_SOMERSET)  # always sorted by code
    assert all(shapely.is_valid(a.geometries))
    # BNG metres: Bristol is ~110 km² (generalised boundary, includes the Severn estuary part)
    bristol = a.geometry("E06000023")
    assert 100e6 < bristol.area < 250e6
    lon, lat = to_wgs84(*shapely.centroid(bristol).xy)
    assert -2.8 < lon[0] < -2.5 and 51.4 < lat[0] < 51.55


def test_zipped_shapefile_is_read_safely(tmp_path):
    src = shared(LAD_SHP)
    z = tmp_path / "lads.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in src.parent.iterdir():
            zf.write(part, f"nested/{part.name}")
        zf.writestr("README.txt", "not a boundary")
    r = read_boundaries(z, level="lad", code_field="label", name_field="name")
    assert len(r.areas) == 326
    assert r.areas.source == "lads.zip"


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_zip_slip_rejected(tmp_path):
    z = _zip(tmp_path / "evil.zip", {"../../evil.geojson": b"{}"})
    with pytest.raises(UnsafeArchiveError, match="outside the folder"):
        read_boundaries(z, level="ward", code_field="code")
    assert not (tmp_path.parent / "evil.geojson").exists()


def test_zip_bomb_rejected(tmp_path):
    z = _zip(tmp_path / "bomb.zip", {"big.geojson": b" " * 5_000_000})
    with pytest.raises(UnsafeArchiveError, match="expands"):
        read_boundaries(z, level="ward", code_field="code")
    with pytest.raises(UnsafeArchiveError, match="exceeds"):
        read_boundaries(z, level="ward", code_field="code", max_ratio=1e9, max_total_mb=1)


def test_zip_with_two_datasets_asks_for_layer(tmp_path):
    gj = (GEO_DATA / "bowtie.geojson").read_bytes()
    z = _zip(tmp_path / "two.zip", {"a.geojson": gj, "b.geojson": gj})
    with pytest.raises(InputError, match="several boundary files"):
        read_boundaries(z, level="ward", code_field="code")
    r = read_boundaries(z, level="ward", code_field="code", layer="b")
    assert list(r.areas.codes) == ["B1", "B2"]


def test_kml_round_trip(tmp_path):
    r = read_boundaries(
        GEO_DATA / "two-parishes.kml",
        level="parish",
        code_field="Name",
        name_field="description",
    )
    a = r.areas
    assert list(a.codes) == ["P001", "P002"]
    assert r.report.dropped_z and "Z (height) coordinates were dropped" in r.report.messages()
    p1, p2 = a.geometries
    assert not shapely.has_z(p1)
    assert len(p1.interiors) == 1  # the pond stays a hole
    assert p2.geom_type == "MultiPolygon" and len(p2.geoms) == 2
    # Write back to KML (WGS84) and read again: the same areas.
    from saferplaces.geo.projection import BNG, WGS84, transform_geometries

    out = tmp_path / "round.kml"
    wgs = transform_geometries(a.geometries, BNG, WGS84)
    pyogrio.raw.write(
        out,
        geometry=shapely.to_wkb(wgs),
        field_data=[np.array(list(a.codes), dtype=object)],
        fields=["Name"],
        geometry_type="MultiPolygon",
        crs="EPSG:4326",
        driver="KML",
    )
    back = read_boundaries(out, level="parish", code_field="Name").areas
    assert list(back.codes) == ["P001", "P002"]
    for g1, g2 in zip(a.geometries, back.geometries, strict=True):
        # KML stores ~7 significant decimals: differences are millimetres along the edges.
        assert shapely.area(shapely.symmetric_difference(g1, g2)) < 1e-5 * g1.area


def test_neighbourhood_boundary_json():
    path = shared("api/neighbourhoods/gloucestershire-AA3-boundary.json")
    r = read_any(path, level="neighbourhood", name="St Marks")
    a = r.areas
    assert list(a.codes) == ["gloucestershire-AA3"]
    assert list(a.names) == ["St Marks"]
    g = a.geometries[0]
    assert shapely.is_valid(g) and 2.0e6 < g.area < 3.5e6  # about 2.6 km²
    xmin, ymin, xmax, ymax = g.bounds
    assert 390_000 < xmin < xmax < 396_000 and 220_000 < ymin < ymax < 226_000  # Cheltenham


def test_neighbourhood_json_bad_points(tmp_path):
    bad = tmp_path / "b.json"
    bad.write_text('[{"latitude": "51.9", "longitude": "x"}]')
    with pytest.raises(InputError, match="point 1"):
        read_neighbourhood_boundary(bad, code="X")
    two = tmp_path / "c.json"
    two.write_text(
        '[{"latitude": "51.9", "longitude": "-2.0"}, {"latitude": "51.8", "longitude": "-2.0"}]'
    )
    with pytest.raises(InputError, match="no usable geometry"):
        read_neighbourhood_boundary(two, code="X")


def test_greater_manchester_force_area_with_z():
    r = read_boundaries(
        shared("reference/boundaries/greater-manchester-force-area.geojson"),
        level="force",
        code="greater-manchester",
        name="Greater Manchester",
    )
    g = r.areas.geometries[0]
    assert r.report.dropped_z and not shapely.has_z(g)
    assert 1.2e9 < g.area < 1.35e9  # Greater Manchester is about 1,276 km²


def test_force_area_needs_a_code_when_its_name_is_blank():
    with pytest.raises(InputError, match="--code"):
        read_boundaries(
            shared("reference/boundaries/greater-manchester-force-area.geojson"),
            level="force",
            code_field="Name",
        )


def test_invalid_geometry_is_repaired_and_reported():
    r = read_boundaries(GEO_DATA / "bowtie.geojson", level="ward", code_field="code")
    assert list(r.areas.codes) == ["B1", "B2"]
    assert list(r.report.repaired) == ["B1"]
    assert "Self-intersection" in r.report.repaired["B1"]
    assert r.report.dropped == {"B3": "not a polygon (LineString)"}
    assert all(shapely.is_valid(r.areas.geometries))
    assert r.areas.geometry("B1").geom_type == "MultiPolygon"  # the two triangles of the tie
    msgs = " ".join(r.report.messages())
    assert "repaired 1 invalid geometries: B1" in msgs and "dropped 1" in msgs


def test_no_usable_geometry():
    with pytest.raises(InputError, match="no usable polygon geometry") as e:
        read_boundaries(GEO_DATA / "points-only.geojson", level="ward", code_field="code")
    assert "points-only.geojson" in str(e.value) and "Point" in str(e.value)


def test_missing_crs_asks_for_crs(tmp_path):
    src = shared(LAD_SHP)
    for part in src.parent.iterdir():
        if part.suffix != ".prj":
            shutil.copy(part, tmp_path / part.name)
    shp = tmp_path / src.name
    with pytest.raises(InputError, match="--crs"):
        read_boundaries(shp, level="lad", code_field="label")
    r = read_boundaries(shp, level="lad", code_field="label", crs="EPSG:27700")
    assert len(r.areas) == 326


def test_unknown_crs_value():
    with pytest.raises(InputError, match="unknown coordinate reference system"):
        read_boundaries(GEO_DATA / "bowtie.geojson", level="w", code_field="code", crs="EPSG:9")


def test_bng_coordinates_in_geojson_without_crs():
    path = GEO_DATA / "bng-without-crs.geojson"
    with pytest.raises(InputError, match="--crs EPSG:27700"):
        read_boundaries(path, level="ward", code_field="code")
    r = read_boundaries(path, level="ward", code_field="code", crs="EPSG:27700")
    assert r.areas.geometries[0].area == pytest.approx(1e6)
    assert any("used EPSG:27700" in w for w in r.report.warnings)


def test_code_field_that_does_not_exist_lists_fields():
    with pytest.raises(
        InputError, match="no field 'ward_cd'; the fields are: ward_code, ward_name"
    ):
        read_boundaries(
            shared("partner-examples/lancashire/lancashire_wards.gpkg"),
            level="ward",
            code_field="ward_cd",
        )
    with pytest.raises(InputError, match="did you mean 'code'"):
        read_boundaries(GEO_DATA / "bowtie.geojson", level="ward", code_field="CODE")


def test_duplicate_codes_rejected():
    with pytest.raises(InputError, match=r"D1 \(features 1, 3\)"):
        read_boundaries(GEO_DATA / "duplicate-codes.geojson", level="ward", code_field="code")


def test_overlaps_and_outside_are_reported():
    within = shapely.box(350_000, 165_000, 370_000, 180_000)  # a stand-in force area
    r = read_boundaries(
        GEO_DATA / "overlapping.geojson",
        level="ward",
        code_field="code",
        within=within,
    )
    assert [(a, b) for a, b, _ in r.report.overlaps] == [("O1", "O2")]  # O2/O3 only touch
    assert r.report.overlaps[0][2] == pytest.approx(500_000)
    assert r.report.outside == [("O4", 1.0)]
    text = " ".join(r.report.messages())
    assert "1 pairs of areas overlap: O1/O2" in text and "outside the force area" in text


def test_unsupported_and_missing_files(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_boundaries(tmp_path / "nope.geojson", level="ward", code_field="c")
    txt = tmp_path / "a.txt"
    txt.write_text("hello")
    with pytest.raises(InputError, match="unsupported file type"):
        read_boundaries(txt, level="ward", code_field="c")
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json")
    with pytest.raises(InputError, match=r"broken\.geojson"):
        read_boundaries(broken, level="ward", code_field="c")


def test_geopackage_with_several_layers(tmp_path):
    gpkg = tmp_path / "two.gpkg"
    geom = shapely.to_wkb(np.array([shapely.box(0, 0, 1000, 1000)], dtype=object))
    for layer in ("a", "b"):
        pyogrio.raw.write(
            gpkg,
            geometry=geom,
            field_data=[np.array(["X"], dtype=object)],
            fields=["code"],
            geometry_type="Polygon",
            crs="EPSG:27700",
            driver="GPKG",
            layer=layer,
            append=layer == "b",
        )
    with pytest.raises(InputError, match="several layers"):
        read_boundaries(gpkg, level="ward", code_field="code")
    assert len(read_boundaries(gpkg, level="ward", code_field="code", layer="b").areas) == 1


def test_bad_level_name():
    with pytest.raises(ValueError, match="lowercase"):
        read_boundaries(GEO_DATA / "bowtie.geojson", level="Ward 1", code_field="code")


def test_demo_boundaries_are_the_nine_districts():
    from importlib import resources

    demo = resources.files("saferplaces.demo").joinpath(
        "data", "boundaries", "avon-and-somerset-districts-2011.geojson"
    )
    path = Path(str(demo))
    assert path.stat().st_size < 1_000_000
    r = read_boundaries(path, level="lad", code_field="code", name_field="name")
    assert dict(zip(r.areas.codes, r.areas.names, strict=True)) == AVON_AND_SOMERSET
    assert not r.report.repaired and not r.report.overlaps
    assert all(shapely.is_valid(r.areas.geometries))
