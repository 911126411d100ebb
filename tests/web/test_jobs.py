"""The analyst tools' pages: uploads (size and type checks, names chosen by the server, nothing
stored when a file is refused), the publish confirmation step, rebuilds, area imports and peer
groups, job pages, permissions of the POST actions, CSRF and the audit log.

Which roles may GET each page is in test_security.py's matrix; the worker that runs the jobs
is tested in test_worker.py."""

from __future__ import annotations

import io
import re
import zipfile
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.test.client import encode_multipart
from django.utils import timezone
from tests.web.sample import SAMPLE

from saferplaces.geo.peers import load_peer_groups
from saferplaces.web.accounts.models import AuditEvent, User
from saferplaces.web.jobs.models import Job
from saferplaces.web.jobs.uploads import INCOMING, UPLOADS
from saferplaces.workspace import Workspace

pytestmark = pytest.mark.django_db

JANUARY = SAMPLE / "2018-01" / "2018-01-avon-and-somerset-street.csv"


def signed_in(role: str = "analyst") -> Client:
    client = Client()
    client.force_login(User.objects.create(email=f"{role}@example.org", role=role))
    return client


def text_of(response: Any) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def upload_file(name: str, data: bytes) -> io.BytesIO:
    f = io.BytesIO(data)
    f.name = name
    return f


def stored_folders(ws: Workspace) -> set[str]:
    root = ws.root / UPLOADS
    return {p.name for p in root.iterdir() if p.name != INCOMING} if root.exists() else set()


def incoming_files(ws: Workspace) -> list[Path]:
    folder = ws.root / UPLOADS / INCOMING
    return list(folder.iterdir()) if folder.exists() else []


# --- uploads -------------------------------------------------------------------------------


def test_upload_page_has_a_csrf_protected_multipart_form() -> None:
    response = signed_in().get("/analyst/upload/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "up to 2 GB in all" in text_of(response)
    assert "Avon and Somerset Constabulary, January 2018 to March 2018" in text_of(response)


def test_upload_without_csrf_token_is_refused(workspace: Workspace) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.create(email="a@example.org", role="analyst"))
    before = stored_folders(workspace)
    response = client.post("/analyst/upload/", {"files": upload_file(JANUARY.name, b"x")})
    assert response.status_code == 403
    assert not Job.objects.exists() and stored_folders(workspace) == before


@pytest.mark.parametrize("role", ["partner", "opcc", "parish_council", "public"])
def test_only_analysts_may_post(role: str, workspace: Workspace) -> None:
    client = signed_in(role)
    data = JANUARY.read_bytes()
    assert (
        client.post("/analyst/upload/", {"files": upload_file(JANUARY.name, data)}).status_code
        == 403
    )
    assert client.post("/analyst/rebuild/").status_code == 403
    assert (
        client.post("/analyst/publish/", {"levels": "force", "confirm": "yes"}).status_code == 403
    )
    assert client.post("/analyst/peer-groups/new/", {}).status_code == 403
    assert not Job.objects.exists()


def test_anonymous_post_is_sent_to_sign_in() -> None:
    response = Client().post("/analyst/rebuild/")
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/")
    assert not Job.objects.exists()


def test_a_police_uk_csv_is_stored_under_our_name_and_queued(workspace: Workspace) -> None:
    client = signed_in()
    response = client.post(
        "/analyst/upload/", {"files": upload_file(JANUARY.name, JANUARY.read_bytes())}
    )
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/analyst/jobs/{job.pk}/"
    assert job.kind == "ingest" and job.status == "queued"
    assert job.created_by_label == "analyst@example.org"
    folder = workspace.root / UPLOADS / job.params["upload"]
    assert re.fullmatch(r"[0-9a-f]{32}", job.params["upload"])
    (stored,) = job.params["files"]
    assert stored == {
        "original": JANUARY.name,
        "stored": JANUARY.name,
        "size": JANUARY.stat().st_size,
    }
    assert (folder / JANUARY.name).read_bytes() == JANUARY.read_bytes()
    assert incoming_files(workspace) == []  # moved, not copied
    (event,) = AuditEvent.objects.filter(kind="data_uploaded")
    assert event.actor_label == "analyst@example.org" and event.detail["job"] == job.pk
    assert event.detail["files"][0]["original"] == JANUARY.name

    page = client.get(response["Location"])
    assert "Waiting for the background worker" in text_of(page)
    assert f'hx-get="/analyst/jobs/{job.pk}/progress/"' in page.content.decode()
    assert "Refresh this page" in text_of(page)  # the no-JavaScript way to follow it


def test_the_client_name_never_becomes_a_path(workspace: Workspace) -> None:
    """A name with folders in it is cut to its last part by Django; the stored name is built
    from the month, force and kind the name declared, inside a folder we named."""
    body = encode_multipart(
        "BoUnDaRy",
        {
            "files": upload_file(
                "../../../2018-01-avon-and-somerset-street.csv", JANUARY.read_bytes()
            )
        },
    )
    response = signed_in().post(
        "/analyst/upload/", body, content_type="multipart/form-data; boundary=BoUnDaRy"
    )
    assert response.status_code == 302
    job = Job.objects.get()
    (stored,) = job.params["files"]
    assert stored["stored"] == "2018-01-avon-and-somerset-street.csv"
    assert (workspace.root / UPLOADS / job.params["upload"] / stored["stored"]).exists()
    assert not (workspace.root.parent / "2018-01-avon-and-somerset-street.csv").exists()


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_a_police_uk_zip_is_accepted() -> None:
    data = _zip({"2018-01/2018-01-avon-and-somerset-street.csv": JANUARY.read_bytes()})
    response = signed_in().post("/analyst/upload/", {"files": upload_file("archive.zip", data)})
    assert response.status_code == 302
    (stored,) = Job.objects.get().params["files"]
    assert stored["original"] == "archive.zip" and stored["stored"] == "police-uk-0.zip"


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("photo.png", PNG, "photo.png: not a zip archive or a police.uk CSV file"),
        (
            "crimes.csv",
            JANUARY.read_bytes(),
            "crimes.csv: file name is not a police.uk name like "
            "'2019-06-avon-and-somerset-street.csv'",
        ),
        (
            "2018-01-avon-and-somerset-street.csv",
            b"a,b,c\n1,2,3\n",
            "2018-01-avon-and-somerset-street.csv: wrong or missing header for a police.uk "
            "street file: header has 3 columns, expected 12",
        ),
        (
            "2018-01-avon-and-somerset-street.csv",
            PNG,
            "2018-01-avon-and-somerset-street.csv: not a CSV file (it contains binary data)",
        ),
        (
            "2018-01-avon-and-somerset-street.csv",
            JANUARY.read_bytes()[:-1],
            "the file does not end with a line break: it looks truncated",
        ),
        (
            "2018-01-nowhere-street.csv",
            JANUARY.read_bytes(),
            "2018-01-nowhere-street.csv: unknown force slug 'nowhere' in the file name",
        ),
        ("holiday.zip", _zip({"beach.jpg": PNG}), "holiday.zip: the zip holds no police.uk CSV"),
        ("broken.zip", b"PK\x03\x04" + b"\x00" * 40, "broken.zip: not a readable zip archive"),
        ("empty.zip", _zip({}), "empty.zip: the zip archive is empty"),
    ],
)
def test_files_of_the_wrong_type_are_refused_with_the_reason(
    name: str, data: bytes, message: str, workspace: Workspace
) -> None:
    before = stored_folders(workspace)
    response = signed_in().post("/analyst/upload/", {"files": upload_file(name, data)})
    assert response.status_code == 400
    assert message in text_of(response)
    assert "There is a problem" in text_of(response)
    assert not Job.objects.exists()
    assert stored_folders(workspace) == before
    assert incoming_files(workspace) == []


def test_one_bad_file_refuses_the_whole_upload(workspace: Workspace) -> None:
    before = stored_folders(workspace)
    response = signed_in().post(
        "/analyst/upload/",
        {"files": [upload_file(JANUARY.name, JANUARY.read_bytes()), upload_file("x.png", PNG)]},
    )
    assert response.status_code == 400 and "x.png: not a zip archive" in text_of(response)
    assert not Job.objects.exists() and stored_folders(workspace) == before


def test_two_files_for_the_same_month_are_refused() -> None:
    data = JANUARY.read_bytes()
    response = signed_in().post(
        "/analyst/upload/",
        {"files": [upload_file(JANUARY.name, data), upload_file(JANUARY.name, data)]},
    )
    assert response.status_code == 400
    assert "are the same police.uk file kind, force and month" in text_of(response)


def test_no_file_chosen() -> None:
    response = signed_in().post("/analyst/upload/", {})
    assert response.status_code == 400 and "Choose at least one file" in text_of(response)


def test_uploads_over_the_limit_are_refused_and_not_kept(
    settings: Any, workspace: Workspace
) -> None:
    settings.SAFERPLACES_UPLOAD_MAX_MB = 1
    before = stored_folders(workspace)
    client = signed_in()
    # Announced as too big (Content-Length): skipped without writing a byte.
    big = upload_file("2018-01-avon-and-somerset-street.csv", b"x" * (3 << 20))
    response = client.post("/analyst/upload/", {"files": big})
    assert response.status_code == 400
    assert (
        "2018-01-avon-and-somerset-street.csv is larger than the upload limit of 1 MB"
        in text_of(response)
    )
    # Under the announced size but over the limit once counted: the second file passes it.
    first = upload_file(JANUARY.name, JANUARY.read_bytes())
    second = upload_file("2018-02-avon-and-somerset-street.csv", b"y" * (1 << 20))
    response = client.post("/analyst/upload/", {"files": [first, second]})
    assert response.status_code == 400
    assert "2018-02-avon-and-somerset-street.csv is larger than the upload limit" in text_of(
        response
    )
    assert not Job.objects.exists()
    assert stored_folders(workspace) == before
    assert incoming_files(workspace) == []


# --- rebuild and publish -------------------------------------------------------------------


def test_rebuild_is_queued_as_a_job() -> None:
    client = signed_in()
    assert "Start the rebuild" in text_of(client.get("/analyst/rebuild/"))
    response = client.post("/analyst/rebuild/")
    job = Job.objects.get()
    assert job.kind == "rebuild" and response["Location"] == f"/analyst/jobs/{job.pk}/"


def test_publish_asks_for_confirmation_then_queues_and_audits() -> None:
    client = signed_in()
    form = client.get("/analyst/publish/")
    assert "latest is edition 2" in text_of(form)
    data = {"levels": "force, lad", "note": "Board, March"}
    confirm = client.post("/analyst/publish/", data)
    text = text_of(confirm)
    assert confirm.status_code == 200 and "Publish edition 3?" in text
    assert "can never be changed or withdrawn" in text
    assert "January 2018 to March 2018" in text and "Board, March" in text
    assert not Job.objects.exists()  # nothing happens before the confirmation

    response = client.post("/analyst/publish/", {**data, "levels": "force,lad", "confirm": "yes"})
    job = Job.objects.get()
    assert response["Location"] == f"/analyst/jobs/{job.pk}/"
    assert job.kind == "publish"
    assert job.params == {"levels": ["force", "lad"], "note": "Board, March", "corrects": None}
    (event,) = AuditEvent.objects.filter(kind="publish_requested")
    assert event.actor_label == "analyst@example.org" and event.detail["job"] == job.pk

    # A second publication while one is waiting is refused (a double click publishes once).
    again = client.post("/analyst/publish/", {**data, "confirm": "yes"})
    assert again.status_code == 409 and "An edition is being published now" in text_of(again)
    assert Job.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"levels": "force", "corrects": "1"}, "A correction needs a note"),
        ({"levels": "force", "corrects": "7"}, "Select a valid choice"),
        ({"levels": "Force; DROP"}, "Enter an area level name"),
        ({"levels": " , "}, "Enter at least one area level"),
    ],
)
def test_publish_form_errors(data: dict[str, str], message: str) -> None:
    response = signed_in().post("/analyst/publish/", {**data, "confirm": "yes"})
    assert response.status_code == 400 and message in text_of(response)
    assert not Job.objects.exists()


# --- job pages -----------------------------------------------------------------------------


def test_progress_fragment_polls_while_running_and_stops_when_finished() -> None:
    job = Job.objects.create(
        kind="ingest",
        status="running",
        stage="Loading into the lake",
        files_done=2,
        files_total=5,
        rows_done=800,
        heartbeat_at=timezone.now(),
        params={"upload": "0" * 32, "files": [{"original": "a.zip", "stored": "x", "size": 1}]},
    )
    client = signed_in()
    fragment = client.get(f"/analyst/jobs/{job.pk}/progress/")
    html = fragment.content.decode()
    assert 'hx-trigger="every 2s"' in html and '<progress id="job-bar"' in html
    assert 'value="40"' in html
    assert "Loading into the lake: 2 of 5 files, 800 rows loaded" in text_of(fragment)
    assert "<html" not in html  # a fragment, not a page

    Job.objects.filter(pk=job.pk).update(
        status="succeeded",
        finished_at=timezone.now(),
        result={
            "ok": False,
            "counts": {"loaded": 1, "replaced": 0, "unchanged": 0, "rejected": 1},
            "rows_kept": 399,
            "rows_rejected": 1,
            "files": [
                {"source": "a.zip!2018-01/2018-01-avon-and-somerset-street.csv",
                 "status": "loaded", "rows_kept": 399, "rows_rejected": 1, "reason": None},
                {"source": "a.zip!2018-02/2018-02-avon-and-somerset-street.csv",
                 "status": "rejected", "rows_kept": 0, "rows_rejected": 0, "line": 1,
                 "reason": "wrong or missing header"},
            ],
            "files_total": 2,
            "rejected_rows": [{"file": "a.zip!2018-01/x.csv", "line": "7",
                               "reason": "longitude is not a number", "raw": "abc"}],
            "rejected_rows_total": 1,
            "marts_rebuilt": 0,
        },
    )  # fmt: skip
    page = client.get(f"/analyst/jobs/{job.pk}/")
    html, text = page.content.decode(), text_of(page)
    assert "hx-get" not in html
    assert "1 file and 1 row were rejected" in text
    assert "line 1: wrong or missing header" in text
    assert "longitude is not a number" in text
    assert "a.zip (1 byte)" in text


def test_failed_and_stale_jobs_say_so() -> None:
    client = signed_in()
    failed = Job.objects.create(kind="publish", status="failed", error="edition 9 does not exist")
    assert "This job failed edition 9 does not exist" in text_of(
        client.get(f"/analyst/jobs/{failed.pk}/")
    )
    stale = Job.objects.create(
        kind="rebuild", status="running", heartbeat_at=timezone.now() - timezone.timedelta(hours=1)
    )
    assert "it may have stopped" in text_of(client.get(f"/analyst/jobs/{stale.pk}/"))
    assert client.get("/analyst/jobs/999999/").status_code == 404


def test_how_long_a_job_took() -> None:
    start = timezone.now()
    took = [
        Job(started_at=start, finished_at=start + timezone.timedelta(seconds=s)).took
        for s in (0.4, 1, 65, 120)
    ]
    assert took == ["0 seconds", "1 second", "1 minute 5 seconds", "2 minutes"]
    assert Job().took == ""


def test_index_lists_recent_jobs() -> None:
    Job.objects.create(kind="rebuild", created_by_label="ann@example.org")
    text = text_of(signed_in().get("/analyst/"))
    assert "Rebuild the base mart Waiting to start ann@example.org" in text


# --- areas and peer groups -----------------------------------------------------------------

SQUARES = b"""{"type": "FeatureCollection", "features": [
 {"type": "Feature", "properties": {"code": "W1", "name": "One"},
  "geometry": {"type": "Polygon", "coordinates": [[[-2.6, 51.45], [-2.59, 51.45],
   [-2.59, 51.46], [-2.6, 51.46], [-2.6, 51.45]]]}}]}"""


def test_area_boundaries_are_uploaded_as_a_job(workspace: Workspace) -> None:
    client = signed_in()
    data = {"level": "ward", "code_field": "code", "name_field": "name", "merge": "on"}
    response = client.post(
        "/analyst/areas/", {**data, "file": upload_file("wards.geojson", SQUARES)}
    )
    job = Job.objects.get()
    assert response["Location"] == f"/analyst/jobs/{job.pk}/"
    assert job.kind == "import_areas" and job.params["level"] == "ward" and job.params["merge"]
    assert job.params["files"][0]["stored"] == "ward.geojson"
    assert AuditEvent.objects.filter(kind="data_uploaded").count() == 1


@pytest.mark.parametrize(
    ("data", "file", "message"),
    [
        ({"level": "ward"}, ("wards.shp", b"\x00\x00'\n"), "wards.shp: not a GeoJSON file"),
        ({"level": "ward"}, ("wards.json", b"<html>"), "does not start with a JSON object"),
        ({"level": "Ward 1"}, ("wards.json", SQUARES), "Enter an area level name"),
        ({"level": "ward"}, None, "Choose a GeoJSON file"),
    ],
)
def test_area_upload_errors(data: dict[str, str], file: Any, message: str) -> None:
    if file is not None:
        data = {**data, "file": upload_file(*file)}
    response = signed_in().post("/analyst/areas/", data)
    assert response.status_code == 400 and message in text_of(response)
    assert not Job.objects.exists()


@pytest.fixture
def no_peer_groups(workspace: Workspace) -> Any:
    path = workspace.root / "peer_groups.toml"
    saved = path.read_bytes() if path.exists() else None
    path.unlink(missing_ok=True)
    yield workspace
    path.unlink(missing_ok=True)
    if saved is not None:
        path.write_bytes(saved)


def test_peer_groups_are_created_changed_and_deleted(no_peer_groups: Workspace) -> None:
    ws, client = no_peer_groups, signed_in()
    assert "No peer groups yet" in text_of(client.get("/analyst/peer-groups/"))
    data = {
        "name": "msg 2024",
        "level": "lad",
        "members": "E06000023\nE06000022, E06000024",
        "description": "Most similar",
        "source": "iQuanta",
    }
    response = client.post("/analyst/peer-groups/new/", data)
    assert response.status_code == 302
    (group,) = load_peer_groups(ws.root)
    assert group.members == ["E06000023", "E06000022", "E06000024"]
    listing = text_of(client.get("/analyst/peer-groups/"))
    assert "Saved peer group ‘msg 2024’ (3 members)" in listing
    assert "msg 2024 lad E06000023, E06000022, E06000024 Most similar (source: iQuanta)" in listing

    # A name in use is refused rather than overwritten.
    again = client.post("/analyst/peer-groups/new/", data)
    assert again.status_code == 400 and "already exists" in text_of(again)

    edit = client.get("/analyst/peer-groups/msg%202024/edit/")
    assert "E06000022" in edit.content.decode()
    # The name is fixed: a changed name in the form is ignored.
    response = client.post(
        "/analyst/peer-groups/msg%202024/edit/",
        {**data, "name": "renamed", "members": "E06000023 E06000025"},
    )
    assert response.status_code == 302
    (group,) = load_peer_groups(ws.root)
    assert (group.name, group.members) == ("msg 2024", ["E06000023", "E06000025"])

    assert "Delete peer group ‘msg 2024’?" in text_of(
        client.get("/analyst/peer-groups/msg%202024/delete/")
    )
    assert client.post("/analyst/peer-groups/msg%202024/delete/").status_code == 302
    assert load_peer_groups(ws.root) == []
    assert client.get("/analyst/peer-groups/msg%202024/edit/").status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "g", "level": "lad", "members": "E06000023"}, "needs at least two members"),
        ({"name": "g", "level": "lad", "members": "A A"}, "lists A more than once"),
        ({"name": "bad/name", "level": "lad", "members": "A B"}, "use letters, digits"),
        ({"name": "g", "level": "LAD", "members": "A B"}, "Enter an area level name"),
    ],
)
def test_peer_group_errors(no_peer_groups: Workspace, data: dict[str, str], message: str) -> None:
    response = signed_in().post("/analyst/peer-groups/new/", data)
    assert response.status_code == 400 and message in text_of(response)
    assert load_peer_groups(no_peer_groups.root) == []
