"""Complaints opened from surveys: a follower of the surveys store delivers each complaint a survey recorded
(dissatisfaction voiced in a call; later, scores below the thresholds) to the complaints service's idempotent
internal endpoint (`POST /internal/complaints`, keyed by `source_ref`).

The handler that records the answer only appends the event; this follower tells the complaints service, in log
order, and moves its position only once the complaints service has answered. While that service is down the
follower retries at each poll; the same complaint sent twice opens one complaint there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import sqlalchemy as sa
from eventsourcing.persistence import Notification

from services.surveys.application import SurveyOffice
from shared.clock import Clock
from shared.follower import NotificationFollower

log = logging.getLogger(__name__)

# The events that carry a complaint to open, in their `complaint` field.
CARRIERS = ("Contact.DissatisfactionRecorded", "Survey.ComplaintRaised")

metadata = sa.MetaData()
delivered = sa.Table(
    "survey_complaints",
    metadata,
    sa.Column("source_ref", sa.String(300), primary_key=True),
    sa.Column("survey_id", sa.String(36), nullable=False, index=True),
    sa.Column("complaint_id", sa.String(36)),  # None: refused for good, see `refused`
    sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("refused", sa.Text),
)

OpenComplaint = Callable[[dict[str, Any]], str]  # the complaint -> its id there; raises when not delivered


class ComplaintNotDelivered(RuntimeError):
    """Not delivered now (the complaints service is down, busy, or not authorised yet): try again later."""


class ComplaintRefused(RuntimeError):
    """The complaints service refused the complaint itself (422): sending it again would not change that."""


def http_opener(base_url: str, token: str | None, timeout: float = 10.0) -> OpenComplaint:
    def open_complaint(complaint: dict[str, Any]) -> str:
        if not token:
            raise ComplaintNotDelivered("no service token for the complaints service (CRM_SURVEYS__SERVICE_TOKEN)")
        try:
            response = httpx.post(
                f"{base_url}/internal/complaints",
                json=complaint,
                headers={"Authorization": f"Bearer {token}"},
                timeout=timeout,
            )
        except httpx.HTTPError as exc:
            raise ComplaintNotDelivered(f"complaints service unreachable: {exc}") from exc
        if response.status_code == 422:
            raise ComplaintRefused(f"complaints service refused it: {response.text[:500]}")
        if response.status_code not in (200, 201):
            raise ComplaintNotDelivered(f"complaints service answered {response.status_code}: {response.text[:300]}")
        return str(response.json()["id"])

    return open_complaint


class SurveyComplaints:
    def __init__(self, office: SurveyOffice, engine: sa.Engine, open_complaint: OpenComplaint, clock: Clock):
        self.office = office
        self.engine = engine
        self.open_complaint = open_complaint
        self.clock = clock
        metadata.create_all(engine)
        # Every few seconds, not at once: a complaints service that is down is retried without hammering it.
        self.follower = NotificationFollower(office, "survey_complaints", engine, self._apply, poll_interval=5.0)

    def _apply(self, conn: sa.Connection, notifications: Sequence[Notification]) -> None:
        for n in notifications:
            if not n.topic.endswith(CARRIERS):
                continue
            event = self.office.mapper.to_domain_event(n)
            complaint: dict[str, Any] = dict(event.complaint)  # type: ignore[attr-defined]  # every carrier has it
            known = conn.execute(
                sa.select(delivered.c.source_ref).where(delivered.c.source_ref == complaint["source_ref"])
            ).scalar()
            if known is not None:
                continue
            # Raises when the complaints service does not take it: the transaction, position included, is rolled
            # back and the complaint is sent again at the next catch-up.
            complaint_id, refused = None, None
            try:
                complaint_id = self.open_complaint(complaint)
            except ComplaintRefused as exc:
                # Kept with the reason for the operators, so that one bad complaint does not hold up the others.
                refused = str(exc)
                log.error("complaint %s refused: %s", complaint["source_ref"], refused)
            conn.execute(
                delivered.insert().values(
                    source_ref=complaint["source_ref"],
                    survey_id=_survey_of(complaint["source_ref"]),
                    complaint_id=complaint_id,
                    delivered_at=self.clock(),
                    refused=refused,
                )
            )

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
