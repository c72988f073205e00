"""Stored events read back faster: the transcoder's JSON parsed by orjson, in C, where that gives the very same
values as the transcoder (the relay and `crm rebuild` read every stored event)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson
from eventsourcing.persistence import JSONTranscoder, Transcoder


class _ReadBySlowWay(Exception):
    """A stored value orjson may not read as the transcoder does (a float: an integer past 64 bits reads as one)."""


def _hooked(value: Any, hook: Callable[[dict[str, Any]], Any]) -> Any:
    """What json's object_hook makes of a value orjson parsed: each object's members first, then the object."""
    kind = type(value)
    if kind is dict:
        for k, v in value.items():
            kind = type(v)
            if kind is dict:
                if len(v) == 2 and type(v.get("_data_")) is str and type(v.get("_type_")) is str:
                    value[k] = hook(v)  # a tagged value (a time, a UUID): no members of its own to hook first
                else:
                    value[k] = _hooked(v, hook)
            elif kind is list:
                value[k] = _hooked(v, hook)
            elif kind is float:
                raise _ReadBySlowWay
        return hook(value)
    if kind is list:
        for i, v in enumerate(value):
            kind = type(v)
            if kind is dict or kind is list:
                value[i] = _hooked(v, hook)
            elif kind is float:
                raise _ReadBySlowWay
        return value
    if kind is float:
        raise _ReadBySlowWay
    return value


def fast_decoder(transcoder: Transcoder) -> Callable[[bytes], Any]:
    """`transcoder.decode`, parsed by orjson in C where that gives the very same values: for eventsourcing's own
    JSONTranscoder, whose decoding is the standard library's parser with an object hook that turns tagged objects
    into UUIDs, datetimes and the like; the hook then runs over orjson's result. Stored JSON orjson refuses (NaN, a
    lone surrogate) or may read otherwise (any number with a fraction or exponent, an integer past 64 bits, which
    orjson reads as a float) goes through the transcoder itself. Decoding had been a sixth of the relay's time."""
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
    slow = transcoder.decode

    def decode(data: bytes) -> Any:
        try:
            return _hooked(orjson.loads(data), hook)
        except (orjson.JSONDecodeError, _ReadBySlowWay):
            return slow(data)

    return decode
