from __future__ import annotations

from django.urls import path

from . import scorecard_views, views

app_name = "public"
urlpatterns = [
    path("", views.home, name="home"),
    path("data/", views.data_and_caveats, name="data"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("healthz", views.healthz, name="healthz"),
    path("scorecard/", scorecard_views.latest, name="scorecard"),
    path("scorecard/editions/", scorecard_views.history, name="scorecard_history"),
    path("scorecard/editions/<int:number>/", scorecard_views.edition, name="scorecard_edition"),
    path(
        "scorecard/editions/<int:number>/files/<path:name>",
        scorecard_views.edition_file,
        name="scorecard_file",
    ),
]
