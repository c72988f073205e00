"""Complaints opened from callbacks: a follower of the calls store delivers each recorded referral to the
complaints service's idempotent internal endpoint (`POST /internal/complaints`, keyed by `source_ref`).

The handler that records the callback only appends the intent (ComplaintReferralRequested); this follower tells
the complaints service, in log order, and moves its position only once the complaints service has answered. While
that service is down the follower retries at each poll; the same referral sent twice opens one complaint.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import sqlalchemy as sa
from eventsourcing.persistence import Notification

from services.calls.application import CallCentre
from shared.clock import Clock
from shared.db import create_tables
from shared.follower import NotificationFollower

log = logging.getLogger(__name__)

REQUESTED = "Call.ComplaintReferralRequested"

metadata = sa.MetaData()
delivered = sa.Table(
    "complaint_referrals",
    metadata,
    sa.Column("source_ref", sa.String(300), primary_key=True),
    sa.Column("call_id", sa.String(36), nullable=False, index=True),
    sa.Column("complaint_id", sa.String(36)),  # None: refused for good, see `refused`
    sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("refused", sa.Text),
)

OpenComplaint = Callable[[dict[str, Any]], str]  # the referral -> the complaint's id; raises when not delivered


class ComplaintNotDelivered(RuntimeError):
    """Not delivered now (the complaints service is down, busy, or not authorised yet): try again later."""


class ComplaintRefused(RuntimeError):
    """The complaints service refused the referral itself (422): sending it again would not change that."""


def http_opener(base_url: str, token: str | None, timeout: float = 10.0) -> OpenComplaint:
    def open_complaint(referral: dict[str, Any]) -> str:
        if not token:
            raise ComplaintNotDelivered("no service token for the complaints service (CRM_CALLS_SERVICE_TOKEN)")
        try:
            response = httpx.post(
                f"{base_url}/internal/complaints",
                json=referral,
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


class ComplaintReferrals:
    def __init__(self, centre: CallCentre, engine: sa.Engine, open_complaint: OpenComplaint, clock: Clock):
        self.centre = centre
        self.engine = engine
        self.open_complaint = open_complaint
        self.clock = clock
        create_tables(metadata, engine)
        # Every few seconds, not at once: a complaints service that is down is retried without hammering it.
        self.follower = NotificationFollower(centre, "complaint_referrals", engine, self._apply, poll_interval=5.0)

    def _apply(self, conn: sa.Connection, notifications: Sequence[Notification]) -> None:
        for n in notifications:
            if not n.topic.endswith(REQUESTED):
                continue
            referral: dict[str, Any] | None = self.centre.repository.get(
                n.originator_id, version=n.originator_version
            ).complaint_referral
            if referral is None:
                continue
            known = conn.execute(
                sa.select(delivered.c.source_ref).where(delivered.c.source_ref == referral["source_ref"])
            ).scalar()
            if known is not None:
                continue
            # Raises when the complaints service does not take it: the transaction, position included, is rolled
            # back and the referral is sent again at the next catch-up.
            complaint_id, refused = None, None
            try:
                complaint_id = self.open_complaint(referral)
            except ComplaintRefused as exc:
                # Kept with the reason for the operators, so that one bad referral does not hold up the others.
                refused = str(exc)
                log.error("complaint referral of call %s refused: %s", n.originator_id, refused)
            conn.execute(
                delivered.insert().values(
                    source_ref=referral["source_ref"],
                    call_id=str(n.originator_id),
                    complaint_id=complaint_id,
                    delivered_at=self.clock(),
                    refused=refused,
                )
            )
            if complaint_id:
                log.info("complaint %s opened for call %s", complaint_id, n.originator_id)

    def complaint_of(self, call_id: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(delivered.c.complaint_id).where(delivered.c.call_id == call_id)).scalar()
