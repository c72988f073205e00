"""The deadline timer: a breach is recorded when its deadline passes, not at the next poll; the timer sleeps until
the next deadline and looks again when a batch changes the deadlines. Time is the injected FakeClock; the timer's
wait is a fake that moves that clock forward instead of sleeping."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from services.calls.domain import Direction
from services.reporting.deadlines import DeadlineTimer
from tests.reporting.test_engine import (
    abandoned,
    answered_by_member_relations,
    called_back,
    oversight_events,
    tehran,
)


class ClockWait:
    """Stands in for sleeping: moves the fake clock forward by the time asked, or only up to a wake-up that an
    event scheduled at a given instant causes (as a batch arriving in the middle of the sleep)."""

    def __init__(self, clock):
        self.clock = clock
        self.waits: list[float] = []
        self.interruptions: list[tuple[datetime, object]] = []  # (at, action) run when the clock reaches `at`

    async def __call__(self, event: asyncio.Event, seconds: float) -> bool:
        self.waits.append(seconds)
        end = self.clock.now + timedelta(seconds=seconds)
        for at, action in sorted(self.interruptions, key=lambda x: x[0]):
            if at <= end:
                self.interruptions.remove((at, action))
                self.clock.now = at
                action()
                if event.is_set():
                    return True
        self.clock.now = end
        return event.is_set()


def make_timer(engine, clock, wait, *, longest: float = 5.0, caught_up=lambda: True) -> DeadlineTimer:
    async def next_deadline():
        return engine.next_deadline()

    async def fire() -> bool:
        if not caught_up():
            return False
        engine.tick()
        return True

    return DeadlineTimer(next_deadline, fire, clock, longest=longest, wait=wait)


def breaches(oversight) -> list:
    return oversight_events(oversight, "callback_breach.recorded")


def run_steps(timer: DeadlineTimer, n: int) -> None:
    async def go() -> None:
        for _ in range(n):
            await timer.step()

    asyncio.run(go())


def test_the_next_deadline_is_the_earliest_callback_not_yet_breached(centre, clock, feed, engine, oversight) -> None:
    assert engine.next_deadline() is None
    later = abandoned(centre, tehran(2026, 11, 21, 11, 0), caller="09121112233")
    first = abandoned(centre, tehran(2026, 11, 21, 10, 31))
    assert feed().deadlines_changed
    assert engine.next_deadline() == tehran(2026, 11, 24, 10, 31)

    clock.now = tehran(2026, 11, 24, 10, 0)
    called_back(centre, first)
    assert feed().deadlines_changed
    assert engine.next_deadline() == tehran(2026, 11, 24, 11, 0)

    # Recorded, on its way back through the topic: no longer a deadline to wake for.
    assert engine.tick(tehran(2026, 11, 24, 11, 0))["breaches"] == 1
    end_of_day = engine.calendar.end_of_working_day(date(2026, 11, 24))
    assert engine.next_deadline() == end_of_day  # the end of the working day, whose list is next
    outcome = feed()  # the breach comes back: the read model holds it, the engine forgets it
    assert outcome.deadlines_changed
    assert engine._breached == set()
    assert engine.next_deadline() == end_of_day
    assert [b.data["call_id"] for b in breaches(oversight)] == [later]


def test_a_batch_that_touches_no_deadline_does_not_wake_the_timer(centre, feed) -> None:
    call = centre.receive_call(direction=Direction.INCOMING, caller="09131234567", unit="trade")
    centre.record_answer(call, "k.rezaei")
    assert feed().deadlines_changed is False


def test_the_breach_is_recorded_at_the_deadline_not_at_the_next_poll(centre, clock, feed, engine, oversight) -> None:
    call = abandoned(centre, tehran(2026, 11, 21, 10, 31))  # due Tuesday 10:31
    feed()
    due = tehran(2026, 11, 24, 10, 31)
    # 2.3 s before a poll every 5 s would come round: polling from here would notice the breach 2.7 s late.
    clock.now = due - timedelta(seconds=42.3)
    wait = ClockWait(clock)
    timer = make_timer(engine, clock, wait, longest=5.0)

    fired = []
    for _ in range(20):
        fired.append(asyncio.run(timer.step()))
        if breaches(oversight):
            break
    [breach] = breaches(oversight)
    assert breach.data["call_id"] == call
    assert datetime.fromisoformat(breach.data["detected_at"]) == due  # exactly at the deadline
    # It slept in steps of at most 5 s, the last one cut to end at the deadline itself.
    assert wait.waits[:8] == [5.0] * 8
    assert abs(wait.waits[8] - 2.3) < 1e-6
    assert clock.now == due


def test_a_far_deadline_is_one_sleep_and_the_breach_lands_on_it(centre, clock, feed, engine, oversight) -> None:
    abandoned(centre, tehran(2026, 11, 21, 10, 31))
    feed()
    wait = ClockWait(clock)
    timer = make_timer(engine, clock, wait, longest=7 * 86400.0)
    run_steps(timer, 1)
    due = tehran(2026, 11, 24, 10, 31)
    assert wait.waits == [(due - tehran(2026, 11, 21, 10, 30)).total_seconds()]
    [breach] = breaches(oversight)
    assert datetime.fromisoformat(breach.data["detected_at"]) == due


def test_a_batch_that_brings_an_earlier_deadline_rearms_the_timer(centre, clock, feed, engine, oversight) -> None:
    abandoned(centre, tehran(2026, 11, 21, 10, 31))  # due Tuesday 10:31
    feed()
    wait = ClockWait(clock)
    timer = make_timer(engine, clock, wait, longest=7 * 86400.0)

    # At 11:00, while the timer sleeps towards Tuesday, member relations leave a call without an outcome: its
    # follow-up is due at 12:05 (the same day), long before Tuesday.
    def arrives() -> None:
        answered_by_member_relations(centre, tehran(2026, 11, 21, 10, 0), "mr-late")
        if feed().deadlines_changed:
            timer.rearm()

    wait.interruptions.append((tehran(2026, 11, 21, 11, 0), arrives))
    assert asyncio.run(timer.step()) is False  # woken by the batch: nothing fired yet
    assert clock.now == tehran(2026, 11, 21, 11, 0)
    assert timer.armed_for == tehran(2026, 11, 24, 10, 31)
    assert asyncio.run(timer.step()) is True
    assert timer.armed_for == tehran(2026, 11, 21, 12, 5)
    assert clock.now == tehran(2026, 11, 21, 12, 5)
    [follow_up] = oversight_events(oversight, "member_relations_follow_up_breach.recorded")
    assert datetime.fromisoformat(follow_up.data["detected_at"]) == tehran(2026, 11, 21, 12, 5)
    assert breaches(oversight) == []  # Tuesday's deadline is still ahead


def test_a_callback_before_the_deadline_disarms_it(centre, clock, feed, engine, oversight) -> None:
    call = abandoned(centre, tehran(2026, 11, 21, 10, 31))
    feed()
    wait = ClockWait(clock)
    timer = make_timer(engine, clock, wait, longest=7 * 86400.0)

    def called() -> None:
        called_back(centre, call)
        if feed().deadlines_changed:
            timer.rearm()

    wait.interruptions.append((tehran(2026, 11, 22, 9, 0), called))
    assert asyncio.run(timer.step()) is False
    assert engine.next_deadline() is None
    assert asyncio.run(timer.step()) is True  # only the longest sleep: nothing due
    assert breaches(oversight) == []


def test_while_the_processor_catches_up_the_timer_tries_again_shortly(centre, clock, feed, engine, oversight) -> None:
    abandoned(centre, tehran(2026, 11, 21, 10, 31))
    feed()
    clock.now = tehran(2026, 11, 24, 10, 31)
    state = {"caught_up": False}
    wait = ClockWait(clock)
    timer = make_timer(engine, clock, wait, caught_up=lambda: state["caught_up"])
    assert asyncio.run(timer.step()) is False
    assert wait.waits == [0.25]  # not a busy loop, not a 5 s poll either
    assert breaches(oversight) == []
    state["caught_up"] = True
    assert asyncio.run(timer.step()) is True
    [breach] = breaches(oversight)
    assert datetime.fromisoformat(breach.data["detected_at"]) == tehran(2026, 11, 24, 10, 31) + timedelta(seconds=0.25)


def test_delay_is_bounded_by_the_longest_sleep_and_never_negative() -> None:
    async def none():
        return None

    async def fire():
        return True

    now = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
    timer = DeadlineTimer(none, fire, lambda: now, longest=5.0)
    assert timer.delay(None, now) == 5.0
    assert timer.delay(now + timedelta(seconds=1.5), now) == 1.5
    assert timer.delay(now + timedelta(hours=1), now) == 5.0
    assert timer.delay(now - timedelta(seconds=3), now) == 0.0
