"""A person's own account in Chromium: changing the password, switching between one's roles, and the lock-out
message after too many failed logins. Screenshots in Persian and Turkish are kept for a person to look at."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import screenshot, serve
from tests.console.conftest import PASSWORD, World


@pytest.fixture
def site(world: World) -> Iterator[World]:
    with serve(world.console) as url:
        world.url = url
        yield world


def log_in(page: Any, site: World, name: str, password: str = PASSWORD, *, user: str = "نام کاربری") -> None:
    page.goto(f"{site.url}/login")
    page.get_by_label(user).fill(name)
    page.get_by_label("گذرواژه" if user == "نام کاربری" else "Parola").fill(password)
    page.get_by_role("button", name="ورود").click()


def test_a_person_changes_the_password_and_logs_in_with_the_new_one_only(site: World, page) -> None:
    new = "یک گذرواژهٔ تازه و بلند"
    log_in(page, site, "s.ahmadi")
    page.wait_for_url(f"{site.url}/work")
    page.get_by_role("link", name="حساب من").click()
    page.get_by_label("گذرواژه فعلی").fill("not the password")
    page.get_by_label("گذرواژه جدید", exact=True).fill(new)
    page.get_by_label("تکرار گذرواژه جدید").fill(new)
    page.locator("#password-form").get_by_role("button", name="ثبت").click()
    assert page.locator("[role=alert]").count() == 1  # the wrong current password is refused, nothing changed
    page.get_by_label("گذرواژه فعلی").fill(PASSWORD)
    page.get_by_label("گذرواژه جدید", exact=True).fill(new)
    page.get_by_label("تکرار گذرواژه جدید").fill(new)
    page.locator("#password-form").get_by_role("button", name="ثبت").click()
    assert page.locator("[role=status]").inner_text() == "گذرواژه شما تغییر کرد؛ نشست‌های دیگر شما بسته شد."
    assert page.locator("#acting-unit").inner_text() == "امور بازرگانی"
    screenshot(page, "console-password-changed-fa")
    history = [e["type"] for e in site.directory.history("s.ahmadi")]
    assert history.count("user.password_changed") == 1
    page.context.clear_cookies()
    log_in(page, site, "s.ahmadi")  # the old password no longer works
    assert page.locator("[role=alert]").count() == 1 and page.url.startswith(f"{site.url}/login")
    log_in(page, site, "s.ahmadi", new)
    page.wait_for_url(f"{site.url}/work")


def test_a_person_with_two_roles_switches_and_the_menu_follows(site: World, page) -> None:
    site.directory.change("f.alavi", by="operator", roles=["unit_manager", "expert"], language="tr")
    log_in(page, site, "f.alavi")
    page.wait_for_url(f"{site.url}/work")
    assert page.locator("#acting-role").inner_text() == "Birim müdürü"
    assert page.locator("#acting-unit").inner_text() == "Trade and commerce"  # the unit's name, not its id
    assert page.get_by_role("link", name="Birim listesi").count() == 1
    screenshot(page, "console-role-unit-manager-tr")
    page.select_option("#role-switch", "expert")
    page.locator("#role-switch").locator("xpath=..").get_by_role("button").click()
    page.wait_for_url(f"{site.url}/work")
    assert page.locator("#acting-role").inner_text() == "Uzman"
    assert page.get_by_role("link", name="Birim listesi").count() == 0  # the unit list is a manager's page
    screenshot(page, "console-role-expert-tr")
    last = [(e["type"], e["data"]) for e in site.directory.history("f.alavi")][-2:]
    assert last == [("user.logged_in", {"role": "expert"}), ("user.logged_out", {})]  # new session, old one ended


def test_a_locked_out_person_sees_the_lock_message(site: World, page) -> None:
    for _ in range(5):
        log_in(page, site, "m.karimi", "wrong password!")
    log_in(page, site, "m.karimi")  # even the right password is refused while the name is locked
    message = page.locator("[role=alert]").inner_text()
    assert message == "ورودهای ناموفق زیاد بود: این نام کاربری مدتی قفل است.", message
    assert page.url.startswith(f"{site.url}/login")
    screenshot(page, "console-locked-out-fa")
