"""``saferplaces worker``: runs the web app's background jobs (uploads, rebuilds, publishing).

Needs the ``web`` extra and a migrated application database (``saferplaces serve`` or
``django-admin migrate``). ``saferplaces serve`` starts one itself; in production run it as a
second service beside the web server (docs/web.md).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from types import FrameType

import click

from ..errors import SaferPlacesError
from . import main, open_workspace, workspace_option


def _say(text: str) -> None:
    # Plain and unwrapped, flushed at once: a service manager's log keeps each line whole.
    click.echo(text)


def _stop(signum: int, frame: FrameType | None) -> None:
    # SIGTERM (systemd, serve stopping) ends the worker like Ctrl-C: a running job is recorded
    # as stopped before the process exits.
    raise SystemExit(0)


@main.command()
@workspace_option
@click.option("--once", is_flag=True, help="Run the queued jobs, then exit (instead of waiting).")
@click.option(
    "--poll",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0.1, 60),
    help="Seconds between looks for new jobs.",
)
@click.option("--exit-with-parent", is_flag=True, hidden=True)
def worker(workspace: Path, once: bool, poll: float, exit_with_parent: bool) -> None:
    """Run the web app's background jobs for a workspace.

    Claims queued jobs (data uploads, rebuilds, Scorecard publications, area imports) one at a
    time, runs them and records their progress and outcome for the job's page. Jobs whose
    worker died are marked failed. Stop it with Ctrl-C or SIGTERM."""
    parent = os.getppid() if exit_with_parent else None
    ws = open_workspace(workspace)
    from ..web import setup

    setup(ws.root)
    from django.db import DatabaseError

    from ..web.jobs.models import Job
    from ..web.jobs.worker import work

    try:
        Job.objects.exists()
    except DatabaseError as exc:
        raise SaferPlacesError(
            f"the application database is not ready ({exc}): run 'django-admin migrate' "
            "(or 'saferplaces serve' once) first"
        ) from None
    signal.signal(signal.SIGTERM, _stop)
    try:
        _say(f"Worker for {ws.config.partnership.name} ({ws.root}): waiting for jobs.")
        ran = work(ws, once=once, poll_s=poll, parent_pid=parent)
    except (KeyboardInterrupt, SystemExit):
        _say("Worker stopped.")
        return
    _say(f"Worker finished: {ran} job(s) run.")
