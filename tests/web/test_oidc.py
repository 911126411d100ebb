"""Sign-in through an OpenID Connect provider (accounts/oidc.py), end to end against a small
provider served on loopback: the real redirect, token exchange, signed ID token (RS256, checked
against the provider's JWKS), userinfo and session. No live identity provider is used."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from jwt.algorithms import RSAAlgorithm

import saferplaces.web.urls  # noqa: F401  # loaded now, with OIDC off, as the app starts
from saferplaces.web.accounts.audit import EventKind
from saferplaces.web.accounts.models import AuditEvent, User
from saferplaces.web.accounts.oidc import BACKEND, REQUIRED, oidc_settings

CLIENT_ID = "saferplaces-test"
_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Provider(ThreadingHTTPServer):
    """What the provider will say: the user's email claims, the nonce it was sent and the
    audience it signs for."""

    claims: dict[str, Any]
    nonce: str = ""
    audience: str = CLIENT_ID
    token_requests: list[dict[str, list[str]]]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: Provider

    def log_message(self, *args: Any) -> None:
        pass

    def _json(self, obj: Any) -> None:
        body = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/jwks":
            jwk = json.loads(RSAAlgorithm.to_jwk(_KEY.public_key()))
            self._json({"keys": [{**jwk, "kid": "k1", "alg": "RS256", "use": "sig"}]})
        elif self.path == "/userinfo":
            self._json({"sub": "abc-123", **self.server.claims})
        else:
            self.send_error(404)

    def do_POST(self) -> None:
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        self.server.token_requests.append(form)
        if self.path != "/token" or form.get("code") != ["good-code"]:
            self.send_error(400)
            return
        now = int(time.time())
        id_token = jwt.encode(
            {
                "iss": self.server.base,
                "sub": "abc-123",
                "aud": self.server.audience,
                "iat": now,
                "exp": now + 300,
                "nonce": self.server.nonce,
            },
            _KEY,
            algorithm="RS256",
            headers={"kid": "k1"},
        )
        self._json({"id_token": id_token, "access_token": "at-1", "token_type": "Bearer"})


@pytest.fixture
def provider() -> Iterator[Provider]:
    server = Provider(("127.0.0.1", 0), Handler)
    server.claims, server.token_requests = {}, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _env(base: str) -> dict[str, str]:
    return {
        "SAFERPLACES_OIDC_CLIENT_ID": CLIENT_ID,
        "SAFERPLACES_OIDC_CLIENT_SECRET": "s3cret",
        "SAFERPLACES_OIDC_AUTHORIZATION_ENDPOINT": f"{base}/authorize",
        "SAFERPLACES_OIDC_TOKEN_ENDPOINT": f"{base}/token",
        "SAFERPLACES_OIDC_USERINFO_ENDPOINT": f"{base}/userinfo",
        "SAFERPLACES_OIDC_JWKS_ENDPOINT": f"{base}/jwks",
        "SAFERPLACES_OIDC_PROVIDER_NAME": "Example Council",
    }


@pytest.fixture
def oidc_on(provider: Provider, settings: Any) -> Provider:
    for name, value in oidc_settings(_env(provider.base)).items():
        setattr(settings, name, value)
    settings.SAFERPLACES_OIDC_ENABLED = True
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, BACKEND]
    settings.ROOT_URLCONF = "tests.web.oidc_urls"
    return provider


def _sign_in(client: Client, provider: Provider, **claims: Any) -> Any:
    """Follow the flow as a browser would: our redirect to the provider, then its redirect
    back to our callback with a code and the state we sent."""
    start = client.get("/oidc/authenticate/")
    assert start.status_code == 302
    url = urlsplit(start["Location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{provider.base}/authorize"
    query = parse_qs(url.query)
    assert query["client_id"] == [CLIENT_ID] and query["code_challenge_method"] == ["S256"]
    provider.nonce = query["nonce"][0]
    provider.claims = claims
    return client.get("/oidc/callback/", {"code": "good-code", "state": query["state"][0]})


pytestmark = pytest.mark.django_db


def test_an_existing_partner_signs_in_with_their_provider(oidc_on: Provider) -> None:
    user = User.objects.create(email="analyst@council.example", role="analyst")
    client = Client()
    page = client.get("/sign-in/")
    assert b"Sign in with Example Council" in page.content
    done = _sign_in(client, oidc_on, email="Analyst@Council.example", email_verified=True)
    assert done.status_code == 302 and "oidc=failed" not in done["Location"]
    assert client.session["_auth_user_id"] == str(user.pk)
    # The token request carried our client credentials and the PKCE verifier.
    [form] = oidc_on.token_requests
    assert form["client_id"] == [CLIENT_ID] and "code_verifier" in form
    # The role is the one the administrator gave: the dashboard opens.
    assert client.get("/dashboard/").status_code == 200
    assert AuditEvent.objects.filter(kind=EventKind.SIGN_IN, subject=user).exists()


@pytest.mark.parametrize(
    "claims",
    [
        {"email": "stranger@example.org", "email_verified": True},  # no such account
        {"email": "analyst@council.example", "email_verified": False},  # unverified
        {"email_verified": True},  # no email at all
    ],
)
def test_the_provider_cannot_create_or_take_over_accounts(
    oidc_on: Provider, claims: dict[str, Any]
) -> None:
    User.objects.create(email="analyst@council.example", role="analyst")
    client = Client()
    done = _sign_in(client, oidc_on, **claims)
    assert done.status_code == 302 and done["Location"].endswith("/sign-in/?oidc=failed")
    assert "_auth_user_id" not in client.session
    assert User.objects.count() == 1
    assert b"You could not be signed in" in client.get(done["Location"]).content
    assert AuditEvent.objects.filter(kind=EventKind.SIGN_IN_FAILED).exists()


def test_a_deactivated_account_cannot_sign_in(oidc_on: Provider) -> None:
    User.objects.create(email="gone@council.example", role="analyst", is_active=False)
    client = Client()
    _sign_in(client, oidc_on, email="gone@council.example", email_verified=True)
    assert "_auth_user_id" not in client.session


def test_an_id_token_for_another_application_is_refused(oidc_on: Provider) -> None:
    User.objects.create(email="analyst@council.example", role="analyst")
    oidc_on.audience = "some-other-app"
    client = Client()
    done = _sign_in(client, oidc_on, email="analyst@council.example", email_verified=True)
    assert done.status_code == 400
    assert "_auth_user_id" not in client.session


def test_without_configuration_there_is_no_oidc_route_or_button(client: Client) -> None:
    assert client.get("/oidc/authenticate/").status_code == 404
    assert b"Sign in with" not in client.get("/sign-in/").content


def test_half_a_configuration_names_what_is_missing() -> None:
    assert oidc_settings({}) == {}
    env = _env("https://id.example.org")
    del env["SAFERPLACES_OIDC_JWKS_ENDPOINT"]
    with pytest.raises(ImproperlyConfigured, match="SAFERPLACES_OIDC_JWKS_ENDPOINT"):
        oidc_settings(env)
    env = {**_env("https://id.example.org"), "SAFERPLACES_OIDC_TOKEN_ENDPOINT": "id.example.org"}
    with pytest.raises(ImproperlyConfigured, match="not an http"):
        oidc_settings(env)
    assert set(REQUIRED) < set(_env("x"))
