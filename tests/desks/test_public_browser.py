"""The public registration page as a member sees it: Chromium opens the chamber's page, fills the form
MM-FR-02-05-01 and gets a slot, then the waiting list."""

from __future__ import annotations

from tests.browser import screenshot, serve
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
