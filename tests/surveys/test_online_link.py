"""The one-time online link: a page without login that works on a phone, in Persian right to left or Turkish,
answerable once, expiring with the round; and the import of an external survey service's CSV export."""

from __future__ import annotations

import pytest

from tests.helpers import assert_problem
from tests.surveys.conftest import BOARD, member_event

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def running(client, headers, project) -> str:
    client.post(f"/surveys/{project}/members", json={"numbers": ["12-1", "12-2"]}, headers=headers["unit_manager"])
    client.post(f"/surveys/{project}/members/approve", headers=headers["mr_manager"])
    assert client.post(f"/surveys/{project}/start", headers=headers["mr_manager"]).status_code == 200
    return project


def links_of(client, headers, survey: str) -> dict[str, str]:
    r = client.post(f"/surveys/{survey}/links", headers=headers["mr_manager"])
    assert r.status_code == 200, r.text
    return {x["membership_number"]: "/s/" + x["url"].rsplit("/s/", 1)[1] for x in r.json()}


def test_a_member_answers_once_through_the_link_without_logging_in(client, headers, running):
    links = links_of(client, headers, running)
    assert set(links) == {"12-1", "12-2"}
    assert links_of(client, headers, running) == links  # issuing again gives the same links
    page = client.get(links["12-1"])
    assert page.status_code == 200
    html = page.text
    assert 'dir="rtl"' in html and 'lang="fa"' in html and "رضایت کلی" in html
    assert 'name="viewport"' in html and page.headers["cache-control"] == "private, no-store"
    sent = client.post(links["12-1"], content="overall=4&recommend=yes&comments=%D8%B3%D9%BE%D8%A7%D8%B3", headers=FORM)
    assert sent.status_code == 200 and "ثبت شد" in sent.text
    contact = client.get(f"/surveys/{running}/contacts/12-1", headers=headers["expert"]).json()
    assert contact["channel"] == "link" and contact["answers"] == {"overall": 4, "recommend": True, "comments": "سپاس"}
    assert contact["attempts"] == []  # an online answer is no call
    again = client.post(links["12-1"], content="overall=1", headers=FORM)
    assert again.status_code == 409 and "پیش‌تر" in again.text
    assert client.get(links["12-1"]).status_code == 409
    # A member who has answered is not given a link again.
    assert set(links_of(client, headers, running)) == {"12-2"}


def test_the_page_is_in_turkish_left_to_right_for_a_member_who_prefers_it(app, client, headers, running):
    app.state.roster.apply([member_event("m-2", "12-2", preferred_language="tr")])
    html = client.get(links_of(client, headers, running)["12-2"]).text
    assert 'dir="ltr"' in html and 'lang="tr"' in html and "Tavsiye eder misiniz?" in html and "Evet" in html


def test_a_wrong_or_altered_link_is_a_404_page_that_tells_nothing(client, headers, running):
    link = links_of(client, headers, running)["12-1"]
    altered = link[:-2] + ("AA" if not link.endswith("AA") else "BB")
    for url in (altered, "/s/nothing", "/s/" + "0" * 32 + ".abc"):
        r = client.get(url)
        assert r.status_code == 404 and "معتبر نیست" in r.text


def test_an_answer_out_of_the_options_shows_the_form_again_and_records_nothing(client, headers, running):
    link = links_of(client, headers, running)["12-1"]
    r = client.post(link, content="overall=9", headers=FORM)
    assert r.status_code == 422 and "<form" in r.text
    assert client.post(link, content="overall=", headers=FORM).status_code == 422
    assert client.get(f"/surveys/{running}/contacts/12-1", headers=headers["expert"]).json()["status"] == "pending"


def test_the_link_expires_with_the_round(app, client, clock, headers, questionnaire):
    app.state.roster.apply([member_event("a", "100")])
    sid = client.post(
        "/surveys/periodic", json={"period": "2026-H2", "questionnaire_id": questionnaire}, headers=headers["president"]
    ).json()["id"]
    client.post(
        f"/surveys/{sid}/timing",
        json={"starts_on": "2026-11-21", "ends_on": "2026-11-30"},
        headers=headers["president"],
    )
    meeting = {"purpose": "questions", "held_on": "2026-11-18", "attendees": BOARD, "minutes": "set"}
    client.post(f"/surveys/{sid}/meetings", json=meeting, headers=headers["president"])
    client.post(f"/surveys/{sid}/start", headers=headers["mr_manager"])
    link = links_of(client, headers, sid)["100"]
    assert client.get(link).status_code == 200
    clock.advance(days=10)  # 1 December: the round's last day has passed
    assert client.get(link).status_code == 410
    assert client.post(link, content="overall=5", headers=FORM).status_code == 410


def test_a_closed_surveys_links_are_expired(client, headers, running):
    link = links_of(client, headers, running)["12-1"]
    client.post(f"/surveys/{running}/close", headers=headers["mr_manager"])
    assert client.get(link).status_code == 410


def test_an_external_services_export_is_imported_with_a_column_mapping(client, headers, running):
    export = "Üye No,Genel,Tavsiye,Not\n12-1,۴,evet,iyi\n12-2,7,hayır,\n99-9,3,evet,\n"
    body = {
        "member_column": "Üye No",
        "columns": {"overall": "Genel", "recommend": "Tavsiye", "comments": "Not"},
        "csv": export,
    }
    r = client.post(f"/surveys/{running}/import", json=body, headers=headers["mr_manager"])
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["imported"] == 1
    assert [(s["line"], s["membership_number"]) for s in result["skipped"]] == [(3, "12-2"), (4, "99-9")]
    assert "from 1 to 5" in result["skipped"][0]["reason"] and "not on this survey" in result["skipped"][1]["reason"]
    contact = client.get(f"/surveys/{running}/contacts/12-1", headers=headers["expert"]).json()
    assert contact["channel"] == "import" and contact["answers"] == {"overall": 4, "recommend": True, "comments": "iyi"}
    # The same export again adds nothing.
    again = client.post(f"/surveys/{running}/import", json=body, headers=headers["mr_manager"]).json()
    assert again["imported"] == 0 and again["skipped"][0]["reason"] == "answered already"
    bad = {**body, "columns": {"nope": "Genel"}}
    assert_problem(client.post(f"/surveys/{running}/import", json=bad, headers=headers["mr_manager"]), 422, "nope")
    bad = {**body, "member_column": "Member"}
    assert_problem(client.post(f"/surveys/{running}/import", json=bad, headers=headers["mr_manager"]), 422, "'Member'")


def test_links_are_issued_only_while_the_survey_runs(client, headers, project):
    assert_problem(
        client.post(f"/surveys/{project}/links", headers=headers["mr_manager"]), 409, "while the survey runs"
    )
