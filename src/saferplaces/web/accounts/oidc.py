"""Optional sign-in through a partner's OpenID Connect identity provider (Entra ID, Okta,
Keycloak, ...), with mozilla-django-oidc (the ``oidc`` extra).

Configuration only: :func:`oidc_settings` turns the ``SAFERPLACES_OIDC_*`` environment variables
into mozilla-django-oidc's settings. The provider's endpoints are given explicitly (copied from
its ``/.well-known/openid-configuration``) so that starting the app never needs the network.

The provider proves who someone is; SaferPlaces still decides what they may do. Only an
existing, active account whose email matches the provider's verified email claim can sign in
this way, and it keeps the role an administrator gave it: accounts are never created on first
sign-in, since a new account would need a role and an organisation chosen by a person.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

#: Environment variable → mozilla-django-oidc setting, for those every deployment must set.
REQUIRED = {
    "SAFERPLACES_OIDC_CLIENT_ID": "OIDC_RP_CLIENT_ID",
    "SAFERPLACES_OIDC_CLIENT_SECRET": "OIDC_RP_CLIENT_SECRET",
    "SAFERPLACES_OIDC_AUTHORIZATION_ENDPOINT": "OIDC_OP_AUTHORIZATION_ENDPOINT",
    "SAFERPLACES_OIDC_TOKEN_ENDPOINT": "OIDC_OP_TOKEN_ENDPOINT",
    "SAFERPLACES_OIDC_USERINFO_ENDPOINT": "OIDC_OP_USER_ENDPOINT",
    "SAFERPLACES_OIDC_JWKS_ENDPOINT": "OIDC_OP_JWKS_ENDPOINT",
}
#: The authentication backend (a module of its own: settings.py imports this one).
BACKEND = "saferplaces.web.accounts.oidc_backend.PartnerOIDCBackend"


def oidc_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """The Django settings for OIDC sign-in; empty when no ``SAFERPLACES_OIDC_*`` variable is
    set. Raises ImproperlyConfigured naming what is missing when only some are."""
    given = {k: env.get(k, "").strip() for k in REQUIRED}
    if not any(given.values()) and not env.get("SAFERPLACES_OIDC_PROVIDER_NAME", "").strip():
        return {}
    missing = [k for k, v in given.items() if not v]
    if missing:
        raise ImproperlyConfigured(
            "OpenID Connect sign-in is half configured: set "
            + ", ".join(missing)
            + " (see docs/web.md, 'Signing in with your organisation's identity provider')"
        )
    for key in REQUIRED:
        if key.endswith("_ENDPOINT") and not given[key].startswith(("https://", "http://")):
            raise ImproperlyConfigured(f"{key}={given[key]!r}: not an http(s) URL")
    try:
        import mozilla_django_oidc  # noqa: F401
    except ImportError:
        raise ImproperlyConfigured(
            "SAFERPLACES_OIDC_* is set but mozilla-django-oidc is not installed: "
            "pip install 'saferplaces[oidc]'"
        ) from None
    settings: dict[str, Any] = {setting: given[key] for key, setting in REQUIRED.items()}
    settings.update(
        OIDC_RP_SIGN_ALGO=env.get("SAFERPLACES_OIDC_SIGN_ALGO", "").strip() or "RS256",
        OIDC_RP_SCOPES="openid email",
        OIDC_CREATE_USER=False,
        OIDC_USE_PKCE=True,
        # Seconds to wait for the provider (the library's default is to wait for ever).
        OIDC_TIMEOUT=10,
        # Back to the sign-in page, which explains why, when the provider's answer is refused.
        LOGIN_REDIRECT_URL_FAILURE="/sign-in/?oidc=failed",
        SAFERPLACES_OIDC_PROVIDER_NAME=(
            env.get("SAFERPLACES_OIDC_PROVIDER_NAME", "").strip() or "your organisation"
        ),
    )
    return settings


def oidc_urlpatterns(enabled: bool) -> list[Any]:
    """The provider's redirect and callback routes (``/oidc/...``) when OIDC is configured."""
    if not enabled:
        return []
    from django.urls import include, path

    return [path("oidc/", include("mozilla_django_oidc.urls"))]
