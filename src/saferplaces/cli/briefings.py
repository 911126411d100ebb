"""``saferplaces briefings``: neighbourhood briefings (HTML and PDF) for every area of a level."""

from __future__ import annotations

from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..briefings import generate_briefings
from ..briefings.bulk import BriefingResult
from . import console, err_console, main, open_workspace, workspace_option


def _codes(values: tuple[str, ...]) -> list[str]:
    # Accept both "--areas A --areas B" and "--areas A,B".
    return [c.strip() for v in values for c in v.split(",") if c.strip()]


@main.command()
@workspace_option
@click.option(
    "--level",
    required=True,
    help="Area level: lad (districts), msoa, lsoa, force, or a stored level such as ward.",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the briefings, their index page and the zip into.",
)
@click.option(
    "--areas",
    "areas",
    multiple=True,
    metavar="CODE",
    help="Only these area codes (repeatable, or comma-separated). Default: every area.",
)
@click.option("--no-pdf", is_flag=True, help="Write HTML (and JSON) only, no PDFs.")
@click.option(
    "--workers",
    type=click.IntRange(1, 16),
    default=2,
    show_default=True,
    help="Processes rendering PDFs in parallel.",
)
def briefings(
    workspace: Path,
    level: str,
    out_dir: Path,
    areas: tuple[str, ...],
    no_pdf: bool,
    workers: int,
) -> None:
    """Write a plain-English briefing (web page and printable PDF) for each area of a level.

    Neighbourhood text (team, priorities, contact) comes from the workspace's briefings.yaml;
    see docs/briefings.md."""
    ws = open_workspace(workspace)
    codes = _codes(areas)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task("Computing statistics", total=None)

        def prepared(total: int) -> None:
            progress.update(task, description="Writing briefings", total=total, completed=0)

        def step(done: int, total: int, result: BriefingResult) -> None:
            progress.update(task, completed=done)
            if result.error:
                progress.console.print(
                    f"[red]Failed:[/] {result.name} ({result.code}): {result.error}"
                )

        report = generate_briefings(
            ws,
            level,
            out_dir,
            areas=codes or None,
            pdf=not no_pdf,
            workers=workers,
            progress=step,
            on_prepared=prepared,
        )
    for w in report.warnings:
        err_console.print(f"[yellow]Warning:[/] {w}")
    t = report.timings
    console.print(
        f"{len(report.written)} briefings for level '{level}' ({report.period}) in "
        f"{t['total']:.1f} s (statistics {t['statistics']:.1f} s)."
    )
    if report.failures:
        console.print(f"[red]{len(report.failures)} could not be written[/] (listed on the index).")
    console.print(f"Index: {report.index}")
    if report.zip:
        console.print(f"Zip: {report.zip}")
    if report.failures:
        raise SystemExit(1)
