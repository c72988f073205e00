"""Group commit: the batches that concurrent callers hand in while a transaction is being written are stored together
in the next one.

Every append to an event store is a transaction, and a transaction costs a disk flush (and, on PostgreSQL, the
table lock that keeps notification ids in commit order), taken one at a time whatever the number of threads. Under
load, requests queue for that lock. Here the first caller becomes the leader and runs the batch of every caller
queued by then as one; the others wait for their part of the results. When the leader is done, the first caller
still queued leads the next round. One caller alone runs its own batch at once, as without group commit.

If a merged round fails, each of its batches is run again on its own, so that one caller's bad batch fails only
that caller.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class _Slot(Generic[T, R]):
    items: list[T]
    wake: threading.Event = field(default_factory=threading.Event)
    finished: bool = False
    results: list[R] = field(default_factory=list)
    error: BaseException | None = None


class GroupCommit(Generic[T, R]):
    def __init__(self, run: Callable[[list[T]], list[R]], max_items: int = 1000):
        """`run` stores a list of items in one transaction and returns one result per item, in order."""
        self._run = run
        self.max_items = max_items
        self._lock = threading.Lock()
        self._queue: deque[_Slot[T, R]] = deque()
        self._leading = False
        self.rounds = 0  # transactions run (for tests and metrics)

    def waiting(self) -> int:
        """Callers queued and not yet taken into a round."""
        with self._lock:
            return len(self._queue)

    def submit(self, items: Sequence[T]) -> list[R]:
        slot: _Slot[T, R] = _Slot(list(items))
        with self._lock:
            self._queue.append(slot)
            lead = not self._leading
            self._leading = True
        if not lead:
            slot.wake.wait()  # results ready, or this caller leads the next round
        if not slot.finished:
            self._lead()
        if slot.error is not None:
            raise slot.error
        return slot.results

    def _lead(self) -> None:
        with self._lock:
            group: list[_Slot[T, R]] = []
            count = 0
            while self._queue and (not group or count + len(self._queue[0].items) <= self.max_items):
                taken = self._queue.popleft()
                group.append(taken)
                count += len(taken.items)
        try:
            self._run_group(group)
        finally:
            for s in group:
                s.finished = True
                s.wake.set()
            with self._lock:
                if self._queue:
                    self._queue[0].wake.set()  # not finished: it leads the next round
                else:
                    self._leading = False

    def _run_group(self, group: list[_Slot[T, R]]) -> None:
        self.rounds += 1
        try:
            results = self._run([item for s in group for item in s.items])
        except Exception as exc:  # noqa: BLE001 - handed to the callers
            if len(group) == 1:
                group[0].error = exc
                return
            for s in group:  # each on its own: only the batch that fails fails
                self._run_group([s])
            return
        start = 0
        for s in group:
            s.results = results[start : start + len(s.items)]
            start += len(s.items)
