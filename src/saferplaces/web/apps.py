"""Django's admin, served by :class:`SaferPlacesAdminSite` (its default-site hook is the
documented way to replace ``admin.site`` so that third-party apps register on ours)."""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class SaferPlacesAdminConfig(AdminConfig):
    default_site = "saferplaces.web.admin_site.SaferPlacesAdminSite"
