"""A working day in the console, in Chromium: an expert, a unit manager, the member-relations manager and the SG log
in and do their work through the pages, against the real services running in-process (the console calls them
over HTTP with each person's own token). Screenshots in Persian and Turkish are kept for a person to look at."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from services.rebuild import replay
from tests.browser import screenshot, serve
from tests.calls.test_api import new_call, unanswered_call
from tests.console.conftest import PASSWORD, World
from tests.helpers import settle


@pytest.fixture
def day(world: World) -> Iterator[World]:
    with serve(world.console) as url:
        world.url = url
        yield world


Day = World


def report(day: Day) -> None:
    """What the reporting processor does on Kafka, done here at once: the calls' events into its read model."""
    replay(day.services["calls"].app.state.centre, day.services["reporting"].app.state.readmodel)


def log_in(page: Any, day: Day, name: str) -> None:
    page.goto(f"{day.url}/login")
    page.get_by_label("نام کاربری").fill(name)
    page.get_by_label("گذرواژه").fill(PASSWORD)
    page.get_by_role("button", name="ورود").click()
    page.wait_for_url(f"{day.url}/work")


def switch_language(page: Any, language: str) -> None:
    page.select_option("#language-switch", language)
    page.locator("#language-switch").locator("xpath=..").get_by_role("button").click()
    page.wait_for_load_state()


def test_an_expert_takes_a_callback_from_my_work_and_records_the_outcome(day: Day, page) -> None:
    calls = day.services["calls"]
    call_id = unanswered_call(calls, day.who, expert="s.ahmadi")
    settle(calls.app)
    log_in(page, day, "s.ahmadi")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.keyboard.press("Tab")  # the keyboard reaches the skip link first, then the menu
    assert page.evaluate("document.activeElement.className") == "skip"
    row = page.locator("#my-work tbody tr").first
    assert "تماس مجدد" in row.inner_text() and "تمدید کارت بازرگانی" in row.inner_text()
    assert any(ch in row.inner_text() for ch in "۰۱۲۳۴۵۶۷۸۹")  # deadline and time left in Persian digits
    screenshot(page, "console-expert-my-work-fa")
    row.get_by_role("link").click()
    assert page.locator("#call-state").get_attribute("data-state") == "unanswered"
    form = page.locator("#step-callback")
    form.get_by_label("نتیجه").select_option("resolved")
    form.get_by_label("یادداشت").fill("مدارک تمدید کارت به عضو اعلام شد")
    screenshot(page, "console-expert-callback-fa")
    form.get_by_role("button", name="ثبت").click()
    assert page.locator("[role=status]").inner_text() == "ثبت شد."
    assert "مدارک تمدید کارت به عضو اعلام شد" in page.locator("#call-path").inner_text()
    record = calls.get(f"/calls/{call_id}", headers=day.who["auditor"]).json()
    assert [(c["by"], c["outcome"]) for c in record["callbacks"]] == [("s.ahmadi", "resolved")]  # the expert's own
    switch_language(page, "tr")
    page.goto(f"{day.url}/work")
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert "İşlerim" in page.locator("h1").inner_text() and page.locator("#my-work").count() == 0
    screenshot(page, "console-expert-my-work-done-tr")


def test_a_unit_manager_sees_the_unit_list_with_the_callbacks_owed(day: Day, page) -> None:
    calls = day.services["calls"]
    unanswered_call(calls, day.who, expert="s.ahmadi")
    settle(calls.app)
    report(day)
    log_in(page, day, "f.alavi")
    page.get_by_role("link", name="فهرست واحدها").click()
    figures = page.locator("#unit-figures tbody tr", has_text="امور بازرگانی")  # the unit's name, not its code
    assert figures.locator("td").nth(3).inner_text() == "۱"  # one call left unanswered, in Persian digits
    queue = page.locator("#unit-queue")
    assert "s.ahmadi" in queue.inner_text() and "تمدید کارت بازرگانی" in queue.inner_text()
    screenshot(page, "console-unit-manager-units-fa")
    page.get_by_role("link", name="فهرست پایان روز").click()
    assert page.locator("h1").inner_text() == "فهرست پایان روز"
    switch_language(page, "tr")
    page.goto(f"{day.url}/units")
    assert "Birim listesi" in page.locator("h1").inner_text() and "s.ahmadi" in page.locator("#unit-queue").inner_text()
    screenshot(page, "console-unit-manager-units-tr")
    page.set_viewport_size({"width": 800, "height": 900})  # a tablet: nothing runs off the side
    page.goto(f"{day.url}/units")
    assert page.evaluate("document.documentElement.scrollWidth <= 800")
    screenshot(page, "console-unit-manager-units-tablet-tr")
    # A page of another role's work is refused, in the person's language
    response = page.goto(f"{day.url}/admin/users")
    assert response.status == 403 and "Bunu yapma yetkiniz yok" in page.content()


def test_the_mr_manager_reviews_and_refers_and_the_sg_sees_the_conflict_refusal_then_assigns(day: Day, page) -> None:
    complaints = day.services["complaints"]
    body = {
        "channel": "in_person",
        "kind": "complaint",
        "description": "کارت بازرگانی پس از دو ماه هنوز صادر نشده است",
        "occurred_at": "2026-11-18T10:00:00",
        "member_number": "۱۰۰۱",
        "complainant_name": "علی رضایی",
        "phone": "0913 123 4567",
        "unit": "membership",
        "stakeholders": {"units": ["membership"], "persons": ["r.sadeghi"], "participants": ["a.moradi"]},
    }
    created = complaints.post("/complaints", json=body, headers=day.who["expert"]).json()
    ack = complaints.post(
        f"/complaints/{created['id']}/acknowledge", json={"method": "phone"}, headers=day.who["expert"]
    )
    assert ack.status_code == 200, ack.text
    settle(complaints.app)

    log_in(page, day, "m.karimi")
    item = page.locator("#my-work tbody tr").first
    assert "مرحله شکایت" in item.inner_text() and created["reference"] in item.inner_text()
    item.get_by_role("link").click()
    assert page.locator("#complaint-state").get_attribute("data-state") == "acknowledged"
    page.locator("#step-review-complete").get_by_role("button").click()
    assert page.locator("#complaint-state").get_attribute("data-state") == "reviewed"
    page.locator("#step-refer").get_by_label("یادداشت").fill("لطفاً رسیدگی‌کننده تعیین شود")
    page.locator("#step-refer").get_by_role("button").click()
    assert page.locator("#complaint-state").get_attribute("data-state") == "referred"
    assert "sg" in page.locator("#waiting-on").inner_text() and page.locator("#step-assign").count() == 0
    screenshot(page, "console-mr-manager-referred-fa")
    page.locator("header form[action='/logout'] button").click()
    page.wait_for_url(f"{day.url}/login")

    log_in(page, day, "sg")
    page.goto(f"{day.url}/complaints/{created['id']}")
    assign = page.locator("#step-assign")
    assign.get_by_label("نوع رسیدگی‌کننده").select_option("person")
    assign.locator("input[name=handler]").fill("h.tehrani")
    assign.get_by_role("button").click()
    alert = page.locator("[role=alert]")
    assert "این کار اکنون ممکن نیست" in alert.inner_text()  # 409 in Persian, with the service's reasons
    assert "conflict of interest" in alert.inner_text() and "membership" in alert.inner_text()
    assert page.locator("#step-assign input[name=handler]").input_value() == "h.tehrani"  # kept for correcting
    screenshot(page, "console-sg-conflict-refused-fa")
    page.locator("#step-assign input[name=handler]").fill("p.mohammadi")
    page.locator("#step-assign").get_by_role("button").click()
    assert page.locator("#complaint-state").get_attribute("data-state") == "assigned"
    form = complaints.get(f"/complaints/{created['id']}/form", headers=day.who["auditor"]).json()
    by_step = [(s["by"], s["event"].split(".")[-2]) for s in form["steps"]]
    assert by_step[2:] == [
        ("m.karimi", "review_completed"),
        ("m.karimi", "referred"),
        ("sg", "assignment_refused"),
        ("sg", "handler_assigned"),
    ]

    new_call(day.services["calls"], day.who)  # a member is waiting in the trade unit's queue now
    report(day)
    switch_language(page, "tr")
    page.get_by_role("link", name="Duvar panosu").click()
    assert page.locator("h1").inner_text() == "Duvar panosu"
    refreshed = page.request.get(f"{day.url}/wallboard", headers={"HX-Request": "true"})  # what htmx asks for
    assert refreshed.ok and refreshed.text().startswith('<div id="board"')
    board = page.locator("#board").inner_text()
    assert "Bekleyen: 1" in board and "Trade and commerce" in board and "\ttrade\t" not in board  # the unit's name
    screenshot(page, "console-sg-wallboard-tr")
    page.get_by_role("link", name="Plan göstergeleri").click()
    assert page.locator("h1").inner_text() == "Plan göstergeleri"
    page.goto(f"{day.url}/complaints/{created['id']}")
    assert "Formdaki adımlar" in page.content()
    screenshot(page, "console-sg-complaint-tr")
