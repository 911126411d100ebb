"""Account operations shared by the CLI (``saferplaces users``) and the admin site.

Passwords are generated here, shown once to whoever created or reset the account, and stored
only as an Argon2 hash. Nobody, administrators included, can read a password back.
"""

from __future__ import annotations

import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import router, transaction

from ...errors import SaferPlacesError
from . import audit
from .models import AuditEvent, Organisation, User, normalise_email
from .roles import Role

DEMO_ANALYST_EMAIL = "analyst@demo.saferplaces.invalid"


class AccountError(SaferPlacesError):
    """An account operation that cannot be done (unknown user, bad email, ...)."""


def generate_password() -> str:
    """20 URL-safe characters (120 random bits): strong enough that guessing is hopeless even
    without the sign-in rate limit, and easy to copy."""
    return secrets.token_urlsafe(15)


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise AccountError(f"unknown role {value!r}: use one of {names}") from None


def get_or_create_organisation(name: str, kind: str) -> Organisation:
    if kind not in Organisation.Kind.values:
        kinds = ", ".join(Organisation.Kind.values)
        raise AccountError(f"unknown organisation kind {kind!r}: use one of {kinds}")
    org, created = Organisation.objects.get_or_create(name=name.strip(), defaults={"kind": kind})
    if not created and org.kind != kind:
        raise AccountError(f"organisation {org.name!r} exists with kind {org.kind!r}, not {kind!r}")
    return org  # type: ignore[no-any-return]


def get_user(email: str) -> User:
    try:
        user: User = User.objects.get(email=normalise_email(email))
        return user
    except User.DoesNotExist:
        raise AccountError(f"no account with email {email!r}") from None


def create_user(
    email: str,
    role: Role | str,
    *,
    full_name: str = "",
    organisation: Organisation | None = None,
) -> tuple[User, str]:
    """A new active account and its generated password (shown once, stored hashed)."""
    email = normalise_email(email)
    try:
        validate_email(email)
    except ValidationError:
        raise AccountError(f"{email!r} is not a valid email address") from None
    role = parse_role(role)
    if User.objects.filter(email=email).exists():
        raise AccountError(f"an account with email {email!r} already exists")
    password = generate_password()
    user = User(email=email, role=role, full_name=full_name.strip(), organisation=organisation)
    validate_password(password, user)
    user.set_password(password)
    user.save()
    return user, password


def reset_password(user: User) -> str:
    """A new generated password for ``user``; also lifts any sign-in lock-out on the account."""
    from axes.utils import reset as axes_reset

    password = generate_password()
    using = router.db_for_write(User, instance=user)
    with transaction.atomic(using=using):
        user.set_password(password)
        user.save(update_fields=["password"], using=using)
        audit.record(AuditEvent.Kind.PASSWORD_RESET, subject=user, using=using)
    axes_reset(username=user.email)
    return password


def set_role(user: User, role: Role | str) -> None:
    """Change the role (audited by :meth:`User.save`)."""
    user.role = parse_role(role)
    user.save(update_fields=["role"])


def ensure_demo_analyst(email: str = DEMO_ANALYST_EMAIL) -> tuple[User, str]:
    """The demo analyst account and a password that works now: a new account's, or a fresh one
    for an existing account (the demo prints it at every start; only for the demo account)."""
    existing = User.objects.filter(email=normalise_email(email)).first()
    if existing is not None:
        with audit.acting_as("saferplaces serve --demo"):
            return existing, reset_password(existing)
    org = get_or_create_organisation("Demo community safety partnership", "council")
    with audit.acting_as("saferplaces serve --demo"):
        return create_user(email, Role.ANALYST, full_name="Demo analyst", organisation=org)
