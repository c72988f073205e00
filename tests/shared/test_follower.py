"""A local projection that follows its own service's notification log on a real SQLite database."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from shared.contracts import EventContract
from shared.db import create_engine
from shared.eventstore import CrmApplication
from shared.follower import NotificationFollower

rows = sa.MetaData()
seen = sa.Table("seen", rows, sa.Column("position", sa.BigInteger, primary_key=True), sa.Column("topic", sa.Text))


class Note(Aggregate):
    @event("Written")
    def __init__(self, text: str) -> None:
        self.text = text

    @event("Signed")
    def sign(self, by: str) -> None:
        self.by = by


class Notebook(CrmApplication):
    service = "notes"
    contract = EventContract(
        "notes",
        {
            "crm.notes.note.written.v1": f"{__name__}:Note.Written",
            "crm.notes.note.signed.v1": f"{__name__}:Note.Signed",
        },
    )


@pytest.fixture
def notebook() -> Notebook:
    return Notebook()


@pytest.fixture
def engine(tmp_path) -> sa.Engine:
    engine = create_engine(f"sqlite:///{tmp_path / 'index.db'}")
    rows.create_all(engine)
    return engine


def write(notebook: Notebook, n: int) -> None:
    for i in range(n):
        notebook.save(Note(text=f"note {i}"))


def record(conn: sa.Connection, notifications: Sequence[Notification]) -> None:
    conn.execute(seen.insert(), [{"position": n.id, "topic": n.topic} for n in notifications])


def positions_seen(engine: sa.Engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(seen.c.position).order_by(seen.c.position)).scalars())


def test_catching_up_applies_everything_once_in_log_order_in_batches(notebook: Notebook, engine: sa.Engine) -> None:
    batches: list[int] = []

    def apply(conn: sa.Connection, notifications: Sequence[Notification]) -> None:
        batches.append(len(notifications))
        record(conn, notifications)

    write(notebook, 7)
    follower = NotificationFollower(notebook, "notes", engine, apply, batch_size=3)
    assert follower.catch_up() == 7
    assert batches == [3, 3, 1]
    assert positions_seen(engine) == [1, 2, 3, 4, 5, 6, 7]
    assert follower.position() == 7
    assert follower.catch_up() == 0  # nothing new: nothing applied twice


def test_a_restarted_follower_goes_on_from_where_it_stopped(notebook: Notebook, engine: sa.Engine) -> None:
    write(notebook, 2)
    NotificationFollower(notebook, "notes", engine, record).catch_up()
    write(notebook, 3)
    again = NotificationFollower(notebook, "notes", engine, record)
    assert again.catch_up() == 3
    assert positions_seen(engine) == [1, 2, 3, 4, 5]


def test_a_batch_that_fails_leaves_neither_rows_nor_position_behind(notebook: Notebook, engine: sa.Engine) -> None:
    def half_then_fail(conn: sa.Connection, notifications: Sequence[Notification]) -> None:
        record(conn, notifications[:1])
        raise RuntimeError("disk full")

    write(notebook, 2)
    with pytest.raises(RuntimeError):
        NotificationFollower(notebook, "notes", engine, half_then_fail).catch_up()
    follower = NotificationFollower(notebook, "notes", engine, record)
    assert follower.position() == 0
    assert positions_seen(engine) == []
    assert follower.catch_up() == 2
    assert positions_seen(engine) == [1, 2]


def test_followers_keep_their_positions_apart(notebook: Notebook, engine: sa.Engine) -> None:
    write(notebook, 4)
    first = NotificationFollower(notebook, "first", engine, lambda conn, ns: None, batch_size=2)
    first.catch_up()
    second = NotificationFollower(notebook, "second", engine, record)
    assert second.position() == 0
    assert second.catch_up() == 4
    assert first.position() == 4


def test_a_reset_follower_applies_everything_again(notebook: Notebook, engine: sa.Engine) -> None:
    applied: list[int] = []
    write(notebook, 3)
    follower = NotificationFollower(notebook, "notes", engine, lambda conn, ns: applied.extend(n.id for n in ns))
    follower.catch_up()
    follower.reset()
    assert follower.position() == 0
    assert follower.catch_up() == 3
    assert applied == [1, 2, 3, 1, 2, 3]


def test_a_running_follower_is_woken_by_a_save_rather_than_waiting_for_its_poll(
    notebook: Notebook, engine: sa.Engine
) -> None:
    arrived = threading.Event()

    def apply(conn: sa.Connection, notifications: Sequence[Notification]) -> None:
        record(conn, notifications)
        arrived.set()

    follower = NotificationFollower(notebook, "notes", engine, apply, poll_interval=3600)
    stop = threading.Event()
    thread = follower.start(stop)
    try:
        follower.catch_up()  # whatever the thread's first pass found, it now waits for an hour or a wake-up
        write(notebook, 1)
        assert arrived.wait(30), "the save did not wake the follower"
    finally:
        stop.set()
        follower.wake()
        thread.join(30)
    assert not thread.is_alive()
    assert positions_seen(engine) == [1]


def test_a_running_follower_outlives_a_failing_batch_and_retries_it(notebook: Notebook, engine: sa.Engine) -> None:
    attempts: list[int] = []
    stop = threading.Event()

    def flaky(conn: sa.Connection, notifications: Sequence[Notification]) -> None:
        attempts.append(len(notifications))
        follower.wake()  # the next pass comes at once, not after the poll interval
        if len(attempts) == 1:
            raise sa.exc.OperationalError("INSERT", {}, Exception("database is locked"))
        record(conn, notifications)
        stop.set()

    write(notebook, 2)
    follower = NotificationFollower(notebook, "notes", engine, flaky, poll_interval=3600)
    follower.run(stop)  # returns once the retried batch went through
    assert attempts == [2, 2]
    assert positions_seen(engine) == [1, 2]
    assert follower.position() == 2


def test_two_replicas_catching_up_the_same_index_at_once_apply_each_row_once(
    notebook: Notebook, engine: sa.Engine
) -> None:
    """Replica b reads the position (none yet) and is about to write the same rows when replica a writes them and its
    first position: b's transaction is refused, and b reads the position again rather than failing."""
    write(notebook, 3)
    first = NotificationFollower(notebook, "notes_index", engine, record)
    raced = []

    def record_after_the_other(conn: sa.Connection, notifications: Sequence[Notification]) -> None:
        if not raced:
            raced.append(first.catch_up())  # the other replica, in its own transaction, gets there first
        record(conn, notifications)

    second = NotificationFollower(notebook, "notes_index", engine, record_after_the_other)
    assert second.catch_up() == 0  # nothing left for it once it reads again
    assert raced == [3]
    assert positions_seen(engine) == [1, 2, 3]
    assert first.position() == second.position() == 3


def test_a_catch_up_stops_at_a_short_batch_without_reading_the_log_again(
    notebook: Notebook, engine: sa.Engine, monkeypatch
) -> None:
    reads: list[int] = []
    select = notebook.recorder.select_notifications

    def counted(*args, **kwargs):
        found = select(*args, **kwargs)
        reads.append(len(found))
        return found

    monkeypatch.setattr(notebook.recorder, "select_notifications", counted)
    write(notebook, 4)
    follower = NotificationFollower(notebook, "notes", engine, record, batch_size=2)
    assert follower.catch_up() == 4
    assert reads == [2, 2, 0]  # full batches: look again until one is short
    write(notebook, 1)
    assert follower.catch_up() == 1
    assert reads[3:] == [1]  # a short batch was everything there was
    assert positions_seen(engine) == [1, 2, 3, 4, 5]


def test_each_batch_is_applied_inside_one_reading_of_the_key_store(notebook: Notebook, engine: sa.Engine) -> None:
    """Erasures made by other processes are looked for once per batch, as the relay does, not once per key."""
    readings: list[str] = []

    class Keys:
        @contextmanager
        def reading(self) -> Iterator[None]:
            readings.append("enter")
            yield
            readings.append("leave")

    write(notebook, 3)
    notebook.sealer = Keys()  # type: ignore[assignment]
    inside: list[list[str]] = []

    def apply(conn: sa.Connection, notifications: Sequence[Notification]) -> None:
        inside.append(list(readings))
        record(conn, notifications)

    NotificationFollower(notebook, "seen", engine, apply, batch_size=2).catch_up()
    assert inside == [["enter"], ["enter", "leave", "enter"]]
    assert readings == ["enter", "leave", "enter", "leave"]
    assert positions_seen(engine) == [1, 2, 3]


def test_a_follower_of_some_topics_is_given_only_those_and_moves_over_the_rest(
    notebook: Notebook, engine: sa.Engine
) -> None:
    signed = get_topic(Note.Signed)
    follower = NotificationFollower(notebook, "signatures", engine, record, batch_size=2, topics=[signed])
    write(notebook, 3)  # positions 1-3: nothing to give, but the position moves past them
    assert follower.catch_up() == 0
    assert follower.position() == 3 and positions_seen(engine) == []
    for i in range(3):
        note = Note(text=f"to sign {i}")
        note.sign(by="sg")
        notebook.save(note)  # positions 4, 6, 8 written; 5, 7, 9 signed
    write(notebook, 2)  # 10, 11
    assert follower.catch_up() == 3  # in batches of two: 5 and 7, then 9
    assert positions_seen(engine) == [5, 7, 9]
    with engine.connect() as conn:
        assert set(conn.execute(sa.select(seen.c.topic)).scalars()) == {signed}
    assert follower.position() == 11  # the next catch-up reads nothing already passed
    assert follower.catch_up() == 0 and positions_seen(engine) == [5, 7, 9]
