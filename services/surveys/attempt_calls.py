"""Each contact attempt by phone is an outgoing call the call centre knows: a follower of the surveys store posts
every attempt (unanswered, declined, or the call that brought the answers) to the calls service's idempotent internal
door (`POST /internal/calls`, keyed by `source_ref`), with the purpose `survey`, the line it was placed from and
whether the member picked up.

The handler that records the attempt only appends the event; this follower tells the calls service, in log order,
and moves its position only once that service has answered. While it is down the follower retries at each poll; the
same attempt sent twice records one call (see shared/outbox.py).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from eventsourcing.persistence import Notification

from services.surveys.application import SurveyOffice
from services.surveys.complaints import OUTBOX_LINGER
from services.surveys.domain import Contact
from shared import outbox
from shared.clock import Clock
from shared.outbox import Columns, Delivery, Open, Outbox

ATTEMPTED = "Contact.AttemptRecorded"
RESPONDED = "Contact.Responded"  # by phone: the call that brought the answers is an attempt too
REACHED = ("answered", "declined")  # the member picked up

COLUMNS = Columns(origin="survey_id", opened="call_id")
delivered = outbox.deliveries_table("survey_calls", COLUMNS)


def http_caller(base_url: str, token: str | None, timeout: float = 10.0) -> Open:
    return outbox.http_opener(base_url, "/internal/calls", token, "CRM_SURVEYS__SERVICE_TOKEN", timeout)


def attempt_ref(survey_id: str, membership_number: str, number: int) -> str:
    return f"surveys:{survey_id}:member:{membership_number}:attempt:{number}"


class SurveyCalls:
    def __init__(self, office: SurveyOffice, engine: sa.Engine, place_call: Open, clock: Clock):
        self.office = office
        self.engine = engine
        self.place_call = place_call
        self.outbox = Outbox(
            office,
            engine,
            table=delivered,
            columns=COLUMNS,
            follower_name="survey_calls",
            requests=self.request_of,
            # Looked up at each delivery, so that the caller can be swapped on a running outbox.
            opener=lambda request: self.place_call(request),
            clock=clock,
        )
        self.follower = self.outbox.follower
        self.follower.linger = OUTBOX_LINGER  # as the complaints' outbox: the calls of a moment told together

    def request_of(self, n: Notification) -> Delivery | None:
        """The outgoing call an attempt asks the calls service to record, or None for any other event."""
        if not n.topic.endswith((ATTEMPTED, RESPONDED)):
            return None
        contact: Contact = self.office.repository.get(n.originator_id, version=n.originator_version)
        if n.topic.endswith(RESPONDED):
            event: Any = self.office.mapper.to_domain_event(n)
            if event.attempt is None:  # answered online: no call
                return None
        attempt = contact.attempts[-1]  # the attempt this event recorded
        ref = attempt_ref(contact.survey_id, contact.membership_number, attempt["number"])
        request = {
            "source_ref": ref,
            "purpose": "survey",
            "line": attempt["line"],
            "membership_number": contact.membership_number,
            "placed_by": attempt["by"],
            "at": attempt["at"].isoformat(),
            "reached": attempt["outcome"] in REACHED,
        }
        return Delivery(ref, contact.survey_id, request)

    def catch_up(self) -> int:
        return self.follower.catch_up()

    def call_of(self, source_ref: str) -> str | None:
        """The id of the call the calls service recorded for this attempt, once delivered."""
        return self.outbox.opened_for(source_ref)
