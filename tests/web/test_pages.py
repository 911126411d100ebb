"""The pages show the lake's real figures. Expected numbers are counted here straight from the
committed police.uk CSVs with the csv module (not through DuckDB or the lake), following the
counting rule: a crime is a distinct non-blank Crime ID in a month, counted at its first row;
anti-social behaviour is counted in rows (incidents)."""

from __future__ import annotations

import csv
import re
import shutil
from collections import Counter
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from tests.web.sample import PARTNERSHIP, SAMPLE

import saferplaces.web
from saferplaces.lake.ingest import ingest
from saferplaces.web.accounts.models import User
from saferplaces.web.datasource import PartnerData, PublicData, partner_data
from saferplaces.workspace import Workspace

pytestmark = pytest.mark.django_db

ASB = "Anti-social behaviour"


def count_csv(folder: Path) -> dict[str, Any]:
    """Per month: crimes by category, ASB incidents, rows, rows with no location."""
    out: dict[str, Any] = {}
    for path in sorted(folder.glob("*/*-street.csv")):
        month = path.name[:7]
        seen: set[str] = set()
        crimes: Counter[str] = Counter()
        asb = rows = no_location = repeats = 0
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                rows += 1
                if not row["Longitude"] and not row["LSOA code"]:
                    no_location += 1
                if row["Crime type"] == ASB:
                    asb += 1
                    continue
                crime_id = row["Crime ID"].strip()
                if not crime_id:
                    continue
                if crime_id in seen:
                    repeats += 1
                    continue
                seen.add(crime_id)
                crimes[row["Crime type"]] += 1
        out[month] = {
            "crimes": crimes,
            "asb": asb,
            "rows": rows,
            "no_location": no_location,
            "repeats": repeats,
        }
    return out


EXPECTED = count_csv(SAMPLE)


def text_of(response: Any) -> str:
    """The page's text with tags removed and whitespace collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def signed_in(role: str = "partner") -> Client:
    client = Client()
    client.force_login(User.objects.create(email=f"{role}@example.org", role=role))
    return client


def test_sample_has_what_the_tests_rely_on() -> None:
    assert sorted(EXPECTED) == ["2018-01", "2018-02", "2018-03"]
    total = {k: sum(m[k] for m in EXPECTED.values()) for k in ("asb", "rows", "no_location")}
    assert total["rows"] == 1200 and total["asb"] > 0 and total["no_location"] > 0
    assert sum(m["repeats"] for m in EXPECTED.values()) > 0  # repeated Crime IDs present


def test_home_states_the_coverage_in_plain_english(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    text = text_of(response)
    crimes = sum(sum(m["crimes"].values()) for m in EXPECTED.values())
    asb = sum(m["asb"] for m in EXPECTED.values())
    rows = sum(m["rows"] for m in EXPECTED.values())
    no_location = sum(m["no_location"] for m in EXPECTED.values())
    crime_rows = rows - asb
    repeats = crime_rows - crimes
    assert PARTNERSHIP in text
    assert "Avon and Somerset Constabulary" in text
    assert "January 2018 to March 2018 : 3 months of data" in text
    assert "No month is missing" in text
    assert f"{crimes:,}, counting each police.uk crime reference (Crime ID) once" in text
    assert f"{asb:,} incidents. These are reports of behaviour, not crimes" in text
    assert f"{rows:,} rows in the police.uk files" in text
    assert f"{repeats / crime_rows * 100:.1f}% of crime records repeat a Crime ID" in text
    assert f"{no_location / rows * 100:.1f}% of records have no location" in text
    assert "Outcomes of crimes: April 2018 to May 2018" in text


def test_data_and_accessibility_pages(client: Client) -> None:
    data = text_of(client.get("/data/"))
    for phrase in (
        "snap point",
        "Dates are months only",
        "Some records have no location",
        "Anti-social behaviour is counted in incidents, not crimes",
        "Some months are missing",
    ):
        assert phrase in data
    accessibility = text_of(client.get("/accessibility/"))
    assert "Web Content Accessibility Guidelines version 2.2 AA" in accessibility
    assert "Enforcement procedure" in accessibility


def test_contact_email_in_accessibility_statement(client: Client, settings: Any) -> None:
    settings.SAFERPLACES_CONTACT_EMAIL = "csp@example.gov.uk"
    assert "mailto:csp@example.gov.uk" in client.get("/accessibility/").content.decode()


def _table(html: str) -> dict[str, list[str]]:
    """The dashboard table as {row header: [cell texts]}, with the header row under 'Category'."""
    table = re.search(r"<table.*?</table>", html, flags=re.S)
    assert table
    rows: dict[str, list[str]] = {}
    for tr in re.findall(r"<tr.*?</tr>", table.group(0), flags=re.S):
        cells = [
            re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", c))).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, flags=re.S)
        ]
        rows[cells[0]] = cells[1:]
    return rows


def test_dashboard_table_matches_the_csv_counts() -> None:
    response = signed_in("partner").get("/dashboard/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    text = text_of(response)
    assert "Each crime is counted once, by its police.uk crime reference (Crime ID)" in text
    assert "Anti-social behaviour is counted in incidents, which are not crimes" in text
    assert "Crimes by category, January 2018 to March 2018" in text
    rows = _table(html)
    months = sorted(EXPECTED)
    assert rows["Category"] == ["Jan 2018", "Feb 2018", "Mar 2018", "Total"]
    categories = set().union(*(EXPECTED[m]["crimes"] for m in months))
    assert set(rows) == {"Category", *categories, "All crimes", "Anti-social behaviour incidents"}
    for category in categories:
        want = [EXPECTED[m]["crimes"][category] for m in months]
        assert rows[category] == [f"{n:,}" for n in [*want, sum(want)]], category
    totals = [sum(EXPECTED[m]["crimes"].values()) for m in months]
    assert rows["All crimes"] == [f"{n:,}" for n in [*totals, sum(totals)]]
    asb = [EXPECTED[m]["asb"] for m in months]
    assert rows["Anti-social behaviour incidents"] == [f"{n:,}" for n in [*asb, sum(asb)]]


@pytest.fixture
def gap_workspace(tmp_path: Path, settings: Any) -> Workspace:
    """A workspace whose lake has January and March 2018 but not February."""
    folder = tmp_path / "sample"
    shutil.copytree(SAMPLE, folder)
    shutil.rmtree(folder / "2018-02")
    ws = Workspace.create(tmp_path / "ws", "Gap partnership", forces=["avon-and-somerset"])
    assert ingest(ws.lake_dir, [folder]).ok
    settings.SAFERPLACES_WORKSPACE = str(ws.root)
    return ws


def test_a_missing_month_is_named_and_never_shown_as_zero(
    gap_workspace: Workspace, client: Client
) -> None:
    home = text_of(client.get("/"))
    assert "Gap partnership" in home
    assert "1 month missing: February 2018" in home
    assert "totals over this period are incomplete" in home

    table = partner_data(User(role="partner", is_active=True, email="x@example.org"))
    result = table.monthly_crimes("avon-and-somerset")
    assert result is not None
    assert result.months == ["2018-01", "2018-02", "2018-03"]
    assert result.missing == {"2018-02"}
    assert all(row.counts[1] is None for row in [*result.crime_rows, result.total_row])

    response = signed_in().get("/dashboard/")
    rows = _table(response.content.decode())
    assert rows["Category"][1] == "Feb 2018 (no data)"
    assert rows["All crimes"][1] == "– no data"
    assert 'marked "no data", not counted as zero' in text_of(response)


def test_empty_workspace(tmp_path: Path, settings: Any, client: Client) -> None:
    ws = Workspace.create(tmp_path / "ws", "Empty partnership", forces=["kent"])
    settings.SAFERPLACES_WORKSPACE = str(ws.root)
    home = text_of(client.get("/"))
    assert "Kent Police" in home
    assert "No street-level crime data for this force has been loaded yet." in home
    dashboard = text_of(signed_in().get("/dashboard/"))
    assert "No street-level crime data for this force has been loaded yet." in dashboard


def test_the_public_seam_has_no_partner_methods() -> None:
    assert not hasattr(PublicData, "monthly_crimes")
    assert hasattr(PartnerData, "monthly_crimes")
    with pytest.raises(PermissionDenied):
        partner_data(User(role="parish_council", is_active=True, email="p@example.org"))


def test_views_do_not_open_the_lake_themselves() -> None:
    """Only datasource.py may import DuckDB or the lake: the one seam."""
    web = Path(saferplaces.web.__file__).parent
    lake_import = re.compile(
        r"^\s*(import duckdb|from duckdb|from \.+lake|(from|import) saferplaces\.lake)", re.M
    )
    offenders = [
        str(p.relative_to(web))
        for p in web.rglob("*.py")
        if p.name != "datasource.py" and lake_import.search(p.read_text("utf-8"))
    ]
    assert offenders == []


def test_not_found_page(client: Client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in text_of(response)
