"""HTTP API of the surveys (form ME-FR-02-01-01): questionnaires and their versions; project surveys from request to
start; periodic rounds from plan to start; delegation and meetings."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request, Response

from services.surveys.access import (
    Caller,
    Chair,
    Evaluator,
    Internal,
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
from services.surveys.calllist import CallList
from services.surveys.domain import Stage, Status, SurveyKind
from services.surveys.imports import import_csv
from services.surveys.index import SurveyIndex
from services.surveys.reports import report_csv, trend_svg
from services.surveys.schemas import (
    Attempt,
    CallListEntry,
    ContactPublic,
    CsvImport,
    Delegation,
    Dissatisfaction,
    Evaluation,
    FinalReport,
    ImportResult,
    IssuedLink,
    Meeting,
    MemberList,
    PhoneResponse,
    ProjectRequest,
    QuestionnaireCreate,
    QuestionnaireEdit,
    QuestionnairePublic,
    QuestionnaireRevise,
    Reason,
    RoundPlan,
    Scores,
    SurveyDetail,
    SurveyPublic,
    Timing,
    WeeklySummary,
)
from shared.paging import Limit, Offset, page, paged
from shared.problems import DomainError, InvalidInput

MemberNumber = Annotated[str, Path(min_length=1, max_length=50, description="the member's membership number")]


def get_office(request: Request) -> SurveyOffice:
    return request.app.state.office


def get_index(request: Request) -> SurveyIndex:
    return request.app.state.index


def get_calls(request: Request) -> CallList:
    return request.app.state.calls


OfficeDep = Annotated[SurveyOffice, Depends(get_office)]
CallsDep = Annotated[CallList, Depends(get_calls)]
IndexDep = Annotated[SurveyIndex, Depends(get_index)]

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


# -- running: the call list, attempts, answers -------------------------------------------------------------------
@router.get(
    "/{survey_id}/call-list",
    response_model=list[CallListEntry],
    summary="The call list: who is still to be reached, attempts left, the line to use, who is calling whom",
)
def call_list(
    calls: CallsDep,
    _: Caller,
    survey_id: uuid.UUID,
    response: Response,
    status: Status | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Any:
    """The member-relations experts' call list for the telephone survey, filtered by status."""
    items, total = calls.rows(str(survey_id), status=status.value if status else None, limit=limit, offset=offset)
    return paged(response, items, total)


@router.post(
    "/{survey_id}/call-list/next",
    response_model=CallListEntry,
    summary="Take the next member to call, held for the caller a few minutes (204 when nobody is due now)",
    responses={204: {"description": "nobody is due for a call now"}},
)
def claim_next(office: OfficeDep, calls: CallsDep, principal: Caller, survey_id: uuid.UUID) -> Any:
    """Hands the caller the next member due a call and holds him for a few minutes for that caller only."""
    if office.get_survey(survey_id).stage != Stage.RUNNING:
        raise DomainError("the survey is not running: nobody is to be called")
    taken = calls.claim_next(str(survey_id), principal.name)
    return taken if taken is not None else Response(status_code=204)


@router.get(
    "/{survey_id}/contacts/{membership_number}",
    response_model=ContactPublic,
    summary="Where a member of the survey stands: attempts, the line to use next, answers",
)
def get_contact(office: OfficeDep, _: Caller, survey_id: uuid.UUID, membership_number: MemberNumber) -> Any:
    """One member's record in the survey: the attempts made, the line to use next and any answers."""
    return office.contact(survey_id, membership_number)


@router.post(
    "/{survey_id}/contacts/{membership_number}/attempts",
    response_model=ContactPublic,
    summary="Record a call that brought no answers; the last attempt allowed marks the member not reached",
)
def record_attempt(
    office: OfficeDep,
    calls: CallsDep,
    principal: Caller,
    survey_id: uuid.UUID,
    membership_number: MemberNumber,
    body: Attempt,
) -> Any:
    """A call that brought no answers (no answer, busy, unreachable, wrong number, declined), from the line used."""
    calls.check_free_for(str(survey_id), membership_number, principal.name)
    return office.record_attempt(
        survey_id, membership_number, line=body.line.value, outcome=body.outcome.value, by=principal.name
    )


@router.post(
    "/{survey_id}/contacts/{membership_number}/response",
    response_model=ContactPublic,
    summary="Record the answers given by phone, the new services introduced, and any dissatisfaction voiced",
)
def record_response(
    office: OfficeDep,
    calls: CallsDep,
    principal: Caller,
    survey_id: uuid.UUID,
    membership_number: MemberNumber,
    body: PhoneResponse,
) -> Any:
    """The member's answers by phone; a voiced dissatisfaction opens a complaint naming the member."""
    calls.check_free_for(str(survey_id), membership_number, principal.name)
    return office.record_response(
        survey_id,
        membership_number,
        answers=body.answers,
        channel="phone",
        line=body.line.value,
        services_introduced=body.services_introduced,
        dissatisfaction=body.dissatisfaction,
        by=principal.name,
    )


@router.post(
    "/{survey_id}/contacts/{membership_number}/not-reached",
    response_model=ContactPublic,
    summary="Stop calling a member: only once the required attempts are made",
)
def give_up(
    office: OfficeDep, calls: CallsDep, principal: Caller, survey_id: uuid.UUID, membership_number: MemberNumber
) -> Any:
    """Marks the member not reached; refused (409) until the required call attempts have been made."""
    calls.check_free_for(str(survey_id), membership_number, principal.name)
    return office.give_up(survey_id, membership_number, by=principal.name)


@router.post(
    "/{survey_id}/contacts/{membership_number}/dissatisfaction",
    response_model=ContactPublic,
    summary="Record dissatisfaction the member voiced during the call: a complaint naming the member is opened",
)
def record_dissatisfaction(
    office: OfficeDep, principal: Caller, survey_id: uuid.UUID, membership_number: MemberNumber, body: Dissatisfaction
) -> Any:
    """A dissatisfaction voiced during the call is passed on as a complaint naming the member."""
    return office.record_dissatisfaction(survey_id, membership_number, body.note, by=principal.name)


# -- scores and thresholds -----------------------------------------------------------------------------------------
@router.get(
    "/{survey_id}/scores",
    response_model=Scores,
    summary="Scores so far: per question n, mean, sd, percentage, distribution; the overall score",
)
def scores(office: OfficeDep, _: SurveyReader, survey_id: uuid.UUID) -> Any:
    """The scores of the answers received so far, per question and overall, as percentages of the scale."""
    return office.stats(survey_id)


@router.post(
    "/{survey_id}/evaluate",
    response_model=Evaluation,
    summary="Evaluate the thresholds now (as a weekly summary does): complaints for what is below, each once",
)
def evaluate(office: OfficeDep, principal: Evaluator, survey_id: uuid.UUID) -> Any:
    """Opens a complaint for each score below the chamber's threshold, once per question and survey."""
    return {"opened": office.evaluate_thresholds(survey_id, occasion="on_request", by=principal.name)}


# -- other channels: the online links, an external service's export --------------------------------------------------
@router.post(
    "/{survey_id}/links",
    response_model=list[IssuedLink],
    summary="Issue the one-time online links of the members still to answer (the same links if issued again)",
)
def issue_links(request: Request, office: OfficeDep, principal: Runner, survey_id: uuid.UUID) -> Any:
    """One-time links for the members who have not answered, to send by SMS or e-mail."""
    survey = office.get_survey(survey_id)
    if survey.stage != Stage.RUNNING:
        raise DomainError("links are issued while the survey runs")
    answered = {r["membership_number"] for r in office.responses(str(survey.id))}
    numbers = [n for n in survey.members if n not in answered]
    tokens = request.app.state.links.issue(str(survey.id), numbers)
    office.record_links_issued(survey_id, len(numbers), by=principal.name)
    base = request.app.state.link_base_url
    return [{"membership_number": n, "url": f"{base}/s/{tokens[n]}"} for n in numbers]


@router.post(
    "/{survey_id}/import",
    response_model=ImportResult,
    summary="Import an external online survey service's CSV export with a column mapping (channel import)",
)
def import_export(office: OfficeDep, principal: Runner, survey_id: uuid.UUID, body: CsvImport) -> Any:
    """Imports the answers collected by an external online survey service; unknown members are skipped."""
    office.get_survey(survey_id)
    return import_csv(
        office, str(survey_id), body.csv, member_column=body.member_column, columns=body.columns, by=principal.name
    )


# -- reports --------------------------------------------------------------------------------------------------------
@router.get(
    "/{survey_id}/summaries",
    response_model=list[WeeklySummary],
    summary="The weekly summaries: responses, response rate, per-question scores, new complaints",
)
def weekly_summaries(office: OfficeDep, _: SurveyReader, survey_id: uuid.UUID) -> Any:
    """The weekly summaries recorded while the survey ran, oldest first."""
    return office.summaries(survey_id)


@router.get(
    "/{survey_id}/report",
    response_model=FinalReport,
    summary="The final report (JSON, or CSV with format=csv): statistics, breakdowns, rates, best and worst "
    "questions, suggested corrective actions, the satisfaction trend",
    responses={200: {"content": {"text/csv": {}}}},
)
def report(
    office: OfficeDep,
    calls: CallsDep,
    _: SurveyReader,
    survey_id: uuid.UUID,
    format: Literal["json", "csv"] = "json",
    lang: Literal["fa", "tr", "en"] = "fa",
) -> Any:
    """The survey's final report for the president and the SG; format=csv gives it as a spreadsheet."""
    body = office.final_report(survey_id, counts=calls.counts(str(survey_id)), lang=lang)
    if format == "csv":
        return Response(
            report_csv(body),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="survey-{survey_id}.csv"'},
        )
    return body


@router.get(
    "/{survey_id}/trend.svg",
    response_class=Response,
    summary="The satisfaction trend chart: the overall score and each question, round over round",
    responses={200: {"content": {"image/svg+xml": {}}}},
)
def trend_chart(office: OfficeDep, _: SurveyReader, survey_id: uuid.UUID) -> Response:
    """An SVG line chart of the overall and per-question scores of this survey's rounds."""
    return Response(trend_svg(office.trend(survey_id)), media_type="image/svg+xml")


internal = APIRouter(prefix="/internal/surveys", tags=["internal"])


@internal.post(
    "/weekly-summaries",
    response_model=list[dict[str, Any]],
    summary="Record the summary of the working week just ended for every running survey (idempotent)",
)
def record_weekly_summaries(office: OfficeDep, _: Internal) -> Any:
    """Called by the scheduler at the end of each working week; a second call records nothing new."""
    return office.record_weekly_summaries()
