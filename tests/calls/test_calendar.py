"""The calendar the chamber keeps, entered at run time: closures and dated schedules are events of the calls store,
apply at once to new deadlines, and move every open deadline they touch with an event saying from what, to what
and why."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from services.calls.main import build_centre, create_app
from tests.helpers import assert_problem
from tests.reporting.test_api import abandoned, envelopes

TEHRAN = ZoneInfo("Asia/Tehran")


def tehran(*args: int) -> datetime:
    return datetime(*args, tzinfo=TEHRAN)


@pytest.fixture
def client(settings, clock) -> Iterator[TestClient]:
    clock.now = tehran(2026, 12, 1, 15, 30)
    with TestClient(create_app(settings, clock=clock, relay=False)) as client:
        yield client


def moved_events(centre) -> list:
    return [e for e in envelopes(centre) if e.type == "crm.calls.call.deadline_moved.v1"]


def callback_due(client: TestClient, call_id: str) -> datetime:
    return client.app.state.centre.get_call(uuid.UUID(call_id)).callback_due


def close(client: TestClient, tokens, day: str, reason: str = "pollution", **extra):
    return client.post("/calendar/closures", json={"day": day, "reason": reason, **extra}, headers=tokens["admin"])


def test_a_closure_moves_the_open_callback_deadlines_it_touches_with_the_reason(client, tokens) -> None:
    centre = client.app.state.centre
    # Tuesday 15:00: 1 h on Tuesday, 8 on Wednesday, 4 on Thursday, 8 on Saturday, 3 on Sunday.
    open_call = abandoned(centre, tehran(2026, 12, 1, 15, 0))
    settled = abandoned(centre, tehran(2026, 12, 1, 15, 1), caller="09137778899")
    assert callback_due(client, open_call) == tehran(2026, 12, 6, 11, 0)
    centre.record_callback(uuid.UUID(settled), by="f.alavi", outcome="resolved", note="done")

    response = close(client, tokens, "2026-12-02", note="Tehran province closed its offices")
    assert response.status_code == 201, response.text
    assert (response.json()["day"], response.json()["reason"], response.json()["by"]) == (
        "2026-12-02",
        "pollution",
        "operator",
    )
    client.app.state.deadline_mover.follower.catch_up()

    assert callback_due(client, open_call) == tehran(2026, 12, 7, 11, 0)  # Wednesday's 8 hours come on Monday
    [moved] = moved_events(centre)  # the call already called back keeps its record as it was
    assert moved.subject == open_call
    data = moved.data
    assert datetime.fromisoformat(data["old_due"]) == tehran(2026, 12, 6, 11, 0)
    assert datetime.fromisoformat(data["new_due"]) == tehran(2026, 12, 7, 11, 0)
    assert data["kind"] == "callback"
    assert data["reason"] == "closed on 2026-12-02 (pollution): Tehran province closed its offices"

    # A replay of the log (a lost position) moves nothing twice.
    client.app.state.deadline_mover.follower.reset()
    client.app.state.deadline_mover.follower.catch_up()
    assert len(moved_events(centre)) == 1


def test_a_closure_applies_at_once_to_deadlines_counted_after_it(client, tokens) -> None:
    assert close(client, tokens, "2026-12-02").status_code == 201
    call_id = abandoned(client.app.state.centre, tehran(2026, 12, 1, 15, 0))
    assert callback_due(client, call_id) == tehran(2026, 12, 7, 11, 0)


def test_a_schedule_from_a_date_moves_deadlines_that_run_past_it(client, tokens) -> None:
    call_id = abandoned(client.app.state.centre, tehran(2026, 12, 1, 15, 0))
    # From Saturday the public offices' hours, 08:00-14:00 with Thursday closed: 1 + 8 + 4 on the old hours by
    # Thursday, then 6 on Saturday and 5 on Sunday.
    response = client.post(
        "/calendar/schedules",
        json={"effective_from": "2026-12-05", "preset": "ir-public-offices"},
        headers=tokens["admin"],
    )
    assert response.status_code == 201, response.text
    client.app.state.deadline_mover.follower.catch_up()
    assert callback_due(client, call_id) == tehran(2026, 12, 6, 13, 0)


def test_the_calendar_shows_its_default_schedules_closures_and_presets_with_sources(client, tokens) -> None:
    close(client, tokens, "2026-12-02", reason="mourning")
    client.post(
        "/calendar/schedules",
        json={"effective_from": "2027-06-06", "hours": {"saturday": ["06:00-13:00"]}},
        headers=tokens["admin"],
    )
    shown = client.get("/calendar", headers=tokens["unit_manager"])
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["default"]["chosen_by"] == "the IR preset (CRM_CHAMBER)"
    assert body["default"]["hours"]["thursday"] == ["08:00-12:00"]
    assert [(c["day"], c["reason"]) for c in body["closures"]] == [("2026-12-02", "mourning")]
    assert [(c["effective_from"], c["hours"]) for c in body["schedules"]] == [
        ("2027-06-06", {"saturday": ["06:00-13:00"]})
    ]
    assert "circular" in body["presets"]["ir-summer"]["source"]


@pytest.mark.parametrize(
    ("path", "body", "says"),
    [
        ("/calendar/closures", {"day": "2026-12-02", "reason": "boredom"}, "reason"),
        ("/calendar/closures", {"day": "1900-01-01", "reason": "heat"}, "day"),
        ("/calendar/schedules", {"effective_from": "2027-06-06"}, "either"),
        ("/calendar/schedules", {"effective_from": "2027-06-06", "preset": "ir-winter"}, "preset"),
        ("/calendar/schedules", {"effective_from": "2027-06-06", "hours": {"caturday": ["08:00-12:00"]}}, "weekday"),
        ("/calendar/schedules", {"effective_from": "2027-06-06", "hours": {"saturday": ["14:00-08:00"]}}, "ends"),
        ("/calendar/schedules", {"effective_from": "2027-06-06", "hours": {}}, "no working hours"),
    ],
)
def test_bad_calendar_input_is_refused_and_records_nothing(client, tokens, path, body, says) -> None:
    response = client.post(path, json=body, headers=tokens["admin"])
    assert_problem(response, 422, says)
    assert client.app.state.centre.calendar_changes() == []


def test_a_restarted_calls_service_keeps_the_chamber_s_closures(settings, clock, tokens) -> None:
    centre = build_centre(settings, clock)
    centre.close_day(day=date(2026, 12, 2), reason="heat", by="operator")
    again = build_centre(settings, clock)
    assert not again.calendar.is_working_day(date(2026, 12, 2))


# --- crm calendar --------------------------------------------------------------------------------------------------


def crm(client: TestClient, settings, token: str, *argv: str) -> tuple[int, str]:
    import io

    from services.calls import calendar_cli
    from services.cli import build_parser

    out = io.StringIO()
    args = build_parser().parse_args(["calendar", "--token", token, *argv])
    return calendar_cli.run(args, settings, client=client, out=out), out.getvalue()


def bearer(tokens, role: str) -> str:
    return tokens[role]["Authorization"].removeprefix("Bearer ")


def test_crm_calendar_closes_a_day_sets_hours_and_shows_them(client, settings, tokens) -> None:
    admin = bearer(tokens, "admin")
    code, out = crm(client, settings, admin, "close", "2026-12-02", "--reason", "heat", "--note", "45 degrees")
    assert code == 0, out
    code, _ = crm(
        client, settings, admin, "schedule", "--from", "2027-06-06", "--hours", "saturday=06:00-10:00,10:30-13:00"
    )
    assert code == 0
    code, out = crm(client, settings, bearer(tokens, "auditor"), "show")
    assert code == 0
    import json

    shown = json.loads(out)
    assert shown["default"]["chosen_by"] == "the IR preset (CRM_CHAMBER)"
    assert [(c["day"], c["reason"], c["note"]) for c in shown["closures"]] == [("2026-12-02", "heat", "45 degrees")]
    assert shown["schedules"][0]["hours"] == {"saturday": ["06:00-10:00", "10:30-13:00"]}
    assert not client.app.state.centre.calendar.is_working_day(date(2026, 12, 2))


def test_crm_calendar_says_why_it_was_refused_and_exits_1(client, settings, tokens, capsys) -> None:
    code, _ = crm(client, settings, bearer(tokens, "admin"), "schedule", "--from", "2027-06-06", "--preset", "nope")
    assert code == 1
    assert "no schedule preset 'nope'" in capsys.readouterr().err
    code, _ = crm(client, settings, bearer(tokens, "unit_manager"), "close", "2026-12-02", "--reason", "heat")
    assert code == 1  # only an admin changes the calendar
    assert client.app.state.centre.calendar_changes() == []
