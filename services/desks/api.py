"""HTTP API of the service desks: the six steps of each desk, its registrations and lists, and the internal door
that records missed follow-ups."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import HTMLResponse

from services.desks.access import Approver, Internal, Reader, Runner
from services.desks.application import DeskOffice
from services.desks.documents import final_list_csv, final_list_html, slot_ics
from services.desks.domain import Period, Stage
from services.desks.index import DeskIndex
from services.desks.members import MemberBook
from services.desks.schemas import (
    Announcement,
    AnnouncementRequested,
    Attendance,
    Cancellation,
    Catering,
    Coordination,
    Decision,
    DeskDetail,
    DeskPlan,
    DeskSummary,
    FollowUp,
    FollowUpDue,
    Guidance,
    MemberAnnouncement,
    MemberForm,
    MinutesSending,
    MissedFollowUps,
    Note,
    RatioIssue,
    Registered,
    Registration,
    ReminderCall,
    ReminderRow,
)
from shared.as_of import AsOfText, as_of_moment
from shared.errors import NotFound
from shared.paging import Limit, Offset, paged
from shared.validation import SaneDate


def get_office(request: Request) -> DeskOffice:
    return request.app.state.office


OfficeDep = Annotated[DeskOffice, Depends(get_office)]


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def get_index(request: Request) -> DeskIndex:
    return request.app.state.index


IndexDep = Annotated[DeskIndex, Depends(get_index)]
FormNumber = Annotated[str, Path(pattern=r"^[0-9]{1,4}$", description="the problem form's number on the desk")]
MemberId = Annotated[str, Query(min_length=1, max_length=100, description="the member's id in the member database")]

router = APIRouter(prefix="/desks", tags=["desks"])


@router.post("", status_code=201, response_model=DeskDetail, summary="Plan a desk of an agency (step 1)")
def plan_desk(office: OfficeDep, principal: Runner, body: DeskPlan) -> Any:
    """The member-services expert plans a desk after agreeing date, place and format with the agency's liaison; slots of about 10 minutes follow from the capacity, the reminder day and the one-week follow-up deadline are set here."""
    desk_id = office.plan_desk(**body.model_dump(), by=principal.name)
    return office.record(desk_id)


@router.get("", response_model=list[DeskSummary], summary="Desks by date, filtered by agency and stage")
def list_desks(
    index: IndexDep,
    _: Reader,
    response: Response,
    agency: str | None = None,
    stage: Stage | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Any:
    """The desks in order of their day, for the member-services unit's planning; filter by agency or by stage."""
    rows, total = index.desk_summaries(agency, stage.value if stage else None, limit=limit, offset=offset)
    return paged(response, rows, total)


@router.get(
    "/forms",
    response_model=list[MemberForm],
    summary="The problem forms one member registered, at every desk",
)
def forms_of_member(index: IndexDep, _: Reader, member_id: MemberId) -> Any:
    """Every problem form MM-FR-02-05-01 registered under a member's id, at any desk, with its state, its slot, and whether the agency decided on it and the decision was followed up: what the expert sees when the member calls, and what the SG, the president and the auditor, who read every desk, see on the member's page."""
    return index.forms_of_member(member_id)


@router.get(
    "/follow-ups",
    response_model=list[FollowUpDue],
    summary="The follow-up calls to make: decided problems not followed up yet, earliest due first",
)
def follow_ups_due(office: OfficeDep, index: IndexDep, _: Runner, overdue: bool | None = None) -> Any:
    """The expert's call list for the effectiveness step: every decided problem whose follow-up call is not recorded yet, earliest due first; `overdue=true` only those past their due time (each a breach), `overdue=false` those still in time."""
    return index.follow_ups_due(office.clock(), overdue=overdue)


@router.get(
    "/reports/ratio",
    summary="Problems solved to problems raised in a week or month, per desk, per agency and in all",
)
def get_ratio(office: OfficeDep, _: Reader, period: Period, on: SaneDate | None = None, as_of: AsOfText = None) -> Any:
    """Problems solved against problems raised on the desks of the week or month containing the given day (today when omitted), per desk, per agency and in all; read only. With `as_of`, the report as it stood at that moment (422 for a moment to come or unreadable)."""
    return office.ratio(period.value, on, as_of=as_of_moment(as_of, office.calendar, office.clock()))


@router.post(
    "/reports/ratio",
    summary="Issue the week's or month's ratio report to the SG and the president (an event; again only if changed)",
)
def issue_ratio(office: OfficeDep, principal: Runner, response: Response, body: RatioIssue) -> Any:
    """The member-services expert issues the weekly or monthly ratio report to the secretary-general and the president; issuing it again records a new report only when the figures changed."""
    report, changed = office.issue_ratio_report(body.period.value, body.on, by=principal.name)
    response.status_code = 201 if changed else 200
    return {**report, "recorded": changed}


@router.get("/{desk_id}", response_model=DeskDetail, summary="A desk with its problem forms and every step so far")
def get_desk(office: OfficeDep, _: Reader, desk_id: uuid.UUID) -> Any:
    """The whole record of one desk: its planning form MM-FR-01-05-01, coordinations, announcements, problem forms MM-FR-02-05-01, waiting list, minutes and checklist."""
    return office.record(desk_id)


@router.get("/{desk_id}/history", summary="Every event of the desk as published, oldest first")
def desk_history(office: OfficeDep, _: Reader, desk_id: uuid.UUID) -> Any:
    """Every event of the desk as published to other services, oldest first, for audit."""
    return office.event_history(office.get_desk(desk_id).id)


@router.post("/{desk_id}/coordinations", response_model=DeskDetail, summary="Record a coordination with the liaison")
def record_coordination(office: OfficeDep, principal: Runner, desk_id: uuid.UUID, body: Coordination) -> Any:
    """Records what the member-services expert agreed with the agency's liaison, with the documents archived at the secretariat."""
    office.record_coordination(desk_id, **body.model_dump(), by=principal.name)
    return office.record(desk_id)


@router.post(
    "/{desk_id}/approve",
    response_model=DeskDetail,
    summary="The member-services manager approves the registrants planning form MM-FR-01-05-01",
)
def approve_plan(office: OfficeDep, principal: Approver, desk_id: uuid.UUID, body: Note | None = None) -> Any:
    """The member-services manager approves the registrants planning form MM-FR-01-05-01; announcement and registration open from here."""
    office.approve_plan(desk_id, note=body.note if body else None, by=principal.name)
    return office.record(desk_id)


@router.post("/{desk_id}/announcements", response_model=DeskDetail, summary="Record one of the four announcements")
def record_announcement(office: OfficeDep, principal: Runner, desk_id: uuid.UUID, body: Announcement) -> Any:
    """Records one of the four announcement routes (poster request, director-general's invitation, members, representative); once all four are done the desk is announced."""
    office.record_announcement(desk_id, route=body.route.value, on=body.on, note=body.note, by=principal.name)
    return office.record(desk_id)


@router.post(
    "/{desk_id}/announcements/members",
    status_code=202,
    response_model=AnnouncementRequested,
    summary="Announce the desk to a member selection through the notification channels (SMS, social networks)",
)
def announce_to_members(
    request: Request, office: OfficeDep, principal: Runner, desk_id: uuid.UUID, body: MemberAnnouncement
) -> Any:
    """Records the announcement to members (route `members`) and asks the notification channels to message every member of the saved selection, each in their language, with the desk's agency, place, start and the public registration page. Without `recipients`, the selection's active members come from the service's member book, kept from the members topic (404 until the selection has reached it). The notifications service sends the messages from the event `crm.desks.desk.member_announcement_requested.v1`."""
    selection: dict[str, Any] = {
        "selection_id": body.selection_id,
        "criteria": body.criteria,
        "taken_at": body.taken_at,
        "recipients": [r.model_dump() for r in body.recipients],
    }
    if not body.recipients:  # the selection as the member database took it, from the service's member book
        book: MemberBook = request.app.state.members
        taken = book.selection(body.selection_id)
        if taken is None:
            raise NotFound(f"no member selection {body.selection_id} has reached the desks service")
        selection = {**taken, "taken_at": _instant(taken["taken_at"])}
    count = office.request_member_announcement(desk_id, **selection, message=body.message, by=principal.name)
    return {"desk_id": desk_id, "recipients": count}


@router.post(
    "/{desk_id}/registrations",
    status_code=201,
    response_model=Registered,
    summary="Register a member's problem form MM-FR-02-05-01: the next slot, or the waiting list",
)
def register_member(office: OfficeDep, principal: Runner, desk_id: uuid.UUID, body: Registration) -> Any:
    """Records a member's problem on MM-FR-02-05-01 (by phone, letter or the public page) and gives the next free slot of about 10 minutes, or a place on the waiting list when the desk is full."""
    number = office.register_member(desk_id, **{**body.model_dump(), "channel": body.channel.value}, by=principal.name)
    form = next(f for f in office.record(desk_id)["forms"] if f["number"] == number)
    return {"desk_id": desk_id, "number": number, "state": form["state"], "slot_start": form["slot_start"]}


@router.post(
    "/{desk_id}/registrations/{number}/cancel",
    response_model=DeskDetail,
    summary="Cancel a registration; the first on the waiting list takes the slot",
)
def cancel_registration(
    office: OfficeDep, principal: Runner, desk_id: uuid.UUID, number: FormNumber, body: Cancellation | None = None
) -> Any:
    """Cancels a member's registration; the first member on the waiting list takes the freed slot."""
    office.cancel_registration(desk_id, number, reason=body.reason if body else None, by=principal.name)
    return office.record(desk_id)


@router.post(
    "/{desk_id}/registrations/{number}/guide",
    response_model=DeskDetail,
    summary="Guide the member elsewhere (recorded with where); the slot goes to the next in line",
)
def guide_elsewhere(
    office: OfficeDep, principal: Runner, desk_id: uuid.UUID, number: FormNumber, body: Guidance
) -> Any:
    """When the desk is not the right place for the problem, the member is guided elsewhere (recorded on the form) and the slot goes to the next in line."""
    office.guide_elsewhere(desk_id, number, where=body.where, by=principal.name)
    return office.record(desk_id)


@router.get(
    "/{desk_id}/reminders",
    response_model=list[ReminderRow],
    summary="The reminder call list for the working day before: every member with a slot",
)
def reminders(office: OfficeDep, _: Runner, desk_id: uuid.UUID) -> Any:
    """The list the member-services expert calls on the working day before the desk: every member with a slot, with phone and calls made so far."""
    return office.reminder_list(desk_id)


@router.get(
    "/{desk_id}/final-list",
    summary="The final list for the agency's representative: JSON, CSV or a printable page",
    responses={200: {"content": {"text/csv": {}, "text/html": {}}}},
)
def get_final_list(
    office: OfficeDep, _: Reader, desk_id: uuid.UUID, format: Literal["json", "csv", "html"] = "json"
) -> Any:
    """The final list for the agency's representative (members, companies, times, documents), as JSON, CSV or a printable page."""
    desk = office.get_desk(desk_id)
    if format == "csv":
        name = f"desk-{desk.agency}-{desk.desk_day}.csv"
        return Response(
            final_list_csv(desk),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    if format == "html":
        return HTMLResponse(final_list_html(desk, office.calendar))
    return office.final_list(desk_id)


@router.get(
    "/{desk_id}/registrations/{number}/slot.ics",
    summary="The member's slot as an iCalendar file (RFC 5545)",
    responses={200: {"content": {"text/calendar": {}}}},
)
def get_slot_ics(office: OfficeDep, _: Reader, desk_id: uuid.UUID, number: FormNumber) -> Any:
    """The member's slot as an iCalendar file to send to the member or add to a calendar."""
    desk = office.get_desk(desk_id)
    return Response(
        slot_ics(desk, number, office.clock()),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="desk-{desk.desk_day}-{number}.ics"'},
    )


@router.post(
    "/{desk_id}/registrations/{number}/reminder",
    response_model=DeskDetail,
    summary="Record a reminder call (from the working day before)",
)
def record_reminder(
    office: OfficeDep, principal: Runner, desk_id: uuid.UUID, number: FormNumber, body: ReminderCall
) -> Any:
    """Records a reminder call to the member, from the working day before the desk; whether the member answered is kept."""
    office.record_reminder_call(desk_id, number, reached=body.reached, note=body.note, by=principal.name)
    return office.record(desk_id)


@router.post("/{desk_id}/catering", response_model=DeskDetail, summary="Request catering on FI-FR-01-03-02")
def request_catering(office: OfficeDep, principal: Runner, desk_id: uuid.UUID, body: Catering) -> Any:
    """Records the catering request for the desk's day, made on the goods/services request form FI-FR-01-03-02."""
    office.request_catering(desk_id, items=body.items, note=body.note, by=principal.name)
    return office.record(desk_id)


@router.post(
    "/{desk_id}/registrations/{number}/attendance",
    response_model=DeskDetail,
    summary="Record whether the member came (from the desk's day)",
)
def record_attendance(
    office: OfficeDep, principal: Runner, desk_id: uuid.UUID, number: FormNumber, body: Attendance
) -> Any:
    """Records, from the desk's day, whether the member came to the slot."""
    office.record_attendance(desk_id, number, attended=body.attended, by=principal.name)
    return office.record(desk_id)


@router.post(
    "/{desk_id}/registrations/{number}/decision",
    response_model=DeskDetail,
    summary="Write the agency's decision on the member's problem form",
)
def record_decision(
    office: OfficeDep, principal: Runner, desk_id: uuid.UUID, number: FormNumber, body: Decision
) -> Any:
    """Writes the agency's decision on the member's problem form MM-FR-02-05-01, from the desk's day."""
    office.record_decision(desk_id, number, decision=body.decision, by=principal.name)
    return office.record(desk_id)


@router.post(
    "/{desk_id}/minutes/review",
    response_model=DeskDetail,
    summary="The member-services manager reviews the minutes (every attending form decided)",
)
def review_minutes(office: OfficeDep, principal: Approver, desk_id: uuid.UUID, body: Note | None = None) -> Any:
    """The member-services manager reviews the minutes once every attending member's form carries a decision."""
    office.review_minutes(desk_id, note=body.note if body else None, by=principal.name)
    return office.record(desk_id)


@router.post("/{desk_id}/minutes/send", response_model=DeskDetail, summary="Record the minutes sent to the agency")
def send_minutes(office: OfficeDep, principal: Runner, desk_id: uuid.UUID, body: MinutesSending) -> Any:
    """Records the reviewed minutes sent to the agency, and to whom."""
    office.send_minutes(desk_id, to=body.to, note=body.note, by=principal.name)
    return office.record(desk_id)


@router.post("/{desk_id}/minutes/archive", response_model=DeskDetail, summary="Record the minutes archived")
def archive_minutes(office: OfficeDep, principal: Runner, desk_id: uuid.UUID, body: Note | None = None) -> Any:
    """Records the minutes archived at the chamber after they were sent."""
    office.archive_minutes(desk_id, note=body.note if body else None, by=principal.name)
    return office.record(desk_id)


@router.post(
    "/{desk_id}/registrations/{number}/follow-up",
    response_model=DeskDetail,
    summary="Record the follow-up call; a decision not carried out opens a corrective action",
)
def record_follow_up(
    office: OfficeDep, principal: Runner, desk_id: uuid.UUID, number: FormNumber, body: FollowUp
) -> Any:
    """Records the follow-up call made within one week of the desk and its result on the problem form; a decision not carried out opens a corrective action SY-PR-05-00-02."""
    office.record_follow_up(desk_id, number, carried_out=body.carried_out, result=body.result, by=principal.name)
    return office.record(desk_id)


@router.post(
    "/{desk_id}/checklist",
    response_model=DeskDetail,
    summary="Complete checklist MM-FR-03-05-01 once every decision is followed up: the desk is closed",
)
def complete_checklist(office: OfficeDep, principal: Runner, desk_id: uuid.UUID, body: Note | None = None) -> Any:
    """Completes the desk checklist MM-FR-03-05-01 once every decision is followed up; the desk is then closed."""
    office.complete_checklist(desk_id, note=body.note if body else None, by=principal.name)
    return office.record(desk_id)


internal = APIRouter(prefix="/internal/desks", tags=["internal"])


@internal.post(
    "/deadline-check",
    response_model=MissedFollowUps,
    summary="Record every desk follow-up call and session decision not done in time (idempotent)",
)
def check_deadlines(office: OfficeDep, _: Internal) -> Any:
    """Run by the scheduler: records each desk follow-up call not made within its week and each session decision past its due day; running it twice records nothing new."""
    missed = office.record_missed_follow_ups()
    reminders = office.record_reminders_due()
    overdue = office.record_overdue_decisions()
    return {
        "recorded": [{"desk_id": str(d), "form": n} for d, n in missed]
        + [{"desk_id": str(d), "reminder": n} for d, n in reminders]
        + [{"session_id": str(s), "decision": n} for s, n in overdue]
    }
