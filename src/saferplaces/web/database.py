"""``DATABASE_URL`` → Django ``DATABASES`` entry (no Django import: used by the settings module).

Accepted forms::

    postgresql://user:password@host:5432/dbname?sslmode=require   (also postgres://)
    sqlite:////absolute/path/app.sqlite3                          (sqlite:///relative.sqlite3)

Query parameters of a PostgreSQL URL become connection ``OPTIONS`` (``sslmode``,
``connect_timeout``, ...), as libpq would read them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from ..errors import ConfigError

_POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql"}


def sqlite_database(path: str | Path) -> dict[str, Any]:
    """The SQLite database in a workspace file."""
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            # Take the write lock at BEGIN: with DEFERRED, two requests that both read then
            # write can deadlock and one fails with "database is locked" instead of waiting.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }


def database_from_url(url: str, conn_max_age: int = 60) -> dict[str, Any]:
    """Parse ``url``; :class:`ConfigError` (never echoing the password) when it is not usable."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    safe = f"{scheme}://{parts.hostname or ''}{parts.path}"
    if scheme == "sqlite":
        path = unquote(parts.path)
        # sqlite:///relative → "/relative"; sqlite:////abs → "//abs": one leading slash is syntax.
        path = path[1:] if path.startswith("/") else path
        if not path:
            raise ConfigError(f"DATABASE_URL {safe!r}: no SQLite file path")
        return sqlite_database(path)
    if scheme not in _POSTGRES_SCHEMES:
        raise ConfigError(
            f"DATABASE_URL {safe!r}: unsupported scheme {scheme!r} (use postgresql:// or sqlite:///)"
        )
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise ConfigError(f"DATABASE_URL {safe!r}: no database name after the host")
    try:
        port = parts.port
    except ValueError:
        raise ConfigError(f"DATABASE_URL {safe!r}: the port is not a number") from None
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": unquote(parts.hostname or ""),
        "PORT": str(port or ""),
        "OPTIONS": dict(parse_qsl(parts.query)),
        # Reuse connections between requests, and check them first so that a PostgreSQL
        # restart costs one reconnect instead of one failed request per worker.
        "CONN_MAX_AGE": conn_max_age,
        "CONN_HEALTH_CHECKS": True,
    }
