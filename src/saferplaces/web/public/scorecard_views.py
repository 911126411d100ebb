"""Public Scorecard pages: the latest edition, the list of editions, each edition rendered from
its ``edition.json`` in the site's own templates, and the edition's immutable files.

Files are served only when the edition's manifest lists them (so no path a request makes up can
reach anything else), with a fixed content type per extension and ``nosniff``."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_safe

from ..datasource import EDITION_CONTENT_TYPES, EDITION_DOWNLOADS, EditionView, public_data


def _edition_page(request: HttpRequest, number: int, *, latest: bool) -> HttpResponse:
    data = public_data()
    edition = data.edition(number)
    if edition is None:
        raise Http404("no such edition")
    objectives_html = _objectives_html(number, edition)
    downloads = [
        (name, label) for name, label in EDITION_DOWNLOADS if data.edition_file(number, name)
    ]
    return render(
        request,
        "public/scorecard/edition.html",
        {
            "edition": edition,
            "latest": latest,
            "newest": data.editions()[0].number,
            "downloads": downloads,
            "verification": data.verify(number),
            "objectives_html": objectives_html,
        },
    )


_fragments: dict[tuple[str, int, int], str] = {}


def _objectives_html(number: int, edition: EditionView) -> SafeString:
    """The edition's objectives, indicators and areas as HTML, rendered once per process:
    editions are immutable, and this part of the page is the same for every visitor (the
    template escapes every value; no user-supplied HTML is ever marked safe)."""
    # Keyed on the view object too: a new edition (a correction) makes a new one.
    key = (public_data().workspace.root.as_posix(), number, id(edition))
    if key not in _fragments:
        _fragments[key] = render_to_string("public/scorecard/objectives.html", {"edition": edition})
    return mark_safe(_fragments[key])


@require_safe
def latest(request: HttpRequest) -> HttpResponse:
    editions = public_data().editions()
    if not editions:
        return render(request, "public/scorecard/none.html")
    return _edition_page(request, editions[0].number, latest=True)


@require_safe
def history(request: HttpRequest) -> HttpResponse:
    return render(request, "public/scorecard/history.html", {"editions": public_data().editions()})


@require_safe
def edition(request: HttpRequest, number: int) -> HttpResponse:
    return _edition_page(request, number, latest=False)


@require_safe
def edition_file(request: HttpRequest, number: int, name: str) -> FileResponse:
    path = public_data().edition_file(number, name)
    if path is None:
        raise Http404("no such file in this edition")
    content_type = EDITION_CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")
    # HTML and SVG are shown only as files the edition published (never user input); the
    # page's CSP still applies to them. Everything that is not a page or image is downloaded.
    inline = path.suffix.lower() in {".html", ".svg", ".css", ".pdf", ".json"}
    response = FileResponse(
        path.open("rb"),
        content_type=content_type,
        as_attachment=not inline,
        filename=f"scorecard-edition-{number}-{path.name}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Immutable: a correction is a new edition with a new URL.
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
