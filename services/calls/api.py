"""HTTP API of the calls service: telephony ingestion and the staff's work on calls."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.calls.application import CallCentre, IngestResult, call_summary, normalise_number
from services.calls.domain import CallbackOutcome, Direction, Purpose, State
from services.calls.index import CallIndex
from services.calls.telephony import CallEventIn, TelephonyError, parse_ami_event
from shared.auth import READERS, Principal, Role, require
from shared.problems import capped_errors, problem
from shared.validation import Limit, Offset, SaneDate

MAX_BATCH = 1000


# Async on purpose: FastAPI runs a plain `def` dependency in the thread pool, a thread hop per dependency per
# request for what is an attribute lookup (bench/end_to_end.py).
async def get_centre(request: Request) -> CallCentre:
    return request.app.state.centre


async def get_index(request: Request) -> CallIndex:
    return request.app.state.index


CentreDep = Annotated[CallCentre, Depends(get_centre)]
IndexDep = Annotated[CallIndex, Depends(get_index)]


class CallCallback(BaseModel):
    by: str
    outcome: CallbackOutcome
    note: str | None
    at: datetime


class CallPublic(BaseModel):
    id: uuid.UUID
    version: int
    direction: Direction
    state: State
    received_at: datetime
    caller: str | None
    caller_raw: str | None
    callee: str | None
    member_id: str | None
    pbx_call_id: str | None
    purpose: Purpose | None
    placed_by: str | None
    unit: str | None
    answered_by: str | None
    missed_by: list[str]
    member_relations_expert: str | None
    subject: str | None
    contact_name: str | None
    contact_phone: str | None
    transferred_to: str | None
    assigned_expert: str | None
    registered_at: datetime | None
    callback_due: datetime | None
    callbacks: list[CallCallback]
    ended_at: datetime | None


class CallCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    direction: Direction = Direction.INCOMING
    caller: str | None = Field(default=None, max_length=40, description="the other party's number as dialled or shown")
    callee: str | None = Field(default=None, max_length=40)
    unit: str | None = Field(default=None, description="destination unit of an incoming call")
    purpose: Purpose | None = Field(default=None, description="outgoing calls only")


class CallRoute(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unit: str = Field(min_length=1, max_length=100)


class CallAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    expert: str = Field(min_length=1, max_length=200)


class SubjectTakeDown(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject: str = Field(min_length=1, max_length=4000)
    contact_name: str | None = Field(default=None, max_length=200)
    contact_phone: str | None = Field(default=None, max_length=40)


class CallTransfer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    expert: str = Field(min_length=1, max_length=200, description="another expert of the destination unit")


class UnansweredRegister(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject: str | None = Field(default=None, max_length=4000, description="defaults to the subject taken down")
    contact_name: str | None = Field(default=None, max_length=200)
    contact_phone: str | None = Field(default=None, max_length=40, description="defaults to the caller's number")
    unit: str | None = Field(default=None, description="defaults to the destination unit")
    expert: str | None = Field(default=None, description="the expert who missed it; defaults to the last one who did")


class CallbackRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: CallbackOutcome
    note: str | None = Field(default=None, max_length=4000)


class Resolution(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(min_length=1, max_length=4000)


# Checked before any item is: a list of half a million numbers is refused at once, not validated item by item.
EventBatch = Annotated[list[CallEventIn], Field(max_length=MAX_BATCH)]
AmiBatch = Annotated[list[dict[str, Any]], Field(max_length=MAX_BATCH)]


class IngestOutcome(BaseModel):
    event_id: str
    call_id: str | None
    status: str
    reason: str | None = None


class IngestBatchOutcome(BaseModel):
    results: list[IngestOutcome]
    applied: int
    duplicate: int
    ignored: int
    rejected: int


def _public(centre: CallCentre, call_id: uuid.UUID) -> dict[str, Any]:
    return call_summary(centre.get_call(call_id))


router = APIRouter(tags=["calls"])
telephony = APIRouter(prefix="/telephony", tags=["telephony"])

Telephony = Annotated[Principal, Depends(require(Role.TELEPHONY, Role.ADMIN))]
Staff = Annotated[Principal, Depends(require(Role.EXPERT, Role.UNIT_MANAGER, Role.MR_MANAGER, Role.SG, Role.ADMIN))]
MemberRelations = Annotated[Principal, Depends(require(Role.EXPERT, Role.MR_MANAGER, Role.ADMIN))]
Reader = Annotated[Principal, Depends(require(*READERS))]


def _ingest_all(centre: CallCentre, index: CallIndex, source: str, items: list[tuple[Any, Any]]) -> list[IngestResult]:
    results = centre.ingest_batch([event for _, event in items])  # one transaction for the whole request
    for (payload, event), result in zip(items, results, strict=True):
        if result.status == "rejected":
            index.record_rejection(
                source=source,
                event_id=result.event_id,
                call_id=event.call_id,
                reason=result.reason or "",
                payload=payload,
                at=centre.clock(),
            )
    return results


def _respond(results: list[IngestResult], single: bool) -> Any:
    if single:
        r = results[0]
        if r.invalid:
            return problem(422, "Invalid telephony event", r.reason, event_id=r.event_id, call_id=r.call_id)
        if r.status == "rejected":
            return problem(409, "Telephony event refused", r.reason, event_id=r.event_id, call_id=r.call_id)
        return IngestOutcome(**r.__dict__)
    counts = {k: sum(1 for r in results if r.status == k) for k in ("applied", "duplicate", "ignored", "rejected")}
    return IngestBatchOutcome(results=[IngestOutcome(**r.__dict__) for r in results], **counts)


@telephony.post(
    "/events",
    summary="Canonical call-event webhook: one event or a list of up to 1000, idempotent by event_id",
    response_model=IngestOutcome | IngestBatchOutcome,
    responses={409: {"description": "the event does not fit the call's state (kept as a rejection)"}},
)
def post_call_events(
    centre: CentreDep, index: IndexDep, _: Telephony, body: Annotated[CallEventIn | EventBatch, Body()]
) -> Any:
    items = body if isinstance(body, list) else [body]
    results = _ingest_all(
        centre, index, "webhook", [(i.model_dump(mode="json", by_alias=True), i.to_event()) for i in items]
    )
    return _respond(results, single=not isinstance(body, list))


@telephony.post(
    "/ami",
    summary="Asterisk AMI queue events as JSON (one or a list); events that carry nothing for call tracking are ignored",
    response_model=IngestOutcome | IngestBatchOutcome,
)
def post_ami_events(
    centre: CentreDep, index: IndexDep, _: Telephony, body: Annotated[dict[str, Any] | AmiBatch, Body()]
) -> Any:
    items = body if isinstance(body, list) else [body]
    parsed = []
    received = centre.clock()
    errors = []
    for n, payload in enumerate(items):
        try:
            event = parse_ami_event(payload, received_at=received)
        except (TelephonyError, ValidationError, ValueError) as exc:
            errors.append({"loc": ["body", n], "msg": str(exc), "type": "telephony"})
            continue
        parsed.append((payload, event))
    if errors:
        # Nothing of a partly malformed batch is applied: the PBX resends it whole once corrected.
        listed, _detail = capped_errors(errors)
        detail = "; ".join(e["msg"] for e in listed) + (
            f"; and {len(errors) - len(listed)} more" if errors[len(listed) :] else ""
        )
        return problem(422, "Malformed AMI event", detail, errors=listed)
    relevant = [(p, e) for p, e in parsed if e is not None]
    results = _ingest_all(centre, index, "ami", relevant)
    if not isinstance(body, list):
        if not results:
            return IngestOutcome(event_id=str(body.get("Event", "")), call_id=None, status="ignored")
        return _respond(results, single=True)
    skipped = len(parsed) - len(relevant)
    out = _respond(results, single=False)
    out.ignored += skipped
    return out


@telephony.get("/rejections", summary="Telephony events that could not be applied, with the reason")
def get_rejections(
    index: IndexDep,
    _: Annotated[Principal, Depends(require(Role.ADMIN, Role.AUDITOR, Role.MR_MANAGER))],
    limit: Limit = 100,
) -> list[dict[str, Any]]:
    return index.rejections(limit)


@router.post(
    "/calls", status_code=201, response_model=CallPublic, summary="Register a call by hand (incoming or outgoing)"
)
def create_call(centre: CentreDep, principal: MemberRelations, body: CallCreate) -> Any:
    call_id = centre.receive_call(
        direction=body.direction,
        caller=body.caller,
        callee=body.callee,
        unit=body.unit,
        purpose=body.purpose,
        placed_by=principal.name if body.direction == Direction.OUTGOING else None,
    )
    return _public(centre, call_id)


@router.get("/calls", response_model=list[CallPublic], summary="Search calls by member, number, unit, state, day")
def search_calls(
    index: IndexDep,
    centre: CentreDep,
    _: Reader,
    member_id: str | None = None,
    number: str | None = Query(None, description="caller number, in any common notation"),
    unit: str | None = None,
    state: State | None = None,
    day: SaneDate | None = Query(None, description="the chamber's local date of the call (Gregorian, YYYY-MM-DD)"),
    expert: str | None = Query(None, description="the expert the unanswered call is assigned to"),
    limit: Limit = 100,
    offset: Offset = 0,
) -> Any:
    e164 = None
    if number:
        e164 = normalise_number(number, centre.region)
        if e164 is None:
            raise HTTPException(422, f"{number!r} is not a phone number")
    return index.search(
        member_id=member_id,
        number=e164,
        unit=unit,
        state=state.value if state else None,
        day=day,
        expert=expert,
        limit=limit,
        offset=offset,
    )


@router.get("/calls/{call_id}", response_model=CallPublic)
def get_call(centre: CentreDep, _: Reader, call_id: uuid.UUID) -> Any:
    return _public(centre, call_id)


@router.post("/calls/{call_id}/route", response_model=CallPublic, summary="Route the call to its destination unit")
def route_call(centre: CentreDep, _: Staff, call_id: uuid.UUID, body: CallRoute) -> Any:
    centre.route_call(call_id, body.unit)
    return _public(centre, call_id)


@router.post("/calls/{call_id}/answer", response_model=CallPublic, summary="An expert answered the call")
def answer_call(centre: CentreDep, _: Staff, call_id: uuid.UUID, body: CallAnswer) -> Any:
    centre.record_answer(call_id, body.expert)
    return _public(centre, call_id)


@router.post("/calls/{call_id}/unit-not-answered", response_model=CallPublic, summary="The unit did not answer")
def unit_not_answered(centre: CentreDep, _: Staff, call_id: uuid.UUID) -> Any:
    centre.record_unit_not_answered(call_id)
    return _public(centre, call_id)


@router.post("/calls/{call_id}/transfer-to-member-relations", response_model=CallPublic)
def transfer_to_member_relations(centre: CentreDep, _: Staff, call_id: uuid.UUID) -> Any:
    centre.transfer_to_member_relations(call_id)
    return _public(centre, call_id)


@router.post(
    "/calls/{call_id}/subject", response_model=CallPublic, summary="The member-relations expert takes the subject down"
)
def take_down_subject(centre: CentreDep, principal: MemberRelations, call_id: uuid.UUID, body: SubjectTakeDown) -> Any:
    centre.take_down_subject(
        call_id,
        subject=body.subject,
        by=principal.name,
        contact_name=body.contact_name,
        contact_phone=body.contact_phone,
    )
    return _public(centre, call_id)


@router.post("/calls/{call_id}/transfer", response_model=CallPublic, summary="Transfer to another expert of the unit")
def transfer_call(centre: CentreDep, principal: MemberRelations, call_id: uuid.UUID, body: CallTransfer) -> Any:
    centre.transfer_to_expert(call_id, expert=body.expert, by=principal.name)
    return _public(centre, call_id)


@router.post(
    "/calls/{call_id}/unanswered",
    response_model=CallPublic,
    summary="Register the call as unanswered and hand it to the unit (callback within 24 working hours)",
)
def register_unanswered(
    centre: CentreDep, principal: MemberRelations, call_id: uuid.UUID, body: UnansweredRegister
) -> Any:
    centre.register_unanswered(
        call_id,
        by=principal.name,
        subject=body.subject,
        contact_name=body.contact_name,
        contact_phone=body.contact_phone,
        unit=body.unit,
        expert=body.expert,
    )
    return _public(centre, call_id)


@router.post("/calls/{call_id}/callback", response_model=CallPublic, summary="Record the callback and its outcome")
def record_callback(
    centre: CentreDep,
    principal: Annotated[Principal, Depends(require(Role.UNIT_MANAGER, Role.EXPERT, Role.MR_MANAGER))],
    call_id: uuid.UUID,
    body: CallbackRecord,
) -> Any:
    call = centre.get_call(call_id)
    if principal.role == Role.UNIT_MANAGER and principal.unit != call.unit:
        raise HTTPException(403, f"only the manager of unit {call.unit!r} records callbacks for its calls")
    if principal.role == Role.EXPERT and principal.name != call.assigned_expert:
        raise HTTPException(403, "an expert records callbacks only for the calls in his or her own queue")
    centre.record_callback(call_id, by=principal.name, outcome=body.outcome, note=body.note)
    return _public(centre, call_id)


@router.post(
    "/calls/{call_id}/resolve", response_model=CallPublic, summary="Member relations answered the member itself"
)
def resolve_call(centre: CentreDep, principal: MemberRelations, call_id: uuid.UUID, body: Resolution) -> Any:
    centre.resolve_by_member_relations(call_id, by=principal.name, note=body.note)
    return _public(centre, call_id)


queues = APIRouter(prefix="/queues", tags=["queues"])


@queues.get("/experts/me", response_model=list[CallPublic], summary="My personal queue (cartable) of unanswered calls")
def my_queue(
    index: IndexDep, principal: Annotated[Principal, Depends(require(Role.EXPERT, Role.UNIT_MANAGER, Role.MR_MANAGER))]
) -> Any:
    return index.queue(expert=principal.name)


@queues.get("/experts/{expert}", response_model=list[CallPublic], summary="An expert's personal queue")
def expert_queue(index: IndexDep, centre: CentreDep, principal: Reader, expert: str) -> Any:
    if principal.role == Role.EXPERT and principal.name != expert:
        raise HTTPException(403, "an expert sees only his or her own queue")
    if principal.role == Role.UNIT_MANAGER and centre.organisation.unit_of_expert(expert) != principal.unit:
        raise HTTPException(403, "a unit manager sees the queues of his or her own unit's experts")
    return index.queue(expert=expert)


@queues.get("/units/{unit}", response_model=list[CallPublic], summary="A unit's unanswered calls awaiting callback")
def unit_queue(index: IndexDep, centre: CentreDep, principal: Reader, unit: str) -> Any:
    if not centre.organisation.has_unit(unit):
        raise HTTPException(404, f"no unit {unit!r}")
    if principal.role in (Role.UNIT_MANAGER, Role.EXPERT) and principal.unit not in (
        unit,
        centre.organisation.member_relations_unit,
    ):
        raise HTTPException(403, f"only staff of unit {unit!r}, member relations, the SG and auditors see its list")
    return index.queue(unit=unit)
