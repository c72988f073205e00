"""Canonical JSON (RFC 8785, the JSON Canonicalization Scheme): one byte string per value, so hashes agree.

The pinned `rfc8785` package is the reference, but it is pure Python and canonicalised a typical event at 60,000/s
on the CI machine, too close to the export's target of 50,000 events/s with hashing and writing on top. For the
values events hold, the standard library's encoder with sorted keys gives the very same bytes (same escapes, UTF-8,
no spaces, integers as digits) at about 230,000/s; it differs from RFC 8785 only on floats (ECMAScript number
formatting), integers past 2**53 and keys outside the Basic Multilingual Plane (sorted by UTF-16 code units).
Values holding any of those go through `rfc8785` instead; a test compares both paths on random values.
"""

from __future__ import annotations

import json
from typing import Any

import rfc8785

from shared.envelope import _default as _event_default

_MAX_EXACT_INT = 2**53 - 1


def _to_json(value: Any) -> Any:
    # Datetimes, UUIDs, Decimals, enums and sets as the envelope publishes them on Kafka.
    return _event_default(value)


def _needs_reference(value: Any) -> bool:
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and any(ord(c) > 0xFFFF for c in key):
                return True
            if _needs_reference(item):
                return True
        return False
    if isinstance(value, list | tuple):
        return any(_needs_reference(item) for item in value)
    if isinstance(value, float):
        return True
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value) > _MAX_EXACT_INT
    return False


def canonical(value: Any) -> bytes:
    """The RFC 8785 bytes of a JSON value (datetimes, UUIDs and Decimals first become the strings events carry)."""
    text = json.dumps(
        value, default=_to_json, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    if _needs_reference(value):
        return rfc8785.dumps(json.loads(text))
    return text.encode()
