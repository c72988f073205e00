"""HTTP API of the complaints service: the staff's work at each step of the procedure, the complaint form
ME-FR-01-01-01, documents, and the internal door for other services.

Roles follow the procedure (docs/procedures.md#complaints): experts register, the member-relations manager reviews, refers,
notifies, closes; the SG assigns and decides; the handler sees what is assigned and files the report; committee
members see the complaints of their meetings; auditors read everything and change nothing. A role that may not
take a step gets 403; a complaint the caller may not know exists is 404, whatever the step.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from services.complaints import access
from services.complaints.application import ComplaintDesk
from services.complaints.deps import DeskDep, IndexDep, public_view, respond
from services.complaints.documents import MEDIA_TYPES
from services.complaints.domain import (
    Channel,
    Kind,
    Stage,
    State,
)
from services.complaints.form_pdf import render_form_pdf
from services.complaints.printing import render_form
from services.complaints.public import parse_multipart, read_body
from services.complaints.schemas import (
    Acknowledgement,
    AssessmentIn,
    Assignment,
    CommitteeConvening,
    CommitteeDecisionIn,
    ComplaintCreate,
    ComplaintEvent,
    ComplaintForm,
    ComplaintPublic,
    ConfidentialityIn,
    DecisionIn,
    DocumentAttachedPublic,
    InformationAdd,
    InvestigationReport,
    Note,
    NotificationIn,
    Reason,
    Reopening,
    SatisfactionIn,
    StakeholdersRecord,
)
from shared.auth import Role
from shared.problems import InvalidInput
from shared.validation import Limit, Offset

Viewer = access.Viewer


# -- staff ---------------------------------------------------------------------------------------------------------
router = APIRouter(prefix="/complaints", tags=["complaints"])


@router.post(
    "",
    status_code=201,
    response_model=ComplaintPublic,
    summary="Register a complaint received in person or by phone (form ME-FR-01-01-01)",
)
def register_complaint(desk: DeskDep, principal: access.Registrar, body: ComplaintCreate) -> Any:
    """Registers a complaint, criticism, suggestion or reported problem received at the chamber's counter or by telephone, on form ME-FR-01-01-01. The answer carries the tracking reference to give the complainant; the deadline for acknowledging receipt starts now."""
    complaint_id = desk.register_complaint(
        channel=body.channel,
        kind=body.kind,
        description=body.description,
        by=principal.name,
        occurred_at=body.occurred_at,
        member_number=body.member_number,
        complainant_name=body.complainant_name,
        phone=body.phone,
        email=body.email,
        unit=body.unit,
        service=body.service,
        stakeholders=body.stakeholders.model_dump() if body.stakeholders else None,
        confidential=body.confidential,
        call_id=body.call_id,
    )
    return respond(desk, complaint_id)


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
    desk: DeskDep, index: IndexDep, principal: Viewer, filters: Annotated[Filters, Depends(_filters)]
) -> Response:
    """The same complaints as the search, as a CSV file for a spreadsheet, with the same limits on what the caller may see."""
    rows = index.search(principal, limit=100_000, offset=0, **_search_args(desk, filters))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
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
                "yes" if v["confidential"] else "no",
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


@router.get("/{complaint_id}", response_model=ComplaintPublic)
def get_complaint(desk: DeskDep, principal: access.ViewerOf, complaint_id: uuid.UUID) -> Any:
    """The complaint's current record: its state, whose step is next, every deadline and breach, and what each step recorded."""
    return respond(desk, complaint_id)


@router.get(
    "/{complaint_id}/form", response_model=ComplaintForm, summary="Form ME-FR-01-01-01: every step with who and when"
)
def get_complaint_form(desk: DeskDep, principal: access.ViewerOf, complaint_id: uuid.UUID) -> Any:
    """Form ME-FR-01-01-01 as filled in so far: each step with who did it and when, the dates also in the chamber's calendar, for printing or for the audit."""
    return desk.complaint_form(complaint_id)


@router.get(
    "/{complaint_id}/form/print",
    response_class=HTMLResponse,
    summary="Form ME-FR-01-01-01 to print: every step with who and when, in Persian (right to left) or Turkish",
)
def print_complaint_form(
    desk: DeskDep,
    principal: access.ViewerOf,
    complaint_id: uuid.UUID,
    lang: Literal["fa", "tr"] | None = Query(None, description="default: the chamber's language"),
) -> HTMLResponse:
    """Form ME-FR-01-01-01 as a page to print or save as PDF for the file: each step with who took it and when,
    dates in the chamber's calendar, in Persian (right to left) or Turkish. Anyone who may see the complaint may
    print it; a confidential complainant's identity stays hidden from those not entitled to it."""
    language = lang or ("tr" if desk.region == "TR" else "fa")
    html = render_form(desk.complaint_form(complaint_id), language, desk.calendar.format(desk.clock()))
    return HTMLResponse(html, headers={"Cache-Control": "private, no-store"})


@router.get(
    "/{complaint_id}/form/pdf",
    response_class=Response,
    summary="Form ME-FR-01-01-01 as a PDF: every step with who and when, in Persian (right to left) or Turkish",
    responses={200: {"content": {"application/pdf": {}}, "description": "the form as a PDF (A4)"}},
)
def complaint_form_pdf(
    desk: DeskDep,
    principal: access.ViewerOf,
    complaint_id: uuid.UUID,
    lang: Literal["fa", "tr"] | None = Query(None, description="default: the chamber's language"),
) -> Response:
    """Form ME-FR-01-01-01 as a PDF for the file, the same as the print page: each step with who took it and when, dates in the chamber's calendar, Persian shaped right to left or Turkish. Anyone who may see the complaint may have it."""
    language = lang or ("tr" if desk.region == "TR" else "fa")
    form = desk.complaint_form(complaint_id)
    pdf = render_form_pdf(form, language, desk.calendar.format(desk.clock()))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Cache-Control": "private, no-store",
            "Content-Disposition": f'attachment; filename="{form["form"]}-{form["reference"]}.pdf"',
        },
    )


@router.get(
    "/{complaint_id}/history", response_model=list[ComplaintEvent], summary="Every event of the complaint as on Kafka"
)
def get_complaint_history(desk: DeskDep, principal: access.HistorianOf, complaint_id: uuid.UUID) -> Any:
    """Every change of the complaint, oldest first, as published to the other services."""
    return desk.history(complaint_id)


@router.post("/{complaint_id}/acknowledge", response_model=ComplaintPublic, summary="Acknowledge receipt to the member")
def acknowledge_complaint(
    desk: DeskDep, principal: access.Acknowledger, complaint_id: uuid.UUID, body: Acknowledgement
) -> Any:
    """Records that the complainant was told the complaint was received, and how (telephone, SMS, e-mail, letter, in person). The complaint then goes to the member-relations manager for review."""
    desk.acknowledge_complaint(complaint_id, by=principal.name, method=body.method, note=body.note)
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/information",
    response_model=ComplaintPublic,
    summary="The member-relations manager adds missing information",
)
def add_information(desk: DeskDep, principal: access.MrManagerOf, complaint_id: uuid.UUID, body: InformationAdd) -> Any:
    """During the review the member-relations manager completes or corrects what the form lacks, e.g. the unit concerned after a follow-up call. Only the fields sent change."""
    changes = body.model_dump(exclude_unset=True)
    note = changes.pop("note", None)
    if "kind" in changes and changes["kind"] is None:
        raise InvalidInput("kind cannot be cleared")
    desk.add_information(complaint_id, by=principal.name, changes=changes, note=note)
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/stakeholders",
    response_model=ComplaintPublic,
    summary="Record the stakeholders, or declare none (before the review is complete and the handler assigned)",
)
def record_stakeholders(
    desk: DeskDep, principal: access.ReviewerOf, complaint_id: uuid.UUID, body: StakeholdersRecord
) -> Any:
    """Records the units and persons the complaint concerns and who took part in the matter; they cannot be assigned to handle it."""
    desk.record_stakeholders(
        complaint_id,
        by=principal.name,
        units=body.units,
        persons=body.persons,
        participants=body.participants,
        complainant=body.complainant,
        none=body.none,
    )
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/assessment",
    response_model=ComplaintPublic,
    summary="The initial assessment (ISO 10002): severity, urgency, complexity, immediate action; gives the priority",
)
def assess_complaint(desk: DeskDep, principal: access.ReviewerOf, complaint_id: uuid.UUID, body: AssessmentIn) -> Any:
    """During the review the member-relations manager assesses the complaint as ISO 10002 asks: how severe, how
    urgent and how complex it is, and whether something must be done at once. The assessment gives the
    complaint its priority, which orders the cartables."""
    desk.assess_complaint(
        complaint_id,
        severity=body.severity,
        urgency=body.urgency,
        complexity=body.complexity,
        immediate_action=body.immediate_action,
        note=body.note,
        by=principal.name,
    )
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/review-complete",
    response_model=ComplaintPublic,
    summary="Mark the review complete (the form has everything)",
)
def complete_review(desk: DeskDep, principal: access.MrManagerOf, complaint_id: uuid.UUID) -> Any:
    """The member-relations manager marks the review complete: the form has what the SG needs to decide who handles it."""
    desk.complete_review(complaint_id, by=principal.name)
    return respond(desk, complaint_id)


@router.post("/{complaint_id}/refer", response_model=ComplaintPublic, summary="Refer the reviewed complaint to the SG")
def refer_complaint(
    desk: DeskDep, principal: access.MrManagerOf, complaint_id: uuid.UUID, body: Note | None = None
) -> Any:
    """Sends the reviewed complaint to the Secretary General, who assigns a handler."""
    desk.refer_complaint(complaint_id, by=principal.name, note=body.note if body else None)
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/assign",
    response_model=ComplaintPublic,
    summary="The SG assigns a handler who is no stakeholder (409 with the reasons otherwise, kept for the audit)",
)
def assign_handler(
    desk: DeskDep, principal: access.SecretaryGeneralOf, complaint_id: uuid.UUID, body: Assignment
) -> Any:
    """The Secretary General names a person or a unit to investigate. A stakeholder of the complaint cannot handle it: the answer is then 409 with the reasons, and the refusal is kept for the audit."""
    desk.assign_handler(complaint_id, handler_kind=body.handler_kind, handler=body.handler, by=principal.name)
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/investigation",
    response_model=ComplaintPublic,
    summary="The handler files the investigation report",
)
def file_investigation(
    desk: DeskDep, principal: access.Investigator, complaint_id: uuid.UUID, body: InvestigationReport
) -> Any:
    """The handler reports the circumstances, the root causes, the consequences and what was already done; the report goes to the SG for a decision."""
    desk.file_investigation(
        complaint_id,
        by=principal.name,
        by_unit=principal.unit if principal.role == Role.UNIT_MANAGER else None,
        circumstances=body.circumstances,
        root_causes=body.root_causes,
        consequences=body.consequences,
        actions_taken=body.actions_taken,
    )
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/decision", response_model=ComplaintPublic, summary="The SG accepts or rejects the complaint"
)
def decide_complaint(
    desk: DeskDep, principal: access.SecretaryGeneralOf, complaint_id: uuid.UUID, body: DecisionIn
) -> Any:
    """The Secretary General accepts the complaint as founded or rejects it (a reason is required to reject). An accepted complaint then goes to the committee or is settled without it."""
    desk.decide_complaint(
        complaint_id, decision=body.decision, reason=body.reason, follow_up_by=body.follow_up_by, by=principal.name
    )
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/committee",
    response_model=ComplaintPublic,
    summary="The member-relations manager (or the SG) arranges the committee's meeting (accepted complaints)",
)
def convene_committee(
    desk: DeskDep, principal: access.ReviewerOf, complaint_id: uuid.UUID, body: CommitteeConvening
) -> Any:
    """The Secretary General convenes the complaint committee for an accepted complaint: its standing members and any added for this case, with the subject and meeting time."""
    desk.convene_committee(
        complaint_id,
        subject=body.subject,
        variable_members=body.variable_members,
        meeting_at=body.meeting_at,
        sg_representative=body.sg_representative,
        by=principal.name,
    )
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/committee/not-needed",
    response_model=ComplaintPublic,
    summary="The SG accepts without convening the committee",
)
def forgo_committee(
    desk: DeskDep, principal: access.SecretaryGeneralOf, complaint_id: uuid.UUID, body: Reason | None = None
) -> Any:
    """The Secretary General settles an accepted complaint without convening the committee, giving the reason."""
    desk.forgo_committee(complaint_id, reason=body.reason if body else None, by=principal.name)
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/committee/decision",
    response_model=ComplaintPublic,
    summary="The committee's minutes: attendees (a quorum), accept/reject/settle, corrective actions (the SG, the member-relations manager or a member of this committee)",
)
def record_committee_decision(
    desk: DeskDep, principal: access.CommitteeRecorder, complaint_id: uuid.UUID, body: CommitteeDecisionIn
) -> Any:
    """Minutes the committee's meeting: who attended, the decision (accept, reject or settle), the reasons and any corrective actions with owner and due date. The SG or a member of this committee may record it."""
    desk.record_committee_decision(
        complaint_id,
        attendees=body.attendees,
        decision=body.decision,
        reasoning=body.reasoning,
        corrective_actions=[a.model_dump() for a in body.corrective_actions],
        held_at=body.held_at,
        minutes=body.minutes,
        by=principal.name,
    )
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/corrective-actions/{action_id}/done",
    response_model=ComplaintPublic,
    summary="A corrective action is done (its owner, the SG, the member-relations manager or a committee member)",
)
def complete_corrective_action(
    desk: DeskDep, principal: access.ActionKeeper, complaint_id: uuid.UUID, action_id: str, body: Note | None = None
) -> Any:
    """Records a corrective action the committee decided as done, with an optional note on what was done."""
    desk.complete_corrective_action(complaint_id, action_id, by=principal.name, note=body.note if body else None)
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/notify",
    response_model=ComplaintPublic,
    summary="The member-relations manager tells the member the result",
)
def notify_member(desk: DeskDep, principal: access.MrManagerOf, complaint_id: uuid.UUID, body: NotificationIn) -> Any:
    """The member-relations manager records what the complainant was told of the result; closing is possible once this is done."""
    desk.notify_member(complaint_id, method=body.method, message=body.message, by=principal.name)
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/close", response_model=ComplaintPublic, summary="Close the complaint (after the member was told)"
)
def close_complaint(
    desk: DeskDep, principal: access.MrManagerOf, complaint_id: uuid.UUID, body: Note | None = None
) -> Any:
    """Closes the complaint after the complainant was told the result; the satisfaction question follows."""
    desk.close_complaint(complaint_id, by=principal.name, note=body.note if body else None)
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/satisfaction",
    response_model=ComplaintPublic,
    summary="The member's satisfaction with the handling (1-5, or satisfied or not)",
)
def record_satisfaction(
    desk: DeskDep, principal: access.MrManagerOf, complaint_id: uuid.UUID, body: SatisfactionIn
) -> Any:
    """Records how satisfied the complainant is with the handling: a score from 1 to 5, a yes or no, or both, with their own words."""
    desk.record_satisfaction(
        complaint_id, by=principal.name, score=body.score, satisfied=body.satisfied, comment=body.comment
    )
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/reopen",
    response_model=ComplaintPublic,
    summary="Reopen a closed complaint whose member is not satisfied",
)
def reopen_complaint(desk: DeskDep, principal: access.MrManagerOf, complaint_id: uuid.UUID, body: Reopening) -> Any:
    """Reopens a closed complaint whose complainant is not satisfied; a new round starts with its own deadlines."""
    desk.reopen_complaint(complaint_id, reason=body.reason, by=principal.name)
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/confidentiality",
    response_model=ComplaintPublic,
    summary="Mark the complaint confidential, or lift it",
)
def set_confidentiality(
    desk: DeskDep, principal: access.ReviewerOf, complaint_id: uuid.UUID, body: ConfidentialityIn
) -> Any:
    """Hides the complainant's identity from staff not entitled to it, or shows it again; the reason is kept."""
    desk.set_confidentiality(complaint_id, confidential=body.confidential, reason=body.reason, by=principal.name)
    return respond(desk, complaint_id)


# -- documents -----------------------------------------------------------------------------------------------------
@router.post(
    "/{complaint_id}/documents",
    status_code=201,
    response_model=DocumentAttachedPublic,
    summary="Attach a supporting document: the raw file with its Content-Type and ?filename=, or multipart field `file`",
    responses={
        200: {"description": "the complaint already holds this content"},
        413: {"description": "too large"},
        415: {"description": "type not accepted"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                **{t: {"schema": {"type": "string", "format": "binary"}} for t in MEDIA_TYPES},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                        "required": ["file"],
                    }
                },
            },
        }
    },
)
async def attach_document(
    request: Request,
    response: Response,
    principal: access.StaffOf,
    complaint_id: uuid.UUID,
    filename: str | None = Query(None, max_length=255),
) -> Any:
    """Attaches a supporting file (a letter, a photograph, an invoice). The same content attached twice is kept once, and the answer says so."""
    desk: ComplaintDesk = request.app.state.desk
    limit = desk.documents.max_bytes
    body = await read_body(request, limit + 64 * 1024, "the document")
    content_type = request.headers.get("content-type", "")
    if content_type.lower().startswith("multipart/form-data"):
        _, files = parse_multipart(content_type, body)
        upload = next((f for f in files if f.field == "file"), None)
        if upload is None:
            raise InvalidInput("send the document in the multipart field named `file`")
        content, media_type, name = upload.content, upload.content_type, upload.filename
    else:
        content, media_type, name = body, content_type, filename
    doc, attached = await run_in_threadpool(
        desk.attach_document, complaint_id, content, media_type=media_type, filename=name, by=principal.name
    )
    if not attached:
        response.status_code = 200
    stored = desk.get_complaint(complaint_id).document(doc.sha256) or {}
    return {**stored, "attached": attached}


@router.get(
    "/{complaint_id}/documents/{sha256}",
    response_class=Response,
    summary="Download a document of the complaint",
    responses={200: {"content": {t: {} for t in MEDIA_TYPES}}},
)
def download_document(desk: DeskDep, principal: access.ViewerOf, complaint_id: uuid.UUID, sha256: str) -> Response:
    """Downloads an attached file by its SHA-256 digest, for anyone who may see the complaint."""
    content, doc = desk.read_document(complaint_id, sha256)
    name = doc.get("filename") or sha256
    return Response(
        content,
        media_type=doc["media_type"],
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
