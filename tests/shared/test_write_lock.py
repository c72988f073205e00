"""Saves into one SQLite store from several processes take turns at a lock file (shared/write_lock.py)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from shared.write_lock import StoreWriteLock

ROUNDS = 200


def _count(database: str, counter: str, rounds: int) -> None:
    lock = StoreWriteLock(database)
    path = Path(counter)
    for _ in range(rounds):
        with lock.held():  # read, then write: two holders at once would lose increments
            value = int(path.read_text())
            path.write_text(str(value + 1))
    lock.close()


def test_writers_in_several_processes_never_hold_the_lock_together(tmp_path) -> None:
    database, counter = str(tmp_path / "calls.events.db"), tmp_path / "counter"
    counter.write_text("0")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_count, args=(database, str(counter), ROUNDS)) for _ in range(3)]
    for w in workers:
        w.start()
    _count(database, str(counter), ROUNDS)  # and the threads of this one, through the same lock object
    for w in workers:
        w.join(60)
        assert w.exitcode == 0
    assert int(counter.read_text()) == 4 * ROUNDS


def test_a_closed_lock_lets_the_store_write_on_its_own_locking(tmp_path) -> None:
    lock = StoreWriteLock(str(tmp_path / "x.db"))
    lock.close()
    with lock.held():
        pass
    lock.close()  # twice: the store closes once, its application maybe again
