"""Canonical JSON (RFC 8785, the JSON Canonicalization Scheme): one byte string per value, so hashes agree.

The pinned `rfc8785` package is the reference, but it is pure Python and canonicalised a typical event at 60,000/s
on the CI machine, too slow for the export's target of 50,000 events/s with reading, hashing and writing on top.
For the values events hold, orjson with sorted keys gives the very same bytes (same escapes, UTF-8, no spaces,
integers as digits) in C; it differs from RFC 8785 only on floats (ECMAScript number formatting), integers past
2**53 and keys outside the Basic Multilingual Plane (sorted by UTF-16 code units). Values holding any of those go
through `rfc8785` instead; values orjson cannot write (keys that are not strings, integers past 64 bits) through
the standard library's encoder, which agrees with orjson wherever both write. Tests compare every path with the
reference on random values (tests/audit/test_canonical_and_merkle.py, tests/audit/test_fast.py).
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson
import rfc8785

from shared.envelope import _default as _event_default

_MAX_EXACT_INT = 2**53 - 1
_ASTRAL = re.compile(rb"[\xf0-\xf4]")


def _to_json(value: Any) -> Any:
    # Datetimes, UUIDs, Decimals, enums and sets as the envelope publishes them on Kafka.
    return _event_default(value)


def _needs_reference(value: Any) -> bool:
    """Whether a value holds a float or an integer past 2**53 (keys outside the Basic Multilingual Plane are found
    in the encoded bytes, which is cheaper). A loop, not recursion: this runs once per exported event."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str or item is None or kind is bool:
            continue
        if kind is dict:
            stack.extend(item.values())
        elif kind is list or kind is tuple or kind is set or kind is frozenset:
            stack.extend(item)
        elif isinstance(item, float) or (isinstance(item, int) and not -_MAX_EXACT_INT <= item <= _MAX_EXACT_INT):
            return True
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
    return False


# Built once: json.dumps with options builds a new encoder on every call, which cost 1-2 us an event.
_ENCODER = json.JSONEncoder(
    default=_to_json, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


# Datetimes and dates as the envelope writes them (orjson's own form differs), dataclasses refused as there.
_ORJSON = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


class Plain(dict[str, Any]):
    """A JSON object its maker has already seen to hold no float and no integer past 2**53 (the export's reader
    sees that while parsing a stored event), so canonical() need not look through it again."""


def canonical(value: Any) -> bytes:
    """The RFC 8785 bytes of a JSON value (datetimes, UUIDs and Decimals first become the strings events carry)."""
    if type(value) is not Plain and _needs_reference(value):
        return rfc8785.dumps(json.loads(_ENCODER.encode(value)))
    try:
        encoded = orjson.dumps(value, default=_to_json, option=_ORJSON)
    except (TypeError, orjson.JSONEncodeError):  # a key that is not a string, an integer past 64 bits
        encoded = _ENCODER.encode(value).encode()
    # A lead byte of a 4-byte UTF-8 sequence: a character outside the BMP, perhaps in a key, where RFC 8785 sorts
    # by UTF-16 code units; rare enough (emoji) to hand the whole value to the reference.
    # (An all-ASCII text, which bytes.isascii() tells at once, has none.)
    if not encoded.isascii() and _ASTRAL.search(encoded):
        return rfc8785.dumps(json.loads(encoded))
    return encoded
