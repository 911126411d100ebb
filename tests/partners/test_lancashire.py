"""The Lancashire ASB extract (real, 56,434 incidents in 2022) as a council ASB dataset."""

from __future__ import annotations

import csv
from collections import Counter

import numpy as np
import pytest
from tests.partners.conftest import TODAY
from tests.publish.attacker import equations, exact_recoveries
from tests.support import shared

from saferplaces.geo import assign_points, read_boundaries, save_areas
from saferplaces.partners import import_file, load_definition, propose, save_mapping
from saferplaces.partners._read import iter_chunks, open_source, read_header
from saferplaces.partners.analysis import AnalysisError, hotspot_grid, near_repeat
from saferplaces.partners.query import counts, dataset_frame
from saferplaces.workspace import Workspace

ASB = "partner-examples/lancashire/lancashire_asb.tab"
WARDS = "partner-examples/lancashire/lancashire_wards.gpkg"
DISTRICTS = "partner-examples/lancashire/lancashire_districts.geojson"
TOTAL = 56_434


@pytest.fixture(scope="module")
def lancs(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = Workspace.create(tmp_path_factory.mktemp("lancs") / "ws", "Lancashire", ["lancashire"])
    wards = read_boundaries(shared(WARDS), level="ward", code_field="ward_code",
                            name_field="ward_name").areas  # fmt: skip
    districts = read_boundaries(shared(DISTRICTS), level="lad", code_field="objectid",
                                name_field="district").areas  # fmt: skip
    save_areas(ws.lake_dir, wards)
    save_areas(ws.lake_dir, districts)
    # The mapping step: the council's own headers (month, longitude, ...) onto the template.
    src = open_source(shared(ASB))
    header = read_header(src)
    _, chunk = next(iter_chunks(src, 200))
    sample = {h: [r[i] for r in chunk.rows] for i, h in enumerate(header)}
    defn = load_definition("council_asb")
    prop = propose(defn, header, sample)
    assert prop.columns == {
        "incident_ref": None, "date": "month", "category": None, "asb_type": None,
        "location": "location", "longitude": "longitude", "latitude": "latitude",
        "lsoa_code": "lsoa_code", "ward_code": None,
    }  # fmt: skip
    assert prop.date_resolution == "month"  # every date is the 1st: months, not days
    save_mapping(ws.root, prop.to_mapping(defn, "lancashire_asb.tab"))
    report = import_file(ws, "council_asb", shared(ASB), today=TODAY)
    assert (report.rows_read, report.rows_kept, report.rows_rejected) == (TOTAL, TOTAL, 0)
    assert report.months_written == [f"2022-{m:02d}" for m in range(1, 13)]
    return ws


def _file_rows() -> list[dict[str, str]]:
    with open(shared(ASB), encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def test_lancashire_imports_and_is_assigned_to_wards(lancs: Workspace) -> None:
    frame = dataset_frame(lancs, "council_asb", "analyst", levels=["ward"])
    assert frame.num_rows == TOTAL
    status = Counter(frame.column("area_ward_status").to_pylist())
    by_ward = counts(lancs, "council_asb", ["ward"], audience="analyst")
    ward_total = sum(r["value"] for r in by_ward.to_pylist() if r["ward"] is not None)
    unassigned = sum(r["value"] for r in by_ward.to_pylist() if r["ward"] is None)
    assert ward_total == status["assigned"]
    assert unassigned == status["outside"] + status["no_location"]
    assert ward_total + status["outside"] + status["no_location"] == TOTAL
    # Independently: geo's point-in-polygon on the raw file gives the same ward counts.
    rows = _file_rows()
    lon = np.array([float(r["longitude"]) if r["longitude"] else np.nan for r in rows])
    lat = np.array([float(r["latitude"]) if r["latitude"] else np.nan for r in rows])
    wards = read_boundaries(shared(WARDS), level="ward", code_field="ward_code").areas
    direct = assign_points(wards, lon, lat).summary
    assert status["no_location"] == direct.no_location
    assert status["outside"] == direct.outside
    ours = {r["ward"]: r["value"] for r in by_ward.to_pylist() if r["ward"] is not None}
    assert ours == {c: n for c, n in direct.per_area.items() if n}
    # Months: 12, summing to the file.
    by_month = counts(lancs, "council_asb", ["month"], audience="analyst")
    file_months = Counter(r["month"][:7] for r in rows)
    assert {r["month"]: r["value"] for r in by_month.to_pylist()} == dict(file_months)


def test_lancashire_public_ward_month_table_with_district_totals(lancs: Workspace) -> None:
    c = counts(lancs, "council_asb", ["ward", "month"], audience="public",
               parents={"ward": "lad"}, totals=True)  # fmt: skip
    rows = c.to_pylist()
    grand = [r for r in rows if r["ward_level"] == "all" and r["month_level"] == "all"]
    assert grand[0]["value"] == TOTAL
    lads = {r["ward"] for r in rows if r["ward_level"] == "lad"}
    assert len(lads) == 14
    shown = [r["value"] for r in rows if r["value"] is not None]
    assert all(v == 0 or v >= 10 for v in shown)
    hidden = sum(r["suppressed"] for r in rows)
    assert 0 < hidden < len(rows) / 2
    # Each district's yearly total is exact and shown (they are large).
    lad_year = [r for r in rows if r["ward_level"] == "lad" and r["month_level"] == "year"]
    assert len(lad_year) == 14 and all(r["value"] for r in lad_year)
    # One district's wards by month, attacked with exact arithmetic over all its totals.
    lad = sorted(lads)[0]
    parents = {r["ward"]: lad for r in rows if r["ward_level"] == "ward"}
    ward_parent = _ward_parents(lancs)
    wards = sorted(w for w, p in ward_parent.items() if p == lad)
    months = {f"2022-{m:02d}": "2022" for m in range(1, 13)}
    sub = {
        (r["ward"], r["month"]): r["value"]
        for r in rows
        if r["ward"] in wards or (r["ward"] == lad and r["ward_level"] == "lad")
    }
    eqs = equations([(tuple(wards), {w: lad for w in wards}), (tuple(months), months)])
    eqs = [e for e in eqs if e[0][0] is not None]  # this district's part of the lattice
    assert parents and any(v is None for v in sub.values())
    assert exact_recoveries(sub, eqs) == {}


def _ward_parents(ws: Workspace) -> dict[str, str | None]:
    from saferplaces.geo import Hierarchy

    return Hierarchy.for_workspace(ws).parents("ward", "lad")


def test_lancashire_is_month_resolution_so_near_repeat_is_refused(lancs: Workspace) -> None:
    with pytest.raises(AnalysisError, match=r"needs dates to the day.*month strings"):
        near_repeat(lancs, "council_asb")
    grid = hotspot_grid(lancs, "council_asb", method="counts", cell_size=1000)
    assert grid.counts.sum() + grid.n_outside == TOTAL
