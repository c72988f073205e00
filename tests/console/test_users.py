"""Users, passwords, lock-out, sessions and CSRF of the console, with the injected clock."""

from __future__ import annotations

from contextlib import nullcontext

import pytest
from fastapi.testclient import TestClient

from services.console.users import BadCredentials, LockedOut, UserDirectory
from shared.auth import Role
from shared.errors import DomainError, InvalidInput, NotFound
from tests.console.conftest import PASSWORD, csrf_of, log_in
from tests.helpers import assert_problem


def test_a_password_is_kept_as_an_argon2id_hash_and_checked(directory: UserDirectory) -> None:
    directory.add("z.rahimi", ["expert"], by="operator", password=PASSWORD, unit="member_relations")
    with directory.engine.connect() as conn:
        stored = conn.exec_driver_sql("select password_hash from console_credentials").scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert directory.authenticate("Z.Rahimi ", PASSWORD).roles == (Role.EXPERT,)
    with pytest.raises(BadCredentials):
        directory.authenticate("z.rahimi", PASSWORD + "x")


def test_an_unknown_name_a_wrong_password_and_a_disabled_user_get_the_same_refusal(directory) -> None:
    directory.add("z.rahimi", ["expert"], by="operator", password=PASSWORD)
    directory.set_disabled("z.rahimi", True, by="operator")
    messages = set()
    for name, password in [("nobody", PASSWORD), ("z.rahimi", "wrong password!"), ("z.rahimi", PASSWORD)]:
        with pytest.raises(BadCredentials) as refused:
            directory.authenticate(name, password)
        messages.add(str(refused.value))
    assert len(messages) == 1


def test_five_failures_in_fifteen_minutes_lock_the_name_until_the_window_has_passed(directory, clock) -> None:
    directory.add("z.rahimi", ["expert"], by="operator", password=PASSWORD)
    for _ in range(4):
        with pytest.raises(BadCredentials):
            directory.authenticate("z.rahimi", "wrong password!")
        clock.advance(minutes=3)
    directory.authenticate("z.rahimi", PASSWORD)  # four failures: still allowed, and a success forgets them
    for _ in range(5):
        with pytest.raises(BadCredentials):
            directory.authenticate("z.rahimi", "wrong password!")
    with pytest.raises(LockedOut):
        directory.authenticate("z.rahimi", PASSWORD)  # even the right password, while locked
    clock.advance(minutes=14)
    with pytest.raises(LockedOut):
        directory.authenticate("z.rahimi", PASSWORD)
    clock.advance(minutes=1, seconds=1)
    assert directory.authenticate("z.rahimi", PASSWORD).name == "z.rahimi"


def test_failures_spread_beyond_the_window_do_not_lock(directory, clock) -> None:
    directory.add("z.rahimi", ["expert"], by="operator", password=PASSWORD)
    for _ in range(8):
        with pytest.raises(BadCredentials):
            directory.authenticate("z.rahimi", "wrong password!")
        clock.advance(minutes=4)
    assert not directory.locked("z.rahimi")


def test_a_session_ends_after_an_idle_hour_or_ten_hours_and_its_token_is_revoked(directory, clock, app) -> None:
    user = directory.add("z.rahimi", ["expert"], by="operator", password=PASSWORD, unit="member_relations")
    tokens = app.state.tokens
    idle = directory.open_session(user)
    assert tokens.verify(idle.token).name == "z.rahimi"
    clock.advance(minutes=59)
    assert directory.session(idle.id) is not None
    clock.advance(minutes=61)
    assert directory.session(idle.id) is None
    tokens._cache.clear()
    assert tokens.verify(idle.token) is None
    busy = directory.open_session(user)
    for _ in range(20):  # used every 30 minutes for ten hours
        clock.advance(minutes=30)
        assert directory.session(busy.id) is not None
    clock.advance(minutes=1)
    assert directory.session(busy.id) is None


def test_a_session_token_is_the_person_s_own_with_role_and_unit(directory, app) -> None:
    user = directory.add("f.alavi", ["unit_manager", "expert"], by="operator", password=PASSWORD, unit="trade")
    session = directory.open_session(user)
    principal = app.state.tokens.verify(session.token)
    assert (principal.name, principal.role, principal.unit) == ("f.alavi", Role.UNIT_MANAGER, "trade")
    other = directory.open_session(user, Role.EXPERT)
    assert app.state.tokens.verify(other.token).role == Role.EXPERT
    with pytest.raises(DomainError):
        directory.open_session(user, Role.SG)


def test_disabling_a_user_or_changing_the_roles_ends_the_sessions(directory, app) -> None:
    user = directory.add("f.alavi", ["unit_manager"], by="operator", password=PASSWORD, unit="trade")
    first = directory.open_session(user)
    directory.change("f.alavi", by="operator", roles=["expert"])
    assert directory.session(first.id) is None
    second = directory.open_session(directory.get("f.alavi"))
    directory.set_disabled("f.alavi", True, by="operator")
    assert directory.session(second.id) is None
    app.state.tokens._cache.clear()
    assert app.state.tokens.verify(second.token) is None


def test_every_change_to_a_user_is_recorded_with_who_made_it(directory) -> None:
    directory.add("f.alavi", ["unit_manager"], by="operator", password=PASSWORD, unit="trade", email="f@x.example")
    directory.change("f.alavi", by="operator", roles=["unit_manager", "expert"], language="tr")
    directory.set_password("f.alavi", "another long one", by="admin-2")
    directory.set_disabled("f.alavi", True, by="operator")
    history = directory.history("f.alavi")
    assert [(e["type"], e["by"]) for e in history] == [
        ("user.added", "operator"),
        ("user.roles_changed", "operator"),
        ("user.language_changed", "operator"),
        ("user.password_changed", "admin-2"),
        ("user.disabled", "operator"),
    ]
    assert history[1]["data"] == {"from": ["unit_manager"], "to": ["unit_manager", "expert"]}
    assert all("password" not in str(e["data"]).replace("password_set", "") for e in history)


@pytest.mark.parametrize(
    ("name", "roles", "password", "language"),
    [
        ("x", ["expert"], PASSWORD, "fa"),  # too short a name
        ("z.rahimi", [], PASSWORD, "fa"),
        ("z.rahimi", ["wizard"], PASSWORD, "fa"),
        ("z.rahimi", ["telephony"], PASSWORD, "fa"),  # machines get bearer tokens, not logins
        ("z.rahimi", ["expert"], "short", "fa"),
        ("z.rahimi", ["expert"], PASSWORD, "de"),
    ],
)
def test_a_bad_user_is_refused_and_nothing_is_stored(directory, name, roles, password, language) -> None:
    with pytest.raises(InvalidInput):
        directory.add(name, roles, by="operator", password=password, language=language)
    assert directory.all() == []


# --- over HTTP: cookies, CSRF, login, logout ------------------------------------------------------------------------


def test_login_sets_a_secure_httponly_samesite_cookie_and_logout_ends_it(client: TestClient, directory, app) -> None:
    directory.add("z.rahimi", ["expert"], by="operator", password=PASSWORD, unit="member_relations")
    page = client.get("/login")
    response = client.post("/login", data={"csrf": csrf_of(page.text), "user_name": "z.rahimi", "password": PASSWORD})
    assert response.status_code == 303 and response.headers["location"] == "/work"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("crm_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie
    token = directory.session(client.cookies["crm_session"]).token
    csrf = csrf_of(client.get("/password").text)
    assert client.post("/logout", data={"csrf": csrf}).status_code == 303
    assert client.get("/work").status_code == 303  # back to the login page
    app.state.tokens._cache.clear()
    assert app.state.tokens.verify(token) is None


def test_the_cookie_is_not_secure_over_plain_http_unless_configured(app, directory) -> None:
    directory.add("z.rahimi", ["expert"], by="operator", password=PASSWORD)
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as plain:
        page = plain.get("/login")
        response = plain.post(
            "/login", data={"csrf": csrf_of(page.text), "user_name": "z.rahimi", "password": PASSWORD}
        )
        cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("crm_session="))
        assert "Secure" not in cookie and "HttpOnly" in cookie


def test_a_login_without_the_form_s_csrf_token_is_refused(client: TestClient, directory) -> None:
    directory.add("z.rahimi", ["expert"], by="operator", password=PASSWORD)
    client.get("/login")
    response = client.post("/login", data={"csrf": "forged", "user_name": "z.rahimi", "password": PASSWORD})
    assert response.status_code == 403 and "crm_session" not in client.cookies


def test_every_form_post_needs_the_session_s_csrf_token(client: TestClient, directory) -> None:
    directory.add("operator", ["admin"], by="setup", password=PASSWORD)
    csrf = log_in(client, "operator")
    for path, data in [
        ("/logout", {}),
        ("/language", {"language": "tr"}),
        ("/password", {"old_password": PASSWORD, "new_password": "x" * 12, "new_password_again": "x" * 12}),
        ("/admin/users", {"name": "new.user", "roles": "expert", "password": PASSWORD}),
        ("/calls/00000000-0000-0000-0000-000000000000/callback", {"outcome": "resolved"}),
        ("/complaints/00000000-0000-0000-0000-000000000000/close", {}),
    ]:
        for forged in ({}, {"csrf": "forged"}):
            assert client.post(path, data={**data, **forged}).status_code == 403, path
    assert directory.get("operator").language == "fa" and directory.find("new.user") is None
    assert client.post("/language", data={"language": "tr", "csrf": csrf}).status_code == 303
    assert directory.get("operator").language == "tr"


def test_the_login_page_says_locked_after_five_failures(client: TestClient, directory) -> None:
    directory.add("z.rahimi", ["expert"], by="operator", password=PASSWORD)
    for _ in range(5):
        page = client.get("/login")
        response = client.post("/login", data={"csrf": csrf_of(page.text), "user_name": "z.rahimi", "password": "bad"})
        assert response.status_code == 401
        assert "نام کاربری یا گذرواژه نادرست است" in response.text
    page = client.get("/login")
    response = client.post("/login", data={"csrf": csrf_of(page.text), "user_name": "z.rahimi", "password": PASSWORD})
    assert response.status_code == 429 and "قفل" in response.text


def test_the_password_page_checks_the_old_password_and_ends_the_other_sessions(app, directory) -> None:
    directory.add("z.rahimi", ["expert"], by="operator", password=PASSWORD)
    with (
        TestClient(app, base_url="https://testserver", follow_redirects=False) as one,
        nullcontext(TestClient(app, base_url="https://testserver", follow_redirects=False)) as two,
    ):
        csrf = log_in(one, "z.rahimi")
        log_in(two, "z.rahimi")
        new = "a brand new passphrase"
        wrong = one.post(
            "/password", data={"csrf": csrf, "old_password": "nope", "new_password": new, "new_password_again": new}
        )
        assert wrong.status_code == 401
        ok = one.post(
            "/password", data={"csrf": csrf, "old_password": PASSWORD, "new_password": new, "new_password_again": new}
        )
        assert ok.status_code == 200
        assert one.get("/work").status_code == 200
        assert two.get("/work").status_code == 303
        assert directory.authenticate("z.rahimi", new).name == "z.rahimi"


def test_after_login_the_console_only_goes_back_to_its_own_pages(client: TestClient, directory) -> None:
    directory.add("z.rahimi", ["expert"], by="operator", password=PASSWORD)
    page = client.get("/login?next=https://evil.example/")
    data = {"csrf": csrf_of(page.text), "user_name": "z.rahimi", "password": PASSWORD, "next": "//evil.example/"}
    assert client.post("/login", data=data).headers["location"] == "/work"


# --- the users API --------------------------------------------------------------------------------------------------


def test_admins_manage_users_over_the_api_and_every_change_is_in_the_history(client: TestClient, tokens) -> None:
    body = {"name": "s.ahmadi", "roles": ["expert"], "unit": "trade", "language": "tr", "password": PASSWORD}
    created = client.post("/users", json=body, headers=tokens["admin"])
    assert created.status_code == 201, created.text
    assert created.json()["has_password"] and "password" not in created.json()
    assert_problem(client.post("/users", json=body, headers=tokens["admin"]), 409, "exists already")
    assert_problem(
        client.post("/users", json={**body, "name": "b.x", "roles": ["wizard"]}, headers=tokens["admin"]), 422
    )
    changed = client.patch("/users/s.ahmadi", json={"roles": ["unit_manager"]}, headers=tokens["admin"])
    assert changed.json()["roles"] == ["unit_manager"]
    assert client.post("/users/s.ahmadi/disable", headers=tokens["admin"]).json()["disabled"] is True
    history = client.get("/users/s.ahmadi/history", headers=tokens["auditor"]).json()
    assert [(e["type"], e["by"]) for e in history] == [
        ("user.added", "operator"),
        ("user.roles_changed", "operator"),
        ("user.disabled", "operator"),
    ]
    assert_problem(client.get("/users/nobody", headers=tokens["admin"]), 404)
    assert client.post("/users", json=body, headers=tokens["sg"]).status_code == 403


def test_setting_a_password_over_the_api_lifts_a_lock_out(client: TestClient, tokens, directory) -> None:
    directory.add("z.rahimi", ["expert"], by="operator", password=PASSWORD)
    for _ in range(5):
        with pytest.raises(BadCredentials):
            directory.authenticate("z.rahimi", "wrong password!")
    assert directory.locked("z.rahimi")
    response = client.post("/users/z.rahimi/password", json={"password": "a fresh passphrase"}, headers=tokens["admin"])
    assert response.status_code == 204
    assert directory.authenticate("z.rahimi", "a fresh passphrase").name == "z.rahimi"


def test_logging_out_of_one_session_leaves_the_person_s_other_sessions_and_tokens(directory, app) -> None:
    """TokenStore.revoke_token ends one token; revoke(name) would end every token of the person."""
    user = directory.add("z.rahimi", ["expert"], by="operator", password=PASSWORD)
    machine = app.state.tokens.create("z.rahimi", Role.EXPERT)  # e.g. a script of the same person
    laptop, tablet = directory.open_session(user), directory.open_session(user)
    directory.close_session(laptop)
    app.state.tokens._cache.clear()
    assert app.state.tokens.verify(laptop.token) is None
    assert app.state.tokens.verify(tablet.token).name == "z.rahimi" and directory.session(tablet.id) is not None
    assert app.state.tokens.verify(machine).name == "z.rahimi"
    assert app.state.tokens.revoke_token(laptop.token) is False  # already revoked


def test_changes_to_users_are_events_in_the_signed_audit_export_without_any_password(
    client: TestClient, directory, tokens, console_settings
) -> None:
    import json

    from services.console.main import build_index
    from shared.audit.chain import split_line

    directory.add("f.alavi", ["unit_manager"], by="operator", password=PASSWORD, unit="trade")
    directory.change("f.alavi", by="admin-2", roles=["unit_manager", "expert"], clear_unit=True)
    directory.set_password("f.alavi", "another long one", by="admin-2")
    directory.unlock("f.alavi", by="admin-2")
    log_in(client, "f.alavi", "another long one")  # a login is kept in its table, not exported
    response = client.get("/audit/events", headers=tokens["auditor"])
    assert response.status_code == 200, response.text
    exported = [json.loads(split_line(line)[0]) for line in response.content.splitlines()]
    assert [e["type"] for e in exported] == [
        "crm.console.user.added.v1",
        "crm.console.user.roles_changed.v1",
        "crm.console.user.unit_changed.v1",
        "crm.console.user.password_changed.v1",
        "crm.console.user.unlocked.v1",
    ]
    assert exported[1]["data"]["after"] == ["unit_manager", "expert"] and exported[1]["data"]["by"] == "admin-2"
    assert "argon2" not in response.text and "another long one" not in response.text
    assert [e["type"] for e in directory.history("f.alavi")][-1] == "user.logged_in"
    # The users list is an index of the store, rebuilt from it alone
    index = build_index(console_settings, directory.book)
    assert index.rebuild() == 5 and index.names() == ["f.alavi"]
    assert [u.name for u in directory.all()] == ["f.alavi"]


def test_an_unknown_user_cannot_be_unlocked_and_nothing_is_recorded(directory) -> None:
    with pytest.raises(NotFound):
        directory.unlock("nobody", by="operator")
    assert directory.book.recorder.max_notification_id() in (None, 0)
