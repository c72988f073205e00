"""The surveys API's figures and channels besides the phone: scores and thresholds, one-time links, CSV imports,
weekly summaries, the final report and the trend chart, and the internal door for the weekly check."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi import Path as FastApiPath
from fastapi.responses import HTMLResponse

from services.surveys.access import (
    Evaluator,
    Internal,
    Runner,
    SurveyReader,
)
from services.surveys.deps import CallsDep, OfficeDep
from services.surveys.domain import Stage
from services.surveys.imports import import_csv
from services.surveys.link_events import record_links_issued
from services.surveys.reports import report_csv, trend_svg
from services.surveys.schemas import (
    CsvImport,
    Evaluation,
    FinalReport,
    ImportResult,
    IssuedLink,
    Scores,
    WeeklyReport,
    WeeklySummary,
)
from services.surveys.weekly import weekly_csv, weekly_html
from shared.as_of import AsOfText, as_of_moment
from shared.problems import DomainError

router = APIRouter(prefix="/surveys", tags=["surveys"])


@router.get(
    "/{survey_id}/scores",
    response_model=Scores,
    summary="Scores so far: per question n, mean, sd, percentage, distribution; the overall score",
)
def scores(office: OfficeDep, _: SurveyReader, survey_id: uuid.UUID, as_of: AsOfText = None) -> Any:
    """The scores of the answers received so far (by `as_of`, when given), per question and overall, as percentages of the scale."""
    return office.stats(survey_id, as_of_moment(as_of, office.calendar, office.clock()))


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
    summary="Issue the one-time online links of the members still to be reached (the same links if issued again)",
)
def issue_links(request: Request, office: OfficeDep, calls: CallsDep, principal: Runner, survey_id: uuid.UUID) -> Any:
    """One-time links for the members still to be reached, to send by SMS or e-mail: not to those who answered,
    declined or were given up on as not reached."""
    survey = office.get_survey(survey_id)
    if survey.stage != Stage.RUNNING:
        raise DomainError("links are issued while the survey runs")
    closed = calls.closed_numbers(str(survey.id))
    numbers = [n for n in survey.members if n not in closed]
    tokens = request.app.state.links.issue(str(survey.id), numbers)
    office.record_links_issued(survey_id, len(numbers), by=principal.name)
    record_links_issued(office, str(survey.id), numbers, by=principal.name)  # one event per member, for sending
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
def weekly_summaries(office: OfficeDep, _: SurveyReader, survey_id: uuid.UUID, as_of: AsOfText = None) -> Any:
    """The weekly summaries recorded while the survey ran, oldest first; with `as_of`, those recorded by then."""
    return office.summaries(survey_id, as_of_moment(as_of, office.calendar, office.clock()))


@router.get(
    "/{survey_id}/summaries/{week_ending}",
    response_model=WeeklyReport,
    summary="One week's summary for the SG and the president: JSON, CSV (format=csv) or a printable page "
    "(format=html) in Persian or Turkish",
    responses={200: {"content": {"text/csv": {}, "text/html": {}}}},
)
def weekly_summary(
    request: Request,
    office: OfficeDep,
    _: SurveyReader,
    survey_id: uuid.UUID,
    week_ending: Annotated[date, FastApiPath(description="the last working day of the week (ISO date)")],
    format: Literal["json", "csv", "html"] = "json",
    lang: Literal["fa", "tr", "en"] | None = None,
    as_of: AsOfText = None,
) -> Any:
    """The summary recorded at the end of that working week: responses so far, the response rate, each question's score against its threshold and the complaints opened since the previous summary. The page prints on A4, in Persian right to left (Solar Hijri dates) or Turkish; without `lang`, in the chamber's language. With `as_of`, 404 unless it was recorded by then."""
    language = lang or ("tr" if request.app.state.settings.chamber == "TR" else "fa")
    when = as_of_moment(as_of, office.calendar, office.clock())
    body = office.weekly_report(survey_id, week_ending, lang=language, as_of=when)
    name = f"survey-{survey_id}-week-{week_ending.isoformat()}"
    if format == "csv":
        return Response(
            weekly_csv(body),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if format == "html":
        local = body["recorded_at"].astimezone(office.calendar.tz)
        return HTMLResponse(weekly_html(body, recorded_local=local))
    return body


@router.get(
    "/{survey_id}/report",
    response_model=FinalReport,
    summary="The final report (JSON, or CSV with format=csv): statistics, breakdowns, rates, best and worst "
    "questions, suggested corrective actions, the satisfaction trend; as it stood at a past moment with `as_of`",
    responses={200: {"content": {"text/csv": {}}}},
)
def report(
    office: OfficeDep,
    calls: CallsDep,
    _: SurveyReader,
    survey_id: uuid.UUID,
    format: Literal["json", "csv"] = "json",
    lang: Literal["fa", "tr", "en"] = "fa",
    as_of: AsOfText = None,
) -> Any:
    """The survey's final report for the president and the SG; format=csv gives it as a spreadsheet. With `as_of`,
    the report as it stood at that moment (404 when the survey was not requested yet)."""
    when = as_of_moment(as_of, office.calendar, office.clock())
    counts = calls.counts(str(survey_id)) if when is None else {}
    body = office.final_report(survey_id, counts=counts, lang=lang, as_of=when)
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
def trend_chart(office: OfficeDep, _: SurveyReader, survey_id: uuid.UUID, as_of: AsOfText = None) -> Response:
    """An SVG line chart of the overall and per-question scores of this survey's rounds; with `as_of`, as it stood then."""
    trend = office.trend(survey_id, as_of_moment(as_of, office.calendar, office.clock()))
    return Response(trend_svg(trend), media_type="image/svg+xml")


internal = APIRouter(prefix="/internal/surveys", tags=["internal"])


@internal.post(
    "/weekly-summaries",
    response_model=list[dict[str, Any]],
    summary="Record the summary of the working week just ended for every running survey (idempotent)",
)
def record_weekly_summaries(office: OfficeDep, _: Internal) -> Any:
    """Called by the scheduler at the end of each working week; a second call records nothing new."""
    return office.record_weekly_summaries()
