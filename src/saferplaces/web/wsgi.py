"""WSGI entry point: ``gunicorn saferplaces.web.wsgi`` with ``SAFERPLACES_WORKSPACE`` set
(see docs/web.md)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saferplaces.web.settings")

application = get_wsgi_application()
