"""Every URL of the site. tests/web/test_security.py walks each one as each role: a URL added
here without a row in its table fails that test."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from .api import api

urlpatterns = [
    path("", include("saferplaces.web.public.urls")),
    path("", include("saferplaces.web.accounts.urls")),
    path("dashboard/", include("saferplaces.web.dashboard.urls")),
    path("analyst/", include("saferplaces.web.jobs.urls")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]
