"""Settings for tests/web: the app's own settings plus, when PostgreSQL can be reached, a
``postgres`` database alias that the PostgreSQL test classes pin their queries to (see
routing.py). The default database is always SQLite here, whatever DATABASE_URL says."""

from __future__ import annotations

import os
import uuid

from tests.support import REQUIRE_SERVICES

from saferplaces.web.database import database_from_url, sqlite_database
from saferplaces.web.settings import *  # noqa: F403
from saferplaces.web.settings import WORKSPACE

POSTGRES_ALIAS = "postgres"
POSTGRES_URL = os.environ.get("SAFERPLACES_TEST_DATABASE_URL", "").strip() or (
    "postgresql://postgres@127.0.0.1:5432/test"
)


def _postgres_problem(url: str) -> str | None:
    """None when a PostgreSQL server answers at ``url``, else why not."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install 'psycopg[binary]')"
    cfg = database_from_url(url)
    try:
        with psycopg.connect(
            dbname=cfg["NAME"],
            user=cfg["USER"] or None,
            password=cfg["PASSWORD"] or None,
            host=cfg["HOST"] or None,
            port=cfg["PORT"] or None,
            connect_timeout=3,
        ):
            return None
    except psycopg.Error as exc:
        return f"PostgreSQL at {cfg['HOST']}:{cfg['PORT']}/{cfg['NAME']} unreachable: {exc}"


DATABASES = {"default": sqlite_database(WORKSPACE.database_path)}
POSTGRES_PROBLEM = _postgres_problem(POSTGRES_URL)
if POSTGRES_PROBLEM is None or REQUIRE_SERVICES:
    # Django's test runner creates (and drops) test_<name>, suffixed per xdist worker; it
    # connects to the server's "postgres" database to do so, which the postgres superuser may.
    # A test database name of this run's own (pytest-django adds _gw0... per xdist worker):
    # Django drops an existing test database of the same name before creating it, so two
    # sessions on one server (two developers, or CI beside a developer) would otherwise drop
    # each other's database mid-run. No TEST dependency on "default": running only the
    # PostgreSQL tests then sets up no SQLite.
    _run = os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex
    DATABASES[POSTGRES_ALIAS] = {
        **database_from_url(POSTGRES_URL),
        "CONN_MAX_AGE": 0,
        "TEST": {"NAME": f"test_saferplaces_{_run[:12]}", "DEPENDENCIES": []},
    }
DATABASE_ROUTERS = ["tests.web.routing.PinnedRouter"]

# Sign-in tests run many Argon2 hashes: keep Argon2 (the code under test) but cheaper.
PASSWORD_HASHERS = ["tests.web.routing.FastArgon2PasswordHasher"]
