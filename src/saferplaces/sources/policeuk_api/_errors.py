"""Errors of the police.uk API client. All are :class:`SaferPlacesError`, so the CLI prints them
as one line without a traceback."""

from __future__ import annotations

from ...errors import SaferPlacesError

ARCHIVE_HINT = "the API client is optional — download archives from data.police.uk/data instead"


class PoliceApiError(SaferPlacesError):
    """Base class: something went wrong talking to data.police.uk."""


class MissingExtraError(PoliceApiError):
    """httpx, needed only by the API client, is not installed."""

    def __init__(self) -> None:
        super().__init__(
            f"the police.uk API client needs httpx: pip install 'saferplaces[api]' ({ARCHIVE_HINT})"
        )


class ApiUnreachableError(PoliceApiError):
    """No connection to data.police.uk (offline, DNS failure, refused, timed out)."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"could not reach data.police.uk: {detail}; {ARCHIVE_HINT}")


class ApiResponseError(PoliceApiError):
    """data.police.uk answered, but with an error status or a body we cannot use."""

    def __init__(self, url: str, reason: str, status: int | None = None) -> None:
        self.url = url
        self.reason = reason
        self.status = status
        super().__init__(f"{url}: {reason}")


class TooManyCrimesError(PoliceApiError):
    """A polygon still holds more than 10,000 crimes after splitting it as far as allowed."""


class MonthOutsideWindowError(PoliceApiError):
    """The month is not one the API serves (it keeps about the last 36 months)."""


class InvalidPolygonError(PoliceApiError):
    """A polygon that cannot be sent to the API (too few points, bad numbers, bad text)."""


class InvalidMonthError(PoliceApiError):
    """A month that is not written ``YYYY-MM``."""
