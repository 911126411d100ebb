from __future__ import annotations

import csv
import io
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from saferplaces.publish.exports import FORMULA_PREFIXES, csv_text, neutralise, write_xlsx


@given(st.text())
def test_no_cell_starts_like_a_formula(text: str) -> None:
    out = neutralise(text)
    assert not out.lstrip(" ").startswith(FORMULA_PREFIXES)
    assert out in (text, "'" + text)


def test_csv_and_xlsx_neutralise_but_keep_numbers(tmp_path: Path) -> None:
    rows = [['=HYPERLINK("http://x")', -3.5, "@SUM(A1)"], ["Bath", 2, None]]
    text = csv_text(["name", "value", "note"], rows)
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[1][0] == '\'=HYPERLINK("http://x")' and parsed[1][1] == "-3.5"
    assert parsed[1][2] == "'@SUM(A1)" and parsed[2][2] == ""
    write_xlsx(tmp_path / "x.xlsx", {"data": (["name", "value", "note"], rows)})
    ws = load_workbook(tmp_path / "x.xlsx").active
    assert ws["A2"].value == '\'=HYPERLINK("http://x")' and ws["A2"].data_type == "s"
    assert ws["B2"].value == -3.5
