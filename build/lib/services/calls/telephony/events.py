"""The one shape every telephony source is parsed into, its errors, and what the parsers share: extensions from
channel names, epoch times and durations as the PBX writes them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Literal, get_args

from shared.validation import MAX_PBX_ID

TelephonyKind = Literal[
    "ringing", "queued", "agent_missed", "answered", "queue_timeout", "abandoned", "transferred", "completed"
]
TELEPHONY_KINDS: frozenset[str] = frozenset(get_args(TelephonyKind))
TelephonySource = Literal["webhook", "ami", "queue_log"]
CallDirection = Literal["incoming", "outgoing"]
CallPurpose = Literal["survey", "announcement", "complaint_follow_up"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


MAX_SECONDS = 7 * 24 * 3600  # no call waits or lasts a week; larger numbers overflow the read models' integers
_MAX_FIELD = 100  # numbers, queues, extensions: what the webhook has always allowed
_MAX_EVENT_ID = 4 * MAX_PBX_ID + 6 * _MAX_FIELD  # AMI and queue_log ids are built from several of the PBX's fields


class TelephonyError(ValueError):
    """A PBX record that cannot be understood. The message names the field (and the line, for files)."""

    def __init__(self, message: str, *, field: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.line = line


@dataclass(frozen=True)
class TelephonyEvent:
    """One thing the telephone system reported about one call, whatever the source."""

    source: TelephonySource
    event_id: str  # idempotency key: the same PBX event always gets the same id
    call_id: str  # the PBX's id of the call (webhook call_id, AMI Linkedid, queue_log callid)
    kind: TelephonyKind
    at: datetime  # UTC
    direction: CallDirection = "incoming"
    caller: str | None = None  # raw, as the PBX gave it
    callee: str | None = None  # dialled number (DID), raw
    queue: str | None = None  # PBX queue name
    agent: str | None = None  # extension number of the queue member
    target: str | None = None  # "transferred": the extension or queue the call went to
    purpose: CallPurpose | None = None  # outgoing calls only
    wait_seconds: int | None = None
    talk_seconds: int | None = None

    def __post_init__(self) -> None:
        # Guard the invariants here so that no source can produce an event the application would misread.
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise TelephonyError(f"event {self.event_id}: time {self.at.isoformat()} has no time zone", field="at")
        if self.at.tzinfo is not UTC:
            object.__setattr__(self, "at", self.at.astimezone(UTC))
        # One bound for every way in (webhook, AMI, queue_log): a 2 MB call id from a file once went to Kafka.
        if not self.call_id or len(self.call_id) > MAX_PBX_ID:
            raise TelephonyError(
                f"event {self.event_id[:80]}: call id longer than {MAX_PBX_ID} characters", field="call_id"
            )
        if len(self.event_id) > _MAX_EVENT_ID:
            raise TelephonyError(f"event id longer than {_MAX_EVENT_ID} characters", field="event_id")
        for name in ("caller", "callee", "queue", "agent", "target"):
            value = getattr(self, name)
            if value is not None and len(value) > _MAX_FIELD:
                raise TelephonyError(
                    f"event {self.event_id[:80]}: {name} longer than {_MAX_FIELD} characters", field=name
                )
        for name in ("wait_seconds", "talk_seconds"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= MAX_SECONDS:
                raise TelephonyError(f"event {self.event_id[:80]}: {name} {value} is not a call's duration", field=name)
        if self.kind not in TELEPHONY_KINDS:
            raise TelephonyError(f"event {self.event_id}: unknown kind {self.kind!r}", field="kind")
        if self.purpose is not None and self.direction != "outgoing":
            raise TelephonyError(f"event {self.event_id}: a purpose is only given for outgoing calls", field="purpose")


# --- extensions ----------------------------------------------------------------------------------------------

# Channel names carry a per-call sequence ("PJSIP/201-0000002a") and Local channels a half (";1", ";2").
_CHANNEL_SEQUENCE = re.compile(r"-[0-9a-fA-F]{8}$")
_LOCAL_HALF = re.compile(r";[12]$")
_TECHNOLOGY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def normalise_extension(channel: str) -> str:
    """The extension number in a queue member interface or channel name.

    "SIP/201", "PJSIP/201", "PJSIP/201-0000002a", "Local/201@from-queue/n", "Local/201@from-queue-0000001f;1",
    "Agent/201" all give "201". A bare extension ("201") or a member name without a technology is returned as
    given (stripped): FreePBX lets queue members be named, and a name is still the best key we have.
    """
    text = channel.strip()
    if not text:
        raise TelephonyError("empty extension or channel name", field="agent")
    technology, slash, resource = text.partition("/")
    if not slash or not _TECHNOLOGY.match(technology):
        return text
    resource = resource.split("@", 1)[0]  # Local/201@from-queue/n: the dialplan context is not the extension
    resource = resource.split("/", 1)[0]  # PJSIP/201/sip:201@10.0.0.5: a contact URI after the endpoint
    resource = _LOCAL_HALF.sub("", resource)
    resource = _CHANNEL_SEQUENCE.sub("", resource)
    if not resource:
        raise TelephonyError(f"no extension in channel name {channel!r}", field="agent")
    return resource


# --- shared helpers ------------------------------------------------------------------------------------------


def epoch_microseconds(value: object, field: str, where: str) -> int:
    """Epoch seconds (int, float or decimal string) as whole microseconds, exactly as written."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise TelephonyError(f"{where}: {field} {value!r} is not epoch seconds", field=field)
    try:
        seconds = Decimal(str(value).strip())
    except InvalidOperation:
        raise TelephonyError(f"{where}: {field} {value!r} is not epoch seconds", field=field) from None
    if not seconds.is_finite() or seconds <= 0:
        raise TelephonyError(f"{where}: {field} {value!r} is not epoch seconds", field=field)
    return int((seconds * 1_000_000).to_integral_value(rounding=ROUND_HALF_EVEN))


def from_microseconds(micros: int, field: str, where: str) -> datetime:
    try:
        return _EPOCH + timedelta(microseconds=micros)
    except OverflowError:
        raise TelephonyError(f"{where}: {field} is out of range", field=field) from None


def whole_seconds(value: object, field: str, where: str) -> int | None:
    """A duration in whole seconds; absent or empty is None, anything else that is not a count is an error."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TelephonyError(f"{where}: {field} {value!r} is not a number of seconds", field=field)
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        if not text:
            return None
        if not (text.isascii() and text.isdigit()):
            raise TelephonyError(f"{where}: {field} {value!r} is not a number of seconds", field=field)
        number = int(text)
    if number < 0:
        raise TelephonyError(f"{where}: {field} {value!r} is negative", field=field)
    return number
