"""Complaints stored before the domain became a package stay readable: the store names each event by its topic
(`module:Class.Event`), and those topics must not change when code moves between modules."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from eventsourcing.application import Application

from services.complaints.domain import Complaint, State

T0 = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
OLD_MODULE = "services.complaints.domain"


def acknowledged_complaint() -> Complaint:
    complaint = Complaint.receive(
        channel="in_person", kind="complaint", description="the card is late", at=T0, by="z.rahimi", unit="membership"
    )
    complaint.acknowledge(by="z.rahimi", method="in person", note=None, at=T0)
    return complaint


def test_new_events_are_stored_under_the_topics_complaints_always_had() -> None:
    app = Application()
    complaint = acknowledged_complaint()
    app.save(complaint)
    topics = [n.topic for n in app.recorder.select_notifications(0, 10)]
    assert topics == [f"{OLD_MODULE}:Complaint.Received", f"{OLD_MODULE}:Complaint.Acknowledged"]


def test_a_complaint_stored_under_the_old_topics_is_read_back() -> None:
    app = Application()
    complaint = acknowledged_complaint()
    # Written as the single-module domain wrote them, whatever the classes' topics are today.
    stored = [
        dataclasses.replace(app.mapper.to_stored_event(e), topic=f"{OLD_MODULE}:Complaint.{type(e).__name__}")
        for e in complaint.collect_events()
    ]
    app.recorder.insert_events(stored)

    loaded = app.repository.get(complaint.id)

    assert isinstance(loaded, Complaint)
    assert loaded.state == State.ACKNOWLEDGED
    assert loaded.reference == complaint.reference
    assert loaded.version == 2
