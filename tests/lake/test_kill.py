"""A killed ingest (SIGKILL at a random moment) leaves the lake consistent, and the next run
completes. Each partition must be readable and be wholly the old version or wholly the new."""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import duckdb
import pytest
from tests.support import shared

from saferplaces.lake import list_partitions
from saferplaces.lake.ingest import ingest

MONTHS = [f"2020-{m:02d}" for m in range(1, 9)]
KILLS = 12
MAX_RUNS = 40


def _extract(dest: Path) -> Path:
    z = shared("policeuk/avon-and-somerset-street-2018-01_2021-09.zip")
    with zipfile.ZipFile(z) as zf:
        for m in MONTHS:
            name = f"{m}/{m}-avon-and-somerset-street.csv"
            (dest / m).mkdir(parents=True, exist_ok=True)
            (dest / name).write_bytes(zf.read(name))
    return dest


def _old_versions(new: Path, old: Path) -> Path:
    """An earlier download of the same months: the last 50 rows missing."""
    for f in new.rglob("*.csv"):
        target = old / f.relative_to(new)
        target.parent.mkdir(parents=True, exist_ok=True)
        lines = f.read_bytes().split(b"\r\n")
        target.write_bytes(b"\r\n".join(lines[:-51]) + b"\r\n")
    return old


def _check_consistent(lake: Path, allowed: dict[str, set[str]]) -> None:
    con = duckdb.connect()
    for ds in ("street", "crime_monthly"):
        for part in list_partitions(lake, ds):
            sha = part.provenance["source_sha256"]
            assert sha in allowed[part.keys["month"]], f"{part.path}: unknown version"
            n = con.execute(f"SELECT count(*) FROM read_parquet('{part.path}')").fetchone()
            if ds == "street":
                assert n == (part.provenance["rows_kept"],), f"{part.path}: rows differ"
    # DuckDB over the whole lake must work too (no stray files matching the glob)
    con.execute(f"SELECT count(*) FROM read_parquet('{lake}/*/*/*/*.parquet')").fetchall()


def _wait_for_first_write(lake: Path, proc: subprocess.Popen[bytes], timeout: float) -> None:
    files = list(lake.glob("street/*/*/data.parquet"))
    start = {f: f.stat().st_mtime_ns for f in files}
    end = time.perf_counter() + timeout
    while time.perf_counter() < end and proc.poll() is None:
        if any(f.stat().st_mtime_ns != t for f, t in start.items()):
            return
        time.sleep(0.001)


@pytest.mark.slow
def test_sigkill_at_random_moments_leaves_lake_consistent(tmp_path: Path) -> None:
    new = _extract(tmp_path / "new")
    old = _old_versions(new, tmp_path / "old")
    pristine = tmp_path / "pristine"
    assert ingest(pristine, [old]).ok
    olds = {
        p.keys["month"]: p.provenance["source_sha256"] for p in list_partitions(pristine, "street")
    }
    lake = tmp_path / "lake"
    ref = tmp_path / "ref"
    shutil.copytree(pristine, ref)

    def run(target: Path) -> subprocess.Popen[bytes]:
        code = (
            f"from saferplaces.lake.ingest import ingest; ingest({str(target)!r}, [{str(new)!r}])"
        )
        return subprocess.Popen([sys.executable, "-c", code])

    # Reference: a complete ingest of the new files in a subprocess, and how long it takes.
    t0 = time.perf_counter()
    assert run(ref).wait() == 0
    duration = time.perf_counter() - t0
    news = {p.keys["month"]: p.provenance["source_sha256"] for p in list_partitions(ref, "street")}
    allowed = {m: {olds[m], news[m]} for m in MONTHS}

    rng = random.Random(20261122)
    shutil.copytree(pristine, lake)
    killed = mixed = 0
    # Timing on a loaded machine varies: go on (up to a bound) until enough kills landed.
    for i in range(MAX_RUNS):
        if killed >= KILLS and mixed >= 2:
            break
        proc = run(lake)
        if i % 2:
            time.sleep(rng.uniform(0.1, duration))  # anywhere: reading, checking, writing
        else:
            # aim at the write phase: wait for the first partition to be replaced, then a bit
            _wait_for_first_write(lake, proc, timeout=duration * 3)
            time.sleep(rng.uniform(0.0, 0.05))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        finished = proc.wait() == 0
        _check_consistent(lake, allowed)
        shas = {p.provenance["source_sha256"] for p in list_partitions(lake, "street")}
        mixed += bool(shas & set(olds.values()) and shas & set(news.values()))
        if finished:  # start again from the old state so later kills land mid-ingest
            shutil.rmtree(lake)
            shutil.copytree(pristine, lake)
    assert killed >= KILLS, "too few kills landed during the ingest"
    assert mixed >= 2, "too few kills landed between two partition writes"

    # the lake may be old, new or a mix per partition; the next run completes it
    final = ingest(lake, [new])
    assert final.ok
    _check_consistent(lake, {m: {news[m]} for m in MONTHS})  # type: ignore[index]
    assert {
        p.keys["month"]: p.provenance["rows_kept"] for p in list_partitions(lake, "street")
    } == {p.keys["month"]: p.provenance["rows_kept"] for p in list_partitions(ref, "street")}
    assert not list(lake.rglob(".tmp-*"))
