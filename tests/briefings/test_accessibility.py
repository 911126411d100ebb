"""The briefing web page and the index in a real browser, checked with axe-core."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.briefings.conftest import BATH, BRISTOL
from tests.support import REQUIRE_SERVICES

from saferplaces import Workspace
from saferplaces.briefings import generate_briefings

pytestmark = pytest.mark.browser
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} not found"
    try:
        import axe_playwright_python  # noqa: F401
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        problem = f"{exc.name} not installed"
    if problem:
        if REQUIRE_SERVICES:
            pytest.fail(problem)
        pytest.skip(problem)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(viewport={"width": 1100, "height": 800}, locale="en-GB")
        yield context.new_page()
        browser.close()


def violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def test_briefing_pages_pass_axe(page: Any, small_ws: Workspace, tmp_path: Path) -> None:
    report = generate_briefings(small_ws, "lad", tmp_path, pdf=False, workers=1)
    assert report.ok
    for name in (f"{BRISTOL}.html", f"{BATH}.html", "index.html"):
        page.goto((tmp_path / name).as_uri())
        assert violations(page) == [], name
    # Charts and tables are announced: SVGs as images with names, tables with captions.
    page.goto((tmp_path / f"{BRISTOL}.html").as_uri())
    assert page.get_by_role("img", name="Violence and sexual offences each month in").count() == 1
    assert page.get_by_role("table", name="Recorded crime and anti-social behaviour").count() == 1
