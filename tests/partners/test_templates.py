"""Every built-in template imports its SYNTHETIC example; the examples match their generator."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.partners.conftest import TODAY

from saferplaces.partners import import_file
from saferplaces.partners._examples import EXAMPLES, MAKERS, example_path, rows_for, write
from saferplaces.partners._read import iter_chunks, open_source
from saferplaces.partners.definitions import builtin_names, load_definition
from saferplaces.partners.query import counts, dataset_frame, present_datasets
from saferplaces.workspace import Workspace

EXPECTED_ROWS = {
    "ae_assaults": 200, "call_handling": 48, "council_asb": 305, "fire_deliberate": 250,
    "marac": 180, "nrm": 120, "police_workforce": 144, "speed_enforcement": 480,
    "speed_watch": 150, "victims_code": 36,
}  # fmt: skip


def test_every_template_has_a_synthetic_example() -> None:
    assert sorted(MAKERS) == builtin_names()
    for name in MAKERS:
        assert example_path(name).exists() and ".synthetic." in example_path(name).name
    readme = (EXAMPLES / "README.md").read_text("utf-8")
    assert "SYNTHETIC" in readme and "invented" in readme
    for name, n in EXPECTED_ROWS.items():
        assert f"| {name} | {n} |" in readme


@pytest.mark.parametrize("name", sorted(EXPECTED_ROWS))
def test_each_template_imports_its_example(ws: Workspace, name: str) -> None:
    r = import_file(ws, name, example_path(name), today=TODAY)
    assert (r.status, r.rows_kept, r.rows_rejected) == ("loaded", EXPECTED_ROWS[name], 0)
    assert not r.warnings
    defn = load_definition(name)
    frame = dataset_frame(ws, name, "analyst")
    assert frame.num_rows == EXPECTED_ROWS[name]
    assert set(c.name for c in defn.columns) <= set(frame.column_names)
    assert [d.name for d in present_datasets(ws)] == [name]
    # Every template can be counted by month as an analyst.
    c = counts(ws, name, ["month"], audience="analyst")
    measure = defn.measure_columns[0] if defn.measures != "rows" else None
    expected = sum(frame.column(measure).to_pylist()) if measure else EXPECTED_ROWS[name]
    assert sum(v for v in c.table.column("value").to_pylist()) == expected


def test_examples_are_reproducible(tmp_path: Path) -> None:
    for name in MAKERS:
        fresh = write(name, tmp_path)
        committed = example_path(name)
        if fresh.suffix == ".csv":
            assert fresh.read_bytes() == committed.read_bytes(), name
        else:  # an .xlsx holds zip timestamps: compare the cells
            a = _cells(fresh)
            assert a == _cells(committed), name
            header, rows = rows_for(name)
            assert a[0] == header and len(a) == len(rows) + 1


def _cells(path: Path) -> list[list[str]]:
    src = open_source(path)
    out: list[list[str]] = []
    for header, chunk in iter_chunks(src, 10_000):
        if not out:
            out.append(header)
        out.extend(chunk.rows)
    return out
