"""Every route of the console against every role: the pages by the logged-in person's role (anonymous: to the login
page), the users API by bearer token, and the login, static and health routes open to all."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from services.console import access
from shared.auth import Role
from tests.access_matrix import ROLES, check_row, every_role, routes_of, row
from tests.console.conftest import PASSWORD, log_in

ID = "00000000-0000-0000-0000-000000000001"
# route -> (the page whose roles may use it, a concrete path, a form to post)
PAGE_ROUTES: dict[tuple[str, str], tuple[str, str, dict[str, str]]] = {
    ("GET", "/work"): ("my_work", "/work", {}),
    ("GET", "/password"): ("my_work", "/password", {}),
    ("POST", "/password"): (
        "my_work",
        "/password",
        {"old_password": "x", "new_password": "a", "new_password_again": "b"},
    ),
    ("POST", "/language"): ("my_work", "/language", {"language": "fa"}),
    ("POST", "/account/notifications"): (
        "my_work",
        "/account/notifications",
        {"queue_item": "none", "complaint_step": "none", "weekly_reports": "email"},
    ),
    ("POST", "/role"): ("my_work", "/role", {"role": "expert"}),
    ("GET", "/calls"): ("calls", "/calls", {}),
    ("GET", "/calls/{call_id}"): ("calls", f"/calls/{ID}", {}),
    ("POST", "/calls/{call_id}/{step}"): ("calls", f"/calls/{ID}/callback", {"outcome": "resolved"}),
    ("GET", "/units"): ("units", "/units", {}),
    ("GET", "/end-of-day"): ("end_of_day", "/end-of-day", {}),
    ("GET", "/wallboard"): ("wallboard", "/wallboard", {}),
    ("GET", "/complaints"): ("complaints", "/complaints", {}),
    ("POST", "/complaints"): ("complaints", "/complaints", {"description": "x", "complainant_name": "y"}),
    ("GET", "/complaints/{complaint_id}"): ("complaints", f"/complaints/{ID}", {}),
    ("POST", "/complaints/{complaint_id}/{step:path}"): ("complaints", f"/complaints/{ID}/close", {}),
    ("GET", "/members"): ("members", "/members", {}),
    ("GET", "/members/{number}"): ("members", "/members/1001", {}),
    ("GET", "/surveys"): ("surveys", "/surveys", {}),
    ("GET", "/surveys/{survey_id}"): ("surveys", f"/surveys/{ID}", {}),
    ("POST", "/surveys/{survey_id}/contacts/{number}/not-reached"): (
        "surveys",
        f"/surveys/{ID}/contacts/1001/not-reached",
        {"line": "mobile"},
    ),
    ("GET", "/surveys/{survey_id}/contacts/{number}"): ("surveys", f"/surveys/{ID}/contacts/1001", {}),
    ("POST", "/surveys/{survey_id}/contacts/{number}/response"): (
        "surveys",
        f"/surveys/{ID}/contacts/1001/response",
        {"line": "mobile"},
    ),
    ("GET", "/desks"): ("desks", "/desks", {}),
    ("GET", "/desks/{desk_id}"): ("desks", f"/desks/{ID}", {}),
    ("POST", "/desks/{desk_id}/forms/{number}/{step}"): ("desks", f"/desks/{ID}/forms/1/decision", {"decision": "x"}),
    ("POST", "/desks/{desk_id}/steps/{step}"): ("desks", f"/desks/{ID}/steps/checklist", {}),
    ("GET", "/plan"): ("plan", "/plan", {}),
    ("GET", "/reports"): ("reports", "/reports", {}),
    ("GET", "/documents/{name}"): ("my_work", "/documents/units", {}),
    ("GET", "/mailbox"): ("mailbox", "/mailbox", {}),
    ("GET", "/mailbox/{kind}/{address}"): ("mailbox", "/mailbox/mail/a@x.example", {}),
    ("GET", "/mailbox/{kind}/{address}/{name}"): ("mailbox", "/mailbox/sms/0912/m1", {}),
    ("GET", "/admin/users"): ("users", "/admin/users", {}),
    ("POST", "/admin/users"): ("users", "/admin/users", {"name": "x"}),
    ("POST", "/admin/users/{name}"): ("users", "/admin/users/nobody", {"action": "enable"}),
    ("POST", "/logout"): ("my_work", "/logout", {}),
}
OPEN_ROUTES = {
    ("GET", "/"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/oidc/login"),
    ("GET", "/oidc/callback"),
    ("GET", "/health"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/redoc"),
}
ADMIN, AUDITOR = {"admin"}, {"admin", "auditor"}
API_ROUTES = {
    ("GET", "/metrics"): row({"monitoring", "admin", "auditor"}),
    ("GET", "/users"): row(AUDITOR),
    ("POST", "/users"): row(ADMIN, json={"name": "n.new", "roles": ["expert"]}),
    ("GET", "/users/{name}"): row(AUDITOR),
    ("PATCH", "/users/{name}"): row(ADMIN, json={"language": "tr"}),
    ("POST", "/users/{name}/password"): row(ADMIN, json={"password": "x"}),
    ("POST", "/users/{name}/disable"): row(ADMIN),
    ("POST", "/users/{name}/enable"): row(ADMIN),
    ("GET", "/users/{name}/history"): row(AUDITOR),
    ("GET", "/audit/events"): row(AUDITOR),
}
# The staff roles of the console (machines get bearer tokens, not logins), with a user each.
PEOPLE = [r for r in Role if r not in (Role.TELEPHONY, Role.MONITORING, Role.SERVICE)]


def test_the_tables_cover_every_route_of_the_console(app) -> None:
    routes = {r for r in routes_of(app) if not r[1].startswith(("/static", "/docs-assets"))}
    assert routes == set(PAGE_ROUTES) | OPEN_ROUTES | set(API_ROUTES)


def test_every_page_is_open_to_its_roles_only_and_sends_strangers_to_the_login(app, directory) -> None:
    clients = {}
    for role in PEOPLE:
        directory.add(f"user.{role.value.replace('_', '-')}", [role], by="setup", password=PASSWORD)
    wrong = []
    for role in PEOPLE:
        client = TestClient(app, base_url="https://testserver", follow_redirects=False)
        clients[role] = (client, log_in(client, f"user.{role.value.replace('_', '-')}"))
    anonymous = TestClient(app, base_url="https://testserver", follow_redirects=False)
    for (method, _template), (page, path, form) in PAGE_ROUTES.items():
        for role, (client, csrf) in clients.items():
            response = client.request(method, path, data={**form, "csrf": csrf} if method == "POST" else None)
            allowed = access.may_see(role, page)
            to_login = response.status_code == 303 and response.headers["location"].startswith("/login")
            if allowed and (response.status_code in (401, 403) or (to_login and path != "/logout")):
                wrong.append(f"{method} {path} {role.value}: {response.status_code}")
            if not allowed and response.status_code != 403:
                wrong.append(f"{method} {path} {role.value}: {response.status_code}, not 403")
        response = anonymous.request(method, path, data=form or None)
        if method == "GET" and not (response.status_code == 303 and response.headers["location"].startswith("/login")):
            wrong.append(f"{method} {path} anonymous: {response.status_code}")
        if method == "POST" and response.status_code not in (303, 403):
            wrong.append(f"{method} {path} anonymous: {response.status_code}")
    assert not wrong, "\n".join(wrong)


def test_open_routes_need_no_login(client: TestClient) -> None:
    for method, path in OPEN_ROUTES:
        if method == "GET" and path != "/oidc/callback":
            assert client.get(path).status_code in (200, 303, 404), path  # 404: OpenID Connect not configured
    assert client.get("/static/htmx.min.js").status_code == 200
    assert client.get("/oidc/callback?state=x&code=y").status_code == 401


@pytest.mark.parametrize(("method", "path"), sorted(API_ROUTES))
def test_the_users_api_admits_its_roles_only(client: TestClient, tokens, token_store, directory, method, path) -> None:
    directory.add("z.rahimi", ["expert"], by="setup", password=PASSWORD)
    check_row(client, every_role(tokens, token_store), method, path.format(name="z.rahimi"), API_ROUTES[(method, path)])
    assert set(ROLES) >= {"admin", "auditor"}
