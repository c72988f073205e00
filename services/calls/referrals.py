"""Complaints opened from callbacks: a follower of the calls store delivers each recorded referral to the
complaints service's idempotent internal endpoint (`POST /internal/complaints`, keyed by `source_ref`).

The handler that records the callback only appends the intent (ComplaintReferralRequested); this follower tells
the complaints service, in log order, and moves its position only once the complaints service has answered. While
that service is down the follower retries at each poll; the same referral sent twice opens one complaint.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from services.calls.application import CallCentre
from services.calls.domain import Call
from shared import outbox
from shared.clock import Clock
from shared.outbox import Columns, Delivery, Open, Outbox

log = logging.getLogger(__name__)

REQUESTED = "Call.ComplaintReferralRequested"

COLUMNS = Columns(origin="call_id", opened="complaint_id")
delivered = outbox.deliveries_table("complaint_referrals", COLUMNS)

OpenComplaint = Open  # the referral -> the complaint's id; raises when not delivered
ComplaintNotDelivered = outbox.NotDelivered
ComplaintRefused = outbox.Refused


def http_opener(base_url: str, token: str | None, timeout: float = 10.0) -> OpenComplaint:
    return outbox.http_opener(base_url, "/internal/complaints", token, "CRM_CALLS_SERVICE_TOKEN", timeout)


class ComplaintReferrals:
    def __init__(self, centre: CallCentre, engine: sa.Engine, open_complaint: OpenComplaint, clock: Clock):
        self.centre = centre
        self.engine = engine
        self.outbox = Outbox(
            centre,
            engine,
            table=delivered,
            columns=COLUMNS,
            follower_name="complaint_referrals",
            requests=self._referral_of,
            opener=open_complaint,
            clock=clock,
            topics=[f"{get_topic(Call)}.{REQUESTED.split('.', 1)[1]}"],
            linger=0.25,  # a referral a quarter of a second later, rather than a look at the store per call event
            on_opened=lambda n, _, complaint_id: log.info(
                "complaint %s opened for call %s", complaint_id, n.originator_id
            ),
        )
        self.follower = self.outbox.follower

    def _referral_of(self, n: Notification) -> Delivery | None:
        if not n.topic.endswith(REQUESTED):
            return None
        referral: dict[str, Any] | None = self.centre.repository.get(
            n.originator_id, version=n.originator_version
        ).complaint_referral
        if referral is None:
            return None
        return Delivery(referral["source_ref"], str(n.originator_id), referral)

    def complaint_of(self, call_id: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(delivered.c.complaint_id).where(delivered.c.call_id == call_id)).scalar()
