"""Whose key seals a piece of personal data, when it is not the record's own (shared/privacy.py).

A member's data is sealed with the member's key wherever it is stored: the member's record (members service) and the
calls the member made (calls service) share it, so erasing the member erases both. A caller who is not a known
member is a subject of their own, named by a keyed hash of the number (never the number itself, which would be in
the clear in every sealed value's `of` and in the key folder's file names).
"""

from __future__ import annotations

import hashlib
import uuid

MEMBER_NAMESPACE = uuid.UUID("a6f3b0f2-51c4-4f0e-8b8e-3b9a9d6c2e71")  # the members service's aggregate ids
REGISTRANT_NAMESPACE = uuid.UUID("9c0f2e57-3d5b-4a8e-b1f4-6a2d7c9e0b13")  # a desk's registrants who are not members
CALLER_PREFIX = "caller-"


def member_subject(membership_number: str) -> str:
    """The member's record id in the members service, which is the subject of the member's key."""
    return str(uuid.uuid5(MEMBER_NAMESPACE, f"member:{membership_number}"))


def caller_subject(e164: str) -> str:
    """The subject of a caller who is not a known member: `caller-<hash of the E.164 number>`."""
    return CALLER_PREFIX + hashlib.sha256(f"crm/caller/{e164}".encode()).hexdigest()[:40]


def registrant_subject(desk_id: str, number: str) -> str:
    """The subject of a desk's registrant who named no member: one per problem form of a desk."""
    return str(uuid.uuid5(REGISTRANT_NAMESPACE, f"desk-registrant:{desk_id}:{number}"))


def form_person(desk_id: str, member_id: str | None, number: str) -> str:
    """Whose a desk's problem form is: the member's when it names one, else the form's registrant's."""
    return member_subject(member_id) if member_id else registrant_subject(desk_id, number)


def call_person(member_id: str | None, caller: str | None) -> str | None:
    """Whose a call is: the member when the number is a known member's, else the caller's number; None when the
    call names neither."""
    if member_id:
        return member_subject(member_id)
    return caller_subject(caller) if caller else None
