"""Fixtures for the partner-data tests: a fresh workspace, file writers and a lake fingerprint."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from saferplaces.workspace import Workspace

TODAY = dt.date(2025, 6, 30)  # every import in these tests pretends today is this date


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", "Test CSP", forces=["lancashire"], areas=[])


WriteCsv = Callable[..., Path]


@pytest.fixture
def write_csv(tmp_path: Path) -> WriteCsv:
    """``write_csv(name, header, rows, delimiter=",", encoding="utf-8")`` → the file's path."""

    def write(
        name: str,
        header: Sequence[str],
        rows: Sequence[Sequence[Any]],
        delimiter: str = ",",
        encoding: str = "utf-8",
    ) -> Path:
        path = tmp_path / "in" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", newline="", encoding=encoding) as fh:
            w = csv.writer(fh, delimiter=delimiter)
            w.writerow(header)
            w.writerows(rows)
        return path

    return write


def lake_fingerprint(lake: Path) -> dict[str, str]:
    """sha256 of every dataset file in the lake (reports and logs excluded)."""
    out = {}
    for p in sorted(lake.rglob("*")):
        rel = p.relative_to(lake).as_posix()
        if p.is_file() and not rel.startswith(("_log/", "_reports/")):
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def read_csv(path: str | Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


ASB_HEADER = ["incident_ref", "date", "category", "asb_type", "location", "longitude", "latitude"]


def asb_rows(n: int, month: str = "2024-01", start: int = 1) -> list[list[Any]]:
    """``n`` valid council ASB rows in ``month`` (days 1–28, points in Blackburn)."""
    return [
        [
            f"ASB-{start + i:05d}",
            f"{month}-{i % 28 + 1:02d}",
            ["personal", "nuisance", "environmental"][i % 3],
            "noise",
            "Church Street",
            round(-2.485 + 0.0005 * (i % 20), 5),
            round(53.748 + 0.0004 * (i % 15), 5),
        ]
        for i in range(n)
    ]
