"""Denominators: bundled census counts, aggregation, user-supplied files."""

from __future__ import annotations

import pytest
from tests.geo.conftest import AVON_AND_SOMERSET
from tests.support import shared

from saferplaces.errors import InputError
from saferplaces.geo import (
    aggregate,
    aggregate_to_level,
    households,
    load_denominator,
    lookup_from_level,
    read_denominators,
    residents,
    save_denominator,
)
from saferplaces.geo.store import provenance


def test_census_totals():
    assert residents(2011).total() == 56_075_912  # England and Wales, Census 2011
    r21 = residents(2021)
    assert len(r21.values) == 35_672
    assert r21.total() == pytest.approx(59_597_542, abs=100)  # Census 2021, E&W
    assert households().total() == pytest.approx(23_366_044, abs=5)  # Census 2011, E&W
    assert r21.label == "residents, 2021 (ONS, Census 2021)"


def test_avon_and_somerset_populations():
    pop = aggregate_to_level(residents(2011), "lad")
    hh = aggregate_to_level(households(), "lad")
    assert pop.level == "lad" and pop.year == 2011 and pop.source == "ONS, Census 2011"
    assert pop.value("E06000023") == 428_234  # Bristol, Census 2011
    assert pop.value("E06000022") == 176_016  # Bath and North East Somerset
    nine = pop.total(AVON_AND_SOMERSET)
    force = aggregate_to_level(residents(2011), "force").value("avon-and-somerset")
    assert nine == force  # the nine districts are exactly the force area
    assert hh.value("E06000023") > 150_000
    assert "summed to lad" in pop.note


def test_vintage_mismatch_between_denominator_and_lookup():
    with pytest.raises(InputError, match="LSOA 2011 codes but 'residents' \\(2021\\)"):
        aggregate(residents(2021), lookup_from_level(2011, "lad"))


def test_user_denominator_xlsx_and_csv(tmp_path):
    d = read_denominators(
        shared("partner-examples/lancashire/lancashire_ward_pop.xlsx"),
        name="residents-ward",
        year=2020,
        source="Lancashire County Council",
        level="ward",
        code_field="gss_code",
        value_field="population",
    )
    assert d.value("E05001643") == 6278  # Anchorsholme
    assert d.label == "residents-ward, 2020 (Lancashire County Council)"
    csv_path = tmp_path / "businesses.csv"
    csv_path.write_text('ward,count\nW1,"1,204"\nW2,\nW3,17\n', "utf-8")
    b = read_denominators(
        csv_path,
        name="businesses",
        year=2023,
        source="IDBR (ONS)",
        level="ward",
        code_field="ward",
        value_field="count",
    )
    assert b.values == {"W1": 1204.0, "W3": 17.0} and "1 areas had no value" in b.note
    lake = tmp_path / "lake"
    save_denominator(lake, b, provenance(csv_path, rows_read=3, rows_kept=2))
    back = load_denominator(lake, "businesses")
    assert back.values == b.values and back.label == b.label


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("ward,count\nW1,12\nW1,13\n", 3, "appears twice"),
        ("ward,count\nW1,-4\n", 2, "not a non-negative number"),
        ("ward,count\nW1,lots\n", 2, "not a non-negative number"),
        ("ward,count\n,4\n", 2, "no value in 'ward'"),
        ("wd,count\nW1,4\n", 1, "no column 'ward'"),
    ],
)
def test_bad_denominator_rows(tmp_path, text, line, reason):
    p = tmp_path / "d.csv"
    p.write_text(text, "utf-8")
    with pytest.raises(InputError, match=reason) as e:
        read_denominators(
            p,
            name="adult-females",
            year=2021,
            source="ONS",
            level="ward",
            code_field="ward",
            value_field="count",
        )
    assert e.value.line == line


def test_denominator_needs_name_and_source(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("ward,count\nW1,4\n", "utf-8")
    with pytest.raises(ValueError, match="source"):
        read_denominators(
            p, name="x", year=2021, source=" ", level="ward", code_field="ward", value_field="count"
        )
    with pytest.raises(ValueError, match="slug"):
        read_denominators(
            p,
            name="Adult Females",
            year=2021,
            source="ONS",
            level="ward",
            code_field="ward",
            value_field="count",
        )
