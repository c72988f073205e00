"""Fixtures every test layer shares: settings in a temporary data folder, a fake clock, tokens per role."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shared.auth import Role, TokenStore
from shared.settings import Settings


class FakeClock:
    """Injected time: tests move it forward, nothing sleeps."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    # Saturday 21 November 2026, 10:30 in Tehran: a working day at the Isfahan chamber.
    return FakeClock(datetime(2026, 11, 21, 7, 0, tzinfo=UTC))


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    for name in list(__import__("os").environ):
        if name.startswith("CRM_"):
            monkeypatch.delenv(name)
    return Settings(data_dir=tmp_path / "data", relay_embedded=False)


@pytest.fixture
def token_store(settings: Settings) -> TokenStore:
    return TokenStore(settings.auth_db_url, cache_seconds=0)


@pytest.fixture
def tokens(token_store: TokenStore) -> dict[str, str]:
    """A bearer header per role; units and names match shared/organisation.default.toml."""
    people = {
        "expert": ("z.rahimi", Role.EXPERT, "member_relations"),
        "trade_expert": ("s.ahmadi", Role.EXPERT, "trade"),
        "unit_manager": ("f.alavi", Role.UNIT_MANAGER, "trade"),
        "other_manager": ("h.tehrani", Role.UNIT_MANAGER, "membership"),
        "mr_manager": ("m.karimi", Role.MR_MANAGER, "member_relations"),
        "sg": ("sg", Role.SG, None),
        "auditor": ("auditor", Role.AUDITOR, None),
        "telephony": ("pbx", Role.TELEPHONY, None),
        "admin": ("operator", Role.ADMIN, None),
        "monitoring": ("prometheus", Role.MONITORING, None),
        "committee": ("committee-1", Role.COMMITTEE, None),
    }
    return {
        key: {"Authorization": f"Bearer {token_store.create(name, role, unit)}"}
        for key, (name, role, unit) in people.items()
    }


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A client of the module's `app` fixture; entering it runs the lifespan, so the index follower is running."""
    with TestClient(app) as client:
        yield client


pytest_plugins = ["tests.browser"]
