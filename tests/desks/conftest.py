"""The desks service's app with the member-services roles and the president, and a recorder in place of the
actions service's internal door."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.desks.main import create_app
from shared.auth import Role


class Door:
    """Stands for POST /internal/actions or /internal/complaints: idempotent by source_ref, like the real ones."""

    def __init__(self) -> None:
        self.opened: dict[str, dict[str, Any]] = {}
        self.down = False

    def __call__(self, request: dict[str, Any]) -> str:
        from services.desks.outbox import NotDelivered

        if self.down:
            raise NotDelivered("service unreachable")
        self.opened.setdefault(request["source_ref"], request)
        return f"00000000-0000-4000-8000-{len(self.opened):012d}"


@pytest.fixture
def door() -> Door:
    return Door()


@pytest.fixture
def complaints_door() -> Door:
    return Door()


@pytest.fixture
def app(settings, clock, door, complaints_door) -> FastAPI:
    return create_app(settings, clock=clock, relay=False, open_action=door, open_complaint=complaints_door)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def headers(tokens, token_store) -> dict[str, dict[str, str]]:
    people = {
        "ms_expert": ("l.moradi", Role.MS_EXPERT),
        "ms_manager": ("p.nouri", Role.MS_MANAGER),
        "president": ("president", Role.PRESIDENT),
        "service": ("scheduler", Role.SERVICE),
    }
    return {
        **tokens,
        **{k: {"Authorization": f"Bearer {token_store.create(n, r)}"} for k, (n, r) in people.items()},
    }
