"""saferplaces.hotspots on the bundled real Avon and Somerset data (2019-08..2021-09): counts
checked against an independent DuckDB count, the known Bristol city-centre hotspot, the
sparse-data guard, and the equality notes beside the map."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pyproj
import pytest

from saferplaces.demo import demo_data
from saferplaces.geo.lookups import lsoa_lookup
from saferplaces.hotspots import HotspotError, police_hotspots
from saferplaces.lake.ingest import ingest
from saferplaces.workspace import Workspace

YEAR = [f"2020-{m:02d}" for m in range(10, 13)] + [f"2021-{m:02d}" for m in range(1, 10)]
FORCE = "avon-and-somerset"


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = Workspace.create(tmp_path_factory.mktemp("hs") / "ws", "Test", forces=[FORCE])
    zip_path = demo_data("policeuk", "avon-and-somerset-street-2019-08_2021-09.zip")
    assert ingest(ws.lake_dir, [zip_path]).ok
    return ws


def _independent_counts(ws: Workspace, months: list[str], category: str | None) -> tuple[int, int]:
    """(located crimes in the force's own LSOAs, crimes without a location): distinct
    (month, Crime ID) pairs straight from the Parquet files."""
    lsoas = sorted(lsoa_lookup(2011).members("force", FORCE))
    glob = str(ws.lake_dir / "street" / "**" / "*.parquet")
    cat = "AND category = $cat" if category else ""
    params = {"months": months, "lsoas": lsoas, **({"cat": category} if category else {})}
    # A Crime ID listed twice in a month counts once, where its first row puts it.
    q = (
        "WITH firsts AS (SELECT month, crime_id, first(longitude ORDER BY line) AS lon, "
        "first(lsoa_code ORDER BY line) AS lsoa "
        f"FROM read_parquet('{glob}', hive_partitioning=true) "
        f"WHERE month IN (SELECT unnest($months)) AND crime_id IS NOT NULL AND NOT is_asb {cat} "
        "GROUP BY month, crime_id) "
        "SELECT count(*) FILTER (WHERE lon IS NOT NULL AND lsoa IN (SELECT unnest($lsoas))), "
        "count(*) FILTER (WHERE lon IS NULL) FROM firsts"
    )
    located, unlocated = duckdb.execute(q, params).fetchone()  # type: ignore[misc]
    return int(located), int(unlocated)


def test_counts_match_an_independent_count_and_cells_hold_their_crimes(ws: Workspace) -> None:
    m = police_hotspots(ws, YEAR, cell_size=500)
    located, unlocated = _independent_counts(ws, YEAR, None)
    assert m.crimes_located == located == sum(c.crimes for c in m.cells)
    assert m.crimes_without_location == unlocated
    assert located > 100_000 and m.crimes_outside > 0  # police.uk lists a few far away
    # Each cell's ring is a 500 m square on the British National Grid, counter-clockwise.
    to_bng = pyproj.Transformer.from_crs(4326, 27700, always_xy=True)
    for c in m.cells[:50]:
        size, e0, n0 = re.fullmatch(r"(\d+m)_E(\d+)N(\d+)", c.cell).groups()  # type: ignore[union-attr]
        xs, ys = to_bng.transform([p[0] for p in c.ring], [p[1] for p in c.ring])
        assert size == "500m"
        assert abs(xs[0] - int(e0)) < 1 and abs(ys[0] - int(n0)) < 1
        assert abs(xs[2] - xs[0] - 500) < 1 and abs(ys[2] - ys[0] - 500) < 1
        assert ys[1] < ys[2]  # SW → SE → NE: counter-clockwise


def test_bristol_city_centre_is_a_hotspot_and_the_countryside_is_not(ws: Workspace) -> None:
    m = police_hotspots(ws, YEAR, cell_size=500)
    by_cell = {c.cell: c for c in m.cells}
    # Broadmead shopping centre, Bristol (BNG 359 000, 173 000): police.uk's busiest area in
    # the force.
    centre = by_cell["500m_E359000N173000"]
    assert centre.gi_bin == 3 and centre.crimes > 500
    assert 0 < len(m.hot_cells) < len(m.cells) / 2
    hot = [c.crimes for c in m.hot_cells]
    other = [c.crimes for c in m.cells if c.gi_bin < 2]
    assert sum(hot) / len(hot) > 5 * sum(other) / len(other)
    geo = m.to_geojson()
    assert len(geo["features"]) == len(m.cells) and geo["meta"]["cell_size_m"] == 500
    assert any("not a forecast" in n for n in m.notes)
    assert m.proactive is not None and len(m.proactive.units) == len(m.hot_cells)


def test_sparse_data_gets_counts_but_no_hotspot_test(ws: Workspace) -> None:
    m = police_hotspots(ws, ["2021-09"], category="drugs", cell_size=250)
    located, _ = _independent_counts(ws, ["2021-09"], "drugs")
    assert sum(c.crimes for c in m.cells) == located
    assert m.hot_cells == [] and all(c.gi_bin == 0 for c in m.cells)
    assert any(n.startswith("No hotspot test") for n in m.notes)


def test_proactive_share_of_a_hot_cell_matches_an_independent_count(ws: Workspace) -> None:
    """Broadmead's 500 m cell: crimes and the drugs + weapons share, recounted from the
    Parquet files with pyproj and floor division."""
    m = police_hotspots(ws, YEAR, cell_size=500)
    centre = {c.cell: c for c in m.cells}["500m_E359000N173000"]
    glob = str(ws.lake_dir / "street" / "**" / "*.parquet")
    rows = duckdb.execute(
        "SELECT DISTINCT month, crime_id, longitude, latitude, category "
        f"FROM read_parquet('{glob}', hive_partitioning=true) WHERE month IN "
        "(SELECT unnest($m)) AND NOT is_asb AND crime_id IS NOT NULL AND longitude IS NOT NULL "
        "AND NOT duplicate_id",
        {"m": YEAR},
    ).fetchall()
    to_bng = pyproj.Transformer.from_crs(4326, 27700, always_xy=True)
    xs, ys = to_bng.transform([r[2] for r in rows], [r[3] for r in rows])
    cats = [
        r[4] for r, x, y in zip(rows, xs, ys, strict=True) if (x // 500, y // 500) == (718, 346)
    ]
    proactive = sum(c in {"drugs", "possession-of-weapons"} for c in cats)
    # Duplicate-ID crimes were left out above (their first copy decides the place); the cell
    # count may exceed this recount by those few.
    assert 0 <= centre.crimes - len(cats) <= 0.05 * centre.crimes
    assert centre.proactive_share is not None
    assert abs(centre.proactive_share - proactive / len(cats)) < 0.01
    assert any("proactive" in n for n in m.notes)


def test_who_lives_there_uses_the_residents_given(ws: Workspace) -> None:
    lsoas = sorted(lsoa_lookup(2011).members("force", FORCE))
    residents = dict.fromkeys(lsoas, 1000.0)
    m = police_hotspots(ws, YEAR, cell_size=500, residents=residents)
    assert m.burden is not None and m.burden.total_population == 1000.0 * len(lsoas)
    assert 0 < m.burden.overall_share < 1
    assert any("deprivation" in n for n in m.notes)
    # Residents of the whole country given: only the mapped area's count.
    everyone = {**dict.fromkeys([f"W01{i:06d}" for i in range(2000)], 1000.0), **residents}
    assert police_hotspots(ws, YEAR, cell_size=500, residents=everyone).burden == m.burden


def test_bad_requests_are_refused_with_reasons(ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(HotspotError, match="below 200 m"):
        police_hotspots(ws, YEAR, cell_size=100)
    with pytest.raises(HotspotError, match="at least one month"):
        police_hotspots(ws, [])
    with pytest.raises(HotspotError, match="no located crimes"):
        police_hotspots(ws, ["2030-01"])
