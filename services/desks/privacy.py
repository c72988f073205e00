"""A desk's registrants' personal data: the name, company, phone and problem typed on a problem form
(MM-FR-02-05-01), and the names and phones of the people an announcement, a slot reminder or a session's invitations
go to.

They are sealed (shared/privacy.py) with the registrant's key, not the desk's: the member's own when the form names
a member (so erasing the member erases their forms too), otherwise a key of the form's own registrant (erased with
`crm privacy erase --registrant`). An announcement's recipients and a session's invitees are members: each one's
name and phone under that member's key; a slot reminder's under its form's registrant's. A problem raised at a
specialised session is sealed under the key of the member who raised it, or, when it names none, under a key of
that problem's own. Every value sealed this way names its subject (`of`), so a reader opens it without knowing whose
it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from shared.privacy import KeyStore, Sealer, is_sealed
from shared.privacy_subjects import REGISTRANT_NAMESPACE, form_person, member_subject
from shared.privacy_subjects import registrant_subject as registrant_subject

_FORM_FIELDS = ("member_name", "company", "phone", "problem")
# MemberRegistered, and Registered as stored before registrations carried the member's language.
DESK_FIELDS = frozenset(f"{event}.{name}" for event in ("MemberRegistered", "Registered") for name in _FORM_FIELDS)
# A problem raised at a specialised session, as the member put it.
SESSION_FIELDS = frozenset({"ProblemRaised.text"})
PROBLEM_RAISED = "Session.ProblemRaised"
# Events naming several people, each in an item of a list: aggregate.event -> (list field, personal fields of an
# item). An announcement's recipients and a session's invitees are members (`member_id`: the membership number).
LISTED = {
    "Desk.MemberAnnouncementRequested": ("recipients", ("name", "phone")),
    "Desk.SlotRemindersDue": ("reminders", ("member_name", "phone")),
    "Session.InviteesSelected": ("invitees", ("name", "company", "phone")),
    "Session.InvitationsRequested": ("invitees", ("name", "phone")),
}


def session_problem_subject(session_id: str, number: str) -> str:
    """The subject of a problem raised at a session by someone it does not name as a member: one per problem."""
    return str(uuid.uuid5(REGISTRANT_NAMESPACE, f"session-problem:{session_id}:{number}"))


def registrant_of(aggregate_id: str, topic: str, state: Mapping[str, Any]) -> str:
    """Whose key seals a form: the member's when it names one, else the form's registrant's (a problem raised at a
    session: the member's, else the problem's own)."""
    member = state.get("member_id")
    if topic.endswith(PROBLEM_RAISED):
        return member_subject(str(member)) if member else session_problem_subject(aggregate_id, str(state["number"]))
    return form_person(aggregate_id, str(member) if member else None, str(state.get("number")))


class DeskSealer(Sealer):
    """Seals a form under its registrant's key, and each person listed in an announcement, a reminder or a
    session's invitations under theirs."""

    def seal_state(self, subject: str, topic: str, state: dict[str, Any]) -> dict[str, Any]:
        out = super().seal_state(subject, topic, state)
        listed = LISTED.get(topic.partition(":")[2])
        if listed is None or not state.get(listed[0]):
            return out
        name, fields = listed
        items = []
        for item in state[name]:
            if not isinstance(item, dict) or all(item.get(f) is None or is_sealed(item.get(f)) for f in fields):
                items.append(item)
                continue
            whose = registrant_of(subject, topic, item)
            items.append({k: self.seal(whose, k, v) if k in fields else v for k, v in item.items()})
        return {**out, name: items}


def desk_sealer(keys: KeyStore, fields: Mapping[str, frozenset[str]]) -> Sealer:
    return DeskSealer(keys, fields, subject_of=registrant_of)
