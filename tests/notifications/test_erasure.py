"""The notifier acts on the erasure events: the erased person's name reads [erased], their addresses are forgotten,
the messages to them not yet sent are cancelled, and the counts of messages stay."""

from __future__ import annotations

import uuid

import pytest

from services.notifications.application import Notifier
from shared.privacy import ERASED
from shared.privacy_subjects import member_subject
from tests.notifications.helpers import complaint_received, event
from tests.notifications.test_desk_messages import announcement, reminder, reminders_due
from tests.notifications.test_rules import channels  # noqa: F401 - the fixture

AT = "2026-11-21T07:10:00+00:00"


@pytest.fixture
def notifier(settings, clock, channels) -> Notifier:  # noqa: F811
    return Notifier(
        organisation=settings.organisation, calendar=settings.business_calendar, clock=clock, channels=channels
    )


def _acknowledged(complaint: str):
    return event(
        "crm.complaints.complaint.acknowledged.v1",
        {"by": "z.rahimi", "method": "email", "note": None, "at": AT},
        complaint,
        2,
    )


def test_an_erased_complainants_pending_messages_are_cancelled_and_the_sent_ones_kept(notifier, channels, clock):  # noqa: F811
    erased, kept = str(uuid.uuid4()), str(uuid.uuid4())
    notifier.take([complaint_received(erased), _acknowledged(erased)])
    notifier.dispatch(clock())  # the acknowledgement went out before the erasure
    other = complaint_received(kept)
    other.data["reference"] = "C-1405-0008"
    notifier.take([other, _acknowledged(kept)])
    closed = event(
        "crm.complaints.complaint.closed.v1", {"outcome": "accepted", "note": None, "by": "sg", "at": AT}, erased, 9
    )
    assert notifier.take([closed]) == 1  # asked for, not sent yet
    before = notifier.search()[1]

    notifier.take(
        [
            event(
                "crm.complaints.complaint.complainant_erased.v1",
                {"reason": "request", "by": "ops", "at": AT},
                erased,
                10,
            )
        ]
    )
    counts = notifier.counts()
    assert sum(counts.values()) == before and counts.get("cancelled") == 1
    mine, _ = notifier.search(recipient="C-1405-0007")
    assert {m["status"] for m in mine} == {"delivered", "cancelled"}
    assert {m["address"] for m in mine} == {ERASED}
    reference, contact = notifier.known.complainant(erased)
    assert (reference, contact.name, contact.email, contact.phone) == ("C-1405-0007", ERASED, None, None)
    assert notifier.known.complainant(kept)[1].email == "member@example.org"
    sent = len(channels["email"].sent)
    notifier.dispatch(clock())
    assert len(channels["email"].sent) == sent + 1  # only the other complainant's acknowledgement


def test_an_erased_member_is_forgotten_by_the_notifier(notifier):
    member = str(uuid.uuid4())
    registered = {
        "membership_number": "11-2233",
        "name": "Anka Ltd",
        "email": "anka@example.org",
        "preferred_language": "tr",
        "contacts": [{"phones": [{"e164": "+905321112233"}]}],
        "status": "active",
    }
    notifier.take([event("crm.members.member.registered.v1", registered, member)])
    assert notifier.known.member(member_id=member).email == "anka@example.org"
    notifier.take([event("crm.members.member.erased.v1", {"reason": "request", "by": "ops", "at": AT}, member, 2)])
    contact = notifier.known.member(member_id=member)
    assert (contact.name, contact.email, contact.phone, contact.language) == (ERASED, None, None, "tr")
    assert notifier.known.member(membership_number="11-2233") is not None  # the member is still known, by number


def test_an_announcement_read_after_the_members_erasure_messages_only_those_not_erased(notifier):
    """The desks topic lags: the announcement was published before the member's erasure, read after it."""
    erased_member = member_subject("11-2233")
    registered = {"membership_number": "11-2233", "name": "Anka Ltd", "contacts": [], "status": "active"}
    notifier.take([event("crm.members.member.registered.v1", registered, erased_member)])
    notifier.take(
        [event("crm.members.member.erased.v1", {"reason": "request", "by": "ops", "at": AT}, erased_member, 2)]
    )

    desk = str(uuid.uuid4())
    late = announcement(
        desk,
        [
            {"member_id": "11-2233", "name": "Anka Ltd", "phone": "+905321112233", "language": "tr"},
            {"member_id": "11-4455", "name": "Pars Textiles", "phone": "+989121111111", "language": "fa"},
        ],
    )
    assert notifier.take([late]) == 1
    mine, _ = notifier.search(recipient="11-2233")
    assert mine == []  # nothing asked for the erased member: no copy of the name or number
    assert [m["recipient"] for m in notifier.search()[0]] == ["11-4455"]

    # A form's registrant erased by the desks (their own event), then a reminder read late for the same form.
    notifier.take(
        [
            event(
                "crm.desks.registrant.erased.v1",
                {"desk_id": desk, "number": "3", "subject": "x", "reason": "request", "by": "ops", "at": AT},
            )
        ]
    )
    assert notifier.take([reminders_due(desk, [reminder("3"), reminder("4")])]) == 1
    assert [m["recipient"] for m in notifier.search(kind="desk_reminder")[0]] == ["4"]


def test_a_sessions_invitees_are_kept_by_membership_number_only(notifier):
    session = str(uuid.uuid4())
    invitees = [{"member_id": "11-2233", "name": "Anka Ltd", "company": "Anka", "phone": "+905321112233"}]
    notifier.take([event("crm.desks.session.invitees_selected.v1", {"invitees": invitees}, session)])
    assert notifier.known.label(session) == {"invitees": [{"member_id": "11-2233"}]}
