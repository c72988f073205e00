"""Complaints opened from surveys: a follower of the surveys store delivers each complaint a survey recorded
(dissatisfaction voiced in a call; later, scores below the thresholds) to the complaints service's idempotent
internal endpoint (`POST /internal/complaints`, keyed by `source_ref`).

The handler that records the answer only appends the event; this follower tells the complaints service, in log
order, and moves its position only once the complaints service has answered. While that service is down the
follower retries at each poll; the same complaint sent twice opens one complaint there.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from eventsourcing.persistence import Notification

from services.surveys.application import SurveyOffice
from shared import outbox
from shared.clock import Clock
from shared.outbox import Columns, Delivery, Open, Outbox

log = logging.getLogger(__name__)

# The events that carry a complaint to open, in their `complaint` field.
CARRIERS = ("Contact.DissatisfactionRecorded", "Survey.ComplaintRaised")

COLUMNS = Columns(origin="survey_id", opened="complaint_id")
delivered = outbox.deliveries_table("survey_complaints", COLUMNS)

OpenComplaint = Open  # the complaint -> its id in the complaints service; raises when not delivered
ComplaintNotDelivered = outbox.NotDelivered
ComplaintRefused = outbox.Refused


def http_opener(base_url: str, token: str | None, timeout: float = 10.0) -> OpenComplaint:
    return outbox.http_opener(base_url, "/internal/complaints", token, "CRM_SURVEYS__SERVICE_TOKEN", timeout)


OUTBOX_LINGER = 0.2  # seconds an outbox follower, once woken, lets the next saves come before it catches up


class SurveyComplaints:
    def __init__(self, office: SurveyOffice, engine: sa.Engine, open_complaint: OpenComplaint, clock: Clock):
        self.office = office
        self.engine = engine
        self.open_complaint = open_complaint
        self.outbox = Outbox(
            office,
            engine,
            table=delivered,
            columns=COLUMNS,
            follower_name="survey_complaints",
            requests=self._complaint_of,
            # Looked up at each delivery, so that the opener can be swapped on a running outbox.
            opener=lambda complaint: self.open_complaint(complaint),
            clock=clock,
        )
        self.follower = self.outbox.follower
        # Woken by every save, nearly all answers without a complaint: a catch-up per answer cost as much as the
        # index's. A complaint waits a moment longer to be told, with the saves of that moment.
        self.follower.linger = OUTBOX_LINGER

    def _complaint_of(self, n: Notification) -> Delivery | None:
        if not n.topic.endswith(CARRIERS):
            return None
        event = self.office.mapper.to_domain_event(n)
        complaint: dict[str, Any] = dict(event.complaint)  # type: ignore[attr-defined]  # every carrier has it
        return Delivery(complaint["source_ref"], _survey_of(complaint["source_ref"]), complaint)

    def catch_up(self) -> int:
        return self.follower.catch_up()

    def complaint_of(self, source_ref: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(delivered.c.complaint_id).where(delivered.c.source_ref == source_ref)
            ).scalar()

    def opened(self, survey_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(delivered).where(delivered.c.survey_id == survey_id).order_by(delivered.c.delivered_at)
            ).mappings()
            return [dict(r) for r in rows]


def _survey_of(source_ref: str) -> str:
    """surveys:<survey id>:... names the survey."""
    return source_ref.split(":")[1]
