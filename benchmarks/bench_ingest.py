"""Ingest benchmark: our police.uk ingest against bare DuckDB and pandas, on one synthetic archive.

    python benchmarks/bench_ingest.py [--months 12] [--forces 43] [--repeats 2] [--small]

Generates a national archive with ``synth_policeuk.py`` into a temporary folder under /tmp (or
uses ``--data DIR``), warms the page cache, then runs every variant in a fresh subprocess,
interleaved (the order alternates between repeats), and reports the median:

* ``ours``      ``saferplaces.lake.ingest.ingest(lake, [folder])``: the full pipeline (vetting,
                sha256, DuckDB read with the declared schema, checks, per-partition atomic
                Parquet writes with provenance, the base mart).
* ``reingest``  ``ours`` again on the unchanged archive, into the lake the previous run wrote.
* ``duckdb``    bare DuckDB: ``COPY (SELECT * FROM read_csv([...], columns=<read_columns>,
                header, auto_detect=false, filename=true)) TO dir (FORMAT parquet, COMPRESSION
                zstd, PARTITION_BY (falls_within, month))``: same types, same compression, one
                file per force-month like ours. The target is ours ≤ 1.5× this.
* ``duckdb_1file`` the same into one Parquet file (for reference).
* ``pandas``    ``pd.read_csv`` per file (dtypes declared), ``pd.concat``, ``to_parquet``
                (pyarrow, zstd). ``--pandas-months K`` runs it on the first K months only and
                scales its time to the full row count (stated in the results).

Time is measured inside the child around the variant only (interpreter start and imports
excluded, the same for every variant); peak memory is the child's RSS high-water mark, from
``os.wait4`` (the per-child form of ``getrusage(RUSAGE_CHILDREN).ru_maxrss``). A separate,
untimed run of ``ours`` wraps the pipeline's stages in timers for the "what dominates" table.

Writes ``benchmarks/results/ingest.md`` (``--out``). Lakes are removed as soon as they have
been measured; the generated archive at the end, unless ``--keep``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VARIANTS = ("ours", "reingest", "duckdb", "duckdb_1file", "pandas")


# --------------------------------------------------------------------------------------------
# Workers: each runs in its own process and writes a JSON result.
# --------------------------------------------------------------------------------------------
def _csv_files(data: Path, months: int | None = None) -> list[Path]:
    files = sorted(data.glob("*/*-street.csv"))
    if months is not None:
        keep = sorted({f.parent.name for f in files})[:months]
        files = [f for f in files if f.parent.name in keep]
    return files


def work_ours(data: Path, out: Path, **_: Any) -> dict[str, Any]:
    from saferplaces.lake.ingest import ingest

    t = time.perf_counter()
    report = ingest(out, [data])
    seconds = time.perf_counter() - t
    statuses = {s: report.count(s) for s in ("loaded", "replaced", "unchanged", "rejected")}
    return {
        "seconds": seconds, "rows": report.rows_kept, "files": len(report.files),
        "statuses": statuses, "ok": report.ok, "marts_rebuilt": report.marts_rebuilt,
    }  # fmt: skip


def work_duckdb(data: Path, out: Path, one_file: bool = False, **_: Any) -> dict[str, Any]:
    import duckdb

    from saferplaces.lake.schemas import read_columns

    files = [str(f) for f in _csv_files(data)]
    t = time.perf_counter()
    con = duckdb.connect()
    target = out / "street.parquet" if one_file else out / "street"
    out.mkdir(parents=True, exist_ok=True)
    options = "FORMAT parquet, COMPRESSION zstd"
    if not one_file:
        options += ", PARTITION_BY (falls_within, month)"
    con.execute(
        f"COPY (SELECT * FROM read_csv(?, columns={read_columns('street')!r}, header=true, "
        f"auto_detect=false, filename=true)) TO '{target}' ({options})",
        [files],
    )
    seconds = time.perf_counter() - t
    pattern = target if one_file else target / "**" / "*.parquet"
    rows = con.execute(f"SELECT count(*) FROM read_parquet('{pattern}')").fetchall()[0][0]
    con.close()
    return {"seconds": seconds, "rows": rows, "files": len(files)}


def work_pandas(data: Path, out: Path, months: int | None = None, **_: Any) -> dict[str, Any]:
    import pandas as pd

    from saferplaces.lake.schemas import read_columns

    cols = read_columns("street")
    dtypes = {c: ("float64" if t == "DOUBLE" else "str") for c, t in cols.items()}
    files = _csv_files(data, months)
    t = time.perf_counter()
    frames = [
        pd.read_csv(f, header=0, names=list(cols), dtype=dtypes).assign(filename=str(f))
        for f in files
    ]
    df = pd.concat(frames, ignore_index=True)
    del frames
    out.mkdir(parents=True, exist_ok=True)
    df.to_parquet(out / "street.parquet", engine="pyarrow", compression="zstd", index=False)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "rows": len(df), "files": len(files), "months": months}


def work_profile(data: Path, out: Path, **_: Any) -> dict[str, Any]:
    """``ours`` with its stages wrapped in timers (nested stages are reported inside their
    parent: e.g. 'fsync' is part of 'write street partitions').

    Partition writes run in the ingest's writer threads while the main thread reads and
    shapes the next batch: their stages are summed over threads, with the thread's own CPU
    time; main-thread stages get the process CPU time (all threads: DuckDB's, and the writes
    that overlapped them)."""
    import pyarrow.parquet as pq

    from saferplaces.lake import catalog, mart, partition
    from saferplaces.lake import ingest as ing
    from saferplaces.sources import policeuk_archive as arch

    spent: dict[str, float] = defaultdict(float)
    spent_cpu: dict[str, float] = defaultdict(float)
    calls: dict[str, int] = defaultdict(int)
    peak: dict[str, float] = defaultdict(float)  # RSS high-water mark (MB) while in a stage
    main = threading.get_ident()
    stacks: dict[int, list[str]] = {main: []}  # the stage path of each thread
    page_mb = os.sysconf("SC_PAGE_SIZE") / 2**20
    done = threading.Event()

    def sample() -> None:
        with open("/proc/self/statm") as fh:
            while not done.wait(0.005):
                fh.seek(0)
                rss = int(fh.read().split()[1]) * page_mb
                peak["(whole ingest)"] = max(peak["(whole ingest)"], rss)
                for path in [list(p) for p in list(stacks.values())]:
                    for i in range(1, len(path) + 1):  # charge the stage and its parents
                        key = " / ".join(path[:i])
                        peak[key] = max(peak[key], rss)

    threading.Thread(target=sample, daemon=True).start()

    def timed(name: str, fn: Any) -> Any:
        @functools.wraps(fn)
        def wrapper(*a: Any, **k: Any) -> Any:
            me = threading.get_ident()
            if me not in stacks:  # a writer thread: its own top-level stages
                stacks[me] = []
            stack = stacks[me]
            cpu_clock = time.process_time if me == main else time.thread_time
            key = " / ".join([*stack, name])
            stack.append(name)
            t, c = time.perf_counter(), cpu_clock()
            try:
                return fn(*a, **k)
            finally:
                spent[key] += time.perf_counter() - t
                spent_cpu[key] += cpu_clock() - c
                calls[key] += 1
                stack.pop()

        return wrapper

    # Module attributes are looked up at call time, so patching them is enough. One wrapper
    # per function, installed under every name it is called by; a name the library no longer
    # has is skipped (the table then simply lacks that stage).
    def patch(name: str, *where: tuple[Any, str]) -> None:
        present = [(obj, attr) for obj, attr in where if hasattr(obj, attr)]
        if present:
            wrapped = timed(name, getattr(*present[0]))
            for obj, attr in present:
                setattr(obj, attr, wrapped)

    patch("discover (list, vet, sha256)", (ing, "discover"))
    patch("vet_file", (arch, "vet_file"))
    patch("sha256", (arch, "_sha256"))
    patch("skip unchanged", (ing, "_skip_unchanged_and_repeats"))
    patch("DuckDB read_csv -> Arrow", (ing._Batch, "read"))
    patch("check months", (ing._Batch, "check_months"))
    patch("transform -> Arrow", (ing._Batch, "transform"))
    patch("partition stats", (ing._Batch, "partition_stats"))
    patch("LSOA vintage", (ing, "_vintage"))
    patch("base mart (grouped query)", (ing._Batch, "marts"))
    patch("write street partitions", (ing, "write_partition"))
    patch("write mart partitions", (ing, "write_mart_partition"), (mart, "write_mart_partition"))
    patch("stale-mart check and rebuild", (ing, "_rebuild_marts"))
    patch("rebuild mart partitions", (mart, "rebuild_mart_partition"))
    patch("list street partitions", (mart, "list_partitions"))
    patch(
        "read provenance",
        (partition, "read_provenance"),
        (ing, "read_provenance"),
        (mart, "read_provenance"),
        (catalog, "read_provenance"),
    )
    patch("pq.write_table", (pq, "write_table"))
    patch("fsync", (os, "fsync"))

    cpu0 = time.process_time()
    result = work_ours(data, out)
    result["cpu_ingest"] = time.process_time() - cpu0
    done.set()
    result["stages"] = {
        k: [round(v, 3), calls[k], round(peak[k]), round(spent_cpu[k], 3)] for k, v in spent.items()
    }
    result["sampled_peak_mb"] = round(peak["(whole ingest)"])
    return result


WORKERS = {
    "ours": work_ours,
    "reingest": work_ours,
    "duckdb": work_duckdb,
    "duckdb_1file": functools.partial(work_duckdb, one_file=True),
    "pandas": work_pandas,
    "profile": work_profile,
}


def _proc_field(path: str, name: str) -> str:
    with open(path) as fh:
        return next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith(name)), "?")


def _vm_hwm_mb() -> float:
    """This process's own RSS high-water mark (reset at exec, unlike ru_maxrss)."""
    return int(_proc_field("/proc/self/status", "VmHWM").split()[0]) / 1024


def worker_main(a: argparse.Namespace) -> int:
    result = WORKERS[a.worker](Path(a.data), Path(a.lake), months=a.pandas_months)
    result["vm_hwm_mb"] = _vm_hwm_mb()
    Path(a.result).write_text(json.dumps(result))
    return 0


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------
def run_child(
    variant: str, data: Path, lake: Path, scratch: Path, pandas_months: int | None
) -> dict[str, Any]:
    result_file = scratch / f"result-{variant}-{time.time_ns()}.json"
    cmd = [sys.executable, __file__, "--worker", variant, "--data", str(data), "--lake", str(lake),
           "--result", str(result_file)]  # fmt: skip
    if pandas_months:
        cmd += ["--pandas-months", str(pandas_months)]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    err = proc.stderr.read().decode() if proc.stderr else ""
    if status != 0:
        raise RuntimeError(f"{variant} failed (status {status}):\n{err}")
    result = json.loads(result_file.read_text())
    result_file.unlink()
    result["process_seconds"] = wall
    result["peak_rss_mb"] = usage.ru_maxrss / 1024
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    return result


def library_state() -> tuple[str, str]:
    """(commit, digest of the ingest sources): the results say what code they measured."""
    import hashlib

    digest = hashlib.sha256()
    for f in sorted((ROOT / "src" / "saferplaces").glob("*/*.py")):
        if f.parent.name in ("lake", "sources", "taxonomy"):
            digest.update(f.read_bytes())
    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return commit, digest.hexdigest()[:12]


def run_order(variants: list[str], rep: int) -> list[str]:
    """Variants in the order of repeat ``rep``: reversed every other repeat, so that drift on
    a shared machine hits every variant; reingest always right after ours."""
    order = [v for v in VARIANTS if v in variants and v != "reingest"]
    if rep % 2:
        order.reverse()
    if "reingest" in variants:
        order.insert(order.index("ours") + 1, "reingest")
    return order


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0


def warm_cache(data: Path) -> float:
    t = time.perf_counter()
    for f in _csv_files(data):
        with open(f, "rb") as fh:
            while fh.read(1 << 24):
                pass
    return time.perf_counter() - t


def machine() -> dict[str, str]:
    import duckdb
    import numpy
    import pandas
    import pyarrow

    mem_kb = int(_proc_field("/proc/meminfo", "MemTotal").split()[0])
    cpu = _proc_field("/proc/cpuinfo", "model name")
    return {
        "nproc": str(os.cpu_count()), "cpu": cpu, "ram": f"{mem_kb / 1024**2:.1f} GiB",
        "os": platform.platform(), "python": platform.python_version(),
        "duckdb": duckdb.__version__, "pyarrow": pyarrow.__version__,
        "pandas": pandas.__version__, "numpy": numpy.__version__,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--forces", type=int, default=43)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--small", action="store_true", help="quick check (synth --small)")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated subset")
    ap.add_argument("--pandas-months", type=int, help="run pandas on the first K months only")
    ap.add_argument("--no-profile", action="store_true", help="skip the stage breakdown")
    ap.add_argument("--data", type=Path, help="an existing archive folder (not deleted)")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp"), help="where to generate")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "ingest.md")
    ap.add_argument("--keep", action="store_true", help="keep the generated archive")
    ap.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    ap.add_argument("--lake", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        return worker_main(a)

    variants = [v for v in a.variants.split(",") if v]
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        ap.error(f"unknown variants: {sorted(unknown)}")
    if "reingest" in variants and "ours" not in variants:
        ap.error("reingest needs ours")
    if a.small:
        a.months, a.forces = 2, 4
    args = list(argv if argv is not None else sys.argv[1:])
    if "--out" in args:  # where the results go is not part of how they were made
        del args[args.index("--out") : args.index("--out") + 2]
    command = " ".join(["python benchmarks/bench_ingest.py", *args])
    code_before = library_state()
    scratch = Path(tempfile.mkdtemp(prefix="bench-ingest-", dir=a.workdir))
    try:
        # -- data ----------------------------------------------------------------------------
        if a.data:
            data, gen = a.data, {"note": f"existing folder {a.data}"}
        else:
            data = scratch / "archive"
            print(f"generating {a.months} months × {a.forces} forces into {data} ...", flush=True)
            # In a subprocess: this process stays small, so its children's RSS high-water
            # marks (which Linux carries over fork/exec) are their own.
            proc = subprocess.run(
                [sys.executable, str(HERE / "synth_policeuk.py"), str(data), "--months",
                 str(a.months), "--forces", str(a.forces), "--seed", str(a.seed)],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
            gen = json.loads(proc.stdout.strip().splitlines()[-1])
            print(f"  {gen}", flush=True)
        files = _csv_files(data)
        size = sum(f.stat().st_size for f in files)
        print(f"warming the page cache ({size / 1e9:.2f} GB) ...", flush=True)
        warm = warm_cache(data)
        warm2 = warm_cache(data)

        # -- runs ----------------------------------------------------------------------------
        runs: dict[str, list[dict[str, Any]]] = defaultdict(list)
        sizes: dict[str, int] = {}
        for rep in range(a.repeats):
            for v in run_order(variants, rep):
                # reingest reuses the lake ours has just written; everything else starts empty.
                lake = scratch / ("lake-ours" if v in ("ours", "reingest") else f"out-{v}")
                if v != "reingest":
                    shutil.rmtree(lake, ignore_errors=True)
                pm = a.pandas_months if v == "pandas" else None
                r = run_child(v, data, lake, scratch, pm)
                runs[v].append(r)
                sizes[v] = du(lake)
                print(f"  [{rep + 1}/{a.repeats}] {v:<13} {r['seconds']:8.2f} s  "
                      f"cpu {r['cpu_seconds']:7.2f} s  {r['peak_rss_mb']:6.0f} MB "
                      f"(VmHWM {r['vm_hwm_mb']:.0f})  rows={r['rows']:,}", flush=True)  # fmt: skip
                if v == "ours":
                    assert r["ok"] and r["statuses"]["loaded"] == len(files), r
                if v == "reingest":
                    assert r["statuses"]["unchanged"] == len(files), r
                if not (v == "ours" and "reingest" in variants):
                    shutil.rmtree(lake, ignore_errors=True)
        profile = None
        if not a.no_profile and "ours" in variants:
            lake = scratch / "lake-profile"
            profile = run_child("profile", data, lake, scratch, None)
            print(f"  [profile] ours+timers {profile['seconds']:.2f} s", flush=True)
            reprofile = run_child("profile", data, lake, scratch, None)
            print(f"  [profile] reingest+timers {reprofile['seconds']:.2f} s", flush=True)
            profile["re"] = reprofile
            shutil.rmtree(lake, ignore_errors=True)

        data_info = {"files": len(files), "bytes": size, "warm": (warm, warm2), **gen}
        (commit, digest), (_, digest_after) = code_before, library_state()
        data_info["code"] = (
            f"commit {commit} (HEAD at the start), sha256 of src/saferplaces/{{lake,sources,"
            f"taxonomy}}/*.py {digest}, "
        )
        if digest_after == digest:
            data_info["code"] += "unchanged during the run"
        else:
            data_info["code"] += f"CHANGED DURING THE RUN (to {digest_after}): results are mixed"
            print("warning: the ingest code changed during the run", flush=True)
        text = render(a, command, data_info, runs, sizes, profile)
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(text)
        print(text)
        print(f"written {a.out}")
    finally:
        if a.keep:
            print(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------
def render(
    a: argparse.Namespace,
    command: str,
    data: dict[str, Any],
    runs: dict[str, list[dict[str, Any]]],
    sizes: dict[str, int],
    profile: dict[str, Any] | None,
) -> str:
    m = machine()
    rows = (
        runs["ours"][0]["rows"]
        if "ours" in runs
        else max(r["rows"] for rs in runs.values() for r in rs)
    )
    warm, warm2 = data["warm"]
    generated = f", generated in {data['seconds']:.1f} s" if "seconds" in data else ""
    out = [
        "# Ingest benchmark",
        "",
        f"Command: `{command.strip()}`  ",
        f"Date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}  ",
        f"Machine: {m['nproc']} cores ({m['cpu']}), {m['ram']} RAM, shared with other work: "
        f"load average {os.getloadavg()[0]:.1f} at the end of the run  ",
        f"Software: Python {m['python']}, DuckDB {m['duckdb']}, pyarrow {m['pyarrow']}, "
        f"pandas {m['pandas']}, numpy {m['numpy']}; {m['os']}  ",
        f"Code measured: {data['code']}",
        "",
        f"Data: synthetic national street archive (`benchmarks/synth_policeuk.py`, "
        f"{a.months} months × {a.forces} forces, seed {a.seed}): {data['files']} files, "
        f"{rows:,} rows, {data['bytes'] / 1e6:,.0f} MB of CSV{generated}. Page cache warmed "
        f"before the runs (first read {warm:.1f} s, second {warm2:.1f} s).",
        "",
        "Each variant runs in a fresh process; time is measured around the variant only "
        "(imports excluded); CPU is the process's user + system time (all threads); peak RSS "
        f"is its high-water mark (`os.wait4`). {a.repeats} interleaved runs per variant (order "
        "reversed every other repeat); medians. The machine is shared, so wall times vary "
        "from run to run; CPU seconds are steadier.",
        "",
        "| variant | wall, runs (s) | wall, median (s) | rows/s | CPU, median (s) "
        "| peak RSS (MB) | output (MB) |",
        "|---|---|---|---|---|---|---|",
    ]
    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}
    labels = {
        "ours": "ours (full pipeline)", "reingest": "reingest (unchanged archive)",
        "duckdb": "bare DuckDB (partitioned)", "duckdb_1file": "bare DuckDB (one file)",
        "pandas": "pandas",
    }  # fmt: skip
    scale_note = ""
    for v in (v for v in VARIANTS if v in runs):
        rs = runs[v]
        secs = [r["seconds"] for r in rs]
        factor = 1.0
        if v == "pandas" and rs[0].get("months"):
            factor = rows / rs[0]["rows"]
            scale_note = (
                f"pandas ran on the first {rs[0]['months']} months only ({rs[0]['rows']:,} rows); "
                f"its times are scaled ×{factor:.2f} to the full row count and its peak RSS is "
                "for the subset (it grows with the rows: the whole table is held in memory)."
            )
        wall[v] = statistics.median(secs) * factor
        cpu[v] = statistics.median(r["cpu_seconds"] for r in rs) * factor
        rate = rs[0]["rows"] / statistics.median(secs)
        out.append(
            f"| {labels[v]}{' (scaled)' if factor != 1 else ''} | "
            f"{', '.join(f'{s:.1f}' for s in secs)} | {wall[v]:.1f} | {rate / 1e3:,.0f}k | "
            f"{cpu[v]:.1f} | {max(r['peak_rss_mb'] for r in rs):,.0f} | "
            f"{sizes.get(v, 0) / 1e6:,.0f} |"
        )
    out.append("")
    if scale_note:
        out += [scale_note, ""]
    out += [
        "Ratios of medians: wall in bold, CPU in brackets, then the wall ratio within each "
        "repeat (variants of one repeat run back to back, so each pair saw similar load):",
        "",
    ]

    def ratio(x: str, y: str) -> str:
        paired = [a["seconds"] / b["seconds"] for a, b in zip(runs[x], runs[y], strict=False)]
        scale = wall[x] / statistics.median(r["seconds"] for r in runs[x])  # pandas subset
        each = ", ".join(f"{p * scale:.2f}" for p in paired)
        return f"**{wall[x] / wall[y]:.2f}×** ({cpu[x] / cpu[y]:.2f}×); per repeat {each}"

    if {"ours", "duckdb"} <= wall.keys():
        out.append(f"- ours / bare DuckDB (partitioned): {ratio('ours', 'duckdb')} — target ≤ 1.5×")
    if {"ours", "duckdb_1file"} <= wall.keys():
        out.append(f"- ours / bare DuckDB (one file): {ratio('ours', 'duckdb_1file')}")
    if {"ours", "pandas"} <= wall.keys():
        out.append(f"- pandas / ours: {ratio('pandas', 'ours')} — target ≥ 5×")
    if {"ours", "reingest"} <= wall.keys():
        out.append(f"- reingest / first ingest: {ratio('reingest', 'ours')}")
    if "ours" in runs:
        peak = max(r["peak_rss_mb"] for r in runs["ours"])
        out.append(f"- ours peak RSS: **{peak / 1024:.2f} GB** — target ≤ 2 GB")
    out.append("")
    if profile:
        out += render_profile(profile)
    return "\n".join(out) + "\n"


def render_profile(profile: dict[str, Any]) -> list[str]:
    total, total_cpu = profile["seconds"], profile["cpu_ingest"]
    re = profile["re"]
    out = [
        "## What dominates",
        "",
        "One extra run of ours with its stages wrapped in timers (wall clock and process CPU, "
        f"all threads): {total:.1f} s wall, {total_cpu:.1f} s CPU; the re-ingest after it "
        f"{re['seconds']:.1f} s wall, {re['cpu_ingest']:.1f} s CPU. Indented stages are part "
        "of the stage above them; stages are ordered by CPU. The 'write ... partitions' "
        "stages run in the ingest's two writer threads while the main thread reads and shapes "
        "the next batch: their wall and CPU (the thread's own) are summed over threads, and the "
        "CPU of main-thread stages is the whole process's (so it includes writes that ran at "
        "the same time). Stages therefore overlap and add up to more than the total. Peak "
        "RSS is the process's RSS high-water mark, sampled every 5 ms, while the stage ran.",
        "",
        "| stage | calls | wall (s) | wall share | CPU (s) | CPU share | peak RSS in stage (MB) "
        "| re-ingest wall (s) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    stages: dict[str, list[float]] = profile["stages"]
    re_stages: dict[str, list[float]] = re["stages"]
    none = [0.0, 0, 0, 0.0]

    def sort_key(k: str) -> list[tuple[float, str]]:
        # Depth-first: each level ordered by its first-ingest CPU, largest first.
        parts = k.split(" / ")
        return [
            (-stages.get(" / ".join(parts[: i + 1]), none)[3], parts[i]) for i in range(len(parts))
        ]

    for k in sorted(dict.fromkeys([*stages, *re_stages]), key=sort_key):
        wall, n, pk, cpu = stages.get(k, none)
        indent = "&nbsp;&nbsp;" * 2 * k.count(" / ")
        out.append(
            f"| {indent}{k.split(' / ')[-1]} | {n} | {wall:.2f} | {100 * wall / total:.0f}% | "
            f"{cpu:.2f} | {100 * cpu / total_cpu:.0f}% | {f'{pk:,.0f}' if pk else '–'} | "
            f"{re_stages.get(k, none)[0]:.2f} |"
        )
    # (No "other" row: the stages overlap in time, so the remainder would mean nothing.)
    return out


if __name__ == "__main__":
    sys.exit(main())
