"""Analyst tools: upload police.uk data, rebuild, publish an edition, follow a job.

Views check what the analyst sent and queue a job; the worker does the work. Pages are
``never_cache``: they show a workspace's state that changes under them.
"""

from __future__ import annotations

from typing import Any

from django.db import router, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from ..accounts import audit
from ..accounts.roles import Capability, can, require
from ..datasource import public_data, workspace
from . import queue, uploads
from .forms import PublishForm
from .models import Job

RECENT_JOBS = 25


@require_safe
@never_cache
@require(Capability.ANALYSE)
def index(request: HttpRequest) -> HttpResponse:
    jobs = Job.objects.all()[:RECENT_JOBS]
    return render(
        request,
        "jobs/index.html",
        {"jobs": jobs, "can_publish": can(request.user, Capability.PUBLISH)},
    )


@require_safe
@never_cache
@require(Capability.ANALYSE)
def job(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "jobs/job.html", {"job": get_object_or_404(Job, pk=pk)})


@require_safe
@never_cache
@require(Capability.ANALYSE)
def progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The part of the job's page that changes, for htmx to swap in every few seconds."""
    return render(request, "jobs/_progress.html", {"job": get_object_or_404(Job, pk=pk)})


def _upload_page(request: HttpRequest, errors: list[str], status: int = 200) -> HttpResponse:
    return render(
        request,
        "jobs/upload.html",
        {
            "errors": errors,
            "limit": uploads.limit_text(),
            "coverage": public_data().coverage(),
        },
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@require(Capability.ANALYSE)
def upload(request: HttpRequest) -> HttpResponse:
    """police.uk zips or CSVs → checked, stored under our names → an ingest job."""
    if request.method != "POST":
        return _upload_page(request, [])
    errors = [f"{name} {reason}" for name, reason in uploads.upload_problems(request)]
    files = request.FILES.getlist("files")
    if not files and not errors:
        errors.append("Choose at least one file to upload")
    ws = workspace()
    checked: list[tuple[Any, str]] = []
    for i, uploaded in enumerate(files):
        try:
            checked.append(
                (uploaded, uploads.policeuk_name(uploaded, i, ws.config.ingest.max_line_bytes))
            )
        except uploads.UploadRejected as exc:
            errors.append(str(exc))
    if not errors:
        try:
            folder, stored = uploads.store(checked, ws)
        except uploads.UploadRejected as exc:
            errors.append(str(exc))
    if errors:
        # Nothing is stored and no job made: the lake is untouched.
        return _upload_page(request, errors, status=400)
    params = {"upload": folder, "files": [vars(f) for f in stored]}
    with transaction.atomic(using=router.db_for_write(Job)):
        new = queue.enqueue(Job.Kind.INGEST, params, request.user)
        audit.record(
            audit.EventKind.DATA_UPLOADED,
            subject_label="police.uk data",
            detail={"job": new.pk, "files": params["files"]},
        )
    return redirect("analyst:job", pk=new.pk)


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@require(Capability.ANALYSE)
def rebuild(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "jobs/rebuild.html")
    new = queue.enqueue(Job.Kind.REBUILD, {}, request.user)
    return redirect("analyst:job", pk=new.pk)


def _publishing_now() -> Job | None:
    active = [Job.Status.QUEUED, Job.Status.RUNNING]
    found: Job | None = Job.objects.filter(kind=Job.Kind.PUBLISH, status__in=active).first()
    return found


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@require(Capability.PUBLISH)
def publish(request: HttpRequest) -> HttpResponse:
    """A form, then a confirmation page (an edition can never be withdrawn), then a job."""
    data = public_data()
    editions = data.editions()
    form = PublishForm(
        request.POST if request.method == "POST" else None,
        editions=[e.number for e in editions],
    )
    busy = _publishing_now()
    context: dict[str, Any] = {"form": form, "busy": busy, "editions": editions}
    if request.method != "POST" or not form.is_valid():
        return render(request, "jobs/publish.html", context, status=400 if form.errors else 200)
    if busy is not None:
        return render(request, "jobs/publish.html", context, status=409)
    params = {
        "levels": form.cleaned_data["levels"],
        "note": form.cleaned_data["note"],
        "corrects": form.cleaned_data["corrects"],
    }
    if request.POST.get("confirm") != "yes":
        context.update(
            params=params,
            levels_text=",".join(params["levels"]),
            next_number=(max((e.number for e in editions), default=0) + 1),
            coverage=data.coverage(),
        )
        return render(request, "jobs/publish_confirm.html", context)
    with transaction.atomic(using=router.db_for_write(Job)):
        # Checked again inside the transaction (on SQLite it holds the write lock): two
        # confirmations sent at once must not publish two editions.
        busy = _publishing_now()
        if busy is not None:
            context["busy"] = busy
            return render(request, "jobs/publish.html", context, status=409)
        new = queue.enqueue(Job.Kind.PUBLISH, params, request.user)
        audit.record(
            audit.EventKind.PUBLISH_REQUESTED,
            subject_label="Scorecard edition",
            detail={**params, "job": new.pk},
        )
    return redirect("analyst:job", pk=new.pk)
