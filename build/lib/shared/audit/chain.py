"""The lines of an export: `{"event":{...},"prev":"<SHA-256 of the line before>"}` in canonical JSON.

The event comes first (RFC 8785 sorts "event" before "prev"), so its canonical bytes sit at a fixed place in the
line: verify reads them without parsing, and the same event hashes the same in every export and every digest
whatever lines surround it (the Merkle leaves are the events, the chain links the lines).
"""

from __future__ import annotations

import hashlib
from typing import Any

from shared.audit.canonical import canonical

GENESIS = "0" * 64  # the `prev` of a file's first line
_HEAD = b'{"event":'
_TAIL_LEN = len(b',"prev":"') + 64 + len(b'"}')


class MalformedLine(ValueError):
    pass


def event_record(
    *, position: int, aggregate_id: str, version: int, wire_type: str, time: str, data: dict[str, Any]
) -> dict[str, Any]:
    return {
        "position": position,
        "aggregate_id": aggregate_id,
        "version": version,
        "type": wire_type,
        "time": time,
        "data": data,
    }


def make_line(event_bytes: bytes, prev: str) -> bytes:
    return b'%s%s,"prev":"%s"}' % (_HEAD, event_bytes, prev.encode())


def split_line(line: bytes) -> tuple[bytes, str]:
    """(event bytes, prev) of one line without its newline; MalformedLine when it is not shaped like one."""
    tail = line[-_TAIL_LEN:]
    if not line.startswith(_HEAD) or len(line) <= len(_HEAD) + _TAIL_LEN or not tail.startswith(b',"prev":"'):
        raise MalformedLine("not an export line")
    if not tail.endswith(b'"}'):
        raise MalformedLine("not an export line")
    prev = tail[9:-2]
    text = prev.decode("latin-1")
    if len(text) != 64 or text.strip("0123456789abcdef"):
        raise MalformedLine("its prev is not a SHA-256 in lowercase hex")
    return line[len(_HEAD) : -_TAIL_LEN], text


def line_hash(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


def encode_event(record: dict[str, Any]) -> bytes:
    return canonical(record)
