from __future__ import annotations

from django.urls import path

from . import drill, indicators, maps, views

app_name = "dashboard"
urlpatterns = [
    path("", views.index, name="index"),
    path("indicators/", indicators.indicators, name="indicators"),
    path("indicators/export.csv", indicators.export, {"fmt": "csv"}, name="export_csv"),
    path("indicators/export.xlsx", indicators.export, {"fmt": "xlsx"}, name="export_xlsx"),
    path("indicators/charts/<slug:indicator>.svg", indicators.chart, name="chart"),
    path("hotspots/", maps.hotspots, name="hotspots"),
    path("hotspots.geojson", maps.hotspots_geojson, name="hotspots_geojson"),
    path("areas/", drill.start, name="drill_start"),
    path("areas/<slug:level>/<str:code>/", drill.area, name="drill"),
    path(
        "areas/<slug:level>/<str:code>/export.csv",
        drill.export,
        {"fmt": "csv"},
        name="drill_export_csv",
    ),
    path(
        "areas/<slug:level>/<str:code>/export.xlsx",
        drill.export,
        {"fmt": "xlsx"},
        name="drill_export_xlsx",
    ),
]
