"""What every service's application inherits: a stale save refused as a conflict, and the history of an aggregate
as consumers see it."""

from __future__ import annotations

import uuid
from typing import ClassVar

import pytest
from eventsourcing.domain import Aggregate, event

from shared.contracts import EventContract
from shared.eventstore import CrmApplication
from shared.problems import DomainError, NotFound


class Ticket(Aggregate):
    @event("Opened")
    def __init__(self, subject: str):
        self.subject = subject

    @event("Renamed")
    def rename(self, subject: str) -> None:
        self.subject = subject


class Desk(CrmApplication):
    service: ClassVar[str] = "desks"
    # The wire types are declared, not derived: these deliberately differ from the class names.
    contract: ClassVar[EventContract] = EventContract(
        "desks",
        {
            "crm.desks.request.opened.v1": f"{__name__}:Ticket.Opened",
            "crm.desks.request.retitled.v1": f"{__name__}:Ticket.Renamed",
        },
    )


def test_a_save_over_a_newer_version_is_a_conflict_and_keeps_what_was_stored() -> None:
    desk = Desk()
    ticket = Ticket("printer")
    desk.save(ticket)
    first, second = desk.repository.get(ticket.id), desk.repository.get(ticket.id)
    first.rename("printer on floor 2")
    desk.save_or_conflict(first, what="the ticket")
    second.rename("scanner")

    with pytest.raises(DomainError, match="the ticket changed meanwhile; reload it and try again") as refused:
        desk.save_or_conflict(second, what="the ticket")

    assert refused.value.status == 409
    assert desk.repository.get(ticket.id).subject == "printer on floor 2"


def test_the_history_lists_every_event_oldest_first_with_its_versioned_type_and_data() -> None:
    desk = Desk()
    ticket = Ticket("printer")
    ticket.rename("scanner")
    desk.save(ticket)

    history = desk.event_history(ticket.id)

    assert [(h["type"], h["version"], h["data"]) for h in history] == [
        ("crm.desks.request.opened.v1", 1, {"subject": "printer"}),
        ("crm.desks.request.retitled.v1", 2, {"subject": "scanner"}),
    ]
    assert all(h["recorded_at"].tzinfo is not None for h in history)


class Note(Aggregate):
    @event("Written")
    def __init__(self, text: str):
        self.text = text


class TicketNotFound(NotFound):
    pass


def test_an_aggregate_is_found_by_its_id_as_a_uuid_or_as_text() -> None:
    desk = Desk()
    ticket = Ticket("printer")
    desk.save(ticket)

    assert desk.find_aggregate(ticket.id, Ticket).subject == "printer"  # type: ignore[union-attr]
    assert desk.find_aggregate(str(ticket.id), Ticket).subject == "printer"  # type: ignore[union-attr]
    assert desk.get_aggregate(str(ticket.id), Ticket, TicketNotFound, "no ticket").id == ticket.id


@pytest.mark.parametrize("given", ["not-a-uuid", "", str(uuid.uuid4()), "the note"])
def test_a_bad_unknown_or_other_kind_of_id_finds_nothing_and_gets_a_404(given: str) -> None:
    desk = Desk()
    note = Note("not a ticket")
    desk.save(note)
    aggregate_id = str(note.id) if given == "the note" else given

    assert desk.find_aggregate(aggregate_id, Ticket) is None
    with pytest.raises(TicketNotFound, match=f"no ticket {aggregate_id}") as missing:
        desk.get_aggregate(aggregate_id, Ticket, TicketNotFound, f"no ticket {aggregate_id}")
    assert missing.value.status == 404


def test_saving_aggregates_stores_what_the_library_s_own_save_stores() -> None:
    """`CrmApplication.save` collects aggregates' events itself, skipping the library's protocol checks."""
    from eventsourcing.application import Application
    from eventsourcing.domain import DomainEventProtocol

    ours, theirs = Desk(), Desk()
    heard: list[int] = []
    ours.on_recorded(lambda: heard.append(1))
    tickets = [Ticket("printer"), Ticket("scanner")]
    tickets[0].rename("printer on floor 2")
    assert not any(isinstance(t, DomainEventProtocol) for t in tickets)  # so the library would collect them too
    copies = list(tickets)
    recordings = ours.save(*tickets)
    assert [(r.notification.originator_version, r.notification.topic) for r in recordings] == [
        (1, f"{__name__}:Ticket.Opened"),
        (2, f"{__name__}:Ticket.Renamed"),
        (1, f"{__name__}:Ticket.Opened"),
    ]
    assert heard == [1] and not tickets[0].pending_events
    again = [Ticket("printer"), Ticket("scanner")]
    again[0].rename("printer on floor 2")
    Application.save(theirs, *again)
    assert [ours.event_history(t.id)[-1]["data"] for t in copies] == [
        theirs.event_history(t.id)[-1]["data"] for t in again
    ]
    assert ours.repository.get(tickets[0].id).subject == "printer on floor 2"
