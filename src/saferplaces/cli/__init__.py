"""The ``saferplaces`` command line: a thin layer over the library.

Each command group lives in its own module and registers itself on :data:`main`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from ..errors import SaferPlacesError
from ..workspace import Workspace

F = TypeVar("F", bound=Callable[..., Any])

console = Console(stderr=False, highlight=False)
err_console = Console(stderr=True, highlight=False)


def workspace_option(func: F) -> F:
    """``--workspace DIR`` (default: the current directory) on every command."""
    return click.option(
        "--workspace",
        "-w",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("."),
        show_default=True,
        help="The workspace folder.",
    )(func)


def open_workspace(path: Path) -> Workspace:
    return Workspace.open(path)


class _Group(click.Group):
    """Prints :class:`SaferPlacesError` as a one-line message and exits 2, without a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SaferPlacesError as exc:
            err_console.print(f"[bold red]Error:[/] {exc}", markup=True, soft_wrap=True)
            sys.exit(2)


@click.group(cls=_Group)
@click.version_option(package_name="saferplaces")
def main() -> None:
    """SaferPlaces: evidence and accountability for Community Safety Partnerships."""


@main.command()
@workspace_option
@click.option("--name", required=True, help="The partnership's name.")
@click.option("--force", "forces", multiple=True, help="police.uk force slug (repeatable).")
@click.option("--area", "areas", multiple=True, help="Code of the partnership's area (repeatable).")
def init(workspace: Path, name: str, forces: tuple[str, ...], areas: tuple[str, ...]) -> None:
    """Create a workspace for a partnership."""
    ws = Workspace.create(workspace, name, list(forces), list(areas))
    console.print(f"Created workspace '{name}' in {ws.root}")


# Command groups register themselves on import.
from . import areas as _areas  # noqa: E402,F401
from . import briefings as _briefings  # noqa: E402,F401
from . import demo as _demo  # noqa: E402,F401
from . import fetch as _fetch  # noqa: E402,F401
from . import ingest as _ingest  # noqa: E402,F401
from . import partners as _partners  # noqa: E402,F401
from . import scorecard as _scorecard  # noqa: E402,F401
from . import serve as _serve  # noqa: E402,F401
from . import worker as _worker  # noqa: E402,F401
