"""A stored event's bytes straight to the canonical JSON of its export record, parsed and written in C (orjson).

The pure-Python way (export.EventReader.record, then canonical()) decodes the transcoder's JSON with an object hook,
builds the record and encodes it again with sorted keys: most of the export's time at a million events. Here orjson
parses the stored JSON, one loop over the event's values turns the transcoder's tags that events carry on every
line into the strings the object hook would give (a UTC time's ISO text, a UUID's dashed form) and finds any
float, and orjson writes the record with sorted keys, which is RFC 8785 for strings, integers, booleans, null,
lists and objects. Anything else gives None, and the caller takes the pure-Python way for that event, so both ways
give the same bytes (tests/audit/test_fast.py compares them on random events):

- a float or an integer past 2**53 (RFC 8785 writes those as ECMAScript does, or refuses them);
- a tagged value of another kind or shape (a Decimal, a time in another zone, a UUID not in 32 lowercase digits);
- a character outside the Basic Multilingual Plane (RFC 8785 sorts keys by UTF-16 code units);
- text orjson refuses (a lone surrogate).
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from shared.audit.chain import event_record

_ASTRAL = re.compile(rb"[\xf0-\xf4]")
_BOOKKEEPING = ("originator_id", "originator_version", "originator_topic")
# Sorted keys, and an integer past 2**53 refused (then the event goes the slow way, as RFC 8785 wants it).
_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER
_HEX = "0123456789abcdef"


class _Slow(Exception):
    """A value the fast way leaves to the slow one."""


def _untagged(tag: dict[str, Any]) -> str:
    """The string the export's object hook makes of a transcoder's tag: a UTC time's text, a UUID's dashed form."""
    kind, text = tag["_type_"], tag["_data_"]
    if type(text) is str:
        if kind == "datetime_iso" and text.endswith("+00:00"):
            return text
        if kind == "uuid_hex" and len(text) == 32 and not text.strip(_HEX):
            return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
    raise _Slow


def _plain(value: Any) -> Any:
    """A parsed value with its tags untagged; _Slow at a float or any other tag."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is dict:
        if len(value) == 2 and "_type_" in value and "_data_" in value:
            return _untagged(value)
        # In place, as plain_data does at the top: most nested objects (a sealed field's ciphertext, its key's
        # name) hold only strings, and a new dict for each had been a third of this module's time.
        for k, v in value.items():
            kind = type(v)
            if not (kind is str or kind is int or kind is bool or v is None):
                value[k] = _plain(v)
        return value
    if kind is list:
        return [_plain(v) for v in value]
    raise _Slow  # a float


def plain_data(data: dict[str, Any]) -> bool:
    """Untag the values of a parsed event in place; False when one is left to the slow way. The top level is a
    loop here, not _plain(): most events are flat, and this runs once per exported event."""
    try:
        for key, value in data.items():
            kind = type(value)
            if kind is str or kind is int or kind is bool or value is None:
                continue
            if kind is dict and len(value) == 2 and "_type_" in value and "_data_" in value:
                data[key] = _untagged(value)
            else:
                data[key] = _plain(value)
    except _Slow:
        return False
    return True


def encode_record(
    state: bytes, position: int, aggregate_id: str, version: int, wire_type: str
) -> tuple[bytes, str] | None:
    """(the canonical JSON of the export record, its time) for one stored event's JSON, or None: then the event
    takes the pure-Python way."""
    try:
        data = orjson.loads(state)
    except orjson.JSONDecodeError:
        return None
    if type(data) is not dict or not plain_data(data):
        return None
    time = str(data.pop("timestamp", None))
    for key in _BOOKKEEPING:
        data.pop(key, None)
    record = event_record(
        position=position, aggregate_id=aggregate_id, version=version, wire_type=wire_type, time=time, data=data
    )
    try:
        out = orjson.dumps(record, option=_OPTIONS)
    except orjson.JSONEncodeError:
        return None
    if not out.isascii() and _ASTRAL.search(out):
        return None
    return out, time
