"""The model and sign-in tests of cases.py on SQLite (the default application database)."""

from __future__ import annotations

import pytest
from tests.web.cases import ModelAuthCases


@pytest.mark.django_db(databases=["default"])
class TestModelsAndAuthSQLite(ModelAuthCases):
    alias = "default"
