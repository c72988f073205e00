"""The desks service's published events: the six steps of each service desk, the specialised sessions and the
ratio reports (topic `crm.desks.events.v1`).

The wire types are declared here, once, and never derived from class names (see services/calls/contract.py).
After any change run `make contracts` and commit the JSON Schema files under `contracts/desks/`.
"""

from shared.contracts import EventContract

_DESK = "services.desks.domain:Desk"
_SESSION = "services.desks.sessions:Session"

CONTRACT = EventContract(
    "desks",
    {
        "crm.desks.desk.planned.v1": f"{_DESK}.Planned",
        "crm.desks.desk.coordination_recorded.v1": f"{_DESK}.CoordinationRecorded",
        "crm.desks.desk.plan_approved.v1": f"{_DESK}.PlanApproved",
        "crm.desks.desk.announced.v1": f"{_DESK}.Announced",
        "crm.desks.desk.registered.v1": f"{_DESK}.Registered",
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
        "crm.desks.session.invitations_sent.v1": f"{_SESSION}.InvitationsSent",
        "crm.desks.session.attendance_recorded.v1": f"{_SESSION}.AttendanceRecorded",
        "crm.desks.session.problem_raised.v1": f"{_SESSION}.ProblemRaised",
        "crm.desks.session.minutes_archived.v1": f"{_SESSION}.MinutesArchived",
        "crm.desks.session.decision_taken.v1": f"{_SESSION}.DecisionTaken",
        "crm.desks.session.decision_done.v1": f"{_SESSION}.DecisionDone",
        "crm.desks.session.decision_overdue.v1": f"{_SESSION}.DecisionOverdue",
        "crm.desks.ratio_report.issued.v1": "services.desks.domain:RatioReport.Issued",
        "crm.desks.ratio_report.reissued.v1": "services.desks.domain:RatioReport.Reissued",
    },
)
