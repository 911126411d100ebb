"""Optional client for the police.uk API (https://data.police.uk/docs/).

SaferPlaces works from the monthly archives; this client is a convenience for recent months
(the API serves about the last 36). It needs the ``api`` extra (httpx), imported only when a
:class:`PoliceUkClient` is made, so the rest of this module works without it::

    from saferplaces.sources.policeuk_api import PoliceUkClient, write_street_csvs

    with PoliceUkClient() as api:
        crimes = api.crimes_in_neighbourhood("gloucestershire", "AA3", "2025-09")
    write_street_csvs(crimes, "downloads", force="gloucestershire")

See ``docs/policeuk-api.md`` for limits, retries and how the CSV files are built."""

from ._client import (
    DEFAULT_BASE_URL,
    MAX_SPLIT_DEPTH,
    POST_URL_THRESHOLD,
    PoliceUkClient,
    RequestStats,
)
from ._csv import (
    STREET_CSV_HEADER,
    category_label,
    crime_row,
    street_csv_name,
    street_csv_text,
    write_street_csvs,
)
from ._errors import (
    ApiResponseError,
    ApiUnreachableError,
    InvalidMonthError,
    InvalidPolygonError,
    MissingExtraError,
    MonthOutsideWindowError,
    PoliceApiError,
    TooManyCrimesError,
)
from ._json import decode_json
from ._models import (
    AvailableMonth,
    CaseHistory,
    Crime,
    CrimeCategory,
    EngagementMethod,
    Force,
    ForceRef,
    LatLon,
    Link,
    Neighbourhood,
    NeighbourhoodLocation,
    NeighbourhoodLocator,
    NeighbourhoodRef,
    Officer,
    Outcome,
    OutcomeCategory,
    Priority,
    StopAndSearch,
    parse_crimes,
)
from ._months import WINDOW_MONTHS, MonthWindow, check_month
from ._poly import Point, format_poly, parse_poly, split_polygon
from ._ratelimit import BURST, RATE_PER_SECOND, RetryPolicy, TokenBucket
from ._text import html_to_text

__all__ = [
    "BURST",
    "DEFAULT_BASE_URL",
    "MAX_SPLIT_DEPTH",
    "POST_URL_THRESHOLD",
    "RATE_PER_SECOND",
    "STREET_CSV_HEADER",
    "WINDOW_MONTHS",
    "ApiResponseError",
    "ApiUnreachableError",
    "AvailableMonth",
    "CaseHistory",
    "Crime",
    "CrimeCategory",
    "EngagementMethod",
    "Force",
    "ForceRef",
    "InvalidMonthError",
    "InvalidPolygonError",
    "LatLon",
    "Link",
    "MissingExtraError",
    "MonthOutsideWindowError",
    "MonthWindow",
    "Neighbourhood",
    "NeighbourhoodLocation",
    "NeighbourhoodLocator",
    "NeighbourhoodRef",
    "Officer",
    "Outcome",
    "OutcomeCategory",
    "Point",
    "PoliceApiError",
    "PoliceUkClient",
    "Priority",
    "RequestStats",
    "RetryPolicy",
    "StopAndSearch",
    "TokenBucket",
    "TooManyCrimesError",
    "category_label",
    "check_month",
    "crime_row",
    "decode_json",
    "format_poly",
    "html_to_text",
    "parse_crimes",
    "parse_poly",
    "split_polygon",
    "street_csv_name",
    "street_csv_text",
    "write_street_csvs",
]
