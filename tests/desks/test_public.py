"""The public registration page: no login, the chamber's language, a slot or the waiting list, and the protection
a page open to anyone needs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from services.desks.main import create_app
from tests.desks.helpers import STARTS_AT
from tests.desks.test_api import PLAN, announced, post

FORM = {"member_name": "علی رحمانی", "company": "بازرگانی رحمانی", "phone": "09131234567", "problem": "ترخیص کالا"}


def submit(client, desk: str, **fields):
    return client.post(
        f"/public/desks/{desk}",
        data={**FORM, **fields},
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def test_a_member_registers_from_the_public_page_without_logging_in(client, headers):
    desk = announced(client, headers)
    listing = client.get("/public/desks")
    assert listing.status_code == 200 and 'dir="rtl"' in listing.text and "گمرک" in listing.text
    assert f"/public/desks/{desk}" in listing.text and "1405/09/04 09:00" in listing.text
    form = client.get(f"/public/desks/{desk}")
    assert form.status_code == 200 and 'name="problem"' in form.text and "MM-FR-02-05-01" in form.text
    done = submit(client, desk)
    assert done.status_code == 201 and "1405/09/04 09:00" in done.text
    registered = client.get(f"/desks/{desk}", headers=headers["ms_expert"]).json()["forms"][0]
    assert registered["channel"] == "public_page" and registered["member_name"] == "علی رحمانی"
    submit(client, desk, member_name="Bahar")
    waiting = submit(client, desk, member_name="Cyrus")
    assert waiting.status_code == 201 and "فهرست انتظار" in waiting.text  # capacity 2


def test_bad_input_comes_back_on_the_form_escaped_and_registers_nothing(client, headers):
    desk = announced(client, headers)
    missing = submit(client, desk, problem="  ", member_name="<b>x</b>")
    assert missing.status_code == 422 and "شرح مشکل را وارد کنید" in missing.text
    assert "&lt;b&gt;x&lt;/b&gt;" in missing.text and "<b>x</b>" not in missing.text
    assert submit(client, desk, problem="x" * 4001).status_code == 422
    assert submit(client, desk, problem="bad\x07bell").status_code == 422
    wrong_type = client.post(f"/public/desks/{desk}", json=FORM)
    assert wrong_type.status_code == 415
    assert client.get(f"/desks/{desk}", headers=headers["sg"]).json()["forms"] == []


def test_a_robot_filling_the_honeypot_is_thanked_and_nothing_is_recorded(client, headers):
    desk = announced(client, headers)
    assert submit(client, desk, homepage="http://spam.example").status_code == 201
    assert client.get(f"/desks/{desk}", headers=headers["sg"]).json()["forms"] == []


def test_a_desk_not_yet_approved_or_already_started_is_not_offered(client, headers, clock):
    planned = post(client, headers, "ms_expert", "/desks", {**PLAN, "agency": "tax"}, 201)["id"]
    assert client.get(f"/public/desks/{planned}").status_code == 404
    assert submit(client, planned).status_code == 404
    assert client.get("/public/desks/not-a-uuid").status_code == 404
    desk = announced(client, headers)
    clock.now = STARTS_AT + timedelta(minutes=1)
    assert desk not in client.get("/public/desks").text
    assert submit(client, desk).status_code == 404


def test_too_many_registrations_from_one_address_are_refused_for_a_while(settings, clock, headers, door):
    limited = settings.model_copy(update={"desks": settings.desks.model_copy(update={"public_rate_limit": 2})})
    with TestClient(create_app(limited, clock=clock, relay=False, open_action=door, open_complaint=door)) as client:
        desk = announced(client, headers)
        assert submit(client, desk).status_code == 201
        assert submit(client, desk, problem="").status_code == 422  # a refused attempt counts too
        assert submit(client, desk).status_code == 429
        clock.advance(hours=1, seconds=1)
        assert submit(client, desk).status_code == 201


@pytest.mark.parametrize("chamber", ["TR"])
def test_a_turkish_chamber_gets_the_page_in_turkish(settings, clock, headers, door, chamber):
    turkish = settings.model_copy(update={"chamber": chamber})
    with TestClient(create_app(turkish, clock=clock, relay=False, open_action=door, open_complaint=door)) as client:
        desk = announced(client, headers)
        page = client.get(f"/public/desks/{desk}").text
        assert 'lang="tr"' in page and 'dir="ltr"' in page and "Gümrük" in page and "Kaydet" in page
        assert "randevu saatiniz" in submit(client, desk).text
