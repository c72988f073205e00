"""What people type, made fit to store: text without control characters, phone numbers in E.164, e-mail
addresses, membership numbers in ASCII digits, times in UTC, and the units a person belongs to."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from shared.calendar import BusinessCalendar
from shared.organisation import Organisation
from shared.phones import ascii_digits, e164, parse_phone
from shared.problems import InvalidInput

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def clean_text(value: str | None) -> str | None:
    """Text as the member wrote it, without control characters; None when nothing is left. Stored as text,
    never interpreted as markup."""
    if value is None:
        return None
    text = _CONTROL.sub("", str(value).replace("\r\n", "\n").replace("\r", "\n")).strip()
    return text or None


def normalise_phone(raw: str | None, region: str) -> tuple[str | None, str | None]:
    """(E.164, as typed) of a phone number the chamber can call back; InvalidInput otherwise."""
    text = clean_text(raw)
    if not text:
        return None, None
    parsed = parse_phone(text, region)
    if parsed is None:
        raise InvalidInput(f"{text!r} is not a phone number")
    return e164(parsed), text


def normalise_email(raw: str | None) -> str | None:
    text = clean_text(raw)
    if not text:
        return None
    if not _EMAIL.match(text) or len(text) > 254:
        raise InvalidInput(f"{text!r} is not an e-mail address")
    local, domain = text.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def normalise_member_number(raw: str | None) -> str | None:
    text = clean_text(raw)
    return ascii_digits(text).replace(" ", "") if text else None


def aware(value: datetime | None, calendar: BusinessCalendar) -> datetime | None:
    """UTC; a time given without a zone is the chamber's local time."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=calendar.tz)
    return value.astimezone(UTC)


def units_of_person(organisation: Organisation, person: str | None) -> set[str]:
    """The units a person belongs to, as expert or as manager (organisation file)."""
    if not person:
        return set()
    key = person.strip().casefold()
    return {u.id for u in organisation.units if key == u.manager.casefold() or key in (e.casefold() for e in u.experts)}
