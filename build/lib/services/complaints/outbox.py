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

from collections.abc import Iterable
from datetime import date
from typing import Any

import sqlalchemy as sa
from eventsourcing.persistence import Notification

from services.complaints.application import COMPLAINT_TOPIC_PREFIX, ComplaintDesk
from shared import outbox
from shared.clock import Clock
from shared.outbox import Columns, Delivery, Open, Outbox

DECIDED = COMPLAINT_TOPIC_PREFIX + "CommitteeDecided"
TITLE_MAX = 200  # the actions service's limit on a title; the whole text goes in the description

COLUMNS = Columns(origin="complaint_id", opened="action_id", source_ref_length=200)
deliveries = outbox.deliveries_table("corrective_action_deliveries", COLUMNS)

OpenAction = Open  # the request -> the action's id; raises when not delivered
ActionNotDelivered = outbox.NotDelivered
ActionRefused = outbox.Refused


def http_opener(base_url: str, token: str | None, timeout: float = 10.0) -> OpenAction:
    return outbox.http_opener(base_url, "/internal/actions", token, "CRM_COMPLAINTS_SERVICE_TOKEN", timeout)


def source_ref(complaint_id: str, action_id: str) -> str:
    return f"complaint:{complaint_id}:{action_id}"


class CorrectiveActionOutbox:
    def __init__(self, desk: ComplaintDesk, engine: sa.Engine, open_action: OpenAction, clock: Clock):
        self.desk = desk
        self.engine = engine
        self.outbox = Outbox(
            desk,
            engine,
            table=deliveries,
            columns=COLUMNS,
            follower_name="corrective_action_outbox",
            requests=self._requests_of,
            opener=open_action,
            clock=clock,
            on_opened=self._opened,
        )
        self.follower = self.outbox.follower

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

    def _requests_of(self, n: Notification) -> Iterable[Delivery]:
        if n.topic != DECIDED:
            return []
        event = self.desk.mapper.to_domain_event(n)
        complaint_id = str(n.originator_id)
        return [
            Delivery(source_ref(complaint_id, action["id"]), complaint_id, self.request_for(action, complaint_id))
            for action in getattr(event, "corrective_actions", None) or []
        ]

    def _opened(self, n: Notification, delivery: Delivery, action_id: str) -> None:
        # The committee's own id for the action is the last part of the source_ref.
        self.desk.record_action_opened(n.originator_id, delivery.source_ref.rsplit(":", 1)[1], action_id)

    def refused(self) -> list[dict[str, Any]]:
        return self.outbox.refused()
