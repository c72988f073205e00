"""The plan service's published events (topic `crm.plan.events.v1`): the versions of the strategic plan; the risk register's risks, their
scores, the reviews their signals prompt and the corrective actions their measures ask for; spending against the
plan's activities; the yearly revision task.

The wire types are declared here, once, and never derived from class names (see services/calls/contract.py).
After any change run `make contracts` and commit the JSON Schema files under `contracts/plan/`.
"""

from shared.contracts import EventContract

CONTRACT = EventContract(
    "plan",
    {
        "crm.plan.strategic_plan.imported.v1": "services.plan.domain.plan:StrategicPlan.Imported",
        "crm.plan.strategic_plan.revised.v1": "services.plan.domain.plan:StrategicPlan.Revised",
        "crm.plan.risk.registered.v1": "services.plan.domain.risk:Risk.Registered",
        "crm.plan.risk.rescored.v1": "services.plan.domain.risk:Risk.Rescored",
        "crm.plan.risk.revised.v1": "services.plan.domain.risk:Risk.Revised",
        "crm.plan.risk.action_requested.v1": "services.plan.domain.risk:Risk.ActionRequested",
        "crm.plan.manual_actual.entered.v1": "services.plan.domain.manual:ManualActual.Entered",
        "crm.plan.manual_actual.corrected.v1": "services.plan.domain.manual:ManualActual.Corrected",
        "crm.plan.risk.review_prompted.v1": "services.plan.domain.risk:Risk.ReviewPrompted",
        "crm.plan.risk.reviewed.v1": "services.plan.domain.risk:Risk.Reviewed",
        "crm.plan.spending.recorded.v1": "services.plan.domain.spending:Spending.Recorded",
        "crm.plan.spending.corrected.v1": "services.plan.domain.spending:Spending.Corrected",
        "crm.plan.revision.opened.v1": "services.plan.domain.revision:RevisionTask.Opened",
        "crm.plan.revision.became_overdue.v1": "services.plan.domain.revision:RevisionTask.BecameOverdue",
        "crm.plan.revision.completed.v1": "services.plan.domain.revision:RevisionTask.Completed",
    },
)
