"""Security: CSRF, cookie flags, headers (X-Frame-Options, CSP), no inline script or style in
any page, and the role matrix: every URL walked as every role."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from saferplaces.geo.peers import PeerGroup, save_peer_group
from saferplaces.web.accounts import services
from saferplaces.web.accounts.models import User
from saferplaces.web.accounts.roles import ROLE_CAPABILITIES, Capability, Role
from saferplaces.web.jobs.models import Job
from saferplaces.workspace import Workspace

pytestmark = pytest.mark.django_db

ANON = "anonymous"
ROLES = [ANON, *[r.value for r in Role]]
PARTNERS = {"partner", "analyst", "opcc", "admin"}

SIGN_IN_REDIRECT = "redirect to sign-in"

# The expected outcome of a GET of each URL for each role, written out by hand (not derived from
# roles.py, so that a change to the permission map has to be made in both places on purpose).
PUBLIC = dict.fromkeys(ROLES, 200)
DASHBOARD = {r: SIGN_IN_REDIRECT if r == ANON else 200 if r in PARTNERS else 403 for r in ROLES}
ANALYSTS = {"analyst", "admin"}
ANALYST = {r: SIGN_IN_REDIRECT if r == ANON else 200 if r in ANALYSTS else 403 for r in ROLES}
MATRIX: dict[str, tuple[str, dict[str, Any]]] = {
    "public:home": ("/", PUBLIC),
    "public:data": ("/data/", PUBLIC),
    "public:accessibility": ("/accessibility/", PUBLIC),
    "public:healthz": ("/healthz", PUBLIC),
    "accounts:sign_in": ("/sign-in/", PUBLIC),
    # POST only: a GET (a link, an image on another site) must not sign anyone out.
    "accounts:sign_out": ("/sign-out/", dict.fromkeys(ROLES, 405)),
    "dashboard:index": ("/dashboard/", DASHBOARD),
    "dashboard:indicators": ("/dashboard/indicators/", DASHBOARD),
    "dashboard:export_csv": ("/dashboard/indicators/export.csv", DASHBOARD),
    "dashboard:export_xlsx": ("/dashboard/indicators/export.xlsx", DASHBOARD),
    "dashboard:hotspots": ("/dashboard/hotspots/", DASHBOARD),
    "dashboard:hotspots_geojson": ("/dashboard/hotspots.geojson", DASHBOARD),
    "dashboard:drill_start": (
        "/dashboard/areas/",
        {r: SIGN_IN_REDIRECT if r == ANON else 302 if r in PARTNERS else 403 for r in ROLES},
    ),
    "dashboard:drill": ("/dashboard/areas/lad/E06000022/", DASHBOARD),
    "dashboard:drill_export_csv": ("/dashboard/areas/lad/E06000022/export.csv", DASHBOARD),
    "dashboard:drill_export_xlsx": ("/dashboard/areas/lad/E06000022/export.xlsx", DASHBOARD),
    # The 3-month sample gives no indicator a monthly series, so partners get 404 (no chart);
    # charts with data are tested in test_dashboard.py.
    "dashboard:chart": (
        "/dashboard/indicators/charts/violence-rate.svg",
        {r: SIGN_IN_REDIRECT if r == ANON else 404 if r in PARTNERS else 403 for r in ROLES},
    ),
    # Scorecard editions: public (the test workspace has editions 1 and 2).
    "public:scorecard": ("/scorecard/", PUBLIC),
    "public:scorecard_history": ("/scorecard/editions/", PUBLIC),
    "public:scorecard_edition": ("/scorecard/editions/1/", PUBLIC),
    "public:scorecard_file": ("/scorecard/editions/1/files/scorecard.csv", PUBLIC),
    # The area finder, area pages, briefings and open-data downloads: police.uk open data for
    # everyone (the test workspace has the district boundaries and one district's briefing).
    "public:areas": ("/areas/?q=bath", PUBLIC),
    "public:area": ("/areas/lad/E06000022/", PUBLIC),
    "public:area_chart": ("/areas/lad/E06000022/chart.svg", PUBLIC),
    "public:briefing_file": ("/briefings/lad/E06000022.html", PUBLIC),
    "public:downloads": ("/data/downloads/", PUBLIC),
    "public:download_counts_csv": ("/data/downloads/lad/counts.csv", PUBLIC),
    "public:download_counts_csvw": ("/data/downloads/lad/counts.csv-metadata.json", PUBLIC),
    "public:download_counts_json": ("/data/downloads/msoa/counts.json", PUBLIC),
    "public:download_counts_geojson": ("/data/downloads/lad/counts.geojson", PUBLIC),
    "public:download_boundaries": ("/data/downloads/lad/boundaries.geojson", PUBLIC),
    # The JSON API: open data for anyone; partner evaluations need a partner session or token
    # (anonymous: 401, as an API answers, not a redirect to a sign-in page).
    "api:api-root": ("/api/", dict.fromkeys(ROLES, 404)),
    "api:openapi-json": ("/api/openapi.json", PUBLIC),
    "api:areas": ("/api/areas?level=lad", PUBLIC),
    "api:indicators": ("/api/indicators", PUBLIC),
    "api:editions": ("/api/scorecard/editions", PUBLIC),
    "api:edition": ("/api/scorecard/editions/1", PUBLIC),
    "api:counts": ("/api/counts?level=force&area=avon-and-somerset", PUBLIC),
    "api:rates": ("/api/rates?level=lad&area=E06000023", PUBLIC),
    "api:coverage": ("/api/coverage", PUBLIC),
    "api:open_data_counts": ("/api/open-data/lad/counts", PUBLIC),
    "api:open_data_geojson": ("/api/open-data/lad/geojson", PUBLIC),
    "api:evaluations": (
        "/api/evaluations",
        {r: 401 if r == ANON else 200 if r in PARTNERS else 403 for r in ROLES},
    ),
    # Analyst tools: loading data, rebuilding, publishing, areas (job 1 and the peer group
    # "matrix-peers" are made by _analyst_objects below).
    "analyst:index": ("/analyst/", ANALYST),
    "analyst:upload": ("/analyst/upload/", ANALYST),
    "analyst:rebuild": ("/analyst/rebuild/", ANALYST),
    "analyst:publish": ("/analyst/publish/", ANALYST),
    "analyst:job": ("/analyst/jobs/1/", ANALYST),
    "analyst:job_progress": ("/analyst/jobs/1/progress/", ANALYST),
    "analyst:areas": ("/analyst/areas/", ANALYST),
    "analyst:peer_groups": ("/analyst/peer-groups/", ANALYST),
    "analyst:peer_group_new": ("/analyst/peer-groups/new/", ANALYST),
    "analyst:peer_group_edit": ("/analyst/peer-groups/matrix-peers/edit/", ANALYST),
    "analyst:peer_group_delete": ("/analyst/peer-groups/matrix-peers/delete/", ANALYST),
}
ADMIN = {r: SIGN_IN_REDIRECT if r == ANON else 200 if r == "admin" else 403 for r in ROLES}
ADMIN_URLS = [
    "/admin/",
    "/admin/accounts/user/",
    "/admin/accounts/user/add/",
    "/admin/accounts/organisation/",
    "/admin/accounts/auditevent/",
    "/admin/axes/accessattempt/",
]


@pytest.fixture(autouse=True)
def _analyst_objects(db: None, workspace: Workspace) -> None:
    """A job and a peer group, so that the matrix and the inline-script check walk their
    pages (the rest of the analyst tools is tested in test_jobs.py)."""
    Job.objects.create(pk=1, kind=Job.Kind.REBUILD, created_by_label="matrix@example.org")
    group = PeerGroup("matrix-peers", "lad", ["E06000022", "E06000023"], "For the role matrix")
    save_peer_group(workspace.root, group, replace_existing=True)


def all_url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns: list[Any], namespace: str | None) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace == "admin":
                    names.add("admin:*")
                    continue
                walk(p.url_patterns, p.namespace or namespace)
            elif isinstance(p, URLPattern):
                names.add(f"{namespace}:{p.name}")

    walk(get_resolver().url_patterns, None)
    return names


def client_as(role: str) -> Client:
    client = Client()
    if role != ANON:
        user = User.objects.create(email=f"{role}@example.org", role=role)
        client.force_login(user)
    return client


def outcome(client: Client, path: str) -> Any:
    response = client.get(path)
    response.close()  # a FileResponse holds its file open until closed
    if response.status_code == 302 and response["Location"].startswith("/admin/login/"):
        # The admin site sends to its own login page, which sends on to the service's sign-in
        # (so that the rate limit and the audit log cover administrators too).
        response = client.get(response["Location"])
    if response.status_code == 302 and response["Location"] == f"/sign-in/?next={path}":
        return SIGN_IN_REDIRECT
    return response.status_code


def test_every_url_is_in_the_matrix() -> None:
    assert all_url_names() == {*MATRIX, "admin:*"}
    for name, (path, _) in MATRIX.items():
        assert resolve(path.split("?")[0]).view_name == name


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(role: str) -> None:
    client = client_as(role)
    got = {name: outcome(client, path) for name, (path, _) in MATRIX.items()}
    want = {name: expected[role] for name, (_, expected) in MATRIX.items()}
    got.update({path: outcome(client, path) for path in ADMIN_URLS})
    want.update(dict.fromkeys(ADMIN_URLS, ADMIN[role]))
    assert got == want


def test_matrix_agrees_with_the_permission_map() -> None:
    for role in Role:
        caps = ROLE_CAPABILITIES[role]
        assert (Capability.VIEW_DASHBOARD in caps) == (role.value in PARTNERS)
        assert (Capability.MANAGE_USERS in caps) == (role == Role.ADMIN)
        assert (Capability.ANALYSE in caps) == (role.value in ANALYSTS)
        assert (Capability.PUBLISH in caps) == (role.value in ANALYSTS)
        assert Capability.VIEW_PUBLIC in caps


def test_deactivated_user_is_treated_as_public() -> None:
    user = User.objects.create(email="gone@example.org", role="admin", is_active=False)
    client = Client()
    client.force_login(user)
    # A deactivated session is dropped by Django's ModelBackend: anonymous again.
    assert outcome(client, "/dashboard/") == SIGN_IN_REDIRECT
    assert not user.has_perm("saferplaces.manage_users")


def test_audit_log_is_read_only_even_for_administrators() -> None:
    client = client_as("admin")
    assert client.get("/admin/accounts/auditevent/add/").status_code == 403


def test_sign_in_post_without_csrf_token_is_refused() -> None:
    user, password = services.create_user("p@example.org", Role.PARTNER)
    client = Client(enforce_csrf_checks=True)
    response = client.post("/sign-in/", {"username": user.email, "password": password})
    assert response.status_code == 403
    assert b"Your form could not be sent" in response.content
    # With the token from the form, the same sign-in works.
    page = client.get("/sign-in/")
    token = page.context["csrf_token"]
    ok = client.post(
        "/sign-in/",
        {"username": user.email, "password": password, "csrfmiddlewaretoken": str(token)},
    )
    assert ok.status_code == 302


def test_sign_out_needs_csrf_token_too() -> None:
    user = User.objects.create(email="p@example.org", role="partner")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post("/sign-out/").status_code == 403
    assert client.get("/dashboard/").status_code == 200  # still signed in


def test_cookie_flags() -> None:
    user, password = services.create_user("p@example.org", Role.PARTNER)
    client = Client()
    client.get("/sign-in/")
    response = client.post("/sign-in/", {"username": user.email, "password": password})
    session = response.cookies["sessionid"]
    csrf = client.cookies["csrftoken"]
    for cookie in (session, csrf):
        assert cookie["secure"] is True
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"
    assert int(session["max-age"]) == 8 * 3600


@pytest.mark.parametrize("path", ["/", "/data/", "/accessibility/", "/sign-in/", "/nowhere/"])
def test_security_headers(client: Client, path: str) -> None:
    response = client.get(path)
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    csp = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe" not in csp


def test_hsts_when_configured(settings: Any) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000
    response = Client().get("/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000"


class _InlineFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.problems.append("inline <script>")
        if tag == "style":
            self.problems.append("<style> element")
        if "style" in names:
            self.problems.append(f"style attribute on <{tag}>")
        if any(name.startswith("on") for name in names):
            self.problems.append(f"event-handler attribute on <{tag}>")


@pytest.mark.parametrize(
    ("role", "path"),
    [
        (ANON, "/"),
        (ANON, "/data/"),
        (ANON, "/accessibility/"),
        (ANON, "/sign-in/"),
        (ANON, "/nowhere/"),
        ("public", "/dashboard/"),
        ("partner", "/dashboard/"),
        (ANON, "/scorecard/"),
        (ANON, "/scorecard/editions/"),
        (ANON, "/scorecard/editions/1/"),
        (ANON, "/areas/"),
        (ANON, "/areas/?q=bristol"),
        (ANON, "/areas/lad/E06000022/"),
        (ANON, "/areas/force/avon-and-somerset/"),
        (ANON, "/areas/msoa/E02002985/"),
        ("partner", "/areas/lad/E06000022/"),
        (ANON, "/data/downloads/"),
        ("partner", "/dashboard/indicators/"),
        ("partner", "/dashboard/hotspots/?months=3&cell_size=1000"),
        ("partner", "/dashboard/areas/force/avon-and-somerset/"),
        ("analyst", "/dashboard/areas/msoa/E02002985/?category=burglary"),
        ("analyst", "/dashboard/indicators/?level=district"),
        ("analyst", "/analyst/"),
        ("analyst", "/analyst/upload/"),
        ("analyst", "/analyst/rebuild/"),
        ("analyst", "/analyst/publish/"),
        ("analyst", "/analyst/jobs/1/"),
        ("analyst", "/analyst/jobs/1/progress/"),
        ("analyst", "/analyst/areas/"),
        ("analyst", "/analyst/peer-groups/"),
        ("analyst", "/analyst/peer-groups/new/"),
        ("analyst", "/analyst/peer-groups/matrix-peers/edit/"),
        ("analyst", "/analyst/peer-groups/matrix-peers/delete/"),
    ],
)
def test_pages_have_no_inline_script_or_style(role: str, path: str) -> None:
    response = client_as(role).get(path)
    finder = _InlineFinder()
    finder.feed(response.content.decode())
    assert finder.problems == []


@pytest.mark.parametrize(
    ("next_url", "lands_on"),
    [
        ("/accessibility/", "/accessibility/"),
        ("https://evil.example/phish", "/dashboard/"),  # no open redirect off the site
        ("//evil.example/", "/dashboard/"),
    ],
)
def test_sign_in_only_redirects_within_the_site(next_url: str, lands_on: str) -> None:
    user, password = services.create_user("p@example.org", Role.PARTNER)
    response = Client().post(
        "/sign-in/", {"username": user.email, "password": password, "next": next_url}
    )
    assert response.status_code == 302 and response["Location"] == lands_on


def test_session_key_changes_at_sign_in() -> None:
    """No session fixation: a session id known before sign-in is useless after it."""
    user, password = services.create_user("p@example.org", Role.PARTNER)
    client = Client()
    client.get("/sign-in/")
    session = client.session
    session["probe"] = 1
    session.save()
    before = client.cookies["sessionid"].value
    client.post("/sign-in/", {"username": user.email, "password": password})
    assert client.cookies["sessionid"].value != before
