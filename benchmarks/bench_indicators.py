"""Benchmark: evaluating the default indicator set (issue "Indicators and the published Scorecard").

    python benchmarks/bench_indicators.py [--national-months 12] [--skip-national]

1. Avon and Somerset, 44 real months (shared data): the default set for the force, its
   districts, MSOAs and LSOAs. Target: force + districts (+ wards, which Avon has none of) ≤ 10 s.
2. National scale: the synthetic year of 43 forces (~6M rows, benchmarks/synth_policeuk.py),
   the default set for every LSOA, district and force. Target ≤ 60 s.

Each evaluation runs in a fresh subprocess so its peak memory (ru_maxrss) is its own. Writes
benchmarks/results/indicators.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AVON = Path("/work/shared/data/policeuk/avon-and-somerset-street-2018-01_2021-09.zip")
RESULTS = ROOT / "benchmarks" / "results" / "indicators.md"

CHILD = """
import json, resource, sys, time
from saferplaces import Workspace
from saferplaces.indicators import default_indicator_set
from saferplaces.indicators.cube import MartCube
from saferplaces.indicators.evaluate import evaluate
ws = Workspace.open(sys.argv[1])
levels = sys.argv[2].split(",")
t0 = time.perf_counter()
cube = MartCube.load(ws)
t1 = time.perf_counter()
evals = evaluate(ws, default_indicator_set(), levels, cube)
t2 = time.perf_counter()
by_level = {}
for e in evals:
    by_level[e.level] = by_level.get(e.level, 0) + 1
print(json.dumps({"load_s": t1 - t0, "evaluate_s": t2 - t1, "total_s": t2 - t0,
                  "evaluations": len(evals), "by_level": by_level,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_child(ws: Path, levels: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(ws), levels], capture_output=True, text=True, check=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def build(ws: Path, name: str, forces: list[str], paths: list[Path]) -> float:
    from saferplaces import Workspace
    from saferplaces.lake.ingest import ingest

    if ws.exists():
        shutil.rmtree(ws)
    Workspace.create(ws, name, forces)
    t = time.perf_counter()
    report = ingest(ws / "lake", paths)
    if not report.ok:
        raise SystemExit(
            f"ingest rejected files: {[f for f in report.files if f.status == 'rejected']}"
        )
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--national-months", type=int, default=12)
    ap.add_argument("--skip-national", action="store_true")
    args = ap.parse_args()
    rows: list[tuple[str, dict[str, object]]] = []
    with tempfile.TemporaryDirectory(prefix="bench-ind-") as tmp:
        tmpd = Path(tmp)
        ws = tmpd / "avon"
        build(ws, "Avon and Somerset", ["avon-and-somerset"], [AVON])
        for levels in ("force,lad", "force,lad,msoa,lsoa"):
            rows.append((f"Avon and Somerset, 44 months: {levels}", run_child(ws, levels)))
        if not args.skip_national:
            synth = tmpd / "synth"
            subprocess.run(
                [sys.executable, str(ROOT / "benchmarks" / "synth_policeuk.py"), str(synth),
                 "--months", str(args.national_months), "--forces", "43"],
                check=True, capture_output=True,
            )  # fmt: skip
            from saferplaces.taxonomy import forces

            slugs = [f for f in forces() if f not in ("btp", "northern-ireland")]
            ingest_s = build(tmpd / "national", "England and Wales", slugs, [synth])
            shutil.rmtree(synth)
            res = run_child(tmpd / "national", "force,lad,lsoa")
            res["ingest_s (not part of the target)"] = round(ingest_s, 1)
            rows.append((f"National synthetic, {args.national_months} months: force,lad,lsoa", res))
    lines = [
        "# Indicator evaluation benchmark",
        "",
        f"Command: `python benchmarks/bench_indicators.py` · {time.strftime('%Y-%m-%d')} · "
        f"{platform.node() or 'machine'}: {__import__('os').cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "",
        "Each row is one fresh process: load the base mart into arrays, then evaluate the 11 "
        "default indicators for every area of the levels named. Targets: Avon force + districts "
        "≤ 10 s; national all LSOAs ≤ 60 s. Peak RSS is the whole process (Python, DuckDB, "
        "numpy).",
        "",
        "| run | evaluations | load (s) | evaluate (s) | total (s) | peak RSS (MB) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['evaluations']:,} | {r['load_s']:.2f} | {r['evaluate_s']:.2f} | "
            f"{r['total_s']:.2f} | {r['peak_rss_mb']:.0f} |"
        )
    lines += ["", "Details:", "", "```", *(f"{n}: {json.dumps(r)}" for n, r in rows), "```", ""]
    RESULTS.write_text("\n".join(lines), "utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
