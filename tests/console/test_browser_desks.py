"""A desk's day in Chromium: member services record attendance and the decision from the desk's page, and the
member-services manager reviews the minutes; screenshots in Persian and Turkish are kept for a person to look at."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.auth import Role
from tests.browser import screenshot, serve
from tests.console.conftest import PASSWORD, World
from tests.console.test_browser_account import log_in


@pytest.fixture
def site(world: World) -> Iterator[World]:
    with serve(world.console) as url:
        world.url = url
        yield world


def test_member_services_record_the_desk_s_day_in_persian_and_the_manager_reviews_in_turkish(
    site: World, page, token_store, clock
) -> None:
    from tests.desks.test_api import STARTS_AT, announced, registration

    desks = site.services["desks"]
    ms = {"Authorization": f"Bearer {token_store.create('l.moradi', Role.MS_EXPERT)}"}
    headers = {**site.who, "ms_expert": ms}
    headers["ms_manager"] = {"Authorization": f"Bearer {token_store.create('p.nouri', Role.MS_MANAGER)}"}
    desk = announced(desks, headers)
    for name in ("علی رضایی", "بهار احمدی"):
        body = {**registration(name), "problem": "کالا در گمرک مانده است"}
        assert desks.post(f"/desks/{desk}/registrations", json=body, headers=ms).is_success
    site.directory.add("l.moradi", ["member_services_expert"], by="operator", password=PASSWORD)
    site.directory.add("p.nouri", ["member_services_manager"], by="operator", password=PASSWORD, language="tr")
    clock.now = STARTS_AT
    log_in(page, site, "l.moradi")
    page.wait_for_url(f"{site.url}/work")
    page.goto(f"{site.url}/desks/{desk}")
    assert page.locator("#desk-stage").inner_text() == "اطلاع‌رسانی شده"
    page.locator("#attendance-1").get_by_role("button", name="آمد").click()
    page.wait_for_url(f"{site.url}/desks/{desk}?saved=1#form-1")
    page.locator("#attendance-2").get_by_role("button", name="نیامد").click()
    page.wait_for_url(f"{site.url}/desks/{desk}?saved=1#form-2")
    assert page.locator("#form-1").get_by_text("آمد").count() == 1
    page.locator("#decision-1").fill("گمرک کالا را با ضمانت‌نامه آزاد کند")
    page.locator("#form-1").get_by_role("button", name="ثبت").click()
    page.wait_for_url(f"{site.url}/desks/{desk}?saved=1#form-1")
    assert page.locator("#step-minutes-review").count() == 0  # the manager reviews the minutes
    screenshot(page, "console-desk-day-fa")
    page.context.clear_cookies()
    log_in(page, site, "p.nouri")
    page.wait_for_url(f"{site.url}/work")
    page.goto(f"{site.url}/desks/{desk}")
    assert page.locator("#desk-stage").inner_text() == "yapıldı"
    review = page.locator("#step-minutes-review")
    review.get_by_label("Not").fill("Tüm formlar karara bağlandı")
    screenshot(page, "console-desk-minutes-tr")
    review.get_by_role("button").click()
    page.wait_for_url(f"{site.url}/desks/{desk}?saved=1#desk-steps")
    assert page.locator("#desk-stage").inner_text() == "tutanak gözden geçirildi"
    assert page.locator("#step-minutes-send").count() == 1  # the manager also runs the desk: sending is next
    screenshot(page, "console-desk-minutes-reviewed-tr")
    assert desks.get(f"/desks/{desk}", headers=ms).json()["minutes"]["reviewed"]["by"] == "p.nouri"
