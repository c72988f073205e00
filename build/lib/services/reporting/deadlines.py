"""The deadline timer: wakes the reporting engine when the next deadline passes instead of polling for it.

The engine knows its next deadline (the earliest callback or follow-up deadline not yet breached, or the end of the
next working day whose list is due). The timer sleeps until then, or until `rearm()` says the deadlines changed (a
batch registered, moved or ended one), and looks again. `longest` bounds every sleep, so a deadline the timer could
not know about (a clock adjusted by hand, a tick skipped while the processor was catching up) is still found.

Time comes from the injected clock; the wait is injected too, so that tests run the timer against a fake clock
without sleeping.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from prometheus_client import Histogram

log = logging.getLogger(__name__)

# Seconds from a deadline passing (by the injected clock) to the engine recording what was due.
FIRED_LATE = Histogram(
    "crm_processor_deadline_lateness_seconds",
    "How long after a deadline the processor woke to record it",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)

Wait = Callable[[asyncio.Event, float], Awaitable[bool]]


async def wait_for_event(event: asyncio.Event, seconds: float) -> bool:
    """True if `event` was set within `seconds`, False when the time ran out."""
    try:
        await asyncio.wait_for(event.wait(), timeout=seconds)
    except TimeoutError:
        return False
    return True


class DeadlineTimer:
    def __init__(
        self,
        next_deadline: Callable[[], Awaitable[datetime | None]],
        fire: Callable[[], Awaitable[bool]],
        clock: Callable[[], datetime],
        *,
        longest: float,
        retry: float = 0.25,
        wait: Wait = wait_for_event,
    ):
        """`fire` records what is due and returns False when it could not yet (the processor still catching up);
        the timer then tries again after `retry` seconds or at the next `rearm()`."""
        self.next_deadline = next_deadline
        self.fire = fire
        self.clock = clock
        self.longest = longest
        self.retry = retry
        self._wait = wait
        self._wake = asyncio.Event()
        self.armed_for: datetime | None = None  # the deadline the timer sleeps until (None: only `longest`)

    def rearm(self) -> None:
        """The deadlines changed: look at the next one again now."""
        self._wake.set()

    def delay(self, deadline: datetime | None, now: datetime) -> float:
        """Seconds to sleep before the deadline passes, at most `longest`; 0 when it has passed."""
        if deadline is None:
            return self.longest
        return max(0.0, min(self.longest, (deadline - now).total_seconds()))

    async def step(self) -> bool:
        """Sleep until the next deadline, a rearm or `longest`; then fire if the time came. True if it fired."""
        self._wake.clear()  # before reading the deadline: a rearm during the read is not lost
        deadline = await self.next_deadline()
        self.armed_for = deadline
        seconds = self.delay(deadline, self.clock())
        if seconds > 0 and await self._wait(self._wake, seconds):
            return False  # the deadlines changed while sleeping: read the next one again
        now = self.clock()
        fired = await self.fire()
        if fired and deadline is not None and deadline <= now:
            FIRED_LATE.observe((now - deadline).total_seconds())
        if not fired:
            await self._wait(self._wake, self.retry)
        return fired

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:  # a locked database or a lost connection: log it and look again shortly
                log.exception("the deadline timer failed; trying again")
                await self._wait(stop, self.longest)
