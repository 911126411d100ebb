"""The JSON API: open data for anyone, partner evaluations with a partner token or session,
tokens hashed and revocable, figures that agree with the pages, and a schemathesis run against
the generated OpenAPI schema (in-process, through Django's WSGI app) with no server error."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, settings

from saferplaces.web.accounts.models import ApiToken, User
from saferplaces.web.datasource import PartnerData, partner_data

pytestmark = pytest.mark.django_db

FORCE = "avon-and-somerset"
BRISTOL = "E06000023"


def token_for(role: str, email: str | None = None) -> str:
    user, _ = User.objects.get_or_create(email=email or f"{role}@example.org", role=role)
    return ApiToken.issue(user, "test")[1]


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_areas_by_level_with_names_and_parents(client: Client) -> None:
    forces = client.get("/api/areas").json()
    assert forces == [
        {"code": FORCE, "name": "Avon and Somerset Constabulary", "level": "force", "parent": None}
    ]
    districts = {a["code"]: a for a in client.get("/api/areas?level=lad").json()}
    assert districts[BRISTOL]["name"] == "Bristol, City of"
    assert {a["parent"] for a in districts.values()} == {FORCE}
    assert client.get("/api/areas?level=nowhere").status_code == 400


def test_counts_agree_with_the_dashboard_table(client: Client) -> None:
    body = client.get(f"/api/counts?level=force&area={FORCE}").json()
    partner = PartnerData(partner_data.__globals__["workspace"]())
    table = partner.monthly_crimes(FORCE)
    assert table is not None
    assert body["months"] == table.months
    assert body["total"] == table.total_row.counts
    assert body["asb_incidents"] == table.asb_row.counts
    by_label = {c["label"]: c["counts"] for c in body["categories"]}
    for row in table.crime_rows:
        assert by_label[row.label] == row.counts
    # Districts add up to no more than the force (rows with no location are in the force only).
    lad = [
        client.get(f"/api/counts?level=lad&area={a['code']}").json()["total"]
        for a in client.get("/api/areas?level=lad").json()
    ]
    assert [sum(x) for x in zip(*lad, strict=True)] <= body["total"]


def test_rates_name_their_denominator(client: Client) -> None:
    body = client.get(f"/api/rates?level=lad&area={BRISTOL}").json()
    assert body["denominator"].startswith("residents")
    assert body["residents"] > 100_000
    for crimes, rate in zip(body["crimes"], body["rate_per_1000"], strict=True):
        assert rate == pytest.approx(crimes / body["residents"] * 1000, abs=1e-4)


def test_unknown_area_is_404(client: Client) -> None:
    assert client.get("/api/counts?level=lad&area=E99999999").status_code == 404
    assert client.get("/api/counts?level=lad").status_code == 422  # area is required


def test_coverage(client: Client) -> None:
    body = client.get("/api/coverage").json()
    assert body[0]["force"] == FORCE and body[0]["street"]["months_present"] == 3


@pytest.mark.parametrize(
    ("role", "status"),
    [("public", 403), ("parish_council", 403), ("partner", 200), ("analyst", 200), ("opcc", 200)],
)
def test_evaluations_need_a_partner_token(client: Client, role: str, status: int) -> None:
    response = client.get("/api/evaluations", **bearer(token_for(role)))
    assert response.status_code == status
    if status == 200:
        indicators = {e["indicator"] for e in response.json()}
        assert "marac-repeat-rate" in indicators  # restricted partner data, for partners


def test_restricted_partner_data_never_reaches_public_or_parish_councils() -> None:
    for role in ("anonymous", "public", "parish_council"):
        client = Client()
        headers = {} if role == "anonymous" else bearer(token_for(role))
        if role != "anonymous":
            client.force_login(User.objects.get(email=f"{role}@example.org"))
        seen = []
        for path in (
            "/api/indicators",
            "/api/evaluations",
            "/api/scorecard/editions/1",
            "/api/scorecard/editions/2",
            "/scorecard/",
        ):
            body = client.get(path, **headers).content.decode()
            seen.append(body)
        everything = "\n".join(seen)
        # Named only in the edition's list of withheld indicators, never with figures.
        edition = json.loads(seen[2])
        assert all(not e["indicator"].startswith("marac") for e in edition["evaluations"])
        assert "marac" not in seen[0]
        assert "Unauthorized" in seen[1] or "partner role" in seen[1]
        assert "MC-2018" not in everything


def test_token_states(client: Client) -> None:
    token = token_for("partner")
    row = ApiToken.objects.get(key_hash=ApiToken.hash(token))
    assert token not in row.key_hash and row.hint == token[:9]
    assert client.get("/api/evaluations", **bearer(token)).status_code == 200
    row.refresh_from_db()
    assert row.last_used_at is not None
    # Invalid, revoked, and a deactivated user's token: all refused.
    assert client.get("/api/evaluations", **bearer("sp_nope")).status_code == 401
    assert client.get("/api/indicators", **bearer("sp_nope")).status_code == 401
    row.revoked = True
    row.save()
    assert client.get("/api/evaluations", **bearer(token)).status_code == 401
    other = token_for("analyst")
    User.objects.filter(email="analyst@example.org").update(is_active=False)
    assert client.get("/api/evaluations", **bearer(other)).status_code == 401


def test_session_works_for_signed_in_partners() -> None:
    client = Client()
    client.force_login(User.objects.create(email="s@example.org", role="partner"))
    body = client.get("/api/evaluations?level=district&objective=reduce-harm").json()
    assert body and {e["level"] for e in body} == {"district"}


def test_openapi_schema_lists_every_route(client: Client) -> None:
    schema = client.get("/api/openapi.json").json()
    assert set(schema["paths"]) == {
        "/api/areas",
        "/api/indicators",
        "/api/scorecard/editions",
        "/api/scorecard/editions/{number}",
        "/api/counts",
        "/api/rates",
        "/api/coverage",
        "/api/evaluations",
        "/api/open-data/{level}/counts",
        "/api/open-data/{level}/geojson",
    }
    assert "TokenAuth" in schema["components"]["securitySchemes"]


# --- schemathesis: property-based requests from the OpenAPI schema -----------------------------


def _schema() -> Any:
    import schemathesis
    from django.core.wsgi import get_wsgi_application

    return schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())


@pytest.fixture
def partner_token() -> str:
    return token_for("partner", "fuzz@example.org")


def test_schemathesis_no_server_errors(partner_token: str) -> None:
    """Every operation, a bounded number of generated requests each (anonymous and with a
    partner token): never a 5xx."""
    from hypothesis import given
    from schemathesis.checks import not_a_server_error

    api_schema = _schema()
    failures: list[str] = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            for headers in ({}, {"Authorization": f"Bearer {partner_token}"}):
                response = case.call(headers=headers)
                if response.status_code >= 500:
                    failures.append(f"{case.method} {case.formatted_path}: {response.status_code}")
                case.validate_response(response, checks=[not_a_server_error])

        run()
    assert failures == []
