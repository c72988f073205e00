"""Erasing a desk's registrant who is not a member, at their request (`crm privacy erase --registrant`).

The form's registrant key (services/desks/privacy.py) is deleted, so the name, company, phone and problem typed on
the form, and their name and phone in the slot reminders and in the notifier's messages, read [erased] from then on;
the form, its slot, the agency's decision and every count stay. The erasure is recorded as an event of its own,
naming the desk and the form's number only. A registrant who named a member is erased with the member.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from eventsourcing.domain import Aggregate, event

from shared.errors import DomainError, InvalidInput
from shared.privacy_subjects import registrant_subject

ERASURE_NAMESPACE = uuid.UUID("7b4e2c1a-9d3f-4e6b-a8c5-2f1d0e9b7a63")


class RegistrantErasure(Aggregate):
    @event("Recorded")
    def __init__(self, *, desk_id: str, number: str, subject: str, reason: str, by: str | None, at: datetime):
        self.desk_id = desk_id
        self.number = number
        self.subject = subject
        self.reason = reason
        self.by = by
        self.at = at

    @classmethod
    def create_id(cls, *, desk_id: str, number: str, **_: object) -> uuid.UUID:
        return erasure_id(desk_id, number)


def erasure_id(desk_id: str, number: str) -> uuid.UUID:
    """One erasure per form: erasing its registrant twice is detectable."""
    return uuid.uuid5(ERASURE_NAMESPACE, f"registrant-erasure:{desk_id}:{number}")


def check_erasable(form: dict, reason: str, already: bool) -> str:
    """The erasure's subject, once its rules hold: a form of a registrant who named no member, erased once, for a
    reason given."""
    if not (reason or "").strip():
        raise InvalidInput("the reason of the erasure is required")
    if form.get("member_id"):
        raise DomainError(
            f"form {form['number']} names member {form['member_id']}: erase the member (crm privacy erase --member)"
        )
    if already:
        raise DomainError(f"the registrant of form {form['number']} was already erased")
    return registrant_subject(form["desk_id"], str(form["number"]))
