"""The bytes consumers read on Kafka: the envelope's JSON (written by orjson where it gives the same bytes) and the
stored JSON read back (parsed by orjson where it gives the same values) are what the standard library made."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum, IntEnum, StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, UUIDAsHex
from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st

from shared.envelope import _default, _same_in_orjson, dumps
from shared.relay import _utc_text
from shared.transcoding import fast_decoder


def reference(data: Any) -> bytes:
    """How the envelope's value was written before: the standard library's encoder."""
    return json.dumps(data, default=_default, ensure_ascii=False, separators=(",", ":")).encode()


def outcome(write: Any, data: Any) -> tuple[str, Any]:
    try:
        return "bytes", write(data)
    except (TypeError, ValueError) as exc:  # a lone surrogate, a set of texts and numbers, an unknown type
        return "refused", type(exc)


class Colour(StrEnum):
    RED = "red"


class Size(IntEnum):
    LARGE = 3


class Mood(Enum):
    CALM = 1.5


zones = st.sampled_from(
    [None, UTC, timezone(timedelta(hours=3, minutes=30)), timezone(timedelta(hours=-5)), ZoneInfo("Europe/Istanbul")]
)
times = st.builds(
    lambda dt, tz: dt.replace(tzinfo=tz),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    zones,
)
texts = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(["\ud800", "é\x00\x1f\x7f\u2028😀"])
scalars = (
    texts
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.booleans()
    | st.none()
    | times
    | st.dates()
    | st.uuids()
    | st.decimals(allow_nan=False, places=3)
    | st.sampled_from([Colour.RED, Size.LARGE, Mood.CALM])
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=3).map(tuple)
        | st.sets(st.integers(0, 9) | st.text(max_size=3), max_size=3)
        | st.frozensets(st.uuids(), max_size=2)
        | st.dictionaries(texts | st.integers(0, 3), inner, max_size=4)
    ),
    max_leaves=12,
)
envelopes = st.dictionaries(st.text(max_size=8), values, max_size=8)


@examples(max_examples=1500, deadline=None)
@given(envelopes)
def test_an_events_data_is_written_to_the_same_bytes_as_the_standard_library_wrote(data: dict[str, Any]) -> None:
    assert outcome(dumps, data) == outcome(reference, data)


plain = st.recursive(
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.booleans()
    | st.none()
    | times
    | st.dates()
    | st.uuids()
    | st.decimals(allow_nan=False, places=2),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)


@examples(max_examples=1000, deadline=None)
@given(st.dictionaries(st.text(max_size=8), plain, max_size=8))
def test_data_of_the_types_events_hold_is_written_by_orjson_to_the_same_bytes(data: dict[str, Any]) -> None:
    assert _same_in_orjson(data)  # the fast way is taken...
    assert dumps(data) == reference(data)  # ...and writes what the standard library wrote


def test_what_orjson_would_write_otherwise_goes_the_standard_way() -> None:
    istanbul = datetime(2026, 11, 29, 12, 0, 0, 5, tzinfo=ZoneInfo("Europe/Istanbul"))
    data = {
        "at": datetime(2026, 11, 29, 9, 0, tzinfo=UTC),
        "local": istanbul,  # orjson would keep the offset; consumers get UTC
        "naive": datetime(2026, 11, 29, 9, 0),
        "score": 1e-07,  # orjson writes 1e-7
        "big": 2**64,  # past orjson's integers
        "keys": {1: "one"},  # json makes the key a text; orjson refuses it
        "colour": Colour.RED,
        "decimal": Decimal("1.50"),
        "tags": {"b", "a"},
    }
    assert dumps(data) == reference(data)
    assert b'"local":"2026-11-29T09:00:00.000005+00:00"' in dumps(data) and b'"score":1e-07' in dumps(data)


# -- the stored JSON, read back ------------------------------------------------------------------------------------
def transcoder() -> JSONTranscoder:
    t = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DatetimeAsISO(), DecimalAsStr()):
        t.register(transcoding)
    return t


stored_scalars = (
    st.text(st.characters(codec="utf-8"), max_size=12)
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.booleans()
    | st.none()
    | times.filter(lambda t: not isinstance(t.tzinfo, ZoneInfo))
    | st.uuids()
    | st.decimals(allow_nan=False)
)
stored = st.dictionaries(
    st.text(max_size=8),
    st.recursive(
        stored_scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
        max_leaves=12,
    ),
    max_size=8,
)


def same(a: Any, b: Any) -> bool:
    """Equal values of the same types all the way down (1 == 1.0 == True would hide a change)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and a != a:
        return b != b
    return bool(a == b)


@examples(max_examples=1000, deadline=None)
@given(stored)
def test_stored_json_reads_back_as_the_transcoder_reads_it(state: dict[str, Any]) -> None:
    t = transcoder()
    raw = t.encode(state)
    assert same(fast_decoder(t)(raw), t.decode(raw))


def test_numbers_orjson_reads_otherwise_are_read_by_the_transcoder() -> None:
    t = transcoder()
    raw = b'{"big":123456789012345678901234567890,"low":-9223372036854775809,"x":[1.5,{"n":NaN}]}'
    assert same(fast_decoder(t)(raw), t.decode(raw))
    assert fast_decoder(t)(raw)["big"] == 123456789012345678901234567890


def test_a_tagged_value_nested_in_a_tag_is_decoded_from_the_inside_out() -> None:
    t = transcoder()
    seen = []

    class Wrapped(DecimalAsStr):
        name = "wrapped"

        def decode(self, data: Any) -> Any:
            seen.append(data)
            return ("wrapped", data)

    t.register(Wrapped())
    raw = b'{"w":{"_type_":"wrapped","_data_":{"_type_":"uuid_hex","_data_":"' + uuid.UUID(int=7).hex.encode() + b'"}}}'
    assert fast_decoder(t)(raw) == t.decode(raw) == {"w": ("wrapped", uuid.UUID(int=7))}


def test_another_transcoder_is_used_as_it_is() -> None:
    class Own(JSONTranscoder):
        def decode(self, data: bytes) -> Any:
            return {"own": True}

    own = Own()
    assert fast_decoder(own)(b"{}") == {"own": True}


@examples(max_examples=500, deadline=None)
@given(
    st.datetimes(
        timezones=st.one_of(
            st.just(UTC),
            st.just(ZoneInfo("UTC")),
            st.just(ZoneInfo("Asia/Tehran")),
            st.builds(lambda m: timezone(timedelta(minutes=m)), st.integers(-900, 900)),
        )
    )
    | st.datetimes(),
    stored,
)
def test_the_event_time_read_as_stored_text_gives_the_time_the_datetime_gave(at: datetime, rest: dict) -> None:
    t = transcoder()
    raw = t.encode({"timestamp": at, **rest, "originator_version": 1})
    fast = fast_decoder(t, time_as_text="timestamp")(raw)
    slow = t.decode(raw)
    time = fast.pop("timestamp")
    assert type(time) in (str, datetime)  # the text, or on the transcoder's path the datetime
    assert _utc_text(time) == _utc_text(slow.pop("timestamp"))
    assert same(fast, slow)


def test_the_event_time_is_the_stored_text_only_when_tagged_as_eventsourcings_datetime() -> None:
    t = transcoder()
    at = datetime(2026, 11, 29, 17, 0, tzinfo=UTC)
    decode = fast_decoder(t, time_as_text="timestamp")
    assert decode(t.encode({"timestamp": at, "x": 1})) == {"timestamp": at.isoformat(), "x": 1}
    assert decode(t.encode({"timestamp": uuid.UUID(int=3), "x": 1})) == {"timestamp": uuid.UUID(int=3), "x": 1}
    assert decode(b'{"timestamp":{"_type_":"decimal_str","_data_":"1.5"},"x":1}') == {
        "timestamp": Decimal("1.5"),
        "x": 1,
    }
    assert decode(b'{"timestamp":{"_data_":"2026-11-29T17:00:00+00:00"},"x":1}') == {
        "timestamp": {"_data_": "2026-11-29T17:00:00+00:00"},
        "x": 1,
    }
    assert fast_decoder(t)(t.encode({"timestamp": at})) == {"timestamp": at}
