"""`as_of` on the reports: what a report showed at a past moment, byte for byte, from the events applied by then."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from services.calls.domain import CallbackOutcome
from services.reporting.main import create_app
from shared.as_of import parse_as_of
from tests.helpers import assert_problem
from tests.reporting.test_api import Day, abandoned, tehran


@pytest.fixture
def day(settings, clock) -> Day:
    return Day(settings, clock)


REPORTS: list[tuple[str, dict[str, str]]] = [
    ("/reports/unanswered", {"state": "all"}),
    ("/reports/unanswered", {}),
    ("/reports/units", {}),
    ("/reports/end-of-day", {}),
    ("/reports/end-of-day/trade/2026-11-23", {}),
    ("/reports/end-of-day/trade/2026-11-23", {"format": "csv"}),
    ("/reports/escalations", {}),
    ("/reports/member-relations/follow-ups", {"state": "all"}),
    ("/reports/calls/stats", {"period": "week", "day": "2026-11-23"}),
    ("/reports/calls/wallboard", {}),
    ("/reports/complaints/open", {}),
]


def _later_day(day: Day, clock) -> str:
    """Wednesday: a new abandoned call, the 10:31 callback made, the processor's tick; returns the new call's id."""
    clock.now = tehran(2026, 11, 25, 11, 0)
    late = abandoned(day.centre, tehran(2026, 11, 25, 10, 50), caller="09139990000")
    day.centre.record_callback(uuid.UUID(day.automatic), by="f.alavi", outcome=CallbackOutcome.RESOLVED, note="done")
    day.engine.tick()
    day.feed()
    return late


def test_every_report_as_of_a_past_moment_is_byte_for_byte_what_it_showed_then(settings, clock, day, tokens) -> None:
    with TestClient(create_app(settings, clock=clock)) as client:
        then = clock.now
        stored = {}
        for path, params in REPORTS:
            response = client.get(path, params=params, headers=tokens["sg"])
            assert response.status_code == 200, (path, response.text)
            stored[(path, tuple(params.items()))] = response.content

        late = _later_day(day, clock)

        now = client.get("/reports/unanswered", params={"state": "all"}, headers=tokens["sg"]).json()
        assert late in {i["call_id"] for i in now}
        assert client.get("/reports/units", headers=tokens["sg"]).content != stored[("/reports/units", ())]
        for path, params in REPORTS:
            response = client.get(path, params={**params, "as_of": then.isoformat()}, headers=tokens["sg"])
            assert response.status_code == 200, (path, response.text)
            assert response.content == stored[(path, tuple(params.items()))], path
        # The same moment in UTC and in the chamber's local time without a zone names the same report.
        local = then.astimezone(tehran(2026, 1, 1).tzinfo).replace(tzinfo=None).isoformat()
        for moment in (then.astimezone(UTC).isoformat(), local):
            response = client.get("/reports/units", params={"as_of": moment}, headers=tokens["sg"])
            assert response.content == stored[("/reports/units", ())]


def test_a_day_as_of_means_its_end_and_a_moment_before_any_event_shows_nothing(settings, clock, day, tokens) -> None:
    with TestClient(create_app(settings, clock=clock)) as client:
        _later_day(day, clock)

        def units(as_of: str) -> list[dict]:
            response = client.get("/reports/units", params={"as_of": as_of}, headers=tokens["sg"])
            assert response.status_code == 200, response.text
            return response.json()

        # The first batch was applied on Sunday 22 November at 09:00; nothing before.
        assert units("2026-11-21") == []
        assert units("1405/08/30") == []  # the same day, Solar Hijri
        sunday = units("1405/09/01")
        assert sunday == units("2026-11-22T23:59:59")
        assert {r["unit"]: r["offered"] for r in sunday} == {"membership": 1, "trade": 4}
        assert units("1405/09/03") == [  # as the README shows it
            {"unit": "membership", "offered": 1, "answered": 0, "unanswered": 1, "open": 1, "breaches": 0,
             "escalations": 0, "answer_rate": 0.0},
            {"unit": "trade", "offered": 4, "answered": 1, "unanswered": 3, "open": 2, "breaches": 1,
             "escalations": 0, "answer_rate": 0.25},
        ]  # fmt: skip
        tuesday = {r["unit"]: r for r in units("2026-11-24")}
        assert tuesday["trade"]["breaches"] == 1  # the tick of Tuesday 10:25 recorded the 10:21 breach
        assert {r["unit"]: r["offered"] for r in units("2026-11-25T11:00:00")}["trade"] == 5


def test_as_of_a_moment_to_come_or_unreadable_is_refused(settings, clock, day, tokens) -> None:
    client = TestClient(create_app(settings, clock=clock))
    later = datetime(2027, 1, 1, tzinfo=UTC).isoformat()
    assert_problem(
        client.get("/reports/units", params={"as_of": later}, headers=tokens["sg"]), 422, "a moment still to come"
    )
    assert_problem(client.get("/reports/units", params={"as_of": "yesterday"}, headers=tokens["sg"]), 422, "as_of")
    assert_problem(
        client.get("/reports/complaints/open", params={"as_of": "2026-13-40"}, headers=tokens["sg"]), 422, "as_of"
    )


def test_a_day_names_the_last_instant_of_that_day_in_the_chambers_zone(settings) -> None:
    calendar = settings.business_calendar
    end = parse_as_of("1405/09/03", calendar)
    assert end.astimezone(calendar.tz).replace(microsecond=0) == tehran(2026, 11, 24, 23, 59, 59)
    assert parse_as_of("2026-11-24T10:25", calendar) == tehran(2026, 11, 24, 10, 25)


def test_the_complaint_reports_as_of_a_past_moment_are_what_they_showed_then(settings, clock, tmp_path, tokens):
    from datetime import timedelta

    from services.reporting.readmodel import ReadModel
    from tests.reporting.complaint_story import isfahan

    story = isfahan(clock, tmp_path)
    events = story.events()
    writer = ReadModel(settings.readmodel_db_url, settings.business_calendar)
    then = story.now - timedelta(days=1)
    half = len(events) // 2
    writer.apply(events[:half], at=then)
    reports = [
        ("/reports/complaints/open", {}),
        ("/reports/complaints/six-monthly", {"year": "1405", "half": "1"}),
        ("/reports/complaints/six-monthly", {"year": "1405", "half": "1", "format": "csv"}),
        ("/reports/complaints/yearly", {"year": "1405"}),
    ]
    clock.now = then
    with TestClient(create_app(settings, clock=clock)) as client:
        shown = [client.get(path, params=params, headers=tokens["sg"]) for path, params in reports]
        assert all(r.status_code == 200 for r in shown), [r.text for r in shown]

        writer.apply(events[half:], at=story.now)
        clock.now = story.now
        later = [client.get(path, params=params, headers=tokens["sg"]).content for path, params in reports]
        assert later != [r.content for r in shown]
        for (path, params), before in zip(reports, shown, strict=True):
            again = client.get(path, params={**params, "as_of": then.isoformat()}, headers=tokens["sg"])
            assert again.content == before.content, path
