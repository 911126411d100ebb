from __future__ import annotations

from django.urls import path

from . import area_views, views

app_name = "analyst"
urlpatterns = [
    path("", views.index, name="index"),
    path("upload/", views.upload, name="upload"),
    path("rebuild/", views.rebuild, name="rebuild"),
    path("publish/", views.publish, name="publish"),
    path("jobs/<int:pk>/", views.job, name="job"),
    path("jobs/<int:pk>/progress/", views.progress, name="job_progress"),
    path("areas/", area_views.areas, name="areas"),
    path("peer-groups/", area_views.peer_groups, name="peer_groups"),
    path("peer-groups/new/", area_views.peer_group_new, name="peer_group_new"),
    path("peer-groups/<str:name>/edit/", area_views.peer_group_edit, name="peer_group_edit"),
    path("peer-groups/<str:name>/delete/", area_views.peer_group_delete, name="peer_group_delete"),
]
