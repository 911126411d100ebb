"""Bundled LSOA lookups, vintage detection, user best-fit lookups (incl. hypothesis)."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.geo.conftest import AVON_AND_SOMERSET

from saferplaces.errors import InputError
from saferplaces.geo import (
    check_lookup_against,
    detect_lsoa_vintage,
    lookup_from_level,
    lsoa_lookup,
    read_lookup_csv,
    vintage_mismatch,
)
from saferplaces.geo.lookups import parse_lookup_csv


def test_bundled_lookup_sizes():
    lk11, lk21 = lsoa_lookup(2011), lsoa_lookup(2021)
    assert len(lk11.lsoa_codes) == 34_753  # 32,844 England + 1,909 Wales
    assert len(lk21.lsoa_codes) == 35_672  # 33,755 England + 1,917 Wales
    for lk in (lk11, lk21):
        assert all(c is not None for c in lk.level_codes("force"))  # every LSOA has a force
        assert all(c is not None for c in lk.level_codes("lad"))


def test_avon_and_somerset_by_lookup():
    lk = lsoa_lookup(2011)
    assert lk.children("force", "avon-and-somerset", "lad") == sorted(AVON_AND_SOMERSET)
    per_lad = {code: len(lk.members("lad", code)) for code in AVON_AND_SOMERSET}
    assert per_lad["E06000023"] == 263  # Bristol has 263 LSOAs (2011)
    assert sum(per_lad.values()) == len(lk.members("force", "avon-and-somerset")) == 1005
    # Five Somerset districts were blank in the source lookup; they are filled by district.
    assert lk.parent("lad", "E07000191", "force") == "avon-and-somerset"
    assert lk.parent("lsoa", "E01014485", "lad") == "E06000023"
    assert lk.names("force")["avon-and-somerset"] == "Avon and Somerset Constabulary"


def test_wales_and_2021_districts():
    lk11, lk21 = lsoa_lookup(2011), lsoa_lookup(2021)
    assert lk11.children("force", "gwent", "lad") == [
        "W06000018",
        "W06000019",
        "W06000020",
        "W06000021",
        "W06000022",
    ]
    # 2021: merged districts get their new codes; forces carry over.
    assert "E06000059" in lk21.children("force", "dorset", "lad")  # Dorset (2019)
    assert lk21.children("force", "avon-and-somerset", "lad") == sorted(
        [
            "E06000022",
            "E06000023",
            "E06000024",
            "E06000025",
            "E07000187",
            "E07000188",
            "E07000189",
            "E07000246",
        ]  # Somerset West and Taunton (2019)
    )


def test_detect_vintage():
    both = "E01014485"
    set11, set21 = set(lsoa_lookup(2011).lsoa_codes), set(lsoa_lookup(2021).lsoa_codes)
    only11 = min(set11 - set21)
    only21 = min(set21 - set11)
    assert detect_lsoa_vintage([both, only11, None, ""]).vintage == 2011
    assert detect_lsoa_vintage([both, only21]).vintage == 2021
    assert detect_lsoa_vintage([both]).vintage is None
    r = detect_lsoa_vintage([only11, only21, "E01999999"])
    assert r.vintage == "mixed" and r.unknown == 1
    msg = vintage_mismatch(detect_lsoa_vintage([only21, both]), 2011)
    assert msg and "LSOA 2021 codes but the lookup is LSOA 2011" in msg
    assert vintage_mismatch(detect_lsoa_vintage([only11]), 2011) is None


def test_lookup_codes_that_match_nothing_in_the_data():
    lk = lookup_from_level(2011, "lad")
    only21 = sorted(set(lsoa_lookup(2021).lsoa_codes) - set(lk.lsoa_codes))[:50]
    with pytest.raises(InputError, match=r"none of the 50 LSOA codes.*LSOA 2021 codes"):
        check_lookup_against(lk.lsoa_codes, 2011, only21, source="ward-lookup.csv")
    partial = check_lookup_against(lk.lsoa_codes, 2011, ["E01014485", "E01999999"], source="x")
    assert partial.matched == 1 and "1 of 2" in (partial.message or "")


def _write(tmp_path, text, name="lookup.csv"):
    p = tmp_path / name
    p.write_text(text, "utf-8")
    return p


def test_read_lookup_csv(tmp_path):
    p = _write(
        tmp_path,
        "\ufeffLSOA11CD;WD22CD;WD22NM\nE01014485;E05010885;Central\n"
        "e01014486 ; E05010885;Central\n\nE01014485;E05010885;Central\n",
    )
    lk = read_lookup_csv(
        p, level="ward", lsoa_field="LSOA11CD", code_field="WD22CD", name_field="WD22NM"
    )
    assert lk.mapping() == {"E01014485": "E05010885", "E01014486": "E05010885"}
    assert lk.source == "lookup.csv" and lk.method == "best-fit"


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("lsoa,ward\nE01014485,W1\nE01014485,W2\n", 3, "given two areas"),
        ("lsoa,ward\nE0101448,W1\n", 2, "not an LSOA code"),
        ("lsoa,ward\nE01014485,\n", 2, "has no value in 'ward'"),
        ("lsoa,wd\nE01014485,W1\n", 1, "no column 'ward'; the columns are: lsoa, wd"),
        ("lsoa,ward\nE01014485\n", 2, "expected 2 columns"),
    ],
)
def test_bad_lookup_rows(tmp_path, text, line, reason):
    p = _write(tmp_path, text)
    with pytest.raises(InputError, match=reason) as e:
        read_lookup_csv(p, level="ward", lsoa_field="lsoa", code_field="ward")
    assert e.value.line == line and e.value.path == str(p)


def test_lookup_of_unknown_codes_and_empty(tmp_path):
    with pytest.raises(InputError, match="none of the 1 LSOA codes is a known"):
        read_lookup_csv(
            _write(tmp_path, "l,w\nE01999999,W\n"), level="w", lsoa_field="l", code_field="w"
        )
    with pytest.raises(InputError, match="no rows"):
        read_lookup_csv(_write(tmp_path, "l,w\n"), level="w", lsoa_field="l", code_field="w")
    with pytest.raises(InputError, match="empty"):
        read_lookup_csv(_write(tmp_path, ""), level="w", lsoa_field="l", code_field="w")
    bad = tmp_path / "latin1.csv"
    bad.write_bytes("l,w\nE01014485,Caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        read_lookup_csv(bad, level="w", lsoa_field="l", code_field="w")


KNOWN = sorted(lsoa_lookup(2011).lsoa_codes.tolist())[:2000]
area_code = (
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
        min_size=1,
        max_size=12,
    )
    .map(str.strip)
    .filter(bool)
)


@settings(max_examples=60, deadline=None)
@given(
    mapping=st.dictionaries(st.sampled_from(KNOWN), area_code, min_size=1, max_size=40),
    delimiter=st.sampled_from([",", "\t", ";", "|"]),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
    bom=st.booleans(),
    crlf=st.booleans(),
    extra=st.booleans(),
)
def test_lookup_parser_round_trip(mapping, delimiter, quoting, bom, crlf, extra):
    buf = io.StringIO()
    w = csv.writer(
        buf, delimiter=delimiter, quoting=quoting, lineterminator="\r\n" if crlf else "\n"
    )
    w.writerow(["note", "LSOA code", "Area"] if extra else ["LSOA code", "Area"])
    for lsoa, area in mapping.items():
        w.writerow([f"x{delimiter}y", lsoa.lower(), area] if extra else [lsoa, area])
    text = ("\ufeff" if bom else "") + buf.getvalue()
    lk = parse_lookup_csv(
        text, path="h.csv", level="ward", lsoa_field="LSOA code", code_field="Area"
    )
    assert lk.mapping() == mapping
    assert lk.vintage in (None, 2011)
