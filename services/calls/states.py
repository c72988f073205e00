"""The vocabulary of a call: its direction and purpose, the states of the procedure, the outcomes of a callback,
and the aggregate id of a PBX call or of a call another service recorded. services/calls/domain.py holds the call aggregate that uses them."""

from __future__ import annotations

import uuid
from enum import StrEnum
from functools import lru_cache

from shared.errors import DomainError

CALL_NAMESPACE = uuid.UUID("3d0f8e4c-8a5e-4c43-9a43-57a1c8f6e0a2")


class Direction(StrEnum):
    INCOMING = "incoming"
    OUTGOING = "outgoing"


class Purpose(StrEnum):
    """Why member relations calls a member (outgoing calls)."""

    SURVEY = "survey"
    ANNOUNCEMENT = "announcement"
    COMPLAINT_FOLLOW_UP = "complaint_follow_up"


class State(StrEnum):
    RINGING = "ringing"  # registered at the first ring, not yet routed
    QUEUED = "queued"  # routed to the destination unit, waiting for an expert
    ANSWERED = "answered"  # an expert of the unit is on the line
    UNIT_NOT_ANSWERED = "unit_not_answered"  # the unit let it go; on its way to member relations
    WITH_MEMBER_RELATIONS = "with_member_relations"
    TRANSFERRED = "transferred"  # second attempt: handed to another expert of the unit
    UNANSWERED = "unanswered"  # registered for follow-up; the unit owes a callback
    CALLED_BACK = "called_back"
    COMPLETED = "completed"
    NOT_REACHED = "not_reached"  # outgoing call nobody picked up


class CallbackOutcome(StrEnum):
    RESOLVED = "resolved"  # the member's matter was settled during the callback
    FOLLOW_UP = "follow_up"  # reached; the unit follows the matter up further
    REFERRED = "referred"  # reached; referred to another unit or to the complaint procedure
    NOT_REACHED = "not_reached"  # nobody answered; the callback is still owed


REACHED = {CallbackOutcome.RESOLVED, CallbackOutcome.FOLLOW_UP, CallbackOutcome.REFERRED}
# Only these close the record: after a follow_up the unit still owes the member a final outcome.
FINAL = {CallbackOutcome.RESOLVED, CallbackOutcome.REFERRED}
REFERRED_TO_COMPLAINT = "complaint"  # `referred_to` of a callback that opens a complaint (ME-FR-01-01-01)
OPEN_STATES = {State.RINGING, State.QUEUED, State.UNIT_NOT_ANSWERED, State.WITH_MEMBER_RELATIONS, State.TRANSFERRED}


class TransitionRefused(DomainError):
    """The call is not in a state where this step of the procedure can happen."""


@lru_cache(maxsize=8192)  # a call's ~5 PBX events come within minutes: the SHA-1 once per call, not per event
def call_id_for_pbx(pbx_call_id: str) -> uuid.UUID:
    """The same PBX call always maps to the same aggregate, so re-ingestion finds it instead of duplicating it."""
    return uuid.uuid5(CALL_NAMESPACE, f"pbx:{pbx_call_id}")


def call_id_for_source(source_ref: str) -> uuid.UUID:
    """An outgoing call another service asked to record (e.g. a survey's contact attempt): the same source reference
    always maps to the same call, so asking twice records it once."""
    return uuid.uuid5(CALL_NAMESPACE, f"source:{source_ref}")
