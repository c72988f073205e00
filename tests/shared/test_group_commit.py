"""Group commit: concurrent callers' batches go into one run while the previous run is being written; each caller
gets its own results back, in order; a failing batch fails only its caller."""

from __future__ import annotations

import threading

import pytest

from shared.group_commit import GroupCommit


class Store:
    """Stands in for a transaction: the first run blocks until the test lets it finish, so that others queue."""

    def __init__(self) -> None:
        self.runs: list[list[int]] = []
        self.release = threading.Event()
        self.entered = threading.Event()

    def __call__(self, items: list[int]) -> list[str]:
        if not self.runs:
            self.entered.set()
            assert self.release.wait(10)
        self.runs.append(list(items))
        if any(i < 0 for i in items):
            raise ValueError("a negative item")
        return [f"stored {i}" for i in items]


def wait_until(condition, timeout: float = 10.0) -> None:
    done = threading.Event()
    for _ in range(int(timeout * 1000)):
        if condition():
            return
        done.wait(0.001)
    raise AssertionError("condition not reached")


def submit_in_thread(group: GroupCommit, items: list[int], out: dict) -> threading.Thread:
    def run() -> None:
        try:
            out[tuple(items)] = group.submit(items)
        except Exception as exc:  # noqa: BLE001
            out[tuple(items)] = exc

    t = threading.Thread(target=run)
    t.start()
    return t


def test_one_caller_alone_runs_its_batch_at_once() -> None:
    store = Store()
    store.release.set()
    group = GroupCommit(store)
    assert group.submit([1, 2]) == ["stored 1", "stored 2"]
    assert store.runs == [[1, 2]] and group.rounds == 1


def test_batches_queued_during_a_run_go_together_into_the_next() -> None:
    store = Store()
    group = GroupCommit(store)
    out: dict = {}
    first = submit_in_thread(group, [1], out)
    assert store.entered.wait(10)
    others = [submit_in_thread(group, [2, 3], out), submit_in_thread(group, [4], out)]
    wait_until(lambda: group.waiting() == 2)
    store.release.set()
    for t in [first, *others]:
        t.join(10)
    assert store.runs[0] == [1]
    assert sorted(store.runs[1]) == [2, 3, 4] and len(store.runs) == 2  # one transaction for both callers
    assert out[(1,)] == ["stored 1"]
    assert out[(2, 3)] == ["stored 2", "stored 3"]
    assert out[(4,)] == ["stored 4"]


def test_a_failing_batch_fails_only_its_caller() -> None:
    store = Store()
    group = GroupCommit(store)
    out: dict = {}
    first = submit_in_thread(group, [1], out)
    assert store.entered.wait(10)
    others = [submit_in_thread(group, [2], out), submit_in_thread(group, [-5], out)]
    wait_until(lambda: group.waiting() == 2)
    store.release.set()
    for t in [first, *others]:
        t.join(10)
    assert out[(2,)] == ["stored 2"]
    assert isinstance(out[(-5,)], ValueError)
    # The merged run failed as a whole, then each batch ran on its own.
    assert store.runs[-2:] in ([[2], [-5]], [[-5], [2]])


def test_a_round_holds_at_most_max_items_unless_one_batch_is_larger() -> None:
    store = Store()
    group = GroupCommit(store, max_items=3)
    out: dict = {}
    first = submit_in_thread(group, [1], out)
    assert store.entered.wait(10)
    others = [submit_in_thread(group, [2, 3], out)]
    wait_until(lambda: group.waiting() == 1)
    others.append(submit_in_thread(group, [4, 5], out))
    wait_until(lambda: group.waiting() == 2)
    store.release.set()
    for t in [first, *others]:
        t.join(10)
    assert store.runs == [[1], [2, 3], [4, 5]]
    assert group.submit([6, 7, 8, 9]) == [f"stored {i}" for i in (6, 7, 8, 9)]


def test_the_error_of_a_lone_batch_reaches_its_caller() -> None:
    store = Store()
    store.release.set()
    group = GroupCommit(store)
    with pytest.raises(ValueError):
        group.submit([-1])
    assert group.submit([1]) == ["stored 1"]  # the group is not left stuck
