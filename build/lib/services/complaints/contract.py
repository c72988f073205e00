"""The complaints service's published events: every step of a complaint under ISO 10002 (topic
`crm.complaints.events.v1`). Complaint contents travel in them: only roles that handle complaints read this topic.

The wire types are declared here, once, and never derived from class names: a renamed or moved event class keeps
its wire type by changing only the right-hand side. A payload change that consumers cannot read gets a new wire
type (`.v2`) next to the old one. After any change run `make contracts` and commit the JSON Schema files under
`contracts/complaints/`.
"""

from services.complaints.domain import Channel, Decision, HandlerKind, Kind, Level, Outcome, Priority, Stage
from shared.contracts import EventContract

CONTRACT = EventContract(
    "complaints",
    {
        "crm.complaints.complaint.received.v1": "services.complaints.domain:Complaint.Received",
        "crm.complaints.complaint.acknowledged.v1": "services.complaints.domain:Complaint.Acknowledged",
        "crm.complaints.complaint.information_added.v1": "services.complaints.domain:Complaint.InformationAdded",
        "crm.complaints.complaint.stakeholders_recorded.v1": "services.complaints.domain:Complaint.StakeholdersRecorded",
        "crm.complaints.complaint.assessed.v1": "services.complaints.domain:Complaint.Assessed",
        "crm.complaints.complaint.tracking_issued.v1": "services.complaints.domain:Complaint.TrackingIssued",
        "crm.complaints.complaint.review_completed.v1": "services.complaints.domain:Complaint.ReviewCompleted",
        "crm.complaints.complaint.referred.v1": "services.complaints.domain:Complaint.Referred",
        "crm.complaints.complaint.handler_assigned.v1": "services.complaints.domain:Complaint.HandlerAssigned",
        "crm.complaints.complaint.assignment_refused.v1": "services.complaints.domain:Complaint.AssignmentRefused",
        "crm.complaints.complaint.investigation_reported.v1": "services.complaints.domain:Complaint.InvestigationReported",
        "crm.complaints.complaint.decided.v1": "services.complaints.domain:Complaint.Decided",
        "crm.complaints.complaint.committee_convened.v1": "services.complaints.domain:Complaint.CommitteeConvened",
        "crm.complaints.complaint.committee_not_convened.v1": "services.complaints.domain:Complaint.CommitteeNotConvened",
        "crm.complaints.complaint.committee_decided.v1": "services.complaints.domain:Complaint.CommitteeDecided",
        "crm.complaints.complaint.corrective_action_opened.v1": "services.complaints.domain:Complaint.CorrectiveActionOpened",
        "crm.complaints.complaint.corrective_action_completed.v1": "services.complaints.domain:Complaint.CorrectiveActionCompleted",
        "crm.complaints.complaint.member_notified.v1": "services.complaints.domain:Complaint.MemberNotified",
        "crm.complaints.complaint.closed.v1": "services.complaints.domain:Complaint.Closed",
        "crm.complaints.complaint.satisfaction_recorded.v1": "services.complaints.domain:Complaint.SatisfactionRecorded",
        "crm.complaints.complaint.reopened.v1": "services.complaints.domain:Complaint.Reopened",
        "crm.complaints.complaint.confidentiality_changed.v1": "services.complaints.domain:Complaint.ConfidentialityChanged",
        "crm.complaints.complaint.complainant_erased.v1": "services.complaints.domain:Complaint.ComplainantErased",
        "crm.complaints.complaint.document_attached.v1": "services.complaints.domain:Complaint.DocumentAttached",
        "crm.complaints.complaint.deadline_breached.v1": "services.complaints.domain:Complaint.DeadlineBreached",
        "crm.complaints.complaint.deadline_moved.v1": "services.complaints.domain:Complaint.DeadlineMoved",
        "crm.complaints.complaint.review_minutes_recorded.v1": "services.complaints.domain:Complaint.ReviewMinutesRecorded",
        "crm.complaints.report.prepared.v1": "services.complaints.domain:HalfYearReport.Prepared",
        "crm.complaints.report.sent.v1": "services.complaints.domain:HalfYearReport.Sent",
        "crm.complaints.report.review_meeting_recorded.v1": "services.complaints.domain:HalfYearReport.ReviewMeetingRecorded",
    },
    # The event classes keep these as plain strings; published, they are the enumerations consumers count by.
    fields={
        "crm.complaints.complaint.received.v1": {"kind": Kind, "channel": Channel},
        "crm.complaints.complaint.decided.v1": {"decision": Decision},
        "crm.complaints.complaint.assessed.v1": {
            "severity": Level,
            "urgency": Level,
            "complexity": Level,
            "priority": Priority,
        },
        "crm.complaints.complaint.committee_decided.v1": {"decision": Outcome},
        "crm.complaints.complaint.handler_assigned.v1": {"handler_kind": HandlerKind},
        "crm.complaints.complaint.assignment_refused.v1": {"handler_kind": HandlerKind},
        "crm.complaints.complaint.member_notified.v1": {"outcome": Outcome},
        "crm.complaints.complaint.closed.v1": {"outcome": Outcome},
        "crm.complaints.complaint.deadline_breached.v1": {"stage": Stage},
        "crm.complaints.complaint.deadline_moved.v1": {"stage": Stage},
    },
)
