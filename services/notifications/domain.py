"""A message to one person, as an aggregate: requested from a source event, attempted, then delivered or failed.

Its id is a uuid5 of a key made from the source event (the event's id, the kind of message, the recipient), so a
replayed or redelivered event asks for the same message again and the store refuses the second one: nothing is
sent twice. Every attempt is an event, so the audit export shows what was sent to whom, when, and why not.

Before a replica sends, it records that it started the attempt (AttemptStarted, with a lease that expires): the store
accepts that event from one replica only (the second's is at the same version and refused), and the others leave
the message alone until the lease has run out, so two replicas never send the same message. A replica that dies
between sending and recording the outcome leaves the lease to run out, and the message is tried again then.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from eventsourcing.domain import Aggregate, event

from shared.errors import DomainError

NS = uuid.UUID("5b0f3f0e-6c61-4b8e-9a1d-6e6f74696679")

CHANNELS = ("email", "sms")


class MessageClosed(DomainError):
    """The message was delivered or given up: nothing more is attempted."""


def message_id(key: str) -> uuid.UUID:
    return uuid.uuid5(NS, key)


MESSAGE_PERSON = "message:"


def message_person(key: str) -> str:
    """The key subject of a message sealed under a key of its own (one naming several people: an end-of-day list)."""
    return f"{MESSAGE_PERSON}{message_id(key)}"


def backoff_delay(attempt: int, first_seconds: float, max_seconds: float) -> timedelta:
    """The wait after the `attempt`-th failed attempt (1, 2, ...): doubled each time, capped."""
    return timedelta(seconds=min(first_seconds * (2 ** (attempt - 1)), max_seconds))


class Message(Aggregate):
    @event("Requested")
    def __init__(
        self,
        *,
        key: str,
        kind: str,
        channel: str,
        recipient: str,
        address: str | None,
        language: str,
        subject: str,
        body: str,
        source_type: str,
        source_id: str,
        at: datetime,
        send_at: datetime | None = None,
        person: str | None = None,
    ):
        self.key = key
        self.person = person  # whose key seals the address, subject and body (services/notifications/privacy.py)
        self.kind = kind
        self.channel = channel
        self.recipient = recipient
        self.address = address
        self.language = language
        self.subject = subject
        self.body = body
        self.source_type = source_type
        self.source_id = source_id
        self.requested_at = at
        self.status = "queued"
        self.attempts = 0
        self.next_attempt_at: datetime | None = send_at or at  # a reminder waits for its day
        self.last_error: str | None = None
        self.claimed_by: str | None = None

    @classmethod
    def create_id(cls, *, key: str, **_: object) -> uuid.UUID:
        return message_id(key)

    @property
    def closed(self) -> bool:
        return self.status in ("delivered", "failed", "cancelled")

    def cancel(self, *, reason: str, at: datetime) -> bool:
        """Withdraw a message not yet sent (a reminder for a registration since cancelled); False when too late."""
        if self.closed:
            return False
        self._cancelled(reason=reason, at=at)
        return True

    @event("Cancelled")
    def _cancelled(self, *, reason: str, at: datetime) -> None:
        self.status = "cancelled"
        self.last_error = reason
        self.next_attempt_at = None

    def _check_open(self) -> None:
        if self.closed:
            raise MessageClosed(f"message {self.id} is {self.status}")

    def start_attempt(self, *, by: str, at: datetime, lease_until: datetime) -> None:
        """Claim the next attempt for the replica `by` until `lease_until` (saved before anything is sent)."""
        self._check_open()
        self._attempt_started(attempt=self.attempts + 1, by=by, at=at, lease_until=lease_until)

    @event("AttemptStarted")
    def _attempt_started(self, *, attempt: int, by: str, at: datetime, lease_until: datetime) -> None:
        self.status = "sending"
        self.claimed_by = by
        self.next_attempt_at = lease_until  # another replica may try once the lease has run out

    def deliver(self, *, at: datetime) -> None:
        self._check_open()
        self._delivered(attempt=self.attempts + 1, at=at)

    @event("Delivered")
    def _delivered(self, *, attempt: int, at: datetime) -> None:
        self.attempts = attempt
        self.status = "delivered"
        self.next_attempt_at = None

    def fail_attempt(self, *, error: str, at: datetime, next_attempt_at: datetime | None) -> None:
        """A failed attempt: tried again at `next_attempt_at`, or given up when None (attempts used, or no address)."""
        self._check_open()
        if next_attempt_at is None:
            self._failed(attempt=self.attempts + 1, error=error[:1000], at=at)
        else:
            self._attempt_failed(attempt=self.attempts + 1, error=error[:1000], at=at, next_attempt_at=next_attempt_at)

    @event("AttemptFailed")
    def _attempt_failed(self, *, attempt: int, error: str, at: datetime, next_attempt_at: datetime) -> None:
        self.attempts = attempt
        self.status = "retrying"
        self.last_error = error
        self.next_attempt_at = next_attempt_at

    @event("Failed")
    def _failed(self, *, attempt: int, error: str, at: datetime) -> None:
        self.attempts = attempt
        self.status = "failed"
        self.last_error = error
        self.next_attempt_at = None
