"""The SaferPlaces web app: a Django project serving one workspace.

Views reach the lake only through :mod:`saferplaces.web.datasource`; decisions and workflow
(organisations, users, roles, the audit log) live in the application database through the ORM.
Deployment and roles are described in ``docs/web.md``.

Django is an optional dependency (the ``web`` extra), so nothing here imports it at module level:
``import saferplaces`` keeps working without it.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["SETTINGS_MODULE", "setup"]

SETTINGS_MODULE = "saferplaces.web.settings"


def setup(workspace: str | Path, settings_module: str = SETTINGS_MODULE) -> None:
    """Configure Django for ``workspace`` in this process (once) and load the apps.

    Raises :class:`~saferplaces.errors.SaferPlacesError` when the ``web`` extra is missing or
    Django is already configured for another workspace (settings are process-wide)."""
    from ..errors import SaferPlacesError

    try:
        import django
        from django.conf import settings
    except ImportError:  # pragma: no cover - depends on the environment
        raise SaferPlacesError(
            "the web app needs the 'web' extra: pip install 'saferplaces[web]'"
        ) from None
    root = str(Path(workspace).resolve())
    if settings.configured:
        if root != settings.SAFERPLACES_WORKSPACE:
            raise SaferPlacesError(
                f"the web app is already set up for {settings.SAFERPLACES_WORKSPACE}, not {root}"
            )
    else:
        os.environ["SAFERPLACES_WORKSPACE"] = root
        os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    django.setup()
