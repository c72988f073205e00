"""HTTP API of the strategic plan (imports of its export, its versions, their cross-check and the plan's history)
and of the risk register (import of the process card, risks, re-scoring, the register as of a date, actions)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from services.plan.access import ActualEnterer, Importer, Reader, RiskKeeper
from services.plan.application import PlanOffice
from services.plan.index import PlanIndex
from services.plan.reports import progress_report, quarterly_csv, quarterly_report
from services.plan.schemas import (
    ActionRequested,
    ActualEntered,
    ActualEntry,
    BindingPublic,
    Finding,
    HistoryEntry,
    ImportOutcome,
    RiskActionRequest,
    RiskCreate,
    RiskImportOutcome,
    RiskPublic,
    RiskRevision,
    RiskScore,
    VersionDetail,
    VersionPublic,
)
from shared.as_of import AsOfText, as_of_moment
from shared.http import read_body


def get_office(request: Request) -> PlanOffice:
    return request.app.state.office


def get_index(request: Request) -> PlanIndex:
    return request.app.state.index


OfficeDep = Annotated[PlanOffice, Depends(get_office)]
IndexDep = Annotated[PlanIndex, Depends(get_index)]
VersionNumber = Annotated[int, Path(ge=1, le=100_000)]

router = APIRouter(prefix="/plan", tags=["plan"])


@router.post(
    "/imports",
    response_model=ImportOutcome,
    status_code=201,
    description="The SG, the member-relations manager or an operator (role admin) sends the strategic plan's export "
    "(AMAÇ, HEDEF and FAALİYET rows, tab-separated, as the spreadsheet saves it) as the body. A file that"
    " reads differently from the version in force becomes the new version every unit is measured against "
    "(201); one that reads the same records nothing (200). Either way the answer lists the cross-check's "
    "findings: stated totals against their rows, duplicate or misplaced codes, marks on cost lines. A "
    "file over the size limit is refused with 413.",
    summary="Import the plan's tab-separated export as the body: a new version (201) unless it reads as the one "
    "in force (200); its findings either way",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/tab-separated-values": {"schema": {"type": "string"}, "example": "AMAÇ 1\t..."}},
        }
    },
)
async def import_plan(
    request: Request,
    response: Response,
    office: OfficeDep,
    principal: Importer,
    source_name: str | None = Query(None, max_length=200, description="the file's name, kept with the version"),
) -> Any:
    limit = request.app.state.plan_settings.max_file_bytes
    data = await read_body(request, limit, f"a strategic plan export may be at most {limit} bytes")
    result = office.import_plan(data, by=principal.name, source_name=source_name)
    if not result.created:
        response.status_code = 200
    return result.summary()


@router.get(
    "",
    response_model=VersionDetail,
    description="Any member of staff or the auditor reads the version every unit is measured against now: its aims, "
    "targets with their stated totals and activities with their codes, responsible units and monthly "
    "marks, as read from the imported file. 404 while no plan was imported.",
    summary="The plan in force: aims, targets, activities as read",
)
def plan_in_force(office: OfficeDep, _: Reader) -> Any:
    return office.version()


@router.get(
    "/versions",
    response_model=list[VersionPublic],
    description="Any member of staff or the auditor sees each imported version: who imported it and when, the file's "
    "name, how many aims, targets and activities it has, and which one is in force.",
    summary="Every version of the plan, oldest first",
)
def versions(office: OfficeDep, _: Reader) -> Any:
    return office.versions()


@router.get(
    "/versions/{number}",
    response_model=VersionDetail,
    description="Any member of staff or the auditor reads an earlier (or the current) version of the plan in full, as"
    " read from its file, to see what the units were measured against then. 404 for a version that does "
    "not exist.",
    summary="One version of the plan, as read",
)
def version(office: OfficeDep, _: Reader, number: VersionNumber) -> Any:
    return office.version(number)


@router.get(
    "/check",
    response_model=list[Finding],
    description="Any member of staff or the auditor sees the cross-check of a version, line by line: totals the file "
    "states that disagree with the sum of the target's rows, codes used twice or under the wrong target, "
    "months marked on cost lines or past December, lines that could not be read. Empty when the file is "
    "consistent.",
    summary="The cross-check of a version (the one in force by default): stated totals against the rows' sums, "
    "duplicate and misplaced codes, marks on cost lines, by line",
)
def check(
    office: OfficeDep, _: Reader, version: int | None = Query(None, ge=1, le=100_000, description="a version number")
) -> Any:
    return office.check(version)


@router.get(
    "/history",
    response_model=list[HistoryEntry],
    description="Any member of staff or the auditor sees the plan's events, oldest first: each import that made a new"
    " version, with who did it and when (without the plan's content; read the version for that).",
    summary="The plan's events: each import that made a version",
)
def history(office: OfficeDep, _: Reader) -> Any:
    return office.history()


risks_router = APIRouter(prefix="/plan/risks", tags=["risks"])
RiskId = Annotated[uuid.UUID, Path(description="the risk's id")]


@risks_router.post(
    "/imports",
    response_model=RiskImportOutcome,
    description="The SG or the member-relations manager sends a process card's risk table (MM-FR-02-05-01: PROSES, "
    "RİSKLER, RİSK BÖLGESİ, ETKİ, MEVCUT ÖNLEMLER, O, Ş, R, ALINACAK ÖNLEMLER, KONTROL UYGULAMA) as the "
    "body. Risks not yet in the register are registered, those whose O or Ş differ are re-scored and "
    "those whose texts differ are revised; lines that cannot be read are listed as findings. A file over "
    "the size limit is refused with 413.",
    summary="Import a process card's risk register as the body (text, tab-separated): new risks registered, "
    "changed scores re-scored, changed texts revised",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/tab-separated-values": {"schema": {"type": "string"}, "example": "PROSES\tRİSKLER\t..."}},
        }
    },
)
async def import_card(request: Request, office: OfficeDep, principal: RiskKeeper) -> Any:
    limit = request.app.state.plan_settings.max_file_bytes
    data = await read_body(request, limit, f"a process card may be at most {limit} bytes")
    return office.risks.import_card(data, by=principal.name)


@risks_router.get(
    "",
    response_model=list[RiskPublic],
    description="Any member of staff or the auditor reads the risk register, highest R (O × Ş) first, each risk with "
    "its band and trend. With `as_of` (a time, or a day, ISO or Solar Hijri, meaning its end in the chamber's "
    "time zone) the register is shown as it stood then, replayed from the events recorded by that moment, for "
    "the management review or an audit; a moment still to come or unreadable is refused with 422.",
    summary="The risk register, highest R first; as it stood at a past moment with `as_of`",
)
def register(request: Request, office: OfficeDep, _: Reader, as_of: AsOfText = None) -> Any:
    calendar = request.app.state.settings.business_calendar
    return office.risks.register_as_of(as_of_moment(as_of, calendar, office.clock()))


@risks_router.post(
    "",
    response_model=RiskPublic,
    status_code=201,
    description="The SG or the member-relations manager adds a risk to a process's register with its probability (O) "
    "and severity (Ş), 1 to 5 each; R = O × Ş and its band follow. A risk with the same wording already "
    "in the process's register is refused with 409.",
    summary="Add a risk to a process's register",
)
def add_risk(office: OfficeDep, principal: RiskKeeper, body: RiskCreate) -> Any:
    risk_id = office.risks.register_risk(**body.model_dump(), by=principal.name)
    return office.risks.record(risk_id)


@risks_router.get(
    "/{risk_id}",
    response_model=RiskPublic,
    description="Any member of staff or the auditor reads one risk with every score it has had, oldest first, its "
    "trend at the last re-scoring and the corrective actions asked for. 404 for an unknown risk.",
    summary="A risk with every score it has had (its trend)",
)
def get_risk(office: OfficeDep, _: Reader, risk_id: RiskId) -> Any:
    return office.risks.record(risk_id)


@risks_router.post(
    "/{risk_id}/score",
    response_model=RiskPublic,
    description="The SG or the member-relations manager gives a risk a new probability (O) and severity (Ş), with the"
    " reason (e.g. a measure taken); the earlier score stays in its history. The same score again records"
    " nothing.",
    summary="Re-score a risk: O and Ş, with a reason",
)
def rescore(office: OfficeDep, principal: RiskKeeper, risk_id: RiskId, body: RiskScore) -> Any:
    office.risks.rescore_risk(risk_id, body.probability, body.severity, reason=body.reason, by=principal.name)
    return office.risks.record(risk_id)


@risks_router.post(
    "/{risk_id}/details",
    response_model=RiskPublic,
    description="The SG or the member-relations manager changes a risk's area, effect, current or planned measures or"
    " control record; a text left out stays as it is. Nothing is recorded when nothing changes.",
    summary="Change a risk's area, effect, measures or control record",
)
def revise(office: OfficeDep, principal: RiskKeeper, risk_id: RiskId, body: RiskRevision) -> Any:
    office.risks.revise_risk(risk_id, by=principal.name, **body.model_dump())
    return office.risks.record(risk_id)


@risks_router.post(
    "/{risk_id}/actions",
    response_model=ActionRequested,
    status_code=202,
    description="The SG or the member-relations manager asks for a corrective action to carry out one of the risk's "
    "measures, for the unit that will own it. The answer is the reference the action is opened under; the"
    " actions service opens it shortly after (202), so it appears there a moment later.",
    summary="Ask for a corrective action to carry out a measure; the actions service opens it shortly after",
)
def request_action(office: OfficeDep, principal: RiskKeeper, risk_id: RiskId, body: RiskActionRequest) -> Any:
    return {"source_ref": office.risks.request_action(risk_id, body.measure, unit=body.unit, by=principal.name)}


kpi_router = APIRouter(prefix="/plan", tags=["kpis"])
Year = Annotated[int | None, Query(ge=2000, le=2100, description="the calendar year; this year by default")]


@kpi_router.get(
    "/bindings",
    response_model=list[BindingPublic],
    description="Any member of staff or the auditor sees how each bound activity of the plan is measured: from the "
    "CRM's events (which event types, filtered how, counted or summed) or entered by hand with an "
    "evidence document.",
    summary="What measures each bound activity",
)
def bindings(office: OfficeDep, _: Reader) -> Any:
    return [{**b.__dict__, "types": list(b.types)} for b in sorted(office.bindings.values(), key=lambda b: b.activity)]


@kpi_router.post(
    "/actuals",
    response_model=ActualEntered,
    status_code=201,
    description="A unit manager, the member-relations manager or the SG enters a month's figure (YYYY-MM) of an "
    "activity measured by hand, with its evidence document (e.g. F.12 Görüşme Formu). Entering the same "
    "activity and month again corrects the figure (201 when recorded, 200 when the same figure and "
    "evidence were there already). An activity the plan in force does not have is refused with 422, one "
    "measured from the CRM's events with 409.",
    summary="Enter a month's figure of an activity measured by hand, with its evidence (again: corrects it)",
)
def enter_actual(office: OfficeDep, principal: ActualEnterer, body: ActualEntry, response: Response) -> Any:
    entry_id, changed = office.enter_actual(body.activity, body.month, body.value, body.evidence, by=principal.name)
    if not changed:
        response.status_code = 200
    return {"id": str(entry_id), "changed": changed}


@kpi_router.get(
    "/progress",
    description="Any member of staff or the auditor sees, for each activity of the year, the actual figure per month,"
    " the months marked in the plan that are over with nothing recorded, the projection to the year's end"
    " and whether the activity is on track, at risk or off track; with `as_of`, as it stood at a past moment.",
    summary="Each activity's year: actual per month, misses (a marked month over with nothing recorded), "
    "projection to year end and status (on track, at risk, off track)",
)
def year_progress(
    request: Request, office: OfficeDep, index: IndexDep, _: Reader, year: Year = None, as_of: AsOfText = None
) -> Any:
    when = as_of_moment(as_of, request.app.state.settings.business_calendar, office.clock())
    return progress_report(office, index, year or (when or office.clock()).year, when)


@kpi_router.get(
    "/reports/quarterly",
    description="Any member of staff or the auditor takes the quarterly monitoring report: for each target and "
    "responsible unit, its activities' figures for the quarter and the year to the quarter's end, the "
    "marked months missed and how many activities are off track. JSON by default, or a CSV file with "
    "format=csv for the management review; `unit` keeps one responsible unit.",
    summary="The quarterly monitoring report per target and responsible unit (JSON, or CSV with format=csv)",
    responses={200: {"content": {"text/csv": {}}}},
)
def quarterly_monitoring(
    request: Request,
    office: OfficeDep,
    index: IndexDep,
    _: Reader,
    quarter: int = Query(ge=1, le=4),
    year: Year = None,
    unit: str | None = Query(None, max_length=200, description="one responsible unit, as the plan names it"),
    format: Literal["json", "csv"] = "json",
    as_of: AsOfText = None,
) -> Any:
    when = as_of_moment(as_of, request.app.state.settings.business_calendar, office.clock())
    report = quarterly_report(office, index, year or (when or office.clock()).year, quarter, unit, when)
    if format == "csv":
        name = f"plan-{report['year']}-q{quarter}.csv"
        return Response(
            quarterly_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return report
