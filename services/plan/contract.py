"""The plan service's published events (topic `crm.plan.events.v1`): the versions of the strategic plan.

The wire types are declared here, once, and never derived from class names (see services/calls/contract.py).
After any change run `make contracts` and commit the JSON Schema files under `contracts/plan/`.
"""

from shared.contracts import EventContract

CONTRACT = EventContract(
    "plan",
    {
        "crm.plan.strategic_plan.imported.v1": "services.plan.domain.plan:StrategicPlan.Imported",
        "crm.plan.strategic_plan.revised.v1": "services.plan.domain.plan:StrategicPlan.Revised",
    },
)
