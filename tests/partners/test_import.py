"""Importing partner files: mapping, validation, quarantine, atomicity and idempotency."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from tests.partners.conftest import (
    ASB_HEADER,
    TODAY,
    WriteCsv,
    asb_rows,
    lake_fingerprint,
    read_csv,
)

from saferplaces.errors import InputError
from saferplaces.lake import connect, list_partitions, read_provenance
from saferplaces.partners import (
    WrongDatasetError,
    import_file,
    load_mapping,
    propose,
    save_mapping,
)
from saferplaces.partners.definitions import load_definition
from saferplaces.partners.query import dataset_frame
from saferplaces.workspace import Workspace


def _import(ws: Workspace, name: str, path: Path, **kw):  # type: ignore[no-untyped-def]
    return import_file(ws, name, path, today=TODAY, **kw)


# --------------------------------------------------------------------------------------------
# the happy path
# --------------------------------------------------------------------------------------------


def test_import_writes_one_partition_per_month_with_provenance(
    ws: Workspace, write_csv: WriteCsv
) -> None:
    path = write_csv("asb.csv", ASB_HEADER, asb_rows(30, "2024-01") + asb_rows(12, "2024-02", 100))
    r = _import(ws, "council_asb", path)
    assert (r.status, r.rows_read, r.rows_kept, r.rows_rejected) == ("loaded", 42, 42, 0)
    assert r.months_written == ["2024-01", "2024-02"]
    parts = list_partitions(ws.lake_dir, "partner_council_asb")
    assert [p.keys["month"] for p in parts] == ["2024-01", "2024-02"]
    prov = parts[0].provenance
    assert prov["rows_kept"] == 30 and prov["rows_read"] == 42 and prov["rows_rejected"] == 0
    assert prov["source_sha256"] == r.sha256 and prov["definition_version"] == 1
    assert prov["mapping"]["date"] == "date" and prov["date_resolution"] == "date"
    assert prov["file_months"] == ["2024-01", "2024-02"]
    # The lake catalog gets a view for the dataset with the month from the path.
    con = connect(ws.lake_dir)
    got = con.execute("SELECT count(*), count(DISTINCT month) FROM partner_council_asb").fetchall()
    assert got == [(42, 2)]
    # The exact-header file needed no mapping step, and one was saved for next time.
    assert r.mapping_saved and load_mapping(ws.root, "council_asb") is not None
    log = json.loads((ws.lake_dir / "_log" / f"{r.ingest_id}.json").read_text())
    assert log["kind"] == "partner-import" and log["status"] == "loaded"


def test_reimporting_the_same_file_changes_nothing(ws: Workspace, write_csv: WriteCsv) -> None:
    path = write_csv("asb.csv", ASB_HEADER, asb_rows(20))
    _import(ws, "council_asb", path)
    before = lake_fingerprint(ws.lake_dir)
    again = _import(ws, "council_asb", path)
    assert again.status == "unchanged" and again.months_unchanged == ["2024-01"]
    assert again.rows_kept == 20
    assert lake_fingerprint(ws.lake_dir) == before


def test_a_new_file_replaces_the_months_it_holds_only(ws: Workspace, write_csv: WriteCsv) -> None:
    _import(ws, "council_asb", write_csv("jan.csv", ASB_HEADER, asb_rows(20, "2024-01")))
    _import(ws, "council_asb", write_csv("feb.csv", ASB_HEADER, asb_rows(15, "2024-02")))
    r = _import(ws, "council_asb", write_csv("feb2.csv", ASB_HEADER, asb_rows(17, "2024-02")))
    assert r.status == "replaced" and r.months_written == ["2024-02"]
    assert any("replaces 15 rows from feb.csv with 17 rows" in w for w in r.warnings)
    rows = dataset_frame(ws, "council_asb", "analyst")
    assert rows.num_rows == 37
    feb = list_partitions(ws.lake_dir, "partner_council_asb")[1].provenance
    assert feb["replaces"]["rows_kept"] == 15


def test_streaming_in_small_chunks_gives_the_same_lake(
    ws: Workspace, tmp_path: Path, write_csv: WriteCsv
) -> None:
    """The streaming path (what keeps a 1 GB file within memory) with a tiny chunk size."""
    rows = asb_rows(50, "2024-01") + asb_rows(40, "2024-02", 200)
    rows[7][1] = "not a date"
    path = write_csv("asb.csv", ASB_HEADER, rows)
    big = _import(ws, "council_asb", path, chunk_rows=100_000)
    ws2 = Workspace.create(tmp_path / "ws2", "Other", [], [])
    small = import_file(ws2, "council_asb", path, today=TODAY, chunk_rows=7)
    assert (small.rows_read, small.rows_kept, small.rows_rejected) == (90, 89, 1)
    assert (big.rows_read, big.rows_kept, big.rows_rejected) == (90, 89, 1)
    for month in ("2024-01", "2024-02"):
        a = pq.read_table(ws.lake_dir / f"partner_council_asb/month={month}/data.parquet")
        b = pq.read_table(ws2.lake_dir / f"partner_council_asb/month={month}/data.parquet")
        assert a.equals(b)


def test_html_and_formulas_are_stored_as_text(ws: Workspace, write_csv: WriteCsv) -> None:
    rows = asb_rows(3)
    rows[0][4] = "<script>alert(1)</script>"
    rows[1][4] = '=HYPERLINK("http://x")'
    _import(ws, "council_asb", write_csv("asb.csv", ASB_HEADER, rows))
    stored = dataset_frame(ws, "council_asb", "analyst").column("location").to_pylist()
    assert stored[:2] == ["<script>alert(1)</script>", '=HYPERLINK("http://x")']


def test_xlsx_named_sheet_and_windows_csv(
    ws: Workspace, tmp_path: Path, write_csv: WriteCsv
) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "Cover"
    wb.active.append(["This sheet is a cover note"])
    sheet = wb.create_sheet("Data")
    sheet.append(ASB_HEADER)
    for r in asb_rows(12):
        sheet.append(r)
    path = tmp_path / "asb.xlsx"
    wb.save(path)
    r = _import(ws, "council_asb", path, sheet="Data")
    assert r.rows_kept == 12
    # Excel's "CSV" on Windows is cp1252: read as such, and said so.
    rows = asb_rows(5, "2024-03")
    rows[0][4] = "Café Street"
    win = write_csv("win.csv", ASB_HEADER, rows, encoding="cp1252")
    r2 = _import(ws, "council_asb", win)
    assert r2.rows_kept == 5 and any("cp1252" in w for w in r2.warnings)
    march = dataset_frame(ws, "council_asb", "analyst", where={"month": "2024-03"})
    assert "Café Street" in march.column("location").to_pylist()


# --------------------------------------------------------------------------------------------
# mapping
# --------------------------------------------------------------------------------------------


def test_mapping_is_proposed_saved_and_reused(ws: Workspace, write_csv: WriteCsv) -> None:
    header = ["Case Ref", "Date Reported", "NSIR Category", "Street", "Lon", "Lat"]
    rows = [[r[0], r[1], r[2], r[4], r[5], r[6]] for r in asb_rows(12)]
    path = write_csv("jan.csv", header, rows)
    defn = load_definition("council_asb")
    prop = propose(defn, header)
    assert prop.columns["date"] == "Date Reported" and prop.columns["longitude"] == "Lon"
    assert prop.columns["category"] == "NSIR Category" and prop.columns["location"] == "Street"
    save_mapping(ws.root, prop.to_mapping(defn, path.name))
    assert _import(ws, "council_asb", path).rows_kept == 12
    # Next month's file with the same headers needs no mapping step.
    feb = [[r[0], r[1], r[2], r[4], r[5], r[6]] for r in asb_rows(9, "2024-02", 50)]
    assert _import(ws, "council_asb", write_csv("feb.csv", header, feb)).rows_kept == 9


def test_renamed_column_names_the_closest_header_and_remap_command(
    ws: Workspace, write_csv: WriteCsv
) -> None:
    _import(ws, "council_asb", write_csv("jan.csv", ASB_HEADER, asb_rows(10)))
    renamed = ["incident_ref", "date_of_incident", *ASB_HEADER[2:]]
    path = write_csv("feb.csv", renamed, asb_rows(10, "2024-02"))
    before = lake_fingerprint(ws.lake_dir)
    with pytest.raises(InputError) as exc:
        _import(ws, "council_asb", path)
    msg = str(exc.value)
    assert "column 'date' (for date) is not in the file" in msg
    assert "closest header is 'date_of_incident'" in msg
    assert "saferplaces partners map council_asb feb.csv" in msg
    assert lake_fingerprint(ws.lake_dir) == before


def test_unclear_headers_without_a_mapping_ask_for_the_map_step(
    ws: Workspace, write_csv: WriteCsv
) -> None:
    header = ["Ref", "When it happened", "Category", "Street", "Lon", "Lat"]
    path = write_csv("x.csv", header, [[r[0], r[1], r[2], r[4], r[5], r[6]] for r in asb_rows(3)])
    with pytest.raises(InputError, match=r"Run 'saferplaces partners map council_asb x\.csv'"):
        _import(ws, "council_asb", path)


def test_wrong_dataset_names_the_dataset_it_looks_like(ws: Workspace) -> None:
    from saferplaces.partners._examples import example_path

    with pytest.raises(WrongDatasetError) as exc:
        _import(ws, "council_asb", example_path("marac"))
    assert "does not look like a 'council_asb' file" in str(exc.value)
    assert "looks like a 'marac' file" in str(exc.value)
    assert "--dataset marac" in str(exc.value)
    assert not (ws.lake_dir / "partner_council_asb").exists()


# --------------------------------------------------------------------------------------------
# validation and quarantine
# --------------------------------------------------------------------------------------------


def test_bad_rows_are_reported_and_quarantined_never_stored(
    ws: Workspace, write_csv: WriteCsv
) -> None:
    rows = asb_rows(100)
    rows[3][1] = "31/02/2024"  # no such date
    rows[10][1] = "2031-01-01"  # in the future
    rows[11][1] = "1999-12-31"  # before the dataset's earliest date
    rows[20][2] = "loud music"  # not a category
    rows[30][5] = "west"  # longitude not a number
    path = write_csv("asb.csv", ASB_HEADER, rows)
    r = _import(ws, "council_asb", path, max_reject_share=0.1)
    assert (r.rows_read, r.rows_kept, r.rows_rejected) == (100, 95, 5)
    assert r.status == "loaded" and not r.ok
    report = read_csv(r.validation_report)
    got = {(int(e["row"]), e["column"], e["value"], e["rule"]) for e in report}
    assert got == {
        (5, "date", "31/02/2024", "type"),
        (12, "date", "2031-01-01", "range"),
        (13, "date", "1999-12-31", "range"),
        (22, "category", "loud music", "category"),
        (32, "longitude", "west", "type"),
    }
    quarantined = read_csv(r.quarantine)
    assert [int(q["row"]) for q in quarantined] == [5, 12, 13, 22, 32]
    assert quarantined[3]["category"] == "loud music" and "not one of" in quarantined[3]["reasons"]
    stored = dataset_frame(ws, "council_asb", "analyst")
    assert stored.num_rows == 95
    assert "loud music" not in stored.column("category").to_pylist()
    assert set(stored.column("source_row").to_pylist()).isdisjoint({5, 12, 13, 22, 32})


def test_codes_checks_and_required_values(ws: Workspace, write_csv: WriteCsv) -> None:
    header = ["month_of_calls", "line", "calls_offered", "answered_within_target", "abandoned"]
    rows = [[f"2024-0{m}", line, 1000, 900, 50] for m in range(1, 6) for line in ("999", "101")]
    rows[0][1] = "111"  # unknown code
    rows[1][3] = 1200  # more answered than offered
    rows[2][2] = ""  # required
    rows[3][4] = -3  # a count cannot be negative
    rows[4][2] = "1,200"  # thousands separator: fine
    path = write_csv("calls.csv", header, rows)
    r = _import(ws, "call_handling", path, max_reject_share=0.5)
    rules = {(int(e["row"]), e["column"], e["rule"]) for e in read_csv(r.validation_report)}
    assert rules == {
        (2, "line", "category"),
        (3, "answered_within_target", "check"),
        (4, "calls_offered", "required"),
        (5, "abandoned", "range"),
    }
    assert r.rows_kept == 6


def test_malformed_rows_and_coordinates(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "asb.csv"
    lines = [",".join(ASB_HEADER)]
    lines += [",".join(str(v) for v in row) for row in asb_rows(40)]
    lines[5] = lines[5] + ",extra"
    lines[6] = "ASB-9,2024-01-02,nuisance"  # a cut line
    lines[7] = "ASB-8,2024-01-02,nuisance,noise,Somewhere,-2.4,"  # only one coordinate
    lines[8] = "ASB-7,2024-01-02,nuisance,noise,Somewhere,-30.5,10.1"  # not in Great Britain
    lines[9] = "ASB-6,2024-01-02,nuisance,noise,No Location,,"  # no location: kept
    path.write_text("\n".join(lines) + "\n", "utf-8")
    r = _import(ws, "council_asb", path, max_reject_share=0.2)
    rules = sorted((int(e["row"]), e["rule"]) for e in read_csv(r.validation_report))
    assert rules == [(6, "columns"), (7, "columns"), (8, "coordinates"), (9, "coordinates")]
    frame = dataset_frame(ws, "council_asb", "analyst")
    assert frame.num_rows == 36
    no_loc = [row for row in frame.to_pylist() if not row["has_location"]]
    assert [row["incident_ref"] for row in no_loc] == ["ASB-6"]
    assert no_loc[0]["bng_x"] is None


def test_reports_neutralise_formulas(ws: Workspace, write_csv: WriteCsv) -> None:
    rows = asb_rows(40)
    rows[2][2] = "=cmd|' /C calc'!A0"
    r = _import(ws, "council_asb", write_csv("asb.csv", ASB_HEADER, rows))
    raw = Path(r.validation_report).read_text("utf-8")
    assert "'=cmd" in raw and ",=cmd" not in raw
    assert "'=cmd" in Path(r.quarantine).read_text("utf-8")


def test_too_many_bad_rows_reject_the_whole_file_and_keep_earlier_data(
    ws: Workspace, write_csv: WriteCsv
) -> None:
    _import(ws, "council_asb", write_csv("jan.csv", ASB_HEADER, asb_rows(40, "2024-01")))
    before = lake_fingerprint(ws.lake_dir)
    rows = asb_rows(40, "2024-01", 500) + asb_rows(40, "2024-02", 600)
    for i in range(0, 80, 10):  # 8 of 80 = 10% bad, over the 5% allowed
        rows[i][2] = "unknown category"
    r = _import(ws, "council_asb", write_csv("bad.csv", ASB_HEADER, rows))
    assert r.status == "rejected" and r.rows_kept == 0 and r.rows_rejected == 8
    assert "the whole file is rejected and nothing was loaded" in (r.reason or "")
    assert lake_fingerprint(ws.lake_dir) == before  # January as it was, no February
    assert len(read_csv(r.validation_report)) == 8
    assert not list((ws.lake_dir / ".staging-partners").glob("*"))
    # Allowing more bad rows loads the good ones.
    r2 = _import(ws, "council_asb", write_csv("bad.csv", ASB_HEADER, rows), max_reject_share=0.2)
    assert r2.rows_kept == 72 and r2.months_written == ["2024-01", "2024-02"]


def test_unreadable_files_are_refused(ws: Workspace, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", "utf-8")
    with pytest.raises(InputError, match="empty"):
        _import(ws, "council_asb", empty)
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"a,b\x00c\n")
    with pytest.raises(InputError, match="NUL bytes"):
        _import(ws, "council_asb", binary)
    old = tmp_path / "old.xls"
    old.write_bytes(b"x")
    with pytest.raises(InputError, match=r"\.xls"):
        _import(ws, "council_asb", old)
    fake = tmp_path / "fake.xlsx"
    fake.write_text("not a zip", "utf-8")
    with pytest.raises(InputError, match="not a readable Excel file"):
        _import(ws, "council_asb", fake)
    dup = tmp_path / "dup.csv"
    dup.write_text("date,Date,x\n2024-01-01,2024-01-01,1\n", "utf-8")
    with pytest.raises(InputError, match="repeats column names: date"):
        _import(ws, "council_asb", dup)
    logs = list((ws.lake_dir / "_log").glob("*.json"))
    assert len(logs) == 5  # refused imports are logged too
    assert all(json.loads(p.read_text())["status"] == "rejected" for p in logs)


def test_month_resolution_is_detected_and_recorded(ws: Workspace, write_csv: WriteCsv) -> None:
    rows = asb_rows(30)
    for r in rows:
        r[1] = "2024-01-01"
    res = _import(ws, "council_asb", write_csv("m.csv", ASB_HEADER, rows))
    assert res.date_resolution == "month" and any("months, not days" in w for w in res.warnings)
    part = ws.lake_dir / "partner_council_asb/month=2024-01/data.parquet"
    assert read_provenance(part)["date_resolution"] == "month"
    assert set(pq.read_table(part).column("date_resolution").to_pylist()) == {"month"}


def test_codes_must_match_their_pattern(ws: Workspace, write_csv: WriteCsv) -> None:
    header = ["referral_month", "age_group", "exploitation_type", "first_responder",
              "local_authority_code"]  # fmt: skip
    rows = [["2024-01", "adult", "labour", "police", "E06000008"] for _ in range(30)]
    rows[4][4] = "E0600008"  # a digit short
    rows[5][4] = "Blackburn"
    r = _import(ws, "nrm", write_csv("nrm.csv", header, rows), max_reject_share=0.1)
    got = {(int(e["row"]), e["rule"], e["value"]) for e in read_csv(r.validation_report)}
    assert got == {(6, "pattern", "E0600008"), (7, "pattern", "Blackburn")}
    assert r.rows_kept == 28
