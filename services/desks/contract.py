"""The desks service's published events: the six steps of each service desk, the specialised sessions and the
ratio reports (topic `crm.desks.events.v1`).

Messages to members are sent by the notifications service from these events, never by the desks service:
`crm.desks.desk.member_announcement_requested.v1` (announce a desk to a member-database selection by SMS and social
networks), `crm.desks.desk.slot_reminders_due.v1` (remind members with a slot, the working day before), and
`crm.desks.session.invitations_requested.v1` (invite a session's invitees). Each names the members with their phone
and language, and the desk or session with its time and place, so the sender needs nothing else.
`crm.desks.desk.registered.v2` carries the registrant's language too (v1: registrations stored before it).

The wire types are declared here, once, and never derived from class names (see services/calls/contract.py).
After any change run `make contracts` and commit the JSON Schema files under `contracts/desks/`.
"""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts import EventContract

# The language a message to the member is worded in (the chamber's: Persian, Turkish, English).
Language = Literal["fa", "tr", "en"]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Recipient(_Part):
    """A member the notification channels are asked to message."""

    member_id: str = Field(description="the member's number in the member database")
    name: str = Field(description="the member's name, as the message addresses them")
    phone: str | None = Field(description="the mobile number an SMS goes to; null: social networks only")
    language: Language = Field(description="the language the message is worded in")


class Selection(_Part):
    """A saved selection of the member database, as it was when taken."""

    selection_id: str = Field(description="the selection's id in the members service")
    criteria: dict[str, list[str]] = Field(
        description="what chose the members: activity, products, services, partner_countries"
    )
    taken_at: str | None = Field(description="when the selection was taken (ISO 8601), if the caller says")


class SlotReminder(_Part):
    """One member to remind of their slot at the desk."""

    number: str = Field(description="the problem form's number on the desk")
    member_id: str | None = Field(description="the member's number, when the registrant gave it")
    member_name: str = Field(description="the registrant's name")
    phone: str | None = Field(description="the number the reminder goes to")
    language: Language = Field(description="the language the reminder is worded in")
    slot_start: datetime = Field(description="the slot's start (UTC)")
    slot_end: datetime = Field(description="the slot's end (UTC)")


class Invitee(_Part):
    """A member invited to a specialised session."""

    member_id: str = Field(description="the member's number in the member database")
    name: str = Field(description="the member's name")
    phone: str | None = Field(description="the mobile number the invitation goes to, if the selection gave one")
    language: Language = Field(description="the language the invitation is worded in")


_DESK = "services.desks.domain:Desk"
_SESSION = "services.desks.sessions:Session"

CONTRACT = EventContract(
    "desks",
    {
        "crm.desks.desk.planned.v1": f"{_DESK}.Planned",
        "crm.desks.desk.coordination_recorded.v1": f"{_DESK}.CoordinationRecorded",
        "crm.desks.desk.plan_approved.v1": f"{_DESK}.PlanApproved",
        "crm.desks.desk.announced.v1": f"{_DESK}.Announced",
        "crm.desks.desk.registered.v1": f"{_DESK}.Registered",  # stored before forms carried the language
        "crm.desks.desk.registered.v2": f"{_DESK}.MemberRegistered",
        "crm.desks.desk.member_announcement_requested.v1": f"{_DESK}.MemberAnnouncementRequested",
        "crm.desks.desk.slot_reminders_due.v1": f"{_DESK}.SlotRemindersDue",
        "crm.desks.desk.registration_cancelled.v1": f"{_DESK}.RegistrationCancelled",
        "crm.desks.desk.guided_elsewhere.v1": f"{_DESK}.GuidedElsewhere",
        "crm.desks.desk.catering_requested.v1": f"{_DESK}.CateringRequested",
        "crm.desks.desk.reminder_call_recorded.v1": f"{_DESK}.ReminderCallRecorded",
        "crm.desks.desk.attendance_recorded.v1": f"{_DESK}.AttendanceRecorded",
        "crm.desks.desk.decision_recorded.v1": f"{_DESK}.DecisionRecorded",
        "crm.desks.desk.minutes_step_recorded.v1": f"{_DESK}.MinutesStepRecorded",
        "crm.desks.desk.follow_up_recorded.v1": f"{_DESK}.FollowUpRecorded",
        "crm.desks.desk.follow_up_missed.v1": f"{_DESK}.FollowUpMissed",
        "crm.desks.desk.checklist_completed.v1": f"{_DESK}.ChecklistCompleted",
        "crm.desks.session.planned.v1": f"{_SESSION}.Planned",
        "crm.desks.session.invitees_selected.v1": f"{_SESSION}.InviteesSelected",
        "crm.desks.session.programme_approved_by_sg.v1": f"{_SESSION}.ProgrammeApprovedBySG",
        "crm.desks.session.programme_ratified.v1": f"{_SESSION}.ProgrammeRatified",
        "crm.desks.session.invitations_requested.v1": f"{_SESSION}.InvitationsRequested",
        "crm.desks.session.invitations_sent.v1": f"{_SESSION}.InvitationsSent",
        "crm.desks.session.attendance_recorded.v1": f"{_SESSION}.AttendanceRecorded",
        "crm.desks.session.problem_raised.v1": f"{_SESSION}.ProblemRaised",
        "crm.desks.session.minutes_archived.v1": f"{_SESSION}.MinutesArchived",
        "crm.desks.session.decision_taken.v1": f"{_SESSION}.DecisionTaken",
        "crm.desks.session.decision_done.v1": f"{_SESSION}.DecisionDone",
        "crm.desks.session.decision_overdue.v1": f"{_SESSION}.DecisionOverdue",
        # A desk's registrant who named no member, erased at their request: who erased which form's registrant, when
        # and why; consumers forget what they copied of the form's registrant (the notifier: their messages).
        "crm.desks.registrant.erased.v1": "services.desks.erasure:RegistrantErasure.Recorded",
        "crm.desks.ratio_report.issued.v1": "services.desks.domain:RatioReport.Issued",
        "crm.desks.ratio_report.reissued.v1": "services.desks.domain:RatioReport.Reissued",
    },
    # What the notifications service reads to message members: typed here so its schema documents every part.
    fields={
        "crm.desks.desk.registered.v2": {"language": Language | None},
        "crm.desks.desk.member_announcement_requested.v1": {"selection": Selection, "recipients": list[Recipient]},
        "crm.desks.desk.slot_reminders_due.v1": {"reminders": list[SlotReminder]},
        "crm.desks.session.invitations_requested.v1": {"invitees": list[Invitee]},
    },
)
