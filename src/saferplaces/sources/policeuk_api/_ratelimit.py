"""Client-side pacing: a token bucket matching police.uk's published limit (15 requests a second,
bursts of 30), and the retry policy for answers that say "slow down" or "try again"."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RATE_PER_SECOND = 15.0
BURST = 30

Clock = Callable[[], float]
Sleep = Callable[[float], None]


class TokenBucket:
    """Up to ``burst`` requests at once, then ``rate`` a second.

    ``clock`` and ``sleep`` are injectable so tests run on a fake clock. Thread-safe: the lock is
    held while sleeping, which is what serialises callers to the rate."""

    def __init__(
        self,
        rate: float = RATE_PER_SECOND,
        burst: int = BURST,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._last = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now

    def acquire(self) -> float:
        """Take one token, sleeping until one is free. Returns the seconds slept."""
        with self._lock:
            self._refill()
            waited = 0.0
            if self._tokens < 1:
                waited = (1 - self._tokens) / self.rate
                self._sleep(waited)
                self._refill()
                # We slept exactly long enough; clamp away float rounding rather than loop.
                self._tokens = max(self._tokens, 1.0)
            self._tokens -= 1
            return waited


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded retries with exponential backoff; a server's ``Retry-After`` wins when given."""

    max_attempts: int = 5
    backoff_base: float = 0.5  # seconds before the 2nd attempt; doubles each time
    backoff_cap: float = 30.0
    retry_after_cap: float = 120.0  # never let a server park us for longer than this

    def delay(self, failed_attempts: int, retry_after: str | None = None) -> float:
        """Seconds to wait after ``failed_attempts`` (≥ 1) failures."""
        if retry_after is not None:
            seconds = parse_retry_after(retry_after)
            if seconds is not None:
                return min(seconds, self.retry_after_cap)
        return min(self.backoff_cap, self.backoff_base * 2.0 ** (failed_attempts - 1))


def parse_retry_after(value: str, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date; None if unreadable."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
