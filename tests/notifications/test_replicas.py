"""Two notifiers on one store (SQLite file, then a PostgreSQL schema), as two replicas of the service run: each
message is claimed by one of them before it is sent, so none is sent twice, and a claim whose replica died runs
out so the other sends the message."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest

from services.notifications.application import Notifier
from services.notifications.channels import Outgoing
from services.notifications.main import build_notifier
from shared.settings import NotificationSettings, Settings
from tests.integration.conftest import pg_schema, pg_settings  # noqa: F401 - pg_schema is a fixture
from tests.notifications.helpers import Recorder, end_of_day


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, settings) -> Settings:
    config = NotificationSettings(claim_seconds=120)
    if request.param == "postgres":
        schema = request.getfixturevalue("pg_schema")
        return pg_settings(settings, schema).model_copy(update={"notifications": config})
    return settings.model_copy(update={"notifications": config})


@pytest.fixture
def replicas(store, clock) -> Iterator[tuple[Notifier, Notifier, Recorder, Recorder]]:
    a_mail, b_mail = Recorder(), Recorder()
    a = build_notifier(store, clock, {"email": a_mail}, replica="replica-a")
    b = build_notifier(store, clock, {"email": b_mail}, replica="replica-b")
    yield a, b, a_mail, b_mail
    for n in (a, b):
        n.close()
        n.engine.dispose()


def lists(n: int) -> list:
    """`n` end-of-day lists of one unit, a day apart: a message each to its manager."""
    return [end_of_day("trade", "f.alavi", day=f"2026-11-{day:02d}") for day in range(1, n + 1)]


def test_both_take_the_same_events_and_each_message_is_sent_once(replicas, clock):
    a, b, a_mail, b_mail = replicas
    events = lists(3)
    assert a.take(events) == 3
    assert b.take(events) == 0  # the store refuses the second request of each message

    class Interleaved(Recorder):
        """Replica a's mail server: while a sends, replica b dispatches too."""

        def send(self, message: Outgoing) -> None:
            b.dispatch(clock())
            super().send(message)

    a.channels["email"] = Interleaved()
    a.dispatch(clock())
    b.dispatch(clock())
    sent = [m.id for m in a.channels["email"].sent + b_mail.sent]
    assert sorted(sent) == sorted({str(r["id"]) for r in a.search()[0]})  # every one, none twice
    assert b_mail.sent  # b took the ones a had not claimed yet
    a.follower.catch_up()
    assert a.counts() == {"delivered": 3}


def test_a_claim_read_too_late_is_refused_by_the_store(replicas, clock, monkeypatch):
    a, b, a_mail, b_mail = replicas
    a.take(lists(1))
    [mid] = a.due(clock())
    stale = b.message(mid)  # b reads the message just before a claims it
    a.dispatch(clock())
    monkeypatch.setattr(b, "message", lambda _mid: stale)
    assert b.attempt(mid, clock()) == "skipped"
    assert (len(a_mail.sent), len(b_mail.sent)) == (1, 0)
    types = [e["type"].split(".")[-2] for e in a.event_history(mid)]
    assert types == ["requested", "attempt_started", "delivered"]


def test_a_claim_whose_replica_died_runs_out_and_the_other_replica_sends(replicas, clock):
    a, b, a_mail, b_mail = replicas
    a.take(lists(1))
    [mid] = a.due(clock())
    m = a.message(mid)  # a claims the message, then dies before sending
    m.start_attempt(by="replica-a", at=clock(), lease_until=clock() + timedelta(seconds=120))
    a.save(m)
    assert b.dispatch(clock.advance(seconds=119)) == {"delivered": 0, "retrying": 0, "failed": 0}
    [row], _ = b.search()
    assert row["status"] == "sending"
    assert b.dispatch(clock.advance(seconds=1))["delivered"] == 1
    assert len(b_mail.sent) == 1 and not a_mail.sent
    history = b.event_history(mid)
    claims = [e["data"]["by"] for e in history if e["type"] == "crm.notifications.message.attempt_started.v1"]
    assert claims == ["replica-a", "replica-b"]


def test_two_replicas_dispatching_at_once_never_send_a_message_twice(replicas, clock):
    a, b, a_mail, b_mail = replicas
    a.take([end_of_day(unit, "f.alavi", day=f"2026-11-{d:02d}") for d in range(1, 11) for unit in ("trade", "legal")])
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(n: Notifier) -> None:
        try:
            start.wait()
            n.dispatch(clock())
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    sent = [m.id for m in a_mail.sent + b_mail.sent]
    assert len(sent) == len(set(sent)) == 20
    a.follower.catch_up()
    assert a.counts() == {"delivered": 20}
