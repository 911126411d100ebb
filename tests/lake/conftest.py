from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from tests.support import TEST_DATA

SAMPLE = TEST_DATA / "policeuk" / "avon-sample"


def lake_snapshot(lake: Path) -> dict[str, str]:
    """sha256 of every data file in the lake (what a reader could see)."""
    return {
        str(p.relative_to(lake)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(lake.rglob("data.parquet"))
    }


@pytest.fixture
def sample_dir(tmp_path: Path) -> Path:
    """A writable copy of the committed police.uk sample folder."""
    dest = tmp_path / "sample"
    shutil.copytree(SAMPLE, dest)
    return dest


def street_file(folder: Path, month: str = "2018-01") -> Path:
    return folder / month / f"{month}-avon-and-somerset-street.csv"
