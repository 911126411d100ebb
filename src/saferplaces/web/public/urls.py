from __future__ import annotations

from django.urls import path

from . import area_views, download_views, scorecard_views, views

app_name = "public"
urlpatterns = [
    path("", views.home, name="home"),
    path("data/", views.data_and_caveats, name="data"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("healthz", views.healthz, name="healthz"),
    path("areas/", area_views.finder, name="areas"),
    path("areas/<slug:level>/<str:code>/", area_views.area, name="area"),
    path("areas/<slug:level>/<str:code>/chart.svg", area_views.chart, name="area_chart"),
    path("briefings/<slug:level>/<path:name>", area_views.briefing_file, name="briefing_file"),
    path("data/downloads/", download_views.downloads, name="downloads"),
    path(
        "data/downloads/<slug:level>/counts.csv",
        download_views.counts_csv,
        name="download_counts_csv",
    ),
    path(
        "data/downloads/<slug:level>/counts.csv-metadata.json",
        download_views.counts_csvw,
        name="download_counts_csvw",
    ),
    path(
        "data/downloads/<slug:level>/counts.json",
        download_views.counts_json,
        name="download_counts_json",
    ),
    path(
        "data/downloads/<slug:level>/counts.geojson",
        download_views.counts_geojson,
        name="download_counts_geojson",
    ),
    path(
        "data/downloads/<slug:level>/boundaries.geojson",
        download_views.boundaries,
        name="download_boundaries",
    ),
    path("scorecard/", scorecard_views.latest, name="scorecard"),
    path("scorecard/editions/", scorecard_views.history, name="scorecard_history"),
    path("scorecard/editions/<int:number>/", scorecard_views.edition, name="scorecard_edition"),
    path(
        "scorecard/editions/<int:number>/files/<path:name>",
        scorecard_views.edition_file,
        name="scorecard_file",
    ),
]
