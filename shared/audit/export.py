"""Writing an export: chained JSON Lines per service, then the signed manifest that lists them."""

from __future__ import annotations

import binascii
import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, NamedTuple
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.sqlite import SQLiteApplicationRecorder

from shared.audit.canonical import Plain, _to_json, canonical
from shared.audit.chain import GENESIS, event_record, line_hash, make_line
from shared.audit.fast import encode_record
from shared.audit.merkle import MerkleBuilder
from shared.audit.signing import fingerprint, public_pem, sign
from shared.eventstore import CrmApplication

FORMAT = "crm-audit-export/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
PUBLIC_KEY = "public-key.pem"
BATCH = 5000  # notifications read per query: large enough that the query costs little per event


@dataclass
class FileSummary:
    name: str
    service: str
    lines: int
    sha256: str
    merkle_root: str
    first_position: int | None
    last_position: int | None
    last_line_sha256: str


class Chain:
    """The running state of one export file: the hash chain, the Merkle tree of its events, its own SHA-256."""

    def __init__(self) -> None:
        self.prev = GENESIS
        self.tree = MerkleBuilder()
        self.file_hash = hashlib.sha256()
        self.lines = 0
        self.first_position: int | None = None
        self.last_position: int | None = None

    def line(self, record: dict[str, Any]) -> bytes:
        """The next line (with its newline) for one event record."""
        return self.add(record["position"], canonical(record))

    def add(self, position: int, event: bytes) -> bytes:
        """The next line (with its newline) for one event's canonical JSON."""
        line = make_line(event, self.prev)
        self.prev = line_hash(line)
        self.tree.add(event)
        out = line + b"\n"
        self.file_hash.update(out)
        self.lines += 1
        if self.first_position is None:
            self.first_position = position
        self.last_position = position
        return out

    def summary(self, name: str, service: str) -> FileSummary:
        return FileSummary(
            name=name,
            service=service,
            lines=self.lines,
            sha256=self.file_hash.hexdigest(),
            merkle_root=self.tree.root(),
            first_position=self.first_position,
            last_position=self.last_position,
            last_line_sha256=self.prev,
        )


def write_file(out: IO[bytes], records: Iterable[dict[str, Any]]) -> Chain:
    return write_events(out, ((record["position"], canonical(record)) for record in records))


def write_events(out: IO[bytes], events: Iterable[tuple[int, bytes]]) -> Chain:
    """One export file of (position, canonical event JSON) pairs: the lines Chain.add makes, in a loop without its
    calls (a million events), written and hashed in blocks of a thousand lines."""
    chain = Chain()
    prev = chain.prev.encode()
    sha256, hexlify, leaf = hashlib.sha256, binascii.hexlify, chain.tree.add
    buffer: list[bytes] = []
    position = None
    for position, event in events:
        line = b'{"event":' + event + b',"prev":"' + prev + b'"}'
        prev = hexlify(sha256(line).digest())
        leaf(event)
        buffer.append(line)
        if chain.first_position is None:
            chain.first_position = position
        if len(buffer) >= 1000:
            _write_block(out, chain, buffer)
    if buffer:
        _write_block(out, chain, buffer)
    chain.prev, chain.last_position = prev.decode(), position
    return chain


def _write_block(out: IO[bytes], chain: Chain, lines: list[bytes]) -> None:
    block = b"\n".join(lines) + b"\n"
    out.write(block)
    chain.file_hash.update(block)
    chain.lines += len(lines)
    lines.clear()


class StoredRow(NamedTuple):
    """A stored event as the SQLite recorder keeps it (a Notification's fields, the id as text)."""

    id: int
    originator_id: str
    originator_version: int
    topic: str
    state: bytes


def _dashed(hex_id: str) -> str:
    """str(UUID(hex_id)) for the 32 lowercase hex digits SQLite stores, without building the UUID."""
    if len(hex_id) == 32 and not hex_id.strip("0123456789abcdef"):
        return f"{hex_id[:8]}-{hex_id[8:12]}-{hex_id[12:16]}-{hex_id[16:20]}-{hex_id[20:]}"
    # Already dashed and lowercase (ids written by other tools): the text str(UUID(...)) would give.
    dashed = len(hex_id) == 36 and hex_id[8] == hex_id[13] == hex_id[18] == hex_id[23] == "-"
    if dashed and not hex_id.replace("-", "").strip("0123456789abcdef"):
        return hex_id
    return str(UUID(hex_id))


class _CustomType(Exception):
    """A stored value of a type the fast reading does not know: that event is read through the transcoder."""


def _plain(d: dict[str, Any]) -> Any:
    # eventsourcing's JSONTranscoder stores a UUID, Decimal or datetime as {"_type_": name, "_data_": text}; they go
    # straight to the strings canonical() would make of the decoded objects (str(UUID), str(Decimal), ISO time in
    # UTC), without building the objects first. Building them and turning them back into strings had taken a
    # quarter of the export's time.
    if len(d) == 2 and "_type_" in d and "_data_" in d:
        kind, text = d["_type_"], d["_data_"]
        if isinstance(text, str):
            if kind == "datetime_iso":
                return text if text.endswith("+00:00") else _to_json(datetime.fromisoformat(text))
            if kind == "uuid_hex":
                return _dashed(text)
            if kind == "decimal_str":
                return str(Decimal(text))
        raise _CustomType(kind)
    return d


class _NotPlain(Exception):
    """A float or an integer past 2**53 in a stored event: canonical() must look at it (RFC 8785 numbers)."""


def _no_float(text: str) -> float:
    raise _NotPlain


def _short_int(text: str) -> int:
    if len(text) > 15:  # 2**53 has 16 digits; a scan of the text for long digit runs had cost more than this
        raise _NotPlain
    return int(text)


_DECODER = json.JSONDecoder(object_hook=_plain)
_PLAIN_DECODER = json.JSONDecoder(object_hook=_plain, parse_float=_no_float, parse_int=_short_int)


class EventReader:
    """A service's stored events in notification-log order, as export records: its contract names each type."""

    BOOKKEEPING = ("originator_id", "originator_version", "originator_topic")

    def __init__(self, app: CrmApplication):
        self.app = app
        self.mapper = app.mapper
        self.contract = app.contract
        # A connection of this process's own to the SQLite file, when the recorder's pool must not be used (in a
        # worker forked by shared.audit.parallel: the parent's connections are not the child's to use).
        self.connection: sqlite3.Connection | None = None

    def sqlite_file(self) -> str | None:
        """The SQLite database the recorder reads (a name for sqlite3.connect(..., uri=True)), or None: another
        store, or one in memory, which only this process can read."""
        recorder = self.app.recorder
        if not isinstance(recorder, SQLiteApplicationRecorder):
            return None
        pool = recorder.datastore.pool
        return None if pool.is_sqlite_memory_mode else str(pool.db_name)

    def open_connection(self) -> None:
        """Read through a connection of this process's own (read-only), not the recorder's pool."""
        name = self.sqlite_file()
        if name is None:
            raise ValueError("only a SQLite file can be read through a connection of its own")
        self.connection = sqlite3.connect(name, uri=True, check_same_thread=False)
        self.connection.execute("PRAGMA query_only=1")

    def _state(self, n: Notification | StoredRow) -> bytes:
        return self._unsealed(n.state)

    def _unsealed(self, state: bytes) -> bytes:
        if self.mapper.cipher:
            state = self.mapper.cipher.decrypt(state)
        if self.mapper.compressor:
            state = self.mapper.compressor.decompress(state)
        return state

    def record(self, n: Notification | StoredRow) -> dict[str, Any]:
        state = self._state(n).decode()
        plain = True
        try:
            try:
                data = _PLAIN_DECODER.decode(state)
            except _NotPlain:
                plain = False
                data = _DECODER.decode(state)
        except _CustomType:
            return self.record_through_transcoder(n)
        timestamp = data.pop("timestamp", None)
        data.pop("originator_id", None)
        data.pop("originator_version", None)
        data.pop("originator_topic", None)
        record = {
            "position": n.id,
            "aggregate_id": str(n.originator_id),
            "version": n.originator_version,
            "type": self.contract.wire_type(n.topic),
            "time": str(timestamp),
            "data": data,
        }
        return Plain(record) if plain else record

    def record_through_transcoder(self, n: Notification | StoredRow) -> dict[str, Any]:
        """The same record, decoded by the application's own transcoder (any type it has a transcoding for)."""
        data = self.mapper.transcoder.decode(self._state(n))
        timestamp = data.pop("timestamp", None)
        for key in self.BOOKKEEPING:
            data.pop(key, None)
        return event_record(
            position=n.id,
            aggregate_id=str(n.originator_id),
            version=n.originator_version,
            wire_type=self.contract.wire_type(n.topic),
            time=_to_json(timestamp) if isinstance(timestamp, datetime) else str(timestamp),
            data=json.loads(canonical(data)),
        )

    def notifications(self, start: int = 1, stop: int | None = None) -> Iterator[Notification | StoredRow]:
        for batch in self.stored_rows(start, stop):
            yield from (StoredRow(*row) for row in batch)

    def stored_rows(self, start: int, stop: int | None) -> Iterator[list[tuple[int, str, int, str, bytes]]]:
        """Batches of (position, aggregate id as str(UUID) gives it, version, topic, stored state)."""
        recorder = self.app.recorder
        if isinstance(recorder, SQLiteApplicationRecorder):
            yield from self._sqlite_rows(recorder, start, stop)
            return
        position = start
        while True:
            batch = recorder.select_notifications(position, BATCH, stop=stop)
            yield [(n.id, str(n.originator_id), n.originator_version, n.topic, n.state) for n in batch]
            if len(batch) < BATCH:
                return
            position = batch[-1].id + 1

    def _sqlite_rows(
        self, recorder: SQLiteApplicationRecorder, start: int, stop: int | None
    ) -> Iterator[list[tuple[int, str, int, str, bytes]]]:
        # The recorder's own query, without its Notification objects and UUID conversions: on SQLite those took a
        # quarter of the export's CPU. The row is the same (rowid is the notification id); ids are stored as text.
        statement = (
            "SELECT rowid, originator_id, originator_version, topic, state "
            f"FROM {recorder.events_table_name} WHERE rowid>=? AND rowid<=? ORDER BY rowid LIMIT ?"
        )
        position, last = start, stop if stop is not None else 2**63 - 1
        uuids = recorder.datastore.originator_id_type == "uuid"
        own = self.connection
        while True:
            if own is not None:
                found = own.execute(statement, (position, last, BATCH)).fetchall()
            else:
                with recorder.datastore.transaction(commit=False) as c:
                    c.execute(statement, (position, last, BATCH))
                    found = [tuple(r) for r in c.fetchall()]  # the pool's connections give sqlite3.Row
            if uuids:
                found = [(r[0], _dashed(r[1]), r[2], r[3], r[4]) for r in found]
            yield found
            if len(found) < BATCH:
                return
            position = found[-1][0] + 1

    def encoded(
        self, start: datetime | None = None, end: datetime | None = None, *, first: int = 1, last: int | None = None
    ) -> Iterator[tuple[int, bytes]]:
        """(position, canonical JSON of its record) of the events `records` yields, the same bytes canonical()
        gives for each record; most go the fast way (fast.py), the others through record() and canonical()."""
        wire_types: dict[str, str] = {}
        stored_plain = not self.mapper.cipher and not self.mapper.compressor
        in_period = start is None and end is None
        wire_type_of = self.contract.wire_type
        for rows in self.stored_rows(first, last):
            for position, aggregate_id, version, topic, state in rows:
                wire_type = wire_types.get(topic)
                if wire_type is None:
                    wire_type = wire_types[topic] = wire_type_of(topic)
                fast = encode_record(
                    state if stored_plain else self._unsealed(state), position, aggregate_id, version, wire_type
                )
                if fast is None:
                    record = self.record(StoredRow(position, aggregate_id, version, topic, state))
                    event, time = canonical(record), record["time"]
                else:
                    event, time = fast
                if not in_period:
                    when = datetime.fromisoformat(time)
                    if (start is not None and when < start) or (end is not None and when >= end):
                        continue
                yield position, event

    def records(
        self, start: datetime | None = None, end: datetime | None = None, *, first: int = 1, last: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Events recorded in [start, end) (any time when None), between positions `first` and `last`."""
        for n in self.notifications(first, last):
            record = self.record(n)
            if start is not None or end is not None:
                when = datetime.fromisoformat(record["time"])
                if (start is not None and when < start) or (end is not None and when >= end):
                    continue
            yield record


def write_manifest(
    out: Path,
    files: list[FileSummary],
    key: Any,
    *,
    period: dict[str, str | None],
    previous_signature: str | None,
    created_at: datetime,
) -> str:
    """manifest.json (canonical JSON), its Ed25519 signature in manifest.sig and the public key; returns the
    signature, which the next export's manifest names so that exports form a chain."""
    manifest = {
        "format": FORMAT,
        "created_at": created_at.astimezone(UTC).isoformat(),
        "period": period,
        "files": [asdict(f) for f in files],
        "previous_signature": previous_signature,
        "public_key_sha256": fingerprint(key.public_key()),
    }
    body = canonical(manifest)
    signature = sign(key, body)
    (out / MANIFEST).write_bytes(body)
    (out / SIGNATURE).write_text(signature + "\n")
    (out / PUBLIC_KEY).write_bytes(public_pem(key.public_key()))
    return signature
