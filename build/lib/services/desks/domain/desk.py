"""The service desk aggregate (work instruction of the member-services unit, six PDCA steps): a government agency's
director-general meets members at the chamber, each member's problem is heard on form MM-FR-02-05-01, the agency
decides on it, and the chamber checks afterwards that the decision was carried out.

planning (date, place, format, capacity, equipment; coordination with the agency's liaison; registrants planning
form MM-FR-01-05-01 approved by the member-services manager) → announcement (four routes, each with its date; the
announcement to members asks the notification channels to message a member selection) → registration and
scheduling (see scheduling.py) → holding (catering request FI-FR-01-03-02, slot reminders due and reminder calls the
working day before, attendance, the agency's decision on each form) → minutes (reviewed, sent to the agency,
archived) → effectiveness (a follow-up call per decision within N working days, the result on the form, checklist
MM-FR-03-05-01; a follow-up not made in time is a breach; a decision not carried out asks for a corrective action,
SY-PR-05-00-02).

Event data holds only JSON-native values: consumers read it from Kafka (crm.desks.events.v1), never through these
classes. Rules are checked in the public methods; the @event bodies only set state, so replaying never refuses.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from eventsourcing.domain import Aggregate, event

from services.desks.domain import notices, rules, scheduling
from services.desks.domain.vocabulary import (
    CATERING_COST_CENTRE,
    CHECKLIST_FORM,
    PLAN_FORM,
    REQUEST_FORM,
    FormState,
    Route,
    Stage,
    TransitionRefused,
    clean_text,
    desk_id,
    required_text,
    text_list,
)
from shared.errors import InvalidInput, NotFound


class Desk(Aggregate):
    # The store records each event under its class's topic, `<module>:Desk.<Event>`. Desks were stored as
    # `services.desks.domain:Desk.*` before the domain became a package; keeping that module name keeps them readable.
    __module__ = "services.desks.domain"

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
        self.member_announcements: list[dict[str, Any]] = []  # what the notification channels were asked to send

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
        values = rules.planned(
            agency=agency,
            agencies=agencies,
            starts_at=starts_at,
            desk_day=desk_day,
            reminder_day=reminder_day,
            place=place,
            format=format,
            capacity=capacity,
            equipment=equipment,
            slot_minutes=slot_minutes,
            at=at,
        )
        return cls(**values, follow_up_due_at=follow_up_due_at, by=by, at=at)

    # -- views -------------------------------------------------------------------------------------------------
    @property
    def stage(self) -> str:
        return scheduling.stage_of(self)

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

    def _require_stage(self, allowed: tuple[Stage, ...], doing: str) -> None:
        rules.require_stage(self, allowed, doing)

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

    def request_member_announcement(self, **request: Any) -> int:
        """Ask the notification channels to announce the desk to a member-database selection (SMS and social
        networks); the members route counts as announced on that day. Returns how many members it goes to."""
        values = notices.announcement_request(self, **request)
        self._member_announcement_requested(**values)
        return len(values["recipients"])

    @event("MemberAnnouncementRequested")
    def _member_announcement_requested(
        self,
        agency: str,
        starts_at: datetime,
        place: str,
        format: str,
        selection: dict[str, Any],
        recipients: list[dict[str, Any]],
        message: str | None,
        registration_path: str | None,
        on: str,
        by: str | None,
        at: datetime,
    ) -> None:
        self.member_announcements.append({"selection": selection, "recipients": len(recipients), "by": by, "at": at})
        if Route.MEMBERS.value not in self.announcements:
            self.announcements[Route.MEMBERS.value] = {"on": on, "form": None, "note": message, "by": by, "at": at}

    # -- 3. registration and scheduling ------------------------------------------------------------------------
    def register(self, *, by: str | None, at: datetime, **form: Any) -> str:
        """A problem form MM-FR-02-05-01 (member_id, member_name, company, phone, language, channel, problem,
        documents): the next free slot in order, or the waiting list when every slot is taken. Returns the form's
        number."""
        values = scheduling.registration(self, form, at)
        self._member_registered(**values, by=by, at=at)
        return str(values["number"])

    @event("MemberRegistered")
    def _member_registered(
        self,
        number: str,
        form: str,
        member_id: str | None,
        member_name: str,
        company: str | None,
        phone: str | None,
        language: str | None,
        channel: str,
        problem: str,
        documents: list[str],
        slot: int | None,
        slot_start: datetime | None,
        by: str | None,
        at: datetime,
    ) -> None:
        scheduling.add_form(self, locals(), slot, at)

    # Registrations stored before they carried the member's language (wire type crm.desks.desk.registered.v1).
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
        scheduling.add_form(self, locals(), slot, at)

    def cancel_registration(self, number: str, *, reason: str | None, by: str | None, at: datetime) -> None:
        self._require_stage((Stage.APPROVED, Stage.ANNOUNCED), "cancel a registration")
        promoted, slot = scheduling.next_in_line(self, str(number), "cancel the registration")
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
        scheduling.vacate(self, number, promoted, slot)
        self.forms[number]["state"] = FormState.CANCELLED.value

    def guide_elsewhere(self, number: str, *, where: str, by: str | None, at: datetime) -> None:
        """Not a matter for this desk: the member is told where to go, and the slot goes to the next in line."""
        self._require_stage((Stage.APPROVED, Stage.ANNOUNCED), "guide a member elsewhere")
        promoted, slot = scheduling.next_in_line(self, str(number), "guide the member elsewhere")
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
        scheduling.vacate(self, number, promoted, slot)
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
        rules.check_reminder_call(self, str(number), today, at)
        self._reminded(number=str(number), reached=reached, note=clean_text(note), by=by, at=at)

    @event("ReminderCallRecorded")
    def _reminded(self, number: str, reached: bool, note: str | None, by: str | None, at: datetime) -> None:
        self.forms[number]["reminders"].append({"reached": reached, "note": note, "by": by, "at": at})

    def record_reminders_due(self, *, today: date, default_language: str, at: datetime) -> list[str]:
        """From the working day before the desk until it starts, ask the notification channels to remind every
        member with a slot not reminded of it yet (one who moves up later is reminded at the next check), once
        each. Returns the form numbers."""
        reminders = notices.reminders_due(self, today, default_language, at)
        if reminders:
            self._slot_reminders_due(
                agency=self.agency, starts_at=self.starts_at, place=self.place, reminders=reminders, at=at
            )
        return [r["number"] for r in reminders]

    @event("SlotRemindersDue")
    def _slot_reminders_due(
        self, agency: str, starts_at: datetime, place: str, reminders: list[dict[str, Any]], at: datetime
    ) -> None:
        for reminder in reminders:
            self.forms[reminder["number"]]["reminder_due"] = at

    def record_attendance(self, number: str, *, attended: bool, today: date, by: str | None, at: datetime) -> None:
        rules.check_attendance(self, str(number), today)
        self._attendance_recorded(number=str(number), attended=attended, by=by, at=at)

    @event("AttendanceRecorded")
    def _attendance_recorded(self, number: str, attended: bool, by: str | None, at: datetime) -> None:
        self.held = True
        self.forms[number]["attended"] = attended

    def record_decision(self, number: str, *, decision: str, by: str | None, at: datetime) -> None:
        """The agency's decision, written on the member's problem form; it is also the directive of the minutes."""
        rules.check_decision(self, str(number))
        self._decided(number=str(number), decision=required_text(decision, "the agency's decision"), by=by, at=at)

    @event("DecisionRecorded")
    def _decided(self, number: str, decision: str, by: str | None, at: datetime) -> None:
        self.forms[number]["decision"] = decision

    # -- 5. minutes --------------------------------------------------------------------------------------------
    def review_minutes(self, *, note: str | None, by: str | None, at: datetime) -> None:
        rules.check_review(self)
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
        values = rules.follow_up(self, str(number), carried_out, result, at)
        self._followed_up(**values, by=by, at=at)
        source_ref: str | None = values["action_source_ref"]
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
        rules.check_checklist(self)
        items = scheduling.checklist_items(self)
        self._checklist_completed(form=CHECKLIST_FORM, items=items, note=clean_text(note), by=by, at=at)

    @event("ChecklistCompleted")
    def _checklist_completed(self, form: str, items: dict[str, bool], note: str | None, by: str | None, at: datetime):
        self.checklist = {"form": form, "items": items, "note": note, "by": by, "at": at}
