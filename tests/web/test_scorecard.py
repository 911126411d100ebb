"""Public Scorecard pages: latest edition, history with corrections, each edition rendered from
its edition.json, verification against the manifest, and the edition's files served safely."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from django.test import Client
from tests.web.sample import WORKSPACE

from saferplaces.indicators.editions import editions_dir, load_edition
from saferplaces.web.datasource import public_data

pytestmark = pytest.mark.django_db


def text_of(response: object) -> str:
    html = response.content.decode()  # type: ignore[attr-defined]
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def get_file(client: Client, path: str) -> tuple[int, dict[str, str], bytes]:
    response = client.get(path)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    response.close()
    return response.status_code, dict(response.headers), body


def test_latest_is_the_newest_edition_and_says_what_it_corrects(client: Client) -> None:
    page = client.get("/scorecard/")
    text = text_of(page)
    assert "latest edition (edition 2)" in text
    assert "This edition corrects edition 1" in text
    assert 'href="/scorecard/editions/1/"' in page.content.decode()
    # The note is the publisher's text, shown as text: never as HTML.
    assert "Corrects a &lt;b&gt;typo&lt;/b&gt;" in page.content.decode()
    assert "<b>typo</b>" not in page.content.decode()


def test_history_lists_every_edition_with_dates_and_corrections(client: Client) -> None:
    text = text_of(client.get("/scorecard/editions/"))
    meta = load_edition(WORKSPACE, 1)
    assert text.index("Edition 2") < text.index("Edition 1")  # newest first
    assert meta["published_at"][:10] in text
    assert "March 2018" in text  # data cut-off of the committed sample
    assert "Corrects edition 1" in text and "Corrected by edition 2" in text


def test_edition_page_shows_objectives_indicators_areas_and_reasons(client: Client) -> None:
    page = client.get("/scorecard/editions/1/")
    text = text_of(page)
    meta = load_edition(WORKSPACE, 1)
    for obj in meta["indicator_set"]["objectives"]:
        assert obj["title"] in text
    for ind in meta["indicator_set"]["indicators"]:
        assert ind["title"] in text
    for e in meta["evaluations"][:5]:
        assert e["area_name"] in text and e["reason"] in text
    assert "has been corrected by edition 2" in text
    assert "Verified all" in text
    # The restricted MARAC dataset is withheld from the published edition, with the reason.
    assert "Withheld from this edition" in text and "marac-repeat-rate" in text
    downloads = re.findall(r'href="(/scorecard/editions/1/files/[^"]+)"', page.content.decode())
    assert {d.rsplit("/", 1)[1] for d in downloads} == {
        "scorecard.csv",
        "scorecard.xlsx",
        "edition.json",
        "manifest.json",
    }


def test_unknown_edition_is_404(client: Client) -> None:
    assert client.get("/scorecard/editions/99/").status_code == 404


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("scorecard.csv", "text/csv; charset=utf-8"),
        ("scorecard.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("edition.json", "application/json"),
        ("manifest.json", "application/json"),
        ("index.html", "text/html; charset=utf-8"),
    ],
)
def test_edition_files_with_content_types(client: Client, name: str, content_type: str) -> None:
    status, headers, body = get_file(client, f"/scorecard/editions/1/files/{name}")
    assert status == 200
    assert headers["Content-Type"] == content_type
    assert headers["X-Content-Type-Options"] == "nosniff"
    folder = editions_dir(WORKSPACE) / "edition-0001"
    assert body == (folder / name).read_bytes()
    if name.endswith((".csv", ".xlsx")):
        assert headers["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize(
    "name",
    [
        "../edition-0002/scorecard.csv",
        "..%2Fedition-0002%2Fscorecard.csv",
        "../../../saferplaces.toml",
        "%2e%2e/%2e%2e/saferplaces.toml",
        "/etc/passwd",
        "charts/../../../../../etc/passwd",
        "scorecard.pdf",  # not published in this edition
        "nothere.csv",
        "assets",
    ],
)
def test_no_file_outside_the_manifest_is_served(client: Client, name: str) -> None:
    status, _, body = get_file(client, f"/scorecard/editions/1/files/{name}")
    assert status == 404
    assert b"partnership" not in body.lower() or b"Page not found" in body


def test_a_tampered_edition_is_not_verified(tmp_path: object) -> None:
    data = public_data()
    assert data.verify(2).ok
    path = editions_dir(WORKSPACE) / "edition-0002" / "scorecard.csv"
    original = path.read_bytes()
    path.chmod(0o644)
    try:
        path.write_bytes(original + b"tampered\r\n")
        result = data.verify(2)
        assert not result.ok and result.bad == ("scorecard.csv",)
        text = text_of(Client().get("/scorecard/editions/2/"))
        assert "Not verified" in text and "scorecard.csv" in text
    finally:
        path.write_bytes(original)
        path.chmod(0o444)
    assert data.verify(2).ok


def test_edition_json_api_matches_the_file(client: Client) -> None:
    body = client.get("/api/scorecard/editions/1").json()
    assert body == json.loads(
        (editions_dir(WORKSPACE) / "edition-0001" / "edition.json").read_text()
    )
    listing = client.get("/api/scorecard/editions").json()
    assert [e["number"] for e in listing] == [2, 1]
    assert listing[0]["corrects"] == 1 and listing[1]["corrected_by"] == [2]
    assert all(e["verified"] for e in listing)


def test_pages_work_without_javascript(client: Client) -> None:
    # Nothing on these pages needs script: the content is in the HTML itself.
    for path in ("/scorecard/", "/scorecard/editions/", "/scorecard/editions/1/"):
        html = client.get(path).content.decode()
        assert "<table" in html or "<dl" in html
