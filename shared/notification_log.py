"""A service's notification log read as plain rows, for the relay (which reads every stored event once).

eventsourcing's `select_notifications` gives a `Notification` per event whose originator id is a UUID object, made
from the stored text; the relay only turns it back into text for the envelope. On SQLite that round trip and the
named rows had been about a tenth of the relay's CPU, so there the log is read by the very same query (`rowid >
start`, the same topic filter, `ORDER BY rowid LIMIT`) into plain tuples. Other stores go through
`select_notifications` itself. tests/shared/test_notification_log.py compares both readers over a log with gaps.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.sqlite import SQLiteApplicationRecorder

# position in the log, originator id as `str()` of the aggregate's id, originator version, topic, stored state
Row = tuple[int, str, int, str, bytes]
Reader = Callable[[int, int], list[Row]]

# How eventsourcing's SQLite recorder stores a UUID originator id: `UUID.hex`, 32 lowercase hex digits.
_HEX = re.compile(r"[0-9a-f]{32}")


def id_text(stored: str) -> str:
    """`str(UUID(stored))`: sliced from the stored hex when it is the recorder's own form, else through UUID."""
    if len(stored) == 32 and _HEX.fullmatch(stored):
        return f"{stored[:8]}-{stored[8:12]}-{stored[12:16]}-{stored[16:20]}-{stored[20:]}"
    return str(uuid.UUID(stored))


def rows_of(notifications: Sequence[Any]) -> list[Row]:
    """Notifications as rows (any store)."""
    return [(n.id, str(n.originator_id), n.originator_version, n.topic, n.state) for n in notifications]


def notification_reader(recorder: Any, topics: Sequence[str] = ()) -> Reader:
    """`read(start, limit)`: the rows of the notifications after position `start`, at most `limit`, in log order:
    what `recorder.select_notifications(start, limit, topics=topics, inclusive_of_start=False)` gives, as rows."""
    if type(recorder).select_notifications is SQLiteApplicationRecorder.select_notifications:
        return _sqlite_reader(recorder, topics)

    def read(start: int, limit: int) -> list[Row]:
        return rows_of(recorder.select_notifications(start, limit, topics=topics, inclusive_of_start=False))

    return read


def _sqlite_reader(recorder: SQLiteApplicationRecorder, topics: Sequence[str]) -> Reader:
    datastore = recorder.datastore
    statement = (
        f"SELECT rowid, originator_id, originator_version, topic, state FROM {recorder.events_table_name} "
        "WHERE rowid>? "
    )
    if topics:
        statement += f"AND topic IN ({','.join('?' * len(topics))}) "
    statement += "ORDER BY rowid LIMIT ?"
    as_uuid = datastore.originator_id_type == "uuid"
    topic_params = list(topics)

    def read(start: int, limit: int) -> list[Row]:
        with datastore.transaction(commit=False) as c:
            cursor = c.sqlite_cursor
            cursor.row_factory = None  # tuples, not sqlite3.Row
            cursor.execute(statement, [start, *topic_params, limit])
            rows = cursor.fetchall()
        if not as_uuid:
            return rows
        texts: dict[str, str] = {}  # an aggregate's events tend to come together
        out = []
        for position, stored, version, topic, state in rows:
            text = texts.get(stored)
            if text is None:
                text = texts[stored] = id_text(stored)
            out.append((position, text, version, topic, state))
        return out

    return read
