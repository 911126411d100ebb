"""Bad input: each case gets a clear message naming the file (and line) and leaves the lake as
it was. The lake is first loaded with the good sample, then the bad file is offered as a
replacement for one of its months."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.lake.conftest import SAMPLE, lake_snapshot, street_file

from saferplaces.lake import connect
from saferplaces.lake.ingest import IngestReport, ingest

GOOD = street_file(SAMPLE, "2018-02")
NAME = GOOD.name


@pytest.fixture(scope="module")
def loaded_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lake = tmp_path_factory.mktemp("lake")
    assert ingest(lake, [SAMPLE]).ok
    return lake


def _offer(tmp_path: Path, lake: Path, name: str, data: bytes) -> IngestReport:
    """Ingest one bad file into a copy of the loaded lake; assert nothing changed."""
    import shutil

    copy = tmp_path / "lake"
    shutil.copytree(lake, copy)
    before = lake_snapshot(copy)
    f = tmp_path / name
    f.write_bytes(data)
    report = ingest(copy, [f])
    assert not report.ok
    assert lake_snapshot(copy) == before, "a rejected file changed the lake"
    return report


def _lines() -> list[bytes]:
    return GOOD.read_bytes().split(b"\r\n")


CASES: dict[str, tuple[Callable[[], bytes], str, int | None]] = {
    "wrong header": (
        lambda: GOOD.read_bytes().replace(b"Crime type", b"Offence", 1),
        "header column 10 is 'Offence', expected 'Crime type'", 1,
    ),
    "missing header": (lambda: b"\r\n".join(_lines()[1:]), "wrong or missing header", 1),
    "wrong column count": (
        lambda: b"\r\n".join([*_lines()[:5], _lines()[5] + b",extra", *_lines()[6:]]),
        "a row with more columns than the header", 6,
    ),
    "non-UTF-8 bytes": (
        lambda: b"\r\n".join(
            [*_lines()[:7], _lines()[7].replace(b"On or near", b"On or n\xe9ar"), *_lines()[8:]]
        ),
        "not valid UTF-8", 8,
    ),
    "truncated": (lambda: GOOD.read_bytes()[:-300], "looks truncated", None),
    "empty": (lambda: b"", "the file is empty", None),
    "header only": (lambda: _lines()[0] + b"\r\n", "header but no rows", None),
    "month differs from name": (
        lambda: GOOD.read_bytes().replace(b",2018-02,", b",2018-03,"),
        "rows are dated '2018-03', not 2018-02 as the file name says", 2,
    ),
    "not CSV at all": (lambda: b"%PDF-1.4\n\x00\x01\x02binary\n", "binary data", None),
    "huge line": (
        lambda: b"\r\n".join([*_lines()[:3], _lines()[3] + b"x" * 70_000, *_lines()[4:]]),
        "longer than the limit", 4,
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_bad_file_rejected_with_reason_and_lake_untouched(
    case: str, tmp_path: Path, loaded_lake: Path
) -> None:
    make, reason, line = CASES[case]
    report = _offer(tmp_path, loaded_lake, NAME, make())
    [res] = report.files
    assert res.status == "rejected"
    assert res.reason is not None and reason in res.reason, res.reason
    assert NAME in res.source
    if line is not None:
        assert res.line == line


def test_unknown_force_slug(tmp_path: Path, loaded_lake: Path) -> None:
    report = _offer(
        tmp_path, loaded_lake, "2018-02-avon-and-zomerset-street.csv", GOOD.read_bytes()
    )
    assert report.files[0].reason == "unknown force slug 'avon-and-zomerset' in the file name"


def test_not_a_police_uk_name(tmp_path: Path, loaded_lake: Path) -> None:
    report = _offer(tmp_path, loaded_lake, "crimes.csv", GOOD.read_bytes())
    assert "not a police.uk name" in (report.files[0].reason or "")


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_corrupt_zip(tmp_path: Path, loaded_lake: Path) -> None:
    data = bytearray(_zip({f"2018-02/{NAME}": GOOD.read_bytes()}))
    data[60:400] = b"\x00" * 340  # damage the compressed stream
    report = _offer(tmp_path, loaded_lake, "archive.zip", bytes(data))
    assert "corrupt" in (report.files[0].reason or "") or "not a readable zip" in (
        report.files[0].reason or ""
    )


def test_zip_slip_refused_and_nothing_written_outside(tmp_path: Path, loaded_lake: Path) -> None:
    data = _zip({f"2018-02/{NAME}": GOOD.read_bytes(), "../../evil.csv": b"pwned"})
    report = _offer(tmp_path, loaded_lake, "archive.zip", data)
    assert "zip-slip" in (report.files[0].reason or "")
    assert not list(tmp_path.parent.rglob("evil.csv"))


def test_zip_bomb_refused(tmp_path: Path, loaded_lake: Path) -> None:
    bomb = _lines()[0] + b"\r\n" + b"," * 50_000_000  # ~50 MB of commas compresses ~1000:1
    report = _offer(tmp_path, loaded_lake, "archive.zip", _zip({f"2018-02/{NAME}": bomb}))
    assert "zip bomb" in (report.files[0].reason or "")


def test_good_files_in_same_batch_still_load(tmp_path: Path) -> None:
    """One bad file does not stop the others (architecture principle 7)."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / NAME).write_bytes(GOOD.read_bytes()[:-300])  # truncated
    jan = street_file(SAMPLE, "2018-01")
    (folder / jan.name).write_bytes(jan.read_bytes())
    report = ingest(tmp_path / "lake", [folder])
    status = {f.month: f.status for f in report.files}
    assert status == {"2018-01": "loaded", "2018-02": "rejected"}
    assert connect(tmp_path / "lake").execute(
        "SELECT count(DISTINCT month) FROM street"
    ).fetchone() == (1,)


def test_bad_coordinate_rejects_row_with_line_and_keeps_rest(tmp_path: Path) -> None:
    lines = _lines()
    bad = lines[9].split(b",")
    bad[4] = b"west-ish"
    lines[9] = b",".join(bad)
    f = tmp_path / NAME
    f.write_bytes(b"\r\n".join(lines))
    report = ingest(tmp_path / "lake", [f])
    [res] = report.files
    assert res.status == "loaded" and res.rows_rejected == 1
    assert res.rows_kept == len(lines) - 3  # header, trailing empty split, the bad row
    assert report.rejected_rows_report is not None
    text = Path(report.rejected_rows_report).read_text("utf-8")
    assert f"{NAME},10," in text and "west-ish" in text
    lines_kept = (
        connect(tmp_path / "lake").execute("SELECT line FROM street ORDER BY line").fetchall()
    )
    assert 10 not in {ln for (ln,) in lines_kept} and 11 in {ln for (ln,) in lines_kept}


def test_two_files_for_same_force_month(tmp_path: Path) -> None:
    a = tmp_path / "a"
    b = tmp_path / "b"
    for d in (a, b):
        d.mkdir()
        (d / NAME).write_bytes(GOOD.read_bytes())
    (b / NAME).write_bytes(b"\r\n".join(_lines()[:-5]) + b"\r\n")
    report = ingest(tmp_path / "lake", [a, b])
    assert sorted(f.status for f in report.files) == ["loaded", "rejected"]
    assert "another file for avon-and-somerset 2018-02" in next(
        f.reason
        for f in report.files
        if f.status == "rejected"  # type: ignore[misc]
    )
