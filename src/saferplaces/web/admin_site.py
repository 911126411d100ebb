"""The admin site: open to administrators only, signed in through the service's own sign-in page
(so that the sign-in rate limit and the audit log cover it)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from .accounts.roles import Capability, can


class SaferPlacesAdminSite(admin.AdminSite):
    site_header = "SaferPlaces administration"
    site_title = "SaferPlaces administration"
    index_title = "Organisations, users and the audit log"
    site_url = "/"

    def has_permission(self, request: HttpRequest) -> bool:
        return can(request.user, Capability.MANAGE_USERS)

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if request.user.is_authenticated:
            # Signed in but not an administrator: say no rather than loop back to sign-in.
            raise PermissionDenied
        return redirect_to_login(request.GET.get("next") or request.get_full_path())
