"""Running a round: contact attempts and their lines and gaps, "not reached" only once the required attempts are
used up, answers by phone with the new services introduced, voiced dissatisfaction as a complaint."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.surveys.application import MemberNotAsked, SurveyOffice
from services.surveys.domain import ContactRefused
from shared.errors import DomainError, InvalidInput
from tests.conftest import FakeClock
from tests.surveys.conftest import BOARD, QUESTIONS
from tests.surveys.test_domain import Roster


@pytest.fixture
def clock() -> FakeClock:
    # Saturday 21 November 2026, 10:30 in Tehran: a working day at the Isfahan chamber.
    return FakeClock(datetime(2026, 11, 21, 7, 0, tzinfo=UTC))


@pytest.fixture
def office(clock) -> SurveyOffice:
    return SurveyOffice(roster=Roster(["100", "101"]), clock=clock)


def running_project(office: SurveyOffice) -> str:
    qid = office.create_questionnaire(code="card-desk", title="Card desk", questions=QUESTIONS)
    sid = office.request_project_survey(subject="Card renewal", unit="trade", questionnaire=qid)
    office.approve_survey(sid)
    office.supply_members(sid, numbers=["12-1", "12-2"])
    office.approve_members(sid)
    office.start_survey(sid)
    return str(sid)


def running_round(office: SurveyOffice) -> str:
    qid = office.create_questionnaire(code="periodic", title="Periodic", questions=QUESTIONS)
    sid = office.plan_round(period="2026-H2", questionnaire=qid)
    office.set_timing(sid, starts_on=date(2026, 11, 21), ends_on=date(2027, 1, 15))
    office.record_meeting(sid, purpose="questions", held_on=date(2026, 11, 18), attendees=BOARD, minutes="set")
    office.start_survey(sid)
    return str(sid)


def next_day(clock: FakeClock) -> None:
    clock.advance(days=1)
    while clock().astimezone(UTC).weekday() == 4:  # Friday: the chamber is closed
        clock.advance(days=1)


def test_the_next_attempt_waits_for_the_next_working_day(office, clock):
    sid = running_project(office)
    c = office.record_attempt(sid, "12-1", line="fixed", outcome="no_answer", by="z.rahimi")
    assert c["attempts_left"] == 2 and c["status"] == "pending"
    # Sunday 22 November opens at 08:00 in Tehran (04:30 UTC); Saturday's later calls are too early.
    assert c["next_attempt_at"] == datetime(2026, 11, 22, 4, 30, tzinfo=UTC)
    clock.advance(hours=3)
    with pytest.raises(ContactRefused, match="next attempt is due"):
        office.record_attempt(sid, "12-1", line="fixed", outcome="busy")
    clock.now = datetime(2026, 11, 22, 4, 30, tzinfo=UTC)
    assert office.record_attempt(sid, "12-1", line="fixed", outcome="busy")["attempts_left"] == 1


def test_a_gap_skips_the_chambers_closed_days(office, clock):
    clock.now = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # Thursday: Friday is closed
    sid = running_project(office)
    c = office.record_attempt(sid, "12-1", line="fixed", outcome="no_answer")
    assert c["next_attempt_at"].date() == date(2026, 11, 28)  # Saturday


def test_a_project_member_is_not_reached_only_after_two_attempts_and_at_most_three(office, clock):
    sid = running_project(office)
    office.record_attempt(sid, "12-1", line="fixed", outcome="no_answer")
    with pytest.raises(ContactRefused, match="only after 2 attempts"):
        office.give_up(sid, "12-1")
    next_day(clock)
    office.record_attempt(sid, "12-1", line="mobile", outcome="no_answer")
    assert office.give_up(sid, "12-1")["status"] == "not_reached"
    next_day(clock)
    for _ in range(3):
        c = office.record_attempt(sid, "12-2", line="fixed", outcome="unreachable")
        next_day(clock)
    assert c["status"] == "not_reached" and c["attempts_left"] == 0
    with pytest.raises(ContactRefused):
        office.record_attempt(sid, "12-2", line="fixed", outcome="no_answer")


def test_a_periodic_round_calls_twice_from_fixed_lines_and_once_from_the_mobile_line(office, clock):
    sid = running_round(office)
    assert office.contact(sid, "100")["line_to_use"] == "fixed"  # the fixed lines are suggested first
    c = office.record_attempt(sid, "100", line="mobile", outcome="no_answer")  # any order will do
    assert c["line_to_use"] == "fixed"
    next_day(clock)
    with pytest.raises(InvalidInput, match="mobile line are used up"):
        office.record_attempt(sid, "100", line="mobile", outcome="no_answer")
    c = office.record_attempt(sid, "100", line="fixed", outcome="no_answer")
    assert c["status"] == "pending" and c["attempts_left"] == 1
    with pytest.raises(ContactRefused, match="only after 3 attempts"):
        office.give_up(sid, "100")
    next_day(clock)
    c = office.record_attempt(sid, "100", line="fixed", outcome="no_answer")
    assert c["status"] == "not_reached" and [a["line"] for a in c["attempts"]] == ["mobile", "fixed", "fixed"]


def test_answers_by_phone_count_as_an_attempt_and_record_the_services_introduced(office, clock):
    sid = running_project(office)
    office.record_attempt(sid, "12-1", line="fixed", outcome="no_answer")
    next_day(clock)
    c = office.record_response(
        sid,
        "12-1",
        answers={"overall": 4, "recommend": True, "comments": " faster please "},
        line="fixed",
        services_introduced=["e-certificate of origin", "e-certificate of origin", "export desk"],
        by="z.rahimi",
    )
    assert c["status"] == "responded" and len(c["attempts"]) == 2 and c["attempts"][1]["outcome"] == "answered"
    assert c["answers"] == {"overall": 4, "recommend": True, "comments": "faster please"}
    assert c["services_introduced"] == ["e-certificate of origin", "export desk"]
    with pytest.raises(ContactRefused):
        office.record_response(sid, "12-1", answers={"overall": 5}, line="fixed")


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"overall": 6}, "from 1 to 5"),
        ({"overall": True}, "from 1 to 5"),
        ({"recommend": "yes"}, "true or false"),
        ({"nope": 1}, "no question nope"),
        ({}, "no question was answered"),
    ],
)
def test_answers_the_questionnaire_does_not_allow_are_refused_and_nothing_is_recorded(office, answers, message):
    sid = running_project(office)
    with pytest.raises(InvalidInput, match=message):
        office.record_response(sid, "12-1", answers=answers, line="fixed")
    assert office.contact(sid, "12-1")["attempts"] == []


def test_voiced_dissatisfaction_is_recorded_once_per_member_and_survey(office):
    sid = running_project(office)
    c = office.record_response(
        sid, "12-1", answers={"overall": 2}, line="fixed", dissatisfaction="waited three weeks for the card"
    )
    assert c["complaint_ref"] == f"surveys:{sid}:member:12-1:dissatisfied"
    with pytest.raises(ContactRefused, match="recorded already"):
        office.record_dissatisfaction(sid, "12-1", "again")


def test_only_members_of_a_running_survey_are_called(office):
    sid = running_project(office)
    with pytest.raises(MemberNotAsked):
        office.record_attempt(sid, "99-9", line="fixed", outcome="no_answer")
    office.close_survey(sid)
    with pytest.raises(DomainError, match="closed"):
        office.record_attempt(sid, "12-1", line="fixed", outcome="no_answer")


def test_a_gap_of_zero_working_days_lets_the_expert_call_again_at_once(clock):
    from shared.settings import SurveySettings

    office = SurveyOffice(clock=clock, config=SurveySettings(attempt_gap_working_days=0))
    sid = running_project(office)
    office.record_attempt(sid, "12-1", line="fixed", outcome="busy")
    clock.advance(minutes=10)
    assert office.record_attempt(sid, "12-1", line="fixed", outcome="busy")["attempts_left"] == 1
