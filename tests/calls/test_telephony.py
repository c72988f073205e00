"""Parsing and normalising what the telephone system reports: webhook, AMI events, queue_log."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from services.calls.telephony import (
    CallEventIn,
    TelephonyError,
    TelephonyEvent,
    normalise_extension,
    parse_ami_event,
    parse_queue_log,
)

FIXTURE = Path(__file__).parent / "fixtures" / "queue_log"
TEHRAN = ZoneInfo("Asia/Tehran")
T0 = 1710221400  # 2024-03-12 09:00 in Isfahan


def one(line: str, tz: ZoneInfo | None = None) -> TelephonyEvent | TelephonyError | None:
    [(number, result)] = list(parse_queue_log([line], tz=tz))
    assert number == 1
    return result


def event(line: str) -> TelephonyEvent:
    result = one(line)
    assert isinstance(result, TelephonyEvent), result
    return result


def error(line: str) -> TelephonyError:
    result = one(line)
    assert isinstance(result, TelephonyError), result
    return result


# --- extensions ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "channel",
    [
        "SIP/201",
        "PJSIP/201",
        "IAX2/201",
        "Agent/201",
        "PJSIP/201-0000002a",
        "Local/201@from-queue/n",
        "Local/201@from-queue-0000001f;1",
        "PJSIP/201/sip:201@10.0.0.5:5060",
        " PJSIP/201 ",
    ],
)
def test_extension_number_is_taken_from_any_channel_form(channel: str) -> None:
    assert normalise_extension(channel) == "201"


@pytest.mark.parametrize("name", ["201", "Reza Sadeghi"])
def test_bare_extension_or_member_name_is_kept_as_given(name: str) -> None:
    assert normalise_extension(name) == name


def test_empty_channel_name_is_an_error() -> None:
    with pytest.raises(TelephonyError):
        normalise_extension("  ")


# --- queue_log: each event --------------------------------------------------------------------------------------


def test_enterqueue_is_queued_with_the_caller_id_raw() -> None:
    e = event(f"{T0}|{T0}.101|601|NONE|ENTERQUEUE||09131234567|1")
    assert (e.source, e.kind, e.call_id, e.queue, e.caller, e.agent) == (
        "queue_log",
        "queued",
        f"{T0}.101",
        "601",
        "09131234567",
        None,
    )
    assert e.direction == "incoming"
    assert e.at == datetime(2024, 3, 12, 5, 30, tzinfo=UTC)
    assert e.at.tzinfo is UTC


def test_connect_is_answered_by_the_member_with_the_hold_time_as_wait() -> None:
    e = event(f"{T0}|{T0}.101|601|PJSIP/201|CONNECT|12|{T0}.102|4")
    assert (e.kind, e.agent, e.wait_seconds, e.talk_seconds) == ("answered", "201", 12, None)


def test_ringnoanswer_is_a_missed_ring_of_that_member() -> None:
    e = event(f"{T0}|{T0}.101|601|Local/202@from-queue/n|RINGNOANSWER|15000")
    assert (e.kind, e.agent, e.queue) == ("agent_missed", "202", "601")


def test_abandon_is_abandoned_with_the_wait_time() -> None:
    e = event(f"{T0}|{T0}.101|602|NONE|ABANDON|1|1|37")
    assert (e.kind, e.wait_seconds, e.agent) == ("abandoned", 37, None)


@pytest.mark.parametrize(
    ("data", "wait"),
    [("EXITWITHTIMEOUT|1|1|60", 60), ("EXITEMPTY|1|1|3", 3), ("EXITWITHKEY|1|1|1|22", 22), ("EXITWITHTIMEOUT|1", None)],
)
def test_leaving_a_queue_unanswered_is_a_queue_timeout(data: str, wait: int | None) -> None:
    e = event(f"{T0}|{T0}.101|603|NONE|{data}")
    assert (e.kind, e.wait_seconds) == ("queue_timeout", wait)


@pytest.mark.parametrize("name", ["JOINEMPTY", "JOINUNAVAIL"])
def test_not_being_able_to_join_a_queue_is_a_queue_timeout(name: str) -> None:
    assert event(f"{T0}|{T0}.101|604|NONE|{name}|").kind == "queue_timeout"


@pytest.mark.parametrize("name", ["COMPLETECALLER", "COMPLETEAGENT"])
def test_completion_by_either_side_is_completed_with_hold_and_talk_time(name: str) -> None:
    e = event(f"{T0}|{T0}.101|601|SIP/201|{name}|12|184|1")
    assert (e.kind, e.agent, e.wait_seconds, e.talk_seconds) == ("completed", "201", 12, 184)


@pytest.mark.parametrize("name", ["TRANSFER", "BLINDTRANSFER"])
def test_transfer_names_the_extension_transferred_to(name: str) -> None:
    e = event(f"{T0}|{T0}.140|700|PJSIP/302|{name}|231|from-internal|6|95|1")
    assert (e.kind, e.agent, e.target, e.wait_seconds, e.talk_seconds) == ("transferred", "302", "231", 6, 95)


@pytest.mark.parametrize(
    "data",
    [
        "BRIDGE|6c1f0e2a-7d3b-4f4e-9a51-0b2f3c4d5e6f|9|130|1",
        "LINK|Local/241@from-internal-00000001;1|Local/241@from-internal-00000001;2|9|130|1",
    ],
)
def test_attended_transfer_is_transferred_with_durations_whatever_the_method(data: str) -> None:
    e = event(f"{T0}|{T0}.180|602|SIP/212|ATTENDEDTRANSFER|{data}")
    assert (e.kind, e.agent, e.target, e.wait_seconds, e.talk_seconds) == ("transferred", "212", None, 9, 130)


def test_fractional_epoch_time_keeps_its_microseconds() -> None:
    e = event(f"{T0}.512340|{T0}.101|601|NONE|ENTERQUEUE||09131234567|1")
    assert e.at == datetime(2024, 3, 12, 5, 30, 0, 512340, tzinfo=UTC)


def test_local_date_time_in_a_database_export_is_read_in_the_pbx_zone() -> None:
    [(_, e)] = parse_queue_log([f"2024-03-12 09:00:00.250000|{T0}.101|601|NONE|ENTERQUEUE||0913|1"], tz=TEHRAN)
    assert isinstance(e, TelephonyEvent)
    assert e.at == datetime(2024, 3, 12, 5, 30, 0, 250000, tzinfo=UTC)


def test_local_date_time_without_a_zone_is_an_error_naming_the_time() -> None:
    problem = error(f"2024-03-12 09:00:00|{T0}.101|601|NONE|ENTERQUEUE||0913|1")
    assert problem.field == "time" and "time zone" in str(problem)


def test_the_dialled_number_logged_before_the_queue_becomes_the_callee() -> None:
    lines = [
        f"{T0}|{T0}.101|603|NONE|DID|03136645030",
        f"{T0 + 1}|{T0}.101|603|NONE|ENTERQUEUE||0913|1",
        f"{T0 + 60}|{T0}.101|603|NONE|EXITWITHTIMEOUT|1|1|60",
        f"{T0 + 61}|{T0}.101|700|NONE|ENTERQUEUE||0913|1",
        f"{T0 + 62}|{T0}.999|700|NONE|ENTERQUEUE||0914|2",
    ]
    results = [r for _, r in parse_queue_log(lines)]
    assert results[0] is None
    assert [r.callee for r in results[1:]] == ["03136645030", "03136645030", "03136645030", None]


@pytest.mark.parametrize(
    "line",
    [
        "1710219600|NONE|NONE|NONE|QUEUESTART|",
        "1710224000|NONE|NONE|NONE|CONFIGRELOAD|",
        "1710220500|NONE|601|PJSIP/201|ADDMEMBER|",
        "1710220860|NONE|603|PJSIP/222|PAUSE|meeting",
        f"{T0}|{T0}.105|601|Local/202@from-queue/n|RINGCANCELED|4000",
        f"{T0}|{T0}.105|601|NONE|SOMEFUTUREEVENT|x|y",
        "",
        "   ",
    ],
)
def test_lines_not_about_a_call_give_nothing(line: str) -> None:
    assert one(line) is None


# --- queue_log: idempotency keys --------------------------------------------------------------------------------


def test_the_same_line_parsed_twice_gets_the_same_event_id() -> None:
    line = f"{T0}|{T0}.101|601|PJSIP/201|CONNECT|12|{T0}.102|4"
    assert event(line).event_id == event(line).event_id
    assert event(line) == event(line)


def test_different_events_of_one_call_get_different_event_ids() -> None:
    lines = [
        f"{T0}|{T0}.105|601|NONE|ENTERQUEUE||0913|1",
        f"{T0 + 15}|{T0}.105|601|PJSIP/202|RINGNOANSWER|15000",
        f"{T0 + 15}|{T0}.105|601|PJSIP/203|RINGNOANSWER|15000",
        f"{T0 + 35}|{T0}.105|601|PJSIP/202|RINGNOANSWER|15000",
        f"{T0 + 44}|{T0}.105|601|PJSIP/203|CONNECT|44|{T0}.111|4",
    ]
    ids = [r.event_id for _, r in parse_queue_log(lines)]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("ql:") for i in ids)


# --- queue_log: malformed lines ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "field", "says"),
    [
        ("1710223950|17102239", None, "at least 5"),
        (f"12:00:03|{T0}.101|601|NONE|ENTERQUEUE||0913|1", "time", "epoch seconds"),
        (f"{T0}|{T0}.101|601|PJSIP/201|CONNECT|twelve|{T0}.102|4", "data1 (holdtime)", "twelve"),
        (f"{T0}|{T0}.101|601|PJSIP/201|COMPLETECALLER|12|-5|1", "data2 (calltime)", "-5"),
        (f"{T0}|NONE|601|NONE|ENTERQUEUE||0913|1", "callid", "callid"),
        (f"{T0}||601|NONE|ENTERQUEUE||0913|1", "callid", "callid"),
        (f"{T0}|{T0}.101|NONE|NONE|ENTERQUEUE||0913|1", "queue", "queue"),
        (f"{T0}|{T0}.101|601|NONE|CONNECT|12|{T0}.102|4", "agent", "member"),
        (f"{T0}|{T0}.101|601|PJSIP/|CONNECT|12|{T0}.102|4", "agent", "extension"),
        (f"{T0}|{T0}.101|700|PJSIP/302|TRANSFER||from-internal|6|95|1", "data1", "transferred to"),
        (f"{T0}|{T0}.101|601|NONE||x", "event", "event name"),
    ],
)
def test_a_malformed_line_is_reported_with_its_line_number_and_field(line: str, field: str | None, says: str) -> None:
    lines = [f"{T0}|NONE|NONE|NONE|QUEUESTART|", "", line]
    results = list(parse_queue_log(lines))
    number, problem = results[-1]
    assert number == 3
    assert isinstance(problem, TelephonyError)
    assert isinstance(problem, ValueError)
    assert problem.line == 3
    assert problem.field == field
    assert str(problem).startswith("queue_log line 3: ")
    assert says in str(problem)


def test_one_bad_line_does_not_stop_the_lines_after_it() -> None:
    lines = [f"{T0}|{T0}.1|601|NONE|ENTERQUEUE||0913|1", "garbage", f"{T0 + 9}|{T0}.1|601|NONE|ABANDON|1|1|9"]
    kinds = [type(r).__name__ if not isinstance(r, TelephonyEvent) else r.kind for _, r in parse_queue_log(lines)]
    assert kinds == ["queued", "TelephonyError", "abandoned"]


# --- queue_log: the fixture -------------------------------------------------------------------------------------

# What each call in the fixture goes through (see the file: one morning at the chamber).
EXPECTED_COURSES = {
    "1710221400.101": ["queued", "answered", "completed"],  # answered at once, caller hangs up
    "1710221520.105": ["queued", "agent_missed", "agent_missed", "answered", "completed"],  # two misses, then taken
    "1710222000.118": ["queued", "abandoned"],
    "1710222300.125": [  # unit does not answer, call fails over to member relations
        "queued",
        "agent_missed",
        "agent_missed",
        "queue_timeout",
        "queued",
        "answered",
        "completed",
    ],
    "1710222600.140": ["queued", "answered", "transferred"],  # member relations passes it to the legal expert
    "1710222900.150": ["queued", "queue_timeout"],  # the only member logs out: EXITEMPTY
    "1710223200.160": ["queued", "queue_timeout"],  # caller presses a key: EXITWITHKEY
    "1710223500.170": ["queued", "answered", "transferred"],  # blind transfer
    "1710223800.180": ["queued", "answered", "transferred"],  # attended transfer
    "1710224100.190": ["queue_timeout"],  # nobody in the queue: JOINEMPTY
    "1710224400.200": ["queued"],  # a queue no unit owns; still waiting when the log was copied
}


def parsed_fixture() -> list[tuple[int, TelephonyEvent | TelephonyError | None]]:
    with FIXTURE.open(encoding="utf-8") as lines:
        return list(parse_queue_log(lines))


def test_fixture_parses_into_the_expected_counts() -> None:
    results = parsed_fixture()
    events = [r for _, r in results if isinstance(r, TelephonyEvent)]
    errors = [(n, r) for n, r in results if isinstance(r, TelephonyError)]
    nothing = [n for n, r in results if r is None]
    assert len(results) == 42
    assert len(events) == 32
    assert len(nothing) == 9
    assert [n for n, _ in errors] == [39]
    assert Counter(e.kind for e in events) == {
        "queued": 11,
        "answered": 6,
        "agent_missed": 4,
        "queue_timeout": 4,
        "completed": 3,
        "transferred": 3,
        "abandoned": 1,
    }


def test_fixture_calls_follow_their_expected_courses() -> None:
    courses: dict[str, list[str]] = defaultdict(list)
    for _, result in parsed_fixture():
        if isinstance(result, TelephonyEvent):
            courses[result.call_id].append(result.kind)
    assert courses == EXPECTED_COURSES


def test_fixture_events_carry_numbers_agents_targets_and_times() -> None:
    events = {(e.call_id, e.kind, e.queue): e for _, e in parsed_fixture() if isinstance(e, TelephonyEvent)}
    failed_over = events[("1710222300.125", "queued", "700")]
    assert (failed_over.caller, failed_over.callee) == ("00905321234567", "03136645030")
    assert events[("1710221520.105", "answered", "601")].agent == "203"
    assert events[("1710222600.140", "transferred", "700")].target == "231"
    assert events[("1710223500.170", "transferred", "700")].target == "241"
    assert events[("1710224400.200", "queued", "690")].queue == "690"  # unmapped queues are the application's call
    answered = events[("1710221400.101", "answered", "601")]
    assert (answered.agent, answered.wait_seconds, answered.callee) == ("201", 12, "03136645000")
    assert answered.at.astimezone(TEHRAN).strftime("%H:%M:%S") == "09:00:13"


def test_fixture_malformed_line_is_reported_with_its_number() -> None:
    [(number, problem)] = [(n, r) for n, r in parsed_fixture() if isinstance(r, TelephonyError)]
    assert number == 39 and problem.line == 39
    assert "queue_log line 39" in str(problem)


def test_replaying_the_fixture_gives_the_same_event_ids_and_no_duplicates_within() -> None:
    first = [r.event_id for _, r in parsed_fixture() if isinstance(r, TelephonyEvent)]
    second = [r.event_id for _, r in parsed_fixture() if isinstance(r, TelephonyEvent)]
    assert first == second
    assert len(set(first)) == len(first)


# --- AMI --------------------------------------------------------------------------------------------------------

CALLER_LEG = {
    "Channel": "PJSIP/trunk-tci-00000031",
    "CallerIDNum": "09131234567",
    "CallerIDName": "<unknown>",
    "Context": "ext-queues",
    "Exten": "601",
    "Uniqueid": "1710221400.101",
    "Linkedid": "1710221400.101",
}


def ami(event_name: str, **fields: object) -> dict[str, object]:
    payload: dict[str, object] = {"Event": event_name, **CALLER_LEG, "Timestamp": "1710221413.250000"}
    payload.update(fields)
    return {k: v for k, v in payload.items() if v is not None}


AGENT = {"Queue": "601", "Interface": "PJSIP/201", "MemberName": "Reza Sadeghi", "DestUniqueid": "1710221401.102"}


def test_queuecallerjoin_is_queued() -> None:
    e = parse_ami_event(ami("QueueCallerJoin", Queue="601", Position="1", Count="1"))
    assert e is not None
    assert (e.source, e.kind, e.call_id, e.queue, e.caller, e.callee) == (
        "ami",
        "queued",
        "1710221400.101",
        "601",
        "09131234567",
        None,
    )
    assert e.at == datetime(2024, 3, 12, 5, 30, 13, 250000, tzinfo=UTC)


def test_agentconnect_is_answered_by_the_interface_extension_with_hold_time() -> None:
    e = parse_ami_event(ami("AgentConnect", **AGENT, HoldTime="12", RingTime="4"))
    assert e is not None
    assert (e.kind, e.agent, e.wait_seconds) == ("answered", "201", 12)


def test_member_name_is_used_when_there_is_no_interface() -> None:
    e = parse_ami_event(ami("AgentConnect", **{**AGENT, "Interface": None, "MemberName": "Local/201@from-queue/n"}))
    assert e is not None and e.agent == "201"


def test_agentringnoanswer_is_agent_missed() -> None:
    e = parse_ami_event(ami("AgentRingNoAnswer", **AGENT, RingTime="15000"))
    assert e is not None and (e.kind, e.agent) == ("agent_missed", "201")


def test_queuecallerabandon_is_abandoned_with_hold_time() -> None:
    e = parse_ami_event(ami("QueueCallerAbandon", Queue="602", Position="1", OriginalPosition="1", HoldTime="37"))
    assert e is not None and (e.kind, e.wait_seconds) == ("abandoned", 37)


@pytest.mark.parametrize("reason", ["caller", "agent"])
def test_agentcomplete_is_completed_with_hold_and_talk_time(reason: str) -> None:
    e = parse_ami_event(ami("AgentComplete", **AGENT, HoldTime="12", TalkTime="184", Reason=reason))
    assert e is not None
    assert (e.kind, e.agent, e.wait_seconds, e.talk_seconds) == ("completed", "201", 12, 184)


def test_agentcomplete_by_transfer_is_transferred_to_an_unknown_target() -> None:
    e = parse_ami_event(ami("AgentComplete", **AGENT, HoldTime="6", TalkTime="95", Reason="transfer"))
    assert e is not None and (e.kind, e.target, e.talk_seconds) == ("transferred", None, 95)


def test_hangup_of_the_callers_leg_completes_the_call() -> None:
    e = parse_ami_event(ami("Hangup", Cause="16", **{"Cause-txt": "Normal Clearing"}))
    assert e is not None and (e.kind, e.queue, e.agent) == ("completed", None, None)


def test_hangup_of_another_leg_or_of_an_unlinked_channel_says_nothing() -> None:
    assert parse_ami_event(ami("Hangup", Channel="PJSIP/201-00000032", Uniqueid="1710221401.102")) is None
    assert parse_ami_event(ami("Hangup", Linkedid=None)) is None


@pytest.mark.parametrize("event_name", ["Newchannel", "Newstate"])
def test_first_ring_of_a_trunk_call_is_ringing_with_the_dialled_number(event_name: str) -> None:
    e = parse_ami_event(
        ami(event_name, ChannelState="4", ChannelStateDesc="Ring", Context="from-trunk", Exten="03136645000")
    )
    assert e is not None
    assert (e.kind, e.caller, e.callee, e.queue) == ("ringing", "09131234567", "03136645000", None)


def test_trunk_without_a_dialled_number_gives_no_callee() -> None:
    e = parse_ami_event(ami("Newchannel", ChannelState="4", Context="from-pstn", Exten="s"))
    assert e is not None and e.callee is None


def test_inbound_contexts_can_be_configured() -> None:
    payload = ami("Newchannel", ChannelState="4", Context="incoming-isp", Exten="03136645000")
    assert parse_ami_event(payload) is None
    assert parse_ami_event(payload, inbound_contexts={"incoming-isp"}) is not None


@pytest.mark.parametrize(
    "payload",
    [
        ami("Newchannel", ChannelState="4", Context="from-internal", Exten="202"),  # an extension calling another
        ami("Newchannel", ChannelState="0", ChannelStateDesc="Down", Context="from-trunk"),
        ami("Newstate", ChannelState="6", ChannelStateDesc="Up", Context="from-trunk"),
        ami("Newchannel", ChannelState="4", Context="from-trunk", Uniqueid="1710221401.102"),  # not the first leg
    ],
)
def test_other_channels_and_states_are_not_a_first_ring(payload: dict[str, object]) -> None:
    assert parse_ami_event(payload) is None


@pytest.mark.parametrize(
    "payload",
    [
        {"Event": "PeerStatus", "Peer": "PJSIP/201", "PeerStatus": "Reachable"},
        ami("QueueCallerLeave", Queue="601", Count="0", Position="1"),
        ami("AgentCalled", **AGENT),
        ami("Cdr", Disposition="NO ANSWER", UniqueID="1710221400.101"),
        ami("BlindTransfer", Extension="231", Result="Success"),
    ],
)
def test_events_carrying_nothing_for_call_tracking_give_none(payload: dict[str, object]) -> None:
    assert parse_ami_event(payload) is None


def test_missing_linkedid_falls_back_to_the_uniqueid() -> None:
    e = parse_ami_event(ami("QueueCallerJoin", Queue="601", Linkedid=None, Uniqueid="1710221400.101"))
    assert e is not None and e.call_id == "1710221400.101"


def test_keys_are_matched_whatever_their_case() -> None:
    payload = {"event": "QueueCallerJoin", "LINKEDID": "1710221400.101", "queue": "601", "timestamp": 1710221413.25}
    e = parse_ami_event(payload)
    assert e is not None and (e.call_id, e.queue) == ("1710221400.101", "601")


def test_unknown_caller_id_is_absent() -> None:
    e = parse_ami_event(ami("QueueCallerJoin", Queue="601", CallerIDNum="<unknown>"))
    assert e is not None and e.caller is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"Linkedid": "1710221400.101", "Queue": "601"}, "Event"),
        (ami("QueueCallerJoin", Queue="601", Linkedid=None, Uniqueid=None), "Linkedid"),
        (ami("AgentConnect", **{**AGENT, "Queue": None}), "Queue"),
        (ami("QueueCallerAbandon", HoldTime="3"), "Queue"),
        (ami("AgentConnect", **{**AGENT, "Interface": None, "MemberName": None}), "Interface"),
        (ami("AgentConnect", **{**AGENT, "Interface": "PJSIP/"}), "Interface"),
        (ami("AgentComplete", **AGENT, HoldTime="12", TalkTime="long"), "TalkTime"),
        (ami("QueueCallerJoin", Queue="601", Timestamp=None), "Timestamp"),
        (ami("QueueCallerJoin", Queue="601", Timestamp="yesterday"), "Timestamp"),
    ],
)
def test_a_recognised_event_missing_what_it_needs_is_an_error_naming_the_field(
    payload: dict[str, object], field: str
) -> None:
    with pytest.raises(TelephonyError) as raised:
        parse_ami_event(payload)
    assert raised.value.field == field
    assert field.lower() in str(raised.value).lower()


def test_without_a_timestamp_the_time_of_receipt_is_used_but_not_in_the_event_id() -> None:
    payload = ami("AgentRingNoAnswer", **AGENT, Timestamp=None)
    received = datetime(2024, 3, 12, 9, 0, 28, tzinfo=TEHRAN)
    first = parse_ami_event(payload, received_at=received)
    again = parse_ami_event(payload, received_at=received + timedelta(hours=5))
    assert first is not None and again is not None
    assert first.at == datetime(2024, 3, 12, 5, 30, 28, tzinfo=UTC)
    assert first.event_id == again.event_id


def test_received_at_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_ami_event(ami("QueueCallerJoin", Queue="601", Timestamp=None), received_at=datetime(2024, 3, 12, 9))


def test_the_same_ami_event_received_twice_gets_the_same_event_id() -> None:
    payload = ami("AgentConnect", **AGENT, HoldTime="12")
    first, again = parse_ami_event(payload), parse_ami_event(dict(payload))
    assert first is not None and first == again
    as_number = parse_ami_event({**payload, "Timestamp": 1710221413.25})
    assert as_number is not None and as_number.event_id == first.event_id


def test_different_ami_events_of_one_call_get_different_event_ids() -> None:
    payloads = [
        ami("QueueCallerJoin", Queue="601", Timestamp="1710221401.000001"),
        ami("AgentRingNoAnswer", **AGENT, Timestamp="1710221416.5"),
        ami("AgentRingNoAnswer", **AGENT, Timestamp="1710221436.5"),  # the same member rung again later
        ami("AgentConnect", **AGENT, Timestamp="1710221443.1"),
        ami("AgentComplete", **AGENT, Timestamp="1710221597.0"),
        ami("Hangup", Timestamp="1710221597.0"),
    ]
    events = [parse_ami_event(p) for p in payloads]
    ids = [e.event_id for e in events if e is not None]
    assert len(ids) == 6 and len(set(ids)) == 6
    assert {e.call_id for e in events if e is not None} == {"1710221400.101"}


def test_without_timestamps_two_rings_of_the_same_member_differ_by_their_channel() -> None:
    received = datetime(2024, 3, 12, 5, 30, tzinfo=UTC)
    first = parse_ami_event(ami("AgentRingNoAnswer", **AGENT, Timestamp=None), received_at=received)
    second = parse_ami_event(
        ami("AgentRingNoAnswer", **{**AGENT, "DestUniqueid": "1710221420.107"}, Timestamp=None), received_at=received
    )
    assert first is not None and second is not None and first.event_id != second.event_id


# --- webhook ----------------------------------------------------------------------------------------------------

BODY: dict[str, object] = {
    "event_id": "pbx-7781-3",
    "call_id": "c-7781",
    "type": "answered",
    "at": "2024-03-12T09:00:13+03:30",
    "caller": "09131234567",
    "callee": "03136645000",
    "queue": "601",
    "extension": "PJSIP/201",
    "wait_seconds": 12,
}


def test_a_webhook_body_becomes_an_event_in_utc() -> None:
    e = CallEventIn.model_validate(BODY).to_event()
    assert e == TelephonyEvent(
        source="webhook",
        event_id="pbx-7781-3",
        call_id="c-7781",
        kind="answered",
        at=datetime(2024, 3, 12, 5, 30, 13, tzinfo=UTC),
        caller="09131234567",
        callee="03136645000",
        queue="601",
        agent="201",
        wait_seconds=12,
    )
    assert e.at.tzinfo is UTC


def test_webhook_accepts_from_and_to_for_caller_and_callee() -> None:
    body = {k: v for k, v in BODY.items() if k not in ("caller", "callee")} | {"from": "0913", "to": "0313"}
    e = CallEventIn.model_validate(body).to_event()
    assert (e.caller, e.callee) == ("0913", "0313")


def test_webhook_for_an_outgoing_call_carries_its_purpose() -> None:
    body = {**BODY, "type": "completed", "direction": "outgoing", "purpose": "survey", "talk_seconds": 240}
    e = CallEventIn.model_validate(body).to_event()
    assert (e.direction, e.purpose, e.talk_seconds) == ("outgoing", "survey", 240)


def test_webhook_transfer_carries_its_target() -> None:
    e = CallEventIn.model_validate({**BODY, "type": "transferred", "target": "700"}).to_event()
    assert e.target == "700"


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"at": "2024-03-12T09:00:13"}, "at"),
        ({"type": "voicemail"}, "type"),
        ({"recording_url": "http://pbx/rec/1.wav"}, "recording_url"),
        ({"purpose": "survey"}, "purpose"),
        ({"direction": "outgoing", "purpose": "sales"}, "purpose"),
        ({"wait_seconds": -1}, "wait_seconds"),
        ({"event_id": ""}, "event_id"),
        ({"event_id": "x" * 201}, "event_id"),
        ({"call_id": "   "}, "call_id"),
        ({"target": "700"}, "target"),
        ({"from": "0913"}, "from"),  # both names for the same field
    ],
)
def test_webhook_rejects_a_bad_body_naming_what_is_wrong(change: dict[str, object], where: str) -> None:
    with pytest.raises(ValidationError) as raised:
        CallEventIn.model_validate({**BODY, **change})
    assert where in str(raised.value)


def test_webhook_schema_documents_a_valid_example() -> None:
    schema = CallEventIn.model_json_schema()
    assert schema["additionalProperties"] is False
    assert {"caller", "callee", "extension"} <= set(schema["properties"])
    [example] = schema["examples"]
    assert CallEventIn.model_validate(example).to_event().kind == "answered"


def test_an_event_refuses_a_time_without_zone_and_a_purpose_for_an_incoming_call() -> None:
    with pytest.raises(TelephonyError):
        TelephonyEvent(source="webhook", event_id="e", call_id="c", kind="queued", at=datetime(2024, 3, 12, 9))
    with pytest.raises(TelephonyError):
        TelephonyEvent(
            source="webhook",
            event_id="e",
            call_id="c",
            kind="completed",
            at=datetime(2024, 3, 12, tzinfo=UTC),
            purpose="survey",
        )


def test_an_event_keeps_its_instant_in_utc() -> None:
    e = TelephonyEvent(
        source="webhook",
        event_id="e",
        call_id="c",
        kind="queued",
        at=datetime(2024, 3, 12, 9, tzinfo=timezone(timedelta(hours=3, minutes=30))),
    )
    assert e.at == datetime(2024, 3, 12, 5, 30, tzinfo=UTC) and e.at.tzinfo is UTC
