"""The local mailbox as a unit manager reads it in a browser: the notifier sends the end-of-day list over SMTP to
the local mail server, and Chromium opens the box, then the Persian list, right to left."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from services.notifications.channels import SmtpChannel
from services.notifications.main import create_app
from shared.settings import NotificationSettings
from tests.browser import screenshot, serve
from tests.notifications.helpers import end_of_day


@pytest.fixture
def app(settings, clock, smtp_port) -> FastAPI:
    channel = SmtpChannel(NotificationSettings(smtp_port=smtp_port))
    return create_app(settings, clock=clock, relay=False, channels={"email": channel})


def test_the_unit_manager_reads_his_end_of_day_list_in_the_mailbox_page(app, client, tokens, clock, chromium):
    notifier = client.app.state.notifier
    notifier.take([end_of_day("trade", "f.alavi", n=2)])
    assert notifier.dispatch(clock())["delivered"] == 1
    context = chromium.new_context(
        viewport={"width": 1280, "height": 860}, locale="fa-IR", extra_http_headers=tokens["unit_manager"]
    )
    page = context.new_page()
    try:
        with serve(app, lifespan=False) as url:
            page.goto(f"{url}/mailbox?format=html")
            boxes = page.locator("li a")
            assert boxes.all_inner_texts() == ["f.alavi@example.org"]  # his own box only
            boxes.first.click()
            page.locator("li a").first.click()
            assert page.locator("html").get_attribute("dir") == "rtl"
            text = page.locator(".text").inner_text()
            assert "Caller 0 (+989131234560): Export licence" in text and "مهلت تماس برگشتی" in text
            assert page.locator("h1").inner_text() == "فهرست پایان روز 1405/08/30: 2 تماس بی‌پاسخ در امور بازرگانی"
            screenshot(page, "notifications-mailbox-end-of-day-fa")
    finally:
        context.close()
