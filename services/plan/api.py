"""HTTP API of the strategic plan: imports of its export, its versions, their cross-check and the plan's history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from services.plan.access import Importer, Reader
from services.plan.application import PlanOffice
from services.plan.schemas import Finding, HistoryEntry, ImportOutcome, VersionDetail, VersionPublic
from shared.http import read_body


def get_office(request: Request) -> PlanOffice:
    return request.app.state.office


OfficeDep = Annotated[PlanOffice, Depends(get_office)]
VersionNumber = Annotated[int, Path(ge=1, le=100_000)]

router = APIRouter(prefix="/plan", tags=["plan"])


@router.post(
    "/imports",
    response_model=ImportOutcome,
    status_code=201,
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


@router.get("", response_model=VersionDetail, summary="The plan in force: aims, targets, activities as read")
def plan_in_force(office: OfficeDep, _: Reader) -> Any:
    return office.version()


@router.get("/versions", response_model=list[VersionPublic], summary="Every version of the plan, oldest first")
def versions(office: OfficeDep, _: Reader) -> Any:
    return office.versions()


@router.get("/versions/{number}", response_model=VersionDetail, summary="One version of the plan, as read")
def version(office: OfficeDep, _: Reader, number: VersionNumber) -> Any:
    return office.version(number)


@router.get(
    "/check",
    response_model=list[Finding],
    summary="The cross-check of a version (the one in force by default): stated totals against the rows' sums, "
    "duplicate and misplaced codes, marks on cost lines, by line",
)
def check(
    office: OfficeDep, _: Reader, version: int | None = Query(None, ge=1, le=100_000, description="a version number")
) -> Any:
    return office.check(version)


@router.get("/history", response_model=list[HistoryEntry], summary="The plan's events: each import that made a version")
def history(office: OfficeDep, _: Reader) -> Any:
    return office.history()
