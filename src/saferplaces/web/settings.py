"""Django settings for the SaferPlaces web app.

Everything a deployer can change is an environment variable, listed with its default in
``docs/web.md`` (a test checks that every ``SAFERPLACES_*`` variable read here is documented there).
The one required variable is ``SAFERPLACES_WORKSPACE``; ``saferplaces serve`` sets it.

Safe by default: DEBUG off, Secure/HttpOnly/SameSite cookies, a strict Content-Security-Policy,
no framing, Argon2 password hashing, rate-limited sign-in.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from ..workspace import Workspace
from .accounts.oidc import BACKEND as OIDC_BACKEND
from .accounts.oidc import oidc_settings
from .database import database_from_url, sqlite_database
from .security import DEFAULT_CSP, SECRET_KEY_FILE, load_or_create_secret_key

WEB_DIR = Path(__file__).resolve().parent


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    if value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if value.strip().lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r}: use 1/0, true/false, yes/no or on/off")


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r}: not a whole number") from None


def _env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# --- Workspace -------------------------------------------------------------------------------

_workspace_env = os.environ.get("SAFERPLACES_WORKSPACE", "").strip()
if not _workspace_env:
    raise ImproperlyConfigured(
        "SAFERPLACES_WORKSPACE is not set: run 'saferplaces serve --workspace DIR', or set it to "
        "the workspace folder (see docs/web.md)"
    )
WORKSPACE = Workspace.open(_workspace_env)
SAFERPLACES_WORKSPACE = str(WORKSPACE.root)

# --- Core ------------------------------------------------------------------------------------

DEBUG = _env_bool("SAFERPLACES_DEBUG", False)

# Never in the code: from the environment (several servers behind a load balancer must share
# one), else generated once and kept beside the workspace's data, readable by its owner only.
SECRET_KEY = os.environ.get("SAFERPLACES_SECRET_KEY", "").strip() or load_or_create_secret_key(
    WORKSPACE.root / SECRET_KEY_FILE
)

ALLOWED_HOSTS = _env_list("SAFERPLACES_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = _env_list("SAFERPLACES_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "saferplaces.web.apps.SaferPlacesAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "saferplaces.web.accounts",
    "saferplaces.web.public",
    "saferplaces.web.dashboard",
    "saferplaces.web.jobs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "saferplaces.web.security.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "saferplaces.web.accounts.audit.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "saferplaces.web.security.DisplayTimeZoneMiddleware",
    # Last, as django-axes requires: it turns a locked-out sign-in into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "saferplaces.web.urls"
WSGI_APPLICATION = "saferplaces.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [WEB_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "saferplaces.web.context_processors.site",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------------------

_database_url = os.environ.get("DATABASE_URL", "").strip()
DATABASES = {
    "default": (
        database_from_url(_database_url, _env_int("SAFERPLACES_DB_CONN_MAX_AGE", 60))
        if _database_url
        else sqlite_database(WORKSPACE.database_path)
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and sign-in --------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out client is refused before its password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Optional sign-in through a partner's identity provider (accounts/oidc.py): only when the
# SAFERPLACES_OIDC_* variables are set, and only for accounts that already exist.
_oidc = oidc_settings(os.environ)
globals().update(_oidc)
SAFERPLACES_OIDC_ENABLED = bool(_oidc)
if SAFERPLACES_OIDC_ENABLED:
    AUTHENTICATION_BACKENDS.append(OIDC_BACKEND)
LOGIN_URL = "accounts:sign_in"
LOGIN_REDIRECT_URL = "public:home"
LOGOUT_REDIRECT_URL = "public:home"

# Argon2 first (memory-hard); the others remain so that hashes made by them still verify and
# are upgraded to Argon2 at the next sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-axes: lock a (email, client address) pair after N failures. Locking by address alone
# would lock out a whole council office behind one NAT address; locking by email alone would
# let anyone lock any partner out.
AXES_FAILURE_LIMIT = _env_int("SAFERPLACES_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=_env_int("SAFERPLACES_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_USERNAME_CALLABLE = "saferplaces.web.security.login_username"
AXES_CLIENT_IP_CALLABLE = "saferplaces.web.security.client_ip"
AXES_VERBOSE = False
SAFERPLACES_PROXY_COUNT = _env_int("SAFERPLACES_PROXY_COUNT", 0)

# --- HTTP security ---------------------------------------------------------------------------

# Secure cookies unless DEBUG. ``saferplaces serve`` on a loopback address sets
# SAFERPLACES_PLAIN_HTTP=1: a browser would otherwise not send a Secure cookie back over the
# demo's plain http://127.0.0.1, and signing in would silently fail.
_plain_http = _env_bool("SAFERPLACES_PLAIN_HTTP", False)
SECURE_COOKIES = not DEBUG and not _plain_http
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
# No script needs the CSRF cookie: forms carry the token, and HTMX requests get it from the page.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = _env_int("SAFERPLACES_SESSION_HOURS", 8) * 3600
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_HSTS_SECONDS = _env_int("SAFERPLACES_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("SAFERPLACES_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = False
SECURE_SSL_REDIRECT = _env_bool("SAFERPLACES_SSL_REDIRECT", False)
if _env_bool("SAFERPLACES_BEHIND_PROXY", False):
    # Only trust X-Forwarded-Proto when a proxy that sets it (and strips a client's) is in front.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SAFERPLACES_CSP = DEFAULT_CSP

# Messages in the server-side session: a cookie would be signed but readable by the client.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# --- Static files ----------------------------------------------------------------------------

STATIC_URL = "/static/"
STATICFILES_DIRS = [WEB_DIR / "static"]
_static_root = os.environ.get("SAFERPLACES_STATIC_ROOT", "").strip()
if _static_root:
    # Production: files gathered by collectstatic, with content hashes in their names and
    # pre-compressed copies, served by WhiteNoise with far-future cache headers.
    STATIC_ROOT = Path(_static_root)
    _static_backend = "whitenoise.storage.CompressedManifestStaticFilesStorage"
else:
    # Demo and tests: served straight from the package. Vendored files already carry their
    # version in their names.
    _static_backend = "django.contrib.staticfiles.storage.StaticFilesStorage"
    WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": _static_backend},
}

# --- Uploads (analyst tools) -----------------------------------------------------------------

# Every uploaded file streams to a temporary file in the workspace (never memory, and not /tmp,
# which may be RAM), and a request's files are refused past this size (jobs/uploads.py). The
# only handler, so FILE_UPLOAD_MAX_MEMORY_SIZE does not apply; DATA_UPLOAD_MAX_MEMORY_SIZE
# (Django's 2.5 MB) still bounds a form's other fields, which file data does not count towards.
SAFERPLACES_UPLOAD_MAX_MB = _env_int("SAFERPLACES_UPLOAD_MAX_MB", 2048)
FILE_UPLOAD_HANDLERS = ["saferplaces.web.jobs.uploads.LimitedUploadHandler"]

# --- Locale ----------------------------------------------------------------------------------

LANGUAGE_CODE = "en-gb"
# UTC for the process: Django copies TIME_ZONE into the TZ environment variable, which DuckDB
# then uses when it turns timestamps into dates, so anything else could move a record across a
# midnight (and a month) boundary. Pages show UK time (DisplayTimeZoneMiddleware).
TIME_ZONE = "UTC"
SAFERPLACES_DISPLAY_TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Site ------------------------------------------------------------------------------------

SAFERPLACES_CONTACT_EMAIL = os.environ.get("SAFERPLACES_CONTACT_EMAIL", "").strip()

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "saferplaces": {"handlers": ["console"], "level": "INFO"},
        "django.security": {"handlers": ["console"], "level": "WARNING"},
    },
}
