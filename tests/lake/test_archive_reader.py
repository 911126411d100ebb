"""File discovery and whole-file vetting (names, headers), with hypothesis for the name parser."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from saferplaces.errors import InputError
from saferplaces.sources.policeuk_archive import HEADERS, parse_name, vet_file
from saferplaces.taxonomy import forces

KINDS = list(HEADERS)


@given(
    year=st.integers(2010, 2099),
    month=st.integers(1, 12),
    force=st.sampled_from(sorted(forces())),
    kind=st.sampled_from(KINDS),
    folder=st.sampled_from(["", "2019-06/", "a/b/"]),
)
def test_parse_name_round_trip(year: int, month: int, force: str, kind: str, folder: str) -> None:
    name = f"{folder}{year}-{month:02d}-{force}-{kind}.csv"
    assert parse_name(name, name) == (kind, force, f"{year}-{month:02d}")


@given(st.text(min_size=1, max_size=60))
def test_parse_name_never_crashes(name: str) -> None:
    try:
        kind, force, month = parse_name(name, "x")
    except InputError as exc:
        assert exc.path == "x" and exc.reason
    else:
        assert force in forces() and kind in KINDS and len(month) == 7


BAD_NAMES = [
    "2019-13-avon-and-somerset-street.csv",
    "2019-6-avon-and-somerset-street.csv",
    "2019-06-avon-and-somerset-streets.csv",
    "2019-06-street.csv",
]


@pytest.mark.parametrize("bad", BAD_NAMES)
def test_parse_name_rejects(bad: str) -> None:
    with pytest.raises(InputError):
        parse_name(bad, bad)


@given(st.binary(max_size=300))
def test_vet_file_rejects_arbitrary_bytes_cleanly(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    """Whatever the bytes, vetting either passes a file with the exact header or raises
    InputError; it never crashes with another exception."""
    f = tmp_path_factory.mktemp("v") / "2019-06-avon-and-somerset-street.csv"
    f.write_bytes(data)
    header = ",".join(HEADERS["street"]).encode()
    try:
        vet_file(f, str(f), "street", 65536)
    except InputError as exc:
        assert exc.reason
    else:
        assert data.lstrip(b"\xef\xbb\xbf").startswith(header) and data.endswith(b"\n")


def test_header_with_one_column_renamed_names_it(tmp_path: Path) -> None:
    f = tmp_path / "2019-06-avon-and-somerset-outcomes.csv"
    cols = list(HEADERS["outcomes"])
    cols[9] = "Outcome"
    f.write_bytes((",".join(cols) + "\r\n1,2\r\n").encode())
    with pytest.raises(InputError, match="header column 10 is 'Outcome', expected 'Outcome type'"):
        vet_file(f, str(f), "outcomes", 65536)
