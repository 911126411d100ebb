"""What every page needs: the partnership's name, the navigation for this user, contact email."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from .accounts.roles import Capability, can, role_of
from .datasource import partnership_name


def site(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    here = request.path
    nav: list[dict[str, Any]] = [
        {"text": "Home", "href": reverse("public:home")},
        {"text": "Find your area", "href": reverse("public:areas")},
        {"text": "Scorecard", "href": reverse("public:scorecard")},
        {"text": "Open data", "href": reverse("public:downloads")},
        {"text": "Data and caveats", "href": reverse("public:data")},
    ]
    if can(user, Capability.VIEW_DASHBOARD):
        nav.append({"text": "Dashboard", "href": reverse("dashboard:index")})
    if can(user, Capability.ANALYSE):
        nav.append({"text": "Analyst tools", "href": reverse("analyst:index")})
    if can(user, Capability.MANAGE_USERS):
        nav.append({"text": "Administration", "href": reverse("admin:index")})
    # The current item is the one whose address is the longest start of this page's
    # (/data/downloads/ is "Open data", not "Data and caveats").
    matches = [
        i["href"]
        for i in nav
        if here == i["href"] or (i["href"] != "/" and here.startswith(i["href"]))
    ]
    best = max(matches, key=len, default=None)
    for item in nav:
        item["current"] = item["href"] == best
    return {
        "partnership_name": partnership_name(),
        "navigation": nav,
        "user_role": role_of(user),
        "contact_email": settings.SAFERPLACES_CONTACT_EMAIL,
    }
