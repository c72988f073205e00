"""A message to a member is stored with its address and body sealed under the member's key, so the member's erasure
makes them unreadable in the notifier's store; a message to someone who is not a member (staff) stays plain."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from services.notifications.application import Notifier
from services.notifications.contacts import Contact
from services.notifications.domain import message_id
from services.notifications.rules import Wanted
from shared.privacy import ERASED, is_sealed
from tests.helpers import as_stored
from tests.notifications.helpers import complaint_received, desk_planned, desk_registered, event
from tests.notifications.test_rules import channels  # noqa: F401 - the fixture

AT = "2026-11-21T07:10:00+00:00"
CONTEXT = {"trade_group": "carpet", "starts_at_local": "1405/09/05 10:00", "place": "hall 2", "topics": []}


@pytest.fixture
def notifier(settings, clock, channels) -> Notifier:  # noqa: F811
    return Notifier(
        organisation=settings.organisation, calendar=settings.business_calendar, clock=clock, channels=channels
    )


def _stored_request(notifier: Notifier, key: str) -> dict[str, Any]:
    return _stored(notifier, message_id(key))


def _stored(notifier: Notifier, mid: uuid.UUID) -> dict[str, Any]:
    """A message's Requested event as stored, before any opening."""
    return as_stored(notifier, mid, lte=1)[0]


def test_a_members_message_is_sealed_and_erased_with_the_member_and_staffs_stay_plain(notifier) -> None:
    member = str(uuid.uuid4())
    registered = {
        "membership_number": "11-2233",
        "name": "Anka Ltd",
        "email": "anka@example.org",
        "preferred_language": "en",
        "contacts": [],
        "status": "active",
    }
    source = event("crm.members.member.registered.v1", registered, member)
    notifier.take([source])
    to_member = Contact("Anka Ltd", "anka@example.org", None, "en")
    to_staff = Contact("Zahra Rahimi", "z.rahimi@example.org", None, "en")
    assert notifier.request(Wanted("m-1", "session_invitation", "11-2233", to_member, dict(CONTEXT)), source)
    assert notifier.request(Wanted("s-1", "session_invitation", "z.rahimi", to_staff, dict(CONTEXT)), source)
    form = {"number": "11-2233", "problem": None, "slot_start_local": "10:00", "place": "hall 2"}
    # A desk's form number that reads like a membership number is still not that member.
    assert notifier.request(Wanted("d-1", "desk_reminder", "11-2233", to_staff, form), source)

    sealed = _stored_request(notifier, "m-1")
    assert is_sealed(sealed["address"]) and is_sealed(sealed["body"]) and sealed["address"]["of"] == member
    assert is_sealed(sealed["subject"]) and sealed["subject"]["of"] == member  # an e-mail's subject line too
    assert "anka@example.org" not in str(sealed) and "Anka Ltd" not in str(sealed)
    plain = _stored_request(notifier, "s-1")
    assert plain["address"] == "z.rahimi@example.org" and "Zahra Rahimi" in plain["body"]
    assert _stored_request(notifier, "d-1")["address"] == "z.rahimi@example.org"
    mine = notifier.message(uuid.UUID(notifier.search(recipient="11-2233")[0][0]["id"]))
    assert (mine.address, "Anka Ltd" in mine.body) == ("anka@example.org", True)

    assert notifier.sealer is not None
    notifier.sealer.keys.delete(member)  # what the members service does first when it erases the member
    notifier.take([event("crm.members.member.erased.v1", {"reason": "request", "by": "ops", "at": AT}, member, 2)])
    listed, _ = notifier.search(recipient="11-2233")
    found = {m["kind"]: (m["status"], m["address"]) for m in listed}
    assert found == {"session_invitation": ("cancelled", ERASED), "desk_reminder": ("queued", "z.rahimi@example.org")}
    listed = [m for m in listed if m["kind"] == "session_invitation"]
    assert listed[0]["subject"] == ERASED  # in the index too
    erased = notifier.message(uuid.UUID(listed[0]["id"]))
    assert (erased.address, erased.subject, erased.body) == (ERASED, ERASED, ERASED)
    assert notifier.search(recipient="z.rahimi")[0][0]["address"] == "z.rahimi@example.org"


def _message_of(notifier: Notifier, recipient: str, kind: str) -> Any:
    [found] = [m for m in notifier.search(recipient=recipient)[0] if m["kind"] == kind]
    return notifier.message(uuid.UUID(found["id"]))


def test_a_complainants_messages_are_sealed_with_the_complaints_key_and_erased_with_the_complainant(notifier):
    complaint = str(uuid.uuid4())
    acknowledged = {"by": "z.rahimi", "method": "email", "note": None, "at": AT}
    notifier.take(
        [complaint_received(complaint), event("crm.complaints.complaint.acknowledged.v1", acknowledged, complaint, 2)]
    )
    [m] = notifier.search(recipient="C-1405-0007")[0]
    stored = _stored(notifier, uuid.UUID(m["id"]))
    assert all(is_sealed(stored[f]) and stored[f]["of"] == complaint for f in ("address", "subject", "body"))
    assert "member@example.org" not in str(stored) and "Reza Karimi" not in str(stored)
    opened = _message_of(notifier, "C-1405-0007", "complaint_acknowledged")
    assert opened.address == "member@example.org" and "C-1405-0007" in opened.subject

    assert notifier.sealer is not None
    notifier.sealer.keys.delete(complaint)  # what the complaints service does first when it erases the complainant
    erasure = {"reason": "request", "by": "ops", "at": AT}
    notifier.take([event("crm.complaints.complaint.complainant_erased.v1", erasure, complaint, 3)])
    erased = _message_of(notifier, "C-1405-0007", "complaint_acknowledged")
    assert (erased.address, erased.subject, erased.body, erased.status) == (ERASED, ERASED, ERASED, "cancelled")


def test_a_desk_registrants_messages_are_sealed_with_the_forms_key(notifier):
    from shared.privacy_subjects import registrant_subject

    desk = str(uuid.uuid4())
    notifier.take([desk_planned(desk), desk_registered(desk, "1", 2)])
    [m] = notifier.search(recipient="1")[0]
    stored = _stored(notifier, uuid.UUID(m["id"]))
    assert is_sealed(stored["address"]) and stored["address"]["of"] == registrant_subject(desk, "1")
    assert "+989121234567" not in str(stored) and "Sara Nouri" not in str(stored)
    assert _message_of(notifier, "1", "desk_registration").address == "+989121234567"
    assert notifier.sealer is not None
    notifier.sealer.keys.delete(registrant_subject(desk, "1"))
    assert _message_of(notifier, "1", "desk_registration").address == ERASED


def test_a_desk_registrants_erasure_cancels_their_pending_messages_and_leaves_other_forms(notifier):
    from shared.privacy_subjects import registrant_subject

    desk, other_desk = str(uuid.uuid4()), str(uuid.uuid4())
    notifier.take([desk_planned(desk), desk_registered(desk, "1", 2), desk_registered(desk, "2", 3)])
    notifier.take([desk_planned(other_desk), desk_registered(other_desk, "1", 2)])  # the same number elsewhere
    assert notifier.sealer is not None
    notifier.sealer.keys.delete(registrant_subject(desk, "1"))  # what the desks service does first
    erasure = {"desk_id": desk, "number": "1", "subject": registrant_subject(desk, "1"), "reason": "request"}
    notifier.take([event("crm.desks.registrant.erased.v1", {**erasure, "by": "ops", "at": AT})])

    listed = notifier.search(recipient="1")[0]
    found = sorted((m["status"], m["address"]) for m in listed)
    assert found == [("cancelled", ERASED), ("queued", "+989121234567")]
    assert [m["status"] for m in notifier.search(recipient="2")[0]] == ["queued"]
