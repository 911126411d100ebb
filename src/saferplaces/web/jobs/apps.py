from __future__ import annotations

from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "saferplaces.web.jobs"
    label = "jobs"
    verbose_name = "Analyst tools and background jobs"
