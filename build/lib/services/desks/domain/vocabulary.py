"""The words of the service desks: form codes, the formats, announcement routes, registration channels, form states
and desk stages; the desk's id; the text rules every field goes through."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from shared.errors import DomainError, InvalidInput

DESK_NAMESPACE = uuid.UUID("0b6c1f3e-7a52-4d2e-9f31-5e8a2c94d7b6")
PLAN_FORM = "MM-FR-01-05-01"  # registrants planning form
PROBLEM_FORM = "MM-FR-02-05-01"
CHECKLIST_FORM = "MM-FR-03-05-01"
REQUEST_FORM = "FI-FR-01-03-02"  # goods/services request: the poster and the catering
CATERING_COST_CENTRE = "FI-OT-02-00-02"
MAX_TEXT = 4000
MAX_CAPACITY = 200
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Format(StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    HYBRID = "hybrid"


class Route(StrEnum):
    """The four ways a desk is announced; all four make it announced."""

    POSTER_REQUEST = "poster_request"  # to public relations on FI-FR-01-03-02
    DIRECTOR_GENERAL = "director_general"  # the formal invitation of the agency's director-general
    MEMBERS = "members"  # SMS and social networks to a member selection
    REPRESENTATIVE = "representative"  # the details to the chamber's representative


class Channel(StrEnum):
    PHONE = "phone"
    LETTER = "letter"
    PUBLIC_PAGE = "public_page"


class FormState(StrEnum):
    SCHEDULED = "scheduled"  # has a slot
    WAITING = "waiting"  # beyond capacity, on the waiting list
    GUIDED = "guided"  # not a matter for this desk: sent elsewhere
    CANCELLED = "cancelled"


class Stage(StrEnum):
    PLANNING = "planning"
    APPROVED = "approved"  # planning form approved: announcement and registration open
    ANNOUNCED = "announced"  # all four routes done
    HELD = "held"  # attendance being recorded
    MINUTES_REVIEWED = "minutes_reviewed"
    MINUTES_SENT = "minutes_sent"
    ARCHIVED = "archived"  # minutes archived: the follow-ups are under way
    CLOSED = "closed"  # checklist completed


class TransitionRefused(DomainError):
    """The desk's stage or the form's state does not allow this step (409)."""


def desk_id(agency: str, starts_at: datetime) -> uuid.UUID:
    """One desk per agency and starting time: planning the same desk twice finds the first."""
    return uuid.uuid5(DESK_NAMESPACE, f"desk:{agency}:{starts_at.isoformat()}")


def clean_text(value: Any) -> str | None:
    if value is None:
        return None
    text = _CONTROL.sub("", str(value).replace("\r\n", "\n").replace("\r", "\n")).strip()
    return text or None


def required_text(value: Any, what: str, limit: int = MAX_TEXT) -> str:
    text = clean_text(value)
    if not text:
        raise InvalidInput(f"give {what}")
    if len(text) > limit:
        raise InvalidInput(f"{what} is longer than {limit} characters")
    return text


def text_list(values: list[Any] | None, what: str) -> list[str]:
    out = [required_text(v, what, 300) for v in values or []]
    if len(out) > 50:
        raise InvalidInput(f"at most 50 {what}s")
    return out


# The languages the chamber writes to members in (the notification channels word each message in the member's).
LANGUAGES = ("fa", "tr", "en")


def language_of(value: Any) -> str | None:
    """A member's language, one of LANGUAGES, or None when not given."""
    text = clean_text(value)
    if text is None:
        return None
    if text not in LANGUAGES:
        raise InvalidInput(f"language {text!r} is not one of {', '.join(LANGUAGES)}")
    return text
