"""Corrective actions asked for by desks: a follower of the desks store delivers each decision found not carried
out to the actions service's idempotent internal door (`POST /internal/actions`, keyed by `source_ref`).

The handler that records the follow-up only appends the event; this follower tells the actions service, in log
order, and moves its position only once that service has answered. While it is down the follower retries at each
poll; the same request sent twice opens one action (see services/calls/referrals.py for the same pattern).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import sqlalchemy as sa
from eventsourcing.persistence import Notification

from services.desks.application import DeskOffice
from services.desks.domain import Desk
from shared.clock import Clock
from shared.follower import NotificationFollower

log = logging.getLogger(__name__)

FOLLOWED_UP = "Desk.FollowUpRecorded"
UNIT = "member_services"  # the unit that runs the desks answers for their follow-up actions

metadata = sa.MetaData()
delivered = sa.Table(
    "desk_action_requests",
    metadata,
    sa.Column("source_ref", sa.String(300), primary_key=True),
    sa.Column("desk_id", sa.String(36), nullable=False, index=True),
    sa.Column("action_id", sa.String(36)),  # None: refused for good, see `refused`
    sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("refused", sa.Text),
)

OpenAction = Callable[[dict[str, Any]], str]  # the request -> the action's id; raises when not delivered


class ActionNotDelivered(RuntimeError):
    """Not delivered now (the actions service is down or not authorised yet): try again later."""


class ActionRefused(RuntimeError):
    """The actions service refused the request itself (422): sending it again would not change that."""


def http_opener(base_url: str, token: str | None, timeout: float = 10.0) -> OpenAction:
    def open_action(request: dict[str, Any]) -> str:
        if not token:
            raise ActionNotDelivered("no service token for the actions service (CRM_DESKS__SERVICE_TOKEN)")
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


class ActionRequests:
    def __init__(self, office: DeskOffice, engine: sa.Engine, open_action: OpenAction, clock: Clock):
        self.office = office
        self.engine = engine
        self.open_action = open_action
        self.clock = clock
        metadata.create_all(engine)
        # Every few seconds, not at once: an actions service that is down is retried without hammering it.
        self.follower = NotificationFollower(office, "desk_action_requests", engine, self._apply, poll_interval=5.0)

    def request_of(self, n: Notification) -> dict[str, Any] | None:
        """The action this follow-up asks for, or None when the decision was carried out."""
        desk: Desk = self.office.repository.get(n.originator_id, version=n.originator_version)
        events = self.office.repository.event_store.get(
            n.originator_id, gt=n.originator_version - 1, lte=n.originator_version
        )
        data = next(iter(events)).__dict__
        ref = data.get("action_source_ref")
        if not ref:
            return None
        form = desk.forms[data["number"]]
        return {
            "source_kind": "desk",
            "source_ref": ref,
            "title": f"{desk.agency} desk of {desk.desk_day}: decision on form {form['number']} not carried out",
            "description": f"Decision: {form['decision']}\nFollow-up: {data['result']}",
            "unit": UNIT,
        }

    def _apply(self, conn: sa.Connection, notifications: Sequence[Notification]) -> None:
        for n in notifications:
            if not n.topic.endswith(FOLLOWED_UP):
                continue
            request = self.request_of(n)
            if request is None:
                continue
            known = conn.execute(
                sa.select(delivered.c.source_ref).where(delivered.c.source_ref == request["source_ref"])
            ).scalar()
            if known is not None:
                continue
            # Raises when the actions service does not take it: the transaction, position included, is rolled
            # back and the request is sent again at the next catch-up.
            action_id, refused = None, None
            try:
                action_id = self.open_action(request)
            except ActionRefused as exc:
                refused = str(exc)
                log.error("corrective action of desk %s refused: %s", n.originator_id, refused)
            conn.execute(
                delivered.insert().values(
                    source_ref=request["source_ref"],
                    desk_id=str(n.originator_id),
                    action_id=action_id,
                    delivered_at=self.clock(),
                    refused=refused,
                )
            )

    def action_of(self, source_ref: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(delivered.c.action_id).where(delivered.c.source_ref == source_ref)).scalar()
