"""The reporting processors' decisions, fed with the calls service's real events as they arrive from Kafka: the
unanswered-call queues, callback breaches, end-of-day lists and escalations of repeated non-answer."""

from __future__ import annotations

import itertools
import uuid
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from services.calls.application import CallCentre
from services.calls.domain import CallbackOutcome, Direction, call_id_for_pbx
from services.calls.telephony import TelephonyEvent
from services.reporting.engine import ReportingEngine
from services.reporting.oversight import Oversight
from services.reporting.projections import EscalationRule
from services.reporting.readmodel import BatchOutcome, ReadModel
from shared.calendar import IRAN, BusinessCalendar
from shared.envelope import CloudEvent, from_kafka
from shared.eventstore import CrmApplication
from shared.organisation import DEFAULT_ORGANISATION, Organisation
from shared.relay import EnvelopeMapper

TEHRAN = ZoneInfo("Asia/Tehran")
ORGANISATION = Organisation.load(DEFAULT_ORGANISATION)
RULE = EscalationRule(threshold=3, window=timedelta(days=7))
_serial = itertools.count(1)


def tehran(*args: int) -> datetime:
    return datetime(*args, tzinfo=TEHRAN)


def over_kafka(event: CloudEvent) -> CloudEvent:
    """The envelope as the processor reads it back from a Kafka record: headers and JSON value."""
    return from_kafka(event.headers(), event.value())


def envelopes(app: CrmApplication, after: int = 0) -> list[CloudEvent]:
    mapper = EnvelopeMapper(app)
    return [over_kafka(mapper(n)) for n in app.recorder.select_notifications(after, 1000, inclusive_of_start=False)]


def oversight_events(oversight: Oversight, kind: str | None = None) -> list[CloudEvent]:
    return [e for e in envelopes(oversight) if kind is None or e.type == f"crm.reporting.{kind}.v1"]


class Feed:
    """Delivers the stores' new events to the engine in log order, as the processor consumes the topics."""

    def __init__(self, engine: ReportingEngine, *apps: CrmApplication):
        self.engine = engine
        self.positions = {app: 0 for app in apps}

    def __call__(self) -> BatchOutcome:
        events: list[CloudEvent] = []
        for app, position in self.positions.items():
            new = envelopes(app, position)
            if new:
                self.positions[app] = new[-1].position
            events.extend(new)
        return self.engine.handle(events)


def abandoned(
    centre: CallCentre, at: datetime, queue: str = "602", caller: str = "09131234567", missed_by: str | None = None
) -> str:
    """A caller who gave up in a unit's queue: registered unanswered automatically at `at`."""
    pbx = f"pbx-{next(_serial)}"
    events = [("queued", {"queue": queue, "caller": caller})]
    if missed_by:
        events.append(("agent_missed", {"queue": queue, "agent": missed_by}))
    events.append(("abandoned", {"queue": queue}))
    for kind, fields in events:
        result = centre.ingest(
            TelephonyEvent(source="webhook", event_id=f"{pbx}-{kind}", call_id=pbx, kind=kind, at=at, **fields)
        )
        assert result.status == "applied", result
    return str(call_id_for_pbx(pbx))


def through_member_relations(centre: CallCentre, clock, expert: str = "s.ahmadi") -> str:
    """A trade call that member relations took down and transferred in vain, registered unanswered by hand."""
    call_id = centre.receive_call(direction=Direction.INCOMING, caller="0912 111 2233", unit="trade")
    centre.transfer_to_member_relations(call_id)
    centre.take_down_subject(
        call_id, subject="گواهی مبدأ", by="z.rahimi", contact_name="مریم احمدی", contact_phone=None
    )
    centre.transfer_to_expert(call_id, expert=expert, by="z.rahimi")
    clock.advance(minutes=1)
    centre.register_unanswered(call_id, by="z.rahimi", subject=None, contact_name=None, contact_phone=None)
    return str(call_id)


def called_back(centre: CallCentre, call_id: str, outcome: CallbackOutcome = CallbackOutcome.RESOLVED) -> None:
    centre.record_callback(uuid.UUID(call_id), by="f.alavi", outcome=outcome, note=None)


# --- the unanswered-call queues -----------------------------------------------------------------------------------


def test_each_unit_and_each_expert_sees_its_unanswered_calls_with_the_callback_deadline(
    centre, clock, feed, readmodel
) -> None:
    answered = centre.receive_call(direction=Direction.INCOMING, caller="09131234567", unit="trade")
    centre.record_answer(answered, "k.rezaei")
    first = abandoned(centre, tehran(2026, 11, 21, 10, 31))
    clock.now = tehran(2026, 11, 21, 10, 20)  # registered at 10:21, before the abandoned call
    by_hand = through_member_relations(centre, clock)
    membership = abandoned(centre, tehran(2026, 11, 21, 11, 0), queue="601", caller="0313 222 3344", missed_by="201")
    outcome = feed()
    assert outcome.duplicate == 0
    assert outcome.units_with_new_unanswered == {"trade", "membership"}

    trade = readmodel.unanswered_items(unit="trade")
    assert [i["call_id"] for i in trade] == [by_hand, first]  # earliest deadline first
    assert [i["callback_due"] for i in trade] == [tehran(2026, 11, 24, 10, 21), tehran(2026, 11, 24, 10, 31)]
    hand = trade[0]
    assert (hand["expert"], hand["subject"], hand["contact_name"], hand["contact_phone"]) == (
        "s.ahmadi",
        "گواهی مبدأ",
        "مریم احمدی",
        "+989121112233",
    )
    assert (hand["registered_at"], hand["automatic"], hand["state"]) == (tehran(2026, 11, 21, 10, 21), False, "open")
    auto = trade[1]
    assert (auto["expert"], auto["subject"], auto["automatic"], auto["caller"]) == (None, None, True, "+989131234567")

    assert [i["call_id"] for i in readmodel.unanswered_items(expert="s.ahmadi")] == [by_hand]
    [member] = readmodel.unanswered_items(unit="membership")
    assert (member["call_id"], member["expert"], member["contact_phone"]) == (membership, "r.sadeghi", "+983132223344")
    assert member["callback_due"] == tehran(2026, 11, 24, 11, 0)
    assert str(answered) not in {i["call_id"] for i in readmodel.unanswered_items(state=None)}


def test_a_callback_moves_the_call_out_of_the_open_queue_with_its_working_time_delay(
    centre, clock, feed, readmodel
) -> None:
    call = abandoned(centre, tehran(2026, 11, 21, 10, 30))
    clock.now = tehran(2026, 11, 22, 9, 0)
    called_back(centre, call, CallbackOutcome.NOT_REACHED)
    feed()
    [still_open] = readmodel.unanswered_items(unit="trade")
    assert still_open["callback_attempts"] == 1

    clock.advance(minutes=30)
    called_back(centre, call, CallbackOutcome.FOLLOW_UP)
    feed()
    assert readmodel.unanswered_items(unit="trade") == []
    [reached] = readmodel.unanswered_items(unit="trade", state="following_up")
    assert (reached["callback_attempts"], reached["outcome"], reached["callback_by"]) == (2, "follow_up", "f.alavi")
    # Saturday 10:30-16:00 is 5h30, Sunday 08:00-09:30 is 1h30.
    assert reached["callback_delay_working_seconds"] == 7 * 3600

    clock.advance(days=1)
    called_back(centre, call, CallbackOutcome.RESOLVED)
    feed()
    [done] = readmodel.unanswered_items(unit="trade", state="called_back")
    assert (done["callback_attempts"], done["outcome"]) == (3, "resolved")
    assert done["callback_delay_working_seconds"] == 7 * 3600  # the deadline was met by the follow-up call


def test_a_replayed_batch_changes_nothing(centre, clock, feed, engine, readmodel) -> None:
    abandoned(centre, tehran(2026, 11, 21, 10, 31))
    through_member_relations(centre, clock)
    first = feed()
    before = readmodel.dump()

    replay = envelopes(centre)
    again = engine.handle(replay)
    assert (again.applied, again.duplicate) == (0, len(replay)) == (0, first.applied)
    assert again.units_with_new_unanswered == set()
    assert readmodel.dump() == before


def test_a_batch_mixing_replayed_and_new_events_applies_only_the_new_ones(
    centre, clock, feed, engine, readmodel
) -> None:
    abandoned(centre, tehran(2026, 11, 21, 10, 31))
    old = feed().applied
    newer = abandoned(centre, tehran(2026, 11, 21, 10, 40), queue="603")
    outcome = engine.handle(envelopes(centre))
    assert (outcome.applied, outcome.duplicate) == (len(envelopes(centre)) - old, old)
    assert [i["call_id"] for i in readmodel.unanswered_items(unit="international")] == [newer]


# --- callback breaches --------------------------------------------------------------------------------------------


def test_a_callback_not_made_by_the_deadline_is_recorded_as_one_breach(
    centre, feed, engine, oversight, readmodel
) -> None:
    call = abandoned(centre, tehran(2026, 11, 21, 10, 31))  # due Tuesday 10:31
    feed()
    assert engine.tick(tehran(2026, 11, 24, 10, 30))["breaches"] == 0
    assert oversight_events(oversight, "callback_breach.recorded") == []

    after = tehran(2026, 11, 24, 10, 32)
    assert engine.tick(after)["breaches"] == 1
    assert engine.tick(after + timedelta(hours=1))["breaches"] == 0
    [breach] = oversight_events(oversight, "callback_breach.recorded")
    assert breach.data["call_id"] == call
    assert (breach.data["unit"], breach.data["expert"]) == ("trade", None)
    assert datetime.fromisoformat(breach.data["callback_due"]) == tehran(2026, 11, 24, 10, 31)
    assert datetime.fromisoformat(breach.data["detected_at"]) == after

    # A restarted processor, before the breach came back through Kafka, decides the same and records nothing new.
    restarted = ReportingEngine(readmodel, oversight, ORGANISATION, engine.calendar, RULE, engine.clock)
    assert restarted.tick(after + timedelta(hours=2))["breaches"] == 0
    assert len(oversight_events(oversight, "callback_breach.recorded")) == 1

    feed()  # the oversight's own events come back from its topic
    [item] = readmodel.unanswered_items(unit="trade", breached=True)
    # Breached when the deadline passed; noticed a minute later, at the tick.
    assert (item["call_id"], item["breached_at"], item["detected_at"]) == (call, tehran(2026, 11, 24, 10, 31), after)
    assert readmodel.overdue_without_breach(after + timedelta(days=1)) == []


def test_the_deadline_check_reads_the_chambers_local_time_correctly(centre, feed, engine, oversight) -> None:
    abandoned(centre, tehran(2026, 11, 21, 10, 31))
    feed()
    # One minute before the deadline, given in Tehran time: its wall clock (10:30) is later than the deadline's UTC
    # wall clock (07:01), which must not be mistaken for "past the deadline".
    assert engine.tick(tehran(2026, 11, 24, 10, 30))["breaches"] == 0
    assert engine.tick(tehran(2026, 11, 24, 10, 31))["breaches"] == 1


def test_the_clocks_time_is_used_when_no_time_is_given(centre, feed, engine, oversight, clock) -> None:
    abandoned(centre, tehran(2026, 11, 21, 10, 31))
    feed()
    clock.now = tehran(2026, 11, 24, 10, 30)
    assert engine.tick()["breaches"] == 0
    clock.advance(minutes=2)
    assert engine.tick()["breaches"] == 1


def test_a_callback_before_the_deadline_is_no_breach(centre, clock, feed, engine, oversight) -> None:
    call = abandoned(centre, tehran(2026, 11, 21, 10, 31))
    clock.now = tehran(2026, 11, 24, 10, 0)
    called_back(centre, call)
    feed()
    assert engine.tick(tehran(2026, 11, 30, 12, 0))["breaches"] == 0
    assert oversight_events(oversight, "callback_breach.recorded") == []


def test_a_callback_that_did_not_reach_the_member_does_not_stop_the_breach(
    centre, clock, feed, engine, oversight
) -> None:
    call = abandoned(centre, tehran(2026, 11, 21, 10, 31))
    clock.now = tehran(2026, 11, 24, 10, 0)
    called_back(centre, call, CallbackOutcome.NOT_REACHED)
    feed()
    assert engine.tick(tehran(2026, 11, 24, 10, 32))["breaches"] == 1


# --- end-of-day lists ---------------------------------------------------------------------------------------------


def test_the_end_of_day_list_is_produced_once_the_working_day_has_ended_and_not_before(
    centre, clock, feed, engine, oversight, readmodel
) -> None:
    open_call = abandoned(centre, tehran(2026, 11, 21, 10, 31))
    settled = abandoned(centre, tehran(2026, 11, 21, 11, 0), caller="09121112233")
    membership = abandoned(centre, tehran(2026, 11, 21, 12, 0), queue="601", caller="09130000000")
    clock.now = tehran(2026, 11, 21, 14, 0)
    called_back(centre, settled)
    feed()

    assert engine.tick(tehran(2026, 11, 21, 15, 59))["lists"] == 0
    assert oversight_events(oversight, "end_of_day_list.produced") == []

    assert engine.tick(tehran(2026, 11, 21, 16, 0))["lists"] == 2
    lists = {e.data["unit"]: e.data for e in oversight_events(oversight, "end_of_day_list.produced")}
    assert set(lists) == {"trade", "membership"}
    trade = lists["trade"]
    assert (trade["day"], trade["manager"]) == ("2026-11-21", "f.alavi")
    assert datetime.fromisoformat(trade["produced_at"]) == tehran(2026, 11, 21, 16, 0)
    [entry] = trade["items"]
    assert entry["call_id"] == open_call
    assert (entry["caller"], entry["contact_phone"], entry["automatic"]) == ("+989131234567", "+989131234567", True)
    assert entry["callback_due_local"] == "1405/09/03 10:31"  # Tuesday 24 November 2026 in the Solar Hijri calendar
    assert [i["call_id"] for i in lists["membership"]["items"]] == [membership]
    assert lists["membership"]["manager"] == "h.tehrani"

    assert engine.tick(tehran(2026, 11, 21, 17, 0))["lists"] == 0  # produced once
    feed()
    stored = readmodel.end_of_day_list("trade", "2026-11-21")
    assert [i["call_id"] for i in stored["items"]] == [open_call]
    assert stored["manager"] == "f.alavi"


def test_each_end_of_day_list_asks_once_for_its_delivery_to_the_units_manager(
    centre, clock, feed, engine, oversight, readmodel
) -> None:
    abandoned(centre, tehran(2026, 11, 21, 10, 31))
    abandoned(centre, tehran(2026, 11, 21, 12, 0), queue="601", caller="09130000000")
    feed()
    engine.tick(tehran(2026, 11, 21, 16, 0))
    engine.tick(tehran(2026, 11, 21, 17, 0))
    asked = {e.data["unit"]: e for e in oversight_events(oversight, "end_of_day_list.delivery_requested")}
    assert {unit: (e.data["to"], e.data["day"], e.data["count"]) for unit, e in asked.items()} == {
        "trade": ("f.alavi", "2026-11-21", 1),
        "membership": ("h.tehrani", "2026-11-21", 1),
    }
    assert datetime.fromisoformat(asked["trade"].data["at"]) == tehran(2026, 11, 21, 16, 0)
    # The notifier finds the list itself in the same aggregate's Produced event.
    [produced] = [e for e in oversight_events(oversight, "end_of_day_list.produced") if e.data["unit"] == "trade"]
    assert asked["trade"].subject == produced.subject
    feed()
    [entry] = readmodel.end_of_day_index("trade")
    assert (entry["delivery_requested_to"], entry["delivery_requested_at"]) == ("f.alavi", tehran(2026, 11, 21, 16, 0))


def test_a_list_of_a_unit_with_no_manager_on_file_is_produced_and_shown_as_not_sent(oversight, clock) -> None:
    assert oversight.produce_end_of_day_list(
        unit="trade", day="2026-11-21", manager=None, produced_at=tehran(2026, 11, 21, 16, 0), items=[]
    )
    assert oversight_events(oversight, "end_of_day_list.delivery_requested") == []


def test_a_call_stays_on_each_days_list_until_it_is_called_back(centre, clock, feed, engine, oversight) -> None:
    call = abandoned(centre, tehran(2026, 11, 21, 10, 31))
    feed()
    assert engine.tick(tehran(2026, 11, 22, 16, 0))["lists"] == 2  # Saturday's and Sunday's
    clock.now = tehran(2026, 11, 23, 9, 0)
    called_back(centre, call)
    feed()
    assert engine.tick(tehran(2026, 11, 23, 16, 0))["lists"] == 0  # nothing owed on Monday evening
    days = sorted(e.data["day"] for e in oversight_events(oversight, "end_of_day_list.produced"))
    assert days == ["2026-11-21", "2026-11-22"]


def test_on_thursday_the_list_comes_at_noon_and_the_friday_weekend_has_none(centre, feed, engine, oversight) -> None:
    call = abandoned(centre, tehran(2026, 11, 26, 10, 0))
    feed()
    assert engine.tick(tehran(2026, 11, 26, 11, 59))["lists"] == 0
    assert engine.tick(tehran(2026, 11, 26, 12, 0))["lists"] == 1
    assert engine.tick(tehran(2026, 11, 27, 23, 0))["lists"] == 0  # Friday
    assert engine.tick(tehran(2026, 11, 28, 16, 0))["lists"] == 1  # Saturday
    produced = [
        (e.data["day"], [i["call_id"] for i in e.data["items"]])
        for e in oversight_events(oversight, "end_of_day_list.produced")
    ]
    assert produced == [("2026-11-26", [call]), ("2026-11-28", [call])]


def test_a_call_registered_after_the_end_of_the_day_goes_on_the_next_days_list(
    centre, clock, feed, engine, oversight
) -> None:
    early = abandoned(centre, tehran(2026, 11, 21, 15, 0))
    late = abandoned(centre, tehran(2026, 11, 21, 18, 0), caller="09121112233")
    feed()
    engine.tick(tehran(2026, 11, 22, 16, 0))
    lists = {
        e.data["day"]: [i["call_id"] for i in e.data["items"]]
        for e in oversight_events(oversight, "end_of_day_list.produced")
    }
    assert lists["2026-11-21"] == [early]
    # Both due Tuesday; the one registered after hours counts from Sunday 08:00, so it is due later.
    assert lists["2026-11-22"] == [early, late]


# --- repeated non-answer ------------------------------------------------------------------------------------------


def test_one_more_unanswered_call_than_the_threshold_escalates_the_unit_once_for_review(
    centre, feed, engine, oversight, readmodel
) -> None:
    calls = [abandoned(centre, tehran(2026, 11, 21, 10, 31 + n)) for n in range(3)]
    abandoned(centre, tehran(2026, 11, 21, 10, 40), queue="601")  # another unit's: does not count for trade
    feed()
    assert oversight_events(oversight) == []  # exactly the threshold: no escalation yet

    calls.append(abandoned(centre, tehran(2026, 11, 21, 10, 45)))
    feed()
    [raised] = oversight_events(oversight, "escalation.raised")
    assert raised.data["unit"] == "trade"
    assert raised.data["call_ids"] == calls
    assert (raised.data["threshold"], raised.data["window_days"]) == (3, 7)
    assert datetime.fromisoformat(raised.data["at"]) == tehran(2026, 11, 21, 10, 45)
    # The member-relations manager reviews it first; only the SG opens a corrective action, in the actions service.
    assert raised.data["corrective_action_id"] is None
    assert oversight_events(oversight, "corrective_action.opened") == []

    # Not again for the same calls: not on replay, not after a restart, not when one more call comes in.
    assert engine.handle(envelopes(centre)).applied == 0
    assert engine.check_escalation("trade") is False
    restarted = ReportingEngine(readmodel, oversight, ORGANISATION, engine.calendar, RULE, engine.clock)
    assert restarted.check_escalation("trade") is False
    abandoned(centre, tehran(2026, 11, 21, 11, 0))
    feed()  # also brings the escalation itself back from the reporting topic
    assert Counter(e.type for e in oversight_events(oversight)) == {"crm.reporting.escalation.raised.v1": 1}
    [stored] = readmodel.escalation_list("trade")
    assert (stored["unanswered_count"], stored["call_ids"]) == (4, calls)
    assert (stored["status"], stored["corrective_action_id"]) == ("raised", None)

    # A restarted processor that knows of the escalation from the read model counts only later calls.
    fresh = ReportingEngine(readmodel, oversight, ORGANISATION, engine.calendar, RULE, engine.clock)
    assert fresh.check_escalation("trade") is False


def test_unanswered_calls_spread_wider_than_the_window_do_not_escalate(centre, feed, oversight) -> None:
    for day in (21, 22):
        abandoned(centre, tehran(2026, 11, day, 10, 0))
    for day in (29, 30):  # the first two are more than seven days before these
        abandoned(centre, tehran(2026, 11, day, 10, 0))
    feed()
    assert oversight_events(oversight, "escalation.raised") == []


def test_after_an_escalation_the_unit_escalates_again_only_when_new_calls_cross_the_threshold(
    centre, feed, oversight
) -> None:
    for minute in range(4):
        abandoned(centre, tehran(2026, 11, 21, 10, minute))
    feed()
    later = [abandoned(centre, tehran(2026, 11, 22, 10, minute)) for minute in range(4)]
    feed()
    raised = oversight_events(oversight, "escalation.raised")
    assert len(raised) == 2
    assert raised[1].data["call_ids"] == later


def test_a_flood_into_one_unit_raises_every_escalation_due_in_the_same_batch(centre, feed, oversight) -> None:
    # Twelve calls in one batch, threshold 3: the 4th, 8th and 12th each cross it anew. Raised one per batch, the
    # rest waited for later batches and each check re-read a backlog that grew with the flood.
    flood = [abandoned(centre, tehran(2026, 11, 21, 10, minute)) for minute in range(12)]
    feed()
    raised = oversight_events(oversight, "escalation.raised")
    assert [e.data["call_ids"] for e in raised] == [flood[0:4], flood[4:8], flood[8:12]]
    assert [datetime.fromisoformat(e.data["at"]) for e in raised] == [tehran(2026, 11, 21, 10, m) for m in (3, 7, 11)]
    feed()  # the escalations come back from the reporting topic: none is raised twice
    assert len(oversight_events(oversight, "escalation.raised")) == 3


# --- calls member relations answered ------------------------------------------------------------------------------


def answered_by_member_relations(centre: CallCentre, at: datetime, pbx: str) -> str:
    """A trade call the unit let go, that z.rahimi (extension 301) answered for member relations; the line went
    down at `at` + 5 minutes with nothing recorded about its subject."""
    events = [
        ("queued", at, {"queue": "602", "caller": "09131234567"}),
        ("queue_timeout", at + timedelta(minutes=1), {"queue": "602"}),
        ("queued", at + timedelta(minutes=1), {"queue": "700"}),
        ("answered", at + timedelta(minutes=2), {"queue": "700", "agent": "301"}),
        ("completed", at + timedelta(minutes=5), {"queue": "700", "agent": "301"}),
    ]
    for n, (kind, when, fields) in enumerate(events):
        event = TelephonyEvent(source="webhook", event_id=f"{pbx}-{n}", call_id=pbx, kind=kind, at=when, **fields)
        assert centre.ingest(event).status == "applied"
    return str(call_id_for_pbx(pbx))


def test_a_call_member_relations_answered_and_left_without_outcome_is_breached_once_its_deadline_passed(
    centre, feed, engine, oversight, readmodel
) -> None:
    call = answered_by_member_relations(centre, tehran(2026, 11, 21, 10, 0), "mr-late")  # due 12:05
    done = answered_by_member_relations(centre, tehran(2026, 11, 21, 10, 0), "mr-done")
    centre.resolve_by_member_relations(uuid.UUID(done), by="z.rahimi", note="answered the question about fees")
    feed()
    assert [(i["call_id"], i["expert"]) for i in readmodel.follow_up_items()] == [(call, "z.rahimi")]
    assert engine.tick(tehran(2026, 11, 21, 12, 4))["follow_up_breaches"] == 0

    noticed = tehran(2026, 11, 21, 12, 30)
    assert engine.tick(noticed)["follow_up_breaches"] == 1
    assert engine.tick(noticed + timedelta(hours=1))["follow_up_breaches"] == 0
    [breach] = oversight_events(oversight, "member_relations_follow_up_breach.recorded")
    assert (breach.data["call_id"], breach.data["expert"]) == (call, "z.rahimi")
    feed()
    [item] = readmodel.follow_up_items(breached=True)
    assert (item["breached_at"], item["detected_at"]) == (tehran(2026, 11, 21, 12, 5), noticed)


def test_a_weekend_does_not_let_a_units_unanswered_calls_age_out_of_the_window(
    centre, readmodel, oversight, calendar, clock
) -> None:
    engine = ReportingEngine(
        readmodel, oversight, ORGANISATION, calendar, EscalationRule(threshold=2, window=timedelta(days=2)), clock
    )
    feed = Feed(engine, centre, oversight)
    for at in (tehran(2026, 11, 26, 9, 0), tehran(2026, 11, 26, 9, 30), tehran(2026, 11, 28, 11, 0)):
        abandoned(centre, at)  # Thursday, Thursday, and Saturday after the Friday weekend
    feed()
    [raised] = oversight_events(oversight, "escalation.raised")
    assert (raised.data["unit"], len(raised.data["call_ids"])) == ("trade", 3)


def test_a_read_model_built_before_breaches_kept_their_detection_time_gains_the_column(tmp_path, calendar) -> None:
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path}/old.db"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE unanswered_calls (call_id VARCHAR(36) PRIMARY KEY, breached_at DATETIME)"))
    ReadModel(url, calendar)
    assert "detected_at" in {c["name"] for c in sa.inspect(engine).get_columns("unanswered_calls")}


# --- the chamber's calendar ---------------------------------------------------------------------------------------


def test_a_closure_moves_the_deadline_in_force_in_the_read_model_and_its_calendar_follows(
    centre, feed, readmodel, tmp_path
) -> None:
    from datetime import date

    call_id = abandoned(centre, tehran(2026, 12, 1, 15, 0))
    feed()
    [item] = readmodel.unanswered_items(unit="trade")
    assert item["callback_due"] == tehran(2026, 12, 6, 11, 0)

    centre.close_day(day=date(2026, 12, 2), reason="pollution", by="operator")
    assert centre.move_deadlines([uuid.UUID(call_id)], reason="closed on 2026-12-02 (pollution)") == 1
    feed()
    [item] = readmodel.unanswered_items(unit="trade")
    assert item["callback_due"] == tehran(2026, 12, 7, 11, 0)  # the deadline in force, not the first one

    # Another process over the same read model (an API replica) counts working time on the same calendar.
    replica = ReadModel(f"sqlite:///{tmp_path}/rm.db", BusinessCalendar(IRAN))
    assert not replica.calendar.is_working_day(date(2026, 12, 2))
    assert replica.calendar.holiday_name(date(2026, 12, 2)) == "Chamber holiday: pollution"
