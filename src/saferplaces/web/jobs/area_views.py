"""Analyst tools for areas: import a boundary file (as a job) and manage peer groups (a small
workspace file, changed in the request through the datasource seam)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import router, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from ...errors import SaferPlacesError
from ..accounts import audit
from ..accounts.roles import Capability, require
from ..datasource import analyst_data, workspace
from . import queue, uploads
from .forms import AreaImportForm, PeerGroupForm
from .models import Job


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@require(Capability.ANALYSE)
def areas(request: HttpRequest) -> HttpResponse:
    """The stored area levels, and a form importing a GeoJSON boundary file as a job."""
    posted = request.method == "POST"
    form = AreaImportForm(request.POST if posted else None)
    errors: list[str] = []
    if posted:
        errors = [f"{name} {reason}" for name, reason in uploads.upload_problems(request)]
        uploaded = request.FILES.get("file")
        if uploaded is None and not errors:
            errors.append("Choose a GeoJSON file to upload")
        if form.is_valid() and uploaded is not None and not errors:
            level = form.cleaned_data["level"]
            try:
                name = uploads.boundary_name(uploaded, level)
                folder, stored = uploads.store([(uploaded, name)], workspace())
            except uploads.UploadRejected as exc:
                errors.append(str(exc))
            else:
                params = {**form.cleaned_data, "upload": folder, "files": [vars(stored[0])]}
                with transaction.atomic(using=router.db_for_write(Job)):
                    new = queue.enqueue(Job.Kind.IMPORT_AREAS, params, request.user)
                    audit.record(
                        audit.EventKind.DATA_UPLOADED,
                        subject_label=f"area boundaries ({level})",
                        detail={"job": new.pk, "level": level, "files": params["files"]},
                    )
                return redirect("analyst:job", pk=new.pk)
    context = {
        "form": form,
        "errors": errors,
        "levels": analyst_data(request.user).area_levels(),
        "limit": uploads.limit_text(),
    }
    status = 400 if posted and (errors or form.errors) else 200
    return render(request, "jobs/areas.html", context, status=status)


@require_safe
@never_cache
@require(Capability.ANALYSE)
def peer_groups(request: HttpRequest) -> HttpResponse:
    try:
        groups = analyst_data(request.user).peer_groups()
        problem = ""
    except SaferPlacesError as exc:  # a hand-edited peer_groups.toml that does not parse
        groups, problem = [], str(exc)
    return render(request, "jobs/peer_groups.html", {"groups": groups, "problem": problem})


def _save_group(request: HttpRequest, form: PeerGroupForm, *, replace: bool) -> bool:
    from ...geo.peers import PeerGroup

    if not form.is_valid():
        return False
    d = form.cleaned_data
    group = PeerGroup(d["name"], d["level"], d["members"], d["description"], d["source"])
    try:
        analyst_data(request.user).save_peer_group(group, replace=replace)
    except (ValueError, SaferPlacesError) as exc:
        form.add_error(None, str(exc))
        return False
    messages.success(request, f"Saved peer group ‘{group.name}’ ({len(d['members'])} members).")
    return True


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@require(Capability.ANALYSE)
def peer_group_new(request: HttpRequest) -> HttpResponse:
    form = PeerGroupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and _save_group(request, form, replace=False):
        return redirect("analyst:peer_groups")
    status = 400 if form.errors else 200
    return render(request, "jobs/peer_group_form.html", {"form": form, "new": True}, status=status)


def _group(request: HttpRequest, name: str) -> Any:
    group = analyst_data(request.user).peer_group(name)
    if group is None:
        raise Http404(f"no peer group named {name!r}")
    return group


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@require(Capability.ANALYSE)
def peer_group_edit(request: HttpRequest, name: str) -> HttpResponse:
    group = _group(request, name)
    if request.method == "POST":
        # The name identifies the group: it is shown, not edited (delete and add to rename).
        form = PeerGroupForm({**request.POST.dict(), "name": group.name})
        if _save_group(request, form, replace=True):
            return redirect("analyst:peer_groups")
    else:
        form = PeerGroupForm(
            initial={
                "name": group.name,
                "level": group.level,
                "members": "\n".join(group.members),
                "description": group.description,
                "source": group.source,
            }
        )
    form.fields["name"].disabled = True
    status = 400 if form.errors else 200
    context = {"form": form, "new": False, "group": group}
    return render(request, "jobs/peer_group_form.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@require(Capability.ANALYSE)
def peer_group_delete(request: HttpRequest, name: str) -> HttpResponse:
    group = _group(request, name)
    if request.method == "POST":
        analyst_data(request.user).delete_peer_group(group.name)
        messages.success(request, f"Deleted peer group ‘{group.name}’.")
        return redirect("analyst:peer_groups")
    return render(request, "jobs/peer_group_delete.html", {"group": group})
