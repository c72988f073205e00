"""The read side of a complaint: the plain view the API returns and the search index stores, and the complaint
form ME-FR-01-01-01 built from the events, each step with who did it and when."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from services.complaints.domain import FORM, Complaint, Stage
from shared.calendar import BusinessCalendar
from shared.contracts import EventContract
from shared.eventstore import event_data

STEP_TITLES = {
    "Received": "Registered on the complaint form",
    "Acknowledged": "Receipt acknowledged to the member",
    "InformationAdded": "Information added by the member-relations manager",
    "StakeholdersRecorded": "Stakeholders recorded",
    "TrackingIssued": "Tracking secret given to the complainant",
    "Assessed": "Initial assessment (severity, urgency, complexity, priority)",
    "ReviewCompleted": "Review marked complete",
    "Referred": "Referred to the secretary general",
    "HandlerAssigned": "Handler assigned",
    "AssignmentRefused": "Assignment refused (conflict of interest)",
    "InvestigationReported": "Investigation report filed",
    "Decided": "Decision of the secretary general",
    "CommitteeConvened": "Complaint committee convened",
    "CommitteeNotConvened": "Accepted without convening the committee",
    "CommitteeDecided": "Decision of the complaint committee",
    "CorrectiveActionOpened": "Corrective action opened in the actions service",
    "CorrectiveActionCompleted": "Corrective action done (SY-PR-05-00-02)",
    "MemberNotified": "Result communicated to the member",
    "Closed": "Closed",
    "SatisfactionRecorded": "Member's satisfaction with the handling",
    "Reopened": "Reopened: the member is not satisfied",
    "ConfidentialityChanged": "Confidentiality changed",
    "DocumentAttached": "Document attached",
    "DeadlineBreached": "Stage deadline passed",
    "DeadlineMoved": "Stage deadline moved by a change of the chamber's calendar",
    "ComplainantErased": "The complainant's personal data erased at their request",
    "ReviewMinutesRecorded": "Discussed at the six-monthly review meeting (minutes)",
}


def complaint_summary(complaint: Complaint, calendar: BusinessCalendar, hours: Mapping[Stage, float]) -> dict[str, Any]:
    """The plain view of a complaint that the API returns and the search index stores (no time-dependent
    values: whether a due time has passed is asked of the clock when reading)."""
    c = complaint
    stage = c.current_stage()
    deadlines = c.deadlines(calendar, hours)
    current = next((d for d in deadlines if d.stage == stage), None)
    return {
        "id": str(c.id),
        "reference": c.reference,
        "form": FORM,
        "version": c.version,
        "state": c.state.value,
        "round": c.round,
        "channel": c.channel.value,
        "kind": c.kind.value,
        "description": c.description,
        "occurred_at": c.occurred_at,
        "member_number": c.member_number,
        "complainant": {
            "name": c.complainant_name,
            "phone": c.contact_phone,
            "phone_raw": c.contact_phone_raw,
            "email": c.contact_email,
        },
        "unit": c.unit,
        "service": c.service,
        "stakeholders": {
            **c.stakeholders,
            "recorded": c.stakeholders_recorded,
            "none_declared": c.stakeholders_none,
        },
        "confidential": c.confidential,
        "call_id": c.call_id,
        "source": c.source,
        "source_ref": c.source_ref,
        "registered_by": c.registered_by,
        "received_at": c.received_at,
        "acknowledged_at": c.acknowledged_at,
        "reviewed_by": c.reviewed_by,
        "handler": (
            {
                "kind": c.handler_kind.value,
                "name": c.handler,
                "units": list(c.handler_units),
                "eligibility": c.eligibility,
            }
            if c.handler_kind
            else None
        ),
        "investigation": dict(c.investigation) if c.investigation else None,
        "decision": c.decision.value if c.decision else None,
        "decision_reason": c.decision_reason,
        "follow_up_by": c.follow_up_by,
        "reviews": [dict(r) for r in c.reviews],
        "assessment": dict(c.assessment) if c.assessment else None,
        "priority": c.assessment["priority"] if c.assessment else None,
        "committee": dict(c.committee) if c.committee else None,
        "committee_members": list(c.committee_members_ever),
        "outcome": c.outcome.value if c.outcome else None,
        "decided_at": c.decided_at,
        "corrective_actions": [dict(a) for a in c.corrective_actions],
        "notified_at": c.notified_at,
        "closed_at": c.closed_at,
        "satisfaction": dict(c.satisfaction) if c.satisfaction else None,
        "documents": [dict(d) for d in c.documents],
        "breaches": [dict(b) for b in c.breaches],
        "deadline_moves": [dict(m) for m in getattr(c, "deadline_moves", [])],
        "stage": stage.value if stage else None,
        "waiting_on": c.waiting_on(stage),
        "due_at": current.due_at if current else None,
        "deadlines": [d.as_dict() for d in deadlines],
        "updated_at": c.updated_at,
    }


def complaint_form(
    complaint: Complaint,
    view: Mapping[str, Any],
    events: Iterable[Any],
    calendar: BusinessCalendar,
    contract: EventContract,
) -> dict[str, Any]:
    """Form ME-FR-01-01-01: the complaint's particulars and every step from receipt to the announcement of
    the result, each with who did it and when (UTC and the chamber's calendar), built from the events."""
    steps = []
    for n, e in enumerate(events, start=1):
        name = type(e).__name__
        data = event_data(e)
        at = data.pop("at", None) or e.timestamp
        by = data.pop("by", None)
        steps.append(
            {
                "step": n,
                "event": contract.wire_type_of(type(e)),
                "title": STEP_TITLES.get(name, name),
                "event_name": name,
                "by": by,
                "at": at,
                "at_local": calendar.format(at),
                "details": data,
            }
        )
    return {
        "form": FORM,
        "title": "Complaint, criticism and suggestion form",
        "id": view["id"],
        "reference": view["reference"],
        "state": view["state"],
        "round": view["round"],
        "confidential": view["confidential"],
        "channel": view["channel"],
        "kind": view["kind"],
        "received_at": view["received_at"],
        "received_at_local": calendar.format(complaint.received_at),
        "occurred_at": view["occurred_at"],
        "occurred_at_local": calendar.format(complaint.occurred_at) if complaint.occurred_at else None,
        "description": view["description"],
        "member_number": view["member_number"],
        "complainant": view["complainant"],
        "unit": view["unit"],
        "service": view["service"],
        "stakeholders": view["stakeholders"],
        "documents": view["documents"],
        "handler": view["handler"],
        "assessment": view["assessment"],
        "investigation": view["investigation"],
        "decision": view["decision"],
        "committee": view["committee"],
        "outcome": view["outcome"],
        "corrective_actions": view["corrective_actions"],
        "satisfaction": view["satisfaction"],
        "deadlines": [{**d, "due_at_local": calendar.format(d["due_at"])} for d in view["deadlines"]],
        "deadline_moves": [
            {
                **m,
                "old_due_local": calendar.format(m["old_due"]),
                "new_due_local": calendar.format(m["new_due"]),
            }
            for m in view.get("deadline_moves", [])
        ],
        "steps": steps,
    }
