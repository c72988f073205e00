"""Every console page a Persian-speaking person opens reads in Persian: none of the console's own English words
(its English texts and labels) is left on it, and no unit is shown by its code instead of its name."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from services.console import access, locales
from tests.console.conftest import PEOPLE, World, log_in

# Words of the English texts that are not words a Persian page may show as they are (form codes, formats, ...)
KEPT = {"csv", "json", "sms", "crm", "html", "pdf"}


def english_words() -> set[str]:
    texts = [*locales.EN.values(), *locales.LABELS["en"].values()]
    words = {w.lower() for text in texts for w in re.findall(r"[A-Za-z]{3,}", text)}
    return words - KEPT


def visible_text(page: str) -> str:
    """What a person reads: the text between the tags, without scripts, styles and the language switch."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    # A service's own reason for a refusal is shown as the service gave it, under the console's Persian title
    page = re.sub(r'<bdi class="detail">.*?</bdi>', " ", page, flags=re.S)
    page = re.sub(r'<select id="language-switch".*?</select>', " ", page, flags=re.S)
    page = re.sub(r"<option [^>]*>[^<]*English[^<]*</option>", " ", page)
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    return re.sub(r"\S+@\S+", " ", text)  # addresses are the people's own, not the console's words


@pytest.fixture
def browser(world: World) -> Iterator[TestClient]:
    with TestClient(world.console, base_url="https://testserver", follow_redirects=False) as client:
        yield client


def test_every_page_of_every_persian_menu_has_no_english_word_and_no_unit_code(world: World, browser, settings):
    from services.notifications.mailbox import mailbox_folder
    from tests.calls.test_api import unanswered_call
    from tests.console.test_pages import _write_mail

    call_id = unanswered_call(world.services["calls"], world.who, expert="s.ahmadi")
    _write_mail(mailbox_folder(settings.data_dir), "f.alavi@example.org", "20261129T080000-a.eml", "فهرست", "۳ تماس")
    csrf = log_in(browser, "m.karimi")
    complaint = {"csrf": csrf, "channel": "in_person", "kind": "complaint", "complainant_name": "علی رضایی"}
    complaint |= {"unit": "trade", "description": "کارت بازرگانی صادر نشده است"}
    created = browser.post("/complaints", data=complaint)
    assert created.status_code == 303, created.text
    complaint_page = created.headers["location"].split("?")[0]
    english = english_words()
    codes = {u.id for u in settings.organisation.units} | {settings.organisation.member_relations_unit}
    found = []
    for name, (role, _unit, language) in PEOPLE.items():
        assert language == "fa"
        log_in(browser, name)
        paths = [access.HREFS[page] for page in access.menu(role)] + ["/password"]
        if name == "f.alavi":
            paths += [
                f"/calls/{call_id}",
                "/units?unit=trade",
                "/mailbox/mail/f.alavi@example.org/20261129T080000-a.eml",
            ]
            paths += ["/calls?state=unanswered", "/members/1001"]
        if name == "m.karimi":
            paths += [complaint_page]
        for path in paths:
            response = browser.get(path)
            assert (
                response.status_code in (200, 404) if path.startswith("/members/") else response.status_code == 200
            ), (
                name,
                path,
                response.status_code,
            )
            text = visible_text(response.text)
            if "/mailbox/mail/" in path:
                assert "فرستنده" in text and "گیرنده" in text  # the message's From and To, in Persian
            ascii_words = {w.lower() for w in re.findall(r"[A-Za-z_]{3,}", text)}
            for word in sorted(ascii_words & english):
                found.append(f"{name} {path}: English {word!r}")
            for code in sorted(codes):
                if re.search(rf"(?<![\w.@]){re.escape(code)}(?![\w.@])", text):
                    found.append(f"{name} {path}: unit code {code!r}")
    assert not found, "\n".join(found)
