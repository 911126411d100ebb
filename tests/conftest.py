"""Fixtures for the whole suite; helpers live in tests/support.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support import SHARED_DATA, TEST_DATA, shared

__all__ = ["SHARED_DATA", "TEST_DATA", "shared", "shared_data"]


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.skip("../shared/data not present")
    return SHARED_DATA
