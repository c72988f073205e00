"""The one-time online link as a member uses it: Chromium on a phone-sized screen opens the link from an SMS, in
Persian right to left and in Turkish, answers and sends; the same link cannot be answered a second time."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser import screenshot, serve
from tests.surveys.conftest import member_event
from tests.surveys.test_online_link import links_of

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def running(client, headers, project) -> str:
    client.post(f"/surveys/{project}/members", json={"numbers": ["12-1", "12-2"]}, headers=headers["unit_manager"])
    client.post(f"/surveys/{project}/members/approve", headers=headers["mr_manager"])
    assert client.post(f"/surveys/{project}/start", headers=headers["mr_manager"]).status_code == 200
    return project


@pytest.fixture
def phone(chromium) -> Iterator[object]:
    """A phone's screen: 390×844 CSS pixels, touch, at a phone's pixel ratio."""
    context = chromium.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


def fits_the_screen(page) -> None:
    """Nothing sticks out sideways: a phone user never scrolls left and right to answer."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for box in page.locator("label, button, textarea").all():
        b = box.bounding_box()
        assert b is not None and b["x"] >= 0 and b["x"] + b["width"] <= PHONE["width"] + 0.5
        assert b["height"] >= 40  # a fingertip's target


def test_a_member_answers_the_link_on_a_phone_in_persian_once(app, client, headers, running, phone):
    link = links_of(client, headers, running)["12-1"]
    with serve(app, lifespan=False) as url:
        phone.goto(url + link)
        assert phone.locator("html").get_attribute("dir") == "rtl"
        assert phone.locator("html").get_attribute("lang") == "fa"
        assert "رضایت کلی" in phone.content()
        fits_the_screen(phone)
        # Right to left: the scale's five points in one row, 1 on the right-hand side.
        first, last = (phone.locator("input[name=overall]").nth(i).bounding_box() for i in (0, 4))
        assert first["x"] > last["x"] and first["y"] == last["y"]
        # The page's own fonts (not the browser's serif default): the stylesheet's font list reaches the browser.
        assert "Vazirmatn" in phone.evaluate("getComputedStyle(document.body).fontFamily")
        # A question worded only in Turkish keeps its question mark at its end, inside the Persian page.
        assert phone.locator("#q-recommend").evaluate("e => getComputedStyle(e).direction") == "ltr"
        screenshot(phone, "surveys-link-phone-fa")
        # The same link opened in a second tab before answering: its form is sent after the first one.
        stale = phone.context.new_page()
        stale.goto(url + link)
        phone.check("input[name=overall][value='2']")
        phone.check("input[name=recommend][value=no]")
        phone.fill("textarea[name=comments]", "پاسخگویی کند بود")
        phone.click("button[type=submit]")
        assert "پاسخ‌های شما ثبت شد" in phone.content()
        screenshot(phone, "surveys-link-phone-fa-thanks")
        stale.check("input[name=overall][value='5']")
        stale.click("button[type=submit]")
        assert "پیش‌تر ثبت شده" in stale.content() and stale.locator("form").count() == 0
        screenshot(stale, "surveys-link-phone-fa-again")
        # Opened again later: answered already, no form.
        phone.goto(url + link)
        assert "پیش‌تر ثبت شده" in phone.content() and phone.locator("form").count() == 0
    contact = client.get(f"/surveys/{running}/contacts/12-1", headers=headers["expert"]).json()
    assert contact["channel"] == "link"
    assert contact["answers"] == {"overall": 2, "recommend": False, "comments": "پاسخگویی کند بود"}


def test_a_member_who_prefers_turkish_answers_on_a_phone_left_to_right(app, client, headers, running, phone):
    app.state.roster.apply([member_event("m-2", "12-2", preferred_language="tr")])
    link = links_of(client, headers, running)["12-2"]
    with serve(app, lifespan=False) as url:
        phone.goto(url + link)
        assert phone.locator("html").get_attribute("dir") == "ltr"
        assert phone.locator("html").get_attribute("lang") == "tr"
        assert "Tavsiye eder misiniz?" in phone.content()
        fits_the_screen(phone)
        first, last = (phone.locator("input[name=overall]").nth(i).bounding_box() for i in (0, 4))
        assert first["x"] < last["x"] and first["y"] == last["y"]
        assert "Noto Sans" in phone.evaluate("getComputedStyle(document.body).fontFamily")
        screenshot(phone, "surveys-link-phone-tr")
        phone.click("button[type=submit]")  # nothing answered: the form again, with the reason
        assert "en az bir soruyu" in phone.content()
        phone.check("input[name=overall][value='5']")
        phone.check("input[name=recommend][value=yes]")
        phone.click("button[type=submit]")
        assert "Yanıtlarınız kaydedildi" in phone.content()
        screenshot(phone, "surveys-link-phone-tr-thanks")
        phone.goto(url + link)
        assert "daha önce kaydedildi" in phone.content()
    contact = client.get(f"/surveys/{running}/contacts/12-2", headers=headers["expert"]).json()
    assert contact["answers"] == {"overall": 5, "recommend": True} and contact["channel"] == "link"
