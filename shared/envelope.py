"""CloudEvents 1.0 in Kafka binary mode: attributes as `ce_*` headers, JSON data as the value, key = aggregate id.

`ce_position` (an extension attribute) carries the event's position in its service's notification log; the relay
uses it to resume with no gap and no duplicate, and auditors use it to check completeness.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson

SPECVERSION = "1.0"


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    if hasattr(value, "value"):  # enums
        return value.value
    raise TypeError(f"cannot put {type(value).__name__} in an event envelope")


# json.dumps with options builds a new encoder on every call.
_ENCODER = json.JSONEncoder(default=_default, ensure_ascii=False, separators=(",", ":"))
# Datetimes in UTC or naive, dates and UUIDs orjson writes itself, to the very text _default gives them; other
# datetimes go through _default (orjson would keep their offset), dataclasses too (json refuses them).
_ORJSON = orjson.OPT_PASSTHROUGH_DATACLASS
_ORJSON_VIA_DEFAULT = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
_PLAIN = frozenset({str, int, bool, type(None), date, uuid.UUID, Decimal})
_NOT_SAME, _SAME, _SAME_VIA_DEFAULT = 0, 1, 2


def dumps(data: Any) -> bytes:
    """The compact JSON of an event's data (the value consumers read on Kafka): the standard library's encoder with
    ensure_ascii off and _default for datetimes, UUIDs, Decimals, sets and enums. Data holding only the types
    orjson writes to the same bytes goes through orjson, in C (a sixth of the relay's time had gone here); any
    other (a float, whose text orjson writes differently, an enum, a subclass) through the standard library.
    tests/shared/test_envelope_json.py compares the two on generated data."""
    same = _same_in_orjson(data)
    if same:
        try:
            return orjson.dumps(data, default=_default, option=_ORJSON if same == _SAME else _ORJSON_VIA_DEFAULT)
        except orjson.JSONEncodeError:  # an integer past 64 bits, a key that is no text, a lone surrogate...
            pass
    return _ENCODER.encode(data).encode()


def _same_in_orjson(value: Any) -> int:
    found = _SAME
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind in _PLAIN:
            continue
        if kind is dict:
            stack.extend(item.values())
        elif kind is datetime:
            if item.tzinfo is not None and item.tzinfo is not UTC:
                found = _SAME_VIA_DEFAULT
        elif kind is list or kind is tuple or kind is set or kind is frozenset:
            stack.extend(item)
        else:
            return _NOT_SAME
    return found


@dataclass(frozen=True)
class CloudEvent:
    id: str
    source: str
    type: str
    time: str
    subject: str  # aggregate id
    sequence: int  # aggregate version
    position: int  # position in the source's notification log
    data: dict[str, Any] = field(default_factory=dict)

    def headers(self) -> list[tuple[str, bytes]]:
        return [
            ("ce_specversion", SPECVERSION.encode()),
            ("ce_id", self.id.encode()),
            ("ce_source", self.source.encode()),
            ("ce_type", self.type.encode()),
            ("ce_time", self.time.encode()),
            ("ce_subject", self.subject.encode()),
            ("ce_sequence", str(self.sequence).encode()),
            ("ce_position", str(self.position).encode()),
            ("content-type", b"application/json"),
        ]

    def value(self) -> bytes:
        return dumps(self.data)

    def key(self) -> bytes:
        return self.subject.encode()

    def as_dict(self) -> dict[str, Any]:
        return {
            "specversion": SPECVERSION,
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "time": self.time,
            "subject": self.subject,
            "sequence": self.sequence,
            "position": self.position,
            "datacontenttype": "application/json",
            "data": self.data,
        }


class MalformedRecord(ValueError):
    """A Kafka record that is not a CloudEvent of ours; it goes to the dead-letter topic with this reason."""


REQUIRED = ("ce_id", "ce_source", "ce_type", "ce_time", "ce_subject", "ce_sequence")


def from_kafka(headers: list[tuple[str, bytes]] | dict[str, bytes] | None, value: bytes | None) -> CloudEvent:
    h = dict(headers or ())
    missing = [name for name in REQUIRED if name not in h]
    if missing:
        raise MalformedRecord(f"missing CloudEvents headers: {', '.join(missing)}")
    try:
        text = {k: (v.decode() if isinstance(v, bytes | bytearray) else str(v)) for k, v in h.items()}
        sequence = int(text["ce_sequence"])
        position = int(text.get("ce_position", "0"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedRecord(f"unreadable CloudEvents header: {exc}") from None
    try:
        data = json.loads(value) if value else {}
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedRecord(f"value is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise MalformedRecord("value is JSON but not an object")
    return CloudEvent(
        id=text["ce_id"],
        source=text["ce_source"],
        type=text["ce_type"],
        time=text["ce_time"],
        subject=text["ce_subject"],
        sequence=sequence,
        position=position,
        data=data,
    )
