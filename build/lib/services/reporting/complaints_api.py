"""HTTP API of the complaint reports: open complaints by stage, the six-monthly aggregate report for the SG and
the president, and the yearly input to the management review (SY-PR-10-00-02), as JSON, CSV or printable HTML.

Who may read them: the member-relations manager, the SG, auditors and operators (admin). Confidential complaints
are counted in every figure, and listed only to the member-relations manager, the SG and auditors.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, Response

from services.reporting import access
from services.reporting import complaint_reports as R
from services.reporting.as_of import AsOfText, get_readmodel, now_of
from services.reporting.complaints import ComplaintReadModel

# The report is an HTML document built from stored text: it may load nothing and run nothing.
HTML_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def get_complaint_readmodel(request: Request, as_of: AsOfText = None) -> ComplaintReadModel:
    model = getattr(request.app.state, "complaint_readmodel", None)
    if model is not None and as_of is None:
        return model
    return get_readmodel(request, as_of).complaints


ComplaintReadModelDep = Annotated[ComplaintReadModel, Depends(get_complaint_readmodel)]
Format = Literal["json", "csv", "html"]
Table = Literal["figures", "agenda", "actions"]

router = APIRouter(prefix="/reports/complaints", tags=["complaint reports"])


def _now(request: Request) -> datetime:
    clock = getattr(request.app.state, "clock", None)
    if getattr(request.state, "as_of", None) is not None or clock is not None:
        return now_of(request)
    return datetime.now(UTC)


def _format(request: Request, format: str | None) -> str:
    if format is not None:
        return format
    accept = request.headers.get("accept", "")
    if "text/csv" in accept:
        return "csv"
    if "text/html" in accept:
        return "html"
    return "json"


def _respond(
    request: Request, report: dict[str, Any], model: ComplaintReadModel, format: str | None, table: str, name: str
) -> Response:
    chosen = _format(request, format)
    if chosen == "csv":
        return Response(
            R.to_csv(report, table),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}-{table}.csv"'},
        )
    if chosen == "html":
        return HTMLResponse(
            R.render_html(report, model.calendar, request.app.state.settings.organisation),
            headers={"Content-Security-Policy": HTML_POLICY, "Content-Disposition": f'inline; filename="{name}.html"'},
        )
    return JSONResponse(jsonable_encoder(report))


@router.get("/open", summary="Open complaints by the stage they wait in, the oldest waiting first, in working hours")
def open_complaints(request: Request, model: ComplaintReadModelDep, show_confidential: access.ConfidentialSight) -> Any:
    """Every complaint not yet closed, grouped by the stage it waits in (acknowledgement, review, assignment, investigation, decision, notification), the longest waiting first, with the waiting time in working hours. Confidential complainants' names are shown only to the roles entitled to them."""
    settings = request.app.state.settings
    return R.open_report(
        model.open_complaints(),
        now=_now(request),
        calendar=model.calendar,
        chamber=settings.chamber,
        organisation=settings.organisation,
        show_confidential=show_confidential,
    )


@router.get(
    "/six-monthly",
    summary="The six-monthly aggregate complaint report for the SG and the president, with the review meeting's agenda",
    description=(
        "Half-years of the chamber's calendar: Solar Hijri (1 = Farvardin to Shahrivar, 2 = Mehr to Esfand) for the "
        "Iranian chamber, Gregorian (1 = January to June, 2 = July to December) for the Turkish one. `format=csv` "
        "gives one `table` (figures, agenda or actions); `format=html` a printable document in the chamber's language."
    ),
    responses={200: {"content": {"text/csv": {}, "text/html": {}}}},
)
def six_monthly(
    request: Request,
    model: ComplaintReadModelDep,
    show_confidential: access.ConfidentialSight,
    year: Annotated[int, Query(ge=1300, le=2200, description="1405 (Solar Hijri) in Iran, 2026 in Turkey")],
    half: Annotated[int, Query(ge=1, le=2)],
    format: Annotated[Format | None, Query()] = None,
    table: Annotated[Table, Query()] = "figures",
) -> Any:
    settings = request.app.state.settings
    period = R.half_year(settings.chamber, year, half, model.calendar.tz)
    report = R.build_report(
        model.data(),
        period,
        now=_now(request),
        calendar=model.calendar,
        organisation=settings.organisation,
        show_confidential=show_confidential,
    )
    return _respond(request, report, model, format, table, f"complaints-{year}-h{half}")


@router.get(
    "/yearly",
    summary="The yearly complaint figures: input to the management review (SY-PR-10-00-02)",
    responses={200: {"content": {"text/csv": {}, "text/html": {}}}},
)
def yearly(
    request: Request,
    model: ComplaintReadModelDep,
    show_confidential: access.ConfidentialSight,
    year: Annotated[int, Query(ge=1300, le=2200, description="1405 (Solar Hijri) in Iran, 2026 in Turkey")],
    format: Annotated[Format | None, Query()] = None,
    table: Annotated[Table, Query()] = "figures",
) -> Any:
    """The year's complaint figures as the input to the management review (SY-PR-10-00-02), as JSON, CSV or HTML."""
    settings = request.app.state.settings
    period = R.year_period(settings.chamber, year, model.calendar.tz)
    report = R.build_report(
        model.data(),
        period,
        now=_now(request),
        calendar=model.calendar,
        organisation=settings.organisation,
        show_confidential=show_confidential,
    )
    return _respond(request, report, model, format, table, f"complaints-{year}")
