"""Settings: database choice, the secret key, safe defaults, and that every setting is
documented in docs/web.md."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from tests.support import REPO

import saferplaces.web.settings as production
from saferplaces.errors import ConfigError
from saferplaces.web.database import database_from_url
from saferplaces.web.security import load_or_create_secret_key
from saferplaces.workspace import Workspace

WEB = REPO / "src" / "saferplaces" / "web"


def test_postgres_url() -> None:
    cfg = database_from_url("postgresql://ana:p%40ss@db.example.org:5433/csp?sslmode=require")
    assert cfg["ENGINE"] == "django.db.backends.postgresql"
    assert (cfg["NAME"], cfg["USER"], cfg["PASSWORD"]) == ("csp", "ana", "p@ss")
    assert (cfg["HOST"], cfg["PORT"]) == ("db.example.org", "5433")
    assert cfg["OPTIONS"] == {"sslmode": "require"}
    assert cfg["CONN_HEALTH_CHECKS"] is True
    short = database_from_url("postgres://postgres@127.0.0.1/test")
    assert (short["NAME"], short["USER"], short["PASSWORD"], short["PORT"]) == (
        "test",
        "postgres",
        "",
        "",
    )


def test_sqlite_url() -> None:
    assert database_from_url("sqlite:////srv/app.sqlite3")["NAME"] == "/srv/app.sqlite3"
    assert database_from_url("sqlite:///app.sqlite3")["NAME"] == "app.sqlite3"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u:secret@h/db", "unsupported scheme 'mysql'"),
        ("postgresql://u:secret@h/", "no database name"),
        ("postgresql://u:secret@h:port/db", "port is not a number"),
        ("sqlite://", "no SQLite file path"),
    ],
)
def test_bad_database_urls_never_echo_the_password(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        database_from_url(url)
    assert "secret" not in str(info.value)


def test_secret_key_is_created_once_private_and_shared(tmp_path: Path) -> None:
    path = tmp_path / ".saferplaces-secret-key"
    keys: list[str] = []
    threads = [
        threading.Thread(target=lambda: keys.append(load_or_create_secret_key(path)))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 1 and len(keys[0]) >= 50
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_secret_key(path) == keys[0]
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


def test_production_defaults() -> None:
    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert production.DEBUG is False
    assert production.SESSION_COOKIE_SECURE and production.CSRF_COOKIE_SECURE
    assert production.SESSION_COOKIE_HTTPONLY and production.CSRF_COOKIE_HTTPONLY
    assert production.SESSION_COOKIE_SAMESITE == production.CSRF_COOKIE_SAMESITE == "Lax"
    assert production.X_FRAME_OPTIONS == "DENY"
    assert production.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    assert "django.middleware.csrf.CsrfViewMiddleware" in production.MIDDLEWARE
    assert production.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    # No key in the code: it comes from the environment or the workspace's key file.
    source = (WEB / "settings.py").read_text("utf-8")
    assert not re.search(r"SECRET_KEY\s*=\s*['\"]", source)


def test_process_stays_in_utc_and_pages_show_uk_time() -> None:
    """Django copies TIME_ZONE into TZ, which DuckDB uses for dates: it must stay UTC so that
    setting up the web app cannot shift lake dates (other test folders share this process)."""
    from django.utils import timezone

    from saferplaces.web.security import DisplayTimeZoneMiddleware

    assert production.TIME_ZONE == "UTC" and os.environ.get("TZ") == "UTC"
    middleware = DisplayTimeZoneMiddleware(lambda request: timezone.get_current_timezone_name())
    assert middleware(None) == "Europe/London"


_REPORT = """
import importlib, json, os, sys

base = dict(os.environ)
out, module = [], None
for env in json.loads(sys.argv[1]):
    os.environ.clear()
    os.environ.update({**base, **env})
    try:
        if module is None:
            import saferplaces.web.settings as module
        else:
            importlib.reload(module)
        db = module.DATABASES["default"]
        out.append({
            "engine": db["ENGINE"], "name": str(db["NAME"]), "port": db.get("PORT"),
            "secure": module.SESSION_COOKIE_SECURE, "debug": module.DEBUG,
            "hsts": module.SECURE_HSTS_SECONDS,
            "proxy": getattr(module, "SECURE_PROXY_SSL_HEADER", None),
            "hosts": module.ALLOWED_HOSTS, "key": module.SECRET_KEY,
        })
        if hasattr(module, "SECURE_PROXY_SSL_HEADER"):
            # Set only when asked for; reload() keeps old names, so drop it before the next.
            del module.SECURE_PROXY_SSL_HEADER
    except Exception as exc:
        out.append({"error": f"{type(exc).__name__}: {exc}"})
print(json.dumps(out))
"""


def _settings_with(workspace: Path, *envs: dict[str, str]) -> list[dict[str, object]]:
    """The production settings as imported with each environment in ``envs``, in a fresh
    interpreter (reloading the module per environment: one interpreter start, not one each)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SAFERPLACES_", "DJANGO_"))}
    clean.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", _REPORT, json.dumps(list(envs))],
        env={**clean, "SAFERPLACES_WORKSPACE": str(workspace)},
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    return list(json.loads(result.stdout))


def test_settings_pick_the_database_and_security_from_the_environment(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws", "Settings test")
    default, deployed, demo, no_workspace, bad_debug = _settings_with(
        ws.root,
        {},
        {
            "DATABASE_URL": "postgresql://csp@db.internal:5433/saferplaces",
            "SAFERPLACES_SECRET_KEY": "k" * 60,
            "SAFERPLACES_HSTS_SECONDS": "31536000",
            "SAFERPLACES_BEHIND_PROXY": "1",
            "SAFERPLACES_ALLOWED_HOSTS": "csp.example.gov.uk, www.csp.example.gov.uk",
        },
        {"SAFERPLACES_PLAIN_HTTP": "1"},
        {"SAFERPLACES_WORKSPACE": ""},
        {"SAFERPLACES_DEBUG": "maybe"},
    )
    assert default["engine"] == "django.db.backends.sqlite3"
    assert default["name"] == str(ws.database_path)
    assert (default["secure"], default["debug"], default["hsts"], default["proxy"]) == (
        True,
        False,
        0,
        None,
    )
    assert default["key"] == (ws.root / ".saferplaces-secret-key").read_text().strip()

    assert deployed["engine"] == "django.db.backends.postgresql"
    assert (deployed["name"], deployed["port"]) == ("saferplaces", "5433")
    assert deployed["key"] == "k" * 60
    assert deployed["hsts"] == 31536000
    assert deployed["proxy"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert deployed["hosts"] == ["csp.example.gov.uk", "www.csp.example.gov.uk"]

    assert demo["secure"] is False and demo["proxy"] is None

    assert "SAFERPLACES_WORKSPACE is not set" in str(no_workspace["error"])
    assert "SAFERPLACES_DEBUG='maybe'" in str(bad_debug["error"])


def test_every_setting_is_documented() -> None:
    docs = (REPO / "docs" / "web.md").read_text("utf-8")
    sources = [
        WEB / "settings.py",
        WEB / "security.py",
        WEB / "accounts" / "oidc.py",
        REPO / "src/saferplaces/cli/serve.py",
    ]
    names = set()
    for path in sources:
        names |= set(
            re.findall(r"\b(SAFERPLACES_[A-Z_]*[A-Z]|DATABASE_URL)\b", path.read_text("utf-8"))
        )
    # Python settings, not variables:
    names -= {"SAFERPLACES_CSP", "SAFERPLACES_DISPLAY_TIME_ZONE", "SAFERPLACES_OIDC_ENABLED"}
    assert names, "no settings found"
    undocumented = sorted(n for n in names if f"`{n}`" not in docs)
    assert undocumented == []


def test_cli_choices_match_the_models() -> None:
    from saferplaces.cli.serve import _org_kinds, _roles
    from saferplaces.web.accounts.models import Organisation
    from saferplaces.web.accounts.roles import Role

    assert _roles() == [r.value for r in Role]
    assert _org_kinds() == list(Organisation.Kind.values)


def test_vendored_assets_are_versioned_licensed_and_free_of_gov_uk_branding() -> None:
    vendor = WEB / "static" / "vendor"
    files = sorted(p.name for p in vendor.iterdir())
    assert files == [
        "README.md",
        "govuk-frontend-6.6.0.min.css",
        "govuk-frontend-6.6.0.min.js",
        "htmx-4.0.1.min.js",
        "maplibre-gl-5.24.1.LICENSE.txt",
        "maplibre-gl-5.24.1.css",
        "maplibre-gl-csp-5.24.1.min.js",
        "maplibre-gl-csp-worker-5.24.1.min.js",
        "pmtiles-4.5.0.min.js",
    ]
    readme = (vendor / "README.md").read_text("utf-8")
    for name in files[1:]:
        assert name in readme
    assert "MIT" in readme and "0BSD" in readme and "BSD-3-Clause" in readme
    # No source map is referenced (none is shipped).
    for name in files:
        if name.endswith((".js", ".css")):
            assert "sourceMappingURL" not in (vendor / name).read_text("utf-8"), name
    css = (vendor / "govuk-frontend-6.6.0.min.css").read_text("utf-8")
    assert "@font-face" not in css and "GDS Transport" not in css
    assert "url(" not in css  # no images (crest) or fonts referenced
    every = [p.name.lower() for p in (WEB / "static").rglob("*")]
    assert not [n for n in every if re.search(r"crest|crown|\.woff2?$|\.ttf$|\.png$|\.svg$", n)]
