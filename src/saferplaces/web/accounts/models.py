"""Organisations, users (one role each) and the append-only audit log."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models, router, transaction
from django.utils import timezone

from .audit import EVENT_KIND_CHOICES, EventKind
from .roles import PERMISSION_PREFIX, ROLE_CHOICES, Capability, Role, can, role_of

#: Fields whose change alters what a user may see or do: every change is audited.
ACCESS_FIELDS = ("role", "is_active", "organisation_id")


class Organisation(models.Model):
    class Kind(models.TextChoices):
        POLICE = "police", "Police"
        COUNCIL = "council", "Council"
        FIRE = "fire", "Fire and rescue"
        HEALTH = "health", "Health"
        PROBATION = "probation", "Probation"
        OPCC = "opcc", "Office of the Police and Crime Commissioner"
        PARISH_COUNCIL = "parish_council", "Town or parish council"
        PROVIDER = "provider", "Commissioned service provider"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]

    def __str__(self) -> str:
        return str(self.name)


def normalise_email(email: str) -> str:
    """Emails are stored and looked up lower-cased: one account per address, however typed."""
    return email.strip().lower()


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        user: User = self.get(email=normalise_email(username or ""))
        return user

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        if not email:
            raise ValueError("an email address is required")
        user: User = self.model(email=normalise_email(email), **fields)
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.save(using=self._db)
        return user


class User(AbstractBaseUser):
    """A person who signs in. What they may do follows from :attr:`role` alone
    (see :mod:`saferplaces.web.accounts.roles`); Django's per-model permission tables are not
    used, so there is one source of truth."""

    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    role = models.CharField(max_length=32, choices=ROLE_CHOICES, default=Role.PUBLIC.value)
    is_active = models.BooleanField(
        default=True, help_text="Untick to stop this person signing in (keeps their history)."
    )
    date_joined = models.DateTimeField(default=timezone.now, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering: ClassVar[list[str]] = ["email"]

    def __str__(self) -> str:
        return str(self.email)

    # -- roles -----------------------------------------------------------------------------

    def can(self, capability: Capability) -> bool:
        return can(self, capability)

    @property
    def is_staff(self) -> bool:
        """Django's admin site is for administrators only."""
        return role_of(self) == Role.ADMIN

    @property
    def is_superuser(self) -> bool:
        return False  # no bypass: administrators' rights are in the role map like everyone's

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        if perm.startswith(PERMISSION_PREFIX):
            try:
                return self.can(Capability(perm.removeprefix(PERMISSION_PREFIX)))
            except ValueError:
                return False
        # Django's model permissions ("accounts.change_user", ...) are used by the admin site.
        return self.can(Capability.MANAGE_USERS)

    def has_perms(self, perm_list: Any, obj: Any = None) -> bool:
        return all(self.has_perm(p, obj) for p in perm_list)

    def has_module_perms(self, app_label: str) -> bool:
        return self.can(Capability.MANAGE_USERS)

    # -- auditing access changes -----------------------------------------------------------

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any) -> User:
        instance: User = super().from_db(db, field_names, values)
        instance._access_loaded = {
            f: getattr(instance, f) for f in ACCESS_FIELDS if f in instance.__dict__
        }
        return instance

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Saves, and records in the audit log (same transaction) a new account or any change
        of role, active flag or organisation, with who made it (see :mod:`.audit`)."""
        from . import audit

        self.email = normalise_email(self.email)
        adding = self._state.adding
        before: dict[str, Any] = getattr(self, "_access_loaded", {})
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using):
            super().save(*args, **kwargs)
            after = {f: getattr(self, f) for f in ACCESS_FIELDS}
            if adding:
                audit.record(
                    AuditEvent.Kind.USER_CREATED,
                    subject=self,
                    detail={"role": self.role, "organisation": self._organisation_name()},
                    using=using,
                )
            else:
                changes = {
                    f.removesuffix("_id"): [before[f], after[f]]
                    for f in ACCESS_FIELDS
                    if f in before and before[f] != after[f]
                }
                if "organisation" in changes:
                    changes["organisation"] = [
                        Organisation.objects.using(using)
                        .filter(pk=pk)
                        .values_list("name", flat=True)
                        .first()
                        if pk is not None
                        else None
                        for pk in changes["organisation"]
                    ]
                if changes:
                    audit.record(
                        AuditEvent.Kind.PERMISSION_CHANGED,
                        subject=self,
                        detail=changes,
                        using=using,
                    )
        self._access_loaded = after

    def _organisation_name(self) -> str | None:
        return self.organisation.name if self.organisation_id else None


class AuditEvent(models.Model):
    """One security-relevant event. Rows are only ever added: saving an existing row or
    deleting one raises, and the admin site shows them read-only."""

    Kind = EventKind

    at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    kind = models.CharField(max_length=32, choices=EVENT_KIND_CHOICES, db_index=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: Who acted, as text that survives the account's deletion ("command line" for the CLI).
    actor_label = models.CharField(max_length=254, blank=True)
    subject = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    #: Whose account, as text: for a failed sign-in, the email as typed (there may be no such user).
    subject_label = models.CharField(max_length=254, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.get_kind_display()}: {self.subject_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("audit events are append-only")


class ApiToken(models.Model):
    """A bearer token for the JSON API, acting as its user (with that user's role).

    Only the SHA-256 of the token is stored (tokens are 256-bit random, so a fast hash is
    enough); the token itself is shown once, when it is created. A deactivated user's tokens
    grant nothing beyond public data."""

    #: Tokens start with this, so that one found in a log or a repository is recognisable.
    PREFIX = "sp_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True, help_text="What the token is for.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    #: The first characters of the token, to tell tokens apart without storing them.
    hint = models.CharField(max_length=12, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked = models.BooleanField(default=False)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.hint}… ({self.user.email})"

    @staticmethod
    def hash(token: str) -> str:
        import hashlib

        return hashlib.sha256(token.encode("utf-8")).hexdigest()

    @classmethod
    def issue(cls, user: User, name: str = "") -> tuple[ApiToken, str]:
        """A new token for ``user``: (the stored row, the token to hand over once)."""
        import secrets

        token = cls.PREFIX + secrets.token_urlsafe(32)
        row = cls.objects.create(
            user=user, name=name, key_hash=cls.hash(token), hint=token[: len(cls.PREFIX) + 6]
        )
        return row, token

    @classmethod
    def user_for(cls, token: str) -> User | None:
        """The active user a valid, unrevoked token belongs to, else None."""
        if not token.startswith(cls.PREFIX) or len(token) > 200:
            return None
        row = (
            cls.objects.select_related("user")
            .filter(key_hash=cls.hash(token), revoked=False)
            .first()
        )
        if row is None or not row.user.is_active:
            return None
        now = timezone.now()
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
            cls.objects.filter(pk=row.pk).update(last_used_at=now)
        user: User = row.user
        return user
