"""The order of the queues: the most urgent deadline first, and among calls due at the same moment (every call
registered while the chamber is closed is due the same working hour) the one that has waited longest."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.calls.main import create_app
from tests.calls.test_api import unanswered_call
from tests.helpers import settle


@pytest.fixture
def app(settings, clock) -> FastAPI:
    return create_app(settings, clock=clock, relay=False)


def test_calls_due_at_the_same_moment_are_listed_in_the_order_they_came(client: TestClient, tokens, clock) -> None:
    early = unanswered_call(client, tokens)  # Saturday morning, in working hours: due first
    clock.advance(hours=12)  # Saturday 22:30 in Tehran: the chamber is closed until Sunday 08:00
    night = []
    for _ in range(6):
        night.append(unanswered_call(client, tokens))
        clock.advance(minutes=5)
    settle(client.app)
    for path, headers in [
        ("/queues/units/trade", tokens["unit_manager"]),
        ("/queues/experts/me", tokens["trade_expert"]),
    ]:
        items = client.get(path, headers=headers).json()
        assert [i["id"] for i in items] == [early, *night], path
        dues = [datetime.fromisoformat(i["due"]) for i in items]
        assert dues[0] < dues[1] and len(set(dues[1:])) == 1  # the night's calls share one deadline
        received = [datetime.fromisoformat(i["received_at"]) for i in items]
        assert received == sorted(received)
