"""Test helpers that Django loads by dotted path from tests/web/settings.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.contrib.auth.hashers import Argon2PasswordHasher

_pinned: ContextVar[str | None] = ContextVar("saferplaces_test_database", default=None)


@contextmanager
def pinned(alias: str) -> Iterator[None]:
    """Send every ORM query made inside the block (the test client's requests included, as
    they run in the same thread) to the database ``alias``."""
    token = _pinned.set(alias)
    try:
        yield
    finally:
        _pinned.reset(token)


class PinnedRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return _pinned.get()

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return _pinned.get()


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2 with a small cost: the same algorithm and hash format ("argon2$..."), but
    ~1 ms instead of ~100 ms per hash."""

    time_cost = 1
    memory_cost = 1024
    parallelism = 1
