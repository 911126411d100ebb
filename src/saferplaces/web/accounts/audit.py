"""Recording the audit log: sign-ins, failed sign-ins, sign-outs, lock-outs, account changes,
uploads of data and publications of Scorecard editions.

Who acted comes from a context variable: :class:`AuditContextMiddleware` sets it to the request
for every web request (so a role changed in the admin site is attributed to the administrator
and their address); command-line tools use :func:`acting_as`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from ..security import client_ip

if TYPE_CHECKING:
    from .models import AuditEvent, User


class EventKind(StrEnum):
    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGN_OUT = "sign_out"
    LOCKED_OUT = "locked_out"
    USER_CREATED = "user_created"
    PERMISSION_CHANGED = "permission_changed"
    PASSWORD_RESET = "password_reset"
    DATA_UPLOADED = "data_uploaded"
    PUBLISH_REQUESTED = "publish_requested"
    EDITION_PUBLISHED = "edition_published"


EVENT_KIND_CHOICES: list[tuple[str, str]] = [
    (EventKind.SIGN_IN, "Signed in"),
    (EventKind.SIGN_IN_FAILED, "Failed sign-in"),
    (EventKind.SIGN_OUT, "Signed out"),
    (EventKind.LOCKED_OUT, "Locked out after repeated failures"),
    (EventKind.USER_CREATED, "Account created"),
    (EventKind.PERMISSION_CHANGED, "Role, organisation or access changed"),
    (EventKind.PASSWORD_RESET, "Password reset by an administrator"),
    (EventKind.DATA_UPLOADED, "Data uploaded for loading"),
    (EventKind.PUBLISH_REQUESTED, "Publication of an edition confirmed"),
    (EventKind.EDITION_PUBLISHED, "Edition published"),
]


@dataclass(frozen=True)
class _Actor:
    request: Any = None
    label: str = ""


_actor: ContextVar[_Actor | None] = ContextVar("saferplaces_audit_actor", default=None)


@contextmanager
def acting_as(label: str) -> Iterator[None]:
    """Attribute events recorded inside the block to ``label`` (e.g. "command line")."""
    token = _actor.set(_Actor(label=label))
    try:
        yield
    finally:
        _actor.reset(token)


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        token = _actor.set(_Actor(request=request))
        try:
            return self.get_response(request)
        finally:
            _actor.reset(token)


def record(
    kind: EventKind,
    *,
    subject: User | None = None,
    subject_label: str = "",
    request: Any = None,
    actor: User | None = None,
    detail: dict[str, Any] | None = None,
    using: str | None = None,
) -> AuditEvent:
    """Add one event. ``request`` defaults to the current web request, ``actor`` to its
    signed-in user (or the label given to :func:`acting_as`)."""
    from .models import AuditEvent

    context = _actor.get()
    if request is None and context is not None:
        request = context.request
    actor_label = context.label if context is not None else ""
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = user
    if actor is not None:
        actor_label = actor.email
    event = AuditEvent(
        kind=kind,
        actor=actor,
        actor_label=actor_label[:254],
        subject=subject,
        subject_label=(subject.email if subject is not None else subject_label)[:254],
        ip_address=client_ip(request) if request is not None else None,
        detail=detail or {},
    )
    event.save(using=using)
    return event


# --- Signal receivers (connected in AccountsConfig.ready) ------------------------------------


def on_signed_in(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    record(EventKind.SIGN_IN, subject=user, request=request, actor=user)


def on_signed_out(sender: Any, request: Any, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        record(EventKind.SIGN_OUT, subject=user, request=request, actor=user)


def on_sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    # Django has already replaced the password in ``credentials`` with asterisks.
    typed = str(credentials.get("username") or credentials.get("email") or "")
    from .models import User

    subject = User.objects.filter(email=typed.strip().lower()).first() if typed else None
    detail = {"while_locked_out": True} if getattr(request, "axes_locked_out", False) else {}
    record(
        EventKind.SIGN_IN_FAILED,
        subject=subject,
        subject_label=typed,
        request=request,
        detail=detail,
    )


def on_locked_out(sender: Any, request: Any, username: str | None, **kwargs: Any) -> None:
    from django.conf import settings

    from .models import User

    typed = username or ""
    subject = User.objects.filter(email=typed.strip().lower()).first() if typed else None
    record(
        EventKind.LOCKED_OUT,
        subject=subject,
        subject_label=typed,
        request=request,
        detail={"failure_limit": settings.AXES_FAILURE_LIMIT},
    )
