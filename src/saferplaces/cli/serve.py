"""``saferplaces serve`` (the web app for a workspace) and ``saferplaces users`` (accounts).

Both need the ``web`` extra; Django is imported only when one of them runs. Production serving
(gunicorn behind a proxy, PostgreSQL, collectstatic) is described in docs/web.md.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import click

from ..errors import SaferPlacesError
from . import console, main, open_workspace, workspace_option

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_DEFAULT_HOSTS = ["127.0.0.1", "localhost", "[::1]"]


def _say(text: str) -> None:
    # No rich markup (an email may contain "["), and no wrapping, so credentials stay whole.
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def _setup_web(workspace: Path) -> None:
    """Configure Django for the workspace and bring its database up to date."""
    ws = open_workspace(workspace)
    from ..web import setup

    try:
        setup(ws.root)
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
    except SaferPlacesError:
        raise
    except Exception as exc:  # ImproperlyConfigured, a database that cannot be reached, ...
        if type(exc).__module__.startswith(("django.", "psycopg")):
            raise SaferPlacesError(f"web app: {exc}") from exc
        raise


@main.command()
@workspace_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--demo",
    is_flag=True,
    help="Make sure the demo analyst account exists and print a fresh password for it.",
)
@click.option(
    "--worker/--no-worker",
    "with_worker",
    default=True,
    show_default=True,
    help="Also run the background worker (saferplaces worker) that runs uploads and "
    "publications, as a child process stopped with the server.",
)
def serve(workspace: Path, host: str, port: int, demo: bool, with_worker: bool) -> None:
    """Serve the web app for a workspace (demo or one machine).

    Applies the database migrations first, then starts the background worker. For a shared
    deployment (gunicorn behind a TLS proxy, PostgreSQL, the worker as a service) see
    docs/web.md."""
    if host in _LOOPBACK:
        # Plain http on this machine only: cookies cannot be Secure or the browser would not
        # send them back (settings.py explains). Any other address is assumed to sit behind TLS.
        os.environ.setdefault("SAFERPLACES_PLAIN_HTTP", "1")
    if "SAFERPLACES_ALLOWED_HOSTS" not in os.environ and host not in {"0.0.0.0", "::"}:
        hosts = [*_DEFAULT_HOSTS, f"[{host}]" if ":" in host else host]
        os.environ["SAFERPLACES_ALLOWED_HOSTS"] = ",".join(dict.fromkeys(hosts))
    _setup_web(workspace)
    from django.conf import settings
    from django.core.management import call_command

    if demo:
        from ..web.accounts.services import ensure_demo_analyst

        user, password = ensure_demo_analyst()
        _say("Demo analyst account (a new password at every --demo start):")
        _say(f"  email:    {user.email}")
        _say(f"  password: {password}")
    shown = f"[{host}]" if ":" in host else host
    _say(f"Serving {settings.WORKSPACE.config.partnership.name} at http://{shown}:{port}/")
    if host not in _LOOPBACK:
        _say(
            "This server is meant for one machine; for a shared deployment use gunicorn behind "
            "a TLS proxy (docs/web.md). Cookies are Secure, so browsers must reach it over "
            "HTTPS; set SAFERPLACES_ALLOWED_HOSTS to the host names they use."
        )
    child = _start_worker(settings.WORKSPACE.root) if with_worker else None
    # SIGTERM ends the server like Ctrl-C, so that the worker is stopped with it below.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        call_command(
            "runserver",
            f"{shown}:{port}",
            use_reloader=False,
            use_threading=True,
            use_ipv6=":" in host,
            skip_checks=False,
        )
    finally:
        if child is not None:
            _stop_child(child)


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(0)


def _start_worker(root: Path) -> subprocess.Popen[bytes]:
    """``saferplaces worker`` for the workspace, as a child that also exits if we die."""
    child = subprocess.Popen(
        [sys.executable, "-c", "from saferplaces.cli import main; main()", "worker",
         "--workspace", str(root), "--exit-with-parent"],
    )  # fmt: skip
    _say(f"Background worker started (process {child.pid}).")
    return child


def _stop_child(child: subprocess.Popen[bytes]) -> None:
    # SIGTERM first: the worker records a running job as stopped before it exits.
    child.terminate()
    try:
        child.wait(timeout=10)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


@main.group()
def users() -> None:
    """Web app accounts: create, reset passwords, change roles.

    Passwords are generated and printed once; only an Argon2 hash is stored."""


def _roles() -> list[str]:
    # Literal list so that --help works without Django; tests check it matches Role.
    return ["public", "parish_council", "partner", "analyst", "opcc", "admin"]


def _org_kinds() -> list[str]:
    return [
        "police",
        "council",
        "fire",
        "health",
        "probation",
        "opcc",
        "parish_council",
        "provider",
    ]


def _acting(command: str) -> Any:
    from ..web.accounts.audit import acting_as

    return acting_as(f"command line (saferplaces users {command})")


@users.command("create")
@workspace_option
@click.option("--email", required=True, help="The person's email address (their sign-in name).")
@click.option("--role", required=True, type=click.Choice(_roles()), help="What they may do.")
@click.option("--name", "full_name", default="", help="Their full name.")
@click.option("--organisation", default=None, help="Their organisation (created if new).")
@click.option(
    "--organisation-kind",
    type=click.Choice(_org_kinds()),
    default=None,
    help="Kind of a new organisation (required with --organisation if it does not exist).",
)
def users_create(
    workspace: Path,
    email: str,
    role: str,
    full_name: str,
    organisation: str | None,
    organisation_kind: str | None,
) -> None:
    """Create an account and print its generated password."""
    _setup_web(workspace)
    from ..web.accounts import services
    from ..web.accounts.models import Organisation

    with _acting("create"):
        org = None
        if organisation:
            org = Organisation.objects.filter(name=organisation.strip()).first()
            if org is None:
                if organisation_kind is None:
                    raise SaferPlacesError(
                        f"organisation {organisation!r} does not exist: add --organisation-kind"
                    )
                org = services.get_or_create_organisation(organisation, organisation_kind)
        user, password = services.create_user(email, role, full_name=full_name, organisation=org)
    _say(f"Created {user.email} ({user.get_role_display()}).")
    _say(f"Password (shown only now): {password}")


@users.command("reset-password")
@workspace_option
@click.option("--email", required=True)
def users_reset_password(workspace: Path, email: str) -> None:
    """Give an account a new generated password (and lift any sign-in lock-out)."""
    _setup_web(workspace)
    from ..web.accounts import services

    with _acting("reset-password"):
        user = services.get_user(email)
        password = services.reset_password(user)
    _say(f"New password for {user.email} (shown only now): {password}")


@users.command("set-role")
@workspace_option
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(_roles()))
def users_set_role(workspace: Path, email: str, role: str) -> None:
    """Change an account's role (recorded in the audit log)."""
    _setup_web(workspace)
    from ..web.accounts import services

    with _acting("set-role"):
        user = services.get_user(email)
        services.set_role(user, role)
    _say(f"{user.email} is now: {user.get_role_display()}.")


@users.command("list")
@workspace_option
def users_list(workspace: Path) -> None:
    """List accounts with their role and organisation."""
    _setup_web(workspace)
    from ..web.accounts.models import User

    for user in User.objects.select_related("organisation").order_by("email"):
        state = "" if user.is_active else " (deactivated)"
        org = f", {user.organisation.name}" if user.organisation else ""
        _say(f"{user.email}  {user.role}{org}{state}")


@users.command("token")
@workspace_option
@click.argument("email")
@click.option("--name", default="", help="What the token is for (shown in the admin).")
def users_token(workspace: Path, email: str, name: str) -> None:
    """Create an API token for an account and print it (shown only now).

    The token acts with the account's role: send it as 'Authorization: Bearer TOKEN' to the
    JSON API under /api/. Only its SHA-256 is stored; revoke it in the admin."""
    _setup_web(workspace)
    from ..web.accounts import services
    from ..web.accounts.models import ApiToken

    user = services.get_user(email)
    _, token = ApiToken.issue(user, name)
    _say(f"API token for {user.email} ({user.get_role_display()}), shown only now:")
    _say(f"  {token}")
