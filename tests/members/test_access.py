"""Who may read and change what in the member database: the pure rules of services/members/access.py, and the
phone lookup that gave the telephone system whole member records."""

from __future__ import annotations

from services.members import access
from shared.auth import Principal, Role
from tests.members.test_api import app, members  # noqa: F401 - fixtures

RECORD = {
    "id": "6f1c2b1e-0000-5000-8000-000000000001",
    "membership_number": "1001",
    "name": "شرکت فرش دستباف اصفهان",
    "email": "info@example.ir",
    "address": "اصفهان، خیابان چهارباغ",
    "contacts": [{"name": "علی رضایی", "role": None, "phones": []}],
}


def test_the_telephone_system_learns_only_who_the_member_is() -> None:
    view = access.lookup_view(Principal("pbx", Role.TELEPHONY), RECORD)
    assert view == {"id": RECORD["id"], "membership_number": "1001", "name": RECORD["name"]}


def test_staff_read_the_whole_record_through_the_lookup() -> None:
    for role in (Role.EXPERT, Role.UNIT_MANAGER, Role.MR_MANAGER, Role.SG, Role.AUDITOR, Role.ADMIN):
        assert access.lookup_view(Principal("x", role), RECORD) == RECORD


def test_the_phone_lookup_gives_the_telephone_system_no_contact_details(client, tokens, members) -> None:  # noqa: F811
    routed = client.get("/lookup/phone/09131234567", headers=tokens["telephony"])
    assert routed.status_code == 200, routed.text
    assert set(routed.json()) == {"id", "membership_number", "name"}
    assert routed.json()["membership_number"] == "1001"
    full = client.get("/lookup/phone/09131234567", headers=tokens["expert"]).json()
    assert full["id"] == routed.json()["id"]
    assert {"contacts", "email", "address", "products"} <= set(full)
