"""HTTP API of the plan's upkeep: spending against activities and the costs planned against spent, the printable
monitoring report (Turkish, Persian), the risk signals and reviews, and the yearly revision task."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import HTMLResponse

from services.plan.access import ActualEnterer, Reader, RiskKeeper
from services.plan.api import IndexDep, OfficeDep, RiskId, Year
from services.plan.html import render_plan_report
from services.plan.reports import cost_report_of, quarterly_report
from services.plan.schemas import RiskPublic
from services.plan.schemas_upkeep import (
    CostReport,
    RevisionCompletion,
    RevisionPublic,
    RiskReview,
    SignalStatus,
    SpendingEntry,
    SpendingRecorded,
)
from services.plan.watch import SignalWatch


def get_watch(request: Request) -> SignalWatch:
    return request.app.state.watch


WatchDep = Annotated[SignalWatch, Depends(get_watch)]
router = APIRouter(prefix="/plan", tags=["kpis"])


@router.post(
    "/spending",
    response_model=SpendingRecorded,
    status_code=201,
    description="A unit manager, the member-relations manager or the SG records what was spent on an activity of the "
    "plan in force, by voucher, with its month (YYYY-MM). The same voucher again corrects its entry (201 "
    "when recorded, 200 when nothing changed). An activity the plan in force does not have is refused with "
    "422, as is a month or an amount that cannot be.",
    summary="Record spending on an activity, by voucher (again: corrects it)",
)
def record_spending(office: OfficeDep, principal: ActualEnterer, body: SpendingEntry, response: Response) -> Any:
    entry_id, changed = office.record_spending(
        body.activity, body.month, body.amount, body.reference, body.note, by=principal.name
    )
    if not changed:
        response.status_code = 200
    return {"id": str(entry_id), "changed": changed}


@router.get(
    "/costs",
    response_model=CostReport,
    description="Any member of staff or the auditor sees, per target and activity, this year's planned cost (the "
    "plan's cost lines), the cost planned to date (by the cost line's marked months), what was spent, what "
    "remains and the share spent.",
    summary="Costs planned against spent, per target and activity",
)
def costs(office: OfficeDep, index: IndexDep, _: Reader, year: Year = None) -> Any:
    return cost_report_of(office, index, year or office.clock().year)


@router.get(
    "/reports/quarterly.html",
    response_class=HTMLResponse,
    description="Any member of staff or the auditor prints the quarterly monitoring report for the quality and "
    "management review meetings: per target and responsible unit each activity's figures, the risk register "
    "and the costs. Turkish (lang=tr, Gregorian dates) or Persian (lang=fa, right to left, Solar Hijri "
    "dates).",
    summary="The quarterly monitoring report as a printable page, in Turkish or Persian",
)
def quarterly_html(
    office: OfficeDep,
    index: IndexDep,
    _: Reader,
    quarter: int = Query(ge=1, le=4),
    year: Year = None,
    lang: Literal["tr", "fa"] = Query("tr", description="tr (Turkish) or fa (Persian)"),
) -> Any:
    year = year or office.clock().year
    page = render_plan_report(
        quarterly_report(office, index, year, quarter),
        office.risks.register_as_of(),
        cost_report_of(office, index, year)["targets"],
        lang=lang,
        generated=office.clock(),
    )
    return HTMLResponse(page)


signals_router = APIRouter(prefix="/plan", tags=["risks"])


@signals_router.get(
    "/risks/signals",
    response_model=list[SignalStatus],
    description="Any member of staff or the auditor sees each signal linked to a risk of the register (configured in "
    "the signals file): the events counted in its window or the indicator's status, the level that prompts "
    "a review, whether it is reached and whether the review it prompted is still open.",
    summary="The risks' signals now: figure, level, reached, review open",
)
def signals(watch: WatchDep, _: Reader) -> Any:
    return watch.status()


@signals_router.post(
    "/risks/{risk_id}/review",
    response_model=RiskPublic,
    description="The SG or the member-relations manager records the review of a risk with its outcome, keeping its "
    "score (re-scoring it answers the prompts too); every review its signals prompted is answered. 404 for "
    "an unknown risk.",
    summary="Record a risk's review (its score kept), answering the prompts of its signals",
)
def review(office: OfficeDep, principal: RiskKeeper, risk_id: RiskId, body: RiskReview) -> Any:
    office.risks.review_risk(risk_id, body.outcome, by=principal.name)
    return office.risks.record(risk_id)


@signals_router.get(
    "/revisions",
    response_model=list[RevisionPublic],
    description="Any member of staff or the auditor sees the yearly revision task of the plan and the risk register "
    "for the last years: opening and due days, open, overdue or done, and what the revision recorded.",
    summary="The yearly revision tasks of the plan and the risk register",
)
def revisions(office: OfficeDep, _: Reader) -> Any:
    return office.revisions()


@signals_router.post(
    "/revisions/{year}/complete",
    response_model=RevisionPublic,
    description="The SG or the member-relations manager records the year's revision as done: what was revised, with "
    "the plan version in force and the risks re-scored or reviewed since the task opened. 404 while the "
    "year's task is not open, 409 when it is done already.",
    summary="Record the year's revision of the plan and the risk register as done",
)
def complete_revision(
    office: OfficeDep,
    principal: RiskKeeper,
    body: RevisionCompletion,
    year: int = Path(ge=2000, le=2100, description="the year of the revision"),
) -> Any:
    return office.complete_revision(year, body.note, by=principal.name)
