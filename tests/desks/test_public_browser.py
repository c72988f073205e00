"""The public registration page as a member sees it: Chromium opens the chamber's page, fills the form
MM-FR-02-05-01 and gets a slot, then the waiting list."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.desks.main import create_app
from shared.settings import Settings
from tests.browser import screenshot, serve
from tests.desks import helpers
from tests.desks.test_api import announced


def test_a_member_registers_in_the_browser_and_gets_a_slot_then_the_waiting_list(app, client, headers, page):
    desk = announced(client, headers)
    with serve(app, lifespan=False) as url:
        page.goto(f"{url}/public/desks")
        assert page.locator("html").get_attribute("dir") == "rtl"
        page.click(f"a[href='/public/desks/{desk}']")
        page.fill("[name=member_name]", "علی رحمانی")
        page.fill("[name=phone]", "09131234567")
        page.fill("[name=problem]", "ترخیص کالا در گمرک")
        screenshot(page, "desks-public-form-fa")
        page.click("button[type=submit], input[type=submit]")
        assert "1405/09/04 09:00" in page.content()
        screenshot(page, "desks-public-registered-fa")
        for name in ("Bahar", "Cyrus"):
            page.goto(f"{url}/public/desks/{desk}")
            page.fill("[name=member_name]", name)
            page.fill("[name=phone]", "09131234568")
            page.fill("[name=problem]", "مالیات")
            page.click("button[type=submit], input[type=submit]")
        assert "فهرست انتظار" in page.content()  # capacity 2: the third waits
    forms = client.get(f"/desks/{desk}", headers=headers["ms_expert"]).json()["forms"]
    assert [f["member_name"] for f in forms] == ["علی رحمانی", "Bahar", "Cyrus"]
    assert forms[0]["channel"] == "public_page" and forms[2]["slot_start"] is None


def register_in_browser(page, url: str, desk: str, name: str, problem: str = "ترخیص کالا در گمرک") -> str:
    page.goto(f"{url}/public/desks/{desk}")
    page.fill("[name=member_name]", name)
    page.fill("[name=phone]", "09131234567")
    page.fill("[name=problem]", problem)
    page.click("button[type=submit]")
    return page.locator("[role=status]").inner_text()


def test_the_waiting_list_moves_up_when_the_staff_cancel_and_the_final_list_shows_it(
    app, client, headers, page, chromium
):
    desk = announced(client, headers)  # capacity 2
    with serve(app, lifespan=False) as url:
        for name in ("Ali", "Bahar"):
            assert "09:" in register_in_browser(page, url, desk, name)
        waiting = register_in_browser(page, url, desk, "Cyrus")
        assert "فهرست انتظار" in waiting
        # The member-services expert cancels Ali's registration, as the staff do, through the API.
        cancelled = client.post(
            f"/desks/{desk}/registrations/1/cancel", json={"reason": "solved meanwhile"}, headers=headers["ms_expert"]
        )
        assert cancelled.status_code == 200, cancelled.text
        # The expert prints the final list for the agency's representative: Cyrus now has Ali's slot.
        staff = chromium.new_context(extra_http_headers=headers["ms_expert"], locale="fa-IR")
        try:
            listing = staff.new_page()
            listing.goto(f"{url}/desks/{desk}/final-list?format=html")
            rows = listing.locator("tbody tr")
            assert rows.count() == 2
            text = " ".join(rows.nth(i).inner_text() for i in range(2))
            assert "Cyrus" in text and "Bahar" in text and "Ali" not in text
            assert "None" not in text  # a member registered without a company shows an empty cell
            assert "09:00" in rows.nth(0).inner_text() and "Cyrus" in rows.nth(0).inner_text()
            screenshot(listing, "desks-final-list-after-cancellation")
        finally:
            staff.close()
    record = client.get(f"/desks/{desk}", headers=headers["ms_expert"]).json()
    assert record["waiting_list"] == [] and [f["state"] for f in record["forms"]] == ["cancelled", *["scheduled"] * 2]


@pytest.fixture
def turkish_app(tmp_path, clock, door, complaints_door):
    settings = Settings(data_dir=tmp_path / "tr", relay_embedded=False, chamber="TR")
    return create_app(settings, clock=clock, relay=False, open_action=door, open_complaint=complaints_door)


def test_the_turkish_chamber_page_is_turkish_left_to_right_and_registers_in_turkish(turkish_app, chromium):
    office = turkish_app.state.office
    # Wednesday 25 November 2026, 09:00 in Istanbul.
    desk = helpers.announced(office, starts_at=datetime(2026, 11, 25, 6, 0, tzinfo=UTC), capacity=2)
    context = chromium.new_context(viewport={"width": 1280, "height": 860}, locale="tr-TR")
    try:
        page = context.new_page()
        with serve(turkish_app) as url:
            page.goto(f"{url}/public/desks")
            html = page.locator("html")
            assert html.get_attribute("lang") == "tr" and html.get_attribute("dir") == "ltr"
            assert page.locator("h1").inner_text() == "Hizmet masası kaydı"
            assert "Gümrük" in page.locator(".desks").inner_text()
            page.click(f"a[href='/public/desks/{desk}']")
            for field, label in (("member_name", "Ad soyad"), ("phone", "Cep telefonu"), ("problem", "Sorunun")):
                assert label in page.locator(f"label[for={field}]").inner_text()
            page.fill("[name=member_name]", "Ayşe Demir")
            page.fill("[name=phone]", "+90 532 123 45 67")
            page.fill("[name=problem]", "İhracat sevkiyatı gümrükte bekliyor")
            screenshot(page, "desks-public-form-tr")
            page.click("button[type=submit]")
            status = page.locator("[role=status]").inner_text()
            assert status.startswith("Kaydınız alındı") and "09:00" in status
            screenshot(page, "desks-public-registered-tr")
            [form] = office.record(desk)["forms"]  # while the app runs: its shutdown closes the store
    finally:
        context.close()
    assert form["member_name"] == "Ayşe Demir" and form["language"] == "tr" and form["channel"] == "public_page"


def test_on_a_phone_the_page_fits_the_screen_and_stays_readable(app, client, headers, chromium):
    desk = announced(client, headers)
    context = chromium.new_context(
        viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True, locale="fa-IR"
    )
    try:
        page = context.new_page()
        with serve(app, lifespan=False) as url:
            for path in ("/public/desks", f"/public/desks/{desk}"):
                page.goto(f"{url}{path}")
                # Nothing runs past the screen: no sideways scrolling, on a right-to-left page either.
                assert page.evaluate("document.documentElement.scrollWidth") <= 360
            for field in ("member_name", "company", "member_id", "phone", "problem"):
                box = page.locator(f"[name={field}]").bounding_box()
                assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360, field
                assert page.locator(f"label[for={field}]").is_visible(), field
                # 16px at least, or the phone zooms in on focus.
                size = page.locator(f"[name={field}]").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
                assert size >= 16, field
            button = page.locator("button[type=submit]").bounding_box()
            assert button is not None and button["height"] >= 44  # a thumb can hit it
            assert not page.locator(".hp").is_visible() or page.locator(".hp").bounding_box()["width"] <= 1
            screenshot(page, "desks-public-form-phone")
            page.fill("[name=member_name]", "علی رحمانی")
            page.fill("[name=phone]", "09131234567")
            page.fill("[name=problem]", "ترخیص کالا")
            page.click("button[type=submit]")
            assert page.locator("[role=status]").is_visible()
            assert page.evaluate("document.documentElement.scrollWidth") <= 360
            screenshot(page, "desks-public-registered-phone")
    finally:
        context.close()
