"""HTTP API of the calls service: telephony ingestion and the staff's work on calls."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ValidationError

from services.calls import access
from services.calls.application import CallCentre, IngestResult, call_summary, normalise_number
from services.calls.domain import Direction, State
from services.calls.index import CallIndex
from services.calls.schemas import (
    AmiBatch,
    CallAnswer,
    CallbackRecord,
    CallCreate,
    CallPublic,
    CallRoute,
    CallTransfer,
    EventBatch,
    IngestBatchOutcome,
    IngestOutcome,
    Resolution,
    SubjectTakeDown,
    UnansweredRegister,
    UnmappedQueue,
)
from services.calls.telephony import CallEventIn, TelephonyError, parse_ami_event
from shared.auth import forbid
from shared.paging import page, paged
from shared.problems import capped_errors, problem
from shared.validation import Limit, Offset, check_day


# Async on purpose: FastAPI runs a plain `def` dependency in the thread pool, a thread hop per dependency per
# request for what is an attribute lookup (bench/end_to_end.py).
async def get_centre(request: Request) -> CallCentre:
    return request.app.state.centre


async def get_index(request: Request) -> CallIndex:
    return request.app.state.index


async def day_param(
    centre: Annotated[CallCentre, Depends(get_centre)],
    day: str | None = Query(
        None,
        description="the chamber's local date of the call: ISO (2026-11-26) or Solar Hijri (1405/09/05)",
        examples=["1405/09/05"],
    ),
) -> date | None:
    if day is None:
        return None
    try:
        return check_day(centre.calendar.parse_date(day))
    except ValueError as exc:
        raise HTTPException(422, f"query.day: {exc}") from None


CentreDep = Annotated[CallCentre, Depends(get_centre)]
IndexDep = Annotated[CallIndex, Depends(get_index)]


def _public(centre: CallCentre, call_id: uuid.UUID) -> dict[str, Any]:
    return call_summary(centre.get_call(call_id))


# The staff's commands and reads below are `async` and hand their store work to the thread pool themselves, in one
# hop: a plain `def` endpoint runs in the pool and FastAPI then validates its answer against the response model in
# another hop to the pool, a third of the thread hand-offs of a command (bench/command_api.py).
def _then_public(centre: CallCentre, call_id: uuid.UUID, command: Callable[..., Any], *args: Any) -> dict[str, Any]:
    """Run the command, then read the call as it now is: both in the one thread the request hands over."""
    command(*args)
    return _public(centre, call_id)


router = APIRouter(tags=["calls"])
telephony = APIRouter(prefix="/telephony", tags=["telephony"])

Telephony = access.Telephony


def _ingest_all(centre: CallCentre, index: CallIndex, source: str, items: list[tuple[Any, Any]]) -> list[IngestResult]:
    results = centre.ingest_batch([event for _, event in items])  # one transaction for the whole request
    for (payload, event), result in zip(items, results, strict=True):
        if result.status == "rejected":
            index.record_rejection(
                source=source,
                event_id=result.event_id,
                call_id=event.call_id,
                reason=result.reason or "",
                # A webhook event is kept as the PBX sent it, dumped here: only a refused event needs it.
                payload=payload.model_dump(mode="json", by_alias=True) if isinstance(payload, BaseModel) else payload,
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
    counts = {
        k: sum(1 for r in results if r.status == k) for k in ("applied", "duplicate", "ignored", "held", "rejected")
    }
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
    """For the telephone system (role telephony): posts what happened to a call, one event or a list. Each event is applied once: an event_id seen before is answered as a duplicate and changes nothing, so the PBX may resend freely. An event that does not fit the call's state is kept in the rejections list for the telephony administrator."""
    items = body if isinstance(body, list) else [body]
    results = _ingest_all(centre, index, "webhook", [(i, i.to_event()) for i in items])
    return _respond(results, single=not isinstance(body, list))


@telephony.post(
    "/ami",
    summary="Asterisk AMI queue events as JSON (one or a list); events that carry nothing for call tracking are ignored",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "example": {
                        "Event": "AgentConnect",
                        "Queue": "601",
                        "Uniqueid": "1710221400.102",
                        "Linkedid": "1710221400.102",
                        "CallerIDNum": "09131234567",
                        "Interface": "PJSIP/201",
                        "HoldTime": "12",
                        "Timestamp": "1710221412.000000",
                    }
                }
            }
        }
    },
    response_model=IngestOutcome | IngestBatchOutcome,
)
def post_ami_events(
    centre: CentreDep, index: IndexDep, _: Telephony, body: Annotated[dict[str, Any] | AmiBatch, Body()]
) -> Any:
    """For an Asterisk PBX: its AMI queue events (QueueCallerJoin, AgentConnect, AgentRingNoAnswer, QueueCallerAbandon, Hangup and the like) forwarded as JSON objects, one or a list. If any event of a list cannot be read, none is applied and the answer names each bad one."""
    items = body if isinstance(body, list) else [body]
    parsed = []
    received = centre.clock()
    errors: list[dict[str, Any]] = []
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
    response: Response,
    _: access.RejectionReader,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    """The telephony administrator's list of events that could not be applied, newest first, with the reason, so that the PBX's mapping or the event log can be corrected. X-Total-Count gives the number before paging."""
    return paged(response, index.rejections(limit, offset), index.rejection_count())


@telephony.get(
    "/unmapped-queues",
    response_model=list[UnmappedQueue],
    summary="PBX queues no unit owns, with the calls kept unrouted: map them, then replay the log to route the calls",
)
def get_unmapped_queues(
    index: IndexDep,
    response: Response,
    _: access.RejectionReader,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Any:
    """PBX queues that no unit of the chamber owns, with how many calls came through each. Once the queue is mapped to a unit in the organisation file, replaying the queue log routes the kept calls."""
    return page(response, index.unmapped_queues(), limit, offset)


@router.post(
    "/calls", status_code=201, response_model=CallPublic, summary="Register a call by hand (incoming or outgoing)"
)
def create_call(centre: CentreDep, principal: access.MemberRelationsStaff, body: CallCreate) -> Any:
    """Registers a call that the telephone system did not report: an incoming call taken on a line outside the PBX, or an outgoing call member relations makes for a survey, an announcement or a complaint follow-up."""
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
async def search_calls(
    index: IndexDep,
    centre: CentreDep,
    scope: access.Search,
    response: Response,
    member_id: str | None = None,
    number: str | None = Query(None, description="caller number, in any common notation"),
    state: State | None = None,
    day: Annotated[date | None, Depends(day_param)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Any:
    """Finds calls by member, by caller number in any notation, by state or by day (a Solar Hijri or Gregorian date in the chamber's calendar). Unit staff see their own unit's calls; member relations, managers and auditors see all. X-Total-Count gives the number before paging."""
    e164 = None
    if number:
        e164 = normalise_number(number, centre.region)
        if e164 is None:
            raise HTTPException(422, f"{number!r} is not a phone number")
    items, total = await run_in_threadpool(
        index.search_page,
        member_id=member_id,
        number=e164,
        unit=scope.unit,
        state=state.value if state else None,
        day=day,
        expert=scope.expert,
        limit=limit,
        offset=offset,
    )
    return paged(response, items, total)


@router.get("/calls/{call_id}", response_model=CallPublic, summary="A call's record and its course")
async def get_call(_: access.CallReader, call: access.LoadedCall) -> Any:
    """The call's current record with its whole course: routing, answer, misses, transfer, registration and callbacks."""
    return call_summary(call)


@router.post("/calls/{call_id}/route", response_model=CallPublic, summary="Route the call to its destination unit")
async def route_call(
    centre: CentreDep, _: access.CallWorker, call_id: uuid.UUID, call: access.LoadedCall, body: CallRoute
) -> Any:
    """Sends a ringing call to the chamber unit it is for; it then waits in the unit's queue for an expert."""
    return call_summary(await run_in_threadpool(centre.route_call, call_id, body.unit, call))


async def answer_permitted(principal: access.CallWorker, centre: CentreDep, body: CallAnswer) -> CallAnswer:
    """Who answered decides access here, so the rule needs the body: nobody records another unit's answer."""
    if not access.may_record_answer_by(principal, centre.organisation, body.expert):
        raise forbid("an expert records only his or her own answer, a unit manager those of the unit's experts")
    return body


@router.post("/calls/{call_id}/answer", response_model=CallPublic, summary="An expert answered the call")
async def answer_call(
    centre: CentreDep, call_id: uuid.UUID, body: Annotated[CallAnswer, Depends(answer_permitted)]
) -> Any:
    """Records that an expert of the destination unit took the call. Only an expert of that unit (or the telephone system) may record it."""
    return await run_in_threadpool(_then_public, centre, call_id, centre.record_answer, call_id, body.expert)


@router.post("/calls/{call_id}/unit-not-answered", response_model=CallPublic, summary="The unit did not answer")
async def unit_not_answered(
    centre: CentreDep, _: access.CallWorker, call_id: uuid.UUID, call: access.LoadedCall
) -> Any:
    """Records that nobody in the destination unit answered; the call goes to member relations."""
    return call_summary(await run_in_threadpool(centre.record_unit_not_answered, call_id, call))


@router.post(
    "/calls/{call_id}/transfer-to-member-relations",
    response_model=CallPublic,
    summary="Hand the call the unit let go to member relations",
)
async def transfer_to_member_relations(
    centre: CentreDep, _: access.CallWorker, call_id: uuid.UUID, call: access.LoadedCall
) -> Any:
    """Hands a call the unit let go over to member relations, whose expert takes the caller's subject down."""
    return call_summary(await run_in_threadpool(centre.transfer_to_member_relations, call_id, call))


@router.post(
    "/calls/{call_id}/subject", response_model=CallPublic, summary="The member-relations expert takes the subject down"
)
async def take_down_subject(
    centre: CentreDep, principal: access.MemberRelationsStaff, call_id: uuid.UUID, body: SubjectTakeDown
) -> Any:
    """The member-relations expert records what the caller wanted and who to call back, before trying the unit again or registering the call as unanswered."""
    return await run_in_threadpool(
        _then_public,
        centre,
        call_id,
        partial(
            centre.take_down_subject,
            call_id,
            subject=body.subject,
            by=principal.name,
            contact_name=body.contact_name,
            contact_phone=body.contact_phone,
        ),
    )


@router.post("/calls/{call_id}/transfer", response_model=CallPublic, summary="Transfer to another expert of the unit")
async def transfer_call(
    centre: CentreDep, principal: access.MemberRelationsStaff, call_id: uuid.UUID, body: CallTransfer
) -> Any:
    """The second attempt: member relations puts the call through to another expert of the destination unit."""
    return await run_in_threadpool(
        _then_public,
        centre,
        call_id,
        partial(centre.transfer_to_expert, call_id, expert=body.expert, by=principal.name),
    )


@router.post(
    "/calls/{call_id}/unanswered",
    response_model=CallPublic,
    summary="Register the call as unanswered and hand it to the unit (callback within 24 working hours)",
)
async def register_unanswered(
    centre: CentreDep, principal: access.MemberRelationsStaff, call_id: uuid.UUID, body: UnansweredRegister
) -> Any:
    """When the unit still does not answer, member relations registers the call for a callback: the assigned expert finds it in the personal queue (cartable) and must call back within the callback deadline (24 working hours by default)."""
    return await run_in_threadpool(
        _then_public,
        centre,
        call_id,
        partial(
            centre.register_unanswered,
            call_id,
            by=principal.name,
            subject=body.subject,
            contact_name=body.contact_name,
            contact_phone=body.contact_phone,
            unit=body.unit,
            expert=body.expert,
        ),
    )


@router.post("/calls/{call_id}/callback", response_model=CallPublic, summary="Record the callback and its outcome")
async def record_callback(
    centre: CentreDep,
    principal: access.CallbackRecorder,
    call_id: uuid.UUID,
    call: access.LoadedCall,
    body: CallbackRecord,
) -> Any:
    """The assigned expert records calling the member back and how it went. Resolved and referred close the record; follow_up means the unit still owes a final outcome; not_reached leaves the callback owed."""
    saved = await run_in_threadpool(
        partial(
            centre.record_callback,
            call_id,
            by=principal.name,
            outcome=body.outcome,
            note=body.note,
            referred_to=body.referred_to,
            loaded=call,
        )
    )
    return call_summary(saved)


@router.post(
    "/calls/{call_id}/resolve", response_model=CallPublic, summary="Member relations answered the member itself"
)
async def resolve_call(
    centre: CentreDep, principal: access.MemberRelationsStaff, call_id: uuid.UUID, body: Resolution
) -> Any:
    """Member relations settled the caller's matter itself, so no callback by the unit is needed."""
    return await run_in_threadpool(
        _then_public,
        centre,
        call_id,
        partial(centre.resolve_by_member_relations, call_id, by=principal.name, note=body.note),
    )
