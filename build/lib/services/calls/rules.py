"""The checks a step of the call procedure makes on what it is given before the call aggregate records it
(docs/procedures.md#calls). Plain functions of their arguments: services/calls/domain.py calls them."""

from __future__ import annotations

from datetime import datetime

from services.calls.states import CallbackOutcome, Direction, Purpose
from shared.errors import InvalidInput

# The complaint form takes at most 8000 characters; a call's subject and a callback's note may each have 4000.
COMPLAINT_DESCRIPTION_MAX = 8000


def check_purpose(direction: Direction, purpose: Purpose | None) -> None:
    """An outgoing call says why member relations placed it; an incoming call has no purpose."""
    if direction == Direction.OUTGOING and purpose is None:
        raise InvalidInput("an outgoing call records its purpose: survey, announcement or complaint_follow_up")
    if direction == Direction.INCOMING and purpose is not None:
        raise InvalidInput("only outgoing calls have a purpose")


def written_subject(subject: str) -> str:
    """The subject a member-relations expert took down, trimmed; it must say something."""
    if not subject.strip():
        raise InvalidInput("the subject must be written down precisely; it is empty")
    return subject.strip()


def unanswered_record(phone: str | None, subject: str | None, *, automatic: bool) -> tuple[str, str | None]:
    """The contact number and subject of an unanswered-call record: the number is always needed; the subject too,
    unless the record is registered automatically (the member-relations expert never took it down)."""
    if not phone:
        raise InvalidInput("an unanswered-call record needs the caller's contact number")
    text = (subject or "").strip()
    if not text and not automatic:
        raise InvalidInput("an unanswered-call record needs the subject the member called about")
    return phone, text or None


def callback_outcome(
    outcome: CallbackOutcome | str, referred_to: str | None, *, at: datetime, registered_at: datetime | None
) -> tuple[CallbackOutcome, str | None]:
    """A callback's outcome and where it was referred (trimmed): only a referral says where, and it must."""
    if registered_at and at < registered_at:
        raise InvalidInput("a callback cannot precede the unanswered-call record")
    outcome = CallbackOutcome(outcome)
    if outcome == CallbackOutcome.REFERRED and not (referred_to or "").strip():
        raise InvalidInput("say where the matter was referred: a unit, or 'complaint'")
    if outcome != CallbackOutcome.REFERRED and referred_to:
        raise InvalidInput("referred_to is given only with the outcome 'referred'")
    return outcome, referred_to.strip() if referred_to else None


def complaint_description(subject: str | None, note: str | None) -> str:
    """What a callback referred to the complaint procedure puts on the complaint form: the subject, then the note."""
    return ((subject or "") + (f"\n\n{note}" if note else ""))[:COMPLAINT_DESCRIPTION_MAX]


def how_answered(note: str) -> str:
    """A call member relations closes itself says, trimmed, how the member's question was answered."""
    if not note.strip():
        raise InvalidInput("say how the member's question was answered")
    return note.strip()
