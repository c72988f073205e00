"""The arithmetic of the reporting read models: pure functions over plain event data and the chamber's calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.reporting import projections as P
from shared.calendar import IRAN, BusinessCalendar

TEHRAN = ZoneInfo("Asia/Tehran")
H = timedelta(hours=1)


@pytest.fixture(scope="module")
def calendar() -> BusinessCalendar:
    return BusinessCalendar(IRAN)


def tehran(*args: int) -> datetime:
    return datetime(*args, tzinfo=TEHRAN)


def iso(t: datetime) -> str:
    # The calls topic carries times as ISO 8601 text in UTC.
    return t.astimezone(UTC).isoformat()


def fold(calendar: BusinessCalendar, *events: tuple[str, dict[str, Any]]) -> dict[str, Any] | None:
    item = None
    for name, data in events:
        folded = P.unanswered_item(item, name, data, calendar)
        if folded is not None:
            item = folded
    return item


RECEIVED = (
    "received",
    {
        "at": iso(tehran(2026, 11, 21, 15, 0)),
        "caller": "+989131234567",
        "caller_raw": "0913 123 4567",
        "member_id": "M-1",
    },
)


def registered(at: datetime, due: datetime, **extra: Any) -> tuple[str, dict[str, Any]]:
    data = {
        "unit": "trade",
        "expert": "s.ahmadi",
        "contact_phone": "+989131234567",
        "contact_name": "علی کریمی",
        "subject": "کارت بازرگانی",
        "automatic": False,
        "at": iso(at),
        "callback_due": iso(due),
        **extra,
    }
    return "unanswered_registered", data


def callback(outcome: str, at: datetime, by: str = "f.alavi") -> tuple[str, dict[str, Any]]:
    return "callback_recorded", {"by": by, "outcome": outcome, "note": None, "at": iso(at)}


# --- event names --------------------------------------------------------------------------------------------------


def test_event_names_are_read_from_the_versioned_cloudevents_type() -> None:
    assert P.event_name("crm.calls.call.unanswered_registered.v1", P.CALL_EVENTS) == "unanswered_registered"
    assert P.event_name("crm.reporting.callback_breach.recorded.v1", P.REPORTING_EVENTS) == "callback_breach.recorded"
    assert P.event_name("crm.complaints.complaint.received.v1", P.CALL_EVENTS) is None


def test_a_new_version_of_an_event_is_not_read_as_the_version_the_projection_knows() -> None:
    assert P.event_name("crm.calls.call.unanswered_registered.v2", P.CALL_EVENTS) is None
    assert P.event_name("crm.reporting.callback_breach.recorded.v2", P.REPORTING_EVENTS) is None


# --- the unanswered-call record -----------------------------------------------------------------------------------


def test_receiving_a_call_remembers_who_called_but_writes_no_record_yet(calendar) -> None:
    item = P.unanswered_item(None, *RECEIVED, calendar)
    assert item == {"caller": "+989131234567", "member_id": "M-1", "received_at": tehran(2026, 11, 21, 15, 0)}
    assert "registered_at" not in item  # not on any list until registered unanswered


def test_a_caller_without_a_normalised_number_is_remembered_by_the_raw_one(calendar) -> None:
    item = P.unanswered_item(
        None, "received", {"at": iso(tehran(2026, 11, 21, 15)), "caller": None, "caller_raw": "Anonymous"}, calendar
    )
    assert item["caller"] == "Anonymous"


def test_registering_the_call_unanswered_opens_the_record_with_its_deadline(calendar) -> None:
    item = fold(calendar, RECEIVED, registered(tehran(2026, 11, 21, 15, 1), tehran(2026, 11, 24, 15, 1)))
    assert item["state"] == "open"
    assert (item["unit"], item["expert"], item["subject"]) == ("trade", "s.ahmadi", "کارت بازرگانی")
    assert (item["contact_phone"], item["contact_name"]) == ("+989131234567", "علی کریمی")
    assert item["automatic"] is False
    assert item["registered_at"] == tehran(2026, 11, 21, 15, 1)
    assert item["callback_due"] == tehran(2026, 11, 24, 15, 1)
    assert (item["caller"], item["member_id"]) == ("+989131234567", "M-1")  # kept from the first ring


def test_a_callback_that_did_not_reach_the_member_counts_the_attempt_and_leaves_the_record_open(calendar) -> None:
    item = fold(
        calendar,
        RECEIVED,
        registered(tehran(2026, 11, 21, 15, 0), tehran(2026, 11, 24, 15, 0)),
        callback("not_reached", tehran(2026, 11, 22, 9, 0)),
    )
    assert item["state"] == "open"
    assert item["callback_attempts"] == 1
    assert item.get("called_back_at") is None
    assert item.get("callback_delay_working_seconds") is None


def test_reaching_the_member_closes_the_record_with_the_delay_in_working_seconds(calendar) -> None:
    item = fold(
        calendar,
        RECEIVED,
        registered(tehran(2026, 11, 21, 15, 0), tehran(2026, 11, 24, 15, 0)),
        callback("not_reached", tehran(2026, 11, 21, 15, 30)),
        callback("resolved", tehran(2026, 11, 22, 9, 0)),
    )
    assert item["state"] == "called_back"
    assert item["callback_attempts"] == 2
    assert (item["called_back_at"], item["callback_by"], item["outcome"]) == (
        tehran(2026, 11, 22, 9, 0),
        "f.alavi",
        "resolved",
    )
    # Saturday 15:00-16:00 and Sunday 08:00-09:00: the night does not count.
    assert item["callback_delay_working_seconds"] == 2 * 3600


def test_the_callback_delay_skips_the_friday_weekend(calendar) -> None:
    item = fold(
        calendar,
        RECEIVED,
        registered(tehran(2026, 11, 26, 11, 0), tehran(2026, 12, 1, 11, 0)),
        callback("follow_up", tehran(2026, 11, 28, 8, 30)),
    )
    # Thursday 11:00-12:00 (the half day ends at noon), Friday closed, Saturday 08:00-08:30.
    assert item["callback_delay_working_seconds"] == 90 * 60


def test_a_callback_for_a_call_never_seen_writes_nothing(calendar) -> None:
    assert P.unanswered_item(None, *callback("resolved", tehran(2026, 11, 22, 9)), calendar) is None


@pytest.mark.parametrize("name", ["routed", "answered", "transferred_to_expert", "caller_hung_up"])
def test_other_call_events_do_not_touch_the_record(calendar, name: str) -> None:
    assert P.unanswered_item({"caller": "x"}, name, {"at": iso(tehran(2026, 11, 21, 15))}, calendar) is None


def test_times_arrive_as_text_or_as_datetimes_alike(calendar) -> None:
    as_text = fold(calendar, RECEIVED, registered(tehran(2026, 11, 21, 15, 0), tehran(2026, 11, 24, 15, 0)))
    name, data = registered(tehran(2026, 11, 21, 15, 0), tehran(2026, 11, 24, 15, 0))
    as_objects = fold(
        calendar,
        RECEIVED,
        (name, {**data, "at": tehran(2026, 11, 21, 15, 0), "callback_due": tehran(2026, 11, 24, 15, 0)}),
    )
    assert as_text == as_objects


# --- breaches -----------------------------------------------------------------------------------------------------


DUE = tehran(2026, 11, 24, 15, 0)


@pytest.mark.parametrize(
    ("called_back_at", "now", "breached"),
    [
        (None, DUE - timedelta(seconds=1), False),
        (None, DUE, True),  # the deadline is the last moment: at it, the callback is overdue
        (None, DUE + H, True),
        (DUE - H, DUE + H, False),
        (DUE, DUE + H, False),
        (DUE + timedelta(seconds=1), DUE + H, True),  # called back late: still a breach
        (DUE + H, DUE - H, True),
    ],
)
def test_a_record_is_breached_when_the_deadline_passed_without_a_callback(called_back_at, now, breached: bool) -> None:
    assert P.is_breached({"callback_due": DUE, "called_back_at": called_back_at}, now) is breached


def test_a_record_without_a_deadline_is_never_breached() -> None:
    assert P.is_breached({"callback_due": None}, DUE + 100 * H) is False


# --- repeated non-answer ------------------------------------------------------------------------------------------


RULE = P.EscalationRule(threshold=3, window=timedelta(days=7))
MONDAY = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


def calls_at(*offsets_in_hours: float) -> list[tuple[datetime, str]]:
    return [(MONDAY + timedelta(hours=h), f"c{n}") for n, h in enumerate(offsets_in_hours, start=1)]


def test_exactly_the_threshold_of_unanswered_calls_does_not_escalate() -> None:
    assert P.crossing_call(calls_at(0, 1, 2), RULE, since=None) is None


def test_one_more_than_the_threshold_within_the_window_escalates_at_that_call() -> None:
    assert P.crossing_call(calls_at(0, 1, 2, 3), RULE, since=None) == ("c4", MONDAY + 3 * H, ["c1", "c2", "c3", "c4"])


def test_the_first_call_over_the_threshold_is_the_one_reported() -> None:
    crossing = P.crossing_call(calls_at(0, 1, 2, 3, 4, 5), RULE, since=None)
    assert crossing is not None and crossing[0] == "c4"


def test_the_order_registrations_arrive_in_does_not_matter() -> None:
    registrations = calls_at(0, 1, 2, 3)
    assert P.crossing_call(list(reversed(registrations)), RULE, None) == P.crossing_call(registrations, RULE, None)


def test_calls_outside_the_rolling_window_do_not_count() -> None:
    week = 7 * 24
    assert P.crossing_call(calls_at(0, 1, 2, week + 1), RULE, since=None) is None
    # A call exactly one window before the newest has left the window.
    assert P.crossing_call(calls_at(0, 1, 2, week), RULE, since=None) is None
    assert P.crossing_call(calls_at(0, 1, 2, week - 0.01), RULE, since=None) == (
        "c4",
        MONDAY + timedelta(hours=week - 0.01),
        ["c1", "c2", "c3", "c4"],
    )


def test_the_window_slides_so_a_later_cluster_still_escalates() -> None:
    crossing = P.crossing_call(calls_at(0, 200, 201, 202, 203), RULE, since=None)
    assert crossing == ("c5", MONDAY + 203 * H, ["c2", "c3", "c4", "c5"])


def test_calls_up_to_the_last_escalation_do_not_count_again() -> None:
    registrations = calls_at(0, 1, 2, 3, 4, 5)
    last = MONDAY + 3 * H  # the escalation raised at c4
    assert P.crossing_call(registrations, RULE, since=last) is None  # c5, c6 only
    more = [*registrations, (MONDAY + 6 * H, "c7"), (MONDAY + 7 * H, "c8")]
    assert P.crossing_call(more, RULE, since=last) == ("c8", MONDAY + 7 * H, ["c5", "c6", "c7", "c8"])


def test_a_call_registered_at_the_very_moment_of_the_last_escalation_does_not_count_again() -> None:
    registrations = calls_at(0, 1, 2, 3)
    assert (
        P.crossing_call(registrations, RULE, since=MONDAY)
        == P.crossing_call(registrations[1:], RULE, since=None)
        is None
    )


# --- the end-of-day list ------------------------------------------------------------------------------------------


CUTOFF = tehran(2026, 11, 21, 16, 0)


def record(
    call_id: str, registered_at: datetime | None, due: datetime, called_back_at: datetime | None = None
) -> dict[str, Any]:
    return {
        "call_id": call_id,
        "unit": "trade",
        "registered_at": registered_at,
        "callback_due": due,
        "called_back_at": called_back_at,
    }


def test_the_end_of_day_list_holds_what_is_still_owed_at_the_cutoff_earliest_deadline_first() -> None:
    items = [
        record("late-deadline", tehran(2026, 11, 21, 15, 0), tehran(2026, 11, 24, 15, 0)),
        record("early-deadline", tehran(2026, 11, 21, 9, 0), tehran(2026, 11, 24, 9, 0)),
        record("at-cutoff", CUTOFF, tehran(2026, 11, 25, 8, 0)),
        record("after-cutoff", CUTOFF + timedelta(seconds=1), tehran(2026, 11, 25, 8, 0)),
        record(
            "called-back",
            tehran(2026, 11, 21, 9, 0),
            tehran(2026, 11, 24, 9, 0),
            called_back_at=tehran(2026, 11, 21, 11, 0),
        ),
        record("called-back-at-cutoff", tehran(2026, 11, 21, 9, 0), tehran(2026, 11, 24, 9, 0), called_back_at=CUTOFF),
        record("called-back-later", tehran(2026, 11, 21, 9, 0), tehran(2026, 11, 24, 9, 1), called_back_at=CUTOFF + H),
        record("never-registered", None, tehran(2026, 11, 24, 9, 0)),
    ]
    listed = [i["call_id"] for i in P.end_of_day_items(items, CUTOFF)]
    assert listed == ["early-deadline", "called-back-later", "late-deadline", "at-cutoff"]


def test_records_with_the_same_deadline_are_listed_by_call_id() -> None:
    same = tehran(2026, 11, 24, 9, 0)
    items = [record("b", tehran(2026, 11, 21, 9), same), record("a", tehran(2026, 11, 21, 9), same)]
    assert [i["call_id"] for i in P.end_of_day_items(items, CUTOFF)] == ["a", "b"]


def test_nothing_owed_gives_an_empty_list() -> None:
    assert P.end_of_day_items([], CUTOFF) == []


# --- working days whose lists are due -----------------------------------------------------------------------------


WEDNESDAY, THURSDAY, FRIDAY, SATURDAY = date(2026, 11, 25), date(2026, 11, 26), date(2026, 11, 27), date(2026, 11, 28)


@pytest.mark.parametrize(
    ("now", "closed"),
    [
        (tehran(2026, 11, 25, 15, 59), []),
        (tehran(2026, 11, 25, 16, 0), [WEDNESDAY]),  # the working day ends at 16:00 ...
        (tehran(2026, 11, 26, 11, 59), [WEDNESDAY]),
        (tehran(2026, 11, 26, 12, 0), [WEDNESDAY, THURSDAY]),  # ... and at noon on Thursday
        (tehran(2026, 11, 27, 23, 0), [WEDNESDAY, THURSDAY]),  # Friday is no working day
        (tehran(2026, 11, 28, 15, 59), [WEDNESDAY, THURSDAY]),
        (tehran(2026, 11, 28, 16, 0), [WEDNESDAY, THURSDAY, SATURDAY]),
    ],
)
def test_a_working_day_is_closed_once_its_working_time_has_ended(calendar, now: datetime, closed: list[date]) -> None:
    assert P.working_days_to_close(calendar, WEDNESDAY, now) == closed


def test_counting_from_a_friday_starts_on_the_saturday(calendar) -> None:
    assert P.working_days_to_close(calendar, FRIDAY, tehran(2026, 11, 29, 16, 0)) == [SATURDAY, date(2026, 11, 29)]


# --- per-call figures ---------------------------------------------------------------------------------------------


def test_an_incoming_call_routed_to_a_unit_is_offered_to_it_and_counts_as_answered_once_answered(calendar) -> None:
    fact = P.call_fact(None, "received", {"at": iso(tehran(2026, 11, 21, 10, 30)), "direction": "incoming"}, calendar)
    assert (fact["day"], fact["offered"], fact["unit"]) == ("2026-11-21", False, None)
    fact = P.call_fact(fact, "routed", {"unit": "trade"}, calendar)
    assert (fact["unit"], fact["offered"], fact["answered"]) == ("trade", True, False)
    fact = P.call_fact(fact, "answered", {}, calendar)
    assert fact["answered"] is True


def test_the_local_day_of_a_call_is_the_chambers_date_not_utcs(calendar) -> None:
    # 02:00 on Sunday in Tehran is 22:30 on Saturday in UTC.
    fact = P.call_fact(None, "received", {"at": iso(tehran(2026, 11, 22, 2, 0)), "direction": "incoming"}, calendar)
    assert fact["day"] == "2026-11-22"


def test_an_outgoing_call_is_not_offered_to_any_unit(calendar) -> None:
    fact = P.call_fact(None, "received", {"at": iso(tehran(2026, 11, 21, 10)), "direction": "outgoing"}, calendar)
    fact = P.call_fact(fact, "routed", {"unit": "trade"}, calendar)
    assert fact["offered"] is False


def test_an_unanswered_call_counts_for_the_unit_it_was_handed_to_when_never_routed(calendar) -> None:
    fact = P.call_fact(None, "received", {"at": iso(tehran(2026, 11, 21, 10)), "direction": "incoming"}, calendar)
    fact = P.call_fact(fact, "unanswered_registered", {"unit": "legal"}, calendar)
    assert (fact["unit"], fact["unanswered"], fact["offered"]) == ("legal", True, False)
    assert P.call_fact(None, "routed", {"unit": "trade"}, calendar) is None


def test_the_repeated_non_answer_window_counts_working_days_not_calendar_days(calendar) -> None:
    rule = P.EscalationRule(threshold=2, window=timedelta(days=2))
    # Two on Thursday morning, one on Saturday: Friday is the weekend, so these are two consecutive working days,
    # though 50 hours apart.
    registrations = [
        (tehran(2026, 11, 26, 9, 0), "c1"),
        (tehran(2026, 11, 26, 9, 30), "c2"),
        (tehran(2026, 11, 28, 11, 0), "c3"),
    ]
    assert P.crossing_call(registrations, rule, since=None, calendar=calendar) == (
        "c3",
        tehran(2026, 11, 28, 11, 0),
        ["c1", "c2", "c3"],
    )
    # A working day more and Thursday's calls have aged out of the window.
    later = [*registrations[:2], (tehran(2026, 11, 29, 11, 0), "c3")]
    assert P.crossing_call(later, rule, since=None, calendar=calendar) is None
