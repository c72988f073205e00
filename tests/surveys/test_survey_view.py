"""Answering a round of 30,000 members does not load the survey with its member list for each answer: the office
keeps what an answer needs of the survey for as long as the survey's version is unchanged, and sees at once a step
taken since, by itself or by another replica on the same store."""

from __future__ import annotations

from datetime import date

import pytest

from services.surveys.main import build_office
from shared.problems import DomainError
from tests.surveys.conftest import BOARD
from tests.surveys.test_domain import Roster
from tests.surveys.test_scores import QUESTIONS

MEMBERS = [f"12-{n}" for n in range(500)]


@pytest.fixture
def replicas(settings, clock):
    """Two offices on the same store, as two replicas of the service."""
    first, second = build_office(settings, clock), build_office(settings, clock)
    first.roster = second.roster = Roster(MEMBERS)
    yield first, second
    first.close()
    second.close()


def started_round(office) -> str:
    qid = office.create_questionnaire(code="view", title="view", questions=QUESTIONS)
    sid = office.plan_round(period="2026-H2", questionnaire=qid)
    office.set_timing(sid, starts_on=date(2026, 11, 21), ends_on=date(2027, 1, 15))
    office.record_meeting(sid, purpose="questions", held_on=date(2026, 11, 18), attendees=BOARD, minutes="set")
    office.start_survey(sid)
    return str(sid)


def test_answers_load_the_survey_once_while_it_does_not_change(replicas, monkeypatch):
    office, _ = replicas
    sid = started_round(office)
    loads = []
    real = office.get_survey
    monkeypatch.setattr(office, "get_survey", lambda s: loads.append(s) or real(s))
    for n in range(20):
        office.record_response(sid, f"12-{n}", answers={"overall": 4}, line="fixed")
    assert len(loads) == 1  # the first answer loads it; the 19 after only check its version
    office.record_links_issued(sid, 3)  # a step of the survey: a new version
    loads.clear()
    office.record_response(sid, "12-20", answers={"overall": 4}, line="fixed")
    office.record_response(sid, "12-21", answers={"overall": 4}, line="fixed")
    assert len(loads) == 1  # loaded again once, for the new version
    assert office.survey(sid)["members_asked"] == 500 and office.contact(sid, "12-20")["status"] == "responded"


def test_a_survey_closed_by_another_replica_takes_no_more_answers(replicas):
    first, second = replicas
    sid = started_round(first)
    first.record_response(sid, "12-1", answers={"overall": 4}, line="fixed")  # the view is kept
    second.close_survey(sid)
    with pytest.raises(DomainError, match="closed"):
        first.record_response(sid, "12-2", answers={"overall": 4}, line="fixed")
    assert first.survey(sid)["stage"] == "closed"


def test_the_record_handed_out_is_a_copy(replicas):
    office, _ = replicas
    sid = started_round(office)
    office.survey(sid)["stage"] = "altered"
    office.questions_of(sid)[0]["key"] = "altered"
    assert office.survey(sid)["stage"] == "running" and office.questions_of(sid)[0]["key"] == "overall"
