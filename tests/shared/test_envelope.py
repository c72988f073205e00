"""The CloudEvents envelope: what goes into Kafka headers and value, and what comes back out of a record."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum

import pytest

from shared.envelope import CloudEvent, MalformedRecord, dumps, from_kafka


class Colour(StrEnum):
    RED = "red"


def an_event(**data: object) -> CloudEvent:
    return CloudEvent(
        id="e-1",
        source="/crm/calls",
        type="crm.calls.call.received.v1",
        time="2026-11-21T07:00:00+00:00",
        subject="c-1",
        sequence=3,
        position=42,
        data=dict(data),
    )


def test_an_event_survives_the_trip_through_kafka_headers_and_value() -> None:
    event = an_event(unit="trade", caller="+989131234567", note="پیگیری شد")
    back = from_kafka(event.headers(), event.value())
    assert back == event
    assert event.key() == b"c-1"  # per-aggregate order: one key, one partition


def test_headers_carry_the_cloudevents_attributes_in_binary_mode() -> None:
    headers = dict(an_event().headers())
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_sequence"] == b"3"
    assert headers["ce_position"] == b"42"
    assert headers["content-type"] == b"application/json"


def test_values_are_encoded_the_way_consumers_read_them() -> None:
    tehran = timezone(timedelta(hours=3, minutes=30))
    the_id = uuid.UUID("6f1c1f50-4a53-4f7a-9d0e-2c4f5b7d1e11")
    value = json.loads(
        dumps(
            {
                "at": datetime(2026, 11, 21, 10, 30, tzinfo=tehran),
                "naive": datetime(2026, 11, 21, 10, 30),
                "day": date(2026, 11, 21),
                "id": the_id,
                "amount": Decimal("12.50"),
                "units": {"trade", "legal"},
                "pair": ("a", "b"),
                "colour": Colour.RED,
                "text": "اصفهان",
            }
        )
    )
    assert value["at"] == "2026-11-21T07:00:00+00:00"  # stored in UTC whatever zone it was given in
    assert value["naive"] == "2026-11-21T10:30:00"
    assert value["day"] == "2026-11-21"
    assert value["id"] == str(the_id)
    assert value["amount"] == "12.50"  # no float rounding of money
    assert value["units"] == ["legal", "trade"]  # sets in a stable order, so equal events encode equally
    assert value["pair"] == ["a", "b"]
    assert value["colour"] == "red"
    assert value["text"] == "اصفهان"
    assert "اصفهان".encode() in dumps({"t": "اصفهان"})  # readable UTF-8, not \u escapes


def test_a_value_that_is_not_json_data_is_refused_at_once() -> None:
    with pytest.raises(TypeError, match="object"):
        dumps({"x": object()})


def test_a_record_without_position_reads_as_position_zero() -> None:
    headers = [(k, v) for k, v in an_event().headers() if k != "ce_position"]
    assert from_kafka(headers, b"{}").position == 0


def test_an_empty_value_is_an_event_without_data() -> None:
    assert from_kafka(an_event().headers(), None).data == {}


@pytest.mark.parametrize(
    ("headers", "value", "reason"),
    [
        ([], b"{}", "missing CloudEvents headers: ce_id, ce_source, ce_type, ce_time, ce_subject, ce_sequence"),
        ([("ce_sequence", b"three")], b"{}", "unreadable"),
        ([("ce_type", b"\xff\xfe")], b"{}", "unreadable"),
        (None, b"not json", "not JSON"),
        (None, b"\xff", "not JSON"),
        (None, b"[1, 2]", "not an object"),
    ],
)
def test_a_record_that_is_not_one_of_our_events_says_why(headers, value, reason: str) -> None:
    base = dict(an_event().headers())
    if headers == []:
        base = {}
    for name, v in headers or ():
        base[name] = v
    with pytest.raises(MalformedRecord, match=reason):
        from_kafka(base, value)


def test_time_is_taken_as_given() -> None:
    event = an_event()
    assert datetime.fromisoformat(from_kafka(event.headers(), event.value()).time) == datetime(
        2026, 11, 21, 7, 0, tzinfo=UTC
    )
