"""Service desks (work instruction of the member-services unit, six PDCA steps): a government agency's
director-general meets members at the chamber, each member's problem is heard on form MM-FR-02-05-01, the agency
decides on it, and the chamber checks afterwards that the decision was carried out.

planning (date, place, format, capacity, equipment; coordination with the agency's liaison; registrants planning
form MM-FR-01-05-01 approved by the member-services manager) → announcement (four routes, each with its date) →
registration and scheduling (a slot of about ten minutes each, in order, never overlapping, within capacity; a
waiting list beyond it, moving up on cancellation; or the member guided elsewhere) → holding (catering request
FI-FR-01-03-02, reminder calls the working day before, attendance, the agency's decision on each form) → minutes
(reviewed, sent to the agency, archived) → effectiveness (a follow-up call per decision within N working days, the
result on the form, checklist MM-FR-03-05-01; a follow-up not made in time is a breach; a decision not carried out
asks for a corrective action, SY-PR-05-00-02).

Event data holds only JSON-native values: consumers read it from Kafka (crm.desks.events.v1), never through these
classes. Rules are checked in the public methods; the @event bodies only set state, so replaying never refuses.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from eventsourcing.domain import Aggregate, event

from shared.errors import DomainError, InvalidInput, NotFound

DESK_NAMESPACE = uuid.UUID("0b6c1f3e-7a52-4d2e-9f31-5e8a2c94d7b6")
PLAN_FORM = "MM-FR-01-05-01"  # registrants planning form
PROBLEM_FORM = "MM-FR-02-05-01"
CHECKLIST_FORM = "MM-FR-03-05-01"
REQUEST_FORM = "FI-FR-01-03-02"  # goods/services request: the poster and the catering
CATERING_COST_CENTRE = "FI-OT-02-00-02"
MAX_TEXT = 4000
MAX_CAPACITY = 200
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Format(StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    HYBRID = "hybrid"


class Route(StrEnum):
    """The four ways a desk is announced; all four make it announced."""

    POSTER_REQUEST = "poster_request"  # to public relations on FI-FR-01-03-02
    DIRECTOR_GENERAL = "director_general"  # the formal invitation of the agency's director-general
    MEMBERS = "members"  # SMS and social networks to a member selection
    REPRESENTATIVE = "representative"  # the details to the chamber's representative


class Channel(StrEnum):
    PHONE = "phone"
    LETTER = "letter"
    PUBLIC_PAGE = "public_page"


class FormState(StrEnum):
    SCHEDULED = "scheduled"  # has a slot
    WAITING = "waiting"  # beyond capacity, on the waiting list
    GUIDED = "guided"  # not a matter for this desk: sent elsewhere
    CANCELLED = "cancelled"


class Stage(StrEnum):
    PLANNING = "planning"
    APPROVED = "approved"  # planning form approved: announcement and registration open
    ANNOUNCED = "announced"  # all four routes done
    HELD = "held"  # attendance being recorded
    MINUTES_REVIEWED = "minutes_reviewed"
    MINUTES_SENT = "minutes_sent"
    ARCHIVED = "archived"  # minutes archived: the follow-ups are under way
    CLOSED = "closed"  # checklist completed


class TransitionRefused(DomainError):
    """The desk's stage or the form's state does not allow this step (409)."""


def desk_id(agency: str, starts_at: datetime) -> uuid.UUID:
    """One desk per agency and starting time: planning the same desk twice finds the first."""
    return uuid.uuid5(DESK_NAMESPACE, f"desk:{agency}:{starts_at.isoformat()}")


def clean_text(value: Any) -> str | None:
    if value is None:
        return None
    text = _CONTROL.sub("", str(value).replace("\r\n", "\n").replace("\r", "\n")).strip()
    return text or None


def required_text(value: Any, what: str, limit: int = MAX_TEXT) -> str:
    text = clean_text(value)
    if not text:
        raise InvalidInput(f"give {what}")
    if len(text) > limit:
        raise InvalidInput(f"{what} is longer than {limit} characters")
    return text


def text_list(values: list[Any] | None, what: str) -> list[str]:
    out = [required_text(v, what, 300) for v in values or []]
    if len(out) > 50:
        raise InvalidInput(f"at most 50 {what}s")
    return out


class Desk(Aggregate):
    @event("Planned")
    def __init__(
        self,
        *,
        agency: str,
        starts_at: datetime,
        desk_day: str,
        reminder_day: str,
        place: str,
        format: str,
        capacity: int,
        equipment: list[str],
        slot_minutes: int,
        follow_up_due_at: datetime,
        by: str | None,
        at: datetime,
    ):
        self.agency = agency
        self.starts_at = starts_at
        self.desk_day = desk_day
        self.reminder_day = reminder_day
        self.place = place
        self.format = format
        self.capacity = capacity
        self.equipment = equipment
        self.slot_minutes = slot_minutes
        self.follow_up_due_at = follow_up_due_at
        self.planned_by = by
        self.planned_at = at
        self.coordinations: list[dict[str, Any]] = []
        self.plan_approved_by: str | None = None
        self.plan_approved_at: datetime | None = None
        self.announcements: dict[str, dict[str, Any]] = {}
        self.forms: dict[str, dict[str, Any]] = {}  # form number -> the problem form
        self.waiting: list[str] = []  # form numbers, first in line first
        self.catering: dict[str, Any] | None = None
        self.held = False
        self.minutes: dict[str, dict[str, Any]] = {}  # reviewed / sent / archived -> who, when
        self.checklist: dict[str, Any] | None = None

    @classmethod
    def create_id(cls, *, agency: str, starts_at: datetime, **_: object) -> uuid.UUID:
        return desk_id(agency, starts_at)

    @classmethod
    def plan(
        cls,
        *,
        agency: str,
        agencies: list[str],
        starts_at: datetime,
        desk_day: date,
        reminder_day: date,
        place: str,
        format: str,
        capacity: int,
        equipment: list[str] | None,
        slot_minutes: int,
        follow_up_due_at: datetime,
        by: str | None,
        at: datetime,
    ) -> Desk:
        if agency not in agencies:
            raise InvalidInput(f"agency {agency!r} is not one of the chamber's desks: {', '.join(agencies)}")
        if starts_at <= at:
            raise InvalidInput("a desk is planned ahead: its start has already passed")
        try:
            fmt = Format(format)
        except ValueError:
            raise InvalidInput(f"format {format!r} is not one of {', '.join(f.value for f in Format)}") from None
        if not 1 <= capacity <= MAX_CAPACITY:
            raise InvalidInput(f"the capacity is between 1 and {MAX_CAPACITY} members")
        if not 1 <= slot_minutes <= 120:
            raise InvalidInput("a slot lasts between 1 and 120 minutes")
        return cls(
            agency=agency,
            starts_at=starts_at,
            desk_day=desk_day.isoformat(),
            reminder_day=reminder_day.isoformat(),
            place=required_text(place, "the place", 300),
            format=fmt.value,
            capacity=capacity,
            equipment=text_list(equipment, "equipment item"),
            slot_minutes=slot_minutes,
            follow_up_due_at=follow_up_due_at,
            by=by,
            at=at,
        )

    # -- views -------------------------------------------------------------------------------------------------
    @property
    def stage(self) -> str:
        if self.checklist is not None:
            return Stage.CLOSED.value
        for step, stage in (
            ("archived", Stage.ARCHIVED),
            ("sent", Stage.MINUTES_SENT),
            ("reviewed", Stage.MINUTES_REVIEWED),
        ):
            if step in self.minutes:
                return stage.value
        if self.held:
            return Stage.HELD.value
        if self.plan_approved_at is None:
            return Stage.PLANNING.value
        if all(r.value in self.announcements for r in Route):
            return Stage.ANNOUNCED.value
        return Stage.APPROVED.value

    def slot_start(self, slot: int) -> datetime:
        return self.starts_at + timedelta(minutes=self.slot_minutes * slot)

    def slot_end(self, slot: int) -> datetime:
        return self.slot_start(slot + 1)

    def scheduled(self) -> list[dict[str, Any]]:
        """The forms with a slot, in the order of their slots."""
        return sorted(
            (f for f in self.forms.values() if f["state"] == FormState.SCHEDULED),
            key=lambda f: f["slot"],
        )

    def decided(self) -> list[dict[str, Any]]:
        return [f for f in self.forms.values() if f.get("decision") is not None]

    def follow_up_missed(self, form: dict[str, Any], now: datetime) -> bool:
        return form.get("decision") is not None and form.get("follow_up") is None and now > self.follow_up_due_at

    def form(self, number: str) -> dict[str, Any]:
        found = self.forms.get(str(number))
        if found is None:
            raise NotFound(f"desk {self.id} has no problem form {number}")
        return found

    def _free_slot(self) -> int | None:
        taken = {f["slot"] for f in self.forms.values() if f["state"] == FormState.SCHEDULED}
        return next((s for s in range(self.capacity) if s not in taken), None)

    def _require_stage(self, allowed: tuple[Stage, ...], doing: str) -> None:
        if self.stage not in allowed:
            names = " or ".join(s.value.replace("_", " ") for s in allowed)
            raise TransitionRefused(f"cannot {doing}: the desk is {self.stage.replace('_', ' ')}; this needs {names}")

    # -- 1. planning -------------------------------------------------------------------------------------------
    def record_coordination(
        self, *, liaison: str, note: str, documents: list[str] | None, by: str | None, at: datetime
    ) -> None:
        """Every exchange with the agency's liaison is archived, until the desk is held."""
        self._require_stage((Stage.PLANNING, Stage.APPROVED, Stage.ANNOUNCED), "record a coordination")
        self._coordination_recorded(
            liaison=required_text(liaison, "the agency's liaison", 200),
            note=required_text(note, "what was agreed"),
            documents=text_list(documents, "document"),
            by=by,
            at=at,
        )

    @event("CoordinationRecorded")
    def _coordination_recorded(self, liaison: str, note: str, documents: list[str], by: str | None, at: datetime):
        self.coordinations.append({"liaison": liaison, "note": note, "documents": documents, "by": by, "at": at})

    def approve_plan(self, *, note: str | None, by: str | None, at: datetime) -> None:
        """The registrants planning form goes to the member-services manager once the agency has agreed."""
        self._require_stage((Stage.PLANNING,), "approve the planning form")
        if not self.coordinations:
            raise TransitionRefused("record the coordination with the agency's liaison before approving the plan")
        self._plan_approved(form=PLAN_FORM, note=clean_text(note), by=by, at=at)

    @event("PlanApproved")
    def _plan_approved(self, form: str, note: str | None, by: str | None, at: datetime) -> None:
        self.plan_approved_by = by
        self.plan_approved_at = at

    # -- 2. announcement ---------------------------------------------------------------------------------------
    def record_announcement(self, *, route: str, on: date, note: str | None, by: str | None, at: datetime) -> None:
        self._require_stage((Stage.APPROVED,), "record an announcement")
        try:
            r = Route(route)
        except ValueError:
            raise InvalidInput(f"route {route!r} is not one of {', '.join(x.value for x in Route)}") from None
        if r.value in self.announcements:
            raise TransitionRefused(f"the {r.value.replace('_', ' ')} announcement is recorded already")
        if on.isoformat() > self.desk_day:
            raise InvalidInput("an announcement after the desk's day announces nothing")
        form = REQUEST_FORM if r is Route.POSTER_REQUEST else None
        self._announced(route=r.value, on=on.isoformat(), form=form, note=clean_text(note), by=by, at=at)

    @event("Announced")
    def _announced(self, route: str, on: str, form: str | None, note: str | None, by: str | None, at: datetime):
        self.announcements[route] = {"on": on, "form": form, "note": note, "by": by, "at": at}

    # -- 3. registration and scheduling ------------------------------------------------------------------------
    def register(
        self,
        *,
        member_id: str | None,
        member_name: str,
        company: str | None,
        phone: str | None,
        channel: str,
        problem: str,
        documents: list[str] | None,
        by: str | None,
        at: datetime,
    ) -> str:
        """A problem form: the next free slot in order, or the waiting list when every slot is taken. Returns the
        form's number."""
        self._require_stage((Stage.APPROVED, Stage.ANNOUNCED), "register a member")
        if at >= self.starts_at:
            raise TransitionRefused("registration closes when the desk starts")
        try:
            ch = Channel(channel)
        except ValueError:
            raise InvalidInput(f"channel {channel!r} is not one of {', '.join(c.value for c in Channel)}") from None
        number = str(len(self.forms) + 1)
        slot = self._free_slot()
        self._registered(
            number=number,
            form=PROBLEM_FORM,
            member_id=clean_text(member_id),
            member_name=required_text(member_name, "the member's name", 200),
            company=clean_text(company),
            phone=clean_text(phone),
            channel=ch.value,
            problem=required_text(problem, "the problem"),
            documents=text_list(documents, "document"),
            slot=slot,
            slot_start=None if slot is None else self.slot_start(slot),
            by=by,
            at=at,
        )
        return number

    @event("Registered")
    def _registered(
        self,
        number: str,
        form: str,
        member_id: str | None,
        member_name: str,
        company: str | None,
        phone: str | None,
        channel: str,
        problem: str,
        documents: list[str],
        slot: int | None,
        slot_start: datetime | None,
        by: str | None,
        at: datetime,
    ) -> None:
        self.forms[number] = {
            "number": number,
            "member_id": member_id,
            "member_name": member_name,
            "company": company,
            "phone": phone,
            "channel": channel,
            "problem": problem,
            "documents": documents,
            "state": (FormState.WAITING if slot is None else FormState.SCHEDULED).value,
            "slot": slot,
            "guided_to": None,
            "reminders": [],
            "attended": None,
            "decision": None,
            "follow_up": None,
            "follow_up_missed": False,
            "registered_at": at,
        }
        if slot is None:
            self.waiting.append(number)

    def _leave(self, number: str, doing: str) -> tuple[str | None, int | None]:
        """Who moves up into the slot `number` frees: (form number, slot), or (None, None)."""
        form = self.form(number)
        if form["state"] not in (FormState.SCHEDULED, FormState.WAITING):
            raise TransitionRefused(f"cannot {doing}: form {number} is {form['state']}")
        if form["state"] == FormState.SCHEDULED and self.waiting:
            return self.waiting[0], form["slot"]
        return None, None

    def _vacate(self, number: str, promoted: str | None, slot: int | None) -> None:
        form = self.forms[number]
        if number in self.waiting:
            self.waiting.remove(number)
        form["slot"] = None
        if promoted is not None:
            self.waiting.remove(promoted)
            self.forms[promoted]["state"] = FormState.SCHEDULED.value
            self.forms[promoted]["slot"] = slot

    def cancel_registration(self, number: str, *, reason: str | None, by: str | None, at: datetime) -> None:
        self._require_stage((Stage.APPROVED, Stage.ANNOUNCED), "cancel a registration")
        promoted, slot = self._leave(str(number), "cancel the registration")
        self._cancelled(
            number=str(number),
            reason=clean_text(reason),
            promoted=promoted,
            slot=slot,
            slot_start=None if slot is None else self.slot_start(slot),
            by=by,
            at=at,
        )

    @event("RegistrationCancelled")
    def _cancelled(
        self,
        number: str,
        reason: str | None,
        promoted: str | None,
        slot: int | None,
        slot_start: datetime | None,
        by: str | None,
        at: datetime,
    ) -> None:
        self._vacate(number, promoted, slot)
        self.forms[number]["state"] = FormState.CANCELLED.value

    def guide_elsewhere(self, number: str, *, where: str, by: str | None, at: datetime) -> None:
        """Not a matter for this desk: the member is told where to go, and the slot goes to the next in line."""
        self._require_stage((Stage.APPROVED, Stage.ANNOUNCED), "guide a member elsewhere")
        promoted, slot = self._leave(str(number), "guide the member elsewhere")
        self._guided(
            number=str(number),
            where=required_text(where, "where the member is guided", 300),
            promoted=promoted,
            slot=slot,
            slot_start=None if slot is None else self.slot_start(slot),
            by=by,
            at=at,
        )

    @event("GuidedElsewhere")
    def _guided(
        self,
        number: str,
        where: str,
        promoted: str | None,
        slot: int | None,
        slot_start: datetime | None,
        by: str | None,
        at: datetime,
    ) -> None:
        self._vacate(number, promoted, slot)
        self.forms[number]["state"] = FormState.GUIDED.value
        self.forms[number]["guided_to"] = where

    # -- 4. holding --------------------------------------------------------------------------------------------
    def request_catering(self, *, items: list[str], note: str | None, by: str | None, at: datetime) -> None:
        self._require_stage((Stage.APPROVED, Stage.ANNOUNCED, Stage.HELD), "request catering")
        if self.catering is not None:
            raise TransitionRefused("catering was requested already")
        wanted = text_list(items, "catering item")
        if not wanted:
            raise InvalidInput("give at least one catering item")
        self._catering_requested(
            form=REQUEST_FORM, cost_centre=CATERING_COST_CENTRE, items=wanted, note=clean_text(note), by=by, at=at
        )

    @event("CateringRequested")
    def _catering_requested(
        self, form: str, cost_centre: str, items: list[str], note: str | None, by: str | None, at: datetime
    ) -> None:
        self.catering = {"form": form, "cost_centre": cost_centre, "items": items, "note": note, "by": by, "at": at}

    def record_reminder_call(
        self, number: str, *, reached: bool, note: str | None, today: date, by: str | None, at: datetime
    ) -> None:
        """The reminder call is made the working day before the desk (or on its day, before it starts)."""
        form = self.form(str(number))
        if form["state"] != FormState.SCHEDULED:
            raise TransitionRefused(f"only members with a slot are reminded; form {number} is {form['state']}")
        if today.isoformat() < self.reminder_day:
            raise TransitionRefused(f"reminder calls are made from {self.reminder_day}, the working day before")
        if at >= self.starts_at:
            raise TransitionRefused("the desk has started: it is too late for a reminder")
        self._reminded(number=str(number), reached=reached, note=clean_text(note), by=by, at=at)

    @event("ReminderCallRecorded")
    def _reminded(self, number: str, reached: bool, note: str | None, by: str | None, at: datetime) -> None:
        self.forms[number]["reminders"].append({"reached": reached, "note": note, "by": by, "at": at})

    def record_attendance(self, number: str, *, attended: bool, today: date, by: str | None, at: datetime) -> None:
        self._require_stage((Stage.APPROVED, Stage.ANNOUNCED, Stage.HELD), "record attendance")
        if today.isoformat() < self.desk_day:
            raise TransitionRefused(f"attendance is recorded on the desk's day, {self.desk_day}")
        form = self.form(str(number))
        if form["state"] != FormState.SCHEDULED:
            raise TransitionRefused(f"form {number} has no slot: it is {form['state']}")
        self._attendance_recorded(number=str(number), attended=attended, by=by, at=at)

    @event("AttendanceRecorded")
    def _attendance_recorded(self, number: str, attended: bool, by: str | None, at: datetime) -> None:
        self.held = True
        self.forms[number]["attended"] = attended

    def record_decision(self, number: str, *, decision: str, by: str | None, at: datetime) -> None:
        """The agency's decision, written on the member's problem form; it is also the directive of the minutes."""
        self._require_stage((Stage.HELD,), "record a decision")
        form = self.form(str(number))
        if form["attended"] is not True:
            raise TransitionRefused(f"the member of form {number} was not recorded as attending")
        self._decided(number=str(number), decision=required_text(decision, "the agency's decision"), by=by, at=at)

    @event("DecisionRecorded")
    def _decided(self, number: str, decision: str, by: str | None, at: datetime) -> None:
        self.forms[number]["decision"] = decision

    # -- 5. minutes --------------------------------------------------------------------------------------------
    def review_minutes(self, *, note: str | None, by: str | None, at: datetime) -> None:
        self._require_stage((Stage.HELD,), "review the minutes")
        unrecorded = [f["number"] for f in self.scheduled() if f["attended"] is None]
        if unrecorded:
            raise TransitionRefused(f"attendance is not recorded for forms {', '.join(unrecorded)}")
        undecided = [f["number"] for f in self.scheduled() if f["attended"] and f["decision"] is None]
        if undecided:
            raise TransitionRefused(f"the agency's decision is missing on forms {', '.join(undecided)}")
        self._minutes_step(step="reviewed", to=None, note=clean_text(note), by=by, at=at)

    def send_minutes(self, *, to: str, note: str | None, by: str | None, at: datetime) -> None:
        self._require_stage((Stage.MINUTES_REVIEWED,), "send the minutes")
        self._minutes_step(
            step="sent",
            to=required_text(to, "who at the agency receives them", 300),
            note=clean_text(note),
            by=by,
            at=at,
        )

    def archive_minutes(self, *, note: str | None, by: str | None, at: datetime) -> None:
        self._require_stage((Stage.MINUTES_SENT,), "archive the minutes")
        self._minutes_step(step="archived", to=None, note=clean_text(note), by=by, at=at)

    @event("MinutesStepRecorded")
    def _minutes_step(self, step: str, to: str | None, note: str | None, by: str | None, at: datetime) -> None:
        self.minutes[step] = {"to": to, "note": note, "by": by, "at": at}

    # -- 6. effectiveness --------------------------------------------------------------------------------------
    def record_follow_up(
        self, number: str, *, carried_out: bool, result: str, by: str | None, at: datetime
    ) -> str | None:
        """The follow-up call's result, on the form. A decision not carried out asks for a corrective action;
        returns its source reference (the outbox opens it), None otherwise."""
        self._require_stage((Stage.MINUTES_SENT, Stage.ARCHIVED), "record a follow-up")
        form = self.form(str(number))
        if form["decision"] is None:
            raise TransitionRefused(f"form {number} has no decision to follow up")
        if form["follow_up"] is not None:
            raise TransitionRefused(f"the follow-up of form {number} is recorded already")
        source_ref = None if carried_out else f"desk:{self.id}:{number}"
        self._followed_up(
            number=str(number),
            carried_out=carried_out,
            result=required_text(result, "the result of the follow-up call"),
            on_time=at <= self.follow_up_due_at,
            action_source_ref=source_ref,
            agency=self.agency,
            by=by,
            at=at,
        )
        return source_ref

    @event("FollowUpRecorded")
    def _followed_up(
        self,
        number: str,
        carried_out: bool,
        result: str,
        on_time: bool,
        action_source_ref: str | None,
        agency: str,
        by: str | None,
        at: datetime,
    ) -> None:
        self.forms[number]["follow_up"] = {
            "carried_out": carried_out,
            "result": result,
            "on_time": on_time,
            "action_source_ref": action_source_ref,
            "by": by,
            "at": at,
        }

    def record_missed_follow_ups(self, now: datetime) -> list[str]:
        """A breach per decision whose follow-up was not made by its due time, recorded once each."""
        missed = [f["number"] for f in self.decided() if self.follow_up_missed(f, now) and not f["follow_up_missed"]]
        for number in missed:
            self._follow_up_missed(number=number, agency=self.agency, due_at=self.follow_up_due_at, at=now)
        return missed

    @event("FollowUpMissed")
    def _follow_up_missed(self, number: str, agency: str, due_at: datetime, at: datetime) -> None:
        self.forms[number]["follow_up_missed"] = True

    def complete_checklist(self, *, note: str | None, by: str | None, at: datetime) -> None:
        """Checklist MM-FR-03-05-01: what the desk did, read from its own record, completed once every decision
        has been followed up."""
        self._require_stage((Stage.ARCHIVED,), "complete the checklist")
        pending = [f["number"] for f in self.decided() if f["follow_up"] is None]
        if pending:
            raise TransitionRefused(f"the follow-up calls of forms {', '.join(pending)} are not recorded yet")
        scheduled = self.scheduled()
        items = {
            "coordinated_with_agency": bool(self.coordinations),
            "planning_form_approved": self.plan_approved_at is not None,
            "announced_by_all_routes": all(r.value in self.announcements for r in Route),
            "catering_requested": self.catering is not None,
            "every_registrant_reminded": all(f["reminders"] for f in scheduled),
            "decisions_on_every_form": all(f["decision"] for f in scheduled if f["attended"]),
            "minutes_sent_and_archived": "archived" in self.minutes,
            "follow_ups_on_time": all(f["follow_up"]["on_time"] for f in self.decided()),
        }
        self._checklist_completed(form=CHECKLIST_FORM, items=items, note=clean_text(note), by=by, at=at)

    @event("ChecklistCompleted")
    def _checklist_completed(self, form: str, items: dict[str, bool], note: str | None, by: str | None, at: datetime):
        self.checklist = {"form": form, "items": items, "note": note, "by": by, "at": at}


class Period(StrEnum):
    WEEK = "week"
    MONTH = "month"


def report_id(period: str, start: date) -> uuid.UUID:
    return uuid.uuid5(DESK_NAMESPACE, f"ratio:{period}:{start.isoformat()}")


class RatioReport(Aggregate):
    """The ratio of problems solved to problems raised at the desks of one week or month, as reported to the SG and
    the president. Issuing it again records the figures again only when they have changed (follow-ups come in
    after the period), so the events are the history of what was reported when."""

    @event("Issued")
    def __init__(self, *, period: str, start: str, end: str, figures: dict[str, Any], by: str | None, at: datetime):
        self.period = period
        self.start = start
        self.end = end
        self.figures = figures
        self.issued_by = by
        self.issued_at = at

    @classmethod
    def create_id(cls, *, period: str, start: str, **_: object) -> uuid.UUID:
        return report_id(period, date.fromisoformat(start))

    def reissue(self, figures: dict[str, Any], *, by: str | None, at: datetime) -> bool:
        if figures == self.figures:
            return False
        self._reissued(figures=figures, by=by, at=at)
        return True

    @event("Reissued")
    def _reissued(self, figures: dict[str, Any], by: str | None, at: datetime) -> None:
        self.figures = figures
        self.issued_by = by
        self.issued_at = at
