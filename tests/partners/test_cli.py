"""The partner CLI is thin: exit codes, messages and files, not the library again."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from tests.partners.conftest import ASB_HEADER, WriteCsv, asb_rows, read_csv

from saferplaces.cli import main
from saferplaces.partners._examples import example_path
from saferplaces.partners.definitions import templates_dir


def _ws(runner: CliRunner, tmp_path: Path) -> str:
    ws = tmp_path / "ws"
    res = runner.invoke(main, ["init", "-w", str(ws), "--name", "Test CSP"])
    assert res.exit_code == 0, res.output
    return str(ws)


def test_ingest_dataset_import_list_show_counts(tmp_path: Path) -> None:
    runner = CliRunner()
    ws = _ws(runner, tmp_path)
    res = runner.invoke(
        main, ["ingest", "-w", ws, "--dataset", "marac", str(example_path("marac"))]
    )
    assert res.exit_code == 0, res.output
    assert "loaded" in res.output and "180 kept" in res.output
    res = runner.invoke(main, ["partners", "import", "-w", ws, "victims_code",
                               str(example_path("victims_code"))])  # fmt: skip
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["partners", "list", "-w", ws, "--json"])
    data = {d["name"]: d for d in json.loads(res.output)}
    assert data["marac"]["rows"] == 180 and data["nrm"]["rows"] == 0
    res = runner.invoke(main, ["partners", "show", "-w", ws, "marac"])
    assert res.exit_code == 0 and "repeat_case" in res.output and "restricted" in res.output
    # Restricted data for the public: refused with a one-line error (exit 2).
    res = runner.invoke(main, ["partners", "counts", "-w", ws, "marac", "--by", "month"])
    assert res.exit_code == 2 and "restricted" in res.output
    res = runner.invoke(main, ["partners", "counts", "-w", ws, "marac", "--by", "month",
                               "--by", "referral_source", "--audience", "partner"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "suppressed" in res.output and "1 to 9" in res.output


def test_counts_export_neutralises_formulas(tmp_path: Path, write_csv: WriteCsv) -> None:
    runner = CliRunner()
    ws = _ws(runner, tmp_path)
    rows = asb_rows(40)
    for r in rows[:20]:
        r[2] = "nuisance"
    path = write_csv("asb.csv", ASB_HEADER, rows)
    assert (
        runner.invoke(main, ["partners", "import", "-w", ws, "council_asb", str(path)]).exit_code
        == 0
    )
    out = tmp_path / "out.csv"
    res = runner.invoke(main, ["partners", "counts", "-w", ws, "council_asb", "--by", "category",
                               "--audience", "analyst", "--out", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    got = {r["category"]: r["value"] for r in read_csv(out)}
    assert got["nuisance"] == "26"
    xlsx = tmp_path / "out.xlsx"
    res = runner.invoke(main, ["partners", "counts", "-w", ws, "council_asb", "--by", "month",
                               "--audience", "public", "--out", str(xlsx)])  # fmt: skip
    assert res.exit_code == 0, res.output
    from openpyxl import load_workbook

    wb = load_workbook(xlsx)
    assert wb.sheetnames == ["council_asb", "Notes"]


def test_map_saves_and_a_renamed_column_fails_with_the_remap_hint(
    tmp_path: Path, write_csv: WriteCsv
) -> None:
    runner = CliRunner()
    ws = _ws(runner, tmp_path)
    header = ["Ref", "When", "Category", "Street", "Lon", "Lat"]
    rows = [[r[0], r[1], r[2], r[4], r[5], r[6]] for r in asb_rows(10)]
    path = write_csv("jan.csv", header, rows)
    res = runner.invoke(main, ["partners", "map", "-w", ws, "council_asb", str(path)])
    assert res.exit_code == 1 and "Required columns without a header: date" in res.output
    res = runner.invoke(main, ["partners", "map", "-w", ws, "council_asb", str(path),
                               "--set", "date=When", "--dry-run"])  # fmt: skip
    assert res.exit_code == 0 and not (Path(ws) / "partners/council_asb.mapping.yaml").exists()
    res = runner.invoke(main, ["partners", "map", "-w", ws, "council_asb", str(path),
                               "--set", "date=When"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert (Path(ws) / "partners/council_asb.mapping.yaml").exists()
    res = runner.invoke(main, ["partners", "import", "-w", ws, "council_asb", str(path)])
    assert res.exit_code == 0, res.output
    renamed = write_csv("feb.csv", ["Ref", "When reported", *header[2:]], rows)
    res = runner.invoke(main, ["partners", "import", "-w", ws, "council_asb", str(renamed)])
    assert res.exit_code == 2
    assert "closest header is 'When reported'" in res.output
    assert "saferplaces partners map council_asb feb.csv" in res.output


def test_rejected_rows_exit_1_and_purge_dry_run(tmp_path: Path, write_csv: WriteCsv) -> None:
    runner = CliRunner()
    ws = _ws(runner, tmp_path)
    rows = asb_rows(10)
    rows[0][2] = "??"
    path = write_csv("a.csv", ASB_HEADER, rows)
    res = runner.invoke(
        main, ["partners", "import", "-w", ws, "council_asb", str(path), "--max-rejects", "0.5"]
    )
    assert res.exit_code == 1 and "validation report" in res.output
    res = runner.invoke(main, ["partners", "purge", "-w", ws, "--dry-run", "--today", "2040-01-01"])
    assert res.exit_code == 0 and "Would remove council_asb 2024-01 (9 rows)" in res.output


def test_check_definition_file() -> None:
    runner = CliRunner()
    res = runner.invoke(main, ["partners", "check", str(templates_dir() / "nrm.yaml")])
    assert res.exit_code == 0 and "valid definition of 'nrm'" in res.output
