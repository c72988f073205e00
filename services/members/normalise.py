"""Pure normalisation of what people type into the member database: phone numbers, countries, names, digits.

Members' records come from Persian, Arabic and Turkish keyboards and from old spreadsheets: digits may be Persian
(۰-۹) or Arabic-Indic (٠-٩), the same name may be typed with Arabic or Persian yeh and kaf, with or without the
zero-width non-joiner, and Turkish capitals carry a dot that Python's case folding does not drop. Everything that
is stored or searched goes through here, so the same text always gives the same key.
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
import pycountry

from shared.errors import InvalidInput
from shared.phones import ascii_digits, e164, parse_phone, valid_number

PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"

# Letters that Arabic and Persian keyboards write differently for the same name, and marks that do not change it.
_LETTERS = {
    "ي": "ی",  # Arabic yeh -> Persian yeh
    "ى": "ی",  # alef maksura
    "ئ": "ی",
    "ك": "ک",  # Arabic kaf -> Persian kaf
    "ة": "ه",  # teh marbuta
    "ۀ": "ه",  # heh with yeh above (ezafe)
    "ە": "ه",
    "ہ": "ه",
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "ؤ": "و",
    "ı": "i",  # Turkish dotless i: "ISTANBUL" lowered the Turkish way is "ıstanbul"
    "\u200c": "",  # zero-width non-joiner (نیم‌فاصله)
    "\u200d": "",  # zero-width joiner
    "\u200e": "",  # left-to-right mark
    "\u200f": "",  # right-to-left mark
    "\u0640": "",  # tatweel (kashida)
    "\ufeff": "",  # byte-order mark / zero-width no-break space
}
_LETTERS_TABLE = str.maketrans(
    {
        **_LETTERS,
        **{c: str(i) for i, c in enumerate(PERSIAN_DIGITS)},
        **{c: str(i) for i, c in enumerate(ARABIC_DIGITS)},
    }
)
_SPACES = re.compile(r"\s+")


def search_key(text: str | None) -> str:
    """The form of a name under which spelling variants meet: "شركة كيميا" and "شرکت کیمیا", "می‌خواهم" and
    "میخواهم", "İstanbul", "istanbul" and "ISTANBUL", "Gümrük" and "gumruk", "۱۲۳" and "123".

    Arabic diacritics (harakat), Latin accents and the dot of Turkish İ are combining marks after decomposition,
    so they are all dropped in one step.
    """
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_LETTERS_TABLE)
    decomposed = unicodedata.normalize("NFKD", folded)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c) and unicodedata.category(c) != "Mn")
    # Decomposition can uncover letters of the table again (ئ -> ي + hamza).
    key = unicodedata.normalize("NFC", stripped).translate(_LETTERS_TABLE)
    return _SPACES.sub(" ", key).strip()


def clean_text(text: str | None) -> str | None:
    """A free-text field as stored: NFC, ASCII digits left as typed, outer and repeated whitespace removed;
    None when nothing is left."""
    if text is None:
        return None
    cleaned = _SPACES.sub(" ", unicodedata.normalize("NFC", text).replace("\ufeff", "")).strip()
    return cleaned or None


# -- membership numbers ---------------------------------------------------------------------------------------
_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9_.-]{0,39}$")


def membership_number(raw: str | None) -> str:
    """The chamber's membership number in one canonical form: ASCII digits, upper case, no spaces."""
    text = ascii_digits(unicodedata.normalize("NFKC", raw or "")).strip().upper()
    text = re.sub(r"\s+", "", text)
    if not text:
        raise InvalidInput("the membership number is missing")
    if not _NUMBER.match(text):
        raise InvalidInput(
            f"{raw!r} is not a membership number (letters, digits and _ . - only, at most 40 characters)"
        )
    return text


# -- phone numbers --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Phone:
    """A phone number as the member gave it (raw) and as it is dialled (E.164)."""

    raw: str
    e164: str
    kind: str  # mobile | fixed | other

    def as_dict(self) -> dict[str, str]:
        return {"raw": self.raw, "e164": self.e164, "kind": self.kind}


_PHONE_NOISE = re.compile(r"[\s\-–—.()\[\]/\u200c\u200e\u200f]")
_PHONE_TEXT = re.compile(r"(\+|00)?\d{4,17}")
_KINDS = {
    phonenumbers.PhoneNumberType.MOBILE: "mobile",
    phonenumbers.PhoneNumberType.FIXED_LINE: "fixed",
}


def phone(raw: str | None, region: str = "IR") -> Phone:
    """Parse a phone number typed any common way: Persian or Arabic digits, spaces, dashes, brackets, the 00
    international prefix, a national number of the chamber's country (`region`). Raises InvalidInput."""
    original = (raw or "").strip()
    if not original:
        raise InvalidInput("the phone number is empty")
    text = _PHONE_NOISE.sub("", ascii_digits(unicodedata.normalize("NFKC", original)))
    if not _PHONE_TEXT.fullmatch(text):
        raise InvalidInput(f"{original!r} is not a phone number")
    quick = valid_number(text, region)  # most numbers: the same answer as below, without phonenumbers' parse
    if quick is not None:
        return Phone(raw=original, e164=quick[0], kind=_KINDS.get(quick[1], "other"))
    parsed = parse_phone(text, region)
    if parsed is None:
        raise InvalidInput(f"{original!r} is not a phone number")
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidInput(
            f"{original!r} is not a valid phone number (checked as a number of {region} unless it starts with + or 00)"
        )
    number = e164(parsed)
    kind = _KINDS.get(phonenumbers.number_type(parsed), "other")
    return Phone(raw=original, e164=number, kind=kind)


def e164_or_none(raw: str | None, region: str = "IR") -> str | None:
    try:
        return phone(raw, region).e164
    except InvalidInput:
        return None


# -- countries ------------------------------------------------------------------------------------------------
# Names people write that are neither ISO codes nor ISO names in any language pycountry ships.
_COUNTRY_ALIASES = {
    "uk": "GB",
    "uae": "AE",
    "bae": "AE",
    "turkey": "TR",
    "turkiye": "TR",
    "ترکیه": "TR",
    "روسیه": "RU",
    "rusya": "RU",
    "russia": "RU",
    "امارات": "AE",
    "ایران": "IR",
    "iran": "IR",
    "کره جنوبی": "KR",
    "south korea": "KR",
    "güney kore": "KR",
    "سوریه": "SY",
    "syria": "SY",
    "ونزوئلا": "VE",
}


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    """search_key(name in English, Persian, Turkish or Arabic) -> alpha-2."""
    names: dict[str, str] = {}
    translations = []
    for language in ("fa", "tr", "ar"):
        try:
            translations.append(gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language]))
        except OSError:  # a pycountry build without that locale: English names still work
            continue
    for c in pycountry.countries:
        english = [c.name, getattr(c, "common_name", None), getattr(c, "official_name", None)]
        for name in english:
            if name:
                names.setdefault(search_key(name), c.alpha_2)
                for t in translations:
                    names.setdefault(search_key(t.gettext(name)), c.alpha_2)
    for alias, code in _COUNTRY_ALIASES.items():
        names[search_key(alias)] = code
    return names


@lru_cache(maxsize=4096)  # an import names the same few dozen countries on every row
def country(code_or_name: str | None) -> str:
    """ISO 3166-1 alpha-2 code of a country given by its alpha-2 or alpha-3 code (any case) or its name in
    English, Persian, Turkish or Arabic. Raises InvalidInput for anything else."""
    text = (code_or_name or "").strip()
    if not text:
        raise InvalidInput("the country is empty")
    upper = ascii_digits(text).upper()
    if re.fullmatch(r"[A-Z]{2}", upper):
        found = pycountry.countries.get(alpha_2=upper)
        if found:
            return found.alpha_2
        if upper == "UK":
            return "GB"
    elif re.fullmatch(r"[A-Z]{3}", upper):
        found = pycountry.countries.get(alpha_3=upper)
        if found:
            return found.alpha_2
    code = _country_names().get(search_key(text))
    if code:
        return code
    raise InvalidInput(
        f"unknown country {text!r}: give its ISO 3166 alpha-2 or alpha-3 code (IQ, ARE, TR...) or its name"
    )


def countries(values: list[str] | None) -> list[str]:
    """Alpha-2 codes in the order first given, without repeats."""
    return list(dict.fromkeys(country(v) for v in (values or []) if v and v.strip()))


# -- e-mail and language --------------------------------------------------------------------------------------
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")


def email(raw: str | None) -> str | None:
    text = (raw or "").strip()
    if not text:
        return None
    if not _EMAIL.match(text) or ".." in text:
        raise InvalidInput(f"{text!r} is not an e-mail address")
    local, domain = text.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


LANGUAGES = ("fa", "tr", "en", "ar")
_LANGUAGE_ALIASES = {
    "persian": "fa", "farsi": "fa", "فارسی": "fa", "farsça": "fa",
    "turkish": "tr", "türkçe": "tr", "ترکی": "tr",
    "english": "en", "ingilizce": "en", "انگلیسی": "en",
    "arabic": "ar", "arapça": "ar", "عربی": "ar", "العربية": "ar",
}  # fmt: skip


def language(raw: str | None) -> str | None:
    text = (raw or "").strip()
    if not text:
        return None
    lowered = text.casefold()
    if lowered in LANGUAGES:
        return lowered
    code = _LANGUAGE_ALIASES.get(lowered)
    if code:
        return code
    raise InvalidInput(f"preferred language {text!r} is not one of {', '.join(LANGUAGES)}")
