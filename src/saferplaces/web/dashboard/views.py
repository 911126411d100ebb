"""The partnership dashboard. For now: monthly crime counts for the partnership's forces, the
first of the partner views described in the product brief."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from ..accounts.roles import Capability, require
from ..datasource import force_name, partner_data


@require_safe
@never_cache  # partner-only figures: never kept in a shared or browser cache
@require(Capability.VIEW_DASHBOARD)
def index(request: HttpRequest) -> HttpResponse:
    data = partner_data(request.user)
    forces = data.dashboard_forces()
    tables = [data.monthly_crimes(force) for force in forces]
    return render(
        request,
        "dashboard/index.html",
        {
            "tables": [t for t in tables if t is not None],
            "forces_without_data": [
                force_name(f) for f, t in zip(forces, tables, strict=True) if t is None
            ],
        },
    )
