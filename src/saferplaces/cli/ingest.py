"""``saferplaces ingest`` and ``saferplaces status``."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..lake import ingest as ingest_mod
from ..lake.quality import coverage, homeoffice_crosscheck
from . import console, err_console, main, open_workspace, workspace_option


@main.command()
@workspace_option
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--dataset",
    metavar="NAME",
    help="Load partner files (CSV/XLSX) into partner dataset NAME instead of police.uk data "
    "(same as 'saferplaces partners import NAME PATHS').",
)
def ingest(workspace: Path, paths: tuple[Path, ...], dataset: str | None) -> None:
    """Load police.uk archives (zip, folder or CSV files) into the workspace's lake.

    Exits 1 when any file or row was rejected, naming the report that lists them."""
    ws = open_workspace(workspace)
    if dataset is not None:
        # Partner data: a separate importer (saferplaces.partners); police.uk path untouched.
        from .partners import import_partner_files

        import_partner_files(ws, dataset, paths)
        return
    limits = ws.config.ingest
    with Progress(
        TextColumn("[bold]Ingesting"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("files · {task.fields[rows]:,} rows · {task.fields[rate]:,.0f} rows/s"),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    ) as bar:
        task = bar.add_task("ingest", total=None, rows=0, rate=0.0)

        def on_progress(p: ingest_mod.Progress) -> None:
            elapsed = bar.tasks[task].elapsed or 1e-9
            bar.update(
                task,
                total=p.files_total,
                completed=p.files_done,
                rows=p.rows_done,
                rate=p.rows_done / elapsed,
            )

        report = ingest_mod.ingest(
            ws.lake_dir,
            paths,
            max_zip_ratio=limits.max_zip_ratio,
            max_zip_total_bytes=limits.max_zip_total_mb * 1024 * 1024,
            max_line_bytes=limits.max_line_bytes,
            progress=on_progress,
        )
    counts = Counter(f.status for f in report.files)
    table = Table(title=f"Ingest {report.ingest_id}")
    for col in ("status", "files", "rows kept", "rows rejected"):
        table.add_column(col, justify="right" if col != "status" else "left")
    for status in ("loaded", "replaced", "unchanged", "rejected"):
        files = [f for f in report.files if f.status == status]
        if files:
            table.add_row(
                status,
                str(len(files)),
                f"{sum(f.rows_kept for f in files):,}",
                f"{sum(f.rows_rejected for f in files):,}",
            )
    console.print(table)
    for f in report.files:
        if f.status == "rejected":
            where = f" line {f.line}" if f.line else ""
            err_console.print(f"[red]rejected[/] {f.source}{where}: {f.reason}", soft_wrap=True)
    if report.marts_rebuilt:
        console.print(f"Rebuilt {report.marts_rebuilt} base-mart partitions.")
    if not report.ok:
        reports = ws.lake_dir / ingest_mod.REPORT_DIR
        err_console.print(
            f"{counts['rejected']} file(s) and "
            f"{sum(f.rows_rejected for f in report.files):,} row(s) rejected; "
            f"see {report.rejected_rows_report or reports}",
            soft_wrap=True,
        )
        sys.exit(1)


@main.command()
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@click.option(
    "--homeoffice",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Home Office recorded-crime table (by force and quarter) to cross-check against.",
)
def status(workspace: Path, as_json: bool, homeoffice: Path | None) -> None:
    """Coverage and quality of the lake: months present and missing, duplicates, no-location."""
    ws = open_workspace(workspace)
    cov = coverage(ws.lake_dir)
    checks = homeoffice_crosscheck(ws.lake_dir, homeoffice) if homeoffice else []
    if as_json:
        from dataclasses import asdict

        payload = {
            "coverage": [asdict(c) for c in cov],
            "homeoffice_crosscheck": [asdict(c) for c in checks],
        }
        click.echo(json.dumps(payload, indent=1))
        return
    if not cov:
        console.print("The lake is empty: run 'saferplaces ingest' first.")
        return
    table = Table(title=f"{ws.config.partnership.name}: lake coverage")
    for col in (
        "dataset",
        "force",
        "months",
        "missing",
        "rows",
        "crimes",
        "dup. ID",
        "no loc.",
        "LSOA",
    ):
        table.add_column(col)
    for c in cov:
        table.add_row(
            c.dataset,
            c.force,
            f"{c.first_month} to {c.last_month} ({c.months_present})",
            "[red]" + ", ".join(c.missing_months) + "[/]" if c.missing_months else "none",
            f"{c.rows:,}",
            f"{c.crimes:,}" if c.crimes is not None else "",
            f"{c.duplicate_id_share:.1%}" if c.duplicate_id_share is not None else "",
            f"{c.no_location_share:.1%}" if c.no_location_share is not None else "",
            ", ".join(f"{k}×{v}" for k, v in sorted(c.lsoa_vintages.items())),
        )
    console.print(table)
    if checks:
        ho = Table(title="Cross-check with Home Office recorded crime")
        for col in ("force", "year", "quarter", "police.uk crimes", "Home Office", "ratio", "note"):
            ho.add_column(col)
        for k in checks:
            note = f"[red]{k.note}[/]" if k.flagged else k.note
            ratio = f"{k.ratio:.3f}" if k.ratio else ""
            ho.add_row(
                k.force,
                k.financial_year,
                str(k.quarter),
                f"{k.policeuk_crimes:,}",
                f"{k.homeoffice_offences:,}",
                ratio,
                note,
            )
        console.print(ho)
