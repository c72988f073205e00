"""A message to a member keeps its address and rendered body sealed with the member's key (shared/privacy.py), so
that erasing the member makes them unreadable in the notifier's store; a message to staff (or to a complainant or a
desk's registrant, who are not members) stays plain.

Whether a recipient is a member is read from the members the notifier knows (services/notifications/contacts.py):
a message names a member by the member's record id or membership number; the key's subject is the record id."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa

from services.notifications.contacts import member_contacts
from shared.privacy import KeyStore, Sealer

MESSAGE_FIELDS = frozenset({"Requested.address", "Requested.body"})
REQUESTED = ":Message.Requested"
# Kinds whose recipient is a desk's form number, not a member: never taken for a membership number.
FORM_KINDS = frozenset({"desk_registration", "desk_reminder"})


def member_of(engine: Callable[[], sa.Engine]) -> Callable[[str], str | None]:
    """The record id of the member a recipient names, or None when the recipient is not a known member."""

    def find(recipient: str) -> str | None:
        t = member_contacts.c
        q = sa.select(t.member_id).where(sa.or_(t.member_id == recipient, t.membership_number == recipient))
        with engine().connect() as conn:
            return conn.execute(q.limit(1)).scalar()

    return find


class MessageSealer(Sealer):
    """Seals a Requested message under its member recipient's key; leaves others' messages as they are."""

    def __init__(self, keys: KeyStore, fields: Mapping[str, frozenset[str]], member: Callable[[str], str | None]):
        self._member = member
        super().__init__(keys, fields, subject_of=self._subject)

    def _member_named(self, state: Mapping[str, Any]) -> str | None:
        if state.get("kind") in FORM_KINDS:
            return None
        return self._member(str(state.get("recipient")))

    def _subject(self, aggregate_id: str, topic: str, state: Mapping[str, Any]) -> str:
        return self._member_named(state) or aggregate_id

    def seal_state(self, subject: str, topic: str, state: dict[str, Any]) -> dict[str, Any]:
        if topic.endswith(REQUESTED) and self._member_named(state) is None:
            return state  # staff and people who are not members: plain
        return super().seal_state(subject, topic, state)
