"""Corrective actions asked for by the risk register's measures: a follower of the plan store delivers each
recorded request to the actions service's idempotent internal endpoint (`POST /internal/actions`, keyed by
`source_ref`). The request that records the measure only appends the intent (Risk.ActionRequested); the shared
outbox tells the actions service, in log order, and moves its position only once that service has answered.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from eventsourcing.persistence import Notification

from services.plan.application import PlanOffice
from services.plan.domain.risk import Risk
from shared import outbox
from shared.clock import Clock
from shared.outbox import Columns, Delivery, Open, Outbox

REQUESTED = "Risk.ActionRequested"
MAX_TITLE = 300  # the actions service's limit on an action's title

COLUMNS = Columns(origin="risk_id", opened="action_id")
delivered = outbox.deliveries_table("risk_action_requests", COLUMNS)

OpenAction = Open
ActionNotDelivered = outbox.NotDelivered
ActionRefused = outbox.Refused


def http_opener(base_url: str, token: str | None, timeout: float = 10.0) -> OpenAction:
    return outbox.http_opener(base_url, "/internal/actions", token, "CRM_PLAN__SERVICE_TOKEN", timeout)


def action_request(risk: Risk, request: dict[str, Any]) -> dict[str, Any]:
    """The body of POST /internal/actions for one measure of a risk."""
    title = f"Risk: {risk.title}: {request['measure']}"
    return {
        "source_kind": "risk",
        "source_ref": request["source_ref"],
        "title": title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1] + "…",
        "description": (
            f"Process {risk.process}; risk {risk.title} (R {risk.current['score']}, band {risk.current['band']}). "
            f"Measure: {request['measure']}"
        ),
        "unit": request["unit"],
    }


class RiskActions:
    def __init__(self, office: PlanOffice, engine: sa.Engine, open_action: OpenAction, clock: Clock):
        self.office = office
        self.engine = engine
        self.outbox = Outbox(
            office,
            engine,
            table=delivered,
            columns=COLUMNS,
            follower_name="risk_action_requests",
            requests=self._request_of,
            opener=open_action,
            clock=clock,
        )
        self.follower = self.outbox.follower

    def _request_of(self, n: Notification) -> Delivery | None:
        if not n.topic.endswith(REQUESTED):
            return None
        risk: Risk = self.office.repository.get(n.originator_id, version=n.originator_version)
        request = risk.action_requests[-1]
        return Delivery(request["source_ref"], str(n.originator_id), action_request(risk, request))

    def delivered(self, risk_id: str) -> list[dict[str, Any]]:
        return [
            {"source_ref": r["source_ref"], "action_id": r["action_id"], "refused": r["refused"]}
            for r in self.outbox.of(risk_id)
        ]
