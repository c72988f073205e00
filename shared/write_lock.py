"""One writer at a time on a SQLite event store, across processes, waiting in the kernel rather than in SQLite.

SQLite lets one transaction write at a time and makes the others wait by sleeping between tries (1, 2, 5, 10, 15,
20, 25... ms: its default busy handler), however soon the writer finishes. When two processes save into one store
at once (the calls API's replicas, shared/processes.py; an import beside the running service), the one that came
second slept milliseconds for a lock held a fraction of one. A lock file beside the store, taken with flock(2)
around every save, queues the writers instead: the next one runs as soon as the lock is let go.

flock is not fair: a process that lets the lock go and saves again at once takes it back before the waiting one
has woken, and under a steady load one process did nine saves in ten while the other's requests waited. A second
lock, the turnstile, is taken before the lock and let go once it is held: a process waiting for the lock holds the
turnstile, so the one that has just saved waits at the turnstile until the other has had its turn.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class StoreWriteLock:
    def __init__(self, database: str):
        self.path = f"{database}.write-lock"
        self._fd: int | None = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        self._turnstile: int | None = os.open(f"{database}.write-turn", os.O_RDWR | os.O_CREAT, 0o600)
        # flock is held by the open file, which every thread of this process shares: the threads queue here first.
        self._threads = threading.Lock()

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._threads:
            fd, turnstile = self._fd, self._turnstile
            if fd is None or turnstile is None:  # closed with its store: SQLite's own locking keeps writes apart
                yield
                return
            fcntl.flock(turnstile, fcntl.LOCK_EX)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            finally:
                fcntl.flock(turnstile, fcntl.LOCK_UN)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._threads:
            for fd in (self._fd, self._turnstile):
                if fd is not None:
                    os.close(fd)
            self._fd = self._turnstile = None
