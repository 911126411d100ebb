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


if ALIAS in settings.DATABASES:
    # Real commits: the claimers below are threads with connections of their own.
    _tx_marks = [pytest.mark.django_db(databases=[ALIAS], transaction=True)]
    if PROBLEM is not None:
        _tx_marks.append(pytest.mark.usefixtures("_postgres_unreachable"))
else:
    _tx_marks = [pytest.mark.skip(reason=PROBLEM)]


@pytest.mark.postgres
class TestJobQueuePostgres:
    """The background job queue's claim on PostgreSQL, where several workers (threads here,
    each with its own connection) race for the same rows."""

    pytestmark = _tx_marks

    def test_concurrent_workers_claim_each_job_exactly_once(self) -> None:
        import contextvars
        import threading
        from concurrent.futures import ThreadPoolExecutor

        from django.db import connections
        from tests.web.routing import pinned

        from saferplaces.web.jobs import queue
        from saferplaces.web.jobs.models import Job

        workers = 4
        barrier = threading.Barrier(workers)

        def claim_all(name: str) -> list[int]:
            barrier.wait()  # all start together, so that they race for the oldest job
            got = []
            try:
                while (job := queue.claim_next(name)) is not None:
                    got.append(job.pk)
            finally:
                connections.close_all()
            return got

        with pinned(ALIAS):
            ids = {queue.enqueue(Job.Kind.REBUILD, {}).pk for _ in range(60)}
            with ThreadPoolExecutor(workers) as pool:
                futures = [
                    pool.submit(contextvars.copy_context().run, claim_all, f"host:{i}")
                    for i in range(workers)
                ]
                claimed = {f"host:{i}": f.result() for i, f in enumerate(futures)}
            every = [pk for got in claimed.values() for pk in got]
            assert sorted(every) == sorted(ids)  # each job claimed once: none twice, none lost
            rows = dict(Job.objects.values_list("pk", "worker"))
            assert all(rows[pk] == name for name, got in claimed.items() for pk in got)
            assert set(Job.objects.values_list("status", flat=True)) == {"running"}
            assert Job.objects.db == ALIAS

    def test_stale_jobs_are_recovered(self) -> None:
        from datetime import timedelta

        from django.utils import timezone
        from tests.web.routing import pinned

        from saferplaces.web.jobs import queue
        from saferplaces.web.jobs.models import Job

        with pinned(ALIAS):
            old = timezone.now() - timedelta(minutes=10)
            dead = Job.objects.create(kind="rebuild", status="running", heartbeat_at=old)
            live = Job.objects.create(kind="rebuild", status="running", heartbeat_at=timezone.now())
            assert [j.pk for j in queue.recover_stale()] == [dead.pk]
            assert Job.objects.get(pk=dead.pk).status == "failed"
            assert Job.objects.get(pk=live.pk).status == "running"
