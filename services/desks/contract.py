"""The desks service's published events: the six steps of each service desk (topic `crm.desks.events.v1`).

The wire types are declared here, once, and never derived from class names (see services/calls/contract.py).
After any change run `make contracts` and commit the JSON Schema files under `contracts/desks/`.
"""

from shared.contracts import EventContract

_DESK = "services.desks.domain:Desk"

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
        "crm.desks.ratio_report.issued.v1": "services.desks.domain:RatioReport.Issued",
        "crm.desks.ratio_report.reissued.v1": "services.desks.domain:RatioReport.Reissued",
    },
)
