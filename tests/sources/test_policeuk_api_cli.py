"""``saferplaces fetch``: the CLI over the API client, with the client on a mock transport."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from saferplaces.cli import fetch as fetch_cli
from saferplaces.cli import main
from saferplaces.sources.policeuk_api import PoliceUkClient

API = Path(__file__).resolve().parents[1] / "data" / "api"
Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Belt and braces: a test that reached the real transport fails instead of calling out."""

    def refuse(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"a test tried to contact {request.url}")

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", refuse)


def body(rel: str) -> bytes:
    raw = (API / rel).read_bytes()
    return gzip.decompress(raw) if rel.endswith(".gz") else raw


def availability() -> bytes:
    entry = json.loads(body("fixtures/data-set.json"))
    months = [f"{y}-{m:02d}" for y in range(2022, 2026) for m in range(1, 13)]
    return json.dumps([dict(entry, date=m) for m in months if "2022-10" <= m <= "2025-09"]).encode()


ROUTES = {
    "/api/crimes-street-dates": lambda: availability(),
    "/api/gloucestershire/AA3/boundary": lambda: body(
        "neighbourhoods/gloucestershire-AA3-boundary.json"
    ),
    "/api/crimes-street/all-crime": lambda: body(
        "crimes-street/cheltenham-AA3-all-crime-2025-09.json.gz"
    ),
}


def routed(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=ROUTES[request.url.path]())


@pytest.fixture
def use_handler(monkeypatch: pytest.MonkeyPatch) -> Callable[[Handler], list[httpx.Request]]:
    def install(handler: Handler) -> list[httpx.Request]:
        seen: list[httpx.Request] = []

        def record(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return handler(request)

        monkeypatch.setattr(
            fetch_cli,
            "make_client",
            lambda: PoliceUkClient(
                httpx.MockTransport(record), sleep=lambda s: None, today=lambda: date(2025, 11, 22)
            ),
        )
        return seen

    return install


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["fetch", *args])


def test_fetch_crimes_for_a_neighbourhood(
    tmp_path: Path, use_handler: Callable[[Handler], list[httpx.Request]]
) -> None:
    seen = use_handler(routed)
    r = run(
        "crimes",
        "--neighbourhood",
        "gloucestershire/AA3",
        "--month",
        "2025-09",
        "--out",
        str(tmp_path),
    )
    assert r.exit_code == 0, r.stderr
    target = tmp_path / "2025-09-gloucestershire-street.csv"
    assert target.read_bytes().count(b"\r\n") == 426
    assert "Fetched 425 crimes for 2025-09" in r.stdout and "1 sent as POST" in r.stdout
    assert f"Wrote {target} (425 rows)" in r.stdout.replace("\n", "")
    assert "saferplaces ingest" in r.stdout
    assert [r.method for r in seen] == ["GET", "GET", "POST"]


def test_fetch_crimes_for_a_polygon(
    tmp_path: Path, use_handler: Callable[[Handler], list[httpx.Request]]
) -> None:
    seen = use_handler(routed)
    r = run(
        "crimes",
        "--poly",
        "51.90,-2.11:51.90,-2.09:51.91,-2.09",
        "--month",
        "2025-09",
        "--force",
        "gloucestershire",
        "--out",
        str(tmp_path),
    )
    assert r.exit_code == 0, r.stderr
    assert (tmp_path / "2025-09-gloucestershire-street.csv").exists()
    assert seen[-1].method == "GET"
    assert seen[-1].url.params["poly"] == "51.9,-2.11:51.9,-2.09:51.91,-2.09"


def test_no_crimes_writes_no_file(
    tmp_path: Path, use_handler: Callable[[Handler], list[httpx.Request]]
) -> None:
    use_handler(
        lambda r: httpx.Response(200, content=availability() if "dates" in r.url.path else b"[]")
    )
    r = run(
        "crimes",
        "--poly",
        "1,1:1,2:2,2",
        "--month",
        "2025-01",
        "--force",
        "kent",
        "--out",
        str(tmp_path),
    )
    assert r.exit_code == 0 and "Nothing to write" in r.stdout
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2025-09"], "give exactly one of --poly or --neighbourhood"),
        (
            ["--poly", "1,1:1,2:2,2", "--neighbourhood", "kent/X", "--month", "2025-09"],
            "exactly one",
        ),
        (["--poly", "1,1:1,2:2,2", "--month", "2025-09"], "--force is required with --poly"),
        (["--neighbourhood", "AA3", "--month", "2025-09"], "expected FORCE/ID"),
        (["--neighbourhood", "glos/AA3", "--month", "2025-09"], "unknown force slug 'glos'"),
        (
            ["--poly", "1,1:1,2:2,2", "--month", "2025-09", "--force", "avon"],
            "did you mean 'avon-and-somerset'",
        ),
    ],
)
def test_usage_errors(
    tmp_path: Path,
    use_handler: Callable[[Handler], list[httpx.Request]],
    args: list[str],
    message: str,
) -> None:
    seen = use_handler(routed)
    r = run("crimes", *args, "--out", str(tmp_path))
    assert r.exit_code == 2
    assert message in " ".join(r.stderr.split())
    assert seen == []


def test_bad_polygon_and_old_month_are_clear_errors(
    tmp_path: Path, use_handler: Callable[[Handler], list[httpx.Request]]
) -> None:
    seen = use_handler(routed)
    r = run(
        "crimes",
        "--poly",
        "1,1:1,2",
        "--month",
        "2025-09",
        "--force",
        "kent",
        "--out",
        str(tmp_path),
    )
    assert r.exit_code == 2 and "Error: a polygon needs at least 3 distinct points" in r.stderr
    assert seen == []
    r = run(
        "crimes",
        "--neighbourhood",
        "gloucestershire/AA3",
        "--month",
        "2019-06",
        "--out",
        str(tmp_path),
    )
    assert r.exit_code == 2
    assert "month 2019-06 is outside the police.uk API window 2022-10 to 2025-09" in " ".join(
        r.stderr.split()
    )
    assert [r.url.path for r in seen] == ["/api/crimes-street-dates"]


def test_offline_message(
    tmp_path: Path, use_handler: Callable[[Handler], list[httpx.Request]]
) -> None:
    def offline(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno -3] Temporary failure in name resolution")

    use_handler(offline)
    r = run("availability")
    assert r.exit_code == 2
    flat = " ".join(r.stderr.split())
    assert "Error: could not reach data.police.uk: ConnectError" in flat
    assert "the API client is optional — download archives from data.police.uk/data instead" in flat
    assert "Traceback" not in r.stderr


def test_fetch_availability(use_handler: Callable[[Handler], list[httpx.Request]]) -> None:
    use_handler(routed)
    r = run("availability")
    assert r.exit_code == 0, r.stderr
    assert "The police.uk API serves 36 months: 2022-10 to 2025-09." in " ".join(r.stdout.split())
    assert "Stop and search for 2025-09: 3 force(s)." in r.stdout
