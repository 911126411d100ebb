"""Scorecard editions: immutable, verifiable, every output format present and readable."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook
from tests.indicators.conftest import BATH, BRISTOL, lsoas, make_workspace, months
from tests.indicators.test_evaluate import SET

from saferplaces.errors import SaferPlacesError
from saferplaces.indicators.definitions import parse_indicator_set
from saferplaces.indicators.editions import (
    list_editions,
    load_edition,
    publish_edition,
    verify_edition,
)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    rng = np.random.default_rng(21)
    codes = lsoas(BRISTOL, 10) + lsoas(BATH, 10)

    def counts(i: int, m: str) -> dict:
        return {
            (c, t): int(rng.poisson(6))
            for c in codes
            for t in ("Violence and sexual offences", "Anti-social behaviour")
        }

    ws = make_workspace(tmp_path_factory.mktemp("ed"), months("2019-01", 30), counts)
    info = publish_edition(ws, parse_indicator_set(SET), levels=["force", "lad"], note="First")
    return ws, info


def test_edition_files_manifest_and_provenance(published: tuple) -> None:
    ws, info = published
    assert info.number == 1
    assert set(info.files) >= {
        "edition.json",
        "index.html",
        "scorecard.csv",
        "scorecard.xlsx",
        "scorecard.pdf",
        "assets/scorecard.css",
    }
    assert verify_edition(ws, 1) == []
    assert all(not (info.path / f).stat().st_mode & 0o222 for f in info.files)  # read-only
    meta = load_edition(ws, 1)
    assert meta["data_cutoff"] == "2021-06" and meta["method_version"]
    assert len(meta["lake_provenance"]) == 30
    assert all(len(p["source_sha256"]) == 64 for p in meta["lake_provenance"])
    # 3 indicators × (1 force + 2 districts)
    assert len(meta["evaluations"]) == 9


def test_csv_xlsx_json_agree(published: tuple) -> None:
    _, info = published
    rows = list(csv.DictReader(io.StringIO((info.path / "scorecard.csv").read_text("utf-8"))))
    meta = json.loads((info.path / "edition.json").read_text("utf-8"))
    assert len(rows) == len(meta["evaluations"])
    by = {(r["indicator"], r["area_code"]): r for r in rows}
    for e in meta["evaluations"]:
        r = by[(e["indicator"], e["area_code"])]
        assert r["score"] == e["score"]
        if e["value"] is not None:
            assert float(r["value"]) == pytest.approx(e["value"])
    sheet = load_workbook(info.path / "scorecard.xlsx").active
    assert sheet.max_row == len(rows) + 1
    assert [c.value for c in sheet[1]][:4] == ["edition", "data_cutoff", "objective", "indicator"]


def test_html_is_accessible_text_and_has_no_script(published: tuple) -> None:
    _, info = published
    html = (info.path / "index.html").read_text("utf-8")
    assert "<script" not in html
    assert "How to read this Scorecard" in html and "Bristol, City of" in html
    assert html.count('<img src="charts/') == 3  # one chart per indicator, with alt text
    assert html.count('alt="Charts of ') == 3
    assert (info.path / "charts" / "violence.svg").read_text("utf-8").startswith("<svg")
    assert "Open Government" in html


def test_pdf_renders_with_key_text(published: tuple) -> None:
    _, info = published
    pdf = info.path / "scorecard.pdf"
    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    n = int(next(ln.split()[-1] for ln in pages.stdout.splitlines() if ln.startswith("Pages")))
    assert 2 <= n <= 20
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Community safety Scorecard" in text and "Test CSP" in text and "Violence" in text


def test_correction_is_a_new_edition_and_old_one_is_untouched(
    published: tuple, tmp_path: Path
) -> None:
    ws, info = published
    before = dict(info.files)
    with pytest.raises(SaferPlacesError, match="needs a note"):
        publish_edition(ws, parse_indicator_set(SET), levels=["force"], corrects=1)
    with pytest.raises(SaferPlacesError, match="edition 7 does not exist"):
        publish_edition(ws, parse_indicator_set(SET), levels=["force"], corrects=7, note="x")
    second = publish_edition(
        ws,
        parse_indicator_set(SET),
        levels=["force"],
        corrects=1,
        note="Force only",
        formats=("csv",),
    )
    assert second.number == 2 and second.corrects == 1
    assert [e.number for e in list_editions(ws)] == [1, 2]
    assert verify_edition(ws, 1) == [] and list_editions(ws)[0].files == before
    # tampering is detected
    f = info.path / "scorecard.csv"
    f.chmod(0o644)
    f.write_text(f.read_text("utf-8").replace("stable", "improving"), "utf-8")
    assert verify_edition(ws, 1) == ["scorecard.csv"]
    shutil.rmtree(second.path)
