"""``saferplaces scorecard``: evaluate indicators and publish immutable Scorecard editions."""

from __future__ import annotations

import shutil
import sys
from importlib import resources
from pathlib import Path

import click
from rich.table import Table

from ..errors import SaferPlacesError
from ..indicators import INDICATOR_FILE, workspace_indicators
from ..indicators.editions import list_editions, publish_edition, verify_edition
from ..indicators.evaluate import evaluate
from . import console, main, open_workspace, workspace_option

LEVELS_HELP = "Comma-separated area levels: force, lad (districts), msoa, lsoa, or a stored level."


def _levels(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


@main.group()
def scorecard() -> None:
    """The published Scorecard: indicators scored honestly, in immutable editions."""


@scorecard.command("indicators")
@workspace_option
def copy_indicators(workspace: Path) -> None:
    """Copy the default indicator set into the workspace as indicators.yaml, to edit."""
    ws = open_workspace(workspace)
    target = ws.root / INDICATOR_FILE
    if target.exists():
        raise SaferPlacesError(f"{target} already exists")
    src = resources.files("saferplaces.indicators").joinpath("defaults.yaml")
    with resources.as_file(src) as p:
        shutil.copy(p, target)
    console.print(f"Wrote {target}; edit it, then run 'saferplaces scorecard evaluate'.")


@scorecard.command("evaluate")
@workspace_option
@click.option("--levels", default="force,lad", show_default=True, help=LEVELS_HELP)
def evaluate_cmd(workspace: Path, levels: str) -> None:
    """Evaluate the indicators and print the scores (publishes nothing)."""
    ws = open_workspace(workspace)
    evals = evaluate(ws, workspace_indicators(ws), _levels(levels))
    table = Table(title=f"{ws.config.partnership.name}: indicators")
    for col in ("indicator", "area", "period", "value", "score"):
        table.add_column(col)
    for e in evals:
        value = "" if e.value is None else f"{e.value:,.2f} {e.unit}"
        table.add_row(e.indicator, e.area_name, e.period, value, e.score)
    console.print(table)


@scorecard.command("publish")
@workspace_option
@click.option("--levels", default="force,lad", show_default=True, help=LEVELS_HELP)
@click.option("--corrects", type=int, help="Number of the edition this one corrects.")
@click.option("--note", default="", help="What this edition is, or what it corrects and why.")
def publish(workspace: Path, levels: str, corrects: int | None, note: str) -> None:
    """Publish a new immutable edition (HTML, PDF, CSV, XLSX, JSON) under published/."""
    ws = open_workspace(workspace)
    with console.status("Evaluating indicators and rendering the edition…"):
        info = publish_edition(
            ws, workspace_indicators(ws), levels=_levels(levels), corrects=corrects, note=note
        )
    console.print(f"Published Scorecard edition {info.number} (data to {info.data_cutoff}):")
    for name in sorted(info.files):
        console.print(f"  {info.path / name}")


@scorecard.command("list")
@workspace_option
def list_cmd(workspace: Path) -> None:
    """List published editions."""
    ws = open_workspace(workspace)
    editions = list_editions(ws)
    if not editions:
        console.print("No editions yet: run 'saferplaces scorecard publish'.")
        return
    for e in editions:
        corr = f", corrects edition {e.corrects}" if e.corrects else ""
        console.print(
            f"Edition {e.number}: published {e.published_at}, data to {e.data_cutoff}{corr}"
        )


@scorecard.command("verify")
@workspace_option
@click.argument("number", type=int)
def verify(workspace: Path, number: int) -> None:
    """Check an edition's files against its manifest (exit 1 if any changed)."""
    ws = open_workspace(workspace)
    bad = verify_edition(ws, number)
    if bad:
        console.print(f"Edition {number} has been altered: {', '.join(bad)}")
        sys.exit(1)
    console.print(f"Edition {number} is intact.")
