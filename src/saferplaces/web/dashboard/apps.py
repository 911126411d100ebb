from __future__ import annotations

from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "saferplaces.web.dashboard"
    label = "dashboard"
    verbose_name = "Partnership dashboard"
