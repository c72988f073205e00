"""Answers by phone arriving together are saved in one transaction; when one of them is a member answered at the
same moment by another request, only that late answer is refused (409) and the others are stored."""

from __future__ import annotations

import threading
import time
from typing import Any

from services.surveys.application import SurveyOffice
from services.surveys.domain import contact_id
from shared.errors import DomainError
from tests.surveys.test_contacts import clock, running_project  # noqa: F401 - the fixture, and the survey
from tests.surveys.test_domain import Roster


def until(condition, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        threading.Event().wait(0.005)


def held_first_round(office: SurveyOffice) -> threading.Event:
    """The first transaction of contacts waits for the returned event: the requests that come meanwhile queue."""
    group = office._contact_saves
    store = group._run
    release = threading.Event()
    first = [True]

    def run(items: list[Any]) -> list[Any]:
        if first[0]:
            first[0] = False
            release.wait(10)
        return store(items)

    group._run = run
    return release


def test_answers_queued_behind_a_transaction_are_stored_together_and_a_member_answered_twice_is_refused_once(clock):  # noqa: F811
    office = SurveyOffice(roster=Roster([]), clock=clock)
    sid = running_project(office)
    release = held_first_round(office)
    outcome: dict[str, Any] = {}

    def answer(name: str, number: str, overall: int) -> None:
        try:
            outcome[name] = office.record_response(sid, number, answers={"overall": overall}, line="fixed")
        except DomainError as exc:
            outcome[name] = exc

    first = threading.Thread(target=answer, args=("first", "12-1", 5))
    first.start()
    until(lambda: office._contact_saves._leading, "the first answer to lead a transaction")
    # Both built while the first is not yet stored: the same member's contact again, and another member's.
    again = threading.Thread(target=answer, args=("again", "12-1", 1))
    other = threading.Thread(target=answer, args=("other", "12-2", 4))
    again.start()
    other.start()
    until(lambda: office._contact_saves.waiting() == 2, "two answers to queue behind it")
    rounds = office._contact_saves.rounds
    release.set()
    for t in (first, again, other):
        t.join(10)

    assert outcome["first"]["answers"] == {"overall": 5}
    assert outcome["other"]["answers"] == {"overall": 4}
    assert isinstance(outcome["again"], DomainError) and "changed meanwhile" in str(outcome["again"])
    # The two queued answers went into one transaction, which failed for the late one; each was then tried alone.
    assert office._contact_saves.rounds == rounds + 3
    assert office.contact(sid, "12-1")["answers"] == {"overall": 5}
    assert office.contact(sid, "12-2")["answers"] == {"overall": 4}
    stored = [e for n in ("12-1", "12-2") for e in office.repository.event_store.get(contact_id(sid, n))]
    assert sorted(type(e).__name__ for e in stored) == ["Opened", "Opened", "Responded", "Responded"]
