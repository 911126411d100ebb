"""API crimes → police.uk street CSV files (the archive layout), and the ``poly`` text format."""

from __future__ import annotations

import csv
import gzip
import io
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon
from shapely.ops import unary_union

from saferplaces.sources.policeuk_api import (
    STREET_CSV_HEADER,
    Crime,
    InvalidPolygonError,
    LatLon,
    category_label,
    format_poly,
    parse_crimes,
    parse_poly,
    split_polygon,
    street_csv_text,
    write_street_csvs,
)
from saferplaces.taxonomy import category_slug, outcomes

API = Path(__file__).resolve().parents[1] / "data" / "api"
LEICESTER_REL = "crimes-street/leicester-all-crime-2023-01.json.gz"
ARCHIVE_HEADER = (
    b"Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    b"Crime type,Last outcome category,Context\r\n"
)


def raw(rel: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(gzip.decompress((API / rel).read_bytes()))
    return data


def crimes(rel: str) -> list[Crime]:
    return parse_crimes(gzip.decompress((API / rel).read_bytes()), rel)


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_header_is_the_archive_header() -> None:
    assert ",".join(STREET_CSV_HEADER).encode() + b"\r\n" == ARCHIVE_HEADER


@pytest.mark.parametrize(
    ("slug", "label"),
    [
        ("violent-crime", "Violence and sexual offences"),
        ("anti-social-behaviour", "Anti-social behaviour"),
        ("criminal-damage-arson", "Criminal damage and arson"),
        ("theft-from-the-person", "Theft from the person"),
        ("brand-new-thing", "Brand new thing"),
    ],
)
def test_category_labels(slug: str, label: str) -> None:
    assert category_label(slug) == label


def test_leicester_round_trip(tmp_path: Path) -> None:
    source = raw(LEICESTER_REL)
    written = write_street_csvs(crimes(LEICESTER_REL), tmp_path, "leicestershire")
    assert [p.name for p in written] == [
        "2023-01-btp-street.csv",
        "2023-01-leicestershire-street.csv",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == [p.name for p in written]  # no temp files
    for path in written:
        data = path.read_bytes()
        assert data.startswith(ARCHIVE_HEADER)
        assert data.count(b"\n") == data.count(b"\r\n")  # CRLF throughout, as in the archives
        assert not data.startswith(b"\xef\xbb\xbf")
    btp = read_rows(tmp_path / "2023-01-btp-street.csv")
    force = read_rows(tmp_path / "2023-01-leicestershire-street.csv")
    assert (len(btp), len(force)) == (10, 1438)
    assert {(r["Reported by"], r["Falls within"]) for r in btp} == {
        ("British Transport Police",) * 2
    }
    assert {(r["Reported by"], r["Falls within"]) for r in force} == {
        ("Leicestershire Police",) * 2
    }

    by_place = [c for c in source if c["location_type"] == "BTP"] + [
        c for c in source if c["location_type"] != "BTP"
    ]
    for row, api in zip(btp + force, by_place, strict=True):
        assert row["Crime ID"] == api["persistent_id"]
        assert row["Month"] == api["month"] == "2023-01"
        # Coordinates keep the API's text exactly (both use 6 decimals).
        assert row["Longitude"] == api["location"]["longitude"]
        assert row["Latitude"] == api["location"]["latitude"]
        assert row["Location"] == api["location"]["street"]["name"]
        assert row["LSOA code"] == row["LSOA name"] == ""  # not in the API
        assert category_slug(row["Crime type"]) == api["category"]
        outcome = (api["outcome_status"] or {}).get("category") or ""
        assert row["Last outcome category"] == outcome
        assert row["Context"] == ""
        if api["category"] == "anti-social-behaviour":
            assert row["Crime ID"] == "" and row["Last outcome category"] == ""
        else:
            assert row["Last outcome category"] in outcomes()


def test_months_and_forces_go_to_separate_files(tmp_path: Path) -> None:
    both = crimes("crimes-street/cheltenham-AA3-all-crime-2021-05.json.gz") + crimes(
        "crimes-street/cheltenham-AA3-all-crime-2025-09.json.gz"
    )
    names = [p.name for p in write_street_csvs(both, tmp_path, "gloucestershire")]
    assert names == [
        "2021-05-btp-street.csv",
        "2021-05-gloucestershire-street.csv",
        "2025-09-gloucestershire-street.csv",
    ]
    rows = read_rows(tmp_path / "2025-09-gloucestershire-street.csv")
    assert len(rows) == 425 and {r["Month"] for r in rows} == {"2025-09"}


def test_a_crime_without_coordinates_is_a_no_location_row() -> None:
    crime = Crime(
        id=1,
        persistent_id="ab" * 32,
        category="burglary",
        month="2024-03",
        location_type="Force",
        location_subtype="",
        context="",
        position=None,
        street_id=883345,
        street_name="On or near Marquis Street",
        outcome_category="Under investigation",
        outcome_date="2024-03",
    )
    placed = replace(crime, position=LatLon(52.5, -1.25))
    text = street_csv_text([crime, placed], "Leicestershire Police")
    lines = text.split("\r\n")
    assert lines[1] == (
        f"{'ab' * 32},2024-03,Leicestershire Police,Leicestershire Police,,,No Location,,,"
        "Burglary,Under investigation,"
    )
    assert lines[2].split(",")[4:7] == ["-1.250000", "52.500000", "On or near Marquis Street"]
    assert lines[3] == ""


def test_values_with_commas_and_quotes_are_quoted() -> None:
    (crime,) = crimes(LEICESTER_REL)[:1]
    odd = replace(crime, street_name='On or near "The Crescent", Leicester')
    row = next(csv.reader(io.StringIO(street_csv_text([odd], "X").split("\r\n", 1)[1])))
    assert row[6] == 'On or near "The Crescent", Leicester'


def test_written_files_load_through_the_archive_ingest(tmp_path: Path) -> None:
    """The point of the conversion: fetched months take the same path as archives."""
    from saferplaces.lake.ingest import ingest

    out = tmp_path / "fetched"
    write_street_csvs(crimes(LEICESTER_REL), out, "leicestershire")
    report = ingest(tmp_path / "lake", [out], rebuild_marts=False)
    assert report.ok, report.to_dict()
    assert report.rows_kept == 1448
    assert sorted((f.force, f.month) for f in report.files) == [
        ("btp", "2023-01"),
        ("leicestershire", "2023-01"),
    ]


# ------------------------------------------------------------------ the poly text format

latitudes = st.floats(min_value=-90, max_value=90, allow_nan=False)
longitudes = st.floats(min_value=-180, max_value=180, allow_nan=False)
polygons = st.lists(st.tuples(latitudes, longitudes), min_size=3, max_size=40).filter(
    lambda ps: len(set(ps)) >= 3
)


@given(polygons)
def test_poly_text_round_trips_exactly(points: list[tuple[float, float]]) -> None:
    text = format_poly(points)
    assert parse_poly(text) == [(float(a), float(b)) for a, b in points]
    assert text.count(":") == len(points) - 1
    assert " " not in text


@given(st.text(alphabet="0123456789.,:-e x", max_size=60))
def test_poly_parser_accepts_only_valid_text(text: str) -> None:
    try:
        points = parse_poly(text)
    except InvalidPolygonError as exc:
        assert str(exc)
    else:
        assert len(set(points)) >= 3
        assert all(-90 <= lat <= 90 and -180 <= lon <= 180 for lat, lon in points)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("52.6,-1.2:52.7,-1.2", "at least 3 distinct points"),
        ("52.6,-1.2;52.7,-1.2;52.7,-1.1", "is not 'latitude,longitude'"),
        ("52.6,-1.2:north,-1.2:52.7,-1.1", "does not hold two numbers"),
        ("-1.2,152.6:-1.2,152.7:-1.1,200", "not a latitude,longitude in degrees"),
        ("nan,1:1,2:2,3", "not a finite number"),
    ],
)
def test_poly_parser_messages(text: str, message: str) -> None:
    with pytest.raises(InvalidPolygonError, match=message):
        parse_poly(text)


coords = st.floats(min_value=-2, max_value=2, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(coords, coords), min_size=3, max_size=8))
def test_split_pieces_cover_the_polygon(points: list[tuple[float, float]]) -> None:
    shape = Polygon([(lon, lat) for lat, lon in points])
    if not shape.is_valid or shape.area < 1e-6:
        return
    pieces = split_polygon([(52 + a, -1 + b) for a, b in points])
    shapes = [Polygon([(lon, lat) for lat, lon in piece]) for piece in pieces]
    whole = Polygon([(-1 + lon, 52 + lat) for lat, lon in points])
    assert all(s.area < whole.area + 1e-9 for s in shapes)
    assert sum(s.area for s in shapes) == pytest.approx(whole.area, rel=1e-6)
    assert unary_union(shapes).symmetric_difference(whole).area < whole.area * 1e-6
    assert all(len(set(piece)) >= 3 for piece in pieces)
