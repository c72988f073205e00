"""Phone numbers as the chamber's people and telephone system write them, parsed once, the same way everywhere.

Each service keeps its own policy on top: the call centre records whatever number the PBX shows, the member
database accepts only numbers that can really be dialled.
"""

from __future__ import annotations

import phonenumbers

_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "0123456789" * 2)


def ascii_digits(text: str) -> str:
    """Persian and Arabic-Indic digits as ASCII digits."""
    return text.translate(_DIGITS)


def parse_phone(raw: str | None, region: str) -> phonenumbers.PhoneNumber | None:
    """The number, read as one of `region` unless it starts with + or 00; None when it cannot be a phone number."""
    if not raw:
        return None
    text = ascii_digits(raw.strip())
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return parsed if phonenumbers.is_possible_number(parsed) else None


def e164(parsed: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
