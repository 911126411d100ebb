"""The ``saferplaces areas`` commands, the lake layout, and "nothing stored changes" on error."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result
from tests.geo.conftest import GEO_DATA, LAD_SHP, WARDS
from tests.support import shared

from saferplaces.cli import main
from saferplaces.geo import load_areas, load_lookup
from saferplaces.lake import connect, read_provenance


def run(ws, *args: str) -> Result:
    return CliRunner().invoke(main, ["areas", *args, "--workspace", str(ws.root)])


def _snapshot(lake):
    return {p.relative_to(lake): p.read_bytes() for p in sorted(lake.rglob("*")) if p.is_file()}


def test_import_store_and_read_back(ws):
    r = run(
        ws,
        "import",
        str(shared(LAD_SHP)),
        "--level",
        "lad",
        "--code-field",
        "label",
        "--name-field",
        "name",
        "--vintage",
        "2011",
    )
    assert r.exit_code == 0, r.output
    assert "Imported 326 areas of level 'lad'" in r.output
    path = ws.lake_dir / "areas" / "level=lad" / "data.parquet"
    table = pq.read_table(path)
    assert table.column_names == [
        "code",
        "name",
        "level",
        "parent_code",
        "source",
        "vintage",
        "area_m2",
        "bbox",
        "geometry",
    ]
    geo_meta = json.loads(table.schema.metadata[b"geo"])
    assert geo_meta["columns"]["geometry"]["encoding"] == "WKB"
    assert geo_meta["columns"]["geometry"]["crs"]["id"]["code"] == 27700
    prov = read_provenance(path)
    assert prov["rows_read"] == 326 and prov["kind"] == "areas" and len(prov["sha256"]) == 64
    # DuckDB sees it through the lake catalog's layout, bbox columns included.
    con = connect(ws.lake_dir)
    n = con.execute(
        "select count(*) from areas where level = 'lad' and bbox.xmin > 300000"
    ).fetchone()[0]
    assert 0 < n < 326
    # GeoParquet readers open it directly (geopandas as an independent reader).
    gpd = pytest.importorskip("geopandas")
    gdf = gpd.read_parquet(path)
    assert gdf.crs.to_epsg() == 27700 and len(gdf) == 326
    assert load_areas(ws.lake_dir, "lad").vintage == "2011"

    r = run(ws, "list")
    assert "lad" in r.output and "326" in r.output
    r = run(ws, "partnership", "--level", "msoa")
    assert "E06000023" in r.output and "55 areas of level 'msoa'" in r.output


@pytest.mark.parametrize(
    ("file", "args", "message"),
    [
        ("points-only.geojson", ["--code-field", "code"], "no usable polygon geometry"),
        ("duplicate-codes.geojson", ["--code-field", "code"], "appear more than once"),
        ("bowtie.geojson", ["--code-field", "ward_code"], "no field 'ward_code'"),
        ("bng-without-crs.geojson", ["--code-field", "code"], "--crs EPSG:27700"),
    ],
)
def test_bad_import_changes_nothing(ws, file, args, message):
    ok = run(
        ws,
        "import",
        str(GEO_DATA / "overlapping.geojson"),
        "--level",
        "ward",
        "--code-field",
        "code",
    )
    assert ok.exit_code == 0 and "1 pairs of areas overlap: O1/O2" in ok.output
    before = _snapshot(ws.lake_dir)
    r = run(ws, "import", str(GEO_DATA / file), "--level", "ward", *args)
    assert r.exit_code == 2
    assert file in r.output and message in r.output.replace("\n", "")
    assert _snapshot(ws.lake_dir) == before


def test_outside_the_force_is_warned(ws):
    r = run(
        ws,
        "import",
        str(shared("reference/boundaries/greater-manchester-force-area.geojson")),
        "--level",
        "force",
        "--code",
        "avon-and-somerset",
        "--name",
        "Not really A&S",
    )
    assert r.exit_code == 0 and "Z (height) coordinates were dropped" in r.output
    r = run(
        ws,
        "import",
        str(GEO_DATA / "two-parishes.kml"),
        "--level",
        "parish",
        "--code-field",
        "Name",
    )
    assert r.exit_code == 0
    assert "2 of 2 areas lie partly or wholly outside the force area" in r.output


def test_neighbourhood_merge(ws):
    r = run(
        ws,
        "import",
        str(shared("api/neighbourhoods/gloucestershire-AA3-boundary.json")),
        "--level",
        "neighbourhood",
        "--name",
        "St Marks",
    )
    assert r.exit_code == 0, r.output
    r = run(
        ws,
        "import",
        str(GEO_DATA / "two-parishes.kml"),
        "--level",
        "neighbourhood",
        "--code-field",
        "Name",
        "--merge",
    )
    assert r.exit_code == 0 and "now holds 3 areas" in r.output
    assert list(load_areas(ws.lake_dir, "neighbourhood").codes) == [
        "P001",
        "P002",
        "gloucestershire-AA3",
    ]


def test_lookup_command(ws, tmp_path):
    run(ws, "import", str(shared(WARDS)), "--level", "ward", "--code-field", "ward_code")
    csv_path = tmp_path / "fit.csv"
    csv_path.write_text("LSOA11CD,WD\nE01012607,E05001643\nE01012608,E05001644\n", "utf-8")
    r = run(
        ws,
        "lookup",
        str(csv_path),
        "--level",
        "ward",
        "--lsoa-field",
        "LSOA11CD",
        "--code-field",
        "WD",
    )
    assert r.exit_code == 0, r.output
    assert "Stored lookup of 2 LSOAs" in r.output
    assert load_lookup(ws.lake_dir, "ward").mapping()["E01012607"] == "E05001643"
    before = _snapshot(ws.lake_dir)
    bad = tmp_path / "bad.csv"
    bad.write_text("LSOA11CD,WD\nE01012607,NOPE1\nE01012608,NOPE2\n", "utf-8")
    r = run(
        ws, "lookup", str(bad), "--level", "ward", "--lsoa-field", "LSOA11CD", "--code-field", "WD"
    )
    assert r.exit_code == 2 and "none of the 2 area codes" in r.output
    r = run(ws, "lookup", str(bad), "--level", "ward", "--lsoa-field", "lsoa", "--code-field", "WD")
    assert r.exit_code == 2 and "no column 'lsoa'" in r.output and "line 1" in r.output
    assert _snapshot(ws.lake_dir) == before


def test_geojson_grid_children_parent(ws, tmp_path):
    run(
        ws,
        "import",
        str(shared(LAD_SHP)),
        "--level",
        "lad",
        "--code-field",
        "label",
        "--name-field",
        "name",
    )
    out = tmp_path / "lads.geojson"
    r = run(
        ws,
        "geojson",
        "lad",
        "--within",
        "avon-and-somerset",
        "--zoom",
        "overview",
        "--out",
        str(out),
    )
    assert r.exit_code == 0, r.output
    gj = json.loads(out.read_text())
    assert len(gj["features"]) == 9
    grid = tmp_path / "grid.geojson"
    r = run(ws, "grid", "E06000023", "--size", "1000", "--out", str(grid))
    assert r.exit_code == 0, r.output
    ids = [f["id"] for f in json.loads(grid.read_text())["features"]]
    assert all(i.startswith("1000m_E") for i in ids) and len(ids) == len(set(ids)) > 100
    r = run(ws, "children", "E06000023", "--level", "msoa")
    assert "55 areas of level 'msoa'" in r.output
    r = run(ws, "parent", "E07000191", "--level", "force")
    assert "avon-and-somerset" in r.output
    r = run(ws, "parent", "E07000191", "--level", "lsoa")
    assert r.exit_code != 0


def test_denominators_and_peers_commands(ws, tmp_path):
    csv_path = tmp_path / "biz.csv"
    csv_path.write_text("ward,n\nW1,10\nW2,12\n", "utf-8")
    r = run(
        ws,
        "denominators",
        "import",
        str(csv_path),
        "--name",
        "businesses",
        "--year",
        "2023",
        "--source",
        "IDBR",
        "--level",
        "ward",
        "--code-field",
        "ward",
        "--value-field",
        "n",
    )
    assert r.exit_code == 0, r.output
    r = run(ws, "denominators", "list")
    assert "businesses, 2023 (IDBR) by ward, 2 areas" in r.output

    r = run(
        ws,
        "peers",
        "add",
        "msg",
        "--level",
        "lad",
        "--member",
        "E06000023",
        "--member",
        "E08000035",
        "--source",
        "iQuanta 2024",
    )
    assert r.exit_code == 0, r.output
    r = run(
        ws,
        "peers",
        "add",
        "msg",
        "--level",
        "lad",
        "--member",
        "E06000023",
        "--member",
        "E08000035",
    )
    assert r.exit_code == 2 and "already exists" in r.output
    r = run(ws, "peers", "members", "msg", "--add", "E08000021", "--remove", "E08000035")
    assert "now has 2 members" in r.output
    r = run(ws, "peers", "show", "msg")
    assert "E08000021" in r.output and "iQuanta 2024" in r.output
    assert "msg  (lad, 2 members)" in run(ws, "peers", "list").output
    assert run(ws, "peers", "remove", "msg").exit_code == 0
    assert "No peer groups" in run(ws, "peers", "list").output
