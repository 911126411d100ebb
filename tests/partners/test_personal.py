"""Personal data in uploads: detected, refused for non-restricted datasets, warned otherwise."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.partners.conftest import ASB_HEADER, TODAY, WriteCsv, asb_rows, lake_fingerprint
from tests.support import shared

from saferplaces.partners import PersonalDataError, import_file
from saferplaces.partners._examples import example_path, rows_for
from saferplaces.partners.personal import PersonalDataScanner, name_header, nhs_number_valid
from saferplaces.workspace import Workspace


def _scan(header: str, values: list[str]) -> set[str]:
    scanner = PersonalDataScanner([header], today=TODAY, skip_dates=set())
    scanner.scan(header, pa.array(values, pa.string()), np.arange(2, 2 + len(values)))
    return {f.kind for f in scanner.findings()}


def test_nhs_number_check_digit() -> None:
    assert nhs_number_valid("943 476 5919")  # the NHS's published example
    assert nhs_number_valid("9434765919")
    assert not nhs_number_valid("9434765918")  # wrong check digit
    assert not nhs_number_valid("943476591")  # nine digits


@given(st.lists(st.integers(0, 9), min_size=9, max_size=9))
def test_nhs_mod11_property(digits: list[int]) -> None:
    """Exactly one check digit (or none, when the remainder gives 10) makes a valid number."""
    total = sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True))
    valid = [c for c in range(10) if nhs_number_valid("".join(map(str, [*digits, c])))]
    expected = (11 - total % 11) % 11
    assert valid == ([] if expected == 10 else [expected])


@pytest.mark.parametrize(
    ("header", "values", "kind"),
    [
        ("Surname", ["Smith", "Jones", "Khan"], "names"),
        ("Victim name", ["Sarah Jones", "A. Patel"], "names"),
        ("who", ["Sarah Jones", "David Smith", "Khan, Amir", "Emma Brown"], "names"),
        ("home", ["BB1 2AB", "", "bb2 4hq"], "postcodes"),
        ("notes", ["seen near BB1 2AB at night", "x", "y"], "postcodes"),
        ("DOB", ["1990-01-01"], "dates_of_birth"),
        ("d", ["12/03/1985", "01/07/1972", "30/11/2001", "05/05/1999"], "dates_of_birth"),
        ("contact", ["07700 900123", "01254 123456", "+44 7700 900456"], "phone_numbers"),
        ("notes", ["call back on 07700 900123", "ok", "ok", "ok", "ok", "ok"], "phone_numbers"),
        ("e", ["nobody@example.org"], "emails"),
        ("id", ["943 476 5919", "9434765919", "401 023 2137"], "nhs_numbers"),
    ],
)
def test_each_kind_is_detected(header: str, values: list[str], kind: str) -> None:
    assert kind in _scan(header, values)


@pytest.mark.parametrize(
    ("header", "values"),
    [
        ("location", ["Jasper Street", "Peridot Close", "Victoria Road", "George Street"]),
        ("street name", ["Mill Lane", "King Street"]),
        ("ward name", ["Audley", "Shear Brow"]),
        ("postcode district", ["BB1", "BB2", "PR1"]),
        ("postcode sector", ["BB1 2", "BB2 4"]),
        ("referral date", ["2023-01-05", "2023-02-05", "2023-03-05"]),
        ("calls", ["21000", "38000"]),
        ("case id", ["MC-0001", "MC-0002"]),
    ],
)
def test_ordinary_columns_are_not_flagged(header: str, values: list[str]) -> None:
    assert _scan(header, values) == set()


def test_name_headers() -> None:
    assert name_header("Forename") and name_header("LAST_NAME") and name_header("name")
    assert not name_header("site name") and not name_header("ward_name")


def test_lancashire_locations_are_not_names() -> None:
    """56,434 real location descriptions ('On or near …', street names): no false alarm."""
    import csv

    with open(shared("partner-examples/lancashire/lancashire_asb.tab"), encoding="utf-8") as fh:
        locations = [r["location"] for r in csv.DictReader(fh, delimiter="\t")]
    assert _scan("location", locations) == set()


def test_examples_hold_no_personal_data() -> None:
    for name in ("council_asb", "ae_assaults", "marac", "speed_watch"):
        header, rows = rows_for(name)
        scanner = PersonalDataScanner(header, today=dt.date(2024, 6, 30), skip_dates=set())
        nums = np.arange(2, 2 + len(rows))
        for i, h in enumerate(header):
            scanner.scan(h, pa.array(["" if r[i] is None else str(r[i]) for r in rows]), nums)
        assert scanner.findings() == [], name


def _with_column(rows: list[list[object]], values: list[str]) -> list[list[object]]:
    return [[*r, values[i % len(values)]] for i, r in enumerate(rows)]


def test_personal_data_refused_for_partners_dataset(ws: Workspace, write_csv: WriteCsv) -> None:
    header = [*ASB_HEADER, "complainant"]
    path = write_csv("asb.csv", header, _with_column(asb_rows(20), ["Sarah Jones", "David Smith"]))
    from saferplaces.partners import ColumnMapping
    from saferplaces.partners.definitions import load_definition

    defn = load_definition("council_asb")
    cols = {c.name: (c.name if c.name in ASB_HEADER else None) for c in defn.columns}
    cols["asb_type"] = "complainant"  # an analyst maps the name column by mistake
    mapping = ColumnMapping(dataset="council_asb", columns=cols, sheet=None, date_resolution=None)
    before = lake_fingerprint(ws.lake_dir)
    with pytest.raises(PersonalDataError) as exc:
        import_file(ws, "council_asb", path, mapping=mapping, today=TODAY)
    assert "'complainant': the header names" not in str(exc.value)  # header is not name-ish
    assert "'complainant': 100% of values look like people's names" in str(exc.value)
    assert "may not hold it" in str(exc.value)
    assert lake_fingerprint(ws.lake_dir) == before


def test_unmapped_personal_columns_only_warn(ws: Workspace, write_csv: WriteCsv) -> None:
    header = [*ASB_HEADER, "Surname", "Email"]
    rows = [[*r, "Smith", "a@example.org"] for r in asb_rows(20)]
    r = import_file(ws, "council_asb", write_csv("asb.csv", header, rows), today=TODAY)
    assert r.rows_kept == 20
    warned = " ".join(r.warnings)
    assert "not mapped, so not stored" in warned and "'Surname'" in warned and "'Email'" in warned
    from saferplaces.partners.query import dataset_frame

    assert "Surname" not in dataset_frame(ws, "council_asb", "analyst").column_names


def test_istv_refuses_identifiers_although_restricted(ws: Workspace, write_csv: WriteCsv) -> None:
    """ISTV (A&E) data is restricted but must hold no patient identifiers: refused outright,
    where MARAC (restricted too) would only warn."""
    header, rows = rows_for("ae_assaults")
    i = header.index("location_description")
    for row in rows:
        row[i] = "outside 12 Mill Lane BB1 2AB"
    with pytest.raises(PersonalDataError, match="'location_description': 200 value"):
        import_file(ws, "ae_assaults", write_csv("ae.csv", header, rows), today=TODAY)
    assert not (ws.lake_dir / "partner_ae_assaults").exists()


def test_restricted_dataset_stores_flagged_columns_with_a_warning(
    ws: Workspace, write_csv: WriteCsv
) -> None:
    header, rows = rows_for("marac")
    # The pseudonymised case id is replaced by NHS numbers: flagged, but MARAC may hold it.
    valid = ["943 476 5919", "401 023 2137", "9434765919"]
    for i, r in enumerate(rows):
        r[0] = valid[i % 3].replace(" ", "")
    rep = import_file(ws, "marac", write_csv("m.csv", header, rows), today=TODAY)
    assert any("stored in restricted dataset" in w and "nhs" in w.lower() for w in rep.warnings)
    assert rep.rows_kept == 180


def test_istv_example_imports(ws: Workspace) -> None:
    r = import_file(ws, "ae_assaults", example_path("ae_assaults"), today=TODAY)
    assert r.rows_kept == 200 and not r.warnings
