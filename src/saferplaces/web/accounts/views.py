"""Sign-in and sign-out. Failed attempts are counted by django-axes (see settings) and recorded
in the audit log by the receivers in :mod:`.audit`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache

from .forms import SignInForm
from .roles import Capability, can


@method_decorator(never_cache, name="dispatch")
class SignInView(auth_views.LoginView):
    template_name = "accounts/sign_in.html"
    authentication_form = SignInForm
    redirect_authenticated_user = False

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "oidc_provider": getattr(settings, "SAFERPLACES_OIDC_PROVIDER_NAME", None)
            if settings.SAFERPLACES_OIDC_ENABLED
            else None,
            "oidc_failed": self.request.GET.get("oidc") == "failed",
        }

    def get_default_redirect_url(self) -> str:
        # Partners land on their dashboard; accounts without one on the home page.
        if can(self.request.user, Capability.VIEW_DASHBOARD):
            return str(reverse("dashboard:index"))
        return str(reverse("public:home"))


class SignOutView(auth_views.LogoutView):
    """POST only (Django's LogoutView refuses GET), so a link on another site cannot sign
    anyone out; the CSRF token is checked as for every form."""

    next_page = "public:home"
