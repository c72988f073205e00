"""A person chooses in the console which optional messages to get and by which channel: the choice is an event of
the account, on the console's topic, and the notifications service follows it (the organisation file's
`queue_mail` only until the person chooses)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from services.notifications.application import Notifier
from shared.relay import EnvelopeMapper
from tests.browser import screenshot, serve
from tests.console.conftest import World
from tests.console.test_browser_account import log_in
from tests.notifications.helpers import event


@pytest.fixture
def site(world: World) -> Iterator[World]:
    with serve(world.console) as url:
        world.url = url
        yield world


def relay_console(world: World, notifier: Notifier) -> None:
    """What the console's relay publishes, handed to the notifier as its consumer of the console's topic would."""
    book = world.directory.book
    mapper = EnvelopeMapper(book)
    notifier.take([mapper(n) for n in book.recorder.select_notifications(0, 100_000, inclusive_of_start=False)])


def unanswered(expert: str, n: int) -> Any:
    return event(
        "crm.calls.call.unanswered_registered.v1",
        {
            "unit": "trade",
            "expert": expert,
            "contact_phone": f"+98913111222{n}",
            "contact_name": None,
            "subject": None,
            "by": None,
            "at": "2026-11-21T07:00:00+00:00",
            "callback_due": "2026-11-22T07:00:00+00:00",
            "automatic": True,
            "pbx_event_id": f"x{n}",
        },
    )


def queue_mails(notifier: Notifier) -> list[dict[str, Any]]:
    found, _ = notifier.search(kind="queue_item", recipient="s.ahmadi")
    return found


def choose(page: Any, site: World, legend: str, channel: str) -> None:
    page.goto(f"{site.url}/password")
    page.locator("fieldset", has_text=legend).get_by_label(channel).check()
    page.locator("#notification-choices").get_by_role("button").click()
    page.wait_for_url(f"{site.url}/password?chosen=1")


def test_a_person_turns_the_queue_mail_off_and_on_again_in_the_console(site: World, page) -> None:
    notifier: Notifier = site.services["notifications"].app.state.notifier
    relay_console(site, notifier)
    assert notifier.take([unanswered("s.ahmadi", 1)]) == 1  # the organisation file's queue_mail = true
    log_in(page, site, "s.ahmadi")
    page.wait_for_url(f"{site.url}/work")
    page.get_by_role("link", name="حساب من").click()
    queue = page.locator("fieldset", has_text="تماس برگشتی تازه در صف من")
    assert queue.get_by_label("رایانامه").is_checked()  # what the organisation file gives until the person chooses
    assert page.locator("fieldset", has_text="گزارش‌های هفتگی").count() == 0  # an expert gets no weekly reports
    choose(page, site, "تماس برگشتی تازه در صف من", "هیچ")
    assert page.locator("[role=status]").inner_text() == "انتخاب پیام‌های شما ثبت شد."
    assert page.locator("fieldset", has_text="تماس برگشتی تازه در صف من").get_by_label("هیچ").is_checked()
    screenshot(page, "console-notifications-fa")
    relay_console(site, notifier)
    assert notifier.take([unanswered("s.ahmadi", 2)]) == 0  # turned off: nothing is asked for
    assert len(queue_mails(notifier)) == 1
    choose(page, site, "تماس برگشتی تازه در صف من", "رایانامه")
    relay_console(site, notifier)
    assert notifier.take([unanswered("s.ahmadi", 3)]) == 1  # on again
    [newest, _] = queue_mails(notifier)
    assert newest["channel"] == "email" and newest["address"] == "s.ahmadi@example.org"
    history = [e for e in site.directory.history("s.ahmadi") if e["type"] == "user.notifications_chosen"]
    assert [e["data"]["choices"]["queue_item"] for e in history] == ["none", "email"]
    assert all(e["by"] == "s.ahmadi" for e in history)


def test_the_sg_chooses_the_reports_by_sms_in_turkish(site: World, page) -> None:
    site.directory.change("sg", by="operator", language="tr", phone="+905321234567")
    log_in(page, site, "sg")
    page.wait_for_url(f"{site.url}/work")
    page.goto(f"{site.url}/password")
    reports = page.locator("fieldset", has_text="Haftalık ve aylık raporlar")
    assert reports.get_by_label("E-posta").is_checked()
    reports.get_by_label("SMS").check()
    page.locator("fieldset", has_text="Beni bekleyen şikâyet adımı").get_by_label("E-posta").check()
    page.locator("#notification-choices").get_by_role("button").click()
    page.wait_for_url(f"{site.url}/password?chosen=1")
    assert page.locator("[role=status]").inner_text() == "Mesaj tercihiniz kaydedildi."
    screenshot(page, "console-notifications-tr")
    assert site.directory.get("sg").notifications == {
        "queue_item": "none",
        "complaint_step": "email",
        "weekly_reports": "sms",
    }


def test_a_channel_that_does_not_exist_is_refused_and_nothing_is_recorded(world: World) -> None:
    from fastapi.testclient import TestClient

    from tests.console.conftest import log_in as log_in_form

    with TestClient(world.console, base_url="https://testserver", follow_redirects=False) as browser:
        csrf = log_in_form(browser, "s.ahmadi")
        refused = browser.post(
            "/account/notifications", data={"csrf": csrf, "queue_item": "pigeon", "complaint_step": "none"}
        )
        assert refused.status_code == 422 and 'role="alert"' in refused.text
        assert world.directory.get("s.ahmadi").notifications == {}
