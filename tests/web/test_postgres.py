"""The model and sign-in tests of cases.py on PostgreSQL (multi-user deployments).

The server is ``SAFERPLACES_TEST_DATABASE_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``); Django's test runner creates and drops a
``test_saferplaces_<run id>`` database (``..._gw0`` under xdist) beside it. The tests skip when the
server cannot be reached, except under SAFERPLACES_REQUIRE_SERVICES=1 (CI), where they fail.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from tests.support import REQUIRE_SERVICES
from tests.web.cases import ModelAuthCases

ALIAS = "postgres"
PROBLEM = getattr(settings, "POSTGRES_PROBLEM", "tests/web/settings.py was not used")

if ALIAS in settings.DATABASES:
    _marks = [pytest.mark.django_db(databases=[ALIAS])]
    if PROBLEM is not None:  # REQUIRE_SERVICES and unreachable: fail loudly, do not skip
        _marks.append(pytest.mark.usefixtures("_postgres_unreachable"))
else:
    _marks = [pytest.mark.skip(reason=PROBLEM)]


@pytest.fixture
def _postgres_unreachable() -> None:
    pytest.fail(f"SAFERPLACES_REQUIRE_SERVICES=1 but {PROBLEM}")


@pytest.mark.postgres
class TestModelsAndAuthPostgres(ModelAuthCases):
    alias = ALIAS
    pytestmark = _marks

    def test_server_is_postgresql(self) -> None:
        from django.db import connections

        conn = connections[ALIAS]
        assert conn.vendor == "postgresql"
        assert conn.settings_dict["NAME"].startswith("test_saferplaces_")
        assert REQUIRE_SERVICES or PROBLEM is None
