"""A local projection that follows its own service's notification log, tracking its position in the same
transaction as the rows it writes, so a crash between the two cannot lose or repeat an event."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from typing import Any

import sqlalchemy as sa
from eventsourcing.persistence import Notification

from shared.eventstore import CrmApplication

log = logging.getLogger(__name__)

tracking_metadata = sa.MetaData()
positions = sa.Table(
    "follower_positions",
    tracking_metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False),
)

MAX_RETRY_SECONDS = 30.0

Apply = Callable[[sa.Connection, Sequence[Notification]], None]


class NotificationFollower:
    """Catch-ups are serialised: the follower thread and a request that needs the index up to date at once (taking a
    selection, a test) never apply the same batch twice. `linger` lets the saves of the next moment come too once
    woken, so that events arriving one per request are indexed in one go rather than one catch-up each."""

    def __init__(
        self,
        app: CrmApplication,
        name: str,
        engine: sa.Engine,
        apply: Apply,
        *,
        batch_size: int = 500,
        poll_interval: float = 0.5,
        linger: float = 0.0,
        topics: Sequence[str] = (),
    ):
        """`topics`: the only event topics `apply` is given (all when empty), chosen by the store's query."""
        self.app = app
        self.topics = tuple(topics)
        self.name = name
        self.engine = engine
        self.apply = apply
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.linger = linger
        self._wake = threading.Event()
        # Why the last catch-up failed and where, until one succeeds: /health reports it (503) rather than the
        # follower retrying the same event unseen for ever.
        self.failure: str | None = None
        self._serial = threading.RLock()
        tracking_metadata.create_all(engine)
        app.on_recorded(self._wake.set)

    def position(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(positions.c.position).where(positions.c.name == self.name)).scalar() or 0

    def catch_up(self) -> int:
        """Apply everything recorded so far; returns how many notifications were applied."""
        with self._serial:
            return self._catch_up()

    def _catch_up(self) -> int:
        done = 0
        conflicts = 0
        while True:
            try:
                applied = self._apply_batch()
            except sa.exc.IntegrityError:
                # Another replica following the same index wrote the same rows or its first position meanwhile:
                # its transaction committed, so read the position again and go on from there.
                conflicts += 1
                if conflicts > 3:
                    raise
                continue
            done += applied
            if applied < self.batch_size:
                # A short batch was everything recorded when it was read: looking again would cost another
                # transaction to find nothing (what was recorded since wakes the follower again).
                return done

    def _apply_batch(self) -> int:
        """One batch and the position after it, in one transaction; 0 when there was nothing new."""
        with self.engine.begin() as conn:
            current = conn.execute(sa.select(positions.c.position).where(positions.c.name == self.name)).scalar()
            if self.topics:
                return self._apply_topics(conn, current)
            notifications = self.app.recorder.select_notifications(
                current or 0, self.batch_size, inclusive_of_start=False
            )
            if not notifications:
                return 0
            self._apply_opened(conn, notifications)
            self._move(conn, current, notifications[-1].id)
        return len(notifications)

    def _apply_topics(self, conn: sa.Connection, current: int | None) -> int:
        """A batch of this follower's topics only, the store skipping the others (a follower of a rare event read
        and skipped every event of the store in Python: the calendar's and the complaint referrals' followers of
        the calls store were a seventh of its CPU under the webhook's load). The position moves over everything
        recorded when the batch was read, so that the next catch-up does not scan what was skipped again: the
        store's notification ids commit in order (SQLite's one writer, PostgreSQL's table lock), so every id up
        to the newest one seen is there to be read."""
        recorder: Any = self.app.recorder
        newest = recorder.max_notification_id() or 0
        if newest <= (current or 0):
            return 0
        notifications = recorder.select_notifications(
            current or 0, self.batch_size, stop=newest, topics=self.topics, inclusive_of_start=False
        )
        if notifications:
            self._apply_opened(conn, notifications)
        full = len(notifications) == self.batch_size
        self._move(conn, current, notifications[-1].id if full else newest)
        return len(notifications)

    def _apply_opened(self, conn: sa.Connection, notifications: Sequence[Notification]) -> None:
        # The batch's events opened as the relay opens its batches: the key store checks for erasures made by other
        # processes once, here, instead of once per key looked up (a query each, a sixth of the calls service's CPU
        # under the webhook's load when the index decoded its batches one lookup at a time).
        sealer = getattr(self.app, "sealer", None)
        with sealer.reading() if sealer is not None else nullcontext():
            self.apply(conn, notifications)

    def _move(self, conn: sa.Connection, current: int | None, last: int) -> None:
        if current is None:
            conn.execute(positions.insert().values(name=self.name, position=last))
        else:
            conn.execute(positions.update().where(positions.c.name == self.name).values(position=last))

    def reset(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(positions.delete().where(positions.c.name == self.name))

    def run(self, stop: threading.Event) -> None:
        failures = 0
        while not stop.is_set():
            failures = 0 if self.step() else failures + 1
            if failures:
                # An event that cannot be applied fails again until someone repairs it: retry, and log, less and
                # less often (a lock that goes away is retried within a second).
                stop.wait(min(self.poll_interval * 2 ** min(failures, 10), MAX_RETRY_SECONDS))
                continue
            if self._wake.wait(self.poll_interval) and self.linger:
                stop.wait(self.linger)
            self._wake.clear()

    def step(self) -> bool:
        """One catch-up of the follower thread; a failure is logged and kept in `failure` until one succeeds."""
        try:
            self.catch_up()
        except Exception as exc:  # a locked database or a lost connection: log it and try again at the next wake
            log.exception("follower %s could not catch up", self.name)
            self.failure = self._describe(exc)
            return False
        self.failure = None
        return True

    def _describe(self, exc: Exception) -> str:
        try:
            where = f"the event after position {self.position()}"
        except sa.exc.SQLAlchemyError:  # the database itself is out of reach: the error says so already
            where = "an unknown position"
        return f"cannot apply {where}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:500]

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop,), name=f"follower-{self.name}", daemon=True)
        thread.start()
        return thread

    def wake(self) -> None:
        self._wake.set()

    async def run_until(self, stop: asyncio.Event) -> None:
        """Follow in a thread of its own until `stop` is set, then wake the thread and wait for it to finish (at
        most 10 s): how a service runs an outbox or a mover beside its API."""
        stop_thread = threading.Event()
        thread = self.start(stop_thread)
        await stop.wait()
        stop_thread.set()
        self.wake()
        await asyncio.to_thread(thread.join, 10)
