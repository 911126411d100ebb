"""The CLI is thin: these tests check exit codes, messages and JSON, not the library again."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from tests.support import TEST_DATA, shared

from saferplaces.cli import main

SAMPLE = TEST_DATA / "policeuk" / "avon-sample"


def _init(runner: CliRunner, ws: Path) -> None:
    res = runner.invoke(
        main, ["init", "-w", str(ws), "--name", "Test CSP", "--force", "avon-and-somerset"]
    )
    assert res.exit_code == 0, res.output


def test_init_ingest_status_json(tmp_path: Path) -> None:
    runner = CliRunner()
    ws = tmp_path / "ws"
    _init(runner, ws)
    assert (
        (ws / "saferplaces.toml").exists()
        and (ws / "lake").is_dir()
        and (ws / "app.sqlite3").exists()
    )
    res = runner.invoke(main, ["ingest", "-w", str(ws), str(SAMPLE)])
    assert res.exit_code == 0, res.output
    assert "loaded" in res.output and "5" in res.output
    res = runner.invoke(main, ["status", "-w", str(ws), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    street = next(c for c in data["coverage"] if c["dataset"] == "street")
    assert street["months_present"] == 3 and street["missing_months"] == []
    assert street["rows"] == 3 * 400


def test_ingest_exits_1_and_names_report_when_rejected(tmp_path: Path) -> None:
    runner = CliRunner()
    ws = tmp_path / "ws"
    _init(runner, ws)
    bad = tmp_path / "2018-02-avon-and-somerset-street.csv"
    bad.write_bytes(b"Crime ID,Month\r\nx,2018-02\r\n")
    res = runner.invoke(main, ["ingest", "-w", str(ws), str(bad)])
    assert res.exit_code == 1
    assert "wrong or missing header" in res.output
    assert "_reports" in res.output.replace("\n", "")
    report = next((ws / "lake" / "_reports").glob("*-rejected-files.csv"))
    assert "wrong or missing header" in report.read_text("utf-8")


def test_status_homeoffice_crosscheck(tmp_path: Path) -> None:
    runner = CliRunner()
    ws = tmp_path / "ws"
    _init(runner, ws)
    ho = shared("reference/homeoffice/prc-pfa-2017-18-by-quarter.csv")
    assert runner.invoke(main, ["ingest", "-w", str(ws), str(SAMPLE)]).exit_code == 0
    res = runner.invoke(main, ["status", "-w", str(ws), "--json", "--homeoffice", str(ho)])
    data = json.loads(res.output)
    [check] = data["homeoffice_crosscheck"]
    # the sample holds 400 rows a month: far below the real total, so it must be flagged
    assert check["quarter"] == 4 and check["flagged"] is True


def test_bad_configuration_names_the_key(tmp_path: Path) -> None:
    runner = CliRunner()
    ws = tmp_path / "ws"
    _init(runner, ws)
    cfg = ws / "saferplaces.toml"
    cfg.write_text(cfg.read_text().replace("[storage]", '[storage]\nlaek = "x"'))
    res = runner.invoke(main, ["status", "-w", str(ws)])
    assert res.exit_code == 2
    assert "storage.laek: unknown key" in res.output
    res = runner.invoke(main, ["init", "-w", str(tmp_path / "b"), "--name", "x", "--force", "avon"])
    assert res.exit_code == 2 and "did you mean 'avon-and-somerset'" in res.output


def test_command_outside_a_workspace(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["status", "-w", str(tmp_path)])
    assert res.exit_code == 2 and "saferplaces init" in res.output
