"""The queues' pages rendered once per version of each call (services/calls/queue_json.py): the same bytes as the
response model's, a changed call shown as it now is, nothing rendered kept past an erasure."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.calls.main import create_app
from services.calls.schemas import QueueItem
from shared.calendar import WEEKDAYS
from tests.calls.test_api import member_registered, new_call, unanswered_call
from tests.helpers import settle


@pytest.fixture
def app(settings, clock) -> FastAPI:
    app = create_app(settings, clock=clock, relay=False)

    # The queue items as the endpoints built them before, answered through FastAPI's response model: the reference.
    @app.get("/reference/units/{unit}", response_model=list[QueueItem])
    def reference(unit: str) -> Any:
        centre, index = app.state.centre, app.state.index
        items, _ = index.queue_page(unit=unit, limit=50)
        names = app.state.members.names_of(i.get("member_id") for i in items)
        out = []
        for item in items:
            due_text = item.get("callback_due") or item.get("follow_up_due")
            due = datetime.fromisoformat(due_text) if due_text else None
            out.append(
                {
                    **item,
                    "member_name": names.get(item.get("member_id")),
                    "received_at_local": centre.calendar.format(datetime.fromisoformat(item["received_at"])),
                    "due": due,
                    "due_local": centre.calendar.format(due) if due else None,
                    "working_seconds_left": centre.calendar.working_time_between(centre.clock(), due).total_seconds()
                    if due
                    else None,
                }
            )
        return out

    return app


def _member(client: TestClient, number: str, name: str, phone: str) -> None:
    client.app.state.members.apply([member_registered(int(number[-2:]), number, name, phone)])


def _calls(client: TestClient, tokens, clock) -> list[str]:
    """Three unanswered trade calls: one of a known member with callbacks not reached, two of unknown callers."""
    _member(client, "11-0001", "شرکت بازرگانی نمونه", "+989131234567")
    ids = [unanswered_call(client, tokens)]
    for note in ("no answer", "busy"):
        clock.advance(minutes=20)
        response = client.post(
            f"/calls/{ids[0]}/callback", json={"outcome": "not_reached", "note": note}, headers=tokens["unit_manager"]
        )
        assert response.status_code == 200, response.text
    for caller in ("03136645000", "09121112233"):
        clock.advance(hours=3)
        call_id = new_call(client, tokens, caller=caller)["id"]
        for step, body in [
            ("unit-not-answered", None),
            ("transfer-to-member-relations", None),
            ("subject", {"subject": "گواهی مبدأ", "contact_name": None}),
            ("transfer", {"expert": "s.ahmadi"}),
            ("unanswered", {}),
        ]:
            response = client.post(f"/calls/{call_id}/{step}", json=body, headers=tokens["expert"])
            assert response.status_code == 200, (step, response.text)
        ids.append(call_id)
    settle(client.app)
    return ids


def test_a_queue_page_is_byte_for_byte_the_response_models_json(client: TestClient, tokens, clock) -> None:
    ids = _calls(client, tokens, clock)
    clock.advance(hours=30)  # into the deadlines: working time left changes with the clock, late ones negative
    for _ in range(2):  # rendered, then served from what was rendered
        page = client.get("/queues/units/trade?limit=50", headers=tokens["unit_manager"])
        reference = client.get("/reference/units/trade", headers=tokens["unit_manager"])
        assert page.status_code == 200
        assert page.content == reference.content
        assert page.headers["content-type"] == reference.headers["content-type"]
        assert page.headers["x-total-count"] == "3"
    items = page.json()
    assert {i["id"] for i in items} == set(ids)
    known = next(i for i in items if i["id"] == ids[0])
    assert known["member_name"] == "شرکت بازرگانی نمونه"
    assert [c["note"] for c in known["callbacks"]] == ["no answer", "busy"]
    assert len(client.app.state.rendered_calls) == 3


def test_a_call_changed_since_it_was_rendered_is_shown_as_it_now_is(client: TestClient, tokens, clock) -> None:
    ids = _calls(client, tokens, clock)
    before = client.get("/queues/units/trade", headers=tokens["unit_manager"]).json()
    assert len(next(i for i in before if i["id"] == ids[0])["callbacks"]) == 2
    response = client.post(
        f"/calls/{ids[0]}/callback", json={"outcome": "not_reached", "note": "again"}, headers=tokens["unit_manager"]
    )
    assert response.status_code == 200
    settle(client.app)
    after = client.get("/queues/units/trade", headers=tokens["unit_manager"])
    assert [c["note"] for c in next(i for i in after.json() if i["id"] == ids[0])["callbacks"]] == [
        "no answer",
        "busy",
        "again",
    ]
    assert after.content == client.get("/reference/units/trade", headers=tokens["unit_manager"]).content
    assert len(client.app.state.rendered_calls) == 3  # the old rendering replaced, not kept beside the new one


def test_nothing_rendered_outlives_an_erasure(client: TestClient, tokens, clock) -> None:
    _calls(client, tokens, clock)
    client.get("/queues/units/trade", headers=tokens["unit_manager"])
    rendered = client.app.state.rendered_calls
    assert len(rendered) == 3
    client.app.state.index.forget_members(["11-0001"])  # the member was erased: the index reads [erased] now
    page = client.get("/queues/units/trade", headers=tokens["unit_manager"])
    assert page.content == client.get("/reference/units/trade", headers=tokens["unit_manager"]).content
    assert len(rendered) == 3  # rendered again from the index after the erasure, the earlier ones dropped
    assert rendered._seen_erasures == 1


def test_the_working_time_left_follows_the_clock_and_the_calendar(client: TestClient, tokens, clock) -> None:
    """The working time to each deadline is kept per call from the start of the day: reads through the days, and a
    read after the working hours change, count it again (the reference counts it from scratch at every read)."""
    _calls(client, tokens, clock)

    def read() -> list[dict[str, Any]]:
        page = client.get("/queues/units/trade", headers=tokens["unit_manager"])
        assert page.content == client.get("/reference/units/trade", headers=tokens["unit_manager"]).content
        return page.json()

    seen = set()
    for _ in range(12):  # two days and more, three hours at a time: past midnight UTC, in and out of working hours
        seen.add(tuple(i["working_seconds_left"] for i in read()))
        clock.advance(hours=3, minutes=7)
    assert len(seen) > 4
    read()  # kept for this moment's day
    calendar = client.app.state.centre.calendar
    revision = calendar.revision
    today = clock().astimezone(calendar.tz).date()
    calendar.set_schedule(today - timedelta(days=1), {day: ["00:00-24:00"] for day in WEEKDAYS})
    assert calendar.revision == revision + 1
    items = read()  # every hour a working hour now: the time left is the time to the deadline
    assert [i["working_seconds_left"] for i in items] == [
        (datetime.fromisoformat(i["due"]) - clock()).total_seconds() for i in items
    ]
