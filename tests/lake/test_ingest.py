"""Ingest of police.uk files into the lake: happy paths on real data, counting rules, quirks."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import duckdb
from tests.lake.conftest import SAMPLE, lake_snapshot, street_file
from tests.support import shared

from saferplaces.lake import connect, list_partitions, read_provenance
from saferplaces.lake.ingest import ingest, ingest_history
from saferplaces.lake.quality import coverage


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text("utf-8"))))[1:]


def test_sample_folder_loads_with_counting_rules(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    report = ingest(lake, [SAMPLE])
    assert report.ok, report.files
    assert report.count("loaded") == 5  # three street months, two outcome months
    con = connect(lake)
    for month in ("2018-01", "2018-02", "2018-03"):
        rows = _rows(street_file(SAMPLE, month))
        ids = {r[0] for r in rows if r[0]}
        asb = sum(1 for r in rows if r[9] == "Anti-social behaviour")
        noloc = sum(1 for r in rows if r[6] == "No Location")
        got = con.execute(
            "SELECT count(*), count(DISTINCT crime_id) FILTER (WHERE NOT is_asb), "
            "count(*) FILTER (WHERE is_asb), count(*) FILTER (WHERE no_location) "
            "FROM street WHERE month = ?",
            [month],
        ).fetchone()
        # every row kept (duplicates and exact copies too); crimes = distinct non-blank IDs
        assert got == (len(rows), len(ids), asb, noloc)
        mart = con.execute(
            "SELECT sum(crimes), sum(asb_incidents), sum(rows), sum(no_location_rows) "
            "FROM crime_monthly WHERE month = ?",
            [month],
        ).fetchone()
        assert mart == (len(ids), asb, len(rows), noloc)


def test_duplicate_ids_flagged_not_deleted(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    ingest(lake, [SAMPLE])
    rows = _rows(street_file(SAMPLE, "2018-01"))
    ids = [r[0] for r in rows if r[0]]
    dup_ids = {i for i in ids if ids.count(i) > 1}
    assert dup_ids, "the sample should contain duplicate Crime IDs"
    con = connect(lake)
    flagged = con.execute(
        "SELECT DISTINCT crime_id FROM street WHERE month = '2018-01' AND duplicate_id"
    ).fetchall()
    assert {r[0] for r in flagged} == dup_ids
    # each copy kept, with its own line number in the source file
    n_copies = con.execute(
        "SELECT count(*) FROM street WHERE month = '2018-01' AND duplicate_id"
    ).fetchone()
    assert n_copies == (sum(1 for i in ids if i in dup_ids),)
    line_rows = con.execute(
        "SELECT line, crime_type FROM street WHERE month = '2018-01' ORDER BY line"
    ).fetchall()
    assert [ln for ln, _ in line_rows] == list(range(2, len(rows) + 2))
    assert [ct for _, ct in line_rows] == [r[9] for r in rows]


def test_exact_duplicate_asb_rows_are_separate_incidents(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    ingest(lake, [SAMPLE])
    rows = _rows(street_file(SAMPLE, "2018-01"))
    asb = [tuple(r) for r in rows if r[9] == "Anti-social behaviour"]
    assert len(set(asb)) < len(asb), "the sample should contain identical ASB rows"
    got = (
        connect(lake)
        .execute("SELECT sum(asb_incidents) FROM crime_monthly WHERE month = '2018-01'")
        .fetchone()
    )
    assert got == (len(asb),)


def test_outcomes_linked_to_crimes_latest_wins(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    ingest(lake, [SAMPLE])
    con = connect(lake)
    apr = {r[0]: r[9] for r in _rows(SAMPLE / "2018-04" / "2018-04-avon-and-somerset-outcomes.csv")}
    may = {r[0]: r[9] for r in _rows(SAMPLE / "2018-05" / "2018-05-avon-and-somerset-outcomes.csv")}
    latest = con.execute(
        "SELECT crime_id, outcome_type, outcome_month FROM crime_outcomes"
    ).fetchall()
    got = {cid: (o, m) for cid, o, m in latest}
    for cid, outcome in apr.items():
        expected = (may[cid], "2018-05") if cid in may else (outcome, "2018-04")
        assert got[cid] == expected
    # a street crime with a linked outcome shows the latest; others keep the street snapshot
    linked = con.execute(
        "SELECT count(*) FROM street_outcomes WHERE outcome_month IS NOT NULL"
    ).fetchone()
    street_ids = {
        r[0]
        for m in ("2018-01", "2018-02", "2018-03")
        for r in _rows(street_file(SAMPLE, m))
        if r[0]
    }
    n_linked_rows = con.execute(
        "SELECT count(*) FROM street WHERE crime_id IN (SELECT crime_id FROM crime_outcomes)"
    ).fetchone()
    assert linked == n_linked_rows
    assert n_linked_rows is not None and n_linked_rows[0] >= len(set(apr) & street_ids)
    # old label "No further action" maps to the no-suspect group
    groups = dict(con.execute("SELECT outcome_type, outcome_group FROM outcomes").fetchall())
    if "No further action" in groups:
        assert groups["No further action"] == "no_suspect"
    assert groups.get("Investigation complete; no suspect identified", "no_suspect") == "no_suspect"


def test_reingest_unchanged_changes_nothing(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    ingest(lake, [SAMPLE])
    before = lake_snapshot(lake)
    mtimes = {p: p.stat().st_mtime_ns for p in lake.rglob("data.parquet")}
    again = ingest(lake, [SAMPLE])
    assert again.count("unchanged") == 5 and again.count("loaded") == 0
    assert lake_snapshot(lake) == before
    assert {p: p.stat().st_mtime_ns for p in lake.rglob("data.parquet")} == mtimes


def test_changed_file_replaces_partition_and_records_it(tmp_path: Path, sample_dir: Path) -> None:
    lake = tmp_path / "lake"
    first = ingest(lake, [sample_dir])
    path = street_file(sample_dir, "2018-02")
    lines = path.read_bytes().split(b"\r\n")
    path.write_bytes(b"\r\n".join(lines[:-11]) + b"\r\n")  # a later download with 10 fewer rows
    second = ingest(lake, [sample_dir])
    assert second.count("replaced") == 1 and second.count("unchanged") == 4
    part = lake / "street" / "force=avon-and-somerset" / "month=2018-02" / "data.parquet"
    prov = read_provenance(part)
    old_sha = next(f.sha256 for f in first.files if f.month == "2018-02" and f.kind == "street")
    assert prov["replaces"]["source_sha256"] == old_sha
    assert prov["rows_kept"] == prov["replaces"]["rows_kept"] - 10
    history = ingest_history(lake)
    assert [h["ingest_id"] for h in history] == [first.ingest_id, second.ingest_id]
    assert any(f["status"] == "replaced" for f in history[-1]["files"])
    # the mart followed the replacement
    con = connect(lake)
    assert con.execute(
        "SELECT sum(rows) FROM crime_monthly WHERE month = '2018-02'"
    ).fetchone() == (prov["rows_kept"],)


def test_single_file_and_bom_and_lf_endings(tmp_path: Path) -> None:
    src = street_file(SAMPLE, "2018-03")
    f = tmp_path / src.name
    f.write_bytes(b"\xef\xbb\xbf" + src.read_bytes().replace(b"\r\n", b"\n"))
    report = ingest(tmp_path / "lake", [f])
    assert report.ok
    assert report.files[0].rows_kept == len(_rows(src))


def test_historic_category_and_unknown_labels_are_kept_and_counted(tmp_path: Path) -> None:
    src = street_file(SAMPLE, "2018-01")
    rows = src.read_bytes().decode("utf-8").split("\r\n")
    crime = next(i for i, r in enumerate(rows) if ",Public order," in r)
    rows[crime] = rows[crime].replace(",Public order,", ",Public disorder and weapons,")
    other = next(i for i, r in enumerate(rows) if i > crime and ",Drugs," in r)
    rows[other] = rows[other].replace(",Drugs,", ",Spaceship theft,")
    f = tmp_path / src.name
    f.write_bytes("\r\n".join(rows).encode("utf-8"))
    report = ingest(tmp_path / "lake", [f])
    assert report.ok
    con = connect(tmp_path / "lake")
    cats = dict(con.execute("SELECT crime_type, category FROM street").fetchall())
    assert cats["Public disorder and weapons"] == "public-disorder-weapons"
    assert cats["Spaceship theft"] == "unknown"
    prov = list_partitions(tmp_path / "lake", "street")[0].provenance
    assert prov["unknown_category_rows"] == 1


def test_avon_and_somerset_archive_reproduces_recorded_crime(tmp_path: Path) -> None:
    """REFERENCE_VALUES.md: 31,839 distinct Crime IDs Jan–Mar 2018; 2019-07 missing."""
    z = shared("policeuk/avon-and-somerset-street-2018-01_2021-09.zip")
    lake = tmp_path / "lake"
    report = ingest(lake, [z])
    assert report.ok and report.count("loaded") == 44
    assert report.rows_kept == 620_495  # shared/data/README.md
    con = connect(lake)
    crimes = con.execute(
        "SELECT count(DISTINCT crime_id) FROM street "
        "WHERE month BETWEEN '2018-01' AND '2018-03' AND NOT is_asb"
    ).fetchone()
    assert crimes == (31_839,)
    assert con.execute(
        "SELECT sum(crimes) FROM crime_monthly WHERE month BETWEEN '2018-01' AND '2018-03'"
    ).fetchone() == (31_839,)
    # Each partition's recorded counts (taken from its base-mart rows) against the rows.
    expected = {
        month: (n, crimes, asb, noloc, dup, unk_out, unk_cat)
        for month, n, crimes, asb, noloc, dup, unk_out, unk_cat in con.execute(
            "SELECT month, count(*), count(DISTINCT crime_id) FILTER (WHERE NOT is_asb), "
            "count(*) FILTER (WHERE is_asb), count(*) FILTER (WHERE no_location), "
            "count(*) FILTER (WHERE duplicate_id), "
            "count(*) FILTER (WHERE outcome_group = 'unknown'), "
            "count(*) FILTER (WHERE category = 'unknown') FROM street GROUP BY month"
        ).fetchall()
    }
    recorded = {
        p.keys["month"]: tuple(
            p.provenance[k]
            for k in (
                "rows",
                "crimes",
                "asb_rows",
                "no_location_rows",
                "duplicate_id_rows",
                "unknown_outcome_rows",
                "unknown_category_rows",
            )
        )
        for p in list_partitions(lake, "street")
    }
    assert len(recorded) == 44 and recorded == expected
    [cov] = coverage(lake)
    assert cov.missing_months == ["2019-07"]
    assert cov.months_present == 44
    assert cov.lsoa_vintages == {"2011": 44}
    # README: duplicate IDs ~1.9% of crime rows, no-location ~9% of rows
    assert cov.duplicate_id_share is not None and 0.015 < cov.duplicate_id_share < 0.025
    assert cov.no_location_share is not None and 0.08 < cov.no_location_share < 0.10


def test_city_of_london_stop_and_search_and_lsoa_2021(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    report = ingest(
        lake,
        [
            shared("policeuk/city-of-london-street-and-stop-search-2018-12_2021-11.zip"),
            shared("policeuk/city-of-london-street-2024-01_2025-12.zip"),
        ],
    )
    assert report.ok
    con = connect(lake)
    assert con.execute("SELECT count(*) FROM stop_and_search").fetchone() == (8_057,)
    assert con.execute("SELECT count(*) FROM street").fetchone() == (22_480 + 18_867,)
    cov = {(c.dataset, c.first_month): c for c in coverage(lake)}
    sas = cov[("stop_and_search", "2018-12")]
    assert sas.months_present == 36 and sas.missing_months == []
    # 2018-21 files use LSOA 2011 codes, 2024-25 files 2021 codes; months whose codes all
    # exist in both vintages are reported as "2011/2021", never as the wrong vintage.
    vintages = {
        p.keys["month"]: p.provenance["lsoa_vintage"] for p in list_partitions(lake, "street")
    }
    assert {v for m, v in vintages.items() if m < "2022"} <= {"2011", "2011/2021"}
    assert {v for m, v in vintages.items() if m >= "2024"} <= {"2021", "2011/2021"}
    assert "2011" in vintages.values() and "2021" in vintages.values()
    cols = {r[0] for r in con.execute("DESCRIBE stop_and_search").fetchall()}
    assert {"type", "date", "legislation", "object_of_search", "outcome",
            "outcome_linked_to_object_of_search", "removal_of_more_than_just_outer_clothing",
            "self_defined_ethnicity", "officer_defined_ethnicity"} <= cols  # fmt: skip


def test_stop_and_search_rows_dated_previous_month_are_kept_and_flagged(tmp_path: Path) -> None:
    src = shared("policeuk/2019-06-greater-manchester-stop-and-search.csv")
    lake = tmp_path / "lake"
    report = ingest(lake, [src])
    assert report.ok
    con = connect(lake)
    assert con.execute("SELECT count(*) FROM stop_and_search").fetchone() == (907,)
    flagged = con.execute(
        "SELECT strftime(date, '%Y-%m-%d') FROM stop_and_search WHERE dated_previous_month"
    ).fetchall()
    assert len(flagged) == 2 and all(d[0].startswith("2019-05") for d in flagged)
    assert con.execute("SELECT DISTINCT month FROM stop_and_search").fetchall() == [("2019-06",)]


def test_lake_readable_by_plain_duckdb(tmp_path: Path) -> None:
    """The layout is documented Hive partitioning: any engine can read it without our code."""
    lake = tmp_path / "lake"
    ingest(lake, [SAMPLE])
    con = duckdb.connect()
    got = con.execute(
        f"SELECT force, month, count(*) FROM read_parquet('{lake}/street/*/*/*.parquet', "
        "hive_partitioning = true) GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    assert [g[:2] for g in got] == [
        ("avon-and-somerset", m) for m in ("2018-01", "2018-02", "2018-03")
    ]


def test_killed_staging_is_cleaned(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    ingest(lake, [SAMPLE])
    part = next(lake.rglob("data.parquet")).parent
    (part / ".tmp-deadbeef").write_bytes(b"half a parquet file")
    (lake / ".staging" / "x").mkdir(parents=True)
    ingest(lake, [SAMPLE])
    assert not list(lake.rglob(".tmp-*"))
    assert not (lake / ".staging").exists()
    shutil.rmtree(lake)
