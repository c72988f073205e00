"""`crm rebuild` folds the call events in memory and writes the reporting read model in bulk
(services/reporting/bulk.py): what it builds, table by table and row by row, journal included, equals the read
model built live, event by event through ReadModel.apply, from the same stores."""

from __future__ import annotations

import random
from datetime import UTC, date, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from bench import _common as C
from services import rebuild
from services.calls.domain import CallbackOutcome, Direction
from services.calls.main import build_centre
from services.calls.telephony import CallEventIn
from services.members.main import build_directory
from services.rebuild import rebuild_readmodel
from services.registry import PROCESSORS, SERVICES, load
from services.reporting import bulk
from services.reporting.main import build_oversight, build_readmodel
from services.reporting.readmodel import ReadModel
from services.reporting.tables import journal
from shared.db import utc
from shared.relay import EnvelopeMapper
from tests.reporting.test_complaint_readmodel import postgres_url  # noqa: F401 - a fixture


def _journal(model: ReadModel) -> list[tuple]:
    with model.engine.connect() as conn:
        rows = conn.execute(sa.select(journal.c.seq, journal.c.applied_at, journal.c.envelope).order_by(journal.c.seq))
        return [(seq, utc(at), text) for seq, at, text in rows]


def _live(settings, url: str) -> ReadModel:
    """The read model as the processor builds it: each event applied on its own, in the rebuild's order."""
    model = build_readmodel(settings, url)
    for source in PROCESSORS["reporting"].sources:
        app = load(SERVICES[source].application)(settings)
        try:
            mapper = EnvelopeMapper(app)
            for n in app.recorder.select_notifications(1, 1_000_000):
                model.apply([mapper(n)])
        finally:
            app.close()
    return model


def _stores(settings, clock) -> None:
    """Realistic days of calls, and every other kind of event the read model takes: the calendar, callbacks and
    follow-ups, a breach and an escalation, members' events and erasures."""
    centre = build_centre(settings, clock)
    directory = build_directory(settings, clock)
    oversight = build_oversight(settings)
    try:
        directory.register_member("1001", {"kind": "person", "name": "مریم احمدی"}, by="z.rahimi")
        centre.member_lookup = lambda number: "1001" if number == "+989131234567" else None
        rng = random.Random(5)
        start = clock() - timedelta(days=2)
        for i in range(12):
            events = C.realistic_call(rng, f"bulk-{i}", start + timedelta(minutes=7 * i))
            centre.ingest_batch([CallEventIn.model_validate(p).to_event() for p in events])
        centre.close_day(day=date(2026, 11, 25), reason="heat", by="operator")
        unanswered = []
        for number, subject in (("09121112233", "card renewal"), ("09131234567", "export permit"), ("0935123", "visa")):
            call_id = centre.receive_call(direction=Direction.INCOMING, caller=number, unit="trade")
            centre.record_unit_not_answered(call_id)
            centre.transfer_to_member_relations(call_id)
            centre.register_unanswered(call_id, by="z.rahimi", subject=subject, contact_name="رضا", contact_phone=None)
            unanswered.append(call_id)
        clock.advance(hours=2)
        centre.record_callback(unanswered[0], by="a.karimi", outcome=CallbackOutcome.NOT_REACHED, note=None)
        centre.record_callback(unanswered[2], by="a.karimi", outcome=CallbackOutcome.RESOLVED, note="done")
        for i in range(12, 20):  # more calls after the calendar change
            events = C.realistic_call(rng, f"bulk-{i}", clock() + timedelta(minutes=3 * i))
            centre.ingest_batch([CallEventIn.model_validate(p).to_event() for p in events])
        centre.erase_caller("09121112233", "request", by="ops")
        directory.erase_member("1001", "request", by="ops")
        oversight.record_breach(
            call_id=str(unanswered[1]), unit="trade", expert=None, callback_due=clock(), detected_at=clock()
        )
        oversight.raise_escalation(
            unit="trade", at=clock(), call_ids=[str(c) for c in unanswered], threshold=2, window_days=3
        )
    finally:
        centre.close()
        directory.close()
        oversight.close()


@pytest.mark.parametrize(("batch", "flush_every"), [(2000, 50_000), (7, 5), (1, 1)])
def test_a_bulk_rebuild_equals_the_read_model_built_event_by_event(settings, clock, monkeypatch, batch, flush_every):
    _stores(settings, clock)
    # Small batches and flushes: calls folded across a flush are read back, and batches that are not call events
    # alone go through the read model between bulk ones.
    monkeypatch.setattr(rebuild, "BATCH", batch)
    monkeypatch.setattr(bulk, "FLUSH_EVERY", flush_every)
    live = _live(settings, f"sqlite:///{settings.data_dir / 'live.db'}")
    url = f"sqlite:///{settings.data_dir / 'rebuilt.db'}"
    folded: list[int] = []
    fold = bulk.BulkRebuild._fold
    monkeypatch.setattr(
        bulk.BulkRebuild, "_fold", lambda self, events: (folded.append(len(events)), fold(self, events))
    )
    counts = rebuild_readmodel(settings, url)
    rebuilt = build_readmodel(settings, url)
    assert counts["calls"] > 100 and counts["members"] > 0 and counts["reporting"] == 2
    if batch < 10:  # the bulk fold took nearly all, the read model the batches of the calendar and erasures
        assert sum(folded) > 0.8 * counts["calls"]
    dump = rebuilt.dump()
    assert dump == live.dump()
    assert _journal(rebuilt) == _journal(live)
    assert len(dump["call_facts"]) == 23 and len(dump["unanswered_calls"]) >= 3
    assert any(r["breached_at"] is not None for r in dump["unanswered_calls"])
    assert dump["calendar_changes"] and dump["escalations"]
    assert sum("[erased]" in text or "erased" in text for _, _, text in _journal(rebuilt)) > 0


@pytest.mark.integration
@pytest.mark.postgres
def test_a_bulk_rebuild_on_postgresql_equals_the_read_model_built_event_by_event(settings, clock, postgres_url):  # noqa: F811
    _stores(settings, clock)
    live = _live(settings, f"sqlite:///{settings.data_dir / 'live.db'}")
    rebuild_readmodel(settings, postgres_url)
    rebuilt = build_readmodel(settings, postgres_url)
    try:
        assert rebuilt.dump() == live.dump()
        assert _journal(rebuilt) == _journal(live)
    finally:
        rebuilt.engine.dispose()


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.datetimes(timezones=st.none() | st.just(UTC)) | st.dates())
def test_the_bulk_writes_store_a_time_as_sqlalchemy_stores_it_on_sqlite(value):
    process = sa.DateTime(timezone=True).dialect_impl(sqlite.dialect()).bind_processor(sqlite.dialect())
    assert process is not None
    assert bulk.sqlite_datetime(process, value) == process(value)
