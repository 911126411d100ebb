"""Model and authentication tests, written once and run on both databases: on SQLite by
test_models.py and on PostgreSQL by test_postgres.py. Every ORM query of a test (those made by
the test client's requests too) goes to the class's ``alias`` (see routing.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.test import Client
from django.urls import reverse
from tests.web.routing import pinned

from saferplaces.web.accounts import services
from saferplaces.web.accounts.audit import acting_as
from saferplaces.web.accounts.models import AuditEvent, Organisation, User
from saferplaces.web.accounts.roles import Role

SIGN_IN = "/sign-in/"


def sign_in(client: Client, email: str, password: str, **extra: Any) -> Any:
    return client.post(SIGN_IN, {"username": email, "password": password}, **extra)


def events(kind: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(kind=kind).order_by("id"))


class ModelAuthCases:
    alias: ClassVar[str]

    @pytest.fixture(autouse=True)
    def _pin_database(self) -> Iterator[None]:
        with pinned(self.alias):
            yield

    @pytest.fixture
    def org(self) -> Organisation:
        return Organisation.objects.create(name="Avon and Somerset Constabulary", kind="police")

    @pytest.fixture
    def partner(self, org: Organisation) -> tuple[User, str]:
        with acting_as("test"):
            return services.create_user("Partner@Example.org", Role.PARTNER, organisation=org)

    @pytest.fixture
    def admin_user(self) -> User:
        with acting_as("test"):
            user, _ = services.create_user("admin@example.org", Role.ADMIN)
        return user

    # -- models --------------------------------------------------------------------------

    def test_rows_are_written_to_the_pinned_database(self, partner: tuple[User, str]) -> None:
        user, _ = partner
        assert user._state.db == self.alias
        assert get_user_model().objects.db == self.alias

    def test_password_is_hashed_with_argon2(self, partner: tuple[User, str]) -> None:
        user, password = partner
        assert user.password.startswith("argon2$argon2id$")
        assert password not in user.password
        assert user.check_password(password)
        assert len(password) >= 20

    def test_email_is_stored_lower_case_and_unique(self, partner: tuple[User, str]) -> None:
        user, _ = partner
        assert user.email == "partner@example.org"
        with pytest.raises(services.AccountError, match="already exists"):
            services.create_user("PARTNER@example.org", Role.ANALYST)
        with pytest.raises(IntegrityError), transaction.atomic(using=self.alias):
            User.objects.create(email="partner@example.org")

    def test_bad_email_and_role_are_refused(self) -> None:
        with pytest.raises(services.AccountError, match="not a valid email"):
            services.create_user("not-an-email", Role.ANALYST)
        with pytest.raises(services.AccountError, match="unknown role 'boss'"):
            services.create_user("a@example.org", "boss")
        assert not User.objects.exists()

    def test_account_creation_is_audited(self, partner: tuple[User, str]) -> None:
        user, _ = partner
        (event,) = events("user_created")
        assert event.subject == user
        assert event.actor_label == "test"
        assert event.detail == {"role": "partner", "organisation": "Avon and Somerset Constabulary"}

    def test_role_change_is_audited(self, partner: tuple[User, str]) -> None:
        user, _ = partner
        with acting_as("command line (saferplaces users set-role)"):
            services.set_role(user, Role.ANALYST)
        (event,) = events("permission_changed")
        assert event.detail == {"role": ["partner", "analyst"]}
        assert event.actor_label == "command line (saferplaces users set-role)"
        # Saving without an access change records nothing more.
        user.full_name = "Pat Partner"
        user.save()
        assert len(events("permission_changed")) == 1

    def test_deactivation_and_organisation_change_are_audited(
        self, partner: tuple[User, str]
    ) -> None:
        user, _ = partner
        other = Organisation.objects.create(name="Bristol City Council", kind="council")
        fetched = User.objects.get(pk=user.pk)
        fetched.is_active = False
        fetched.organisation = other
        fetched.save()
        (event,) = events("permission_changed")
        assert event.detail == {
            "is_active": [True, False],
            "organisation": ["Avon and Somerset Constabulary", "Bristol City Council"],
        }

    def test_audit_events_are_append_only(self, partner: tuple[User, str]) -> None:
        event = AuditEvent.objects.first()
        assert event is not None
        event.detail = {"tampered": True}
        with pytest.raises(ValueError, match="append-only"):
            event.save()
        with pytest.raises(ValueError, match="append-only"):
            event.delete()

    def test_an_organisation_with_members_cannot_be_deleted(
        self, partner: tuple[User, str], org: Organisation
    ) -> None:
        with pytest.raises(ProtectedError), transaction.atomic(using=self.alias):
            org.delete()

    def test_demo_analyst_is_created_once_with_a_fresh_password_each_start(self) -> None:
        user, password = services.ensure_demo_analyst()
        assert user.check_password(password)
        assert user.role == Role.ANALYST
        again, new_password = services.ensure_demo_analyst()
        again.refresh_from_db()
        assert again == user and new_password != password
        assert again.check_password(new_password) and not again.check_password(password)

    # -- signing in and out --------------------------------------------------------------

    def test_partner_signs_in_and_out(self, client: Client, partner: tuple[User, str]) -> None:
        user, password = partner
        response = sign_in(client, "PARTNER@example.org ", password)
        assert response.status_code == 302
        assert response["Location"] == reverse("dashboard:index")
        assert Session.objects.count() == 1
        (event,) = events("sign_in")
        assert (event.subject, event.actor, event.ip_address) == (user, user, "127.0.0.1")
        user.refresh_from_db()
        assert user.last_login is not None

        assert client.post("/sign-out/").status_code == 302
        (out,) = events("sign_out")
        assert out.subject == user
        assert Session.objects.count() == 0
        assert client.get("/dashboard/").status_code == 302  # signed out: back to sign-in

    def test_failed_sign_in_is_audited(self, client: Client, partner: tuple[User, str]) -> None:
        user, _ = partner
        response = sign_in(client, "partner@example.org", "wrong password")
        assert response.status_code == 200
        assert b"Enter a correct email address and password" in response.content
        sign_in(client, "nobody@example.org", "whatever")
        first, second = events("sign_in_failed")
        assert (first.subject, first.subject_label) == (user, "partner@example.org")
        assert (second.subject, second.subject_label) == (None, "nobody@example.org")
        assert all("wrong password" not in str(e.detail) for e in (first, second))
        assert not events("sign_in")

    def test_deactivated_account_cannot_sign_in(
        self, client: Client, partner: tuple[User, str]
    ) -> None:
        user, password = partner
        user.is_active = False
        user.save()
        assert sign_in(client, user.email, password).status_code == 200
        assert not events("sign_in")

    def test_lockout_after_repeated_failures(
        self, client: Client, partner: tuple[User, str], settings: Any
    ) -> None:
        user, password = partner
        limit = settings.AXES_FAILURE_LIMIT
        for _ in range(limit - 1):
            assert sign_in(client, user.email, "wrong").status_code == 200
        locked = sign_in(client, user.email, "wrong")
        assert locked.status_code == 429
        assert b"Sign-in paused" in locked.content
        (event,) = events("locked_out")
        assert event.subject == user and event.detail == {"failure_limit": limit}
        # While locked, even the right password is refused, and the attempt is recorded.
        assert sign_in(client, user.email, password).status_code == 429
        assert events("sign_in_failed")[-1].detail == {"while_locked_out": True}
        assert not events("sign_in")
        # Another client address is not locked: the lock is per (email, address).
        other = sign_in(client, user.email, password, REMOTE_ADDR="10.0.0.7")
        assert other.status_code == 302
        client.post("/sign-out/")

        # An administrator's password reset lifts the lock.
        with acting_as("test"):
            new_password = services.reset_password(user)
        assert sign_in(client, user.email, new_password).status_code == 302
        (reset,) = events("password_reset")
        assert reset.subject == user and reset.actor_label == "test"

    # -- administration ------------------------------------------------------------------

    def test_admin_changes_a_role_and_it_is_attributed(
        self, client: Client, partner: tuple[User, str], admin_user: User, org: Organisation
    ) -> None:
        user, _ = partner
        client.force_login(admin_user)
        url = reverse("admin:accounts_user_change", args=[user.pk])
        assert client.get(url).status_code == 200
        response = client.post(
            url,
            {
                "email": user.email,
                "full_name": "Pat Partner",
                "organisation": org.pk,
                "role": "analyst",
                "is_active": "on",
            },
        )
        assert response.status_code == 302, response.content[:2000]
        user.refresh_from_db()
        assert user.role == Role.ANALYST
        (event,) = events("permission_changed")
        assert event.actor == admin_user
        assert event.actor_label == "admin@example.org"
        assert event.ip_address == "127.0.0.1"
        assert event.detail == {"role": ["partner", "analyst"]}

    def test_admin_resets_a_password_and_sees_it_once(
        self, client: Client, partner: tuple[User, str], admin_user: User
    ) -> None:
        user, old_password = partner
        client.force_login(admin_user)
        response = client.post(
            reverse("admin:accounts_user_changelist"),
            {"action": "reset_passwords", "_selected_action": [user.pk]},
        )
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        match = re.search(rb"<code>([A-Za-z0-9_-]{20})</code>", response.content)
        assert match, response.content[:3000]
        user.refresh_from_db()
        assert not user.check_password(old_password)
        assert user.check_password(match.group(1).decode())
        (event,) = events("password_reset")
        assert event.actor == admin_user

    def test_admin_creates_an_account_with_a_generated_password(
        self, client: Client, admin_user: User
    ) -> None:
        client.force_login(admin_user)
        response = client.post(
            reverse("admin:accounts_user_add"),
            {"email": "New@Example.org", "full_name": "", "role": "opcc", "is_active": "on"},
        )
        assert response.status_code == 200, response.content[:2000]
        match = re.search(rb"<code>([A-Za-z0-9_-]{20})</code>", response.content)
        assert match
        user = User.objects.get(email="new@example.org")
        assert user.role == Role.OPCC and user.check_password(match.group(1).decode())
        created = [e for e in events("user_created") if e.subject == user]
        assert created and created[0].actor == admin_user
        # The same address in other letters is refused by the form, not by the database.
        again = client.post(
            reverse("admin:accounts_user_add"),
            {"email": "NEW@example.org", "full_name": "", "role": "partner", "is_active": "on"},
        )
        assert again.status_code == 200 and b"already exists" in again.content
        assert User.objects.filter(email="new@example.org").count() == 1
