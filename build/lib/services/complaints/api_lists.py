"""Lists of complaints for the staff: search (only what the caller may see, paged, X-Total-Count), the CSV export, and
the complaints waiting on the caller."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response

from services.complaints import access
from services.complaints.application import ComplaintDesk
from services.complaints.deps import DeskDep, IndexDep, public_view
from services.complaints.domain import (
    Channel,
    Kind,
    Stage,
    State,
)
from services.complaints.schemas import (
    ComplaintPublic,
)
from services.complaints.tracking import texts
from shared.validation import Limit, Offset

Viewer = access.Viewer
router = APIRouter(prefix="/complaints", tags=["complaints"])


Filters = dict[str, Any]


def _filters(
    reference: str | None = Query(None, max_length=20),
    state: State | None = None,
    stage: Stage | None = None,
    kind: Kind | None = None,
    channel: Channel | None = None,
    unit: str | None = Query(None, max_length=100, description="the unit concerned or complained about"),
    handler: str | None = Query(None, max_length=200),
    member_number: str | None = Query(None, max_length=60),
    confidential: bool | None = None,
    committee_member: str | None = Query(None, max_length=200),
    overdue: bool = Query(False, description="only those whose current stage is past its due time"),
) -> Filters:
    return {
        "reference": reference,
        "state": state.value if state else None,
        "stage": stage.value if stage else None,
        "kind": kind.value if kind else None,
        "channel": channel.value if channel else None,
        "unit": unit,
        "handler": handler,
        "member_number": member_number,
        "confidential": confidential,
        "committee_member": committee_member,
        "overdue": overdue,
    }


def _search_args(desk: ComplaintDesk, filters: Filters) -> dict[str, Any]:
    args = {k: v for k, v in filters.items() if k != "overdue"}
    args["overdue_at"] = desk.clock() if filters["overdue"] else None
    return args


@router.get(
    "", response_model=list[ComplaintPublic], summary="Search complaints (only those the caller may see; X-Total-Count)"
)
def search_complaints(
    desk: DeskDep,
    index: IndexDep,
    principal: Viewer,
    response: Response,
    filters: Annotated[Filters, Depends(_filters)],
    limit: Limit = 100,
    offset: Offset = 0,
) -> Any:
    """Finds complaints by reference, state, stage, kind, channel, handler, member or committee member. Each role sees only the complaints it may see, and a confidential complainant's identity stays hidden from those not entitled to it. X-Total-Count gives the number before paging."""
    args = _search_args(desk, filters)
    response.headers["X-Total-Count"] = str(index.count(principal, **args))
    return [public_view(desk, v) for v in index.search(principal, limit=limit, offset=offset, **args)]


EXPORT_COLUMNS = (
    "reference",
    "received_at",
    "received_at_local",
    "channel",
    "kind",
    "state",
    "stage",
    "unit",
    "handler",
    "outcome",
    "due_at",
    "confidential",
)


@router.get(
    "/export",
    summary="The complaints the caller may see, as CSV (same filters as the search)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def export_complaints(
    desk: DeskDep,
    index: IndexDep,
    principal: Viewer,
    filters: Annotated[Filters, Depends(_filters)],
    lang: Literal["fa", "tr", "en"] | None = Query(
        None, description="headings and yes/no in fa, tr or en for people; default: the column names, for programs"
    ),
) -> Response:
    """The same complaints as the search, as a CSV file for a spreadsheet, with the same limits on what the caller may see. With `lang`, the headings are in that language for a person opening it; without, they are the stable column names a program reads."""
    rows = index.search(principal, limit=100_000, offset=0, **_search_args(desk, filters))
    words = texts(lang)["csv"] if lang else {"yes": "yes", "no": "no"}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([words[c] for c in EXPORT_COLUMNS] if lang else EXPORT_COLUMNS)
    for v in rows:
        received = datetime.fromisoformat(v["received_at"])
        handler = (v.get("handler") or {}).get("name")
        writer.writerow(
            [
                v["reference"],
                v["received_at"],
                desk.calendar.format(received),
                v["channel"],
                v["kind"],
                v["state"],
                v["stage"] or "",
                v["unit"] or "",
                handler or "",
                v["outcome"] or "",
                v["due_at"] or "",
                words["yes"] if v["confidential"] else words["no"],
            ]
        )
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="complaints.csv"'},
    )


@router.get(
    "/waiting-on-me",
    response_model=list[ComplaintPublic],
    summary="The complaints waiting on me (my cartable), by priority, then earliest due first",
)
def waiting_on_me(desk: DeskDep, index: IndexDep, principal: access.WaitingOnMe) -> Any:
    """The caller's cartable: complaints whose next step is theirs (to acknowledge, review, assign, investigate, decide or follow up), the earliest deadline first."""
    return [public_view(desk, v) for v in index.waiting_on(principal)]
