"""Months (``YYYY-MM``) and the window of months the API serves.

Since 2017 the API serves only about the last 36 months; older months fail or come back empty,
which a user could mistake for "no crime". We refuse them up front instead."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from ._errors import InvalidMonthError, MonthOutsideWindowError

WINDOW_MONTHS = 36
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def check_month(month: str) -> str:
    """``month`` if it is ``YYYY-MM``; :class:`InvalidMonthError` otherwise."""
    if not _MONTH.match(month):
        raise InvalidMonthError(f"month {month!r} is not in the form YYYY-MM")
    return month


def _index(month: str) -> int:
    year, mon = check_month(month).split("-")
    return int(year) * 12 + int(mon) - 1


def _month(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@dataclass(frozen=True, slots=True)
class MonthWindow:
    """The first and last month the API serves, and where we learnt it."""

    first: str
    last: str
    source: Literal["availability", "computed"]

    def __contains__(self, month: object) -> bool:
        return isinstance(month, str) and _index(self.first) <= _index(month) <= _index(self.last)

    def __str__(self) -> str:
        how = (
            "as listed by crimes-street-dates"
            if self.source == "availability"
            else ("estimated from today's date; crimes-street-dates was not available")
        )
        return f"{self.first} to {self.last} ({how})"

    def require(self, month: str) -> str:
        """``month`` if the API serves it; :class:`MonthOutsideWindowError` naming the window."""
        if check_month(month) not in self:
            raise MonthOutsideWindowError(
                f"month {month} is outside the police.uk API window {self}: the API serves only "
                f"about the last {WINDOW_MONTHS} months. For older months download the archives "
                "from data.police.uk/data and ingest them."
            )
        return month

    @classmethod
    def from_months(cls, months: Iterable[str]) -> MonthWindow | None:
        """The window spanned by the months crimes-street-dates lists (None if it lists none)."""
        indices = [_index(m) for m in months]
        if not indices:
            return None
        return cls(_month(min(indices)), _month(max(indices)), "availability")

    @classmethod
    def computed(cls, today: date) -> MonthWindow:
        """Fallback: the 36 months up to last month. police.uk publishes a month in the
        following month, so last month may not be out yet; the API then returns nothing."""
        last = today.year * 12 + today.month - 2
        return cls(_month(last - WINDOW_MONTHS + 1), _month(last), "computed")
