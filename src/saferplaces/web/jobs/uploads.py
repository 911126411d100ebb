"""Uploads: streamed to disk under a size limit, type-checked, stored under names we choose.

Every uploaded file streams into a temporary file in the workspace's ``uploads/.incoming``
folder (never into memory, never into /tmp, which may be RAM). Once a request's files pass
``SAFERPLACES_UPLOAD_MAX_MB``, the rest is read and thrown away and the reason is noted on the
request, so the page can say which file was too big (refusing the request outright would
also lose the form's CSRF token and give a bare error page). Accepted files are moved into a
folder of their own, named by the server: a police.uk CSV after the force, month and kind its
own name declared (checked first), a zip as ``police-uk-N.zip``; the client's name is only
ever displayed.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.move import file_move_safe
from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile
from django.core.files.uploadhandler import SkipFile, TemporaryFileUploadHandler

from ...errors import InputError
from ...sources.policeuk_archive import NAME_RE, parse_name, vet_file
from ...workspace import Workspace

UPLOADS = "uploads"
INCOMING = ".incoming"
_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP = b"PK\x05\x06"
#: Room for the form's other fields and the multipart framing around the files.
_FRAMING_BYTES = 1 << 20


def upload_root(ws: Workspace) -> Path:
    return ws.root / UPLOADS


def incoming_dir() -> Path:
    """Where uploads stream to: in the workspace, so that storing one is a rename."""
    path = Path(settings.SAFERPLACES_WORKSPACE) / UPLOADS / INCOMING
    path.mkdir(parents=True, exist_ok=True)
    return path


def upload_folder(ws: Workspace, folder: str) -> Path:
    """The folder of one upload. ``folder`` comes from the job's parameters, so it is checked
    to be one of our own names (32 hex digits) before it becomes a path."""
    if len(folder) != 32 or any(c not in "0123456789abcdef" for c in folder):
        raise ValueError(f"not an upload folder name: {folder!r}")
    return upload_root(ws) / folder


def remove_upload(ws: Workspace, params: dict[str, Any]) -> None:
    """Delete a job's uploaded files (the lake or the area store keeps what was loaded)."""
    folder = params.get("upload")
    if isinstance(folder, str):
        shutil.rmtree(upload_folder(ws, folder), ignore_errors=True)


def sweep_incoming(ws: Workspace, older_than_s: float = 86400) -> int:
    """Delete temporary uploads a killed web server left behind (a live upload's file is
    written to continuously, so a day-old one is abandoned). Returns how many."""
    import time

    folder = upload_root(ws) / INCOMING
    if not folder.exists():
        return 0
    cutoff = time.time() - older_than_s
    old = [p for p in folder.iterdir() if p.is_file() and p.stat().st_mtime < cutoff]
    for p in old:
        p.unlink(missing_ok=True)
    return len(old)


def limit_bytes() -> int:
    return int(settings.SAFERPLACES_UPLOAD_MAX_MB) * 1024 * 1024


def limit_text() -> str:
    mb = int(settings.SAFERPLACES_UPLOAD_MAX_MB)
    return f"{mb // 1024:,} GB" if mb % 1024 == 0 else f"{mb:,} MB"


def upload_problems(request: Any) -> list[tuple[str, str]]:
    """(file name, reason) for each file the upload handler refused."""
    request.FILES  # noqa: B018 - the body is parsed (and the problems found) on first use
    return list(getattr(request, "saferplaces_upload_problems", []))


class IncomingFile(TemporaryUploadedFile):
    """Django's temporary upload, made in :func:`incoming_dir` (Django's own setting for the
    folder would have to exist before the app starts, and the workspace may be new)."""

    def __init__(self, name: str, content_type: str, charset: str | None, extra: Any) -> None:
        # Not a with block: the uploaded file owns it (closing it deletes it, as in Django).
        file = tempfile.NamedTemporaryFile(suffix=".upload", dir=incoming_dir())  # noqa: SIM115
        UploadedFile.__init__(self, file, name, content_type, 0, charset, extra)


class LimitedUploadHandler(TemporaryFileUploadHandler):
    """Streams files to temporary files in the workspace; skips any past the size limit."""

    def handle_raw_input(
        self, input_data: Any, META: Any, content_length: int, boundary: Any, encoding: Any = None
    ) -> None:
        self.limit = limit_bytes()
        self.received = 0
        # A request announcing more than the limit is skipped without writing a byte.
        self.over = bool(content_length and content_length > self.limit + _FRAMING_BYTES)
        self.request.saferplaces_upload_problems = []

    def _refuse(self, name: str | None) -> None:
        problem = (name or "a file", f"is larger than the upload limit of {limit_text()}")
        problems = self.request.saferplaces_upload_problems
        if problem not in problems:
            problems.append(problem)
        # Django's parser closes the handler's current file when a file is skipped: let go of
        # the previous, complete one so that it is not closed (and deleted) with it.
        self.__dict__.pop("file", None)
        raise SkipFile

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        if self.over or self.received >= self.limit:
            self.file_name = args[1] if len(args) > 1 else kwargs.get("file_name")
            self._refuse(self.file_name)
        super(TemporaryFileUploadHandler, self).new_file(*args, **kwargs)
        self.file = IncomingFile(
            self.file_name or "file", self.content_type, self.charset, self.content_type_extra
        )

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.file.close()  # deletes the partial temporary file
            self._refuse(self.file_name)
        super().receive_data_chunk(raw_data, start)


class UploadRejected(Exception):
    """A file that is not what the form accepts; ``str()`` names the file and the reason."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


@dataclass(frozen=True)
class StoredFile:
    original: str  # the client's name, for display only
    stored: str  # our name inside the upload folder
    size: int


def _head(uploaded: Any, n: int) -> bytes:
    uploaded.seek(0)
    data: bytes = uploaded.read(n)
    uploaded.seek(0)
    return data


def _temporary_path(uploaded: Any) -> Path:
    # Every upload is a TemporaryUploadedFile (LimitedUploadHandler is the only handler).
    return Path(uploaded.temporary_file_path())


def policeuk_name(uploaded: Any, index: int, max_line_bytes: int) -> str:
    """The name to store a police.uk upload under, or :class:`UploadRejected`: a zip (checked
    for police.uk CSV members; unpacking, zip-slip and zip-bomb checks happen in the ingest)
    or a single police.uk CSV (its name and its header checked now)."""
    name = str(uploaded.name or "file")
    head = _head(uploaded, 4)
    if head == _EMPTY_ZIP:
        raise UploadRejected(name, "the zip archive is empty")
    if head == _ZIP_MAGIC:
        try:
            with zipfile.ZipFile(_temporary_path(uploaded)) as zf:
                members = [Path(m.replace("\\", "/")).name for m in zf.namelist()]
        except (zipfile.BadZipFile, OSError) as exc:
            raise UploadRejected(name, f"not a readable zip archive ({exc})") from None
        if not any(NAME_RE.match(m) for m in members):
            raise UploadRejected(
                name,
                "the zip holds no police.uk CSV files (names like "
                "2019-06-avon-and-somerset-street.csv)",
            )
        return f"police-uk-{index}.zip"
    if not name.lower().endswith(".csv"):
        raise UploadRejected(
            name, "not a zip archive or a police.uk CSV file (.zip from data.police.uk, or .csv)"
        )
    try:
        kind, force, month = parse_name(name, name)
        vet_file(_temporary_path(uploaded), name, kind, max_line_bytes)
    except InputError as exc:
        raise UploadRejected(name, exc.reason) from None
    return f"{month}-{force}-{kind}.csv"


def boundary_name(uploaded: Any, level: str) -> str:
    """The name to store an area boundary upload under (GeoJSON), or :class:`UploadRejected`.
    The importer reads and checks the geometry in the job; here only the type."""
    name = str(uploaded.name or "file")
    if not name.lower().endswith((".geojson", ".json")):
        raise UploadRejected(name, "not a GeoJSON file (.geojson or .json)")
    head = _head(uploaded, 1024).removeprefix(b"\xef\xbb\xbf").lstrip()
    if not head.startswith(b"{"):
        raise UploadRejected(name, "not a GeoJSON file (it does not start with a JSON object)")
    return f"{level}.geojson"


def store(uploads: list[tuple[Any, str]], ws: Workspace) -> tuple[str, list[StoredFile]]:
    """Move checked uploads (file, our name) into a new folder; returns its name and files."""
    names = [stored for _, stored in uploads]
    for stored in names:
        if names.count(stored) > 1:
            clients = [str(f.name) for f, s in uploads if s == stored]
            raise UploadRejected(
                " and ".join(clients), "are the same police.uk file kind, force and month"
            )
    folder = uuid.uuid4().hex
    target = upload_folder(ws, folder)
    target.mkdir(parents=True)
    out = []
    for uploaded, stored in uploads:
        file_move_safe(str(_temporary_path(uploaded)), str(target / stored))
        out.append(StoredFile(str(uploaded.name), stored, int(uploaded.size)))
    return folder, out
