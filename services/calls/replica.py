"""What a replica of the calls API (shared/processes.py) learns of the changes other processes make, since it runs
none of the followers that tell the primary process.

* The chamber's calendar: a change entered through another process is applied to this process's calendar, which
  counts the deadlines and the working time left in the queues it serves.
* Erasures: a person erased through another process (the API's erasure, `crm privacy`, a member erased) makes this
  process drop the calls it keeps opened in memory and the queue pages it rendered, as the primary's index does.

Both are looked at every `interval` (0.5 s, the followers' own poll): one query of the calendar's events after the
version held, one of the key store's erasures.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from services.calls.application import CallCentre
from services.calls.calendar import apply_change, load_calendar

log = logging.getLogger(__name__)


class ReplicaWatch:
    def __init__(self, centre: CallCentre, interval: float = 0.5):
        self.centre = centre
        self.interval = interval
        stored = load_calendar(centre)
        self.calendar_changes = len(stored.changes) if stored else 0  # applied when the centre was built
        self._keys: Any = getattr(centre.sealer, "keys", None) if centre.sealer is not None else None
        self._erasures_seen = self._count_erasures()
        self.erasures = 0  # erasures noticed here: the rendered queue pages are dropped when it moves

    def _count_erasures(self) -> int:
        count = getattr(self._keys, "erasures", None)
        return int(count()) if count is not None else 0

    def step(self) -> None:
        stored = load_calendar(self.centre)
        if stored is not None and len(stored.changes) > self.calendar_changes:
            for change in stored.changes[self.calendar_changes :]:
                apply_change(self.centre.calendar, change)
            log.info("calls replica: %d calendar change(s) applied", len(stored.changes) - self.calendar_changes)
            self.calendar_changes = len(stored.changes)
        erasures = self._count_erasures()
        if erasures != self._erasures_seen:
            self._erasures_seen = erasures
            self.centre.forget_cached_calls()
            self.erasures += 1

    async def run_until(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.step)
            except Exception:  # a locked database for a moment: look again at the next turn
                log.exception("calls replica: could not look for calendar changes and erasures")
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.interval)
            except TimeoutError:
                pass
