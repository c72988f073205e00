"""Asterisk / Issabel / FreePBX Manager Interface events, as JSON objects."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, datetime

from services.calls.telephony.events import (
    TelephonyError,
    TelephonyEvent,
    TelephonyKind,
    epoch_microseconds,
    from_microseconds,
    normalise_extension,
    whole_seconds,
)

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
        micros = epoch_microseconds(stamp, "Timestamp", where)
        at = from_microseconds(micros, "Timestamp", where)
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

    hold = whole_seconds(fields.get("holdtime"), "HoldTime", where)
    talk = whole_seconds(fields.get("talktime"), "TalkTime", where)
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
