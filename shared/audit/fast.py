"""A stored event's bytes straight to the canonical JSON of its export record, parsed and written in C (orjson).

The pure-Python way (export.EventReader.record, then canonical()) decodes the transcoder's JSON with an object hook,
builds the record and encodes it again with sorted keys: most of the export's time at a million events. Here the
transcoder's tagged values that events carry on every line become plain strings by a substitution on the bytes
(a UTC time is its ISO text, a UUID its dashed form: the strings the object hook would give), orjson parses what
is left, a look at the parsed values' types finds any float, and orjson writes the record with sorted keys, which
is RFC 8785 for strings, integers, booleans, null, lists and objects. Anything else gives None, and the caller
takes the pure-Python way for that event, so both ways give the same bytes (tests/audit/test_fast.py compares
them):

- a float or an integer past 2**53 (RFC 8785 writes those as ECMAScript does, or refuses them);
- a tagged value of another kind or shape (a Decimal, a time in another zone, a UUID in capitals);
- a character outside the Basic Multilingual Plane (RFC 8785 sorts keys by UTF-16 code units);
- text orjson refuses (a lone surrogate).
"""

from __future__ import annotations

import re
from typing import Any

import orjson

# A transcoder's tag is an object of exactly these two keys; inside a JSON string its quotes would be escaped, so
# the unescaped pattern is always a real tag.
_UTC_TIME = re.compile(rb'\{"_type_":"datetime_iso","_data_":("[^"\\]*\+00:00")\}')
_UUID_HEX = re.compile(
    rb'\{"_type_":"uuid_hex","_data_":"([0-9a-f]{8})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{12})"\}'
)
_UUID_DASHED = re.compile(
    rb'\{"_type_":"uuid_hex","_data_":("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")\}'
)
_TAG = b'"_type_"'
_ASTRAL = re.compile(rb"[\xf0-\xf4]")
_BOOKKEEPING = ("originator_id", "originator_version", "originator_topic")
# Sorted keys, and an integer past 2**53 refused (then the event goes the slow way, as RFC 8785 wants it).
_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER


def _first_group(match: re.Match[bytes]) -> bytes:
    return match[1]


def _dashed(match: re.Match[bytes]) -> bytes:
    return b'"%s-%s-%s-%s-%s"' % match.groups()


def plain_state(state: bytes) -> bytes | None:
    """The transcoder's JSON with UTC times and UUIDs as plain strings, or None when it holds a tag of any other
    kind or shape."""
    text = _UTC_TIME.sub(_first_group, state)
    if _TAG in text:
        text = _UUID_DASHED.sub(_first_group, _UUID_HEX.sub(_dashed, text))
        if _TAG in text:
            return None
    return text


def _holds_float(data: dict[str, Any]) -> bool:
    kinds = set(map(type, data.values()))  # in C: most events are flat, and this settles them
    if float in kinds:
        return True
    if dict not in kinds and list not in kinds:
        return False
    stack: list[Any] = [data]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
        elif kind is float:
            return True
    return False


def encode_record(
    state: bytes, position: int, aggregate_id: str, version: int, wire_type: str
) -> tuple[bytes, str] | None:
    """(the canonical JSON of the export record, its time) for one stored event's JSON, or None: then the event
    takes the pure-Python way."""
    text = plain_state(state)
    if text is None:
        return None
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    if type(data) is not dict or _holds_float(data):
        return None
    time = str(data.pop("timestamp", None))
    for key in _BOOKKEEPING:
        data.pop(key, None)
    record = {
        "position": position,
        "aggregate_id": aggregate_id,
        "version": version,
        "type": wire_type,
        "time": time,
        "data": data,
    }
    try:
        out = orjson.dumps(record, option=_OPTIONS)
    except orjson.JSONEncodeError:
        return None
    if not out.isascii() and _ASTRAL.search(out):
        return None
    return out, time
