"""Corrective actions the SG opens for escalations: a follower of the reporting store delivers each recorded
request to the actions service's idempotent internal endpoint (`POST /internal/actions`, keyed by `source_ref`
`escalation:<id>`), then records the action's id on the escalation.

The SG's request handler only appends the intent (Escalation.CorrectiveActionRequested); this follower tells the
actions service, in log order, and moves its position only once that service has answered. While it is down the
follower retries with back-off; a request delivered twice opens one action (the key is the escalation's id).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import sqlalchemy as sa
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Notification

from services.reporting.oversight import Escalation, Oversight
from shared import outbox
from shared.clock import Clock
from shared.outbox import Columns, Delivery, Open, Outbox

log = logging.getLogger(__name__)

REQUESTED = "Escalation.CorrectiveActionRequested"

COLUMNS = Columns(origin="escalation_id", opened="action_id")
delivered = outbox.deliveries_table("corrective_action_requests", COLUMNS)

OpenAction = Open  # the request -> the action's id; raises when not delivered
ActionNotDelivered = outbox.NotDelivered
ActionRefused = outbox.Refused


def http_opener(base_url: str, token: str | None, timeout: float = 10.0) -> OpenAction:
    return outbox.http_opener(base_url, "/internal/actions", token, "CRM_REPORTING_SERVICE_TOKEN", timeout)


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
        self.outbox = Outbox(
            oversight,
            engine,
            table=delivered,
            columns=COLUMNS,
            follower_name="corrective_action_requests",
            requests=self._request_of,
            # Looked up at each delivery, so that the opener can be swapped on a running outbox.
            opener=lambda request: self.open_action(request),
            clock=clock,
            on_opened=self._opened,
        )
        self.follower = self.outbox.follower

    def _request_of(self, n: Notification) -> Delivery | None:
        if not n.topic.endswith(REQUESTED):
            return None
        escalation: Aggregate = self.oversight.repository.get(n.originator_id, version=n.originator_version)
        if not isinstance(escalation, Escalation) or escalation.action_requested is None:
            return None
        requested = escalation.action_requested
        return Delivery(requested["source_ref"], str(n.originator_id), action_request(requested))

    def _opened(self, n: Notification, _: Delivery, action_id: str) -> None:
        # Idempotent: a catch-up rolled back after this save finds the action linked already.
        self.oversight.link_corrective_action(uuid.UUID(str(n.originator_id)), action_id=action_id, at=self.clock())
        log.info("corrective action %s opened for escalation %s", action_id, n.originator_id)

    def refused(self) -> list[dict[str, Any]]:
        return self.outbox.refused()
