"""The police.uk API client over httpx.MockTransport fed with saved real responses: pacing,
retries, GET/POST, splitting on 503, the 36-month window and clear errors. Never touches the
network, and runs on a fake clock."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import shapely
from shapely.geometry import Polygon

from saferplaces.sources.policeuk_api import (
    MAX_SPLIT_DEPTH,
    POST_URL_THRESHOLD,
    ApiResponseError,
    ApiUnreachableError,
    InvalidMonthError,
    InvalidPolygonError,
    MonthOutsideWindowError,
    PoliceUkClient,
    TokenBucket,
    TooManyCrimesError,
    format_poly,
    parse_poly,
)

API = Path(__file__).resolve().parents[1] / "data" / "api"
TODAY = date(2025, 11, 22)
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


def months(first: str, last: str) -> list[str]:
    y, m = map(int, first.split("-"))
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def availability(first: str = "2022-10", last: str = "2025-09") -> bytes:
    """A crimes-street-dates answer in the shape of the saved fixture data-set.json."""
    entry = json.loads(body("fixtures/data-set.json"))
    return json.dumps([dict(entry, date=m) for m in reversed(months(first, last))]).encode()


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Recorder:
    """Wraps a handler: records requests (and the fake time each was sent)."""

    def __init__(self, handler: Handler, clock: FakeClock) -> None:
        self.handler = handler
        self.clock = clock
        self.requests: list[httpx.Request] = []
        self.times: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.times.append(self.clock.now)
        if request.url.path == "/api/crimes-street-dates":
            return httpx.Response(200, content=availability())
        return self.handler(request)

    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests if r.url.path != "/api/crimes-street-dates"]


@dataclass
class Harness:
    api: PoliceUkClient
    rec: Recorder
    clock: FakeClock


def client_for(handler: Handler, **kwargs: Any) -> Harness:
    clock = FakeClock()
    rec = Recorder(handler, clock)
    api = PoliceUkClient(
        httpx.MockTransport(rec),
        clock=clock.clock,
        sleep=clock.sleep,
        today=lambda: TODAY,
        **kwargs,
    )
    return Harness(api, rec, clock)


def ok(content: bytes) -> Handler:
    return lambda request: httpx.Response(200, content=content)


def poly_of(request: httpx.Request) -> list[tuple[float, float]]:
    if request.method == "POST":
        return parse_poly(parse_qs(request.content.decode())["poly"][0])
    return parse_poly(request.url.params["poly"])


LEICESTER = json.loads(body("crimes-street/leicester-all-crime-2023-01.json.gz"))
AA3_BOUNDARY = [
    (float(p["latitude"]), float(p["longitude"]))
    for p in json.loads(body("neighbourhoods/gloucestershire-AA3-boundary.json"))
]
SQUARE = [(52.6, -1.2), (52.6, -1.0), (52.7, -1.0), (52.7, -1.2)]


# ------------------------------------------------------------------ rate limit


def test_token_bucket_allows_a_burst_of_30_then_waits_one_fifteenth() -> None:
    clock = FakeClock()
    bucket = TokenBucket(clock=clock.clock, sleep=clock.sleep)
    waits = [bucket.acquire() for _ in range(31)]
    assert waits[:30] == [0.0] * 30
    assert waits[30] == pytest.approx(1 / 15)
    assert clock.sleeps == [pytest.approx(1 / 15)]


def test_token_bucket_sustained_rate_is_at_most_15_per_second() -> None:
    clock = FakeClock()
    bucket = TokenBucket(clock=clock.clock, sleep=clock.sleep)
    times = []
    for _ in range(100):
        bucket.acquire()
        times.append(clock.now)
    # After the burst, requests 31..100 are spaced at 15 a second.
    assert (100 - 30) / (times[-1] - times[29]) <= 15 + 1e-9
    assert times[-1] == pytest.approx(70 / 15)
    # And in any window, no more than the burst plus 15 a second.
    for i in range(100):
        for j in range(i, 100):
            assert j - i + 1 <= 30 + 15 * (times[j] - times[i]) + 1e-9


def test_token_bucket_refills_while_idle() -> None:
    clock = FakeClock()
    bucket = TokenBucket(clock=clock.clock, sleep=clock.sleep)
    for _ in range(30):
        bucket.acquire()
    clock.now += 2.0  # 30 tokens back
    assert [bucket.acquire() for _ in range(30)] == [0.0] * 30
    assert bucket.acquire() > 0


def test_client_requests_are_paced() -> None:
    h = client_for(ok(body("forces/forces.json")))
    for _ in range(31):
        assert len(h.api.forces()) == 44
    assert len(h.rec.requests) == 31
    assert h.rec.times[29] == 0.0
    assert h.rec.times[30] == pytest.approx(1 / 15)
    assert h.clock.sleeps == [pytest.approx(1 / 15)]


# ------------------------------------------------------------------ retries


def sequence(*responses: httpx.Response) -> Handler:
    queue = list(responses)
    return lambda request: queue.pop(0)


def test_429_then_200_is_retried_with_backoff_and_retry_after() -> None:
    h = client_for(
        sequence(
            httpx.Response(429, headers={"Retry-After": "3"}),
            httpx.Response(429),
            httpx.Response(200, content=body("forces/forces.json")),
        )
    )
    assert len(h.api.forces()) == 44
    assert len(h.rec.requests) == 3
    assert h.clock.sleeps == [3.0, 1.0]  # Retry-After honoured, then backoff 0.5·2¹
    assert h.api.stats.retries == 2


def test_transient_5xx_is_retried_with_exponential_backoff() -> None:
    h = client_for(
        sequence(
            httpx.Response(502),
            httpx.Response(500),
            httpx.Response(504),
            httpx.Response(200, content=body("forces/forces.json")),
        )
    )
    assert len(h.api.forces()) == 44
    assert h.clock.sleeps == [0.5, 1.0, 2.0]


def test_retries_are_bounded() -> None:
    h = client_for(lambda r: httpx.Response(429))
    with pytest.raises(ApiResponseError) as err:
        h.api.forces()
    assert len(h.rec.requests) == 5
    assert h.clock.sleeps == [0.5, 1.0, 2.0, 4.0]
    msg = str(err.value)
    assert msg.startswith("https://data.police.uk/api/forces: HTTP 429")
    assert "5 attempts" in msg and "rate limited" in msg


def test_client_errors_are_not_retried() -> None:
    h = client_for(lambda r: httpx.Response(404))
    with pytest.raises(ApiResponseError, match=r"gloucestershire/ZZ9: HTTP 404 Not Found") as err:
        h.api.neighbourhood("gloucestershire", "ZZ9")
    assert err.value.status == 404
    assert len(h.rec.requests) == 1 and h.clock.sleeps == []


def test_timeouts_are_retried_then_reported_as_unreachable() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    h = client_for(timeout)
    with pytest.raises(ApiUnreachableError, match="timed out 5 times"):
        h.api.forces()
    assert len(h.rec.requests) == 5


def test_offline_gives_a_clear_message_without_retrying() -> None:
    def offline(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno -3] Temporary failure in name resolution")

    h = client_for(offline)
    with pytest.raises(ApiUnreachableError) as err:
        h.api.forces()
    assert str(err.value) == (
        "could not reach data.police.uk: ConnectError: [Errno -3] Temporary failure in name "
        "resolution; the API client is optional — download archives from data.police.uk/data "
        "instead"
    )
    assert len(h.rec.requests) == 1 and h.clock.sleeps == []


def test_malformed_body_names_the_url() -> None:
    h = client_for(ok(body("malformed/Crimes.Multiple.json")))
    with pytest.raises(ApiResponseError) as err:
        h.api.crimes_street(SQUARE, "2023-01")
    msg = str(err.value)
    assert msg.startswith("https://data.police.uk/api/crimes-street/all-crime?poly=52.6")
    assert msg.endswith("body is a JavaScript object literal (unquoted keys), not JSON")


def test_unexpected_shape_names_the_url_and_path() -> None:
    h = client_for(ok(b'{"id": "leicestershire"}'))
    with pytest.raises(
        ApiResponseError, match=r"api/forces: unexpected response: \$: expected a list"
    ):
        h.api.forces()


def test_missing_httpx_gives_install_hint() -> None:
    code = (
        "import sys; sys.modules['httpx'] = None\n"
        "import saferplaces.sources.policeuk_api as api\n"  # importing must work without httpx
        "assert api.format_poly([(1.0, 2.0), (1.0, 3.0), (2.0, 3.0)])\n"
        "try:\n    api.PoliceUkClient()\n"
        "except api.MissingExtraError as exc:\n    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'saferplaces[api]'" in out.stdout


# ------------------------------------------------------------------ GET or POST


def test_short_polygon_uses_get() -> None:
    h = client_for(ok(body("crimes-street/leicester-all-crime-2023-01.json.gz")))
    crimes = h.api.crimes_street(SQUARE, "2023-01")
    assert len(crimes) == 1448
    (request,) = [r for r in h.rec.requests if "crimes-street/" in r.url.path]
    assert request.method == "GET"
    assert request.url.path == "/api/crimes-street/all-crime"
    assert request.url.params["date"] == "2023-01"
    assert poly_of(request) == SQUARE
    assert h.api.stats.posts == 0


def test_long_polygon_is_posted_as_a_form() -> None:
    h = client_for(ok(body("crimes-street/cheltenham-AA3-all-crime-2025-09.json.gz")))
    crimes = h.api.crimes_street(AA3_BOUNDARY, "2025-09")
    assert len(crimes) == 425
    (request,) = [r for r in h.rec.requests if "crimes-street/" in r.url.path]
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.url.query == b""
    form = parse_qs(request.content.decode())
    assert form == {"poly": [format_poly(AA3_BOUNDARY)], "date": ["2025-09"]}
    assert len(format_poly(AA3_BOUNDARY)) > POST_URL_THRESHOLD
    assert h.api.stats.posts == 1


def test_post_threshold_is_configurable() -> None:
    h = client_for(ok(b"[]"), post_threshold=50)
    assert h.api.crimes_street(SQUARE, "2023-01") == []
    assert [r.method for r in h.rec.requests if "crimes-street/" in r.url.path] == ["POST"]


def test_neighbourhood_crimes_fetch_the_boundary_then_post() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/gloucestershire/AA3/boundary":
            return httpx.Response(
                200, content=body("neighbourhoods/gloucestershire-AA3-boundary.json")
            )
        assert poly_of(request) == AA3_BOUNDARY
        return httpx.Response(
            200, content=body("crimes-street/cheltenham-AA3-all-crime-2025-09.json.gz")
        )

    h = client_for(handler)
    crimes = h.api.crimes_in_neighbourhood("gloucestershire", "AA3", "2025-09")
    assert len(crimes) == 425
    assert h.rec.paths() == ["/api/gloucestershire/AA3/boundary", "/api/crimes-street/all-crime"]


# ------------------------------------------------------------------ 503: split the polygon


def split_server(limit: int, seen: list[int]) -> Handler:
    """Serves the 1,448 Leicester crimes: 503 when a polygon holds more than ``limit``, else the
    crimes on or within a hair of it, so crimes on a cut come back from both sides."""
    points = shapely.points(
        [float(c["location"]["longitude"]) for c in LEICESTER],
        [float(c["location"]["latitude"]) for c in LEICESTER],
    )

    def handler(request: httpx.Request) -> httpx.Response:
        shape = Polygon([(lon, lat) for lat, lon in poly_of(request)]).buffer(1e-9)
        inside = [c for c, hit in zip(LEICESTER, shapely.covers(shape, points), strict=True) if hit]
        if len(inside) > limit:
            seen.append(503)
            return httpx.Response(503)
        seen.extend(c["id"] for c in inside)
        return httpx.Response(200, content=json.dumps(inside).encode())

    return handler


def around_a_crime() -> list[tuple[float, float]]:
    """A rectangle around every Leicester crime, centred on one, so the first cut hits it."""
    lat = float(LEICESTER[0]["location"]["latitude"])
    lon = float(LEICESTER[0]["location"]["longitude"])
    dlat, dlon = 0.02, 0.03  # the crimes span 52.616–52.643 N, 1.155–1.109 W
    return [
        (lat - dlat, lon - dlon),
        (lat - dlat, lon + dlon),
        (lat + dlat, lon + dlon),
        (lat + dlat, lon - dlon),
    ]


def test_503_splits_the_polygon_and_returns_each_crime_once() -> None:
    seen: list[int] = []
    h = client_for(split_server(400, seen))
    crimes = h.api.crimes_street(around_a_crime(), "2023-01")
    assert h.api.stats.splits >= 2  # pieces of pieces
    ids = [c.id for c in crimes]
    assert sorted(ids) == sorted(c["id"] for c in LEICESTER)  # all 1,448, each once
    assert 503 in seen and h.api.stats.splits >= 1
    returned = [s for s in seen if s != 503]
    assert len(returned) > len(ids)  # pieces overlapped on the cuts...
    assert h.api.stats.duplicates == len(returned) - len(ids)  # ...and the copies were dropped


def test_503_split_gives_up_at_the_depth_limit() -> None:
    h = client_for(lambda r: httpx.Response(503), max_split_depth=2)
    with pytest.raises(TooManyCrimesError) as err:
        h.api.crimes_street(SQUARE, "2023-01")
    # Fails fast: the first piece still too big at depth 2 ends the fetch (1 + 1 + 1 requests).
    assert len(h.rec.paths()) == 3
    assert "more than 10,000 crimes for 2023-01 after splitting it 2 times" in str(err.value)
    assert "use a smaller area" in str(err.value)
    assert h.clock.sleeps == []  # a too-many-crimes 503 is not retried
    assert MAX_SPLIT_DEPTH == 4


def test_503_with_retry_after_is_an_outage_not_a_split() -> None:
    h = client_for(
        sequence(
            httpx.Response(503, headers={"Retry-After": "7"}),
            httpx.Response(200, content=b"[]"),
        )
    )
    assert h.api.crimes_street(SQUARE, "2023-01") == []
    assert h.clock.sleeps == [7.0] and h.api.stats.splits == 0


def test_stop_and_search_is_not_split() -> None:
    h = client_for(lambda r: httpx.Response(503))
    with pytest.raises(TooManyCrimesError, match="10,000 stop and search records"):
        h.api.stops_street(SQUARE, "2023-01")
    assert len(h.rec.paths()) == 1


# ------------------------------------------------------------------ the 36-month window


@pytest.mark.parametrize("month", ["2019-01", "2022-09", "2025-10"])
def test_month_outside_the_window_is_refused_before_fetching(month: str) -> None:
    h = client_for(ok(b"[]"))
    with pytest.raises(MonthOutsideWindowError) as err:
        h.api.crimes_street(SQUARE, month)
    msg = str(err.value)
    assert f"month {month} is outside the police.uk API window 2022-10 to 2025-09" in msg
    assert "last 36 months" in msg and "data.police.uk/data" in msg
    assert h.rec.paths() == []  # only crimes-street-dates was asked


@pytest.mark.parametrize("month", ["2022-10", "2025-09"])
def test_months_at_the_edges_of_the_window_are_fetched(month: str) -> None:
    h = client_for(ok(b"[]"))
    assert h.api.crimes_street(SQUARE, month) == []
    assert h.rec.paths() == ["/api/crimes-street/all-crime"]


def test_window_is_computed_from_today_when_availability_fails() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return (
            httpx.Response(404)
            if "dates" in request.url.path
            else httpx.Response(200, content=b"[]")
        )

    clock = FakeClock()
    api = PoliceUkClient(
        httpx.MockTransport(handler), clock=clock.clock, sleep=clock.sleep, today=lambda: TODAY
    )
    window = api.month_window()
    assert (window.first, window.last, window.source) == ("2022-11", "2025-10", "computed")
    assert len(months(window.first, window.last)) == 36
    with pytest.raises(MonthOutsideWindowError, match="estimated from today's date"):
        api.crimes_street(SQUARE, "2022-10")
    assert api.crimes_street(SQUARE, "2025-10") == []


def test_window_is_asked_once() -> None:
    h = client_for(ok(b"[]"))
    h.api.crimes_street(SQUARE, "2024-01")
    h.api.crimes_street(SQUARE, "2024-02")
    assert sum(r.url.path.endswith("crimes-street-dates") for r in h.rec.requests) == 1


def test_bad_month_and_polygon_are_refused_before_any_request() -> None:
    h = client_for(ok(b"[]"))
    with pytest.raises(InvalidMonthError, match="'2023-1' is not in the form YYYY-MM"):
        h.api.crimes_street(SQUARE, "2023-1")
    with pytest.raises(InvalidPolygonError, match="at least 3 distinct points"):
        h.api.crimes_street(SQUARE[:2], "2023-01")
    assert h.rec.requests == []


# ------------------------------------------------------------------ every other method


@pytest.mark.parametrize(
    ("call", "path", "fixture", "check"),
    [
        (lambda a: a.forces(), "/api/forces", "forces/forces.json", lambda r: len(r) == 44),
        (
            lambda a: a.force("leicestershire"),
            "/api/forces/leicestershire",
            "fixtures/police-force.json",
            lambda r: r.name == "Leicestershire Constabulary",
        ),
        (
            lambda a: a.neighbourhoods("gloucestershire"),
            "/api/gloucestershire/neighbourhoods",
            "neighbourhoods/gloucestershire-neighbourhoods.json",
            lambda r: len(r) == 55,
        ),
        (
            lambda a: a.neighbourhood("gloucestershire", "AA3"),
            "/api/gloucestershire/AA3",
            "neighbourhoods/gloucestershire-AA3.json",
            lambda r: r.population == 12266,
        ),
        (
            lambda a: a.neighbourhood_boundary("gloucestershire", "AA3"),
            "/api/gloucestershire/AA3/boundary",
            "neighbourhoods/gloucestershire-AA3-boundary.json",
            lambda r: len(r) == 1068,
        ),
        (
            lambda a: a.neighbourhood_team("leicestershire", "NC04"),
            "/api/leicestershire/NC04/people",
            "fixtures/police-officer.json",
            None,
        ),
        (
            lambda a: a.neighbourhood_priorities("leicestershire", "NC04"),
            "/api/leicestershire/NC04/priorities",
            "fixtures/neighbourhood-priority-html.json",
            None,
        ),
        (
            lambda a: a.locate_neighbourhood(51.5, -0.1),
            "/api/locate-neighbourhood",
            "fixtures/neighbourhood-policing-team.json",
            lambda r: r.neighbourhood == "00BKX6",
        ),
        (
            lambda a: a.crime_categories("2024-01"),
            "/api/crime-categories",
            "fixtures/crime-category.json",
            None,
        ),
        (
            lambda a: a.outcomes_for_crime("46688f40"),
            "/api/outcomes-for-crime/46688f40",
            "fixtures/case-history.json",
            lambda r: len(r.outcomes) == 2,
        ),
        (
            lambda a: a.stops_street(SQUARE, "2024-01"),
            "/api/stops-street",
            "fixtures/stop-and-search.json",
            None,
        ),
        (
            lambda a: a.stops_force("leicestershire", "2024-01"),
            "/api/stops-force",
            "fixtures/stop-and-search.json",
            None,
        ),
    ],
)
def test_methods_call_the_documented_path(
    call: Callable[[PoliceUkClient], Any], path: str, fixture: str, check: Any
) -> None:
    content = body(fixture)
    if check is None:  # list endpoints: serve the single saved item as a one-item list
        content = b"[" + content + b"]"
    h = client_for(ok(content))
    result = call(h.api)
    assert h.rec.paths() == [path]
    assert (check or (lambda r: len(r) == 1))(result)


def test_availability_lists_months() -> None:
    h = client_for(ok(b""))
    got = h.api.availability()
    assert len(got) == 36 and got[0].date == "2025-09" and got[-1].date == "2022-10"
    assert got[0].stop_and_search == ("bedfordshire", "cleveland", "durham")


def test_locate_and_categories_send_their_parameters() -> None:
    h = client_for(ok(body("fixtures/neighbourhood-policing-team.json")))
    h.api.locate_neighbourhood(52.6389, -1.13619)
    assert h.rec.requests[-1].url.params["q"] == "52.6389,-1.13619"
    h = client_for(ok(b"[]"))
    h.api.crime_categories("2024-01")
    assert h.rec.requests[-1].url.params["date"] == "2024-01"


def test_anomalies_are_counted_on_the_client() -> None:
    h = client_for(ok(body("fixtures/neighbourhood-invalid-population.json")))
    hood = h.api.neighbourhood("leicestershire", "NC04")
    assert hood.population is None
    assert h.api.anomalies == {"invalid_population": 1, "null_coordinates": 1}


def test_ids_cannot_reach_another_endpoint() -> None:
    h = client_for(ok(body("neighbourhoods/gloucestershire-AA3.json")))
    h.api.neighbourhood("gloucestershire", "../forces")
    assert h.rec.requests[-1].url.raw_path == b"/api/gloucestershire/..%2Fforces"
