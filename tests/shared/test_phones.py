"""Phone numbers as people and telephone systems write them in Iran and Turkey."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberType

from shared.phones import ascii_digits, e164, parse_phone, valid_number


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


# -- valid_number: the quick reading gives phonenumbers' own answers -------------------------------------------
def reference(text: str, region: str) -> tuple[str, int] | None:
    """What the member database asked phonenumbers for each number: valid or not, its E.164 and type."""
    parsed = parse_phone(text, region)
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        return None
    return e164(parsed), phonenumbers.number_type(parsed)


REGIONS = ["IR", "TR", "IQ", "AE", "DE", "IT", "CN", "GB", "RU", "US", "AF", "XX"]
PREFIXES = ["", "0", "00", "+", "+98", "0098", "+980", "+90", "0090", "+900", "+964", "+49", "+39", "+7", "+1", "98"]


def generated_numbers(seed: int, count: int) -> list[tuple[str, str]]:
    """(text, region) pairs as `normalise.phone` passes them on: the chamber's usual notations with real prefixes,
    examples of every number type of many regions with digits changed, dropped or added, and random digits."""
    rng = random.Random(seed)
    examples = []
    for region in ["IR", "TR", "IQ", "AE", "DE", "IT", "CN", "GB", "RU", "US", "AF", "AM", "KZ", "OM", "QA", "IN"]:
        for kind in PhoneNumberType.values():
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                examples.append((example.country_code, phonenumbers.national_significant_number(example)))
    iranian = ["0913", "0912", "0935", "0917", "0991", "0990", "0999", "0921", "0901", "031", "021", "0313", "094"]
    out = []
    for _ in range(count):
        region = rng.choice(REGIONS)
        roll = rng.random()
        if roll < 0.35:
            text = rng.choice(iranian) + "".join(rng.choice("0123456789") for _ in range(rng.randint(5, 9)))
            text = rng.choice(["", "", "+98", "0098", "+980"]) + (text[1:] if rng.random() < 0.3 else text)
            region = rng.choice(["IR", "IR", "TR"])
        elif roll < 0.8:
            code, national = rng.choice(examples)
            digits = list(national)
            for _ in range(rng.choice([0, 0, 1, 2])):
                at = rng.randrange(len(digits))
                action = rng.random()
                if action < 0.5:
                    digits[at] = rng.choice("0123456789")
                elif action < 0.75 and len(digits) > 3:
                    del digits[at]
                else:
                    digits.insert(at, rng.choice("0123456789"))
            national = "".join(digits)
            way = rng.random()
            if way < 0.4:
                text = f"+{code}{national}"
            elif way < 0.6:
                text = f"00{code}{national}"
            elif way < 0.9:
                text = f"0{national}"
            else:
                text = national
        else:
            text = rng.choice(PREFIXES) + "".join(rng.choice("0123456789") for _ in range(rng.randint(2, 17)))
        out.append((text, region))
    return out


def test_valid_number_agrees_with_phonenumbers_on_many_numbers_valid_or_not() -> None:
    answered = valid = 0
    for text, region in generated_numbers(1405, 12_000):
        expected = reference(text, region)
        quick = valid_number(text, region)
        valid += expected is not None
        if quick is not None:
            answered += 1
            assert quick == expected, (text, region)
    # The quick reading answers for most valid numbers; the rest were left to phonenumbers above.
    assert valid > 3_000 and answered > valid * 0.6, (answered, valid)


def test_the_chamber_s_usual_notations_are_read_quickly() -> None:
    assert valid_number("09131234567", "IR") == ("+989131234567", PhoneNumberType.MOBILE)
    assert valid_number("03136645000", "IR") == ("+983136645000", PhoneNumberType.FIXED_LINE)
    assert valid_number("+905321234567", "IR") == ("+905321234567", PhoneNumberType.MOBILE)
    assert valid_number("00905321234567", "IR") == ("+905321234567", PhoneNumberType.MOBILE)
    assert valid_number("+9809131234567", "IR") == ("+989131234567", PhoneNumberType.MOBILE)  # +98 (0) 913 ...
    assert valid_number("05321234567", "TR") == ("+905321234567", PhoneNumberType.MOBILE)


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("989131234567", "IR"),  # the country code without +: phonenumbers decides
        ("0913१२३४५६७", "IR"),  # Devanagari digits: phonenumbers turns them into ASCII
        ("0912345", "IR"),  # not valid
        ("+12025550123", "IR"),  # a country code several regions share
        ("+390612345678", "IR"),  # Italy's leading zero
        ("0201234567", "US"),  # a national prefix phonenumbers reads as a pattern
        ("09131234567", "XX"),  # no such region
    ],
)
def test_what_the_quick_reading_is_not_sure_of_is_left_to_phonenumbers(text: str, region: str) -> None:
    assert valid_number(text, region) is None


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(["", "0", "00", "+", "+98", "+90", "0098", "+964", "+49"]),
    st.text(alphabet="0123456789", min_size=2, max_size=15),
    st.sampled_from(["IR", "TR", "DE", "IT"]),
)
def test_valid_number_never_disagrees_with_phonenumbers(prefix: str, digits: str, region: str) -> None:
    quick = valid_number(prefix + digits, region)
    if quick is not None:
        assert quick == reference(prefix + digits, region)
