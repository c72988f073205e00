"""The end-of-day list mailed to a unit's manager names callers: it is sealed under a key of its own, and erasing a
caller or a member it names deletes that key, so the stored list (address, subject, body) reads [erased] in the
notifier's store, its index and its API; a list not naming them is untouched, and the counts of messages stay."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from services.notifications.application import Notifier
from services.notifications.domain import message_id, message_person
from services.notifications.listed import message_subjects
from services.notifications.main import create_app
from shared.envelope import CloudEvent
from shared.privacy import ERASED, is_sealed
from shared.privacy_subjects import member_subject
from tests.notifications.helpers import Recorder, end_of_day, event
from tests.notifications.test_rules import channels  # noqa: F401 - the fixture
from tests.notifications.test_sealed_messages import _stored

AT = "2026-11-21T12:40:00+00:00"
MEMBER_NUMBER = "11-2233"


@pytest.fixture
def notifier(settings, clock, channels) -> Notifier:  # noqa: F811
    return Notifier(
        organisation=settings.organisation, calendar=settings.business_calendar, clock=clock, channels=channels
    )


def listing(unit: str, manager: str, callers: list[tuple[str, str | None]]) -> CloudEvent:
    """An end-of-day list whose entries are these (number, membership number or None) callers."""
    e = end_of_day(unit, manager, n=len(callers))
    for item, (number, member) in zip(e.data["items"], callers, strict=True):
        item.update(caller=number, contact_phone=number, contact_name=f"Name of {number}", member_id=member)
    return e


def list_key(e: CloudEvent) -> str:
    return f"{e.id}:end_of_day_list:{e.data['manager']}"


def caller_erased(notifier: Notifier, number: str) -> CloudEvent:
    data = {"subject": notifier.listed.callers.subject(number), "reason": "request", "by": "ops", "at": AT}
    return event("crm.calls.caller.erased.v1", data)


def member_erased(number: str) -> CloudEvent:
    data = {"reason": "request", "by": "ops", "at": AT}
    return event("crm.members.member.erased.v1", data, member_subject(number), 5)


def stored_names(notifier: Notifier, e: CloudEvent) -> set[str]:
    t = message_subjects.c
    with notifier.engine.connect() as conn:
        q = sa.select(t.subject).where(t.message_id == str(message_id(list_key(e))))
        return set(conn.execute(q).scalars())


def test_the_list_is_sealed_under_its_own_key_and_only_subject_names_are_kept(notifier):
    e = listing("trade", "f.alavi", [("+989131234560", None), ("+989121110000", MEMBER_NUMBER)])
    assert notifier.take([e]) == 1
    mid = message_id(list_key(e))
    stored = _stored(notifier, mid)
    for name in ("address", "subject", "body"):
        assert is_sealed(stored[name]) and stored[name]["of"] == message_person(list_key(e))
    assert "+989131234560" not in str(stored) and "Name of" not in str(stored)
    assert "Name of +989131234560" in notifier.detail(mid)["body"]
    names = stored_names(notifier, e)
    assert notifier.listed.callers.subject("+989131234560") in names
    assert member_subject(MEMBER_NUMBER) in names
    assert not any("+98" in n for n in names)  # names, never numbers
    assert notifier.take([e]) == 0 and stored_names(notifier, e) == names  # a replay changes nothing


def _body(notifier: Notifier, e: CloudEvent) -> str:
    return str(notifier.detail(message_id(list_key(e)))["body"])


def _row(notifier: Notifier, e: CloudEvent) -> dict[str, Any]:
    rows, _ = notifier.search(recipient=e.data["manager"], limit=1000)
    return next(r for r in rows if r["id"] == str(message_id(list_key(e))))


def test_a_callers_erasure_erases_the_lists_naming_them_and_leaves_the_others(notifier, channels, clock):  # noqa: F811
    sent = listing("trade", "f.alavi", [("+989131234560", None), ("+989131234561", None)])
    notifier.take([sent])
    notifier.dispatch(clock())  # this one went out before the erasure
    pending = listing("legal", "d.kazemi", [("+989131234560", None)])
    other = listing("trade", "d.kazemi", [("+989135550000", None)])
    other.data["day"] = "2026-11-20"
    notifier.take([pending, other])
    before = notifier.search()[1]

    notifier.take([caller_erased(notifier, "+989131234560")])

    for e in (sent, pending):
        assert _body(notifier, e) == ERASED
        row = _row(notifier, e)
        assert row["address"] == ERASED and row["subject"] == ERASED
    assert _row(notifier, sent)["status"] == "delivered"
    assert _row(notifier, pending)["status"] == "cancelled"
    assert "Name of +989135550000" in _body(notifier, other) and _row(notifier, other)["status"] == "queued"
    assert notifier.search()[1] == before == 3  # the counts of messages stay
    already = len(channels["email"].sent)
    notifier.dispatch(clock())
    assert len(channels["email"].sent) == already + 1  # only the list not naming the caller


def test_a_members_erasure_erases_the_lists_naming_the_member(notifier):
    theirs = listing("trade", "f.alavi", [("+989121110000", MEMBER_NUMBER), ("+989131234561", None)])
    other = listing("legal", "d.kazemi", [("+989121110000", None)])  # the number, not the member
    notifier.take([theirs, other])

    notifier.take([member_erased(MEMBER_NUMBER)])

    assert _body(notifier, theirs) == ERASED and _row(notifier, theirs)["status"] == "cancelled"
    assert "Name of +989121110000" in _body(notifier, other)
    notifier.take([caller_erased(notifier, "+989131234561")])  # another caller on the list erased it already
    assert _body(notifier, theirs) == ERASED and notifier.search()[1] == 2


def test_a_list_read_after_the_erasure_of_a_caller_it_names_is_erased_at_once(notifier):
    notifier.take([caller_erased(notifier, "+989131234560")])
    late = listing("trade", "f.alavi", [("+989131234560", None)])
    notifier.take([late])
    assert _body(notifier, late) == ERASED and _row(notifier, late)["status"] == "cancelled"


@pytest.fixture
def app(settings, clock) -> FastAPI:
    return create_app(settings, clock=clock, relay=False, channels={"email": Recorder()})


def test_the_api_shows_the_erased_list_as_erased_and_the_other_as_it_was(client, tokens):
    notifier: Notifier = client.app.state.notifier
    theirs = listing("trade", "f.alavi", [("+989131234560", None)])
    other = listing("legal", "d.kazemi", [("+989135550000", None)])
    notifier.take([theirs, other])
    notifier.take([caller_erased(notifier, "+989131234560")])
    one = client.get(f"/notifications/{message_id(list_key(theirs))}", headers=tokens["admin"]).json()
    assert (one["body"], one["subject"], one["address"]) == (ERASED, ERASED, ERASED)
    kept = client.get(f"/notifications/{message_id(list_key(other))}", headers=tokens["admin"]).json()
    assert "Name of +989135550000" in kept["body"]
    listed = client.get("/notifications", headers=tokens["sg"]).json()
    assert listed["total"] == 2
    assert {m["subject"] == ERASED for m in listed["items"]} == {True, False}
    assert uuid.UUID(one["id"]) == message_id(list_key(theirs))
