"""The staff's commands and queue reads hand the thread pool one job per store access they need, and answer with
the same bodies as before: a callback loads the call (one job) and stores the command (another); the queue reads
read the index in one; the response is checked against its model without a further job."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.calls.main import create_app
from tests.calls.test_api import unanswered_call
from tests.helpers import settle


@pytest.fixture
def app(settings, clock) -> FastAPI:
    return create_app(settings, clock=clock, relay=False)


@pytest.fixture
def thread_jobs(monkeypatch) -> list[str]:
    jobs: list[str] = []
    run_sync = anyio.to_thread.run_sync

    async def counted(func: Any, *args: Any, **kwargs: Any) -> Any:
        jobs.append(getattr(func, "__name__", None) or getattr(getattr(func, "func", None), "__name__", repr(func)))
        return await run_sync(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    return jobs


def test_a_callback_takes_two_thread_jobs_and_answers_the_call_as_stored(client: TestClient, tokens, thread_jobs):
    call_id = unanswered_call(client, tokens)
    client.get("/queues/units/trade", headers=tokens["unit_manager"])  # the token known (cached) from here on
    thread_jobs.clear()
    response = client.post(
        f"/calls/{call_id}/callback",
        json={"outcome": "not_reached", "note": "no answer"},
        headers=tokens["unit_manager"],
    )
    assert response.status_code == 200, response.text
    assert thread_jobs == ["loaded_call", "record_callback"]
    body = response.json()
    assert body == client.get(f"/calls/{call_id}", headers=tokens["auditor"]).json()
    assert [(c["by"], c["outcome"], c["note"]) for c in body["callbacks"]] == [("f.alavi", "not_reached", "no answer")]
    assert list(body) == [  # the response model's fields, in its order
        "id", "version", "direction", "state", "received_at", "caller", "caller_raw", "callee", "member_id",
        "pbx_call_id", "purpose", "placed_by", "line", "source_ref", "unit", "answered_by", "missed_by",
        "member_relations_expert", "subject", "contact_name", "contact_phone", "transferred_to", "assigned_expert",
        "follow_up_due", "registered_at", "callback_due", "callbacks", "ended_at", "unrouted_queue",
    ]  # fmt: skip


def test_a_refused_command_still_answers_its_problem(client: TestClient, tokens, thread_jobs):
    call_id = unanswered_call(client, tokens)
    response = client.post(f"/calls/{call_id}/resolve", json={"note": "x"}, headers=tokens["unit_manager"])
    assert response.status_code == 403
    response = client.post(
        f"/calls/{call_id}/callback",
        json={"outcome": "referred", "referred_to": "nowhere"},
        headers=tokens["mr_manager"],
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_the_queue_reads_take_one_thread_job(client: TestClient, tokens, thread_jobs):
    call_id = unanswered_call(client, tokens)
    settle(client.app)
    client.get("/queues/units/trade", headers=tokens["unit_manager"])  # the token known (cached) from here on
    thread_jobs.clear()
    unit = client.get("/queues/units/trade?limit=10", headers=tokens["unit_manager"])
    assert unit.status_code == 200 and [i["id"] for i in unit.json()] == [call_id]
    assert unit.headers["x-total-count"] == "1"
    assert thread_jobs == ["_queue"]
    item = unit.json()[0]
    assert item["due"] == item["callback_due"] and item["received_at_local"] and item["due_local"]


def test_a_search_takes_one_thread_job_and_an_answer_one_for_its_command(client: TestClient, tokens, thread_jobs):
    call_id = unanswered_call(client, tokens)
    settle(client.app)
    client.get("/calls?limit=1", headers=tokens["unit_manager"])  # the token known (cached) from here on
    thread_jobs.clear()
    found = client.get("/calls?state=unanswered&day=1405/08/30&limit=5", headers=tokens["unit_manager"])
    assert found.status_code == 200 and [c["id"] for c in found.json()] == [call_id]
    assert thread_jobs == ["search_page"]
    ringing = client.post("/calls", json={"caller": "09131234567", "unit": "trade"}, headers=tokens["expert"]).json()
    client.get("/calls?limit=1", headers=tokens["trade_expert"])
    thread_jobs.clear()
    me = client.app.state.tokens.verify(tokens["trade_expert"]["Authorization"].split()[1]).name
    answered = client.post(f"/calls/{ringing['id']}/answer", json={"expert": me}, headers=tokens["trade_expert"])
    assert answered.status_code == 200, answered.text
    assert answered.json()["answered_by"] == me
    assert thread_jobs == ["loaded_call", "_then_public"]
