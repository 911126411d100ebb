"""``saferplaces demo build``: the demo workspace from bundled real data."""

from __future__ import annotations

from pathlib import Path

from ..demo import build_demo
from . import console, main, workspace_option


@main.group()
def demo() -> None:
    """The demo workspace (bundled real police.uk data for Avon and Somerset)."""


@demo.command("build")
@workspace_option
def build(workspace: Path) -> None:
    """Build or update the demo workspace and print what it holds."""
    summary = build_demo(workspace)
    rep = summary.ingest
    console.print(f"[bold]Demo workspace:[/] {summary.workspace.root}")
    console.print(
        f"Ingest {rep.ingest_id}: {rep.count('loaded')} files loaded, "
        f"{rep.count('unchanged')} unchanged, {rep.count('rejected')} rejected; "
        f"{rep.rows_kept:,} rows kept; {rep.marts_rebuilt} base-mart partitions rebuilt."
    )
    for c in summary.coverage:
        missing = ", ".join(c.missing_months) or "none"
        crimes = f", {c.crimes:,} crimes (distinct Crime IDs)" if c.crimes is not None else ""
        console.print(
            f"  {c.dataset} · {c.force}: {c.first_month} to {c.last_month} "
            f"({c.months_present} months; missing: {missing}); {c.rows:,} rows{crimes}"
        )
    console.print(
        f"  {len(summary.districts.stored)} districts (level 'lad') with boundaries; "
        "LSOA lookups and Census populations are bundled."
    )
    ed = summary.edition
    state = "published" if summary.edition_is_new else "already published"
    console.print(f"Scorecard edition {ed.number} {state}: {ed.path / 'index.html'}")
    if summary.briefings_index is not None:
        console.print(f"Neighbourhood briefings for the districts: {summary.briefings_index}")
    for note in summary.notes:
        console.print(f"  {note}")
