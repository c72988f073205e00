"""The actions service's published events: the life of each corrective action, SY-PR-05-00-02 (topic
`crm.actions.events.v1`).

The wire types are declared here, once, and never derived from class names (see services/calls/contract.py).
After any change run `make contracts` and commit the JSON Schema files under `contracts/actions/`.
"""

from services.actions.domain import SourceKind
from shared.contracts import EventContract

CONTRACT = EventContract(
    "actions",
    {
        "crm.actions.corrective_action.opened.v1": "services.actions.domain:CorrectiveAction.Opened",
        "crm.actions.corrective_action.assigned.v1": "services.actions.domain:CorrectiveAction.Assigned",
        "crm.actions.corrective_action.progress_noted.v1": "services.actions.domain:CorrectiveAction.ProgressNoted",
        "crm.actions.corrective_action.done.v1": "services.actions.domain:CorrectiveAction.Done",
        "crm.actions.corrective_action.confirmed_effective.v1": "services.actions.domain:CorrectiveAction.ConfirmedEffective",
        "crm.actions.corrective_action.found_not_effective.v1": "services.actions.domain:CorrectiveAction.FoundNotEffective",
        "crm.actions.corrective_action.cancelled.v1": "services.actions.domain:CorrectiveAction.Cancelled",
        "crm.actions.corrective_action.became_overdue.v1": "services.actions.domain:CorrectiveAction.BecameOverdue",
        "crm.actions.corrective_action.effectiveness_check_due.v1": "services.actions.domain:CorrectiveAction.EffectivenessCheckDue",
    },
    # Consumers count actions by where they came from (the plan's improvements after surveys, for one): the schema
    # lists the sources, so a consumer filtering on a source no action has is caught by the contract tests.
    fields={"crm.actions.corrective_action.opened.v1": {"source_kind": SourceKind}},
)
