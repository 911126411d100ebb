"""Browser tests: Debian's Chromium driven by Playwright against ``saferplaces serve --demo``
run as a subprocess on a free port, on a workspace built from the committed police.uk sample.

They skip when /usr/bin/chromium or Playwright is missing, except under
SAFERPLACES_REQUIRE_SERVICES=1 (CI), where they fail. Playwright's own browser download is
never used (``playwright install`` is never run). The home page, dashboard, Scorecard and
dashboard-indicators screenshots in docs/screenshots/ are taken here, and those of the area
finder, an area page and the open-data downloads.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.support import REPO, REQUIRE_SERVICES
from tests.web.sample import SAMPLE

from saferplaces.indicators import workspace_indicators
from saferplaces.indicators.editions import publish_edition
from saferplaces.lake.ingest import ingest
from saferplaces.workspace import Workspace

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = REPO / "docs" / "screenshots"
NAME = "Avon and Somerset demo (test sample)"
BATH = "E06000022"


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found (apt-get install chromium)"
    try:
        import axe_playwright_python  # noqa: F401
        import playwright  # noqa: F401
    except ImportError as exc:
        return f"{exc.name} not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="module", autouse=True)
def _browser_available() -> None:
    problem = _missing()
    if problem:
        if REQUIRE_SERVICES:
            pytest.fail(f"SAFERPLACES_REQUIRE_SERVICES=1 but {problem}")
        pytest.skip(problem)


@dataclass
class Server:
    url: str
    workspace: Workspace
    email: str  # the demo analyst printed by serve --demo
    password: str
    partner_email: str
    partner_password: str
    output: Path


PARTNER = "pat@police.example.org"
MAKE_PARTNER = f"""
import sys
from saferplaces.web import setup
setup(sys.argv[1])
from saferplaces.web.accounts import services
org = services.get_or_create_organisation("Avon and Somerset Constabulary", "police")
user, password = services.create_user({PARTNER!r}, "partner", organisation=org)
print(password)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve_env() -> dict[str, str]:
    """A clean environment: this process has DJANGO_SETTINGS_MODULE set to the test settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SAFERPLACES_"))}
    env.pop("DATABASE_URL", None)
    return env


def _start_serve(ws: Workspace, output: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``saferplaces serve --demo`` on a free port (with its background worker), logging to
    ``output``; returns the process and its URL."""
    port = _free_port()
    with output.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from saferplaces.cli import main; main()", "serve",
             "--workspace", str(ws.root), "--port", str(port), "--demo"],
            stdout=log, stderr=subprocess.STDOUT, env=_serve_env(), cwd=REPO,
        )  # fmt: skip
    return proc, f"http://127.0.0.1:{port}"


def _wait_until_healthy(proc: subprocess.Popen[bytes], url: str, output: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"saferplaces serve did not start:\n{output.read_text()}")
        time.sleep(0.2)


def _demo_credentials(output: Path) -> tuple[str, str]:
    """The demo analyst's email and password, as serve --demo printed them."""
    text = output.read_text()
    email = re.search(r"email:\s+(\S+)", text)
    password = re.search(r"password:\s+(\S+)", text)
    assert email and password, text
    return email.group(1), password.group(1)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("browser")
    ws = Workspace.create(root / "ws", NAME, forces=["avon-and-somerset"])
    output = root / "serve.log"
    proc, url = _start_serve(ws, output)
    try:
        # Load the lake while the server starts: pages read it per request.
        assert ingest(ws.lake_dir, [SAMPLE]).ok
        publish_edition(ws, workspace_indicators(ws), note="First", formats=("html", "csv"))
        _areas_and_briefing(ws)
        _wait_until_healthy(proc, url, output)
        email, password = _demo_credentials(output)
        # A partner account, made while the server runs (serve has migrated the new database)
        # through the library rather than the CLI, whose start-up is slower; the CLI itself is
        # tested in test_cli.py.
        partner = subprocess.run(
            [sys.executable, "-c", MAKE_PARTNER, str(ws.root)],
            env=_serve_env(), cwd=REPO, capture_output=True, text=True, check=True,
        )  # fmt: skip
        partner_password = partner.stdout.strip()
        yield Server(url, ws, email, password, PARTNER, partner_password, output)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _areas_and_briefing(ws: Workspace) -> None:
    """The demo's district boundaries (for the maps) and a briefing for Bath and North East
    Somerset, where the demo writes briefings (the committed sample is mostly Bath)."""
    from saferplaces.briefings import generate_briefings
    from saferplaces.demo import demo_data
    from saferplaces.geo.importer import import_areas

    import_areas(
        ws,
        demo_data("boundaries", "avon-and-somerset-districts-2011.geojson"),
        level="lad",
        code_field="code",
        name_field="name",
        vintage="2011",
    )
    out = ws.published_dir / "briefings" / "lad"
    assert generate_briefings(ws, "lad", out, areas=[BATH], pdf=False, make_zip=False).ok


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 800}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def sign_in(page: Any, server: Server, email: str, password: str) -> None:
    page.goto(f"{server.url}/sign-in/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def serious_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def test_browser_demo_server_prints_credentials(server: Server) -> None:
    assert server.email == "analyst@demo.saferplaces.invalid"
    assert len(server.password) >= 20
    log = server.output.read_text()
    assert "a new password at every --demo start" in log
    assert f"Serving {NAME} at {server.url}/" in log


def test_browser_resident_sees_what_data_is_here(page: Any, server: Server) -> None:
    response = page.goto(server.url + "/")
    assert response.status == 200
    assert page.get_by_role("heading", level=1).inner_text() == NAME
    coverage = page.locator(
        "section", has=page.get_by_role("heading", name="Avon and Somerset Constabulary")
    )
    text = coverage.inner_text()
    assert "January 2018 to March 2018" in text
    assert "counting each police.uk crime reference (Crime ID) once" in text
    assert "of records have no location" in text
    assert "Sign in" in page.get_by_role("navigation", name="Menu").inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "home.png"), full_page=True)


def test_browser_partner_signs_in_and_sees_the_dashboard(page: Any, server: Server) -> None:
    sign_in(page, server, server.partner_email, server.partner_password)
    page.wait_for_url(f"{server.url}/dashboard/")
    assert page.get_by_role("heading", level=1).inner_text() == "Partnership dashboard"
    table = page.get_by_role("table", name=re.compile("Crimes by category"))
    headers = table.locator("thead th").all_inner_texts()
    assert headers == ["Category", "Jan 2018", "Feb 2018", "Mar 2018", "Total"]
    burglary = table.get_by_role("row", name=re.compile("^Burglary"))
    cells = burglary.locator("td").all_inner_texts()
    assert len(cells) == 4 and all(c.replace(",", "").isdigit() for c in cells)
    assert int(cells[-1]) == sum(int(c) for c in cells[:-1])
    assert f"Signed in as {server.partner_email} (Partner member)" in page.inner_text("main")
    page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{server.url}/")
    page.goto(f"{server.url}/dashboard/")
    assert page.url.startswith(f"{server.url}/sign-in/")


def test_browser_wrong_password_shows_an_error_summary(page: Any, server: Server) -> None:
    page.goto(f"{server.url}/sign-in/")
    # GOV.UK Frontend's password input enhancement ran (its button is hidden without JS).
    show = page.get_by_role("button", name="Show password")
    show.click()
    assert page.get_attribute("#id_password", "type") == "text"
    sign_in(page, server, server.email, "not the password")
    summary = page.locator(".govuk-error-summary")
    assert "Enter a correct email address and password" in summary.inner_text()
    # GOV.UK Frontend's JavaScript moves focus to the error summary.
    assert page.evaluate("document.activeElement.classList.contains('govuk-error-summary')")


def test_browser_everything_works_without_javascript(browser: Any, server: Server) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, server, server.email, server.password)
        page.wait_for_url(f"{server.url}/dashboard/")
        assert page.get_by_role("table").count() == 1
        assert "govuk-frontend-supported" not in (page.get_attribute("body", "class") or "")
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/", "/data/", "/accessibility/", "/sign-in/"])
def test_browser_axe_public_pages(page: Any, server: Server, path: str) -> None:
    page.goto(server.url + path)
    assert serious_violations(page) == []


def test_browser_axe_dashboard(page: Any, server: Server) -> None:
    sign_in(page, server, server.email, server.password)
    page.wait_for_url(f"{server.url}/dashboard/")
    assert serious_violations(page) == []


def test_browser_csp_blocks_inline_script_and_the_page_still_works(
    page: Any, server: Server
) -> None:
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text))
    response = page.goto(server.url + "/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    # The page's own scripts ran under the policy: GOV.UK Frontend and htmx are loaded.
    page.wait_for_function("document.body.classList.contains('govuk-frontend-supported')")
    assert page.evaluate("typeof window.htmx") == "object"
    assert not [m for m in messages if "Content Security Policy" in m], messages
    # An injected inline script is refused by the browser.
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.__injected = true'; document.head.appendChild(s); }"
    )
    assert page.evaluate("window.__injected === undefined")
    assert [m for m in messages if "Content Security Policy" in m]


def test_browser_scorecard_page(page: Any, server: Server) -> None:
    response = page.goto(server.url + "/scorecard/")
    assert response.status == 200
    assert "latest edition (edition 1)" in page.get_by_role("heading", level=1).inner_text()
    assert "Verified" in page.locator("#verification").inner_text()
    assert serious_violations(page) == []
    page.screenshot(path=str(SCREENSHOTS / "scorecard.png"), full_page=True)
    page.get_by_role("link", name="All editions").click()
    assert page.locator("#editions").is_visible()
    assert serious_violations(page) == []


def test_browser_dashboard_indicators(page: Any, server: Server) -> None:
    sign_in(page, server, server.partner_email, server.partner_password)
    page.wait_for_url(f"{server.url}/dashboard/")
    page.goto(f"{server.url}/dashboard/indicators/")
    page.get_by_label("Area level").select_option("district")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r".*level=district.*"))
    assert "(force)" not in page.locator("main").inner_text()
    assert serious_violations(page) == []
    page.screenshot(path=str(SCREENSHOTS / "dashboard-indicators.png"), full_page=False)


def test_browser_partner_drills_down_and_maps_hotspots(page: Any, server: Server) -> None:
    """The drill-down from the force to a district and an MSOA, then the hotspot maps with the
    equality notes beside them; axe on both; screenshots for the docs."""
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, server, server.partner_email, server.partner_password)
    page.wait_for_url(f"{server.url}/dashboard/")
    page.get_by_role("link", name="Areas").click()
    page.wait_for_url(re.compile(r".*/dashboard/areas/force/avon-and-somerset/$"))
    table = page.locator("#children-table")
    table.get_by_role("link", name="Bath and North East Somerset").click()
    page.wait_for_url(re.compile(rf".*/dashboard/areas/lad/{BATH}/$"))
    assert (
        page.get_by_role("heading", level=1).inner_text().startswith("Bath and North East Somerset")
    )
    crumbs = page.locator(".govuk-breadcrumbs").inner_text()
    assert "Avon and Somerset" in crumbs
    first_msoa = page.locator("#children-table tbody a").first
    first_msoa.click()
    page.wait_for_url(re.compile(r".*/dashboard/areas/msoa/E02\d+/$"))
    assert page.locator("#children-table tbody tr").count() > 0  # its LSOAs
    assert serious_violations(page) == []
    page.goto(f"{server.url}/dashboard/areas/force/avon-and-somerset/")  # a map of districts
    page.locator(".app-map.app-map--ready, .app-map.app-map--failed").first.wait_for()
    assert page.locator(".app-map--failed").count() == 0
    page.screenshot(path=str(SCREENSHOTS / "dashboard-areas.png"), full_page=False)

    page.goto(f"{server.url}/dashboard/hotspots/")
    page.get_by_label("Grid").select_option("1000")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r".*cell_size=1000.*"))
    notes = page.locator("#equality").inner_text()
    assert "not a forecast" in notes and "drugs or possession of weapons" in notes
    for m in page.locator("[data-map]").all():
        m.locator("xpath=self::*[contains(@class,'app-map--ready') or "
                  "contains(@class,'app-map--failed')]").wait_for()  # fmt: skip
    assert page.locator(".app-map--failed").count() == 0, "hotspot maps were not drawn"
    assert errors == []
    assert serious_violations(page) == []
    page.screenshot(path=str(SCREENSHOTS / "dashboard-hotspots.png"), full_page=True)


# --- Analyst tools: a server of their own ---------------------------------------------------
# The journey loads a month and publishes edition 1, which would change what the tests above
# see: it runs against a second server, whose lake starts with January and February only.


@dataclass
class AnalystServer:
    url: str
    workspace: Workspace
    email: str
    password: str
    output: Path


@pytest.fixture(scope="module")
def analyst_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnalystServer]:
    root = tmp_path_factory.mktemp("browser-analyst")
    ws = Workspace.create(root / "ws", NAME, forces=["avon-and-somerset"])
    output = root / "serve.log"
    proc, url = _start_serve(ws, output)  # serve starts the worker and stops it when it stops
    try:
        assert ingest(ws.lake_dir, [SAMPLE / "2018-01", SAMPLE / "2018-02"]).ok
        deadline = time.monotonic() + 60
        while "Background worker started" not in output.read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"saferplaces serve did not start:\n{output.read_text()}")
            time.sleep(0.2)
        _wait_until_healthy(proc, url, output)
        email, password = _demo_credentials(output)
        yield AnalystServer(url, ws, email, password, output)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    # The worker was stopped with the server (no process left running the workspace's jobs).
    worker = re.search(r"Background worker started \(process (\d+)\)", output.read_text())
    assert worker is not None
    with pytest.raises(ProcessLookupError):
        os.kill(int(worker.group(1)), 0)


def _sign_in_analyst(page: Any, server: AnalystServer) -> None:
    page.goto(f"{server.url}/sign-in/")
    page.get_by_label("Email address").fill(server.email)
    page.get_by_label("Password", exact=True).fill(server.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.url}/dashboard/")


def test_browser_analyst_uploads_a_month_watches_it_and_publishes_an_edition(
    page: Any, analyst_server: AnalystServer
) -> None:
    server = analyst_server
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text))
    _sign_in_analyst(page, server)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Analyst tools").click()
    assert serious_violations(page) == []
    page.get_by_role("link", name="Upload police.uk data").click()
    assert "January 2018 to February 2018" in page.locator("main").inner_text()
    assert serious_violations(page) == []

    # A file that is not police.uk data is refused with its name and the reason.
    not_data = server.output.parent / "notes.txt"
    not_data.write_text("minutes of the meeting\n")
    page.get_by_label("Files to load").set_input_files(str(not_data))
    page.get_by_role("button", name="Upload and load").click()
    summary = page.locator(".govuk-error-summary")
    assert "notes.txt: not a zip archive or a police.uk CSV file" in summary.inner_text()
    assert serious_violations(page) == []

    march = SAMPLE / "2018-03" / "2018-03-avon-and-somerset-street.csv"
    page.get_by_label("Files to load").set_input_files(str(march))
    page.get_by_role("button", name="Upload and load").click()
    page.wait_for_url(re.compile(r".*/analyst/jobs/\d+/$"))
    # The page follows the job by itself (htmx polls its progress): no reload, which would
    # lose this marker.
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/progress/" in r.url else None)
    finished_at_once = page.locator("#job-result").count() > 0
    page.evaluate("window.__same_page = true")
    page.wait_for_selector("#job-result", timeout=60_000)
    assert page.evaluate("window.__same_page === true")
    assert finished_at_once or polls
    progress = page.locator("#job-progress").inner_text()
    assert "Finished" in progress and "Nothing was rejected" in progress
    assert "1 new file" in progress
    files = page.get_by_role("table", name=re.compile("Files"))
    assert "2018-03-avon-and-somerset-street.csv" in files.inner_text()
    assert "loaded" in files.inner_text()
    assert serious_violations(page) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "analyst-upload.png"), full_page=True)

    # Publish: a form, a confirmation naming what will be published, then the job.
    page.goto(f"{server.url}/analyst/")
    page.get_by_role("link", name="Publish a Scorecard edition").click()
    assert serious_violations(page) == []
    page.get_by_label("Note for readers").fill("First edition, published from the browser")
    page.get_by_role("button", name="Continue").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Publish edition 1?"
    assert "January 2018 to March 2018" in page.locator("#publish-summary").inner_text()
    assert serious_violations(page) == []
    page.get_by_role("button", name="Publish edition 1").click()
    page.wait_for_url(re.compile(r".*/analyst/jobs/\d+/$"))
    page.wait_for_selector("#job-result", timeout=120_000)
    assert "Edition 1 published" in page.locator("#job-result").inner_text()
    assert serious_violations(page) == []
    page.get_by_role("link", name="Read Scorecard edition 1").click()
    assert "Verified" in page.locator("#verification").inner_text()
    assert not [m for m in messages if "Content Security Policy" in m], messages


def test_browser_axe_analyst_pages(page: Any, analyst_server: AnalystServer) -> None:
    _sign_in_analyst(page, analyst_server)
    pages = [
        "/analyst/rebuild/",
        "/analyst/areas/",
        "/analyst/peer-groups/",
        "/analyst/peer-groups/new/",
    ]
    for path in pages:
        page.goto(analyst_server.url + path)
        assert serious_violations(page) == [], path
    page.get_by_label("Name").fill("msg")
    page.get_by_label("Level of the members").fill("lad")
    page.get_by_label("Member area codes").fill("E06000022")
    page.get_by_role("button", name="Save").click()
    assert "needs at least two members" in page.locator(".govuk-error-summary").inner_text()
    assert serious_violations(page) == []
    page.get_by_label("Member area codes").fill("E06000022\nE06000023")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{analyst_server.url}/analyst/peer-groups/")
    assert "Saved peer group ‘msg’ (2 members)" in page.locator("main").inner_text()
    assert serious_violations(page) == []
    for link in ("Change msg", "Delete msg"):
        page.goto(f"{analyst_server.url}/analyst/peer-groups/")
        page.get_by_role("link", name=link).click()
        assert serious_violations(page) == [], link
    page.get_by_role("button", name="Delete peer group").click()
    assert "No peer groups yet" in page.locator("main").inner_text()


def test_browser_job_page_without_javascript(browser: Any, analyst_server: AnalystServer) -> None:
    """Without JavaScript nothing polls: the page offers a link to look again."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        _sign_in_analyst(page, analyst_server)
        page.goto(f"{analyst_server.url}/analyst/rebuild/")
        page.get_by_role("button", name="Start the rebuild").click()
        page.wait_for_url(re.compile(r".*/analyst/jobs/\d+/$"))
        deadline = time.monotonic() + 60
        while page.locator("#job-result").count() == 0:
            assert time.monotonic() < deadline, page.locator("main").inner_text()
            page.get_by_role("link", name="Refresh this page").click()
            page.wait_for_load_state()
        assert "partition" in page.locator("#job-result").inner_text()
    finally:
        context.close()


# --- the public area finder, area pages and open data ---------------------------------------


def test_browser_resident_finds_their_area_and_opens_its_briefing(
    page: Any, server: Server
) -> None:
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text))
    page.goto(server.url + "/")
    page.get_by_label("Find your area").fill("Bath")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r".*/areas/\?q=Bath$"))
    results = page.locator("#results")
    assert "areas match “Bath”" in results.get_by_role("heading").inner_text()
    assert serious_violations(page) == []
    results.get_by_role("link", name="Bath and North East Somerset", exact=True).click()
    page.wait_for_url(f"{server.url}/areas/lad/{BATH}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Bath and North East Somerset"
    figures = page.locator("#figures").inner_text()
    assert "Crimes per 1,000 residents" in figures and "incidents" in figures
    assert (
        "Not compared: 3 months of data are held"
        in page.locator("#change").locator("xpath=following-sibling::dl[1]").inner_text()
    )
    # The chart is an image with a text alternative; the table holds the same figures.
    chart = page.locator("img.app-chart")
    assert chart.evaluate("img => img.complete && img.naturalWidth > 0")
    assert "each month in Bath and North East Somerset" in (chart.get_attribute("alt") or "")
    page.locator(".app-map.app-map--ready, .app-map.app-map--failed").wait_for()
    assert serious_violations(page) == []
    page.screenshot(path=str(SCREENSHOTS / "area.png"), full_page=True)
    page.get_by_role("link", name="Read the briefing for Bath and North East Somerset").click()
    page.wait_for_url(f"{server.url}/briefings/lad/{BATH}.html")
    assert "Bath and North East Somerset" in page.get_by_role("heading", level=1).inner_text()
    assert not [m for m in messages if "Content Security Policy" in m], messages


def test_browser_map_draws_the_districts_and_a_click_opens_one(page: Any, server: Server) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server.url + "/areas/")
    page.locator(".app-map.app-map--ready, .app-map.app-map--failed").wait_for()
    if page.locator(".app-map--failed").count():
        pytest.skip("no WebGL in this headless Chromium: the map is not drawn (lists are)")
    assert errors == []
    legend = page.locator(".app-map__legend").inner_text()
    assert "Crimes per 1,000 residents, latest 12 months" in legend and "No figure" in legend
    # (not wait_for_function: it evaluates a string, which the page's CSP refuses)
    loaded = "() => document.querySelector('[data-map]').saferplacesMap.loaded()"
    deadline = time.monotonic() + 10
    while not page.evaluate(loaded):
        assert time.monotonic() < deadline, "the map did not finish loading"
        page.wait_for_timeout(100)
    assert serious_violations(page) == []
    page.locator('section[aria-labelledby="map-heading"]').screenshot(
        path=str(SCREENSHOTS / "area-finder-map.png")
    )
    # Focusing an area's link in the list outlines it and names it under the map.
    page.locator(f'#list-lad a[data-area-code="{BATH}"]').focus()
    assert (
        "Bath and North East Somerset: Crimes per 1,000 residents"
        in page.locator(".app-map__info").inner_text()
    )
    # A click on Bath (the city centre, inside the district) opens its page.
    page.locator(".app-map__canvas").scroll_into_view_if_needed()
    x, y = page.evaluate(
        "() => { const m = document.querySelector('[data-map]').saferplacesMap;"
        " const p = m.project([-2.36, 51.38]); const r = m.getCanvas().getBoundingClientRect();"
        " return [r.left + p.x, r.top + p.y]; }"
    )
    page.mouse.click(x, y)
    page.wait_for_url(f"{server.url}/areas/lad/{BATH}/")


def test_browser_area_finder_and_pages_work_without_javascript(
    browser: Any, server: Server
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(server.url + "/areas/")
        assert page.locator(".app-map__fallback").is_visible()
        page.get_by_role("link", name="Bath and North East Somerset", exact=True).first.click()
        page.wait_for_url(f"{server.url}/areas/lad/{BATH}/")
        assert "Crimes per 1,000 residents" in page.locator("#figures").inner_text()
        page.goto(server.url + "/areas/?q=E02002991")
        page.locator("#results").get_by_role("link").first.click()
        page.wait_for_url(f"{server.url}/areas/msoa/E02002991/")
        assert "Bath and North East Somerset" in page.locator("#parent-link").inner_text()
    finally:
        context.close()


def test_browser_open_data_downloads(page: Any, server: Server) -> None:
    page.goto(server.url + "/data/downloads/")
    assert page.get_by_role("heading", level=1).inner_text() == "Open data downloads"
    assert "Open Government Licence v3.0" in page.locator("main").inner_text()
    assert "police.uk (data.police.uk)" in page.locator("#attribution").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "downloads.png"), full_page=False)
    page.locator("#policeuk-files summary").click()
    assert "2018-01-avon-and-somerset-street.csv" in page.locator("#policeuk-files").inner_text()
    assert serious_violations(page) == []
    with page.expect_download() as info:
        page.locator("#level-lad").locator("xpath=..").get_by_role(
            "link", name="Monthly counts (CSV)"
        ).click()
    path = info.value.path()
    header = Path(path).read_text("utf-8").splitlines()[0]
    assert header == (
        "level,area_code,area_name,parent_code,month,category,category_label,unit,count,status"
    )
