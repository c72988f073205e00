"""The final list for the agency's representative (printable, CSV) and each slot as an iCalendar file."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from services.desks.application import DeskOffice
from services.desks.documents import final_list_html, slot_ics
from shared.settings import Settings
from tests.desks.helpers import announced as announced_in
from tests.desks.helpers import register
from tests.desks.test_api import announced, post, registration


def registered(client, headers) -> str:
    desk = announced(client, headers)
    post(client, headers, "ms_expert", f"/desks/{desk}/registrations", registration("Ali"), 201)
    bad = {
        **registration('=HYPERLINK("x")'),
        "problem": "<script>alert(1)</script>, and; more",
        "documents": ["invoice 12"],
    }
    post(client, headers, "ms_expert", f"/desks/{desk}/registrations", bad, 201)
    post(client, headers, "ms_expert", f"/desks/{desk}/registrations", registration("Cyrus"), 201)  # waiting
    return desk


def test_the_final_list_has_the_members_with_slots_in_order_as_json_and_csv(client, headers):
    desk = registered(client, headers)
    rows = client.get(f"/desks/{desk}/final-list", headers=headers["sg"]).json()
    assert [(r["slot"], r["member_name"]) for r in rows] == [(1, "Ali"), (2, '=HYPERLINK("x")')]
    response = client.get(f"/desks/{desk}/final-list", params={"format": "csv"}, headers=headers["sg"])
    assert response.headers["content-type"].startswith("text/csv")
    assert response.text.startswith("\ufeff")
    table = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert [r["member_name"] for r in table] == ["Ali", '\'=HYPERLINK("x")']  # no formula in a spreadsheet
    assert table[1]["starts_at"] == "2026-11-25T05:40:00+00:00" and table[1]["documents"] == "invoice 12"


def test_the_printable_list_is_persian_right_to_left_and_escapes_what_members_typed(client, headers):
    desk = registered(client, headers)
    response = client.get(f"/desks/{desk}/final-list", params={"format": "html"}, headers=headers["ms_expert"])
    page = response.text
    assert response.headers["content-type"].startswith("text/html")
    assert 'dir="rtl"' in page and "1405/09/04" in page and "09:00–09:10" in page
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_a_turkish_chamber_prints_left_to_right_with_gregorian_dates(clock):
    calendar = Settings(chamber="TR").business_calendar
    office = DeskOffice(calendar=calendar, clock=clock)
    desk = announced_in(office)
    register(office, desk, "Ayşe")
    page = final_list_html(office.get_desk(desk), calendar)
    assert 'dir="ltr"' in page and "Hizmet masası" in page and "2026-11-25" in page and "Ayşe" in page


def test_each_slot_is_an_icalendar_event_with_escaped_text_and_folded_lines(client, headers, clock):
    desk = registered(client, headers)
    response = client.get(f"/desks/{desk}/registrations/2/slot.ics", headers=headers["ms_expert"])
    assert response.headers["content-type"].startswith("text/calendar")
    text = response.text
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    unfolded = text.replace("\r\n ", "")
    assert f"UID:{desk}-2@desks.crm" in unfolded
    assert "DTSTART:20261125T054000Z" in unfolded and "DTEND:20261125T055000Z" in unfolded
    assert "<script>alert(1)</script>\\, and\\; more" in unfolded
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    waiting = client.get(f"/desks/{desk}/registrations/3/slot.ics", headers=headers["ms_expert"])
    assert waiting.status_code == 409


def test_folding_never_splits_a_persian_character(clock):
    office = DeskOffice(calendar=Settings().business_calendar, clock=clock)
    desk = announced_in(office)
    office.register_member(desk, member_name="علی", problem="ترخیص کالا " * 20, channel="letter", by="x")
    text = slot_ics(office.get_desk(desk), "1", clock.now + timedelta(minutes=1))
    for line in text.split("\r\n"):
        line.encode().decode()  # each physical line is whole UTF-8
        assert len(line.encode()) <= 75
    assert ("ترخیص کالا " * 20).strip() in text.replace("\r\n ", "")
