"""The Asterisk ``queue_log`` file, ``time|callid|queue|agent|event|data1|data2|...``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from services.calls.telephony.events import (
    TelephonyError,
    TelephonyEvent,
    TelephonyKind,
    epoch_microseconds,
    from_microseconds,
    normalise_extension,
    whole_seconds,
)
from shared.validation import control_character, describe_control

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
    return from_microseconds(epoch_microseconds(text, "time", where), "time", where)


def _transfer_durations(data: list[str], where: str) -> tuple[int | None, int | None]:
    # ATTENDEDTRANSFER's middle fields vary with the method (BRIDGE|id, APP|name, LINK|chan|chan) and the
    # Asterisk version; holdtime|calltime|origposition are always the last three.
    if len(data) < 4:
        return None, None
    return whole_seconds(data[-3], "holdtime", where), whole_seconds(data[-2], "calltime", where)


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
            return whole_seconds(data_field(index), f"data{index + 1} ({meaning})", where)

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
