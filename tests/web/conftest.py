"""Django for tests/web only (no global pytest settings): this conftest points
DJANGO_SETTINGS_MODULE at tests/web/settings.py and a throw-away workspace when tests/web is
collected, then sets Django up. Nothing here affects the other test folders, which never touch
Django.

The workspace (tests/web/sample.py) holds the committed police.uk sample
(tests/data/policeuk/avon-sample), ingested once per session (per xdist worker) by the
``sample_lake`` fixture, with the demo's district boundaries and one district's briefing.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from saferplaces.workspace import Workspace


def pytest_configure(config: pytest.Config) -> None:
    # The xdist controller runs no test: it must not set Django up, nor leave these variables
    # for its workers to inherit (pytest-django would load the settings in each worker, with
    # the controller's workspace, before this file runs there).
    if not hasattr(config, "workerinput") and config.getoption("dist", "no") != "no":
        return
    from tests.web.sample import WORKSPACE

    os.environ["SAFERPLACES_WORKSPACE"] = str(WORKSPACE.root)
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.web.settings"
    import django
    from django.conf import settings

    django.setup()
    assert str(WORKSPACE.root) == settings.SAFERPLACES_WORKSPACE, (
        "Django was set up before tests/web/conftest.py ran (is DJANGO_SETTINGS_MODULE or "
        "SAFERPLACES_WORKSPACE set in the environment?)"
    )


@pytest.fixture(autouse=True, scope="session")
def _block_database(django_db_blocker: object) -> Iterator[None]:
    """Refuse database access to tests without the django_db mark, as pytest-django does when
    it sets Django up itself (here Django is set up after its start-up hook has run)."""
    with django_db_blocker.block():  # type: ignore[attr-defined]
        yield


@pytest.fixture(autouse=True, scope="session")
def sample_lake() -> Path:
    """The test workspace's lake, with the committed sample ingested."""
    from tests.web.sample import SAMPLE, WORKSPACE

    from saferplaces.briefings import generate_briefings
    from saferplaces.demo import demo_data
    from saferplaces.geo.importer import import_areas
    from saferplaces.geo.store import has_level
    from saferplaces.indicators import workspace_indicators
    from saferplaces.indicators.editions import list_editions, publish_edition
    from saferplaces.lake.ingest import ingest
    from saferplaces.partners.importer import import_file

    if not any(WORKSPACE.lake_dir.glob("street/*")):
        report = ingest(WORKSPACE.lake_dir, [SAMPLE])
        assert report.ok, report.to_dict()
    if not has_level(WORKSPACE.lake_dir, "lad"):
        # The demo's real district boundaries (ONS 2011, generalised): maps and GeoJSON.
        import_areas(
            WORKSPACE,
            demo_data("boundaries", "avon-and-somerset-districts-2011.geojson"),
            level="lad",
            code_field="code",
            name_field="name",
            vintage="2011",
        )
    briefings = WORKSPACE.published_dir / "briefings" / "lad"
    if not (briefings / "report.json").exists():
        # One district's neighbourhood briefing, where the demo writes them (no PDF: seconds).
        made = generate_briefings(
            WORKSPACE, "lad", briefings, areas=["E06000022"], pdf=False, make_zip=False
        )
        assert made.ok, made.failures
    if not list_editions(WORKSPACE):
        # A restricted partner dataset (MARAC cases), so that the tests can show it never
        # reaches the public or parish councils.
        marac = WORKSPACE.root / "marac.csv"
        with marac.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["case_id", "referral_date", "repeat_case", "referral_source"])
            for m in ("2018-01", "2018-02", "2018-03"):
                for k in range(10):
                    w.writerow([f"MC-{m}-{k}", f"{m}-05", "yes" if k < 3 else "no", "police"])
        loaded = import_file(WORKSPACE, "marac", marac, today=dt.date(2018, 6, 1))
        assert loaded.status == "loaded", loaded
        # Two Scorecard editions, the second correcting the first (no PDF: it adds seconds).
        indicators = workspace_indicators(WORKSPACE)
        formats = ("html", "csv", "xlsx")
        publish_edition(WORKSPACE, indicators, note="First edition", formats=formats)
        publish_edition(
            WORKSPACE, indicators, corrects=1, note="Corrects a <b>typo</b>", formats=formats
        )
    return WORKSPACE.lake_dir


@pytest.fixture
def workspace() -> Workspace:
    from tests.web.sample import WORKSPACE

    return WORKSPACE
