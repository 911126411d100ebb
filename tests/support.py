"""Shared test helpers (import as ``from tests.support import ...``).

Real data lives in ``../shared/data`` (see tests/data/README.md); tests that need it skip with a
reason when it is absent, except under ``SAFERPLACES_REQUIRE_SERVICES=1`` (set by ``.ci/run``),
where tests marked ``postgres`` or ``browser`` fail instead of skipping.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SAFERPLACES_SHARED_DATA", REPO.parent / "shared" / "data"))
TEST_DATA = Path(__file__).resolve().parent / "data"
REQUIRE_SERVICES = os.environ.get("SAFERPLACES_REQUIRE_SERVICES") == "1"


def shared(rel: str) -> Path:
    """A file under ../shared/data, or skip the test if the shared data is not beside the repo."""
    path = SHARED_DATA / rel
    if not path.exists():
        if REQUIRE_SERVICES:
            pytest.fail(f"shared data missing: {path}")
        pytest.skip(f"shared data not present: {path}")
    return path
