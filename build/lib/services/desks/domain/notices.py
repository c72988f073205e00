"""What the desks ask of the notification channels, as event data a separate sender can act on alone: who (member
id, name, phone), which desk (agency, place), when (the desk's start, the member's slot) and in which language.

The desks service sends nothing itself: it records that a message is asked for, and the notifications service
sends it from the event on Kafka (contracts/desks/). A member selection is frozen as it was when taken, so the
announcement can always show whom it was meant for.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from services.desks.domain.vocabulary import Stage, TransitionRefused, clean_text, language_of, required_text
from shared.errors import InvalidInput

if TYPE_CHECKING:  # the aggregate imports this module
    from services.desks.domain.desk import Desk

MAX_RECIPIENTS = 5000
CRITERIA = ("activity", "products", "services", "partner_countries")  # the usual ones; a selection may add others
_CRITERION = re.compile(r"[a-z][a-z_]{0,49}")


def selection_of(selection_id: Any, criteria: dict[str, list[str]] | None, taken_at: str | None) -> dict[str, Any]:
    """A saved member-database selection: its id, the criteria it was taken with, and when it was taken."""
    odd = sorted(k for k in criteria or {} if not _CRITERION.fullmatch(str(k)))
    if odd:
        raise InvalidInput(f"selection criteria are named in lower case, e.g. {', '.join(CRITERIA)}: not {odd[0]!r}")
    return {
        "selection_id": required_text(selection_id, "the member selection's id", 100),
        "criteria": {k: [required_text(v, f"each {k} value", 200) for v in vs] for k, vs in (criteria or {}).items()},
        "taken_at": clean_text(taken_at),
    }


def recipients_of(raw: list[dict[str, Any]], default_language: str) -> list[dict[str, Any]]:
    """The members of a selection as the sender needs them; a member without a phone is kept (social networks
    reach them) but flagged by a null phone. The same member twice is one recipient."""
    if not raw:
        raise InvalidInput("the selection holds no member: give at least one recipient")
    if len(raw) > MAX_RECIPIENTS:
        raise InvalidInput(f"at most {MAX_RECIPIENTS} recipients in one announcement")
    found: dict[str, dict[str, Any]] = {}
    for item in raw:
        member_id = required_text(item.get("member_id"), "each recipient's member id", 100)
        found.setdefault(
            member_id,
            {
                "member_id": member_id,
                "name": required_text(item.get("name"), f"the name of member {member_id}", 200),
                "phone": clean_text(item.get("phone")),
                "language": language_of(item.get("language")) or default_language,
            },
        )
    return list(found.values())


def reminder_of(desk: Desk, form: dict[str, Any], default_language: str) -> dict[str, Any]:
    """One member's slot reminder: whom to remind of which slot."""
    return {
        "number": form["number"],
        "member_id": form["member_id"],
        "member_name": form["member_name"],
        "phone": form["phone"],
        "language": form.get("language") or default_language,
        "slot_start": desk.slot_start(form["slot"]),
        "slot_end": desk.slot_end(form["slot"]),
    }


def announcement_request(
    desk: Desk,
    *,
    selection_id: str,
    criteria: dict[str, list[str]] | None,
    taken_at: str | None,
    recipients: list[dict[str, Any]],
    message: str | None,
    default_language: str,
    registration_path: str | None,
    on: date,
    by: str | None,
    at: datetime,
) -> dict[str, Any]:
    """The MemberAnnouncementRequested event's values: the desk, the selection and its members, the message."""
    if desk.stage not in (Stage.APPROVED, Stage.ANNOUNCED):
        raise TransitionRefused(f"cannot announce the desk to members: it is {desk.stage.replace('_', ' ')}")
    if at >= desk.starts_at:
        raise TransitionRefused("the desk has started: it is too late to announce it")
    return {
        "agency": desk.agency,
        "starts_at": desk.starts_at,
        "place": desk.place,
        "format": desk.format,
        "selection": selection_of(selection_id, criteria, taken_at),
        "recipients": recipients_of(recipients, default_language),
        "message": clean_text(message),
        "registration_path": clean_text(registration_path),
        "on": on.isoformat(),
        "by": by,
        "at": at,
    }


def reminders_due(desk: Desk, today: date, default_language: str, at: datetime) -> list[dict[str, Any]]:
    """The slot reminders to ask for now: from the working day before the desk until it starts, every member with a
    slot not reminded of it yet."""
    if desk.stage not in (Stage.APPROVED, Stage.ANNOUNCED) or today.isoformat() < desk.reminder_day:
        return []
    if at >= desk.starts_at:
        return []
    return [reminder_of(desk, f, default_language) for f in desk.scheduled() if f.get("reminder_due") is None]
