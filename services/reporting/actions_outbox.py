"""Corrective actions the SG opens for escalations: a follower of the reporting store delivers each recorded
request to the actions service's idempotent internal endpoint (`POST /internal/actions`, keyed by `source_ref`
`escalation:<id>`), then records the action's id on the escalation.

The SG's request handler only appends the intent (Escalation.CorrectiveActionRequested); this follower tells the
actions service, in log order, and moves its position only once that service has answered. While it is down the
follower retries with back-off; a request delivered twice opens one action (the key is the escalation's id).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import sqlalchemy as sa
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Notification

from services.reporting.oversight import Escalation, Oversight
from shared.clock import Clock
from shared.follower import NotificationFollower

log = logging.getLogger(__name__)

REQUESTED = "Escalation.CorrectiveActionRequested"

metadata = sa.MetaData()
delivered = sa.Table(
    "corrective_action_requests",
    metadata,
    sa.Column("source_ref", sa.String(300), primary_key=True),
    sa.Column("escalation_id", sa.String(36), nullable=False, index=True),
    sa.Column("action_id", sa.String(36)),  # None: refused for good, see `refused`
    sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("refused", sa.Text),
)

OpenAction = Callable[[dict[str, Any]], str]  # the request -> the action's id; raises when not delivered


class ActionNotDelivered(RuntimeError):
    """Not delivered now (the actions service is down, busy, or not authorised yet): try again later."""


class ActionRefused(RuntimeError):
    """The actions service refused the request itself (422): sending it again would not change that."""


def http_opener(base_url: str, token: str | None, timeout: float = 10.0) -> OpenAction:
    def open_action(request: dict[str, Any]) -> str:
        if not token:
            raise ActionNotDelivered("no service token for the actions service (CRM_REPORTING_SERVICE_TOKEN)")
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


def action_request(requested: dict[str, Any]) -> dict[str, Any]:
    """The body of `POST /internal/actions` for a recorded request."""
    body = {
        "source_kind": "non_answer",
        "source_ref": requested["source_ref"],
        "title": requested["title"],
        "description": requested["description"],
        "unit": requested["unit"],
    }
    if requested.get("owner"):
        body["owner"] = requested["owner"]
    return body


class CorrectiveActionOutbox:
    def __init__(self, oversight: Oversight, engine: sa.Engine, open_action: OpenAction, clock: Clock):
        self.oversight = oversight
        self.engine = engine
        self.open_action = open_action
        self.clock = clock
        metadata.create_all(engine)
        # Every few seconds, not at once: an actions service that is down is retried without hammering it.
        self.follower = NotificationFollower(
            oversight, "corrective_action_requests", engine, self._apply, poll_interval=5.0
        )

    def _apply(self, conn: sa.Connection, notifications: Sequence[Notification]) -> None:
        for n in notifications:
            if not n.topic.endswith(REQUESTED):
                continue
            escalation: Aggregate = self.oversight.repository.get(n.originator_id, version=n.originator_version)
            if not isinstance(escalation, Escalation) or escalation.action_requested is None:
                continue
            requested = escalation.action_requested
            known = conn.execute(
                sa.select(delivered.c.source_ref).where(delivered.c.source_ref == requested["source_ref"])
            ).scalar()
            if known is not None:
                continue
            # Raises when the actions service does not take it: the transaction, position included, is rolled back
            # and the request is sent again at the next catch-up.
            action_id, refused = None, None
            try:
                action_id = self.open_action(action_request(requested))
            except ActionRefused as exc:
                # Kept with the reason for the operators, so that one bad request does not hold up the others.
                refused = str(exc)
                log.error("corrective action for escalation %s refused: %s", n.originator_id, refused)
            if action_id:
                # Idempotent: a catch-up rolled back after this save finds the action linked already.
                self.oversight.link_corrective_action(escalation.id, action_id=action_id, at=self.clock())
                log.info("corrective action %s opened for escalation %s", action_id, n.originator_id)
            conn.execute(
                delivered.insert().values(
                    source_ref=requested["source_ref"],
                    escalation_id=str(n.originator_id),
                    action_id=action_id,
                    delivered_at=self.clock(),
                    refused=refused,
                )
            )

    def refused(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            q = sa.select(delivered).where(delivered.c.refused.is_not(None))
            return [dict(r) for r in conn.execute(q).mappings()]
