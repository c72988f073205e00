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


def dumps(data: Any) -> bytes:
    """Compact JSON, UTF-8, the standard library's text to the byte (consumers and stored rows hold it). Made by
    orjson, several times faster, when its text is the same: it writes some floats otherwise (0.00001 for 1e-05,
    null for NaN) and refuses what the standard encoder takes (integers past 64 bits, keys that are not strings,
    deep nesting); anything holding those is written by the standard encoder."""
    if _plain_floats(data):
        try:
            return orjson.dumps(data, default=_default, option=_ORJSON)
        except TypeError:
            pass
    return json.dumps(data, default=_default, ensure_ascii=False, separators=(",", ":")).encode()


# Datetimes, dataclasses and subclasses of str, int, dict and list go through _default, as with the standard encoder.
_ORJSON = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS
_LEAVES = frozenset({str, int, bool, type(None)})


def _plain_floats(data: Any) -> bool:
    """No float that orjson writes otherwise than the standard encoder (which follows repr: an exponent below
    1e-4 and from 1e16 on, NaN and Infinity)."""
    pending = [data]
    while pending:
        value = pending.pop()
        if type(value) in _LEAVES:
            continue
        if isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list | tuple):
            pending.extend(value)
        elif isinstance(value, float) and not (value == 0.0 or 1e-4 <= abs(value) < 1e16):
            return False
    return True


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
