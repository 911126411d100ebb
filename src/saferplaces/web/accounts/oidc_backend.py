"""The authentication backend for OpenID Connect sign-in (configured by :mod:`.oidc`)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend


class PartnerOIDCBackend(OIDCAuthenticationBackend):
    """Matches the provider's verified email to one active account; never creates accounts.
    A refusal reaches the audit log as a failed sign-in (Django's ``user_login_failed``)."""

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        # A provider that says the address is unverified is not proof of owning it.
        return bool(claims.get("email")) and claims.get("email_verified", True) is not False

    def verify_token(self, token: str, **kwargs: Any) -> Any:
        # mozilla-django-oidc checks the signature and nonce but not the audience: refuse an ID
        # token the provider issued to another application.
        payload = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("the ID token was issued to another application")
        return payload

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        email = str(claims.get("email") or "").strip()
        if not email:
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(email__iexact=email, is_active=True)
