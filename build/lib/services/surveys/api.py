"""HTTP API of the surveys (form ME-FR-02-01-01): questionnaires and their versions; project surveys from request to
start; periodic rounds from plan to start; delegation and meetings."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

from fastapi import APIRouter, Request, Response

from services.surveys.access import (
    Chair,
    ListSupplier,
    MemberRelationsManager,
    President,
    QuestionnaireKeeper,
    Reader,
    Runner,
    SecretaryGeneral,
    SurveyReader,
    UnitManager,
    sees_all,
)
from services.surveys.application import SurveyOffice
from services.surveys.deps import IndexDep, OfficeDep
from services.surveys.domain import Stage, SurveyKind
from services.surveys.schemas import (
    Delegation,
    Meeting,
    MemberList,
    ProjectRequest,
    QuestionnaireCreate,
    QuestionnaireEdit,
    QuestionnairePublic,
    QuestionnaireRevise,
    Reason,
    RoundPlan,
    SurveyDetail,
    SurveyPublic,
    Timing,
)
from shared.paging import Limit, Offset, page, paged
from shared.problems import InvalidInput

questionnaires = APIRouter(prefix="/questionnaires", tags=["questionnaires"])
router = APIRouter(prefix="/surveys", tags=["surveys"])


# -- questionnaires ----------------------------------------------------------------------------------------------
@questionnaires.post(
    "",
    status_code=201,
    response_model=QuestionnairePublic,
    summary="Create a questionnaire, version 1 (member-relations manager); 409 if its code exists",
)
def create_questionnaire(office: OfficeDep, principal: QuestionnaireKeeper, body: QuestionnaireCreate) -> Any:
    """Member relations keeps the chamber's questionnaires (ME-FR-02-01-01); the code names one for good."""
    qid = office.create_questionnaire(
        code=body.code, title=body.title, questions=[q.plain() for q in body.questions], by=principal.name
    )
    return office.questionnaire(qid)


@questionnaires.get("", response_model=list[QuestionnairePublic], summary="Every questionnaire with its versions")
def list_questionnaires(office: OfficeDep, _: Reader, response: Response, limit: Limit = 50, offset: Offset = 0) -> Any:
    """Every questionnaire with all its versions, a page at a time; any signed-in staff member may read them."""
    return page(response, office.list_questionnaires(), limit, offset)


@questionnaires.get("/{questionnaire_id}", response_model=QuestionnairePublic, summary="A questionnaire's versions")
def get_questionnaire(office: OfficeDep, _: Reader, questionnaire_id: uuid.UUID) -> Any:
    """One questionnaire with every version, oldest first; 404 if there is none with this id."""
    return office.questionnaire(questionnaire_id)


@questionnaires.post(
    "/{questionnaire_id}/versions",
    status_code=201,
    response_model=QuestionnairePublic,
    summary="Revise: a new version; surveys keep the version they were run with",
)
def revise_questionnaire(
    office: OfficeDep, principal: QuestionnaireKeeper, questionnaire_id: uuid.UUID, body: QuestionnaireRevise
) -> Any:
    """Adds a version with the new questions; surveys already planned or running keep the one they ask."""
    office.revise_questionnaire(
        questionnaire_id, [q.plain() for q in body.questions], note=body.note, by=principal.name
    )
    return office.questionnaire(questionnaire_id)


# -- surveys -----------------------------------------------------------------------------------------------------
def _detail(office: SurveyOffice, survey_id: uuid.UUID) -> dict[str, Any]:
    record = office.survey(survey_id)
    return {
        **record,
        "questions": office.questions_of(survey_id),
        "history": office.event_history(uuid.UUID(record["id"])),
    }


@router.post(
    "/project",
    status_code=201,
    response_model=SurveyPublic,
    summary="A unit's manager requests a project survey of the unit's service; the SG approves it",
)
def request_project(office: OfficeDep, principal: UnitManager, body: ProjectRequest) -> Any:
    """Opens a project survey awaiting the SG's approval; the requesting unit supplies the member list later."""
    if not principal.unit:
        raise InvalidInput("the requesting manager's token names no unit")
    sid = office.request_project_survey(
        subject=body.subject,
        unit=principal.unit,
        questionnaire=body.questionnaire_id,
        questionnaire_version=body.questionnaire_version,
        by=principal.name,
    )
    return office.survey(sid)


@router.post(
    "/periodic",
    status_code=201,
    response_model=SurveyPublic,
    summary="The president plans a periodic round (one per period; 409 if planned already)",
)
def plan_round(office: OfficeDep, principal: President, body: RoundPlan) -> Any:
    """Opens the periodic round of member satisfaction for a six-monthly or yearly period, run by member relations."""
    sid = office.plan_round(
        period=body.period,
        questionnaire=body.questionnaire_id,
        questionnaire_version=body.questionnaire_version,
        by=principal.name,
    )
    return office.survey(sid)


@router.get("", response_model=list[SurveyPublic], summary="The surveys the caller may see, newest first")
def list_surveys(
    index: IndexDep,
    principal: Reader,
    response: Response,
    kind: SurveyKind | None = None,
    stage: Stage | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Any:
    """Surveys newest first, filtered by stage or kind; a unit's manager sees his unit's, the office sees all."""
    items, total = index.search(
        principal,
        see_all=sees_all(principal),
        kind=kind.value if kind else None,
        stage=stage.value if stage else None,
        limit=limit,
        offset=offset,
    )
    return paged(response, items, total)


@router.get("/{survey_id}", response_model=SurveyDetail, summary="A survey with its questions and history")
def get_survey(office: OfficeDep, _: SurveyReader, survey_id: uuid.UUID) -> Any:
    """The survey's stage, member list, edits, meetings, timing and the questions asked, with its event history."""
    return _detail(office, survey_id)


@router.get(
    "/{survey_id}/members",
    response_model=list[str],
    summary="The membership numbers asked (or the supplied list before the start), a page at a time",
)
def survey_members(
    office: OfficeDep, _: SurveyReader, survey_id: uuid.UUID, response: Response, limit: Limit = 100, offset: Offset = 0
) -> Any:
    """Membership numbers in the order supplied; after the start, the members actually asked."""
    return page(response, office.members_of(survey_id), limit, offset)


@router.post("/{survey_id}/approve", response_model=SurveyPublic, summary="The SG approves a project survey's request")
def approve(office: OfficeDep, principal: SecretaryGeneral, survey_id: uuid.UUID) -> Any:
    """The secretary general approves a requested project survey; member relations then prepares it."""
    office.approve_survey(survey_id, by=principal.name)
    return office.survey(survey_id)


@router.post("/{survey_id}/reject", response_model=SurveyPublic, summary="The SG rejects a request, with the reason")
def reject(office: OfficeDep, principal: SecretaryGeneral, survey_id: uuid.UUID, body: Reason) -> Any:
    """The secretary general refuses a requested project survey; the reason is kept and shown to the unit."""
    office.reject_survey(survey_id, body.reason, by=principal.name)
    return office.survey(survey_id)


@router.post(
    "/{survey_id}/delegate", response_model=SurveyPublic, summary="The SG has another unit run the survey (recorded)"
)
def delegate(office: OfficeDep, principal: SecretaryGeneral, survey_id: uuid.UUID, body: Delegation) -> Any:
    """The secretary general hands the survey to another unit to run; the reason is kept in its record."""
    office.delegate_survey(survey_id, body.unit, reason=body.reason, by=principal.name)
    return office.survey(survey_id)


@router.post(
    "/{survey_id}/members",
    response_model=SurveyPublic,
    summary="The requesting unit's manager supplies the member list: numbers, or a member-database selection",
)
def supply_members(office: OfficeDep, principal: ListSupplier, survey_id: uuid.UUID, body: MemberList) -> Any:
    """The requesting unit names the members who received the service; member relations approves the list."""
    office.supply_members(
        survey_id,
        numbers=body.numbers,
        selection_id=str(body.selection_id) if body.selection_id else None,
        by=principal.name,
    )
    return office.survey(survey_id)


@router.post(
    "/{survey_id}/members/upload",
    response_model=SurveyPublic,
    summary="The same, as an uploaded CSV file (text/csv): membership numbers in the first column, a header allowed",
    openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}, "required": True}},
)
async def upload_members(request: Request, office: OfficeDep, principal: ListSupplier, survey_id: uuid.UUID) -> Any:
    """The member list as a CSV file of membership numbers, for a list kept in a spreadsheet."""
    if not request.headers.get("content-type", "").startswith(("text/csv", "text/plain")):
        raise InvalidInput("send the list as text/csv")
    try:
        text = (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("the list is not UTF-8 text") from None
    rows = [r[0].strip() for r in csv.reader(io.StringIO(text)) if r and r[0].strip()]
    if rows and not any(ch.isdigit() for ch in rows[0]):
        rows = rows[1:]  # a header such as "membership_number"
    office.supply_members(survey_id, numbers=rows, by=principal.name)
    return office.survey(survey_id)


@router.post(
    "/{survey_id}/members/approve",
    response_model=SurveyPublic,
    summary="The member-relations manager approves the member list",
)
def approve_members(office: OfficeDep, principal: MemberRelationsManager, survey_id: uuid.UUID) -> Any:
    """Member relations' manager approves the supplied member list; the survey cannot start without it."""
    office.approve_members(survey_id, by=principal.name)
    return office.survey(survey_id)


@router.post(
    "/{survey_id}/questionnaire",
    response_model=SurveyPublic,
    summary="The member-relations manager edits the questionnaire before the start (a new version); large edits "
    "of a project survey need a meeting with the requesting unit's manager",
)
def edit_questionnaire(
    office: OfficeDep, principal: MemberRelationsManager, survey_id: uuid.UUID, body: QuestionnaireEdit
) -> Any:
    """A new version of the questions for this survey only; a large edit waits for a meeting with the unit."""
    office.edit_questionnaire(
        survey_id, [q.plain() for q in body.questions], size=body.size.value, note=body.note, by=principal.name
    )
    return office.survey(survey_id)


@router.post(
    "/{survey_id}/meetings",
    response_model=SurveyPublic,
    summary="Record a meeting: a large edit's (with the unit's manager) or a round's questions (president, SG, MR)",
)
def record_meeting(office: OfficeDep, principal: Chair, survey_id: uuid.UUID, body: Meeting) -> Any:
    """Minutes of a meeting on the survey's questions, with who attended; clears a large edit's hold."""
    office.record_meeting(
        survey_id,
        purpose=body.purpose.value,
        held_on=body.held_on,
        attendees=[a.model_dump() for a in body.attendees],
        minutes=body.minutes,
        by=principal.name,
    )
    return office.survey(survey_id)


@router.post("/{survey_id}/timing", response_model=SurveyPublic, summary="The president sets a round's timing")
def set_timing(office: OfficeDep, principal: President, survey_id: uuid.UUID, body: Timing) -> Any:
    """The first and last day of a periodic round; the online links expire after the last day."""
    office.set_timing(survey_id, starts_on=body.starts_on, ends_on=body.ends_on, by=principal.name)
    return office.survey(survey_id)


@router.post(
    "/{survey_id}/start",
    response_model=SurveyPublic,
    summary="Start asking (409 saying what is missing); a periodic round asks every active member",
)
def start(office: OfficeDep, principal: Runner, survey_id: uuid.UUID) -> Any:
    """Starts asking the members; 409 lists what is still missing (approval, list, timing, meeting)."""
    office.start_survey(survey_id, by=principal.name)
    return office.survey(survey_id)


@router.post("/{survey_id}/close", response_model=SurveyPublic, summary="Close a running survey")
def close(office: OfficeDep, principal: Runner, survey_id: uuid.UUID) -> Any:
    """Stops the survey: no more calls or online answers; the final report is then complete."""
    office.close_survey(survey_id, by=principal.name)
    return office.survey(survey_id)
