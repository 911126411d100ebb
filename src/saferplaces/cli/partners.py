"""``saferplaces partners``: partner dataset definitions, mappings, imports, counts and purge.

Also provides :func:`import_partner_files`, used by ``saferplaces ingest --dataset NAME``."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import click
from rich.table import Table

from ..partners import import_file, load_definition, load_mapping, propose, save_mapping
from ..partners._read import iter_chunks, open_source, read_header
from ..partners.definitions import list_definitions, read_definition
from ..partners.importer import DEFAULT_CHUNK_ROWS, DEFAULT_MAX_REJECT_SHARE, ImportReport
from ..partners.mapping import ColumnMapping, mapping_path
from ..partners.query import counts, present_datasets
from ..partners.retention import purge
from ..workspace import Workspace
from . import console, err_console, main, open_workspace, workspace_option


@main.group()
def partners() -> None:
    """Partner datasets: definitions, column mappings, imports, counts and retention."""


# --------------------------------------------------------------------------------------------
# list / show
# --------------------------------------------------------------------------------------------


@partners.command("list")
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_cmd(workspace: Path, as_json: bool) -> None:
    """Every dataset definition (built-in templates and the workspace's own) and its data."""
    ws = open_workspace(workspace)
    present = {d.name: d for d in present_datasets(ws, include_empty=True)}
    if as_json:
        click.echo(json.dumps([
            {"name": d.name, "title": d.title, "builtin": d.builtin,
             "sensitivity": d.sensitivity, "min_cell_size": d.min_cell_size,
             "first_month": d.first_month, "last_month": d.last_month, "rows": d.rows}
            for d in present.values()
        ], indent=1))  # fmt: skip
        return
    table = Table(title=f"{ws.config.partnership.name}: partner datasets")
    for col in ("name", "title", "sensitivity", "min cell", "months", "rows"):
        table.add_column(col, justify="right" if col in ("min cell", "rows") else "left")
    for d in present.values():
        months = f"{d.first_month} to {d.last_month}" if d.months else "no data"
        table.add_row(d.name + ("" if d.builtin else " (workspace)"), d.title, d.sensitivity,
                      str(d.min_cell_size), months, f"{d.rows:,}")  # fmt: skip
    console.print(table)


@partners.command()
@workspace_option
@click.argument("name")
def show(workspace: Path, name: str) -> None:
    """A dataset's definition: columns, date, geography, sensitivity, retention."""
    ws = open_workspace(workspace)
    defn = load_definition(name, ws.root)
    src = list_definitions(ws.root)[name]
    console.print(f"[bold]{defn.title}[/] ({defn.name}, version {defn.version})", soft_wrap=True)
    console.print(f"Owner: {defn.owner}", soft_wrap=True)
    if defn.description:
        console.print(defn.description.strip(), soft_wrap=True)
    console.print(
        f"Sensitivity: {defn.sensitivity}; minimum cell size {defn.threshold}; kept "
        f"{defn.retention_months} months; date: {defn.date.column} ({defn.date.resolution}); "
        f"geography: {defn.geography.kind}; measures: "
        f"{defn.measures if defn.measures == 'rows' else ', '.join(defn.measures)}",
        soft_wrap=True,
    )
    console.print(f"Definition file: {src.path}", soft_wrap=True)
    table = Table()
    for col in ("column", "type", "required", "allowed / pattern", "description"):
        table.add_column(col)
    for c in defn.columns:
        rule = ", ".join(c.values) if c.values else (c.pattern or "")
        table.add_row(c.name, c.type, "yes" if c.required else "", rule, c.description)
    console.print(table)
    mapping = load_mapping(ws.root, name)
    if mapping:
        console.print(f"Saved mapping: {mapping_path(ws.root, name)}", soft_wrap=True)


# --------------------------------------------------------------------------------------------
# map
# --------------------------------------------------------------------------------------------


@partners.command("map")
@workspace_option
@click.argument("name")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--sheet", help="Excel sheet to read (default: the first).")
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="COLUMN=HEADER",
    help="Map COLUMN to HEADER (repeatable; HEADER empty to leave the column unmapped).",
)
@click.option("--dry-run", is_flag=True, help="Show the proposed mapping without saving it.")
def map_cmd(
    workspace: Path,
    name: str,
    file: Path,
    sheet: str | None,
    overrides: tuple[str, ...],
    dry_run: bool,
) -> None:
    """Propose a column mapping for FILE by header similarity and save it for NAME.

    The mapping is saved as partners/NAME.mapping.yaml in the workspace, so next month's file
    with the same headers imports without this step."""
    ws = open_workspace(workspace)
    defn = load_definition(name, ws.root)
    src = open_source(file, sheet)
    header = read_header(src)
    sample: dict[str, list[str]] = {}
    for _, chunk in iter_chunks(src, 500):
        sample = {h: [r[i] for r in chunk.rows] for i, h in enumerate(header)}
        break
    prop = propose(defn, header, sample)
    columns = dict(prop.columns)
    for item in overrides:
        col, sep, head = item.partition("=")
        if not sep or col not in columns:
            raise click.BadParameter(f"{item!r}: use COLUMN=HEADER with a column of '{name}'")
        if head and head not in header:
            raise click.BadParameter(f"{item!r}: the file has no header {head!r}")
        columns[col] = head or None
    mapping = ColumnMapping(
        dataset=defn.name,
        definition_version=defn.version,
        columns=columns,
        sheet=sheet,
        date_resolution=prop.date_resolution,
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        created_from=file.name,
    )
    table = Table(title=f"Mapping for {name} from {file.name}")
    for col in ("column", "required", "header in file", "match"):
        table.add_column(col)
    for c in defn.columns:
        mapped = columns.get(c.name)
        score = prop.scores.get(c.name)
        match = (
            "set"
            if mapped and c.name in {o.partition("=")[0] for o in overrides}
            else ("exact" if score and score >= 1 else (f"{score:.0%}" if score else ""))
        )
        table.add_row(c.name, "yes" if c.required else "", mapped or "[dim]—[/]", match)
    console.print(table)
    for note in prop.notes:
        console.print(f"[yellow]Note:[/] {note}", soft_wrap=True)
    unused = [h for h in header if h not in set(columns.values())]
    if unused:
        console.print(f"Not imported (no column): {', '.join(unused)}", soft_wrap=True)
    missing = [c for c in defn.required_columns if not columns.get(c)]
    if missing:
        err_console.print(
            f"[red]Required columns without a header:[/] {', '.join(missing)}; give them with "
            "--set COLUMN=HEADER",
            soft_wrap=True,
        )
        sys.exit(1)
    if dry_run:
        return
    path = save_mapping(ws.root, mapping)
    console.print(f"Saved {path}", soft_wrap=True)


# --------------------------------------------------------------------------------------------
# import (and ingest --dataset)
# --------------------------------------------------------------------------------------------


def _print_report(report: ImportReport) -> None:
    status = {"rejected": "[red]rejected[/]"}.get(report.status, report.status)
    console.print(
        f"{report.source}: {status} — {report.rows_read:,} rows read, {report.rows_kept:,} "
        f"kept, {report.rows_rejected:,} rejected",
        soft_wrap=True,
    )
    if report.months_written:
        console.print(f"  months written: {', '.join(report.months_written)}", soft_wrap=True)
    if report.months_unchanged:
        console.print(f"  months unchanged: {', '.join(report.months_unchanged)}", soft_wrap=True)
    for w in report.warnings:
        err_console.print(f"  [yellow]warning:[/] {w}", soft_wrap=True)
    if report.reason:
        err_console.print(f"  [red]{report.reason}[/]", soft_wrap=True)
    if report.validation_report:
        console.print(f"  validation report: {report.validation_report}", soft_wrap=True)
        console.print(f"  quarantined rows: {report.quarantine}", soft_wrap=True)
    if report.mapping_saved:
        console.print(f"  mapping saved: {report.mapping_saved}", soft_wrap=True)


def import_partner_files(
    ws: Workspace,
    name: str,
    paths: Sequence[Path],
    *,
    sheet: str | None = None,
    max_rejects: float = DEFAULT_MAX_REJECT_SHARE,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> None:
    """Import each file into dataset ``name``; exits 1 if any file or row was rejected."""
    ok = True
    for p in paths:
        report = import_file(
            ws, name, p, sheet=sheet, max_reject_share=max_rejects, chunk_rows=chunk_rows
        )
        _print_report(report)
        ok = ok and report.ok
    if not ok:
        sys.exit(1)


@partners.command("import")
@workspace_option
@click.argument("name")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--sheet", help="Excel sheet to read (default: the saved mapping's, else the first).")
@click.option(
    "--max-rejects",
    type=click.FloatRange(0, 1, max_open=True),
    default=DEFAULT_MAX_REJECT_SHARE,
    show_default=True,
    help="Largest share of rows that may fail validation before the whole file is rejected.",
)
@click.option(
    "--chunk-rows",
    type=click.IntRange(min=1),
    default=DEFAULT_CHUNK_ROWS,
    show_default=True,
    help="Rows read at a time (bounds memory for very large files).",
)
def import_cmd(
    workspace: Path,
    name: str,
    files: tuple[Path, ...],
    sheet: str | None,
    max_rejects: float,
    chunk_rows: int,
) -> None:
    """Import partner FILES (CSV or XLSX) into dataset NAME.

    Exits 1 when any row or file was rejected, naming the validation report."""
    ws = open_workspace(workspace)
    import_partner_files(ws, name, files, sheet=sheet, max_rejects=max_rejects,
                         chunk_rows=chunk_rows)  # fmt: skip


# --------------------------------------------------------------------------------------------
# counts
# --------------------------------------------------------------------------------------------


@partners.command("counts")
@workspace_option
@click.argument("name")
@click.option("--by", "by", multiple=True, help="month, quarter, year, an area level or a column.")
@click.option(
    "--audience",
    type=click.Choice(["public", "parish_council", "partner", "analyst"]),
    default="public",
    show_default=True,
    help="Who the figures are for: decides suppression.",
)
@click.option("--measure", help="rows, or a count column of the dataset.")
@click.option("--parent", "parents", multiple=True, metavar="LEVEL=PARENT",
              help="Area hierarchy for totals, e.g. ward=lad.")  # fmt: skip
@click.option("--totals", is_flag=True, help="Include every total (parent areas, years, all).")
@click.option("--rounding", type=click.IntRange(min=2), help="Round to this base (e.g. 5).")
@click.option("--since", help="First month (YYYY-MM).")
@click.option("--until", help="Last month (YYYY-MM).")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a .csv or .xlsx file (formulas neutralised) instead of printing.",
)
def counts_cmd(
    workspace: Path,
    name: str,
    by: tuple[str, ...],
    audience: str,
    measure: str | None,
    parents: tuple[str, ...],
    totals: bool,
    rounding: int | None,
    since: str | None,
    until: str | None,
    out: Path | None,
) -> None:
    """Counts of dataset NAME as an audience may see them (small numbers suppressed)."""
    ws = open_workspace(workspace)
    parent_map = {}
    for p in parents:
        child, sep, parent = p.partition("=")
        if not sep or not parent:
            raise click.BadParameter(f"{p!r}: use LEVEL=PARENT, e.g. ward=lad")
        parent_map[child] = parent
    result = counts(ws, name, by, audience=audience, measure=measure, parents=parent_map,
                    totals=totals, rounding=rounding, since=since, until=until)  # fmt: skip
    header = result.table.column_names
    rows = [[r[c] for c in header] for r in result.table.to_pylist()]
    if out is not None:
        from ..publish.exports import write_csv, write_xlsx

        notes = [[f] for f in result.footnotes]
        if out.suffix.lower() == ".xlsx":
            write_xlsx(out, {name: (header, rows), "Notes": (["note"], notes)})
        else:
            write_csv(out, header, rows + [[f] for f in result.footnotes])
        console.print(f"Wrote {len(rows):,} rows to {out}", soft_wrap=True)
        return
    table = Table(title=f"{name}: {result.measure} ({result.mode}, {audience})")
    for col in header:
        table.add_column(col)
    for r in rows:
        table.add_row(*["" if v is None else str(v) for v in r])
    console.print(table)
    for f in result.footnotes:
        console.print(f, soft_wrap=True)


# --------------------------------------------------------------------------------------------
# purge
# --------------------------------------------------------------------------------------------


@partners.command("purge")
@workspace_option
@click.argument("name", required=False)
@click.option("--dry-run", is_flag=True, help="List what would be removed; remove nothing.")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Pretend today is this date (default: today).",
)
def purge_cmd(workspace: Path, name: str | None, dry_run: bool, today: dt.datetime | None) -> None:
    """Remove partner data older than each dataset's retention period (or only NAME's)."""
    ws = open_workspace(workspace)
    report = purge(ws, name, today=today.date() if today else None, dry_run=dry_run)
    verb = "Would remove" if dry_run else "Removed"
    for r in report.removed:
        console.print(f"{verb} {r['dataset']} {r['month']} ({r['rows']} rows)", soft_wrap=True)
    for p in report.reports_removed:
        console.print(f"{verb} {p}", soft_wrap=True)
    if not report.removed and not report.reports_removed:
        console.print("Nothing is older than its retention period.")


# A definition file can be checked without a workspace: `saferplaces partners check FILE`.
@partners.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def check_cmd(file: Path) -> None:
    """Validate a dataset definition YAML file (errors name the key)."""
    defn = read_definition(file)
    console.print(f"{file.name}: a valid definition of '{defn.name}' ({len(defn.columns)} columns)")
