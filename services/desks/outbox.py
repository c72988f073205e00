"""What desks and sessions ask of other services: a follower of the desks store delivers each desk decision found
not carried out to the actions service's idempotent internal door (`POST /internal/actions`), and each problem a
session raised about the chamber's own services to the complaints service's (`POST /internal/complaints`), both
keyed by `source_ref`.

The handler only appends the event; this follower tells the other service, in log order, and moves its position
only once that service has answered. While it is down the follower retries at each poll; the same request sent
twice opens one action or complaint (see services/calls/referrals.py for the same pattern).
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
from services.desks.sessions import Session
from shared.clock import Clock
from shared.follower import NotificationFollower

log = logging.getLogger(__name__)

FOLLOWED_UP = "Desk.FollowUpRecorded"
PROBLEM_RAISED = "Session.ProblemRaised"
UNIT = "member_services"  # the unit that runs the desks answers for their follow-up actions

metadata = sa.MetaData()
delivered = sa.Table(
    "desk_outbox",
    metadata,
    sa.Column("source_ref", sa.String(300), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),  # action or complaint
    sa.Column("origin_id", sa.String(36), nullable=False, index=True),  # the desk or the session
    sa.Column("opened_id", sa.String(36)),  # the action's or complaint's id; None: refused for good, see `refused`
    sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("refused", sa.Text),
)

Open = Callable[[dict[str, Any]], str]  # the request -> the id of what was opened; raises when not delivered


class NotDelivered(RuntimeError):
    """Not delivered now (the other service is down or not authorised yet): try again later."""


class Refused(RuntimeError):
    """The other service refused the request itself (422): sending it again would not change that."""


def http_opener(base_url: str, token: str | None, door: str = "/internal/actions", timeout: float = 10.0) -> Open:
    def open_remote(request: dict[str, Any]) -> str:
        if not token:
            raise NotDelivered(f"no service token for {door} (CRM_DESKS__SERVICE_TOKEN)")
        try:
            response = httpx.post(
                f"{base_url}{door}", json=request, headers={"Authorization": f"Bearer {token}"}, timeout=timeout
            )
        except httpx.HTTPError as exc:
            raise NotDelivered(f"{base_url}{door} unreachable: {exc}") from exc
        if response.status_code == 422:
            raise Refused(f"{door} refused it: {response.text[:500]}")
        if response.status_code not in (200, 201):
            raise NotDelivered(f"{door} answered {response.status_code}: {response.text[:300]}")
        return str(response.json()["id"])

    return open_remote


class Outbox:
    def __init__(self, office: DeskOffice, engine: sa.Engine, open_action: Open, open_complaint: Open, clock: Clock):
        self.office = office
        self.engine = engine
        self.openers = {"action": open_action, "complaint": open_complaint}
        self.clock = clock
        metadata.create_all(engine)
        # Every few seconds, not at once: an actions service that is down is retried without hammering it.
        self.follower = NotificationFollower(office, "desk_outbox", engine, self._apply, poll_interval=5.0)

    def _event_data(self, n: Notification) -> dict[str, Any]:
        events = self.office.repository.event_store.get(
            n.originator_id, gt=n.originator_version - 1, lte=n.originator_version
        )
        return dict(next(iter(events)).__dict__)

    def request_of(self, n: Notification) -> tuple[str, dict[str, Any]] | None:
        """(kind, request) this event asks of another service, or None."""
        if n.topic.endswith(FOLLOWED_UP):
            return self._action_request(n)
        if n.topic.endswith(PROBLEM_RAISED):
            return self._complaint_request(n)
        return None

    def _complaint_request(self, n: Notification) -> tuple[str, dict[str, Any]] | None:
        data = self._event_data(n)
        ref = data.get("complaint_source_ref")
        if not ref:
            return None
        session: Session = self.office.repository.get(n.originator_id, version=n.originator_version)
        return "complaint", {
            "source_ref": ref,
            "source": "sessions",
            "kind": "complaint",
            "description": f"Raised at the {session.trade_group} specialised session: {data['text']}",
            "occurred_at": data["at"].isoformat(),
            "member_number": data.get("member_id"),
            "unit": data.get("unit"),
            "service": data.get("service"),
        }

    def _action_request(self, n: Notification) -> tuple[str, dict[str, Any]] | None:
        data = self._event_data(n)
        ref = data.get("action_source_ref")
        if not ref:
            return None
        desk: Desk = self.office.repository.get(n.originator_id, version=n.originator_version)
        form = desk.forms[data["number"]]
        return "action", {
            "source_kind": "desk",
            "source_ref": ref,
            "title": f"{desk.agency} desk of {desk.desk_day}: decision on form {form['number']} not carried out",
            "description": f"Decision: {form['decision']}\nFollow-up: {data['result']}",
            "unit": UNIT,
        }

    def _apply(self, conn: sa.Connection, notifications: Sequence[Notification]) -> None:
        for n in notifications:
            asked = self.request_of(n)
            if asked is None:
                continue
            kind, request = asked
            known = conn.execute(
                sa.select(delivered.c.source_ref).where(delivered.c.source_ref == request["source_ref"])
            ).scalar()
            if known is not None:
                continue
            # Raises when the other service does not take it: the transaction, position included, is rolled back
            # and the request is sent again at the next catch-up.
            opened_id, refused = None, None
            try:
                opened_id = self.openers[kind](request)
            except Refused as exc:
                # Kept with the reason for the operators, so that one bad request does not hold up the others.
                refused = str(exc)
                log.error("%s asked by %s refused: %s", kind, n.originator_id, refused)
            conn.execute(
                delivered.insert().values(
                    source_ref=request["source_ref"],
                    kind=kind,
                    origin_id=str(n.originator_id),
                    opened_id=opened_id,
                    delivered_at=self.clock(),
                    refused=refused,
                )
            )

    def opened_for(self, source_ref: str) -> str | None:
        """The id of the action or complaint opened for this source reference, once delivered."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(delivered.c.opened_id).where(delivered.c.source_ref == source_ref)).scalar()
