"""What desks and sessions ask of other services: a follower of the desks store delivers each desk decision found
not carried out to the actions service's idempotent internal door (`POST /internal/actions`), and each problem a
session raised about the chamber's own services to the complaints service's (`POST /internal/complaints`), both
keyed by `source_ref`.

The handler only appends the event; this follower tells the other service, in log order, and moves its position
only once that service has answered. While it is down the follower retries at each poll; the same request sent
twice opens one action or complaint (see shared/outbox.py).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from eventsourcing.persistence import Notification

from services.desks.application import DeskOffice
from services.desks.domain import Desk
from services.desks.sessions import Session
from shared import outbox
from shared.clock import Clock
from shared.outbox import Columns, Delivery, NotDelivered, Open, Refused

__all__ = ["NotDelivered", "Open", "Outbox", "Refused", "http_opener"]

FOLLOWED_UP = "Desk.FollowUpRecorded"
PROBLEM_RAISED = "Session.ProblemRaised"
UNIT = "member_services"  # the unit that runs the desks answers for their follow-up actions

# kind: action or complaint; origin_id: the desk or the session; opened_id: the action's or complaint's id
COLUMNS = Columns(origin="origin_id", opened="opened_id", kind="kind")
delivered = outbox.deliveries_table("desk_outbox", COLUMNS)


def http_opener(base_url: str, token: str | None, door: str = "/internal/actions", timeout: float = 10.0) -> Open:
    return outbox.http_opener(base_url, door, token, "CRM_DESKS__SERVICE_TOKEN", timeout)


class Outbox:
    def __init__(self, office: DeskOffice, engine: sa.Engine, open_action: Open, open_complaint: Open, clock: Clock):
        self.office = office
        self.engine = engine
        self.outbox = outbox.Outbox(
            office,
            engine,
            table=delivered,
            columns=COLUMNS,
            follower_name="desk_outbox",
            requests=self._delivery_of,
            opener={"action": open_action, "complaint": open_complaint},
            clock=clock,
        )
        self.follower = self.outbox.follower

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

    def _delivery_of(self, n: Notification) -> Delivery | None:
        asked = self.request_of(n)
        if asked is None:
            return None
        kind, request = asked
        return Delivery(request["source_ref"], str(n.originator_id), request, kind=kind)

    def opened_for(self, source_ref: str) -> str | None:
        """The id of the action or complaint opened for this source reference, once delivered."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(delivered.c.opened_id).where(delivered.c.source_ref == source_ref)).scalar()
