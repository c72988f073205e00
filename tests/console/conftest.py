"""The console over unreachable services (its own rules: users, sessions, CSRF, access), and helpers to log in."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.console.main import create_app
from services.console.users import UserDirectory, fast_hasher
from shared.settings import ConsoleSettings, Settings

PASSWORD = "correct horse battery"
NOWHERE = {
    name: "http://127.0.0.1:9"
    for name in ("calls", "complaints", "surveys", "desks", "reporting", "members", "actions", "plan")
}


@pytest.fixture
def console_settings(settings: Settings) -> Settings:
    # Port 9 (discard) refuses at once: the console's own rules are tested without any service behind it.
    return settings.model_copy(update={"console": ConsoleSettings(service_urls=NOWHERE)})


@pytest.fixture
def app(console_settings, clock) -> FastAPI:
    return create_app(console_settings, clock=clock, hasher=fast_hasher())


@pytest.fixture
def directory(app) -> UserDirectory:
    found: UserDirectory = app.state.console.directory
    return found


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        yield client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def log_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Logs in through the login form; returns the CSRF token of the session's pages."""
    page = client.get("/login")
    response = client.post("/login", data={"csrf": csrf_of(page.text), "user_name": name, "password": password})
    assert response.status_code == 303, response.text
    work = client.get("/password")
    assert work.status_code == 200, work.text
    return csrf_of(work.text)
