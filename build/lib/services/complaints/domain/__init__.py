"""Complaints, criticism and suggestions (docs/procedures.md#complaints, ISO 10002), as one aggregate per complaint.

Receipt from every channel (in person, phone during a call, the website form, automatically from another
service) → acknowledgement to the member → review by the member-relations manager, who may add information and
must mark it complete → referral to the SG → assignment of a handler who is no stakeholder of the matter
(conflict-of-interest rule) → investigation report → the SG's decision (accept or reject) → if accepted, the
committee or not → notification of the result to the member → closing → the member's satisfaction with the
handling → reopening when the member is not satisfied. Every step is an event; the complaint form
ME-FR-01-01-01 is a view of them.

Event data holds only JSON-native values (str, int, bool, list, dict, datetime, None): consumers read it as JSON
from Kafka (crm.complaints.events.v1), never through these classes.

The modules: `vocabulary` (the procedure's words), `references` (tracking references and ids), `conflicts` (the
conflict-of-interest rule), `deadlines` (stage deadlines, pure), `assessment` (ISO 10002 initial assessment),
`errors`, `complaint` (the aggregate and its events), `complaint_state` (its state and the questions asked of it),
and its steps by procedure step, each with its rules: `receipt`, `review_steps`, `handling_steps`,
`committee_steps`, `closing_steps`, `record_steps` (anytime: confidentiality, documents, deadlines). The
aggregate's events are stored under the topics `services.complaints.domain:Complaint.<Event>`, so `Complaint`
and its @event methods must stay on the class importable from here.
"""

from __future__ import annotations

# The aggregate's events carry this module's name (their stored topics), so their annotations are resolved here
# (the contracts' schemas read them): the names they use must be importable from this module.
from datetime import datetime  # noqa: F401
from typing import Any  # noqa: F401

from services.complaints.domain.assessment import (
    PRIORITY_RANK,
    UNASSESSED_RANK,
    Level,
    Priority,
    priority,
)
from services.complaints.domain.complaint import (
    Complaint,
)
from services.complaints.domain.conflicts import (
    UnitsOf,
    check_handler,
    empty_stakeholders,
    normalise_stakeholders,
)
from services.complaints.domain.deadlines import (
    DEFAULT_STAGE_HOURS,
    STAGE_WAITS_ON,
    STAGES,
    Stage,
    StageDeadline,
    breach_key,
    breached,
    stage_deadlines,
    stage_due,
    stage_hours,
)
from services.complaints.domain.errors import (
    ConflictOfInterest,
    TransitionRefused,
)
from services.complaints.domain.references import (
    COMPLAINT_NAMESPACE,
    complaint_id_for_reference,
    complaint_id_for_source,
    new_reference,
    reference_for_source,
)
from services.complaints.domain.report import HalfYearReport, check_period, report_id
from services.complaints.domain.vocabulary import (
    EDITABLE_FIELDS,
    FORM,
    MAX_DOCUMENTS,
    OPEN_STATES,
    ActionStatus,
    Channel,
    Decision,
    HandlerKind,
    Kind,
    Outcome,
    State,
)

__all__ = [
    "HalfYearReport",
    "check_period",
    "report_id",
    "PRIORITY_RANK",
    "UNASSESSED_RANK",
    "Level",
    "Priority",
    "priority",
    "COMPLAINT_NAMESPACE",
    "DEFAULT_STAGE_HOURS",
    "EDITABLE_FIELDS",
    "FORM",
    "MAX_DOCUMENTS",
    "OPEN_STATES",
    "STAGES",
    "STAGE_WAITS_ON",
    "ActionStatus",
    "Channel",
    "Complaint",
    "ConflictOfInterest",
    "Decision",
    "HandlerKind",
    "Kind",
    "Outcome",
    "Stage",
    "StageDeadline",
    "State",
    "TransitionRefused",
    "UnitsOf",
    "breach_key",
    "breached",
    "check_handler",
    "complaint_id_for_reference",
    "complaint_id_for_source",
    "empty_stakeholders",
    "new_reference",
    "normalise_stakeholders",
    "reference_for_source",
    "stage_deadlines",
    "stage_due",
    "stage_hours",
]
