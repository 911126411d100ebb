"""Security pieces Django 5.2 does not provide: the secret key kept in the workspace, a
Content-Security-Policy middleware, and the client address and username that rate-limit sign-in.

Django 6.0 gains a built-in CSP middleware; until the project moves to it this one sets the same
header from ``settings.SAFERPLACES_CSP``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

SECRET_KEY_FILE = ".saferplaces-secret-key"

# Nothing inline: every script and stylesheet is a file under /static/, so an injected <script>
# or style attribute is refused by the browser. form-action and frame-ancestors are not covered
# by default-src and need stating.
DEFAULT_CSP: dict[str, list[str]] = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

PERMISSIONS_POLICY = "camera=(), geolocation=(), microphone=(), payment=(), usb=()"


def load_or_create_secret_key(path: Path) -> str:
    """The key in ``path``, created once (mode 0600) if absent.

    Several server processes may start together: the key is written to a private temporary file
    and hard-linked into place, which fails if another process got there first, so every process
    ends up reading the same complete key."""
    try:
        key = path.read_text("utf-8").strip()
    except FileNotFoundError:
        key = ""
    if key:
        return key
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret-", text=True)  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(secrets.token_urlsafe(50) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileExistsError):  # another process made it first: use theirs
            os.link(tmp, path)
    finally:
        os.unlink(tmp)
    key = path.read_text("utf-8").strip()
    if not key:
        raise RuntimeError(f"{path}: the secret key file is empty; delete it to make a new one")
    return key


def csp_header(policy: Mapping[str, list[str]]) -> str:
    return "; ".join(f"{name} {' '.join(values)}".strip() for name, values in policy.items())


class SecurityHeadersMiddleware:
    """Adds Content-Security-Policy and Permissions-Policy to every response Django makes."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        from django.conf import settings

        self.get_response = get_response
        self.csp = csp_header(getattr(settings, "SAFERPLACES_CSP", DEFAULT_CSP))

    def __call__(self, request: Any) -> Any:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.csp)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class DisplayTimeZoneMiddleware:
    """Shows times in ``settings.SAFERPLACES_DISPLAY_TIME_ZONE`` (UK time) while the process
    and the database stay in UTC (settings.py says why)."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        from zoneinfo import ZoneInfo

        from django.conf import settings

        self.get_response = get_response
        self.zone = ZoneInfo(settings.SAFERPLACES_DISPLAY_TIME_ZONE)

    def __call__(self, request: Any) -> Any:
        from django.utils import timezone

        with timezone.override(self.zone):
            return self.get_response(request)


def client_ip(request: Any) -> str | None:
    """The client's address for rate limiting and the audit log.

    Behind ``SAFERPLACES_PROXY_COUNT`` trusted reverse proxies, the address the nearest proxy
    saw is the N-th entry from the right of X-Forwarded-For; entries further left are supplied
    by the client and could be forged to dodge the sign-in lock-out."""
    from django.conf import settings

    proxies = int(getattr(settings, "SAFERPLACES_PROXY_COUNT", 0))
    remote: str | None = request.META.get("REMOTE_ADDR")
    if proxies <= 0:
        return remote
    chain = [
        p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()
    ]
    return chain[-proxies] if len(chain) >= proxies else remote


def login_username(request: Any, credentials: Mapping[str, Any] | None = None) -> str | None:
    """The email a sign-in attempt names, lower-cased so that ``A@x.org`` and ``a@x.org`` share
    one failure count (accounts are looked up case-insensitively)."""
    value = None
    if credentials:
        value = credentials.get("username") or credentials.get("email")
    if value is None and request is not None:
        value = request.POST.get("username")
    return str(value).strip().lower() if value else None
