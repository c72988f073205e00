"""The export's fast way (shared/audit/fast.py) gives the bytes of the pure-Python way, which are RFC 8785's:
random JSON through canonical() against the `rfc8785` reference, and random stored events through both ways."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import rfc8785
from eventsourcing.persistence import Notification
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from services.members.main import build_directory
from shared.audit.canonical import canonical
from shared.audit.export import EventReader
from shared.audit.fast import encode_record

EXACT = 2**53 - 1
# Characters where JSON writers differ: escapes, controls, DEL, line separators, outside the BMP, after U+E000.
TRICKY = st.sampled_from(list('"\\\x00\x01\x1f\x7f\u2028\u2029\n\t\b\f\r/é€ش\ue000\uffff😀\U00010000<>&'))
TEXT = st.text(st.one_of(TRICKY, st.characters(exclude_categories=["Cs"])), max_size=12)
INTS = st.one_of(st.integers(-EXACT, EXACT), st.sampled_from([0, -1, EXACT, -EXACT, 10**15, -(10**15)]))
# Past RFC 8785's domain, which refuses them: events never hold them, but both ways must refuse them alike.
WIDE_INTS = st.one_of(INTS, st.sampled_from([EXACT + 1, -EXACT - 1, 2**63, 2**64]))
FLOATS = st.floats(allow_nan=False, allow_infinity=False)
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), INTS, FLOATS, TEXT),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(TEXT, children, max_size=4)),
    max_leaves=20,
)
ZONES = st.sampled_from([UTC, timezone(timedelta(hours=3, minutes=30)), timezone(timedelta(hours=-5))])
MOMENTS = st.builds(
    lambda seconds, micro, zone: (
        datetime(2026, 1, 1, tzinfo=UTC).astimezone(zone) + timedelta(seconds=seconds, microseconds=micro)
    ),
    st.integers(0, 10**8),
    st.sampled_from([0, 1, 123456]),
    ZONES,
)
# What events carry: JSON, plus the values the transcoder tags (times, UUIDs, Decimals).
TAGGED = st.one_of(MOMENTS, st.uuids(), st.decimals(allow_nan=False, allow_infinity=False, places=2))
EVENT_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), WIDE_INTS, TEXT, TAGGED, FLOATS),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(TEXT, children, max_size=3)),
    max_leaves=12,
)
EVENT_DATA = st.dictionaries(
    TEXT.filter(lambda k: k not in ("timestamp", "originator_id", "originator_version", "originator_topic")),
    EVENT_VALUE,
    max_size=8,
)


@examples(max_examples=1500, deadline=None)
@given(JSON)
def test_canonical_json_is_the_rfc8785_reference_on_random_json(value: Any) -> None:
    assert canonical(value) == rfc8785.dumps(value)


@examples(max_examples=300, deadline=None)
@given(st.dictionaries(TEXT, st.one_of(st.integers(), st.lists(st.integers(), max_size=2)), max_size=4))
def test_integers_past_2_to_the_53_are_refused_by_both_as_rfc8785_does(value: dict) -> None:
    try:
        expected: bytes | type = rfc8785.dumps(value)
    except rfc8785.IntegerDomainError:
        expected = rfc8785.IntegerDomainError
    try:
        got: bytes | type = canonical(value)
    except rfc8785.IntegerDomainError:
        got = rfc8785.IntegerDomainError
    assert got == expected


def _notification(app: Any, position: int, state: dict[str, Any]) -> Notification:
    return Notification(
        id=position,
        originator_id=uuid.UUID(int=position),
        originator_version=3,
        topic=next(iter(app.contract.events.values())),
        state=app.mapper.transcoder.encode(state),
    )


@examples(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=EVENT_DATA, timestamp=MOMENTS)
def test_a_stored_event_gives_the_same_line_bytes_both_ways(data, timestamp, settings, clock) -> None:
    app = _directory(settings, clock)
    reader = EventReader(app)
    n = _notification(app, 7, {"timestamp": timestamp, "originator_id": uuid.UUID(int=7), **data})
    fast = encode_record(
        n.state, position=7, aggregate_id=str(n.originator_id), version=3, wire_type=app.contract.wire_type(n.topic)
    )
    try:
        slow = canonical(reader.record(n))
    except rfc8785.IntegerDomainError:
        assert fast is None
        return
    assert slow == rfc8785.dumps(reader.record(n))
    if fast is not None:
        assert fast[0] == slow
        assert fast[1] == reader.record(n)["time"]
    [(position, either)] = [
        (position, event) for position, event in _encoded(reader, n) if position == 7
    ]  # the export's own loop: fast where it can, the slow way otherwise
    assert (position, either) == (7, slow)


def test_events_as_the_calls_store_holds_them_all_take_the_fast_way(settings, clock) -> None:
    app = _directory(settings, clock)
    state = {
        "timestamp": datetime(2026, 3, 1, 8, tzinfo=UTC),
        "originator_id": uuid.UUID(int=1),
        "originator_topic": "services.calls.domain:Call",
        "at": datetime(2026, 3, 1, 8, 0, 20, 5, tzinfo=UTC),
        "caller": "+989131234567",
        "member_id": uuid.UUID(int=9),
        "talk_seconds": 180,
        "note": 'تماس ۱.۵ دقیقه: "score":4.5',  # numbers in text are text
        "purpose": None,
    }
    n = _notification(app, 1, state)
    fast = encode_record(n.state, position=1, aggregate_id=str(n.originator_id), version=3, wire_type="t")
    assert fast is not None and b'"member_id":"00000000-0000-0000-0000-000000000009"' in fast[0]
    assert b'"time":"2026-03-01T08:00:00+00:00"' in fast[0] and b'\\"score\\":4.5' in fast[0]
    for odd in ({"score": 4.5}, {"nested": [{"score": 4.0}]}, {"due": Decimal("1.50")}, {"n": 2**53}):
        slow = _notification(app, 2, {**state, **odd})
        assert encode_record(slow.state, position=2, aggregate_id="x", version=1, wire_type="t") is None, odd


def _encoded(reader: EventReader, n: Notification) -> list[tuple[int, bytes]]:
    row = (n.id, str(n.originator_id), n.originator_version, n.topic, n.state)
    reader.stored_rows = lambda *_: iter([[row]])  # type: ignore[method-assign]
    return list(reader.encoded())


_APPS: dict[Any, Any] = {}


def _directory(settings: Any, clock: Any) -> Any:
    # One application for all of hypothesis's examples: only its transcoder and contract are used.
    key = str(settings.data_dir)
    if key not in _APPS:
        _APPS[key] = build_directory(settings, clock)
    return _APPS[key]
