"""The admin site's pages for organisations, users and the audit log.

Passwords are never typed or shown here except once: when an administrator creates an account
or resets a password, the generated password is shown on the response page (not stored in a
message or a cookie) and must be passed on to its owner.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers

from . import services
from .models import ApiToken, AuditEvent, Organisation, User, normalise_email


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "created_at")
    list_filter = ("kind",)
    search_fields = ("name",)


def _show_passwords(request: HttpRequest, rows: list[tuple[User, str]], title: str) -> HttpResponse:
    response = TemplateResponse(
        request,
        "admin/accounts/passwords.html",
        {"title": title, "rows": rows, "site_header": admin.site.site_header},
    )
    add_never_cache_headers(response)
    return response


class UserAdminForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ("email", "full_name", "organisation", "role", "is_active")

    def clean_email(self) -> str:
        # Lower-cased before Django's uniqueness check, which would otherwise let
        # "Ann@x.org" past an existing "ann@x.org" and fail at the database instead.
        return normalise_email(self.cleaned_data["email"])


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    form = UserAdminForm
    list_display = ("email", "full_name", "role", "organisation", "is_active", "last_login")
    list_filter = ("role", "is_active", "organisation")
    search_fields = ("email", "full_name")
    fields = (
        "email",
        "full_name",
        "organisation",
        "role",
        "is_active",
        "last_login",
        "date_joined",
    )
    readonly_fields = ("last_login", "date_joined")
    actions = ("reset_passwords",)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        if not change:
            # A new account gets a generated password, shown once by response_add.
            password = services.generate_password()
            obj.set_password(password)
            request._saferplaces_new_password = password
        super().save_model(request, obj, form, change)

    def response_add(
        self, request: HttpRequest, obj: User, post_url_continue: Any = None
    ) -> HttpResponse:
        password = getattr(request, "_saferplaces_new_password", None)
        if password is None:
            return super().response_add(request, obj, post_url_continue)
        return _show_passwords(request, [(obj, password)], "Account created")

    @admin.action(description="Reset the password of the selected accounts")
    def reset_passwords(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        rows = [(user, services.reset_password(user)) for user in queryset.order_by("email")]
        return _show_passwords(request, rows, "New passwords")


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "kind", "subject_label", "actor_label", "ip_address", "detail")
    list_filter = ("kind",)
    search_fields = ("subject_label", "actor_label", "ip_address")
    date_hierarchy = "at"

    # Read-only: the log is evidence, so nobody edits or deletes it through the site.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens for the JSON API. Adding one generates the token and shows it once."""

    list_display = ("hint", "user", "name", "created_at", "last_used_at", "revoked")
    list_filter = ("revoked",)
    search_fields = ("user__email", "name", "hint")
    fields = ("user", "name", "revoked")
    readonly_fields = ()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("user",) if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        row, token = ApiToken.issue(obj.user, obj.name)
        obj.pk = row.pk
        obj.key_hash, obj.hint, obj.created_at = row.key_hash, row.hint, row.created_at
        request._saferplaces_new_token = token

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue: Any = None) -> Any:
        token = getattr(request, "_saferplaces_new_token", None)
        if token is None:
            return super().response_add(request, obj, post_url_continue)
        return _show_passwords(request, [(obj.user, token)], "New API token (shown only now)")
