"""Reconnect with backoff: a loop that runs a connection until stopped, waiting longer after each failure."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

FIRST_DELAY = 0.5
MAX_DELAY = 10.0


class Backoff:
    """Delays that double from `first` up to `ceiling`: quick to come back after a blip, gentle on a broker that
    stays away. `reset()` once a connection works again, so the next failure starts over from `first`."""

    def __init__(self, first: float = FIRST_DELAY, ceiling: float = MAX_DELAY):
        self.first = first
        self.ceiling = ceiling
        self.delay = first

    def reset(self) -> None:
        self.delay = self.first

    def next(self) -> float:
        """The delay to wait now; the one after it is twice as long (up to the ceiling)."""
        delay = self.delay
        self.delay = min(self.delay * 2, self.ceiling)
        return delay


async def wait_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep `seconds`, but wake at once when asked to stop."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass


async def run_with_retry(
    attempt: Callable[[Backoff], Awaitable[None]],
    stop: asyncio.Event,
    name: str,
    *,
    backoff: Backoff | None = None,
    sleep: Callable[[asyncio.Event, float], Awaitable[None]] = wait_or_stop,
    needs_a_person: tuple[type[BaseException], ...] = (),
) -> None:
    """Run `attempt` again and again until `stop` is set; after a failure, log it and wait the next backoff delay.

    `attempt` receives the backoff to `reset()` once it has connected. Cancellation is never retried. Failures of
    the kinds in `needs_a_person` are logged as errors: waiting will not mend them."""
    backoff = backoff or Backoff()
    while not stop.is_set():
        try:
            await attempt(backoff)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - broker away or store briefly locked: try again
            delay = backoff.next()
            level = logging.ERROR if isinstance(exc, needs_a_person) else logging.WARNING
            log.log(level, "%s: %s; retrying in %.1fs", name, exc, delay)
            await sleep(stop, delay)
