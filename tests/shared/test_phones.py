"""Phone numbers as people and telephone systems write them in Iran and Turkey."""

from __future__ import annotations

import pytest

from shared.phones import ascii_digits, e164, parse_phone


def test_persian_and_arabic_indic_digits_read_as_ascii() -> None:
    assert ascii_digits("۰۹۱۳ ۱۲۳ ۴۵۶۷") == "0913 123 4567"
    assert ascii_digits("٠٩١٣١٢٣٤٥٦٧") == "09131234567"
    assert ascii_digits("abc-12") == "abc-12"


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("09131234567", "IR", "+989131234567"),
        ("۰۹۱۳۱۲۳۴۵۶۷", "IR", "+989131234567"),
        (" 0913 123 4567 ", "IR", "+989131234567"),
        ("031 3615 1000", "IR", "+983136151000"),
        ("+90 532 123 45 67", "IR", "+905321234567"),  # a + number keeps its own country
        ("00905321234567", "IR", "+905321234567"),  # 00 dialled as the international prefix
        ("0532 123 45 67", "TR", "+905321234567"),
    ],
)
def test_numbers_are_read_in_the_chamber_s_region_unless_they_say_otherwise(
    raw: str, region: str, expected: str
) -> None:
    parsed = parse_phone(raw, region)
    assert parsed is not None
    assert e164(parsed) == expected


@pytest.mark.parametrize("raw", [None, "", "   ", "hello", "12", "0913123456789012345"])
def test_what_cannot_be_a_phone_number_is_none(raw: str | None) -> None:
    assert parse_phone(raw, "IR") is None
