"""Corrective actions asked for by the risk register's measures: a follower of the plan store delivers each
recorded request to the actions service's idempotent internal endpoint (`POST /internal/actions`, keyed by
`source_ref`). The request that records the measure only appends the intent (Risk.ActionRequested); this follower
tells the actions service, in log order, and moves its position only once that service has answered. While it is
down the follower retries at each poll; the same request sent twice opens one action.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import sqlalchemy as sa
from eventsourcing.persistence import Notification

from services.plan.application import PlanOffice
from services.plan.domain.risk import Risk
from shared.clock import Clock
from shared.follower import NotificationFollower

log = logging.getLogger(__name__)

REQUESTED = "Risk.ActionRequested"
MAX_TITLE = 300  # the actions service's limit on an action's title

metadata = sa.MetaData()
delivered = sa.Table(
    "risk_action_requests",
    metadata,
    sa.Column("source_ref", sa.String(300), primary_key=True),
    sa.Column("risk_id", sa.String(36), nullable=False, index=True),
    sa.Column("action_id", sa.String(36)),  # None: refused for good, see `refused`
    sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("refused", sa.Text),
)

OpenAction = Callable[[dict[str, Any]], str]  # the request -> the action's id; raises when not delivered


class ActionNotDelivered(RuntimeError):
    """Not delivered now (the actions service is down, busy, or no token is set yet): try again later."""


class ActionRefused(RuntimeError):
    """The actions service refused the request itself (422): sending it again would not change that."""


def http_opener(base_url: str, token: str | None, timeout: float = 10.0) -> OpenAction:
    def open_action(request: dict[str, Any]) -> str:
        if not token:
            raise ActionNotDelivered("no service token for the actions service (CRM_PLAN__SERVICE_TOKEN)")
        try:
            response = httpx.post(
                f"{base_url}/internal/actions",
                json=request,
                headers={"Authorization": f"Bearer {token}"},
                timeout=timeout,
            )
        except httpx.HTTPError as exc:
            raise ActionNotDelivered(f"actions service unreachable: {exc}") from exc
        if response.status_code == 422:
            raise ActionRefused(f"actions service refused it: {response.text[:500]}")
        if response.status_code not in (200, 201):
            raise ActionNotDelivered(f"actions service answered {response.status_code}: {response.text[:300]}")
        return str(response.json()["id"])

    return open_action


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
        self.open_action = open_action
        self.clock = clock
        metadata.create_all(engine)
        # Every few seconds, not at once: an actions service that is down is retried without hammering it.
        self.follower = NotificationFollower(office, "risk_action_requests", engine, self._apply, poll_interval=5.0)

    def _apply(self, conn: sa.Connection, notifications: Sequence[Notification]) -> None:
        for n in notifications:
            if not n.topic.endswith(REQUESTED):
                continue
            risk: Risk = self.office.repository.get(n.originator_id, version=n.originator_version)
            request = risk.action_requests[-1]
            known = conn.execute(
                sa.select(delivered.c.source_ref).where(delivered.c.source_ref == request["source_ref"])
            ).scalar()
            if known is not None:
                continue
            # Raises when the actions service does not take it: the transaction, position included, is rolled back
            # and the request is sent again at the next catch-up.
            action_id, refused = None, None
            try:
                action_id = self.open_action(action_request(risk, request))
            except ActionRefused as exc:
                # Kept with the reason for the operators, so that one bad request does not hold up the others.
                refused = str(exc)
                log.error("corrective action for risk %s refused: %s", n.originator_id, refused)
            conn.execute(
                delivered.insert().values(
                    source_ref=request["source_ref"],
                    risk_id=str(n.originator_id),
                    action_id=action_id,
                    delivered_at=self.clock(),
                    refused=refused,
                )
            )

    def delivered(self, risk_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(delivered.c.source_ref, delivered.c.action_id, delivered.c.refused)
                .where(delivered.c.risk_id == risk_id)
                .order_by(delivered.c.source_ref)
            )
            return [dict(r._mapping) for r in rows]
