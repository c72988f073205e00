"""Normalisation of what is typed into the member database: phones, countries, names, digits, numbers."""

from __future__ import annotations

import pytest

from services.members import normalise
from services.members.normalise import Phone, country, membership_number, phone, search_key
from shared.problems import InvalidInput


@pytest.mark.parametrize(
    "raw, e164, kind",
    [
        ("09131234567", "+989131234567", "mobile"),
        ("۰۹۱۳ ۱۲۳ ۴۵۶۷", "+989131234567", "mobile"),  # Persian digits and spaces
        ("٠٩١٣-١٢٣-٤٥٦٧", "+989131234567", "mobile"),  # Arabic-Indic digits and dashes
        ("00989131234567", "+989131234567", "mobile"),  # 00 international prefix
        ("+98 (0) 913 123 4567", "+989131234567", "mobile"),
        ("(031) 3664-5000", "+983136645000", "fixed"),  # Isfahan fixed line, brackets
        ("۰۳۱-۳۶۶۴۵۰۰۰", "+983136645000", "fixed"),
        ("+90 532 123 45 67", "+905321234567", "mobile"),
        ("+90 224 345 67 89", "+902243456789", "fixed"),
    ],
)
def test_phone_numbers_typed_any_common_way_become_e164_and_keep_the_raw_text(raw, e164, kind):
    assert phone(raw, "IR") == Phone(raw=raw.strip(), e164=e164, kind=kind)


def test_a_national_number_is_read_in_the_chambers_country():
    assert phone("0532 123 45 67", "TR").e164 == "+905321234567"


@pytest.mark.parametrize("raw", ["", "   ", "12345", "0913", "۰۹۱۳۱۲۳", "not a number", "+98 913 123 4567 999 9"])
def test_what_is_not_a_phone_number_is_refused_with_a_clear_message(raw):
    with pytest.raises(InvalidInput, match="phone number"):
        phone(raw, "IR")


@pytest.mark.parametrize(
    "given, code",
    [("IQ", "IQ"), ("iq", "IQ"), ("ARE", "AE"), ("are", "AE"), ("deu", "DE"), ("Germany", "DE"), ("آلمان", "DE"),
     ("عراق", "IQ"), ("Irak", "IQ"), ("ترکیه", "TR"), ("Türkiye", "TR"), ("چين", "CN"), ("Çin", "CN"), ("UK", "GB"),
     (" ru ", "RU"), ("افغانستان", "AF")],
)  # fmt: skip
def test_countries_by_alpha2_alpha3_or_name_in_four_languages(given, code):
    assert country(given) == code


@pytest.mark.parametrize("given", ["XX", "ZZZ", "Atlantis", ""])
def test_an_unknown_country_is_refused_saying_what_to_give(given):
    with pytest.raises(InvalidInput, match="country"):
        country(given)


def test_countries_keep_the_first_order_without_repeats():
    assert normalise.countries(["iq", "IRQ", "ae", "عراق"]) == ["IQ", "AE"]


@pytest.mark.parametrize(
    "variants",
    [
        ["İstanbul", "istanbul", "ISTANBUL", "Istanbul", "ıstanbul"],  # Turkish dotted and dotless i
        ["شرکت کیمیا", "شركت كيميا", "شرکت  کیمیا "],  # Arabic and Persian yeh/kaf, spaces
        ["بین‌المللی", "بینالمللی"],  # ZWNJ
        ["محمد", "مُحَمَّد", "محـــمد"],  # harakat and tatweel
        ["فاطمه", "فاطمة"],  # teh marbuta
        ["آزادی", "ازادی", "أزادی"],  # alef forms
        ["۱۲۳", "١٢٣", "123"],  # digits
        ["Gümrük", "GÜMRÜK", "gumruk"],
    ],
)
def test_spelling_variants_share_one_search_key(variants):
    keys = {search_key(v) for v in variants}
    assert len(keys) == 1, keys


def test_a_search_key_is_found_inside_the_key_of_a_longer_name():
    assert search_key("فرش دستباف") in search_key("شرکت فرش‌ دستباف اصفهان")
    assert search_key("anadolu") in search_key("ANADOLU TEKSTİL A.Ş.")


def test_membership_numbers_accept_persian_and_arabic_digits_and_are_canonical():
    assert membership_number("۱۴۰۵۰۰۱") == "1405001"
    assert membership_number(" ١٤٠٥ ٠٠١ ") == "1405001"
    assert membership_number("is-12a") == "IS-12A"


@pytest.mark.parametrize("raw", ["", "  ", "12/34", "شماره", "x" * 41])
def test_a_bad_membership_number_is_refused(raw):
    with pytest.raises(InvalidInput, match="membership number"):
        membership_number(raw)


def test_email_and_language():
    assert normalise.email(" Info@Farsh.EXAMPLE ") == "Info@farsh.example"
    assert normalise.email("") is None
    with pytest.raises(InvalidInput, match="e-mail"):
        normalise.email("info@farsh")
    assert normalise.language("FA") == "fa"
    assert normalise.language("Türkçe") == "tr"
    assert normalise.language(None) is None
    with pytest.raises(InvalidInput, match="fa, tr, en, ar"):
        normalise.language("de")
