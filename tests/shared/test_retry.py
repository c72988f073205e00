"""Reconnect with backoff: failures wait longer each time up to a ceiling, a working connection starts over,
and asking to stop ends the loop."""

from __future__ import annotations

import asyncio

import pytest

from shared.retry import Backoff, run_with_retry, wait_or_stop


def test_delays_double_up_to_the_ceiling() -> None:
    backoff = Backoff(first=0.5, ceiling=3.0)
    assert [backoff.next() for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_a_reset_starts_over_from_the_first_delay() -> None:
    backoff = Backoff(first=0.5, ceiling=10.0)
    backoff.next()
    backoff.next()
    backoff.reset()
    assert backoff.next() == 0.5


def run_scripted(outcomes: list[str]) -> tuple[list[float], int]:
    """Run the loop against attempts that fail, connect-then-fail, or stop; return the waits and the attempts."""
    waits: list[float] = []
    attempts = 0

    async def scenario() -> None:
        nonlocal attempts
        stop = asyncio.Event()

        async def attempt(backoff: Backoff) -> None:
            nonlocal attempts
            outcome = outcomes[attempts]
            attempts += 1
            if outcome == "connects, then fails":
                backoff.reset()
                raise ConnectionError(outcome)
            if outcome == "fails":
                raise ConnectionError(outcome)
            stop.set()

        async def no_sleep(_stop: asyncio.Event, seconds: float) -> None:
            waits.append(seconds)

        await run_with_retry(attempt, stop, "test", sleep=no_sleep)

    asyncio.run(scenario())
    return waits, attempts


def test_failures_are_retried_waiting_longer_each_time_until_asked_to_stop() -> None:
    waits, attempts = run_scripted(["fails", "fails", "fails", "stops"])
    assert waits == [0.5, 1.0, 2.0]
    assert attempts == 4


def test_after_a_connection_worked_the_next_failure_waits_the_first_delay_again() -> None:
    waits, _ = run_scripted(["fails", "fails", "connects, then fails", "stops"])
    assert waits == [0.5, 1.0, 0.5]


def test_a_cancelled_loop_is_not_retried() -> None:
    async def scenario() -> None:
        async def attempt(_backoff: Backoff) -> None:
            raise asyncio.CancelledError

        await run_with_retry(attempt, asyncio.Event(), "test")

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(scenario())


def test_waiting_ends_at_once_when_asked_to_stop() -> None:
    async def scenario() -> bool:
        stop = asyncio.Event()
        stop.set()
        waiting = asyncio.ensure_future(wait_or_stop(stop, 3600))
        await asyncio.wait({waiting}, timeout=5)
        return waiting.done()

    assert asyncio.run(scenario())
