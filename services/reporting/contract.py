"""The reporting service's published events: what its processors decided (topic `crm.reporting.events.v1`).

The wire types are declared here, once, and never derived from class names: a renamed or moved event class keeps
its wire type by changing only the right-hand side. A payload change that consumers cannot read gets a new wire
type (`.v2`) next to the old one. After any change run `make contracts` and commit the JSON Schema files under
`contracts/reporting/`.
"""

from shared.contracts import EventContract

CONTRACT = EventContract(
    "reporting",
    {
        "crm.reporting.callback_breach.recorded.v1": "services.reporting.oversight:CallbackBreach.Recorded",
        "crm.reporting.member_relations_follow_up_breach.recorded.v1": (
            "services.reporting.oversight:MemberRelationsFollowUpBreach.Recorded"
        ),
        "crm.reporting.escalation.raised.v1": "services.reporting.oversight:Escalation.Raised",
        "crm.reporting.escalation.accepted.v1": "services.reporting.oversight:Escalation.Accepted",
        "crm.reporting.escalation.dismissed.v1": "services.reporting.oversight:Escalation.Dismissed",
        "crm.reporting.escalation.reported_to_sg.v1": (
            "services.reporting.oversight:Escalation.ReportedToSecretaryGeneral"
        ),
        "crm.reporting.escalation.corrective_action_requested.v1": (
            "services.reporting.oversight:Escalation.CorrectiveActionRequested"
        ),
        "crm.reporting.escalation.corrective_action_opened.v1": (
            "services.reporting.oversight:Escalation.CorrectiveActionOpened"
        ),
        # Stored before corrective actions moved to the actions service: still read, no longer recorded.
        "crm.reporting.corrective_action.opened.v1": "services.reporting.oversight:CorrectiveAction.Opened",
        "crm.reporting.call_centre_report.produced.v1": "services.reporting.oversight:CallCentreReport.Produced",
        "crm.reporting.end_of_day_list.produced.v1": "services.reporting.oversight:EndOfDayList.Produced",
        "crm.reporting.end_of_day_list.delivery_requested.v1": (
            "services.reporting.oversight:EndOfDayList.DeliveryRequested"
        ),
    },
)
