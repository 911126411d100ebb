"""The client: HTTP over httpx (imported lazily — it is the optional ``api`` extra), pacing,
retries, GET/POST choice, the 36-month window and polygon splitting on 503."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import quote

from ... import __version__
from ._errors import (
    ApiResponseError,
    ApiUnreachableError,
    MissingExtraError,
    TooManyCrimesError,
)
from ._json import Node, ShapeError, decode_json
from ._models import (
    AvailableMonth,
    CaseHistory,
    Crime,
    CrimeCategory,
    Force,
    ForceRef,
    LatLon,
    Neighbourhood,
    NeighbourhoodLocator,
    NeighbourhoodRef,
    Officer,
    Priority,
    StopAndSearch,
    parse_available_month,
    parse_boundary,
    parse_case_history,
    parse_crime,
    parse_crime_category,
    parse_force,
    parse_force_ref,
    parse_locator,
    parse_neighbourhood,
    parse_neighbourhood_ref,
    parse_officer,
    parse_priority,
    parse_stop_and_search,
)
from ._months import MonthWindow, check_month
from ._poly import Point, format_poly, parse_poly, split_polygon
from ._ratelimit import Clock, RetryPolicy, Sleep, TokenBucket

if TYPE_CHECKING:
    import httpx

T = TypeVar("T")

DEFAULT_BASE_URL = "https://data.police.uk/api/"
POST_URL_THRESHOLD = 4000
"""Send crimes-street and stops-street as a form POST when the GET URL would be longer than this
many characters. police.uk documents POST for long polygons; 4,000 stays well below the ~8 KB URL
limit of common servers and proxies (a neighbourhood boundary is often 20–40 KB)."""
MAX_SPLIT_DEPTH = 4
"""How many times a polygon may be quartered after a 503 (4 → pieces of 1/256 of the box)."""
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


@dataclass(slots=True)
class RequestStats:
    requests: int = 0
    posts: int = 0
    retries: int = 0
    splits: int = 0  # polygons quartered after "more than 10,000 crimes"
    duplicates: int = 0  # crimes returned by two pieces of a split polygon, kept once


class _TooManyResults(Exception):
    """503 on a custom-area query: police.uk's "more than 10,000 results" answer."""


def _seg(value: str) -> str:
    """A caller's id as one path segment: '/' or '..' in it must not reach another endpoint."""
    return quote(value, safe="")


def _require_httpx() -> None:
    try:
        import httpx  # noqa: F401
    except ImportError as exc:
        raise MissingExtraError() from exc


class PoliceUkClient:
    """A client for https://data.police.uk/api/ (the police.uk API).

    ``transport`` is the seam for tests (``httpx.MockTransport``); ``clock``, ``sleep`` and
    ``today`` make pacing, backoff and the month window deterministic. Anomalies repaired while
    parsing (e.g. invalid coordinates) are counted in :attr:`anomalies`; request counts are in
    :attr:`stats`. Use one client per process: the rate limit is the client's."""

    def __init__(
        self,
        transport: httpx.BaseTransport | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 30.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
        today: Callable[[], date] = date.today,
        limiter: TokenBucket | None = None,
        retry: RetryPolicy | None = None,
        post_threshold: int = POST_URL_THRESHOLD,
        max_split_depth: int = MAX_SPLIT_DEPTH,
    ) -> None:
        _require_httpx()
        import httpx

        self._http = httpx.Client(
            base_url=base_url,
            transport=transport,
            timeout=timeout,
            headers={"User-Agent": f"saferplaces/{__version__}", "Accept": "application/json"},
            follow_redirects=True,
        )
        self._sleep = sleep
        self._today = today
        self.limiter = limiter or TokenBucket(clock=clock, sleep=sleep)
        self.retry = retry or RetryPolicy()
        self.post_threshold = post_threshold
        self.max_split_depth = max_split_depth
        self.anomalies: Counter[str] = Counter()
        self.stats = RequestStats()
        self._window: MonthWindow | None = None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PoliceUkClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------------- transport

    def _display(self, path: str, params: dict[str, str]) -> str:
        """The URL for messages, with a long poly shortened to its point count."""
        shown = {
            k: (f"<{v.count(':') + 1} points>" if k == "poly" and len(v) > 200 else v)
            for k, v in params.items()
        }
        return str(self._http.build_request("GET", path, params=shown).url)

    def _build(self, path: str, params: dict[str, str]) -> httpx.Request:
        request = self._http.build_request("GET", path, params=params)
        if "poly" in params and len(str(request.url)) > self.post_threshold:
            # Long polygons go in a form body; police.uk accepts POST on these methods.
            request = self._http.build_request("POST", path, data=params)
        return request

    def _request(self, path: str, params: dict[str, str] | None = None) -> object:
        """Send with pacing and retries; the decoded JSON body."""
        import httpx

        params = params or {}
        url = self._display(path, params)
        failures = 0
        while True:
            request = self._build(path, params)
            self.limiter.acquire()
            self.stats.requests += 1
            if request.method == "POST":
                self.stats.posts += 1
            try:
                response = self._http.send(request)
            except httpx.TimeoutException as exc:
                failures += 1
                if failures >= self.retry.max_attempts:
                    raise ApiUnreachableError(
                        f"{url} timed out {failures} times ({type(exc).__name__})"
                    ) from exc
                self._backoff(failures, None)
                continue
            except httpx.TransportError as exc:
                # Offline, DNS failure, connection refused: retrying will not help.
                raise ApiUnreachableError(f"{type(exc).__name__}: {exc}") from exc
            status = response.status_code
            if 200 <= status < 300:
                try:
                    return decode_json(response.content)
                except ValueError as exc:
                    raise ApiResponseError(url, str(exc), status) from None
            if status == 503 and "poly" in params and "retry-after" not in response.headers:
                raise _TooManyResults(url)
            if status in RETRYABLE_STATUS:
                failures += 1
                if failures < self.retry.max_attempts:
                    self._backoff(failures, response.headers.get("retry-after"))
                    continue
                raise ApiResponseError(
                    url,
                    f"HTTP {status} {response.reason_phrase} on each of {failures} attempts"
                    f"{' (rate limited)' if status == 429 else ''}; try again later",
                    status,
                )
            raise ApiResponseError(url, f"HTTP {status} {response.reason_phrase}", status)

    def _backoff(self, failures: int, retry_after: str | None) -> None:
        self.stats.retries += 1
        self._sleep(self.retry.delay(failures, retry_after))

    def _get(
        self, path: str, parse: Callable[[Node], T], params: dict[str, str] | None = None
    ) -> T:
        body = self._request(path, params)
        try:
            return parse(Node(body))
        except ShapeError as exc:
            url = self._display(path, params or {})
            raise ApiResponseError(url, f"unexpected response: {exc}") from None

    def _list(
        self, path: str, parse: Callable[[Node], T], params: dict[str, str] | None = None
    ) -> list[T]:
        return self._get(path, lambda node: [parse(n) for n in node.items()], params)

    # ------------------------------------------------------------------------- reference data

    def forces(self) -> list[ForceRef]:
        return self._list("forces", parse_force_ref)

    def force(self, force: str) -> Force:
        return self._get(f"forces/{_seg(force)}", parse_force)

    def crime_categories(self, month: str | None = None) -> list[CrimeCategory]:
        params = {"date": check_month(month)} if month else None
        return self._list("crime-categories", parse_crime_category, params)

    def availability(self) -> list[AvailableMonth]:
        """crimes-street-dates: the months the API serves (newest first)."""
        return self._list("crimes-street-dates", parse_available_month)

    def month_window(self) -> MonthWindow:
        """The months the API serves: from crimes-street-dates, else estimated from today."""
        if self._window is None:
            try:
                window = MonthWindow.from_months(m.date for m in self.availability())
            except ApiResponseError:
                window = None  # unreachable still raises: nothing else would work either
            self._window = window or MonthWindow.computed(self._today())
        return self._window

    # ------------------------------------------------------------------------- neighbourhoods

    def neighbourhoods(self, force: str) -> list[NeighbourhoodRef]:
        return self._list(f"{_seg(force)}/neighbourhoods", parse_neighbourhood_ref)

    def neighbourhood(self, force: str, neighbourhood: str) -> Neighbourhood:
        return self._get(
            f"{_seg(force)}/{_seg(neighbourhood)}", lambda n: parse_neighbourhood(n, self.anomalies)
        )

    def neighbourhood_boundary(self, force: str, neighbourhood: str) -> list[LatLon]:
        return self._get(
            f"{_seg(force)}/{_seg(neighbourhood)}/boundary",
            lambda n: parse_boundary(n, self.anomalies),
        )

    def neighbourhood_team(self, force: str, neighbourhood: str) -> list[Officer]:
        return self._list(f"{_seg(force)}/{_seg(neighbourhood)}/people", parse_officer)

    def neighbourhood_priorities(self, force: str, neighbourhood: str) -> list[Priority]:
        return self._list(f"{_seg(force)}/{_seg(neighbourhood)}/priorities", parse_priority)

    def locate_neighbourhood(self, latitude: float, longitude: float) -> NeighbourhoodLocator:
        return self._get("locate-neighbourhood", parse_locator, {"q": f"{latitude},{longitude}"})

    # ------------------------------------------------------------------------- crimes

    def crimes_street(
        self, poly: Sequence[Point] | str, month: str, *, category: str = "all-crime"
    ) -> list[Crime]:
        """Street-level crimes in a polygon for one month, each crime once.

        ``poly`` is ``[(lat, lon), ...]`` or the API's ``"lat,lon:lat,lon:..."`` text. When
        police.uk answers 503 (more than 10,000 crimes) the polygon is quartered and each piece
        queried, up to :attr:`max_split_depth` times; crimes are de-duplicated by ``id``."""
        check_month(month)
        points = parse_poly(poly) if isinstance(poly, str) else list(poly)
        format_poly(points)  # validate before any request
        self.month_window().require(month)
        found: dict[int, Crime] = {}
        self._crimes_in(points, month, category, 0, found)
        return list(found.values())

    def crimes_in_neighbourhood(
        self, force: str, neighbourhood: str, month: str, *, category: str = "all-crime"
    ) -> list[Crime]:
        """Street-level crimes inside a neighbourhood's boundary for one month."""
        self.month_window().require(check_month(month))
        boundary = self.neighbourhood_boundary(force, neighbourhood)
        points = [(p.latitude, p.longitude) for p in boundary]
        return self.crimes_street(points, month, category=category)

    def _crimes_in(
        self, points: list[Point], month: str, category: str, depth: int, found: dict[int, Crime]
    ) -> None:
        params = {"poly": format_poly(points), "date": month}
        try:
            crimes = self._list(
                f"crimes-street/{_seg(category)}", lambda n: parse_crime(n, self.anomalies), params
            )
        except _TooManyResults as exc:
            if depth >= self.max_split_depth:
                raise TooManyCrimesError(
                    f"{exc}: a piece of the polygon still holds more than 10,000 crimes for "
                    f"{month} after splitting it {depth} times; use a smaller area, or download "
                    "the archives from data.police.uk/data"
                ) from None
            self.stats.splits += 1
            for piece in split_polygon(points):
                self._crimes_in(piece, month, category, depth + 1, found)
            return
        for crime in crimes:
            if crime.id in found:
                self.stats.duplicates += 1
            else:
                found[crime.id] = crime

    def outcomes_for_crime(self, persistent_id: str) -> CaseHistory:
        return self._get(
            f"outcomes-for-crime/{_seg(persistent_id)}",
            lambda n: parse_case_history(n, self.anomalies),
        )

    # ------------------------------------------------------------------------- stop and search

    def stops_street(self, poly: Sequence[Point] | str, month: str) -> list[StopAndSearch]:
        """Stop and search records in a polygon for one month.

        Not split on 503: stop and search records carry no id to de-duplicate by."""
        points = parse_poly(poly) if isinstance(poly, str) else list(poly)
        poly_text = format_poly(points)
        params = {"poly": poly_text, "date": self.month_window().require(check_month(month))}
        try:
            return self._list(
                "stops-street", lambda n: parse_stop_and_search(n, self.anomalies), params
            )
        except _TooManyResults as exc:
            raise TooManyCrimesError(
                f"{exc}: the polygon holds more than 10,000 stop and search records for "
                f"{month}; use a smaller area"
            ) from None

    def stops_force(self, force: str, month: str) -> list[StopAndSearch]:
        params = {"force": force, "date": self.month_window().require(check_month(month))}
        return self._list("stops-force", lambda n: parse_stop_and_search(n, self.anomalies), params)
