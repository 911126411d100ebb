"""Bulk runs: every area of a level, an index page, a zip, and failures that stop nobody."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from tests.briefings.conftest import BATH, BRISTOL, SCRIPT_NAME, needs_poppler, pdf_pages

from saferplaces import Workspace
from saferplaces.briefings import BriefingSet, generate_briefings
from saferplaces.briefings.bulk import file_stem
from saferplaces.cli import main


def test_one_failure_does_not_stop_the_others(
    small_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = BriefingSet.content

    def flaky(self: BriefingSet, code: str) -> dict[str, Any]:
        if code == "W01":
            raise RuntimeError("boom in W01")
        return real(self, code)

    monkeypatch.setattr(BriefingSet, "content", flaky)
    seen: list[str] = []
    report = generate_briefings(
        small_ws,
        "ward",
        tmp_path,
        pdf=False,
        workers=1,
        progress=lambda done, total, r: seen.append(f"{done}/{total} {r.code}"),
    )
    assert not report.ok
    assert [r.code for r in report.failures] == ["W01"]
    assert report.failures[0].error == "RuntimeError: boom in W01"
    assert [r.code for r in report.written] == ["W02"]
    assert (tmp_path / "W02.html").exists() and not (tmp_path / "W01.html").exists()
    assert seen == ["1/2 W01", "2/2 W02"]
    index = (tmp_path / "index.html").read_text("utf-8")
    assert "Briefings that could not be produced" in index and "boom in W01" in index
    assert SCRIPT_NAME not in index  # the failed area's name is escaped on the index too
    saved = json.loads((tmp_path / "report.json").read_text("utf-8"))
    assert saved["results"][0]["error"] == "RuntimeError: boom in W01"


def test_render_failure_in_a_worker_is_reported(
    small_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from saferplaces.briefings import bulk

    real = bulk.render_html

    def broken(content: dict[str, Any], **kw: Any) -> str:
        if content["area"]["code"] == BATH:
            raise ValueError("template trouble")
        return real(content, **kw)

    monkeypatch.setattr(bulk, "render_html", broken)
    report = generate_briefings(small_ws, "lad", tmp_path, pdf=False, workers=1)
    assert [r.code for r in report.failures] == [BATH]
    assert "ValueError: template trouble" in (report.failures[0].error or "")
    assert (tmp_path / f"{BRISTOL}.html").exists()


def test_parallel_run_with_pdfs_index_and_zip(small_ws: Workspace, tmp_path: Path) -> None:
    needs_poppler()
    report = generate_briefings(
        small_ws, "lad", tmp_path, areas=[BRISTOL, BATH, "E09999999"], workers=2
    )
    assert report.workers == 2
    assert [r.code for r in report.written] == [BRISTOL, BATH]
    assert [r.code for r in report.failures] == ["E09999999"]  # unknown code: reported
    for r in report.written:
        assert r.pages is not None and 2 <= r.pages <= 5
        assert pdf_pages(tmp_path / f"{r.code}.pdf") == r.pages
        html = (tmp_path / f"{r.code}.html").read_text("utf-8")
        assert f'href="{r.code}.pdf"' in html and 'href="assets/briefing.css"' in html
    assert (tmp_path / "assets" / "briefing.css").exists()
    names = set(zipfile.ZipFile(tmp_path / "briefings-lad.zip").namelist())
    assert {f"{BRISTOL}.pdf", f"{BATH}.html", f"{BATH}.json", "index.html"} <= names
    assert set(report.timings) >= {"statistics", "content", "html", "pdf", "total"}


def test_file_stems_are_safe_and_unique() -> None:
    taken: set[str] = set()
    assert file_stem("E05001643", taken) == "E05001643"
    assert file_stem("../../etc/passwd", taken) == "etc_passwd"
    assert file_stem("etc/passwd", taken) == "etc_passwd-2"
    assert file_stem("E05001643", taken) == "E05001643-2"
    assert file_stem("", taken) == "area"


def test_cli(small_ws: Workspace, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "out"
    result = runner.invoke(
        main,
        ["briefings", "-w", str(small_ws.root), "--level", "lad", "--out", str(out), "--no-pdf"],
    )
    assert result.exit_code == 0, result.output
    assert "2 briefings for level 'lad' (the 12 months to Sep 2021)" in result.output
    assert (out / "index.html").exists() and not list(out.glob("*.pdf"))
    result = runner.invoke(
        main,
        ["briefings", "-w", str(small_ws.root), "--level", "parish", "--out", str(out)],
    )
    assert result.exit_code == 2 and "no areas of level 'parish'" in result.output
    result = runner.invoke(
        main,
        [
            "briefings", "-w", str(small_ws.root), "--level", "lad", "--out", str(out),
            "--no-pdf", "--areas", f"{BATH},E09999999",
        ],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "Failed:" in result.output and "E09999999" in result.output
