"""The PostgreSQL event store's one-round-trip append (shared/pg_recorder.py) keeps what the recorder's own
transaction guaranteed: the table lock that makes notification ids commit in order, the ids returned, a conflicting
version refused, and a log that a reader following it while writers append never sees an id appear behind it."""

from __future__ import annotations

import threading
from datetime import timedelta

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from services.calls.application import CallCentre
from services.calls.domain import call_id_for_pbx
from shared.eventstore import store_env
from shared.organisation import DEFAULT_ORGANISATION, Organisation
from shared.pg_recorder import OneTripRecorder
from tests.calls.test_application import SATURDAY_1030 as T
from tests.calls.test_application import ev
from tests.integration.conftest import PG_URL, pg_settings

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

ORG = Organisation.load(DEFAULT_ORGANISATION)


def centre_on(settings, clock) -> CallCentre:
    return CallCentre(store_env(settings, "calls"), organisation=ORG, clock=clock)


def test_a_save_gets_the_next_notification_ids_and_a_taken_version_is_refused(settings, clock, pg_schema) -> None:
    centre = centre_on(pg_settings(settings, pg_schema), clock)
    assert isinstance(centre.recorder, OneTripRecorder)
    centre.ingest(ev("queued", T, queue="602", caller="09131234567"))
    head = centre.recorder.max_notification_id()
    assert head == 2  # the call received and routed
    call = centre.get_call(call_id_for_pbx("1763708400.101"))
    state = centre.recorder.select_events(call.id)[-1].state
    taken = StoredEvent(call.id, call.version, "services.calls.domain:Call.Routed", state)
    with pytest.raises(IntegrityError):
        centre.recorder.insert_events([taken])
    fresh = [StoredEvent(call.id, call.version + i, "services.calls.domain:Call.Routed", state) for i in (1, 2)]
    ids = list(centre.recorder.insert_events(fresh) or [])
    # After the head (the refused insert may have burnt an id of the sequence), as the log reports them.
    assert ids[0] > head and ids == [ids[0], ids[0] + 1]
    logged = centre.recorder.select_notifications(head, 10, inclusive_of_start=False)
    assert [(n.id, n.originator_version) for n in logged] == list(
        zip(ids, (call.version + 1, call.version + 2), strict=True)
    )


def test_an_append_waits_for_the_table_lock_that_orders_the_log(settings, clock, pg_schema) -> None:
    pg = pg_settings(settings, pg_schema)
    centre = centre_on(pg, clock)
    table = f'"{pg.postgres_schema_prefix}calls".{centre.recorder.events_table_name}'
    holder = psycopg.connect(PG_URL)
    try:
        holder.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        done = threading.Event()
        saver = threading.Thread(
            target=lambda: (centre.ingest(ev("queued", T, queue="602", caller="09131234567")), done.set())
        )
        saver.start()
        with psycopg.connect(PG_URL, autocommit=True) as watcher:
            waiting = None
            for _ in range(5000):  # until the save asks for the lock the holder keeps
                waiting = watcher.execute(
                    "SELECT l.mode FROM pg_locks l WHERE l.relation = %s::regclass AND NOT l.granted", (table,)
                ).fetchone()
                if waiting is not None:
                    break
                threading.Event().wait(0.002)
        assert waiting == ("ExclusiveLock",)
        assert not done.is_set()
        assert centre.recorder.max_notification_id() is None  # nothing stored while the lock is held elsewhere
    finally:
        holder.rollback()
        holder.close()
    saver.join(30)
    assert done.is_set()
    assert centre.recorder.max_notification_id() == 2


def test_a_reader_following_the_log_while_writers_append_misses_no_id(settings, clock, pg_schema) -> None:
    """Six writers ingesting their calls one event at a time; a reader follows the log by id as the relay does.
    Had an id committed after a higher one, the reader would have passed over it: what it read in passing must be the
    whole log, in order."""
    pg = pg_settings(settings, pg_schema)
    centre = centre_on(pg, clock)
    writers_done = threading.Event()
    errors: list[BaseException] = []

    def writer(w: int) -> None:
        try:
            for c in range(6):
                pbx = f"w{w}-c{c}"
                centre.ingest(ev("queued", T, pbx, queue="602", caller="09131234567"))
                centre.ingest(ev("abandoned", T + timedelta(seconds=30), pbx, queue="602"))
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            errors.append(exc)

    seen: list[int] = []

    def reader() -> None:
        position = 0
        while True:
            finished = writers_done.is_set()
            batch = centre.recorder.select_notifications(position, 100, inclusive_of_start=False)
            seen.extend(n.id for n in batch)
            if batch:
                position = batch[-1].id
            elif finished:
                return

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(6)]
    follower = threading.Thread(target=reader)
    follower.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    writers_done.set()
    follower.join(60)
    assert errors == []
    everything = [n.id for n in centre.recorder.select_notifications(0, 10_000, inclusive_of_start=False)]
    assert len(everything) == 6 * 6 * 4  # received, routed, registered unanswered, hung up
    assert seen == everything
