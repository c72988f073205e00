"""What every service's application inherits: a stale save refused as a conflict, and the history of an aggregate
as consumers see it."""

from __future__ import annotations

from typing import ClassVar

import pytest
from eventsourcing.domain import Aggregate, event

from shared.contracts import EventContract
from shared.eventstore import CrmApplication
from shared.problems import DomainError


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
