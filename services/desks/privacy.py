"""A desk's registrants' personal data: the name, company and phone typed on a problem form (MM-FR-02-05-01).

They are sealed (shared/privacy.py) with the registrant's key, not the desk's: the member's own when the form names
a member (so erasing the member erases their forms too), otherwise a key of the form's own registrant. Every value
sealed this way names its subject (`of`), so a reader opens it without knowing whose the form was.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from shared.privacy import KeyStore, Sealer
from shared.privacy_subjects import member_subject

REGISTRANT_NAMESPACE = uuid.UUID("9c0f2e57-3d5b-4a8e-b1f4-6a2d7c9e0b13")
_FORM_FIELDS = ("member_name", "company", "phone")
# MemberRegistered, and Registered as stored before registrations carried the member's language.
DESK_FIELDS = frozenset(f"{event}.{name}" for event in ("MemberRegistered", "Registered") for name in _FORM_FIELDS)


def registrant_subject(desk_id: str, number: str) -> str:
    """The subject of a registrant who named no member: one per form of a desk."""
    return str(uuid.uuid5(REGISTRANT_NAMESPACE, f"desk-registrant:{desk_id}:{number}"))


def registrant_of(aggregate_id: str, topic: str, state: Mapping[str, Any]) -> str:
    """Whose key seals a form: the member's when it names one, else the form's registrant's."""
    member = state.get("member_id")
    if member:
        return member_subject(str(member))
    return registrant_subject(aggregate_id, str(state.get("number")))


def desk_sealer(keys: KeyStore, fields: Mapping[str, frozenset[str]]) -> Sealer:
    return Sealer(keys, fields, subject_of=registrant_of)
