"""The desks' book of members acts on a member's erasure: the name reads [erased] and the mobile number is
forgotten, while the member stays in the selections they were taken into (the recipients' count is unchanged)."""

from __future__ import annotations

import uuid

from services.desks.members import MemberBook
from shared.db import create_engine
from shared.envelope import CloudEvent
from shared.privacy import ERASED

MEMBER = str(uuid.uuid4())
AT = "2026-11-21T07:00:00+00:00"


def _event(type_: str, data: dict, subject: str = MEMBER, sequence: int = 1) -> CloudEvent:
    return CloudEvent(
        id=f"{subject}:{sequence}",
        source="/crm/members",
        type=type_,
        time=AT,
        subject=subject,
        sequence=sequence,
        position=sequence,
        data=data,
    )


def test_an_erased_member_reads_erased_in_the_desks_book(tmp_path) -> None:
    book = MemberBook(create_engine(f"sqlite:///{tmp_path / 'desks.db'}"))
    registered = {
        "membership_number": "1001",
        "name": "مریم احمدی",
        "preferred_language": "fa",
        "status": "active",
        "contacts": [{"name": "مریم احمدی", "phones": [{"e164": "+989131234567", "kind": "mobile"}]}],
    }
    other = {**registered, "membership_number": "1002", "name": "شرکت نمونه"}
    selection = {"name": "carpet", "criteria": {}, "members": ["1001", "1002"], "at": AT}
    book.apply(
        [
            _event("crm.members.member.registered.v1", registered),
            _event("crm.members.member.registered.v1", other, subject=str(uuid.uuid4())),
            _event("crm.members.selection.taken.v1", selection, subject="s-1"),
        ]
    )
    before = book.selection("s-1")
    assert before is not None and before["recipients"][0]["name"] == "مریم احمدی"

    book.apply([_event("crm.members.member.erased.v1", {"reason": "request", "by": "ops", "at": AT}, sequence=2)])
    after = book.selection("s-1")
    assert after is not None and len(after["recipients"]) == len(before["recipients"]) == 2
    erased = after["recipients"][0]
    assert (erased["member_id"], erased["name"], erased["phone"], erased["language"]) == ("1001", ERASED, None, "fa")
    assert after["recipients"][1]["name"] == "شرکت نمونه"
