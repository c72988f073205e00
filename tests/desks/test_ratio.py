"""The ratio of problems solved to problems raised, weekly and monthly, per desk and agency, reported as an event;
registrations and no-shows; the Prometheus figures."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from services.desks.application import DeskOffice
from services.desks.ratio import period_bounds
from shared.settings import Settings
from tests.desks.helpers import STARTS_AT, announced, register
from tests.desks.test_api import announced as announced_over_http
from tests.desks.test_api import post, registration
from tests.helpers import assert_problem


@pytest.fixture
def office(clock) -> DeskOffice:
    return DeskOffice(calendar=Settings().business_calendar, clock=clock)


def held(office, clock, agency: str, starts_at: datetime, outcomes: list[bool | None]) -> None:
    """A desk whose members attended (True/False carried out) or did not come (None)."""
    clock.now = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
    desk = announced(office, agency=agency, starts_at=starts_at, capacity=len(outcomes))
    numbers = [register(office, desk, f"m{i}") for i in range(len(outcomes))]
    clock.now = starts_at
    for number, outcome in zip(numbers, outcomes, strict=True):
        office.record_attendance(desk, number, attended=outcome is not None, by="x")
        if outcome is not None:
            office.record_decision(desk, number, decision="d", by="x")
    office.review_minutes(desk, by="x")
    office.send_minutes(desk, to="agency", by="x")
    for number, outcome in zip(numbers, outcomes, strict=True):
        if outcome is not None:
            office.record_follow_up(desk, number, carried_out=outcome, result="r", by="x")


def test_weeks_start_on_saturday_in_iran_and_monday_in_turkey_and_months_follow_the_calendar():
    iran, turkey = Settings().business_calendar, Settings(chamber="TR").business_calendar
    wednesday = date(2026, 11, 25)
    assert period_bounds(iran, "week", wednesday) == (date(2026, 11, 21), date(2026, 11, 27))
    assert period_bounds(turkey, "week", wednesday) == (date(2026, 11, 23), date(2026, 11, 29))
    assert period_bounds(iran, "month", wednesday) == (date(2026, 11, 22), date(2026, 12, 21))  # Azar 1405
    assert period_bounds(turkey, "month", wednesday) == (date(2026, 11, 1), date(2026, 11, 30))


def test_the_ratio_is_counted_per_desk_per_agency_and_in_all_for_the_week_and_the_month(office, clock):
    held(office, clock, "customs", STARTS_AT, [True, False, None])  # Wednesday 25 November
    held(office, clock, "tax", STARTS_AT + timedelta(days=4), [True, True])  # Sunday 29: the next week
    week = office.ratio("week", date(2026, 11, 25))
    assert [d["agency"] for d in week["desks"]] == ["customs"]
    assert week["total"] == week["agencies"]["customs"]
    customs = week["agencies"]["customs"]
    assert (customs["registrations"], customs["no_shows"], customs["raised"], customs["solved"]) == (3, 1, 2, 1)
    assert customs["ratio"] == 0.5
    month = office.ratio("month", date(2026, 11, 25))
    assert month["agencies"]["tax"]["ratio"] == 1.0
    assert (month["total"]["raised"], month["total"]["solved"], month["total"]["ratio"]) == (4, 3, 0.75)
    assert office.ratio("week", date(2026, 11, 14))["total"]["ratio"] is None  # nothing raised: no ratio


def test_the_report_is_an_event_recorded_again_only_when_the_figures_change(client, headers, clock, app):
    desk = announced_over_http(client, headers)
    post(client, headers, "ms_expert", f"/desks/{desk}/registrations", registration("Ali"), 201)
    clock.now = STARTS_AT
    post(client, headers, "ms_expert", f"/desks/{desk}/registrations/1/attendance", {"attended": True})
    post(client, headers, "ms_expert", f"/desks/{desk}/registrations/1/decision", {"decision": "release"})
    body = {"period": "week", "on": "2026-11-25"}
    first = post(client, headers, "ms_expert", "/desks/reports/ratio", body, 201)
    assert first["recorded"] is True and first["total"]["raised"] == 1 and first["total"]["ratio"] == 0.0
    assert post(client, headers, "ms_manager", "/desks/reports/ratio", body, 200)["recorded"] is False
    post(client, headers, "ms_manager", f"/desks/{desk}/minutes/review")
    post(client, headers, "ms_expert", f"/desks/{desk}/minutes/send", {"to": "agency"})
    post(
        client, headers, "ms_expert", f"/desks/{desk}/registrations/1/follow-up", {"carried_out": True, "result": "ok"}
    )
    again = post(client, headers, "ms_expert", "/desks/reports/ratio", body, 201)
    assert again["total"]["ratio"] == 1.0
    history = app.state.office.event_history(uuid.UUID(first["report_id"]))
    assert [h["type"] for h in history] == ["crm.desks.ratio_report.issued.v1", "crm.desks.ratio_report.reissued.v1"]
    assert history[1]["data"]["figures"]["agencies"]["customs"]["solved"] == 1
    seen = client.get("/desks/reports/ratio", params=body, headers=headers["president"]).json()
    assert seen["start"] == "2026-11-21" and seen["end"] == "2026-11-27"
    metrics = client.get("/metrics", headers=headers["monitoring"]).text
    assert 'crm_desks_problems_solved_total{agency="customs"} 1.0' in metrics
    assert 'crm_desks_registrations_total{agency="tax"} 0.0' in metrics


def test_the_ratio_as_of_a_past_moment_is_byte_for_byte_what_it_showed_then(client, headers, clock):
    desk = announced_over_http(client, headers)
    post(client, headers, "ms_expert", f"/desks/{desk}/registrations", registration("Ali"), 201)
    clock.now = STARTS_AT
    post(client, headers, "ms_expert", f"/desks/{desk}/registrations/1/attendance", {"attended": True})
    post(client, headers, "ms_expert", f"/desks/{desk}/registrations/1/decision", {"decision": "release"})
    then = clock.now
    params = {"period": "week", "on": "2026-11-25"}
    stored = client.get("/desks/reports/ratio", params=params, headers=headers["sg"])
    assert stored.status_code == 200 and stored.json()["total"]["ratio"] == 0.0
    without_on = client.get("/desks/reports/ratio", params={"period": "week"}, headers=headers["sg"]).content

    clock.advance(hours=2)  # later the same day: the follow-up found the decision carried out
    post(client, headers, "ms_manager", f"/desks/{desk}/minutes/review")
    post(client, headers, "ms_expert", f"/desks/{desk}/minutes/send", {"to": "agency"})
    post(
        client, headers, "ms_expert", f"/desks/{desk}/registrations/1/follow-up", {"carried_out": True, "result": "ok"}
    )
    now = client.get("/desks/reports/ratio", params=params, headers=headers["sg"])
    assert now.json()["total"]["ratio"] == 1.0 and now.json()["total"]["followed_up"] == 1

    for moment in (then.isoformat(), then.astimezone(UTC).isoformat()):
        again = client.get("/desks/reports/ratio", params={**params, "as_of": moment}, headers=headers["sg"])
        assert again.status_code == 200, again.text
        assert again.content == stored.content
    # Without `on`, "today" is the as_of moment's day, not the clock's.
    clock.advance(days=7)
    again = client.get(
        "/desks/reports/ratio", params={"period": "week", "as_of": then.isoformat()}, headers=headers["sg"]
    )
    assert again.content == without_on
    # Before the desk was planned, the week shows nothing.
    empty = client.get("/desks/reports/ratio", params={**params, "as_of": "2026-11-01"}, headers=headers["sg"]).json()
    assert empty["desks"] == [] and empty["total"]["ratio"] is None


def test_the_ratio_as_of_a_moment_to_come_or_unreadable_is_refused(client, headers, clock):
    later = (clock.now + timedelta(minutes=1)).isoformat()
    for bad, says in ((later, "still to come"), ("yesterday", "as_of"), ("1405/13/40", "as_of")):
        response = client.get("/desks/reports/ratio", params={"period": "week", "as_of": bad}, headers=headers["sg"])
        assert_problem(response, 422, says)
