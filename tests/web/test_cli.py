"""``saferplaces users``: run in this process against the test workspace, so that the ORM
writes land in the test database (``serve`` itself is exercised by test_browser.py)."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from saferplaces.cli import main
from saferplaces.web.accounts.models import AuditEvent, User
from saferplaces.workspace import Workspace

pytestmark = pytest.mark.django_db


def run(workspace: Workspace, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*args[:2], "-w", str(workspace.root), *args[2:]])
    return result.exit_code, result.output


def password_in(output: str) -> str:
    match = re.search(r"\(shown only now\): (\S+)", output)
    assert match, output
    return match.group(1)


def test_create_list_set_role_and_reset(workspace: Workspace) -> None:
    code, out = run(
        workspace,
        "users",
        "create",
        "--email",
        "Analyst@Example.org",
        "--role",
        "analyst",
        "--name",
        "Ann Analyst",
        "--organisation",
        "Bristol City Council",
        "--organisation-kind",
        "council",
    )
    assert code == 0, out
    first = password_in(out)
    user = User.objects.get(email="analyst@example.org")
    assert user.check_password(first) and user.password.startswith("argon2$")
    assert user.organisation is not None and user.organisation.kind == "council"

    code, out = run(workspace, "users", "list")
    assert code == 0 and "analyst@example.org  analyst, Bristol City Council" in out

    code, out = run(
        workspace, "users", "set-role", "--email", "analyst@example.org", "--role", "opcc"
    )
    assert code == 0, out
    user.refresh_from_db()
    assert user.role == "opcc"
    change = AuditEvent.objects.get(kind="permission_changed")
    assert change.actor_label == "command line (saferplaces users set-role)"
    assert change.detail == {"role": ["analyst", "opcc"]}

    code, out = run(workspace, "users", "reset-password", "--email", "ANALYST@example.org")
    assert code == 0, out
    second = password_in(out)
    user.refresh_from_db()
    assert second != first and user.check_password(second) and not user.check_password(first)


def test_errors_are_one_line_messages(workspace: Workspace) -> None:
    code, out = run(workspace, "users", "reset-password", "--email", "nobody@example.org")
    assert code == 2 and "no account with email 'nobody@example.org'" in out
    code, out = run(
        workspace, "users", "create", "--email", "a@example.org", "--role", "partner",
        "--organisation", "Nowhere Council",
    )  # fmt: skip
    assert code == 2 and "add --organisation-kind" in out
    code, out = run(workspace, "users", "create", "--email", "a@example.org", "--role", "boss")
    assert code == 2 and "Invalid value for '--role'" in out
    assert not User.objects.exists()


def test_users_token_prints_a_working_token_once(workspace: Workspace) -> None:
    from django.test import Client

    from saferplaces.web.accounts.models import ApiToken

    User.objects.create(email="pat@example.org", role="partner")
    code, out = run(workspace, "users", "token", "pat@example.org", "--name", "BI")
    assert code == 0, out
    token = re.search(r"^\s+(sp_\S+)$", out, re.M)
    assert token, out
    row = ApiToken.objects.get()
    assert row.name == "BI" and token.group(1) not in row.key_hash
    response = Client().get("/api/evaluations", HTTP_AUTHORIZATION=f"Bearer {token.group(1)}")
    assert response.status_code == 200
    code, out = run(workspace, "users", "token", "nobody@example.org")
    assert code != 0
