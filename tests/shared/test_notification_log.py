"""The relay's reader of a notification log: what eventsourcing's `select_notifications` gives, as plain rows."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from hypothesis import given
from hypothesis import strategies as st

from shared.notification_log import id_text, notification_reader, rows_of


class Note(Aggregate):
    @event("Written")
    def __init__(self, text: str):
        self.text = text

    @event("Amended")
    def amend(self, text: str) -> None:
        self.text = text


class Notebook(Application):
    pass


def notebook(tmp_path: Path, id_type: str = "uuid") -> Notebook:
    return Notebook(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(tmp_path / "notes.db"),
            "ORIGINATOR_ID_TYPE": id_type,
        }
    )


def with_gaps(book: Notebook, path: Path) -> list[int]:
    """Twenty notes of three events each, then some rows deleted (the first, the last but one, a run in the
    middle): positions with holes, as a store whose writers rolled back may hold. Returns the positions left."""
    for i in range(20):
        note = Note(f"note {i}")
        note.amend(f"note {i}, again")
        note.amend(f"note {i}, and again")
        book.save(note)
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM stored_events WHERE rowid IN (1, 17, 18, 19, 20, 33, 59)")
    return [n.id for n in book.recorder.select_notifications(0, 1000)]


@pytest.mark.parametrize("limit", [1, 2, 7, 1000])
def test_the_sqlite_reader_gives_what_select_notifications_gives_over_a_log_with_gaps(
    tmp_path: Path, limit: int
) -> None:
    book = notebook(tmp_path)
    positions = with_gaps(book, tmp_path / "notes.db")
    assert len(positions) == 53 and positions[0] == 2 and 17 not in positions
    read = notification_reader(book.recorder)
    assert read.__qualname__.startswith("_sqlite_reader")  # the store's own query, not the library's
    for start in range(62):
        expected = rows_of(book.recorder.select_notifications(start, limit, inclusive_of_start=False))
        assert read(start, limit) == expected
        assert all(type(row[1]) is str for row in expected)


def test_the_sqlite_reader_filters_by_topic_as_select_notifications_does(tmp_path: Path) -> None:
    book = notebook(tmp_path)
    with_gaps(book, tmp_path / "notes.db")
    amended = [n.topic for n in book.recorder.select_notifications(0, 1000) if n.topic.endswith("Amended")][0]
    read = notification_reader(book.recorder, topics=[amended])
    for start in (0, 5, 18, 40, 61):
        expected = rows_of(book.recorder.select_notifications(start, 4, topics=[amended], inclusive_of_start=False))
        assert read(start, 4) == expected
        assert all(row[3] == amended for row in expected)
    assert len(read(0, 1000)) == 40 - 5  # five of the rows deleted were amendments


def test_text_originator_ids_are_read_as_the_stored_text(tmp_path: Path) -> None:
    book = notebook(tmp_path, id_type="text")
    note = Note("plain")
    book.save(note)
    rows = notification_reader(book.recorder)(0, 10)
    assert rows == rows_of(book.recorder.select_notifications(0, 10))
    assert rows[0][1] == note.id.hex  # stored as hex, given back as the stored text, as the library does


def test_a_store_of_another_kind_is_read_through_select_notifications() -> None:
    book = Notebook()  # in memory
    note = Note("kept")
    note.amend("kept, amended")
    book.save(note)
    rows = notification_reader(book.recorder)(0, 10)
    assert [(r[0], r[1], r[2]) for r in rows] == [(1, str(note.id), 1), (2, str(note.id), 2)]
    assert notification_reader(book.recorder)(1, 10) == rows[1:]


@given(st.uuids())
def test_an_id_stored_as_hex_or_otherwise_reads_as_the_uuids_text(value: uuid.UUID) -> None:
    assert id_text(value.hex) == str(value)
    assert id_text(value.hex.upper()) == str(value)
    assert id_text(str(value)) == str(value)
    assert id_text("{" + str(value) + "}") == str(value)
