"""An export file written with every core: worker processes read and encode ranges of positions, this process
chains them.

Each line carries the SHA-256 of the line before, so the chain is one sequential loop; what comes before it is not:
reading an event's row, its canonical JSON and its Merkle leaf hash depend on that event alone, and were about
four fifths of an export's CPU. Workers (forked, one per core by default) each take a range of CHUNK positions,
read it through a SQLite connection of their own and return the lines without their `prev` (one blob) and the
leaf hashes (another); this process, in position order, hashes each line onto the one before, adds the leaves to
the tree and writes the file. The bytes are those write_events writes from EventReader.encoded in one process
(tests/audit/test_parallel.py compares the files).

Only SQLite files are read this way (the default store, and the one a million-event export was measured on);
another store, a store in memory or `jobs` 1 goes through write_events in this process.
"""

from __future__ import annotations

import binascii
import hashlib
import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime
from typing import IO

from shared.audit.chain import GENESIS
from shared.audit.export import Chain, EventReader, _write_block, write_events

CHUNK = 8192  # positions per task: a few MB a result, and enough tasks that the workers end close together
# Ranges in flight per worker: the results come back in order, so a worker the scheduler left behind would hold
# up the others once they ran out of ranges ahead of it.
WINDOW = 4
_HEAD, _MID, _TAIL = b'{"event":', b',"prev":"', b'"}'
_BETWEEN = _MID + b"\n" + _HEAD  # one event's line up to its prev, a newline, the next one's head

# What a forked worker reads: (reader, start, end), set in the parent just before the fork.
_job: tuple[EventReader, datetime | None, datetime | None] | None = None


def export_events(
    out: IO[bytes],
    reader: EventReader,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    jobs: int | None = None,
) -> Chain:
    """The export file of `reader`'s events recorded in [start, end), up to the last position stored when it
    began, written to `out` by `jobs` worker processes (default: one per CPU)."""
    last = reader.app.recorder.max_notification_id() or 0
    jobs = jobs if jobs is not None else os.cpu_count() or 1
    if jobs <= 1 or last <= CHUNK or reader.sqlite_file() is None:
        return write_events(out, reader.encoded(start, end, last=last) if last else iter(()))
    global _job
    _job = (reader, start, end)
    try:
        # Forked with the reader in memory (its contract and mapper do not pickle cheaply); each worker opens its
        # own connection, and never touches the recorder's.
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            return _chain(out, _results(pool, last, WINDOW * jobs))
    finally:
        _job = None


def _results(pool: ProcessPoolExecutor, last: int, window: int) -> Iterator[tuple[bytes, bytes, int, int | None]]:
    """The workers' results in position order, at most `window` ranges in flight (memory stays a few chunks)."""
    ranges = iter(range(1, last + 1, CHUNK))
    pending: deque[Future[tuple[bytes, bytes, int, int | None]]] = deque()
    for lo in ranges:
        pending.append(pool.submit(_encode_range, lo, min(lo + CHUNK - 1, last)))
        if len(pending) >= window:
            break
    while pending:
        result = pending.popleft().result()
        following = next(ranges, None)
        if following is not None:
            pending.append(pool.submit(_encode_range, following, min(following + CHUNK - 1, last)))
        yield result


def _chain(out: IO[bytes], results: Iterator[tuple[bytes, bytes, int, int | None]]) -> Chain:
    """write_events' loop over lines that come without their `prev`, a range at a time."""
    chain = Chain()
    prev = GENESIS.encode()
    sha256, hexlify = hashlib.sha256, binascii.hexlify
    lines: list[bytes] = []
    for heads, leaves, first, last in results:
        if not leaves:
            continue
        for head in heads.split(b"\n"):
            line = head + prev + _TAIL
            prev = hexlify(sha256(line).digest())
            lines.append(line)
        _write_block(out, chain, lines)
        chain.tree.add_hashes(leaves)
        if chain.first_position is None:
            chain.first_position = first
        chain.last_position = last
    chain.prev = prev.decode()
    return chain


def _encode_range(lo: int, hi: int) -> tuple[bytes, bytes, int, int | None]:
    """In a worker: the lines of the events at positions lo..hi up to their `prev` (joined by newlines, which
    canonical JSON never holds), their Merkle leaf hashes (joined), the first and last position."""
    assert _job is not None, "only in a worker forked by export_events"
    reader, start, end = _job
    if reader.connection is None:
        reader.open_connection()
    sha256 = hashlib.sha256
    events: list[bytes] = []
    leaves: list[bytes] = []
    first, position = 0, None
    for position, event in reader.encoded(start, end, first=lo, last=hi):
        if not events:
            first = position
        events.append(event)
        leaves.append(sha256(b"\x00" + event).digest())
    if not events:
        return b"", b"", first, position
    return _HEAD + _BETWEEN.join(events) + _MID, b"".join(leaves), first, position
