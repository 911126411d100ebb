"""Public pages. They read the lake only through :func:`~saferplaces.web.datasource.public_data`,
which cannot return partner-only figures."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from ..datasource import public_data


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    data = public_data()
    return render(request, "public/home.html", {"coverage": data.coverage()})


@require_safe
def data_and_caveats(request: HttpRequest) -> HttpResponse:
    return render(request, "public/data.html")


@require_safe
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "public/accessibility.html")


@require_safe
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """For a load balancer: 200 when the app can reach its database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok\n", content_type="text/plain")
