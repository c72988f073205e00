"""Corrective actions out of the complaint committee (SY-PR-05-00-02): a follower of the complaints store opens each
action the committee defines in the actions service, through its idempotent internal endpoint
(`POST /internal/actions`, keyed by `source_ref` = `complaint:<complaint id>:CA-n`), and records the action's id
on the complaint.

The handler that records the committee's decision only appends it; this follower tells the actions service, in log
order, and moves its position only once the actions service has answered and the id is on the complaint. While the
actions service is down it retries at each poll; an action sent twice is opened once (the endpoint answers with the
same id), so a crash between the two steps repeats nothing but the question.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import httpx
import sqlalchemy as sa
from eventsourcing.persistence import Notification

from services.complaints.application import COMPLAINT_TOPIC_PREFIX, ComplaintDesk
from shared.clock import Clock
from shared.follower import NotificationFollower

log = logging.getLogger(__name__)

DECIDED = COMPLAINT_TOPIC_PREFIX + "CommitteeDecided"
TITLE_MAX = 200  # the actions service's limit on a title; the whole text goes in the description

metadata = sa.MetaData()
deliveries = sa.Table(
    "corrective_action_deliveries",
    metadata,
    sa.Column("source_ref", sa.String(200), primary_key=True),
    sa.Column("complaint_id", sa.String(36), nullable=False, index=True),
    sa.Column("action_id", sa.String(36)),  # None: refused for good, see `refused`
    sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("refused", sa.Text),
)

OpenAction = Callable[[dict[str, Any]], str]  # the request -> the action's id; raises when not delivered


class ActionNotDelivered(RuntimeError):
    """Not delivered now (the actions service is down, busy, or not authorised yet): try again later."""


class ActionRefused(RuntimeError):
    """The actions service refused the action itself (422): sending it again would not change that."""


def http_opener(base_url: str, token: str | None, timeout: float = 10.0) -> OpenAction:
    def open_action(request: dict[str, Any]) -> str:
        if not token:
            raise ActionNotDelivered("no service token for the actions service (CRM_COMPLAINTS_SERVICE_TOKEN)")
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


def source_ref(complaint_id: str, action_id: str) -> str:
    return f"complaint:{complaint_id}:{action_id}"


class CorrectiveActionOutbox:
    def __init__(self, desk: ComplaintDesk, engine: sa.Engine, open_action: OpenAction, clock: Clock):
        self.desk = desk
        self.engine = engine
        self.open_action = open_action
        self.clock = clock
        metadata.create_all(engine)
        # Every few seconds, not at once: an actions service that is down is retried without hammering it.
        self.follower = NotificationFollower(desk, "corrective_action_outbox", engine, self._apply, poll_interval=5.0)

    def request_for(self, action: dict[str, Any], complaint_id: str) -> dict[str, Any]:
        """The actions service's request: the owner as a person, or a unit answered for by its manager; the due
        date moved to the next working day, as the actions service takes only working days."""
        owner = action["owner"]
        unit = next((u for u in self.desk.organisation.units if u.id.casefold() == owner.casefold()), None)
        person: str | None
        unit_id: str | None
        if unit is not None:
            person, unit_id = (unit.manager or None), unit.id
        else:
            person, unit_id = owner, next(iter(sorted(self.desk.units_of(owner))), None)
        due = date.fromisoformat(action["due"])
        if not self.desk.calendar.is_working_day(due):
            due = self.desk.calendar.next_working_day(due)
        request: dict[str, Any] = {
            "source_kind": "complaint",
            "source_ref": source_ref(complaint_id, action["id"]),
            "title": action["description"][:TITLE_MAX],
            "description": action["description"],
            "unit": unit_id,
        }
        if person:
            request |= {"owner": person, "due_on": due.isoformat()}
        return request

    def _apply(self, conn: sa.Connection, notifications: Sequence[Notification]) -> None:
        for n in notifications:
            if n.topic != DECIDED:
                continue
            event = self.desk.mapper.to_domain_event(n)
            complaint_id = str(n.originator_id)
            for action in getattr(event, "corrective_actions", None) or []:
                ref = source_ref(complaint_id, action["id"])
                known = conn.execute(sa.select(deliveries.c.source_ref).where(deliveries.c.source_ref == ref)).scalar()
                if known is not None:
                    continue
                # Raises when the actions service does not take it: the transaction, position included, is rolled
                # back and the action is sent again at the next catch-up.
                action_id, refused = None, None
                try:
                    action_id = self.open_action(self.request_for(action, complaint_id))
                except ActionRefused as exc:
                    # Kept with the reason for the operators, so that one bad action does not hold up the others.
                    refused = str(exc)
                    log.error("corrective action %s refused by the actions service: %s", ref, refused)
                if action_id:
                    self.desk.record_action_opened(n.originator_id, action["id"], action_id)
                conn.execute(
                    deliveries.insert().values(
                        source_ref=ref,
                        complaint_id=complaint_id,
                        action_id=action_id,
                        delivered_at=self.clock(),
                        refused=refused,
                    )
                )

    def refused(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(deliveries).where(deliveries.c.refused.is_not(None)))
            return [dict(r._mapping) for r in rows]
