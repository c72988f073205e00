"""The CloudEvents envelope: what goes into Kafka headers and value, and what comes back out of a record."""

from __future__ import annotations

import functools
import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import IntEnum, StrEnum
from typing import NamedTuple

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from shared.envelope import CloudEvent, MalformedRecord, _default, dumps, from_kafka


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


def _standard(data: object) -> bytes:
    """The standard library's encoder with the envelope's settings: the text `dumps` must give, byte for byte."""
    return json.dumps(data, default=_default, ensure_ascii=False, separators=(",", ":")).encode()


class Point(NamedTuple):
    x: float
    y: float


class Level(IntEnum):
    HIGH = 3


_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.floats(min_value=-1e-3, max_value=1e-3)
    | st.text()
    | st.datetimes(timezones=st.sampled_from([None, UTC, timezone(timedelta(hours=3, minutes=30))]))
    | st.dates()
    | st.uuids()
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.sampled_from([Colour.RED, Level.HIGH, Point(1.5, 2e-7)])
)
_data = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8) | st.integers(), inner, max_size=4)
        | st.tuples(inner, inner)
        | st.frozensets(st.integers(), max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=500, deadline=None)
@example(data={"wait": 1e-05})  # orjson: 0.00001
@example(data={"talk": 2.5e-07})
@example(data={"x": [float("nan"), float("inf")]})  # orjson: null
@example(data={"big": 2**64})  # orjson refuses it
@example(data={"keys": {1: "a"}})  # and this
@example(data={"edge": [1e-4, 9.999e-5, 1e16, 9.999999999999998e15, -0.0]})
@example(data={"deep": functools.reduce(lambda inner, _: [inner], range(300), [1])})  # past orjson's depth
@given(data=st.dictionaries(st.text(max_size=10), _data, max_size=6) | _data)
def test_dumps_writes_the_standard_encoder_s_text_to_the_byte(data):
    assert dumps(data) == _standard(data)
    assert dumps(an_event(payload=data).as_dict()) == _standard(an_event(payload=data).as_dict())
