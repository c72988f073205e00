"""Stored events read back faster: the transcoder's JSON parsed by orjson, in C, where that gives the very same
values as the transcoder (the relay and `crm rebuild` read every stored event)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, Transcoder, UUIDAsHex


class _ReadBySlowWay(Exception):
    """A stored value orjson may not read as the transcoder does (a float: an integer past 64 bits reads as one)."""


# What eventsourcing's own transcodings decode their text with: called straight, not through the hook.
_STRAIGHT: dict[type, Callable[[str], Any]] = {
    DatetimeAsISO: datetime.fromisoformat,
    UUIDAsHex: UUID,
    DecimalAsStr: Decimal,
}


def _hooked(value: Any, hook: Callable[[dict[str, Any]], Any], names: dict[str, Any] | None) -> Any:
    """What json's object_hook makes of a value orjson parsed: each object's members first, then the object.
    `names`: the transcoder's transcodings, when the hook is the transcoder's own (then a tag of eventsourcing's
    own kinds is decoded straight)."""
    kind = type(value)
    if kind is dict:
        for k, v in value.items():
            kind = type(v)
            if kind is dict:
                data = v.get("_data_")
                if len(v) == 2 and type(data) is str and type(tag := v.get("_type_")) is str:
                    # A tagged value (a time, a UUID): no members of its own to hook first.
                    straight = _STRAIGHT.get(type(names.get(tag))) if names is not None else None
                    value[k] = straight(data) if straight is not None else hook(v)
                else:
                    value[k] = _hooked(v, hook, names)
            elif kind is list:
                value[k] = _hooked(v, hook, names)
            elif kind is float:
                raise _ReadBySlowWay
        return value if names is not None and len(value) != 2 else hook(value)  # the hook's own first question
    if kind is list:
        for i, v in enumerate(value):
            kind = type(v)
            if kind is dict or kind is list:
                value[i] = _hooked(v, hook, names)
            elif kind is float:
                raise _ReadBySlowWay
        return value
    if kind is float:
        raise _ReadBySlowWay
    return value


def fast_decoder(transcoder: Transcoder, *, time_as_text: str | None = None) -> Callable[[bytes], Any]:
    """`transcoder.decode`, parsed by orjson in C where that gives the very same values: for eventsourcing's own
    JSONTranscoder, whose decoding is the standard library's parser with an object hook that turns tagged objects
    into UUIDs, datetimes and the like; the hook then runs over orjson's result. Stored JSON orjson refuses (NaN, a
    lone surrogate) or may read otherwise (any number with a fraction or exponent, an integer past 64 bits, which
    orjson reads as a float) goes through the transcoder itself. Decoding had been a sixth of the relay's time.

    `time_as_text`: a top-level member (the event's "timestamp") that, when stored as eventsourcing's ISO datetime,
    is given as that stored text rather than the datetime parsed from it (the relay writes the text again); on the
    transcoder's own path it is the datetime."""
    decoder = getattr(transcoder, "decoder", None)
    stock = (
        type(transcoder) is JSONTranscoder
        and isinstance(decoder, json.JSONDecoder)
        and type(decoder) is json.JSONDecoder
        and decoder.object_pairs_hook is None
        and decoder.parse_float is float
        and decoder.parse_int is int
        and decoder.strict
    )
    if not stock or not isinstance(decoder, json.JSONDecoder):
        return transcoder.decode
    hook = decoder.object_hook
    own = isinstance(transcoder, JSONTranscoder) and hook == transcoder._decode_obj  # noqa: SLF001
    names = transcoder.names if own and isinstance(transcoder, JSONTranscoder) else None
    slow = transcoder.decode
    as_text = time_as_text if names is not None else None
    times = names or {}

    def decode(data: bytes) -> Any:
        try:
            value = orjson.loads(data)
            text = None
            if as_text is not None and type(value) is dict:
                tagged = value.get(as_text)
                if (
                    type(tagged) is dict
                    and len(tagged) == 2
                    and type(text := tagged.get("_data_")) is str
                    and type(tag := tagged.get("_type_")) is str
                    and type(times.get(tag)) is DatetimeAsISO
                ):
                    value[as_text] = None  # the member stays, so the object's size is as the hook expects
                else:
                    text = None
            decoded = _hooked(value, hook, names)
            if text is not None:
                if decoded is not value:  # the whole state was a tagged object: no member to give as text
                    return slow(data)
                decoded[as_text] = text
            return decoded
        except (orjson.JSONDecodeError, _ReadBySlowWay):
            return slow(data)

    return decode
