"""The shared `as_of`: a moment read the same way by every service, refused when unreadable or to come, and an
aggregate replayed from its events up to a moment (dated by the step's `at`, else by when it was stored)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import ClassVar

import pytest
from eventsourcing.domain import Aggregate, event

from shared.as_of import aggregate_as_of, as_of_moment
from shared.contracts import EventContract
from shared.errors import InvalidInput
from shared.eventstore import CrmApplication
from shared.settings import Settings

T0 = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)


class Ticket(Aggregate):
    @event("Opened")
    def __init__(self, subject: str, at: datetime):
        self.subject = subject

    @event("Renamed")
    def rename(self, subject: str, at: datetime) -> None:
        self.subject = subject


class Office(CrmApplication):
    service: ClassVar[str] = "desks"
    contract: ClassVar[EventContract] = EventContract(
        "desks",
        {
            "crm.desks.ticket.opened.v1": f"{__name__}:Ticket.Opened",
            "crm.desks.ticket.renamed.v1": f"{__name__}:Ticket.Renamed",
        },
    )


def test_an_aggregate_as_of_a_moment_has_the_steps_taken_by_then_and_none_before_it_existed() -> None:
    office = Office()
    ticket = Ticket("printer", at=T0)
    ticket.rename("printer on floor 2", at=T0 + timedelta(hours=1))
    ticket.rename("scanner", at=T0 + timedelta(hours=2))
    office.save(ticket)
    assert aggregate_as_of(office, ticket.id, T0 - timedelta(seconds=1)) is None
    assert aggregate_as_of(office, ticket.id, T0).subject == "printer"
    then = aggregate_as_of(office, ticket.id, T0 + timedelta(hours=1, minutes=59))
    assert (then.subject, then.version) == ("printer on floor 2", 2)
    assert aggregate_as_of(office, ticket.id, T0 + timedelta(days=1)).subject == "scanner"


def test_the_moment_of_as_of_is_the_chambers_reading_and_a_moment_to_come_or_unreadable_is_422() -> None:
    calendar = Settings().business_calendar  # Iran: Asia/Tehran
    now = T0
    assert as_of_moment(None, calendar, now) is None
    assert as_of_moment("2026-11-24T10:00", calendar, now) == datetime(2026, 11, 24, 6, 30, tzinfo=UTC)
    assert as_of_moment("1405/09/02", calendar, now) == datetime(2026, 11, 23, 20, 29, 59, 999999, tzinfo=UTC)
    for text, says in (("2026-11-24T10:31", "still to come"), ("1405/09/03", "still to come"), ("soon", "as_of")):
        with pytest.raises(InvalidInput, match=says):
            as_of_moment(text, calendar, now)
