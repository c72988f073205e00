"""Survey rules without HTTP or Kafka: questionnaires and their versions, the project survey's approvals, the
periodic round's timing and meeting, delegation."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.surveys.application import SurveyOffice
from services.surveys.domain import Questionnaire, Stage, TransitionRefused, parse_questions
from shared.errors import DomainError, InvalidInput
from shared.organisation import DEFAULT_ORGANISATION, Organisation

AT = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
QUESTIONS = [
    {"key": "overall", "text": {"fa": "رضایت کلی", "tr": "Genel memnuniyet"}, "dissatisfaction_signal": True},
    {"key": "recommend", "kind": "yes_no", "text": {"tr": "Tavsiye eder misiniz?"}},
    {"key": "channel", "kind": "choice", "text": {"en": "How?"}, "choices": [{"en": "phone"}, {"en": "web"}]},
    {"key": "comments", "kind": "text", "text": {"fa": "پیشنهاد"}},
]
MR_AND_UNIT = [
    {"name": "m.karimi", "role": "mr_manager"},
    {"name": "f.alavi", "role": "unit_manager", "unit": "trade"},
]
BOARD = [
    {"name": "president", "role": "president"},
    {"name": "sg", "role": "sg"},
    {"name": "m.karimi", "role": "mr_manager"},
]


class Roster:
    def __init__(self, active: list[str], selections: dict[str, list[str]] | None = None):
        self.active = active
        self.selections = selections or {}

    def active_numbers(self) -> list[str]:
        return list(self.active)

    def selection(self, selection_id: str) -> list[str] | None:
        return self.selections.get(selection_id)


@pytest.fixture
def office() -> SurveyOffice:
    return SurveyOffice(
        roster=Roster(["100", "101", "102"], {"sel-1": ["200", "201"]}),
        organisation=Organisation.load(DEFAULT_ORGANISATION),
        clock=lambda: AT,
    )


@pytest.fixture
def questionnaire(office: SurveyOffice):
    return office.create_questionnaire(code="card-desk", title="Card desk", questions=QUESTIONS, by="m.karimi")


def approved_project(office: SurveyOffice, questionnaire) -> object:
    sid = office.request_project_survey(subject="Card renewal", unit="trade", questionnaire=questionnaire, by="f.alavi")
    office.approve_survey(sid, by="sg")
    return sid


def test_a_scale_question_defaults_to_five_points_and_keeps_labels_per_language():
    q = parse_questions([{"key": "q", "text": "?", "labels": {"tr": ["1", "2", "3", "4", "5"]}}])[0]
    assert q["kind"] == "scale" and q["scale_max"] == 5 and q["labels"]["tr"][4] == "5"


@pytest.mark.parametrize(
    "bad",
    [
        [],
        [{"key": "Bad Key", "text": "?"}],
        [{"key": "q", "text": "?"}, {"key": "q", "text": "?"}],
        [{"key": "q", "text": {"de": "?"}}],
        [{"key": "q", "text": "?", "labels": {"tr": ["only two", "labels"]}}],
        [{"key": "q", "kind": "choice", "text": "?", "choices": [{"en": "one"}]}],
        [{"key": "q", "kind": "text", "text": "?", "dissatisfaction_signal": True}],
        [{"key": "q", "text": "?", "scale_max": 1}],
    ],
)
def test_a_question_that_could_not_be_asked_or_scored_is_refused(bad):
    with pytest.raises(InvalidInput):
        parse_questions(bad)


def test_revising_a_questionnaire_keeps_every_earlier_version(office, questionnaire):
    assert office.revise_questionnaire(questionnaire, QUESTIONS[:1], note="shorter") == 2
    q: Questionnaire = office.get_questionnaire(questionnaire)
    assert len(q.questions_of(1)) == 4 and len(q.questions_of(2)) == 1


def test_a_questionnaire_code_is_created_once(office, questionnaire):
    with pytest.raises(DomainError):
        office.create_questionnaire(code="card-desk", title="again", questions=QUESTIONS)


def test_a_project_survey_cannot_start_before_its_approvals(office, questionnaire):
    sid = office.request_project_survey(subject="Card renewal", unit="trade", questionnaire=questionnaire)
    with pytest.raises(TransitionRefused, match="SG's approval"):
        office.start_survey(sid)
    with pytest.raises(TransitionRefused):
        office.supply_members(sid, numbers=["1"])  # the SG has not approved yet


def test_a_project_survey_runs_from_request_to_start_with_the_approved_list(office, questionnaire):
    sid = approved_project(office, questionnaire)
    assert office.supply_members(sid, numbers=["12-1", "12-2", "12-1", " "]) == 2
    with pytest.raises(TransitionRefused, match="approval of the member list"):
        office.start_survey(sid)
    office.approve_members(sid, by="m.karimi")
    assert office.start_survey(sid, by="m.karimi") == 2
    assert office.survey(sid)["stage"] == Stage.RUNNING
    assert office.members_of(sid) == ["12-1", "12-2"]


def test_a_member_list_given_as_a_selection_is_the_selection_as_it_was_frozen(office, questionnaire):
    sid = approved_project(office, questionnaire)
    office.supply_members(sid, selection_id="sel-1")
    assert office.members_of(sid) == ["200", "201"]
    assert office.survey(sid)["list_source"]["source"] == "selection"
    with pytest.raises(InvalidInput, match="no selection"):
        office.supply_members(sid, selection_id="unknown")


def test_a_large_edit_needs_the_meeting_with_the_requesting_units_manager_before_the_start(office, questionnaire):
    sid = approved_project(office, questionnaire)
    office.supply_members(sid, numbers=["1"])
    office.approve_members(sid)
    assert office.edit_questionnaire(sid, QUESTIONS[:2], size="large", note="two questions only") == 2
    with pytest.raises(TransitionRefused, match="meeting"):
        office.start_survey(sid)
    with pytest.raises(InvalidInput, match="requesting unit's manager"):
        office.record_meeting(
            sid,
            purpose="large_edit",
            held_on=date(2026, 11, 20),
            attendees=[MR_AND_UNIT[0], {"name": "h.tehrani", "role": "unit_manager", "unit": "membership"}],
            minutes="agreed",
        )
    office.record_meeting(sid, purpose="large_edit", held_on=date(2026, 11, 20), attendees=MR_AND_UNIT, minutes="ok")
    office.start_survey(sid)
    assert len(office.questions_of(sid)) == 2


def test_a_small_edit_needs_no_meeting(office, questionnaire):
    sid = approved_project(office, questionnaire)
    office.supply_members(sid, numbers=["1"])
    office.approve_members(sid)
    office.edit_questionnaire(sid, QUESTIONS, size="small", note="wording")
    assert office.start_survey(sid) == 1


def test_a_survey_keeps_its_questionnaire_version_when_the_questionnaire_is_revised_later(office, questionnaire):
    sid = approved_project(office, questionnaire)
    office.supply_members(sid, numbers=["1"])
    office.approve_members(sid)
    office.start_survey(sid)
    office.revise_questionnaire(questionnaire, QUESTIONS[:1])
    assert office.survey(sid)["questionnaire_version"] == 1 and len(office.questions_of(sid)) == 4
    with pytest.raises(TransitionRefused):
        office.edit_questionnaire(sid, QUESTIONS[:1], size="small")


def test_the_sg_rejects_a_request_with_a_reason_and_it_goes_no_further(office, questionnaire):
    sid = office.request_project_survey(subject="Card renewal", unit="trade", questionnaire=questionnaire)
    office.reject_survey(sid, "surveyed in June", by="sg")
    assert office.survey(sid)["stage"] == Stage.REJECTED
    with pytest.raises(TransitionRefused):
        office.approve_survey(sid)


def test_delegation_to_another_unit_is_recorded_with_the_unit_it_was_taken_from(office, questionnaire):
    sid = approved_project(office, questionnaire)
    office.delegate_survey(sid, "trade", reason="the trade unit knows its card holders", by="sg")
    record = office.survey(sid)
    assert record["runner"] == "trade"
    assert record["delegations"][0]["previous"] == "member_relations"
    with pytest.raises(TransitionRefused):
        office.delegate_survey(sid, "trade")
    with pytest.raises(InvalidInput):
        office.delegate_survey(sid, "no-such-unit")


def test_a_periodic_round_needs_the_presidents_timing_and_the_questions_meeting(office, questionnaire):
    sid = office.plan_round(period="2026-H2", questionnaire=questionnaire, by="president")
    with pytest.raises(TransitionRefused, match="timing"):
        office.start_survey(sid)
    office.set_timing(sid, starts_on=date(2026, 12, 1), ends_on=date(2027, 1, 15), by="president")
    with pytest.raises(InvalidInput, match="president"):
        office.record_meeting(
            sid, purpose="questions", held_on=date(2026, 11, 18), attendees=BOARD[1:], minutes="questions set"
        )
    office.record_meeting(sid, purpose="questions", held_on=date(2026, 11, 18), attendees=BOARD, minutes="set")
    with pytest.raises(TransitionRefused, match="start on 2026-12-01"):
        office.start_survey(sid)  # 21 November: before the day the president set
    office.set_timing(sid, starts_on=date(2026, 11, 21), ends_on=date(2027, 1, 15), by="president")
    assert office.start_survey(sid) == 3  # every active member the roster knows
    assert office.members_of(sid) == ["100", "101", "102"]


def test_a_period_has_one_round(office, questionnaire):
    office.plan_round(period="2026-H2", questionnaire=questionnaire)
    with pytest.raises(DomainError, match="planned already"):
        office.plan_round(period="2026-H2", questionnaire=questionnaire)
    with pytest.raises(InvalidInput):
        office.plan_round(period="2026-Q3", questionnaire=questionnaire)


def test_a_round_ending_before_it_starts_is_refused(office, questionnaire):
    sid = office.plan_round(period="2027-Y", questionnaire=questionnaire)
    with pytest.raises(InvalidInput):
        office.set_timing(sid, starts_on=date(2027, 1, 10), ends_on=date(2027, 1, 1))


def test_a_round_with_no_active_member_known_does_not_start(questionnaire):
    office = SurveyOffice(roster=Roster([]), clock=lambda: AT)
    qid = office.create_questionnaire(code="p", title="p", questions=QUESTIONS)
    sid = office.plan_round(period="2026-H2", questionnaire=qid)
    office.set_timing(sid, starts_on=date(2026, 11, 21), ends_on=date(2027, 1, 15))
    office.record_meeting(sid, purpose="questions", held_on=date(2026, 11, 18), attendees=BOARD, minutes="set")
    with pytest.raises(DomainError, match="no active member"):
        office.start_survey(sid)


def test_only_a_running_survey_closes(office, questionnaire):
    sid = approved_project(office, questionnaire)
    with pytest.raises(TransitionRefused):
        office.close_survey(sid)
