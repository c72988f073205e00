"""Phone numbers as the chamber's people and telephone system write them, parsed once, the same way everywhere.

Each service keeps its own policy on top: the call centre records whatever number the PBX shows, the member
database accepts only numbers that can really be dialled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneNumberType
from phonenumbers.phonemetadata import PhoneMetadata, PhoneNumberDesc

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


# -- valid numbers in the usual notations, without building a PhoneNumber -------------------------------------
# An import reads tens of thousands of numbers, nearly all written one of a few ways: a national number with its
# trunk prefix (0913 123 4567, 031-36645000) or an international one (+90 532 ..., 0098 913 ...). For these,
# `valid_number` follows phonenumbers' own steps on the same metadata (the country code, the national prefix, the
# patterns and lengths of each number type) with the patterns compiled once, at a tenth of the cost. Whatever it
# is not sure of (a national prefix given as a pattern, a country code several regions share, a number that is
# not valid) it leaves to phonenumbers. tests/shared/test_phones.py holds both to the same results.
_PLAIN_DIGITS = re.compile(r"\d+")
_TYPES_IN_ORDER = (
    ("premium_rate", PhoneNumberType.PREMIUM_RATE),
    ("toll_free", PhoneNumberType.TOLL_FREE),
    ("shared_cost", PhoneNumberType.SHARED_COST),
    ("voip", PhoneNumberType.VOIP),
    ("personal_number", PhoneNumberType.PERSONAL_NUMBER),
    ("pager", PhoneNumberType.PAGER),
    ("uan", PhoneNumberType.UAN),
    ("voicemail", PhoneNumberType.VOICEMAIL),
)

_Desc = tuple[frozenset[int], re.Pattern[str]] | None


def _desc(desc: PhoneNumberDesc | None) -> _Desc:
    """A number description as phonenumbers matches it: the possible lengths (none: any), the whole pattern."""
    if desc is None or not desc.national_number_pattern:
        return None  # matches nothing
    return frozenset(desc.possible_length or ()), re.compile(desc.national_number_pattern)


def _matches(number: str, desc: _Desc) -> bool:
    if desc is None:
        return False
    lengths, pattern = desc
    if lengths and len(number) not in lengths:
        return False
    return pattern.fullmatch(number) is not None


@dataclass(frozen=True)
class _Plan:
    """What one region's metadata says about reading its numbers."""

    country_code: str
    international_prefix: re.Pattern[str]
    national_prefix: str  # the trunk prefix stripped when parsing ("0"), "" when none
    general: _Desc
    special: tuple[tuple[_Desc, int], ...]
    fixed_line: _Desc
    mobile: _Desc
    same_mobile_and_fixed_line: bool

    def type_of(self, national: str) -> int:
        """phonenumbers' `_number_type_helper`: the type of a national significant number, UNKNOWN when invalid."""
        if not _matches(national, self.general):
            return PhoneNumberType.UNKNOWN
        for desc, kind in self.special:
            if _matches(national, desc):
                return kind
        if _matches(national, self.fixed_line):
            if self.same_mobile_and_fixed_line or _matches(national, self.mobile):
                return PhoneNumberType.FIXED_LINE_OR_MOBILE
            return PhoneNumberType.FIXED_LINE
        if not self.same_mobile_and_fixed_line and _matches(national, self.mobile):
            return PhoneNumberType.MOBILE
        return PhoneNumberType.UNKNOWN


@lru_cache(maxsize=512)
def _plan(region: str) -> _Plan | None:
    """The region's plan, or None when its numbers go through phonenumbers itself: an unknown region, a country
    code it shares with others (+1, +7, +44), a national prefix given as a pattern or rewritten when stripped."""
    metadata = PhoneMetadata.metadata_for_region(region, None)
    if metadata is None or metadata.country_code is None:
        return None
    if COUNTRY_CODE_TO_REGION_CODE.get(metadata.country_code) != (region,):
        return None
    prefix = metadata.national_prefix_for_parsing or ""
    if (prefix and not _PLAIN_DIGITS.fullmatch(prefix)) or metadata.national_prefix_transform_rule:
        return None
    if not metadata.international_prefix or metadata.general_desc is None or not metadata.general_desc.possible_length:
        return None
    return _Plan(
        country_code=str(metadata.country_code),
        international_prefix=re.compile(metadata.international_prefix),
        national_prefix=prefix,
        general=_desc(metadata.general_desc),
        special=tuple(
            (found, kind) for name, kind in _TYPES_IN_ORDER if (found := _desc(getattr(metadata, name))) is not None
        ),
        fixed_line=_desc(metadata.fixed_line),
        mobile=_desc(metadata.mobile),
        same_mobile_and_fixed_line=bool(metadata.same_mobile_and_fixed_line_pattern),
    )


def _international(digits: str) -> tuple[_Plan, str] | None:
    """The plan of the country code that `digits` (after + or 00) start with, and the rest: phonenumbers takes the
    shortest known code of one to three digits."""
    if not digits or digits[0] == "0":
        return None
    for n in range(1, min(len(digits), 3) + 1):
        regions = COUNTRY_CODE_TO_REGION_CODE.get(int(digits[:n]))
        if regions is not None:
            plan = _plan(regions[0]) if len(regions) == 1 else None
            return (plan, digits[n:]) if plan is not None else None
    return None


def valid_number(text: str, region: str) -> tuple[str, int] | None:
    """(E.164, phonenumbers.PhoneNumberType) of `text` — digits, led by + or 00 for an international number — when
    it is a valid number written a usual way; the same as `parse_phone`, `is_valid_number` and `number_type` give.
    None when it is not valid, or not written a way this reads: ask phonenumbers then."""
    if text.startswith("00"):
        text = "+" + text[2:]
    international = text.startswith("+")
    digits = text[1:] if international else text
    if not (digits.isascii() and digits.isdigit()):
        return None  # punctuation, or digits of another script: phonenumbers reads those
    if international:
        found = _international(digits)
        if found is None:
            return None
        plan, national = found
    else:
        plan = _plan(region)  # type: ignore[assignment]  # None is handled below
        if plan is None or plan.international_prefix.match(text) or text.startswith(plan.country_code):
            return None
        national = text
    # The trunk prefix is stripped, after a country code too (+98 (0) 913 ...): phonenumbers keeps it only when
    # the number without it is not viable, and a number that is not viable is not valid (left to phonenumbers).
    if plan.national_prefix and national.startswith(plan.national_prefix):
        national = national[len(plan.national_prefix) :]
    if len(national) < 2 or national[0] == "0":
        return None  # too short to parse, or a leading zero phonenumbers keeps apart (Italy's numbers)
    kind = plan.type_of(national)
    if kind == PhoneNumberType.UNKNOWN:
        return None
    return f"+{plan.country_code}{national}", kind
