"""What the chamber's telephone system says about calls, parsed and normalised into one shape.

Three ways in, one way out (`TelephonyEvent`):

* the canonical JSON webhook (`CallEventIn`), for any PBX or middleware that can post JSON;
* Asterisk / Issabel / FreePBX Manager Interface events, as JSON objects (`parse_ami_event`);
* the Asterisk ``queue_log`` file, ``time|callid|queue|agent|event|data1|data2|...`` (`parse_queue_log`).

Every event carries ``event_id``, a key derived only from what the PBX said (never from when or how often we
received it), so that replaying a log after an outage, or a webhook retried by the PBX, is recognised and
changes nothing. This module is pure: no clock, no I/O, no configuration. Mapping queues to units,
extensions to experts and raw numbers to E.164 is the application's job.

What the kinds mean, whatever the source:

* ``ringing``       the call reached the chamber (first sight, before any queue);
* ``queued``        the caller entered a PBX queue (a unit's, or member relations');
* ``agent_missed``  one queue member's phone rang and was not answered; the caller is still waiting;
* ``answered``      a queue member (``agent``) took the call; ``wait_seconds`` is the time in the queue;
* ``queue_timeout`` the caller left the queue unanswered without hanging up (timeout, queue empty, a key
                    pressed, or the queue could not be joined): the unit did not answer, the PBX routes on;
* ``abandoned``     the caller hung up while waiting;
* ``transferred``   the answering member passed the call on (``target``: extension or queue, when known);
* ``completed``     the PBX reports the call (or its queue session) over. It does not by itself mean the call
                    was answered: that is known from an ``answered`` before it. A call can be reported
                    completed more than once (AMI sends AgentComplete and then the caller's Hangup); the
                    application treats the second report as no news.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Literal, get_args
from zoneinfo import ZoneInfo

from pydantic import AliasChoices, AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.validation import MAX_PBX_ID, PbxId, control_character, describe_control

__all__ = [
    "DEFAULT_INBOUND_CONTEXTS",
    "CallEventIn",
    "TelephonyError",
    "TelephonyEvent",
    "TelephonyKind",
    "normalise_extension",
    "parse_ami_event",
    "parse_queue_log",
]

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


# --- canonical webhook ---------------------------------------------------------------------------------------


class CallEventIn(BaseModel):
    """A call event posted by the telephone system (or any middleware in front of it) as JSON."""

    model_config = ConfigDict(
        extra="forbid",  # a misspelt field must be an error, not a silently lost fact
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "event_id": "pbx-1710221412.102-answered",
                    "call_id": "1710221400.102",
                    "type": "answered",
                    "at": "2024-03-12T05:30:12Z",
                    "direction": "incoming",
                    "caller": "09131234567",
                    "callee": "03136645000",
                    "queue": "601",
                    "extension": "201",
                    "wait_seconds": 12,
                }
            ]
        },
    )

    event_id: PbxId = Field(description="The PBX's id of this event; repeats are ignored")
    call_id: PbxId = Field(description="The PBX's id of the call")
    type: TelephonyKind
    at: AwareDatetime = Field(description="When it happened, with a UTC offset")
    direction: CallDirection = "incoming"
    # "from"/"to" are what many PBX webhooks call them; the documented names match the rest of the CRM.
    caller: str | None = Field(
        default=None, max_length=100, validation_alias=AliasChoices("caller", "from"), description="Calling number, raw"
    )
    callee: str | None = Field(
        default=None, max_length=100, validation_alias=AliasChoices("callee", "to"), description="Dialled number, raw"
    )
    queue: str | None = Field(default=None, max_length=100)
    extension: str | None = Field(default=None, max_length=100, description="The answering/missing member's extension")
    target: str | None = Field(default=None, max_length=100, description="For 'transferred': extension or queue")
    purpose: CallPurpose | None = Field(default=None, description="Outgoing calls only")
    wait_seconds: int | None = Field(default=None, ge=0, le=MAX_SECONDS)
    talk_seconds: int | None = Field(default=None, ge=0, le=MAX_SECONDS)

    @field_validator("caller", "callee", "queue", "extension", "target", mode="after")
    @classmethod
    def _empty_is_absent(cls, value: str | None) -> str | None:
        return value or None

    @model_validator(mode="after")
    def _coherent(self) -> CallEventIn:
        if self.purpose is not None and self.direction != "outgoing":
            raise ValueError("purpose is only allowed for outgoing calls")
        if self.target is not None and self.type != "transferred":
            raise ValueError("target is only allowed for type 'transferred'")
        return self

    def to_event(self) -> TelephonyEvent:
        return TelephonyEvent(
            source="webhook",
            event_id=self.event_id,
            call_id=self.call_id,
            kind=self.type,
            at=self.at.astimezone(UTC),
            direction=self.direction,
            caller=self.caller,
            callee=self.callee,
            queue=self.queue,
            agent=normalise_extension(self.extension) if self.extension else None,
            target=normalise_extension(self.target) if self.target else None,
            purpose=self.purpose,
            wait_seconds=self.wait_seconds,
            talk_seconds=self.talk_seconds,
        )


# --- shared helpers ------------------------------------------------------------------------------------------


def _epoch_microseconds(value: object, field: str, where: str) -> int:
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


def _from_microseconds(micros: int, field: str, where: str) -> datetime:
    try:
        return _EPOCH + timedelta(microseconds=micros)
    except OverflowError:
        raise TelephonyError(f"{where}: {field} is out of range", field=field) from None


def _seconds(value: object, field: str, where: str) -> int | None:
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


# --- Asterisk Manager Interface ------------------------------------------------------------------------------

# Contexts in which FreePBX and Issabel create the channels of calls arriving on trunks. Only those channels'
# first ring is an incoming call of the chamber; extensions ringing each other are not. Plain Asterisk
# installations name their own: pass them as `inbound_contexts`.
DEFAULT_INBOUND_CONTEXTS: frozenset[str] = frozenset({"from-trunk", "from-pstn"})

_RING_STATE = "4"  # ChannelState 4, "Ring": a call offered to us and not yet answered
_AMI_NO_NUMBER = frozenset({"", "<unknown>"})  # Asterisk's placeholder when there is no caller id


def _ami_text(fields: Mapping[str, object], key: str) -> str | None:
    value = fields.get(key)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _ami_number(fields: Mapping[str, object], key: str) -> str | None:
    text = _ami_text(fields, key)
    return None if text is None or text.lower() in _AMI_NO_NUMBER else text


def _ami_callee(fields: Mapping[str, object]) -> str | None:
    # On a trunk channel's first ring Exten is the dialled number; "s" means the trunk delivered none. (In queue
    # events Exten is the queue's own extension, not what the caller dialled.)
    exten = _ami_text(fields, "exten")
    return None if exten is None or exten == "s" else exten


def parse_ami_event(
    payload: Mapping[str, object],
    received_at: datetime | None = None,
    *,
    inbound_contexts: Collection[str] = DEFAULT_INBOUND_CONTEXTS,
) -> TelephonyEvent | None:
    """The call-tracking meaning of one AMI event, or None when it has none.

    Keys are matched case-insensitively (Asterisk spells "Uniqueid" and, in Cdr, "UniqueID"). The event time
    is the AMI ``Timestamp`` (``timestampevents = yes`` in manager.conf); without it, `received_at` is used,
    and without either the event is refused, because a guessed time would misplace the call.

    Raises TelephonyError when an event that matters lacks what it needs (a call id, a queue, a member).
    """
    fields: dict[str, object] = {str(key).strip().lower(): value for key, value in payload.items()}
    name = _ami_text(fields, "event")
    if name is None:
        raise TelephonyError("AMI payload has no 'Event' field", field="Event")
    event = name.lower()
    where = f"AMI {name} event"

    linkedid = _ami_text(fields, "linkedid")
    uniqueid = _ami_text(fields, "uniqueid")
    kind: TelephonyKind
    if event in ("newchannel", "newstate"):
        # First sight of an incoming call: the caller's leg (the oldest channel, so Uniqueid == Linkedid)
        # ringing in a trunk context. Agent legs and internal calls are created in other contexts.
        ringing = _ami_text(fields, "channelstate") == _RING_STATE or (
            (_ami_text(fields, "channelstatedesc") or "").lower() == "ring"
        )
        if not ringing or _ami_text(fields, "context") not in inbound_contexts:
            return None
        if linkedid is not None and uniqueid is not None and linkedid != uniqueid:
            return None
        kind = "ringing"
    elif event == "queuecallerjoin":
        kind = "queued"
    elif event == "agentconnect":
        kind = "answered"
    elif event == "agentringnoanswer":
        kind = "agent_missed"
    elif event == "queuecallerabandon":
        kind = "abandoned"
    elif event == "agentcomplete":
        # Reason is "caller", "agent" or "transfer". The queue_log writes TRANSFER instead of COMPLETE* for
        # the last one; do the same, so both sources tell the application the same story. AMI does not say
        # where the call went, so the target stays unknown.
        kind = "transferred" if (_ami_text(fields, "reason") or "").lower() == "transfer" else "completed"
    elif event == "hangup":
        # Only the caller's leg ends the call; agents' legs hang up all the time. Without a Linkedid the leg
        # cannot be told apart, so such a Hangup says nothing.
        if linkedid is None or uniqueid != linkedid:
            return None
        kind = "completed"
    else:
        # QueueCallerLeave is sent whenever a caller leaves a queue, answered or not, and does not say why;
        # a timeout shows as a QueueCallerLeave without AgentConnect or abandon, which only the application,
        # seeing the whole call, can conclude (the queue_log says it outright: EXITWITHTIMEOUT).
        # Cdr: its "ANSWERED" means the PBX answered (an IVR or a queue counts), not a person.
        # BlindTransfer/AttendedTransfer: transfers out of a queue arrive as AgentComplete above; transfers
        # between extensions outside queues are not followed.
        # AgentCalled, AgentDump, PeerStatus, ...: nothing about the course of a call.
        return None

    call_id = linkedid or uniqueid
    if call_id is None:
        raise TelephonyError(f"{where} has neither Linkedid nor Uniqueid", field="Linkedid")

    queue = _ami_text(fields, "queue")
    if queue is None and event not in ("newchannel", "newstate", "hangup"):
        raise TelephonyError(f"{where} for call {call_id} has no Queue", field="Queue")

    # Interface ("PJSIP/201", "Local/201@from-queue/n") names the extension; MemberName may be a person's name.
    member_key = "Interface" if _ami_text(fields, "interface") else "MemberName"
    member = _ami_text(fields, member_key.lower())
    agent: str | None = None
    if event.startswith("agent"):
        if member is None:
            raise TelephonyError(f"{where} for call {call_id} has neither Interface nor MemberName", field="Interface")
        try:
            agent = normalise_extension(member)
        except TelephonyError as error:
            raise TelephonyError(f"{where} for call {call_id}: {member_key}: {error}", field=member_key) from None

    stamp = fields.get("timestamp")
    if stamp is not None and str(stamp).strip():
        micros = _epoch_microseconds(stamp, "Timestamp", where)
        at = _from_microseconds(micros, "Timestamp", where)
        time_key = str(micros)
    elif received_at is not None:
        if received_at.tzinfo is None or received_at.utcoffset() is None:
            raise ValueError("received_at must be timezone-aware")
        at = received_at.astimezone(UTC)
        # The id must not depend on when we received the event, or a replay would not be recognised. Without a
        # Timestamp the agent leg's own Uniqueid (DestUniqueid) still tells repeated ring attempts apart.
        time_key = ""
    else:
        raise TelephonyError(f"{where} for call {call_id} has no Timestamp", field="Timestamp")

    hold = _seconds(fields.get("holdtime"), "HoldTime", where)
    talk = _seconds(fields.get("talktime"), "TalkTime", where)
    event_id = ":".join(
        (
            "ami",
            call_id,
            uniqueid or "",
            event,
            queue or "",
            member or "",
            _ami_text(fields, "destuniqueid") or "",
            time_key,
        )
    )
    return TelephonyEvent(
        source="ami",
        event_id=event_id,
        call_id=call_id,
        kind=kind,
        at=at,
        caller=_ami_number(fields, "calleridnum"),
        callee=_ami_callee(fields) if kind == "ringing" else None,
        queue=queue,
        agent=agent,
        wait_seconds=hold if kind != "ringing" else None,
        talk_seconds=talk if kind in ("completed", "transferred") else None,
    )


# --- Asterisk queue_log --------------------------------------------------------------------------------------

# Event -> (kind, where the wait time is, where the talk time is): a data field's 0-based index (data1 is 0)
# and Asterisk's name for it, or None. Layouts are Asterisk's (doc/queuelog.txt, app_queue.c); older versions
# write fewer trailing fields, hence a missing field is None, not an error.
_DataField = tuple[int, str] | None
_QUEUE_LOG_EVENTS: dict[str, tuple[TelephonyKind, _DataField, _DataField]] = {
    "ENTERQUEUE": ("queued", None, None),  # url|callerid|position
    "CONNECT": ("answered", (0, "holdtime"), None),  # holdtime|bridgedchanneluniqueid|ringtime
    "RINGNOANSWER": ("agent_missed", None, None),  # ringtime in milliseconds
    "ABANDON": ("abandoned", (2, "waittime"), None),  # position|origposition|waittime
    "EXITWITHTIMEOUT": ("queue_timeout", (2, "waittime"), None),  # position|origposition|waittime
    "EXITEMPTY": ("queue_timeout", (2, "waittime"), None),  # position|origposition|waittime
    "EXITWITHKEY": ("queue_timeout", (3, "waittime"), None),  # key|position|origposition|waittime
    # The caller could not even join (no members logged in, joinempty=no): to the member, the unit did not answer.
    "JOINEMPTY": ("queue_timeout", None, None),
    "JOINUNAVAIL": ("queue_timeout", None, None),
    "COMPLETECALLER": ("completed", (0, "holdtime"), (1, "calltime")),  # holdtime|calltime|origposition
    "COMPLETEAGENT": ("completed", (0, "holdtime"), (1, "calltime")),
    "TRANSFER": ("transferred", (2, "holdtime"), (3, "calltime")),  # extension|context|holdtime|calltime|origposition
    "BLINDTRANSFER": ("transferred", (2, "holdtime"), (3, "calltime")),
    "ATTENDEDTRANSFER": ("transferred", None, None),  # method|data...|holdtime|calltime|origposition
}
_NEEDS_MEMBER = frozenset(
    {"CONNECT", "RINGNOANSWER", "COMPLETECALLER", "COMPLETEAGENT", "TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER"}
)
# After these the caller is gone, so what we remembered about the call can go too. (After EXIT* and transfers
# the call goes on, usually into another queue.)
_CALLER_GONE = frozenset({"ABANDON", "COMPLETECALLER", "COMPLETEAGENT"})
_MAX_REMEMBERED_DIDS = 10_000  # bounds memory over a long log; a call is long over after that many others
_DATETIME_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}")
_NO_VALUE = "NONE"  # what Asterisk writes for "no call", "no queue", "no member"


def _queue_log_time(text: str, tz: ZoneInfo | None, where: str) -> datetime:
    if _DATETIME_TIME.match(text):
        # queue_log kept in a database (realtime) or exported from one has local date-times, not epochs.
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise TelephonyError(f"{where}: time {text!r} is not a date and time", field="time") from None
        if parsed.tzinfo is None:
            if tz is None:
                raise TelephonyError(
                    f"{where}: time {text!r} has no time zone; give the PBX's time zone (tz)", field="time"
                )
            parsed = parsed.replace(tzinfo=tz)
        try:
            return parsed.astimezone(UTC)
        except (OverflowError, ValueError):  # year 1 in a zone east of UTC falls before datetime.min
            raise TelephonyError(f"{where}: time {text!r} is out of range", field="time") from None
    return _from_microseconds(_epoch_microseconds(text, "time", where), "time", where)


def _transfer_durations(data: list[str], where: str) -> tuple[int | None, int | None]:
    # ATTENDEDTRANSFER's middle fields vary with the method (BRIDGE|id, APP|name, LINK|chan|chan) and the
    # Asterisk version; holdtime|calltime|origposition are always the last three.
    if len(data) < 4:
        return None, None
    return _seconds(data[-3], "holdtime", where), _seconds(data[-2], "calltime", where)


def _queue_log_line(line: str, number: int, tz: ZoneInfo | None, dids: dict[str, str]) -> TelephonyEvent | None:
    where = f"queue_log line {number}"
    if (index := control_character(line, multiline=False)) is not None:
        raise TelephonyError(f"{where}: {describe_control(line, index)}", line=number)
    fields = [field.strip() for field in line.split("|")]
    if len(fields) < 5:
        raise TelephonyError(
            f"{where}: expected at least 5 '|'-separated fields (time|callid|queue|agent|event), found {len(fields)}",
            line=number,
        )
    time_text, callid, queue, member, name, *data = fields
    try:
        at = _queue_log_time(time_text, tz, where)
        if not name:
            raise TelephonyError(f"{where}: the event name is empty", field="event")
        event = name.upper()
        has_call = bool(callid) and callid.upper() != _NO_VALUE

        if event == "DID":
            # FreePBX and Issabel log the dialled number before the caller enters a queue; keep it for the
            # call's later lines, none of which carries it.
            if has_call and data and data[0]:
                dids.pop(callid, None)
                dids[callid] = data[0]
                if len(dids) > _MAX_REMEMBERED_DIDS:
                    dids.pop(next(iter(dids)))
            return None
        if event not in _QUEUE_LOG_EVENTS:
            # QUEUESTART, CONFIGRELOAD, ADDMEMBER, PAUSE, AGENTLOGIN, RINGCANCELED, AGENTDUMP, INFO, and events of
            # later Asterisk versions: nothing about a call's course, or nothing we can act on.
            return None

        kind, wait_field, talk_field = _QUEUE_LOG_EVENTS[event]
        if not has_call:
            raise TelephonyError(f"{where}: {event} without a callid", field="callid")
        if not queue or queue.upper() == _NO_VALUE:
            raise TelephonyError(f"{where}: {event} without a queue", field="queue")
        agent: str | None = None
        if member and member.upper() != _NO_VALUE:
            agent = normalise_extension(member)
        elif event in _NEEDS_MEMBER:
            raise TelephonyError(f"{where}: {event} without a queue member", field="agent")

        def data_field(index: int) -> str | None:
            return data[index] if index < len(data) and data[index] else None

        def duration(spec: _DataField) -> int | None:
            if spec is None:
                return None
            index, meaning = spec
            return _seconds(data_field(index), f"data{index + 1} ({meaning})", where)

        if event == "ATTENDEDTRANSFER":
            wait, talk = _transfer_durations(data, where)
        else:
            wait, talk = duration(wait_field), duration(talk_field)

        target: str | None = None
        if event in ("TRANSFER", "BLINDTRANSFER"):
            extension = data_field(0)
            if extension is None:
                raise TelephonyError(f"{where}: {event} without the extension transferred to (data1)", field="data1")
            try:
                target = normalise_extension(extension)
            except TelephonyError as error:
                raise TelephonyError(f"{where}: data1: {error}", field="data1") from None

        caller = data_field(1) if event == "ENTERQUEUE" else None
        callee = dids.get(callid)
        if event in _CALLER_GONE:
            dids.pop(callid, None)
    except TelephonyError as error:
        # Callers that report errors apart from their text (a dead-letter record, say) get the number too.
        message = str(error)
        if not message.startswith(where):
            message = f"{where}: {message}"
        raise TelephonyError(message, field=error.field, line=number) from None

    return TelephonyEvent(
        source="queue_log",
        event_id=f"ql:{time_text}:{callid}:{name}:{member}:{queue}",
        call_id=callid,
        kind=kind,
        at=at,
        caller=caller,
        callee=callee,
        queue=queue,
        agent=agent,
        target=target,
        wait_seconds=wait,
        talk_seconds=talk,
    )


def parse_queue_log(
    lines: Iterable[str], tz: ZoneInfo | None = None
) -> Iterator[tuple[int, TelephonyEvent | TelephonyError | None]]:
    """Each line of a queue_log with its (1-based) number: its event, its error, or None when not about a call.

    One bad line never stops the rest: a log copied after a crash often ends in half a line, and everything
    before it still counts. `tz` is the PBX's zone, needed only for logs with local date-times instead of
    epoch seconds.
    """
    dids: dict[str, str] = {}
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            yield number, None
            continue
        try:
            yield number, _queue_log_line(line, number, tz, dids)
        except TelephonyError as error:
            yield number, error
