"""The console's words: a language's file names only words English has, and every complaint step the complaints
service names has its Persian and Turkish title."""

from __future__ import annotations

import pytest

from services.complaints.contract import CONTRACT
from services.complaints.views import STEP_TITLES
from services.console import locales
from services.console.locales import COMPLAINT_STEP_TITLES, complaint_step


@pytest.mark.parametrize("language", ["fa", "tr"])
def test_every_complaint_step_has_a_title_in_the_language(language: str) -> None:
    assert set(COMPLAINT_STEP_TITLES[language]) == set(STEP_TITLES)
    for wire_type in CONTRACT.wire_types:
        name = CONTRACT.events[wire_type].rsplit(".", 1)[1]
        if wire_type.startswith("crm.complaints.complaint."):
            english = STEP_TITLES[name]
            assert complaint_step(language, wire_type, english) == COMPLAINT_STEP_TITLES[language][name] != english


def test_english_and_unknown_steps_keep_the_service_s_title() -> None:
    decided = "crm.complaints.complaint.decided.v1"
    assert complaint_step("en", decided, "Decision of the secretary general") == "Decision of the secretary general"
    assert complaint_step("fa", "crm.complaints.complaint.something_new.v1", "Something new") == "Something new"
    assert complaint_step("tr", None, "Closed") == "Closed"
    assert complaint_step("tr", "crm.complaints.complaint.closed.v1", "Closed") == "Kapatıldı"


@pytest.mark.parametrize("language", ["fa", "tr"])
def test_each_language_file_names_only_words_english_has(language: str) -> None:
    """A word misspelt in a language's file would never be shown: the page would fall back to English."""
    assert len(locales.EN) > 100 and locales.WORDS[language].keys() == locales.EN.keys()
    assert set(locales.FA if language == "fa" else locales.TR) <= set(locales.EN)
    assert locales.words(language)["logout"] != locales.EN["logout"]
    assert locales.label(language, "call", "called_back") != locales.label("en", "call", "called_back") == "called back"


@pytest.mark.parametrize("language", ["fa", "tr", "en"])
def test_every_agency_a_desk_can_be_held_with_is_named_in_each_language(language: str) -> None:
    """Desk pages show the agency by name: a code such as `customs` on a Persian page is a word nobody chose."""
    from shared.settings import DEFAULT_AGENCIES

    names = {code: locales.label(language, "agency", code) for code in DEFAULT_AGENCIES}
    assert all(name != code for code, name in names.items()), names
    assert len(set(names.values())) == len(DEFAULT_AGENCIES)
    if language == "fa":
        assert names["customs"] == "گمرک"
