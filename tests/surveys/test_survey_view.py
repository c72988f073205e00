"""Answering a round of 30,000 members does not load the survey with its member list for each answer: the office
keeps what an answer needs of the survey for as long as the survey's version is unchanged, and sees at once a step
taken since, by itself or by another replica on the same store."""

from __future__ import annotations

import uuid
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


def test_an_export_is_recorded_a_batch_to_a_transaction_and_a_member_answered_meanwhile_is_kept(replicas):
    """The rows are saved several to a transaction; a batch that meets a member who answered meanwhile through
    another replica is saved again row by row: that member's answer stays, the others are recorded."""
    office, replica = replicas
    sid = started_round(office)
    rows = [(f"12-{n}", {"overall": 3 + n % 3}) for n in range(10)]
    rows += [("99-9", {"overall": 4}), ("12-0", {"overall": 1}), ("12-11", {"overall": 9})]
    saves = []
    real = office.save

    def save(*saved):
        # Contacts per transaction: an export saves the contacts, an answer by phone its contact's new events.
        saves.append(len({getattr(x, "originator_id", None) or x.id for x in saved}))
        if len(saves) == 2:  # the second batch: member 12-7 answers by phone on another replica first
            replica.record_response(sid, "12-7", answers={"overall": 1}, line="fixed")
        return real(*saved)

    office.save = save
    refusals = office.record_responses(sid, rows, channel="import", batch=4)
    reasons = {rows[i][0]: str(r) for i, r in enumerate(refusals) if r is not None and i != 11}
    assert reasons["99-9"] == "member 99-9 is not on this survey's list"
    assert "already" in str(refusals[11])  # 12-0 twice in one export: the first row counts
    assert "12-11" in reasons  # 9 is not a point of the scale
    assert "already" in reasons["12-7"]
    assert saves[:3] == [4, 4, 1]  # batches of four; the second refused whole, then 12-4..12-6 one by one
    statuses = {n: office.contact(sid, f"12-{n}") for n in range(10)}
    assert all(c["status"] == "responded" for c in statuses.values())
    assert statuses[7]["answers"] == {"overall": 1} and statuses[7]["channel"] == "phone"
    assert statuses[0]["answers"] == {"overall": 3} and statuses[0]["channel"] == "import"


def test_the_version_is_read_without_the_started_round_s_member_list(replicas):
    """The version check reads the version column only: the round's last event (Started) names every member."""
    office, _ = replicas
    sid = started_round(office)
    survey = office.get_survey(sid)
    assert office.latest_version(survey.id) == survey.version
    office.record_links_issued(sid, 3)
    assert office.latest_version(survey.id) == survey.version + 1
    assert office.latest_version(uuid.uuid4()) is None
