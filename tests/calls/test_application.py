"""CallCentre in memory: what the telephone system's events and the staff's commands do to calls."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.calls.application import CallCentre, CallNotFound, IngestResult, call_summary, normalise_number
from services.calls.domain import CallbackOutcome, Direction, Purpose, State, TransitionRefused, call_id_for_pbx
from services.calls.telephony import TelephonyEvent, parse_queue_log
from shared.calendar import IRAN, BusinessCalendar, CalendarConfig
from shared.organisation import DEFAULT_ORGANISATION, Organisation
from shared.problems import InvalidInput

TEHRAN = ZoneInfo("Asia/Tehran")
QUEUE_LOG = Path(__file__).parent / "fixtures" / "queue_log"
_serial = itertools.count(1)


def tehran(*args: int) -> datetime:
    return datetime(*args, tzinfo=TEHRAN)


SATURDAY_1030 = tehran(2026, 11, 21, 10, 30)


def ev(
    kind: str, at: datetime, call_id: str = "1763708400.101", *, event_id: str | None = None, **fields: Any
) -> TelephonyEvent:
    """One PBX event as the webhook would deliver it; a fresh event id unless one is given."""
    return TelephonyEvent(
        source="webhook", event_id=event_id or f"e{next(_serial)}", call_id=call_id, kind=kind, at=at, **fields
    )


def ingest_all(centre: CallCentre, events: list[TelephonyEvent]) -> list[IngestResult]:
    return [centre.ingest(e) for e in events]


def call_of(centre: CallCentre, pbx_call_id: str = "1763708400.101"):
    return centre.get_call(call_id_for_pbx(pbx_call_id))


@pytest.fixture
def members() -> dict[str, str]:
    return {"+989131234567": "M-1001"}


@pytest.fixture
def asked(members) -> list[str]:
    return []


@pytest.fixture
def centre(clock, members, asked) -> CallCentre:
    def lookup(number: str) -> str | None:
        asked.append(number)
        return members.get(number)

    return CallCentre(organisation=Organisation.load(DEFAULT_ORGANISATION), clock=clock, member_lookup=lookup)


def notifications(centre: CallCentre) -> int:
    return centre.recorder.max_notification_id() or 0


# --- the typical courses of an incoming call ----------------------------------------------------------------------


def test_call_answered_in_its_units_queue_is_completed_and_owes_nothing(centre: CallCentre) -> None:
    t = SATURDAY_1030
    results = ingest_all(
        centre,
        [
            ev("ringing", t, caller="09131234567", callee="03136645000"),
            ev("queued", t + timedelta(seconds=2), queue="602"),
            ev("answered", t + timedelta(seconds=14), queue="602", agent="211", wait_seconds=12),
            ev("completed", t + timedelta(minutes=3), queue="602", agent="211", talk_seconds=166),
        ],
    )
    assert [r.status for r in results] == ["applied"] * 4
    assert {r.call_id for r in results} == {str(call_id_for_pbx("1763708400.101"))}
    call = call_of(centre)
    assert call.state == State.COMPLETED
    assert (call.unit, call.answered_by) == ("trade", "s.ahmadi")  # extension 211 in the organisation file
    assert call.answered_at == t + timedelta(seconds=14)
    assert call.ended_at == t + timedelta(minutes=3)
    assert (call.caller, call.caller_raw, call.callee) == ("+989131234567", "09131234567", "03136645000")
    assert call.registered_at is None and call.callback_due is None


def test_unit_timeout_member_relations_transfer_and_abandon_leave_the_call_unanswered_for_the_expert_of_the_second_attempt(
    centre: CallCentre,
) -> None:
    t = SATURDAY_1030
    results = ingest_all(
        centre,
        [
            ev("ringing", t, caller="09131234567"),
            ev("queued", t, queue="602"),
            ev("agent_missed", t + timedelta(seconds=20), queue="602", agent="211"),
            ev("queue_timeout", t + timedelta(seconds=60), queue="602", wait_seconds=60),
            ev("queued", t + timedelta(seconds=61), queue="700"),
            ev("answered", t + timedelta(seconds=70), queue="700", agent="301"),
            ev("transferred", t + timedelta(minutes=3), queue="700", agent="301", target="212"),
            ev("abandoned", t + timedelta(minutes=4)),
        ],
    )
    assert [r.status for r in results] == ["applied"] * 8
    call = call_of(centre)
    assert call.state == State.UNANSWERED
    assert call.unit == "trade"  # handed back to the destination unit, not kept by member relations
    assert call.member_relations_expert == "z.rahimi"
    # The caller gave up while k.rezaei's phone rang: the second attempt failed with k.rezaei, whose queue it joins.
    assert call.missed_by == ["s.ahmadi", "k.rezaei"]
    assert call.assigned_expert == "k.rezaei"
    assert call.contact_phone == "+989131234567"
    assert call.registered_at == call.ended_at == t + timedelta(minutes=4)


def test_member_relations_not_answering_either_registers_the_call_for_the_unit_and_the_last_expert_who_missed_it(
    centre: CallCentre,
) -> None:
    t = SATURDAY_1030
    ingest_all(
        centre,
        [
            ev("queued", t, queue="602", caller="09131234567"),
            ev("agent_missed", t + timedelta(seconds=15), queue="602", agent="212"),
            ev("agent_missed", t + timedelta(seconds=30), queue="602", agent="211"),
            ev("queue_timeout", t + timedelta(seconds=60), queue="602"),
            ev("queued", t + timedelta(seconds=61), queue="700"),
            ev("queue_timeout", t + timedelta(seconds=121), queue="700"),
        ],
    )
    call = call_of(centre)
    assert call.state == State.UNANSWERED
    assert (call.unit, call.assigned_expert) == ("trade", "s.ahmadi")
    assert call.missed_by == ["k.rezaei", "s.ahmadi"]
    assert call.registered_at == t + timedelta(seconds=121)


def test_call_abandoned_in_the_unit_queue_is_registered_with_the_callers_number_and_24_working_hours_to_call_back(
    centre: CallCentre,
) -> None:
    ingest_all(
        centre,
        [
            ev("queued", SATURDAY_1030, queue="602", caller="0913 123 4567"),
            ev("abandoned", tehran(2026, 11, 21, 10, 31), queue="602", wait_seconds=60),
        ],
    )
    call = call_of(centre)
    assert call.state == State.UNANSWERED
    assert (call.unit, call.assigned_expert, call.subject) == ("trade", None, None)
    assert call.contact_phone == "+989131234567"
    assert call.registered_at == call.ended_at == tehran(2026, 11, 21, 10, 31)
    # Saturday 10:31-16:00 is 5h29, Sunday and Monday 8h each (21h29), Tuesday 08:00 + 2h31 = Tuesday 10:31.
    assert call.callback_due == tehran(2026, 11, 24, 10, 31)
    assert call.callback_due.tzinfo == UTC  # stored in UTC


def test_the_callback_deadline_skips_the_friday_weekend_and_counts_only_thursdays_half_day(centre: CallCentre) -> None:
    ingest_all(
        centre,
        [
            ev("queued", tehran(2026, 11, 25, 13, 59), queue="601", caller="09131234567"),
            ev("abandoned", tehran(2026, 11, 25, 14, 0), queue="601"),
        ],
    )
    # Wednesday 14:00-16:00 is 2h, Thursday 08:00-12:00 4h (6h), Friday closed, Saturday 8h (14h),
    # Sunday 8h (22h), Monday 08:00 + 2h = Monday 10:00.
    assert call_of(centre).callback_due == tehran(2026, 11, 30, 10, 0)


def test_the_callback_deadline_skips_a_day_the_chamber_closed(clock) -> None:
    calendar = BusinessCalendar(CalendarConfig(**{**IRAN.model_dump(), "closed_dates": [date(2026, 11, 22)]}))
    centre = CallCentre(organisation=Organisation.load(DEFAULT_ORGANISATION), calendar=calendar, clock=clock)
    centre.ingest(ev("queued", SATURDAY_1030, queue="602", caller="09131234567"))
    centre.ingest(ev("abandoned", tehran(2026, 11, 21, 10, 31), queue="602"))
    # Sunday closed: Saturday 5h29, Monday and Tuesday 8h each (21h29), Wednesday 08:00 + 2h31.
    assert call_of(centre).callback_due == tehran(2026, 11, 25, 10, 31)


def test_a_caller_who_could_not_even_join_an_empty_queue_counts_as_not_answered_by_that_unit(
    centre: CallCentre,
) -> None:
    centre.ingest(ev("ringing", SATURDAY_1030, caller="09131234567"))
    result = centre.ingest(ev("queue_timeout", SATURDAY_1030, queue="604"))
    assert result.status == "applied"
    call = call_of(centre)
    assert (call.state, call.unit) == (State.UNIT_NOT_ANSWERED, "legal")


def test_an_outgoing_call_nobody_answers_is_not_reached_and_names_who_placed_it(centre: CallCentre) -> None:
    ingest_all(
        centre,
        [
            ev(
                "ringing",
                SATURDAY_1030,
                call_id="out-1",
                direction="outgoing",
                caller="09131234567",
                agent="302",
                purpose="survey",
            ),
            ev("completed", tehran(2026, 11, 21, 10, 31), call_id="out-1", direction="outgoing"),
        ],
    )
    call = call_of(centre, "out-1")
    assert (call.direction, call.purpose, call.placed_by) == (Direction.OUTGOING, Purpose.SURVEY, "a.moradi")
    assert call.state == State.NOT_REACHED


def test_an_extension_missing_from_the_organisation_file_is_kept_as_the_extension(centre: CallCentre) -> None:
    centre.ingest(ev("queued", SATURDAY_1030, queue="602", caller="09131234567"))
    centre.ingest(ev("answered", SATURDAY_1030, queue="602", agent="299"))
    assert call_of(centre).answered_by == "ext:299"


# --- idempotence and refusals -------------------------------------------------------------------------------------


def test_the_same_event_ingested_twice_changes_nothing_the_second_time(centre: CallCentre) -> None:
    events = [
        ev("ringing", SATURDAY_1030, caller="09131234567"),
        ev("queued", SATURDAY_1030, queue="602"),
        ev("agent_missed", SATURDAY_1030, queue="602", agent="211"),
        ev("abandoned", tehran(2026, 11, 21, 10, 31), queue="602"),
    ]
    for event in events:
        first = centre.ingest(event)
        version, head = call_of(centre).version, notifications(centre)
        again = centre.ingest(event)
        assert first.status == "applied"
        assert again == IngestResult(event.event_id, first.call_id, "duplicate")
        assert call_of(centre).version == version
        assert notifications(centre) == head


def test_replaying_a_whole_queue_log_after_an_outage_adds_nothing(centre: CallCentre) -> None:
    with QUEUE_LOG.open(encoding="utf-8") as lines:
        events = [e for _, e in parse_queue_log(lines) if isinstance(e, TelephonyEvent)]
    first = ingest_all(centre, events)
    calls = {e.call_id for e in events}
    before = {cid: call_summary(call_of(centre, cid)) for cid in calls}
    head = notifications(centre)

    again = ingest_all(centre, events)
    assert "applied" not in {r.status for r in again}
    assert [r.status for r in again if r.status != "duplicate"] == [
        r.status for r in first if r.status in ("ignored", "held", "rejected")
    ]
    assert {cid: call_summary(call_of(centre, cid)) for cid in calls} == before
    assert notifications(centre) == head
    abandoned = call_of(centre, "1710222000.118")
    assert (abandoned.state, abandoned.unit, abandoned.contact_phone) == (State.UNANSWERED, "trade", "+989133334455")


def test_a_call_into_a_queue_no_unit_owns_is_kept_unrouted_with_the_pbx_queue_name(centre: CallCentre) -> None:
    result = centre.ingest(ev("queued", SATURDAY_1030, call_id="lost", queue="690", caller="09137778899"))
    assert (result.status, result.call_id) == ("held", str(call_id_for_pbx("lost")))
    call = call_of(centre, "lost")
    assert (call.state, call.unrouted_queue, call.caller) == (State.RINGING, "690", "+989137778899")
    again = centre.ingest(ev("queued", SATURDAY_1030, call_id="lost", queue="690", event_id=result.event_id))
    assert again.status == "held"
    assert call_of(centre, "lost").version == call.version  # held once, not once per replay


def test_what_happens_to_an_unrouted_call_is_held_until_its_queue_is_mapped(centre: CallCentre) -> None:
    centre.ingest(ev("ringing", SATURDAY_1030, caller="09131234567"))
    centre.ingest(ev("queued", SATURDAY_1030, queue="690"))
    result = centre.ingest(ev("abandoned", SATURDAY_1030 + timedelta(seconds=30), queue="690"))
    assert result.status == "held"
    call = call_of(centre)
    assert (call.state, call.unrouted_queue, call.ended_at) == (State.RINGING, "690", None)
    assert not call.has_seen(result.event_id)  # a replay once the queue is mapped applies it


def test_replaying_a_log_after_the_organisation_file_maps_the_queue_routes_every_call_once(clock) -> None:
    with QUEUE_LOG.open(encoding="utf-8") as lines:
        events = [e for _, e in parse_queue_log(lines) if isinstance(e, TelephonyEvent)]
    before = CallCentre(organisation=Organisation.load(DEFAULT_ORGANISATION), clock=clock)
    first = ingest_all(before, events)
    assert [r.status for r in first if r.status == "held"] == ["held"]
    assert call_of(before, "1710224400.200").unrouted_queue == "690"

    corrected = Organisation.load(DEFAULT_ORGANISATION)
    corrected.units[2].queues.append("690")  # the trade unit gets the new queue
    before.organisation = corrected
    second = ingest_all(before, events)
    assert [r.status for r in second if r.status not in ("duplicate", "ignored")] == ["applied"]
    call = call_of(before, "1710224400.200")
    assert (call.unrouted_queue, call.unit, call.state) == (None, "trade", State.QUEUED)
    routed = [n for n in before.recorder.select_notifications(0, 10_000) if n.topic.endswith("Call.Routed")]
    assert len([n for n in routed if n.originator_id == call.id]) == 1

    head = notifications(before)
    third = ingest_all(before, events)
    assert "applied" not in {r.status for r in third} and "held" not in {r.status for r in third}
    assert notifications(before) == head


def test_an_event_that_does_not_fit_the_calls_state_is_rejected_with_the_reason(centre: CallCentre) -> None:
    centre.ingest(ev("queued", SATURDAY_1030, queue="602", caller="09131234567"))
    centre.ingest(ev("answered", SATURDAY_1030, queue="602", agent="211"))
    version = call_of(centre).version
    late = ev("queue_timeout", tehran(2026, 11, 21, 10, 31), queue="602")
    result = centre.ingest(late)
    assert result.status == "rejected"
    assert result.reason.startswith("cannot record that the unit did not answer: the call is answered")
    assert call_of(centre).version == version
    assert not call_of(centre).has_seen(late.event_id)  # once the call allows it, a resent event still applies


@pytest.mark.parametrize("kind", ["completed", "transferred"])
def test_a_hang_up_or_transfer_of_a_call_never_seen_is_ignored(centre: CallCentre, kind: str) -> None:
    result = centre.ingest(ev(kind, SATURDAY_1030, call_id="internal-leg", agent="211"))
    assert (result.status, result.reason) == ("ignored", "no such call is being tracked")
    with pytest.raises(CallNotFound):
        call_of(centre, "internal-leg")
    assert notifications(centre) == 0


def test_a_second_completion_report_is_no_news(centre: CallCentre) -> None:
    # AMI sends AgentComplete and then the caller's Hangup for the same call.
    centre.ingest(ev("queued", SATURDAY_1030, queue="602", caller="09131234567"))
    centre.ingest(ev("answered", SATURDAY_1030, queue="602", agent="211"))
    assert centre.ingest(ev("completed", tehran(2026, 11, 21, 10, 33), queue="602", agent="211")).status == "applied"
    version = call_of(centre).version
    assert centre.ingest(ev("completed", tehran(2026, 11, 21, 10, 34))).status == "ignored"
    assert call_of(centre).version == version
    assert call_of(centre).ended_at == tehran(2026, 11, 21, 10, 33)


def test_a_second_ring_of_a_known_call_is_no_news(centre: CallCentre) -> None:
    centre.ingest(ev("ringing", SATURDAY_1030, caller="09131234567"))
    version = call_of(centre).version
    assert centre.ingest(ev("ringing", SATURDAY_1030, caller="09131234567")).status == "ignored"
    assert call_of(centre).version == version


def test_a_hang_up_after_the_call_was_registered_unanswered_is_no_news(centre: CallCentre) -> None:
    centre.ingest(ev("queued", SATURDAY_1030, queue="602", caller="09131234567"))
    centre.ingest(ev("abandoned", tehran(2026, 11, 21, 10, 31), queue="602"))
    version = call_of(centre).version
    assert centre.ingest(ev("completed", tehran(2026, 11, 21, 10, 31))).status == "ignored"
    assert call_of(centre).version == version


# --- numbers and members ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "09131234567",
        "0913 123 4567",
        "(0913) 123-4567",
        "00989131234567",
        "+98 913 123 4567",
        "۰۹۱۳۱۲۳۴۵۶۷",
        "٠٩١٣١٢٣٤٥٦٧",
        "۰۰۹۸۹۱۳۱۲۳۴۵۶۷",
    ],
    ids=[
        "national",
        "spaced",
        "punctuated",
        "00 prefix",
        "international",
        "persian digits",
        "arabic-indic digits",
        "persian 00 prefix",
    ],
)
def test_caller_numbers_are_normalised_to_e164_and_kept_raw(centre: CallCentre, raw: str) -> None:
    centre.ingest(ev("queued", SATURDAY_1030, queue="602", caller=raw))
    call = call_of(centre)
    assert (call.caller, call.caller_raw) == ("+989131234567", raw)


def test_a_foreign_callers_number_keeps_its_country() -> None:
    assert normalise_number("00905321234567", "IR") == "+905321234567"
    assert normalise_number("0313 664 5000", "IR") == "+983136645000"


@pytest.mark.parametrize("raw", [None, "", "Anonymous", "12"])
def test_what_is_not_a_phone_number_normalises_to_nothing(raw: str | None) -> None:
    assert normalise_number(raw, "IR") is None


def test_a_caller_id_that_is_not_a_number_is_kept_raw_and_still_recorded_for_the_callback(
    centre: CallCentre, asked
) -> None:
    centre.ingest(ev("queued", SATURDAY_1030, queue="602", caller="Anonymous"))
    centre.ingest(ev("abandoned", tehran(2026, 11, 21, 10, 31), queue="602"))
    call = call_of(centre)
    assert (call.caller, call.caller_raw, call.contact_phone) == (None, "Anonymous", "Anonymous")
    assert call.member_id is None
    assert asked == []  # nothing to look a member up by


def test_the_member_directory_is_asked_with_the_normalised_number(centre: CallCentre, asked) -> None:
    centre.ingest(ev("ringing", SATURDAY_1030, caller="۰۹۱۳۱۲۳۴۵۶۷"))
    centre.ingest(ev("ringing", SATURDAY_1030, call_id="other", caller="09121112233"))
    assert asked == ["+989131234567", "+989121112233"]
    assert call_of(centre).member_id == "M-1001"
    assert call_of(centre, "other").member_id is None


def test_a_call_registered_by_hand_is_also_looked_up_in_the_member_directory(centre: CallCentre, asked) -> None:
    call_id = centre.receive_call(direction=Direction.INCOMING, caller="0098 913 123 4567", unit="trade")
    call = centre.get_call(call_id)
    assert asked == ["+989131234567"]
    assert (call.member_id, call.caller, call.caller_raw) == ("M-1001", "+989131234567", "0098 913 123 4567")
    assert (call.state, call.unit, call.received_at) == (State.QUEUED, "trade", SATURDAY_1030)


# --- staff commands -----------------------------------------------------------------------------------------------


def test_staff_work_the_whole_procedure_and_the_deadline_comes_from_the_clock(centre: CallCentre, clock) -> None:
    call_id = centre.receive_call(direction=Direction.INCOMING, caller="09131234567", unit="trade")
    clock.advance(minutes=1)
    centre.record_unit_not_answered(call_id)
    centre.transfer_to_member_relations(call_id)
    centre.take_down_subject(
        call_id, subject="کارت بازرگانی", by="z.rahimi", contact_name="علی کریمی", contact_phone="۰۹۱۲ ۱۱۱ ۲۲۳۳"
    )
    centre.transfer_to_expert(call_id, expert="k.rezaei", by="z.rahimi")
    clock.advance(minutes=1)
    centre.register_unanswered(call_id, by="z.rahimi", subject=None, contact_name=None, contact_phone=None)
    call = centre.get_call(call_id)
    assert call.state == State.UNANSWERED
    assert call.assigned_expert == "k.rezaei"  # the expert the second attempt went to
    assert (call.contact_name, call.contact_phone, call.subject) == ("علی کریمی", "+989121112233", "کارت بازرگانی")
    assert call.registered_at == tehran(2026, 11, 21, 10, 32)
    assert call.callback_due == tehran(2026, 11, 24, 10, 32)

    clock.advance(hours=2)
    centre.record_callback(call_id, by="f.alavi", outcome=CallbackOutcome.NOT_REACHED, note=None)
    assert centre.get_call(call_id).state == State.UNANSWERED
    centre.record_callback(call_id, by="f.alavi", outcome=CallbackOutcome.RESOLVED, note="renewed")
    assert centre.get_call(call_id).state == State.CALLED_BACK


def test_a_transfer_not_answered_and_then_registered_goes_to_the_expert_who_missed_it(centre: CallCentre) -> None:
    call_id = centre.receive_call(direction=Direction.INCOMING, caller="09131234567", unit="trade")
    centre.record_unit_not_answered(call_id)
    centre.transfer_to_member_relations(call_id)
    centre.take_down_subject(call_id, subject="fees", by="z.rahimi", contact_name=None, contact_phone=None)
    centre.transfer_to_expert(call_id, expert="s.ahmadi", by="z.rahimi")
    centre.record_unit_not_answered(call_id)
    centre.register_unanswered(call_id, by="z.rahimi", subject=None, contact_name=None, contact_phone=None)
    call = centre.get_call(call_id)
    assert (call.missed_by, call.assigned_expert) == (["s.ahmadi"], "s.ahmadi")


def test_a_transfer_to_an_expert_of_another_unit_is_refused(centre: CallCentre) -> None:
    call_id = centre.receive_call(direction=Direction.INCOMING, caller="09131234567", unit="trade")
    centre.transfer_to_member_relations(call_id)
    centre.take_down_subject(call_id, subject="fees", by="z.rahimi", contact_name=None, contact_phone=None)
    version = centre.get_call(call_id).version
    with pytest.raises(TransitionRefused, match="e.shahbazi is not an expert of the unit 'trade'"):
        centre.transfer_to_expert(call_id, expert="e.shahbazi", by="z.rahimi")
    assert centre.get_call(call_id).version == version


def test_a_call_for_a_unit_the_chamber_does_not_have_is_refused_and_not_stored(centre: CallCentre) -> None:
    with pytest.raises(InvalidInput, match="unknown unit 'customs'"):
        centre.receive_call(direction=Direction.INCOMING, caller="09131234567", unit="customs")
    assert notifications(centre) == 0


def test_a_call_registered_by_hand_with_something_that_is_not_a_number_is_refused(centre: CallCentre) -> None:
    with pytest.raises(InvalidInput, match="'call me' is not a phone number"):
        centre.receive_call(direction=Direction.INCOMING, caller="call me", unit="trade")
    assert notifications(centre) == 0


def test_a_call_never_routed_needs_to_be_told_which_unit_owes_the_callback(centre: CallCentre) -> None:
    call_id = centre.receive_call(direction=Direction.INCOMING, caller="09131234567")
    with pytest.raises(InvalidInput, match="say which unit must call the member back"):
        centre.register_unanswered(call_id, by="z.rahimi", subject="fees", contact_name=None, contact_phone=None)


def test_an_unknown_call_is_not_found(centre: CallCentre) -> None:
    missing = uuid.uuid4()
    with pytest.raises(CallNotFound, match=str(missing)):
        centre.record_answer(missing, "s.ahmadi")


# --- a call member relations answered -----------------------------------------------------------------------------


def answered_by_member_relations(centre: CallCentre, t: datetime) -> None:
    ingest_all(
        centre,
        [
            ev("queued", t, queue="602", caller="09131234567"),
            ev("queue_timeout", t + timedelta(seconds=60), queue="602"),
            ev("queued", t + timedelta(seconds=61), queue="700"),
            ev("answered", t + timedelta(seconds=70), queue="700", agent="301"),
            ev("completed", t + timedelta(minutes=5), queue="700", agent="301", talk_seconds=230),
        ],
    )


def test_a_call_member_relations_answered_goes_to_the_answering_experts_queue_with_two_working_hours(
    centre: CallCentre,
) -> None:
    answered_by_member_relations(centre, SATURDAY_1030)
    call = call_of(centre)
    assert call.state == State.WITH_MEMBER_RELATIONS
    assert call.assigned_expert == "z.rahimi"  # extension 301
    assert call.follow_up_due == SATURDAY_1030 + timedelta(minutes=5, hours=2)


def test_the_follow_up_deadline_is_counted_in_working_hours_from_a_setting(clock) -> None:
    centre = CallCentre(
        organisation=Organisation.load(DEFAULT_ORGANISATION), clock=clock, mr_followup_deadline=timedelta(hours=4)
    )
    answered_by_member_relations(centre, tehran(2026, 11, 26, 10, 0))  # Thursday: work stops at 12:00
    # Ended 10:05: 1h55 left on Thursday before noon, Friday is the weekend, 2h05 more from 08:00 on Saturday.
    assert call_of(centre).follow_up_due == tehran(2026, 11, 28, 10, 5)


@pytest.mark.parametrize("outcome", ["resolve", "transfer", "unanswered"])
def test_the_answering_expert_resolves_transfers_or_registers_the_call_after_the_line_went_down(
    centre: CallCentre, outcome: str
) -> None:
    answered_by_member_relations(centre, SATURDAY_1030)
    call_id = call_of(centre).id
    centre.take_down_subject(call_id, subject="card renewal", by="z.rahimi", contact_name=None, contact_phone=None)
    if outcome == "resolve":
        centre.resolve_by_member_relations(call_id, by="z.rahimi", note="explained the documents needed")
        assert call_of(centre).state == State.COMPLETED
    elif outcome == "transfer":
        centre.transfer_to_expert(call_id, expert="k.rezaei", by="z.rahimi")
        assert call_of(centre).state == State.TRANSFERRED
    else:
        centre.register_unanswered(call_id, by="z.rahimi", subject=None, contact_name=None, contact_phone=None)
        assert call_of(centre).state == State.UNANSWERED


def test_a_second_attempt_registered_unanswered_by_hand_records_the_expert_who_missed_it(centre: CallCentre) -> None:
    call_id = centre.receive_call(direction=Direction.INCOMING, caller="09131234567", unit="trade")
    centre.transfer_to_member_relations(call_id)
    centre.take_down_subject(call_id, subject="export permit", by="z.rahimi", contact_name=None, contact_phone=None)
    centre.transfer_to_expert(call_id, expert="k.rezaei", by="z.rahimi")
    centre.register_unanswered(call_id, by="z.rahimi", subject=None, contact_name=None, contact_phone=None)
    call = centre.get_call(call_id)
    assert (call.missed_by, call.assigned_expert) == (["k.rezaei"], "k.rezaei")


def test_a_member_relations_queue_missing_from_the_file_holds_the_call_until_a_replay_maps_it(clock) -> None:
    centre = CallCentre(organisation=Organisation.load(DEFAULT_ORGANISATION), clock=clock)
    t = SATURDAY_1030
    events = [
        ev("queued", t, queue="602", caller="09131234567"),
        ev("queue_timeout", t + timedelta(seconds=60), queue="602"),
        ev("queued", t + timedelta(seconds=61), queue="710"),  # a second member-relations queue, not in the file
        ev("answered", t + timedelta(seconds=70), queue="710", agent="302"),
    ]
    assert [r.status for r in ingest_all(centre, events)] == ["applied", "applied", "held", "held"]
    assert (call_of(centre).state, call_of(centre).unrouted_queue) == (State.UNIT_NOT_ANSWERED, "710")

    centre.organisation = centre.organisation.model_copy(update={"member_relations_queues": ["700", "710"]})
    assert [r.status for r in ingest_all(centre, events)] == ["duplicate", "duplicate", "applied", "applied"]
    call = call_of(centre)
    assert (call.state, call.unrouted_queue, call.member_relations_expert) == (
        State.WITH_MEMBER_RELATIONS,
        None,
        "a.moradi",
    )
