"""Roles and what each may do: THE permission map of the web app.

A user has exactly one role; a role grants a fixed set of capabilities; views ask for a
capability, never for a role. Anyone not signed in (and any deactivated account) has the
``public`` role. To change who may do what, change :data:`ROLE_CAPABILITIES` (and the expected
table in tests/web/test_security.py, which walks every URL as every role).

This module imports nothing from Django at import time, so models, views and the CLI can all
use it.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import Any, TypeVar


class Role(StrEnum):
    PUBLIC = "public"
    PARISH_COUNCIL = "parish_council"
    PARTNER = "partner"
    ANALYST = "analyst"
    OPCC = "opcc"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.PUBLIC: "Member of the public",
    Role.PARISH_COUNCIL: "Town or parish council",
    Role.PARTNER: "Partner member",
    Role.ANALYST: "Analyst",
    Role.OPCC: "Office of the Police and Crime Commissioner",
    Role.ADMIN: "Administrator",
}
#: For the model field.
ROLE_CHOICES: list[tuple[str, str]] = [(role.value, role.label) for role in Role]


class Capability(StrEnum):
    #: Public pages: coverage, data and caveats, published outputs.
    VIEW_PUBLIC = "view_public"
    #: Neighbourhood briefings prepared for town and parish councils (not yet built).
    VIEW_PARISH_BRIEFINGS = "view_parish_briefings"
    #: The partnership dashboard: partner-only figures and workflow.
    VIEW_DASHBOARD = "view_dashboard"
    #: The analyst tools: loading data, rebuilds, areas and peer groups (saferplaces.web.jobs).
    ANALYSE = "analyse"
    #: Publishing an edition of the Scorecard (the analyst tools' publish page).
    PUBLISH = "publish"
    #: Recording recommendations to the partnership and their answers (not yet built).
    MANAGE_RECOMMENDATIONS = "manage_recommendations"
    #: Organisations, users, roles, password resets, the audit log (the admin site).
    MANAGE_USERS = "manage_users"


_C = Capability
ROLE_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.PUBLIC: frozenset({_C.VIEW_PUBLIC}),
    Role.PARISH_COUNCIL: frozenset({_C.VIEW_PUBLIC, _C.VIEW_PARISH_BRIEFINGS}),
    Role.PARTNER: frozenset({_C.VIEW_PUBLIC, _C.VIEW_PARISH_BRIEFINGS, _C.VIEW_DASHBOARD}),
    Role.ANALYST: frozenset(
        {_C.VIEW_PUBLIC, _C.VIEW_PARISH_BRIEFINGS, _C.VIEW_DASHBOARD, _C.ANALYSE, _C.PUBLISH}
    ),
    Role.OPCC: frozenset(
        {_C.VIEW_PUBLIC, _C.VIEW_PARISH_BRIEFINGS, _C.VIEW_DASHBOARD, _C.MANAGE_RECOMMENDATIONS}
    ),
    Role.ADMIN: frozenset(Capability),
}

#: ``user.has_perm("saferplaces.<capability>")`` maps onto the table above, so Django's own
#: ``permission_required`` works too.
PERMISSION_PREFIX = "saferplaces."


def role_of(user: Any) -> Role:
    """The user's role; ``public`` when not signed in or deactivated."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Role.PUBLIC
    if not getattr(user, "is_active", False):
        return Role.PUBLIC
    try:
        return Role(getattr(user, "role", Role.PUBLIC))
    except ValueError:
        return Role.PUBLIC  # an unknown role in the database grants nothing beyond public


def can(user: Any, capability: Capability) -> bool:
    return capability in ROLE_CAPABILITIES[role_of(user)]


def capabilities(role: Role | str) -> frozenset[Capability]:
    return ROLE_CAPABILITIES[Role(role)]


V = TypeVar("V", bound=Callable[..., Any])


def require(capability: Capability) -> Callable[[V], V]:
    """View decorator: anonymous → the sign-in page (then back); signed in without the
    capability → 403."""

    def decorator(view: V) -> V:
        @wraps(view)
        def wrapped(request: Any, *args: Any, **kwargs: Any) -> Any:
            # Imported here: django.contrib.auth.views needs the app registry, and models
            # import this module while the registry is being filled.
            from django.contrib.auth.views import redirect_to_login
            from django.core.exceptions import PermissionDenied

            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not can(request.user, capability):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator
