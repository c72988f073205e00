"""The console over unreachable services (its own rules: users, sessions, CSRF, access), and helpers to log in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.calls.main import create_app as calls_app
from services.complaints.main import create_app as complaints_app
from services.console.main import create_app
from services.console.users import UserDirectory, fast_hasher
from services.desks.main import create_app as desks_app
from services.members.main import create_app as members_app
from services.notifications.main import create_app as notifications_app
from services.plan.main import create_app as plan_app
from services.reporting.main import create_app as reporting_app
from services.surveys.main import create_app as surveys_app
from shared.auth import Role
from shared.settings import ConsoleSettings, Settings

PASSWORD = "correct horse battery"
NOWHERE = {
    name: "http://127.0.0.1:9"
    for name in (
        "calls",
        "complaints",
        "surveys",
        "desks",
        "reporting",
        "members",
        "actions",
        "plan",
        "notifications",
    )
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


# The console's users in the tests with the real services: the names of the services' tests' bearer tokens
# (shared/organisation.default.toml).
PEOPLE = {
    "s.ahmadi": (Role.EXPERT, "trade", "fa"),
    "f.alavi": (Role.UNIT_MANAGER, "trade", "fa"),
    "m.karimi": (Role.MR_MANAGER, "member_relations", "fa"),
    "sg": (Role.SG, None, "fa"),
}


@dataclass
class World:
    console: FastAPI
    services: dict[str, TestClient]  # the real services, in-process, their lifespans running
    who: dict[str, dict[str, str]]  # bearer headers of the services' tests, to set the day up through the APIs
    directory: UserDirectory
    url: str = ""


@pytest.fixture
def world(settings, clock, tokens, token_store) -> Iterator[World]:
    """The console over the real services, all on the same settings, token store and fake clock."""
    apps: dict[str, FastAPI] = {
        "calls": calls_app(settings, clock=clock, relay=False),
        "complaints": complaints_app(settings, clock=clock, relay=False),
        "members": members_app(settings, clock=clock, relay=False),
        "reporting": reporting_app(settings, clock=clock),
        "surveys": surveys_app(settings, clock=clock, relay=False),
        "desks": desks_app(settings, clock=clock, relay=False),
        "plan": plan_app(settings, clock=clock, relay=False),
        "notifications": notifications_app(settings, clock=clock, relay=False),
    }
    more = {"handler": ("p.mohammadi", Role.EXPERT, "international")}
    who = {**tokens, **{k: {"Authorization": f"Bearer {token_store.create(n, r, u)}"} for k, (n, r, u) in more.items()}}
    with ExitStack() as stack:
        services = {name: stack.enter_context(TestClient(app)) for name, app in apps.items()}
        console = create_app(settings, clock=clock, clients=services, hasher=fast_hasher())
        directory: UserDirectory = console.state.console.directory
        for name, (role, unit, language) in PEOPLE.items():
            directory.add(name, [role], by="operator", password=PASSWORD, unit=unit, language=language)
        yield World(console, services, who, directory)
