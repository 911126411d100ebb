"""The dashboard's indicators page: a fresh evaluation per role, filters as a plain GET form,
CSV/XLSX exports (formula-safe), SVG trend charts, and the evaluation computed once per lake
state rather than per request."""

from __future__ import annotations

import csv
import io
import re
from html import unescape
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from saferplaces.web import datasource, lake_views
from saferplaces.web.accounts.models import User

pytestmark = pytest.mark.django_db


def signed_in(role: str = "partner") -> Client:
    client = Client()
    client.force_login(User.objects.create(email=f"{role}@example.org", role=role))
    return client


def text_of(response: Any) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def test_objectives_indicators_and_areas_with_reasons() -> None:
    response = signed_in().get("/dashboard/indicators/")
    text = text_of(response)
    assert "Protect Vulnerable People" in text and "Reduce Harm" in text
    assert "Bristol, City of" in text and "Avon and Somerset Constabulary" in text
    assert "fewer than 12 months of data" in text  # the 3-month sample: no score, with why
    assert "Data coverage and caveats" in text and "January 2018 to March 2018" in text
    # Restricted partner data is visible to partners on the dashboard.
    assert "MARAC" in text or "marac" in response.content.decode()


def test_filters_are_a_get_form() -> None:
    client = signed_in()
    page = client.get("/dashboard/indicators/").content.decode()
    assert re.search(r'<form method="get" action="/dashboard/indicators/"', page)
    filtered = client.get("/dashboard/indicators/?objective=reduce-harm&level=district")
    html, text = filtered.content.decode(), text_of(filtered)
    assert 'id="objective-reduce-harm"' in html
    assert 'id="objective-protect-vulnerable-people"' not in html
    assert '<option value="reduce-harm" selected>' in html
    assert "(force)" not in text and "(district)" in text
    one = client.get("/dashboard/indicators/?area=E06000023").content.decode()
    rows = re.findall(r'<th scope="row" class="govuk-table__header">([^<]+)<', one)
    assert rows and set(rows) == {"Bristol, City of "}
    bad = client.get("/dashboard/indicators/?level=<script>")
    assert bad.status_code == 200 and "<script>" not in bad.content.decode().split("<body")[1]


def test_csv_and_xlsx_exports_follow_the_filters() -> None:
    client = signed_in("analyst")
    response = client.get("/dashboard/indicators/export.csv?level=force")
    assert response["Content-Disposition"] == 'attachment; filename="indicators.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows and {r["level"] for r in rows} == {"force"}
    assert {"violence-rate", "marac-repeat-rate"} <= {r["indicator"] for r in rows}
    xlsx = client.get("/dashboard/indicators/export.xlsx?level=force")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == len(rows) + 1


def test_export_neutralises_formulas(monkeypatch: pytest.MonkeyPatch) -> None:
    real = datasource.cached_evaluations

    def evil(ws: Any, audience: str) -> list[dict[str, Any]]:
        out = [dict(e) for e in real(ws, audience)]
        out[0]["area_name"] = '=HYPERLINK("http://evil")'
        return out

    monkeypatch.setattr(datasource, "cached_evaluations", evil)
    text = signed_in().get("/dashboard/indicators/export.csv").content.decode()
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


def _with_series(real: Any) -> Any:
    months = [f"{2016 + i // 12}-{i % 12 + 1:02d}" for i in range(24)]

    def fake(ws: Any, audience: str) -> list[dict[str, Any]]:
        out = []
        for e in real(ws, audience):
            e = dict(e)
            if e["indicator"] == "violence-rate":
                e.update(
                    status="ok",
                    value=10.0,
                    score="stable",
                    months=months,
                    series=[float(5 + i % 3) for i in range(24)],
                    spc={"centre": 6.0, "upper": 9.0, "lower": 3.0, "status": "common cause"},
                    unit="per 1,000 residents",
                )
            out.append(e)
        return out

    return fake


def test_trend_chart_is_svg_with_a_text_alternative(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("vl_convert")
    monkeypatch.setattr(
        datasource, "cached_evaluations", _with_series(datasource.cached_evaluations)
    )
    client = signed_in()
    page = client.get("/dashboard/indicators/?level=district").content.decode()
    img = re.search(r'<img class="app-chart" src="([^"]+)" alt="([^"]+)"', page)
    assert img is not None and "control limits" in img.group(2)
    chart = client.get(unescape(img.group(1)))
    assert chart.status_code == 200 and chart["Content-Type"] == "image/svg+xml"
    assert chart["X-Content-Type-Options"] == "nosniff"
    assert chart.content.lstrip().startswith(b"<svg")


def test_evaluation_is_computed_once_per_lake_state(monkeypatch: pytest.MonkeyPatch) -> None:
    signed_in().get("/dashboard/indicators/")  # warm
    calls = []
    import saferplaces.indicators.evaluate as evaluate_module

    real = evaluate_module.evaluate
    monkeypatch.setattr(
        evaluate_module, "evaluate", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    client = signed_in("opcc")
    for _ in range(3):
        assert client.get("/dashboard/indicators/").status_code == 200
    assert calls == []
    # A new ingest id makes the next request evaluate again.
    ws = datasource.workspace()
    monkeypatch.setattr(datasource, "lake_state", lambda w: "street:new-ingest:1")
    lake_views._cache.pop(str(ws.root), None)
    assert client.get("/dashboard/indicators/").status_code == 200
    assert calls == [1]
    lake_views._cache.pop(str(ws.root), None)
