"""A message to a person keeps its address, subject line and rendered body sealed with that person's key
(shared/privacy.py), so that erasing the person makes them unreadable in the notifier's store: a member's message
under the member's key, a complainant's under the complaint's, a desk registrant's under the form's registrant's
(the member's when the form names one), an end-of-day list (which names callers) under a key of its own
(services/notifications/listed.py). Any other message to staff stays plain.

A message names its person (`person`, set by the rule that asked for it: a complaint's messages, a desk's forms'),
or else its recipient is looked up among the members the notifier knows (services/notifications/contacts.py): by
the member's record id or membership number; the key's subject is the record id."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa

from services.notifications.contacts import member_contacts
from shared.privacy import KeyStore, Sealer

MESSAGE_FIELDS = frozenset({"Requested.address", "Requested.subject", "Requested.body"})
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
    """Seals a Requested message under its person's key (named, or its member recipient's); leaves staff's
    messages as they are."""

    def __init__(self, keys: KeyStore, fields: Mapping[str, frozenset[str]], member: Callable[[str], str | None]):
        self._member = member
        super().__init__(keys, fields, subject_of=self._subject)

    def _person(self, state: Mapping[str, Any]) -> str | None:
        if state.get("person"):
            return str(state["person"])
        if state.get("kind") in FORM_KINDS:
            return None
        return self._member(str(state.get("recipient")))

    def _subject(self, aggregate_id: str, topic: str, state: Mapping[str, Any]) -> str:
        return self._person(state) or aggregate_id

    def seal_state(self, subject: str, topic: str, state: dict[str, Any]) -> dict[str, Any]:
        if topic.endswith(REQUESTED) and self._person(state) is None:
            return state  # staff: plain
        return super().seal_state(subject, topic, state)
