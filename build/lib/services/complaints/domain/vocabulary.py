"""The words of the complaints procedure: channels, kinds, states, decisions and outcomes, as stored in events."""

from __future__ import annotations

from enum import StrEnum

FORM = "ME-FR-01-01-01"
MAX_DOCUMENTS = 50


class Channel(StrEnum):
    IN_PERSON = "in_person"  # the member fills in the form at the chamber
    PHONE = "phone"  # the expert fills it in during a call (linked to the call)
    WEBSITE = "website"  # the public form
    AUTOMATIC = "automatic"  # another service: a survey score under threshold, a session, a desk


class Kind(StrEnum):
    COMPLAINT = "complaint"
    CRITICISM = "criticism"
    SUGGESTION = "suggestion"
    REPORTED_PROBLEM = "reported_problem"


class State(StrEnum):
    RECEIVED = "received"  # registered on the form; not yet acknowledged to the member
    ACKNOWLEDGED = "acknowledged"  # with the member-relations manager for review
    REVIEWED = "reviewed"  # marked complete by the member-relations manager
    REFERRED = "referred"  # with the SG, waiting for a handler
    ASSIGNED = "assigned"  # with the handler, under investigation
    INVESTIGATED = "investigated"  # the report is with the SG, waiting for the decision
    ACCEPTED = "accepted"  # accepted by the SG, who has yet to say whether the committee meets
    COMMITTEE = "committee"  # the committee is convened; its decision is awaited
    DECIDED = "decided"  # the result is known; the member is to be told
    NOTIFIED = "notified"  # the member was told the result
    CLOSED = "closed"


class Decision(StrEnum):
    """The SG's decision on the investigated complaint."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Outcome(StrEnum):
    """The result the member is told: the SG's, or the committee's when it met."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    SETTLED = "settled"


class HandlerKind(StrEnum):
    PERSON = "person"
    UNIT = "unit"


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


OPEN_STATES = frozenset(State) - {State.CLOSED}
EDITABLE_FIELDS = (
    "kind",
    "description",
    "occurred_at",
    "member_number",
    "complainant_name",
    "contact_phone",
    "contact_phone_raw",
    "contact_email",
    "unit",
    "service",
)
