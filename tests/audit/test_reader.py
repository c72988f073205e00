"""Reading stored events for an export: the fast reading gives the very records the application's transcoder does."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import rfc8785
from eventsourcing.persistence import Notification, Transcoding

from services.members.main import build_directory
from shared.audit.canonical import canonical
from shared.audit.export import EventReader


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


def notification(app, position: int, state: dict) -> Notification:
    topic = next(iter(app.contract.events.values()))
    return Notification(
        id=position,
        originator_id=uuid.UUID(int=position),
        originator_version=1,
        topic=topic,
        state=app.mapper.transcoder.encode(state),
    )


def test_the_fast_reading_equals_the_transcoders_on_stored_events(members_store, clock):
    directory = build_directory(members_store, clock)
    reader = EventReader(directory)
    stored = list(reader.notifications())
    assert len(stored) == 24
    assert [reader.record(n) for n in stored] == [reader.record_through_transcoder(n) for n in stored]
    # SQLite rows are read without the recorder's Notification objects: the same events all the same.
    by_recorder = directory.recorder.select_notifications(1, 100)
    assert [reader.record(n) for n in stored] == [reader.record(n) for n in by_recorder]
    assert [reader.record(n) for n in reader.notifications(5, 9)] == [reader.record(n) for n in by_recorder[4:9]]
    directory.close()


def test_the_fast_reading_equals_the_transcoders_on_every_stored_type(members_store, clock):
    directory = build_directory(members_store, clock)
    directory.mapper.transcoder.register(DateAsISO())
    reader = EventReader(directory)
    tehran = timezone(timedelta(hours=3, minutes=30))
    states = [
        {
            "timestamp": datetime(2026, 3, 1, 8, tzinfo=UTC),
            "at": datetime(2026, 3, 1, 11, 30, tzinfo=tehran),
            "naive": datetime(2026, 3, 1, 8, 0, 0, 123),
            "id": uuid.UUID(int=7),
            "amount": Decimal("12.50"),
            "nested": {"when": [datetime(2026, 3, 2, tzinfo=UTC)], "n": 5, "text": "شرکت"},
        },
        {"timestamp": datetime(2026, 3, 1, 8, tzinfo=tehran), "due": date(2026, 3, 9)},  # a type only it knows
        # Numbers RFC 8785 writes its own way, which the fast reading leaves to canonical() to look at.
        {"timestamp": datetime(2026, 3, 1, 8, tzinfo=UTC), "score": 4.5, "tiny": 1e-7, "big": 1e21},
        {"timestamp": datetime(2026, 3, 1, 8, tzinfo=UTC), "long": 1234567890123456, "list": [2**53 - 1, 0.5]},
    ]
    for position, state in enumerate(states, 1):
        n = notification(directory, position, state)
        record = reader.record(n)
        assert record == reader.record_through_transcoder(n)
        assert canonical(record) == rfc8785.dumps(json.loads(canonical(record)))
    assert canonical(reader.record(notification(directory, 3, states[2]))).endswith(
        b'"data":{"big":1e+21,"score":4.5,"tiny":1e-7},"position":3,"time":"2026-03-01T08:00:00+00:00",'
        b'"type":"crm.members.member.registered.v1","version":1}'
    )
    first = reader.record(notification(directory, 1, states[0]))
    assert first["data"]["at"] == "2026-03-01T08:00:00+00:00" and first["data"]["amount"] == "12.50"
    assert reader.record(notification(directory, 2, states[1]))["data"]["due"] == "2026-03-09"
    directory.close()
