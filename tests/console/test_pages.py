"""The console's pages against the real services in-process: every page of every menu answers, a service's
refusal is shown in the person's language with the service's reason and never becomes a 500, and a command made
in the console is recorded as the logged-in person's."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext

import pytest
from fastapi.testclient import TestClient

from services.console import access
from tests.console.conftest import PASSWORD, PEOPLE, World, csrf_of, log_in


@pytest.fixture
def browser(world: World) -> Iterator[TestClient]:
    with TestClient(world.console, base_url="https://testserver", follow_redirects=False) as client:
        yield client


@pytest.mark.parametrize("name", list(PEOPLE))
def test_every_page_of_a_person_s_menu_answers_over_the_real_services(world: World, browser, name) -> None:
    log_in(browser, name)
    for page in access.menu(PEOPLE[name][0]):
        response = browser.get(access.HREFS[page])
        assert response.status_code == 200, (page, response.text[:300])
        assert 'role="alert"' not in response.text, (page, response.text[:2000])


def test_a_bad_search_is_the_service_s_422_shown_in_persian_not_a_500(world: World, browser) -> None:
    log_in(browser, "m.karimi")
    response = browser.get("/calls", params={"number": "not a number"})
    assert response.status_code == 200
    assert "برخی ورودی‌ها معتبر نیستند" in response.text and "is not a phone number" in response.text
    response = browser.get("/calls/not-an-id")
    assert response.status_code == 404 and "پیدا نشد" in response.text


def test_a_complaint_registered_in_the_console_is_the_person_s_own_command(world: World, browser) -> None:
    csrf = log_in(browser, "m.karimi")
    refused = browser.post("/complaints", data={"csrf": csrf, "description": "", "complainant_name": "علی"})
    assert refused.status_code == 422 and 'role="alert"' in refused.text
    assert world.services["complaints"].get("/complaints", headers=world.who["auditor"]).json() == []
    created = browser.post(
        "/complaints",
        data={
            "csrf": csrf,
            "channel": "in_person",
            "kind": "complaint",
            "complainant_name": "علی رضایی",
            "phone": "0913 123 4567",
            "unit": "membership",
            "description": "کارت بازرگانی صادر نشده است",
        },
    )
    assert created.status_code == 303, created.text
    complaint_id = created.headers["location"].split("/")[2].split("?")[0]
    record = world.services["complaints"].get(f"/complaints/{complaint_id}", headers=world.who["auditor"]).json()
    assert record["registered_by"] == "m.karimi" and record["state"] == "received"
    page = browser.get(created.headers["location"])
    assert "ثبت شد." in page.text and "کارت بازرگانی صادر نشده است" in page.text


def test_a_step_the_person_may_not_take_is_the_service_s_403_shown_on_the_page(world: World, browser) -> None:
    from tests.calls.test_api import unanswered_call

    call_id = unanswered_call(world.services["calls"], world.who, expert="s.ahmadi")
    world.directory.add("k.rezaei", ["expert"], by="operator", password=PASSWORD, unit="trade")
    csrf = log_in(browser, "k.rezaei")  # another expert of the unit: the callback is s.ahmadi's
    response = browser.post(f"/calls/{call_id}/callback", data={"csrf": csrf, "outcome": "resolved"})
    assert response.status_code == 403 and "شما اجازه این کار را ندارید" in response.text
    assert "only for the calls in his or her own queue" in response.text
    record = world.services["calls"].get(f"/calls/{call_id}", headers=world.who["auditor"]).json()
    assert record["callbacks"] == []


def test_an_unknown_member_is_a_404_page_in_the_person_s_language(world: World, browser) -> None:
    csrf = log_in(browser, "m.karimi")
    assert browser.post("/language", data={"csrf": csrf, "language": "en"}).status_code == 303
    response = browser.get("/members/99999999")
    assert response.status_code == 404 and "Not found." in response.text and 'dir="ltr"' in response.text


def test_csrf_of_login_page_is_present(browser) -> None:
    assert csrf_of(browser.get("/login").text)


def test_an_expert_records_a_member_s_survey_answers_during_the_call(world: World, browser) -> None:
    surveys, who = world.services["surveys"], world.who
    questions = [
        {"key": "overall", "text": {"fa": "رضایت کلی", "tr": "Genel memnuniyet"}},
        {"key": "recommend", "kind": "yes_no", "text": {"fa": "توصیه می‌کنید؟"}},
        {"key": "comments", "kind": "text", "text": {"fa": "پیشنهاد"}},
    ]
    q = surveys.post(
        "/questionnaires",
        json={"code": "card", "title": "Card desk", "questions": questions},
        headers=who["mr_manager"],
    )
    assert q.status_code == 201, q.text
    survey = surveys.post(
        "/surveys/project",
        json={"subject": "Card renewal desk", "questionnaire_id": q.json()["id"]},
        headers=who["unit_manager"],
    ).json()["id"]
    assert surveys.post(f"/surveys/{survey}/approve", headers=who["sg"]).status_code == 200
    surveys.post(f"/surveys/{survey}/members", json={"numbers": ["12-1", "12-2"]}, headers=who["unit_manager"])
    surveys.post(f"/surveys/{survey}/members/approve", headers=who["mr_manager"])
    assert surveys.post(f"/surveys/{survey}/start", headers=who["mr_manager"]).status_code == 200

    world.directory.add("z.rahimi", ["expert"], by="operator", password=PASSWORD, unit="member_relations")
    csrf = log_in(browser, "z.rahimi")
    work = browser.get("/work").text
    assert "تماس نظرسنجی" in work and "12-1" in work  # the survey calls are in the expert's queue
    listing = browser.get(f"/surveys/{survey}").text
    assert f"/surveys/{survey}/contacts/12-1" in listing
    page = browser.get(f"/surveys/{survey}/contacts/12-1").text
    assert "رضایت کلی" in page and "توصیه می‌کنید؟" in page and 'name="q_comments"' in page
    bad = browser.post(
        f"/surveys/{survey}/contacts/12-1/response", data={"csrf": csrf, "line": "mobile", "q_overall": "9"}
    )
    assert bad.status_code == 422 and 'role="alert"' in bad.text  # off the scale: the service's reason, no 500
    done = browser.post(
        f"/surveys/{survey}/contacts/12-1/response",
        data={
            "csrf": csrf,
            "line": "fixed",
            "q_overall": "4",
            "q_recommend": "yes",
            "q_comments": "تمدید سریع‌تر",
            "services_introduced": "گواهی مبدأ الکترونیکی",
        },
    )
    assert done.status_code == 303, done.text
    contact = surveys.get(f"/surveys/{survey}/contacts/12-1", headers=who["mr_manager"]).json()
    assert contact["status"] == "responded"
    assert contact["answers"] == {"overall": 4, "recommend": True, "comments": "تمدید سریع‌تر"}
    assert contact["services_introduced"] == ["گواهی مبدأ الکترونیکی"]


def test_reports_and_the_printable_form_open_through_the_console_with_the_person_s_token(world: World, browser) -> None:
    complaints = world.services["complaints"]
    body = {"channel": "in_person", "kind": "complaint", "description": "کارت صادر نشده", "complainant_name": "علی"}
    created = complaints.post("/complaints", json={**body, "unit": "membership"}, headers=world.who["expert"])
    assert created.status_code == 201, created.text
    log_in(browser, "sg")
    page = browser.get(f"/complaints/{created.json()['id']}").text
    assert f'href="/documents/complaint-form?complaint_id={created.json()["id"]}"' in page
    printable = browser.get(f"/documents/complaint-form?complaint_id={created.json()['id']}")
    assert printable.status_code == 200 and printable.headers["content-type"].startswith("text/html")
    assert "ME-FR-۰۱-۰۱-۰۱" in printable.text and "script-src" not in printable.headers["content-security-policy"]
    export = browser.get("/documents/complaints-export")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert "reference" in export.text.splitlines()[0]
    links = browser.get("/reports", params={"year": "1405", "as_of": "1405/08/30", "unit": "trade"}).text
    for href in ("/documents/complaints-six-monthly?year=1405&amp;half=1&amp;format=html", "/documents/call-stats"):
        assert href in links
    six = browser.get("/documents/complaints-six-monthly", params={"year": "1405", "half": "1", "format": "csv"})
    assert six.status_code == 200 and six.headers["content-type"].startswith("text/csv")
    assert browser.get("/documents/nothing").status_code == 404
    bad = browser.get("/documents/complaints-six-monthly", params={"year": "1", "half": "1"})
    assert bad.status_code == 422 and 'role="alert"' in bad.text


def test_the_committee_decides_a_corrective_action_in_the_console_and_it_is_marked_done(world: World, browser) -> None:
    from tests.complaints.test_api import advance, complaint_body

    complaints = world.services["complaints"]
    created = complaints.post("/complaints", json=complaint_body(), headers=world.who["expert"])
    cid = created.json()["id"]
    advance(complaints, world.who, cid, "accepted")
    csrf = log_in(browser, "sg")
    page = browser.get(f"/complaints/{cid}").text
    assert "ثبت در فرم شکایت" in page and "Registered on the complaint form" not in page  # step titles in Persian
    assert 'id="step-committee"' in page and 'id="step-committee-not-needed"' in page
    convened = browser.post(
        f"/complaints/{cid}/committee",
        data={"csrf": csrf, "subject": "card delays", "variable_members": "committee-1, y.mousavi"},
    )
    assert convened.status_code == 303, convened.text
    world.directory.add("committee-1", ["committee"], by="operator", password=PASSWORD)
    # A second browser on the running console (not a second start: stopping would close the users' store)
    with nullcontext(TestClient(world.console, base_url="https://testserver", follow_redirects=False)) as member:
        member_csrf = log_in(member, "committee-1")
        decided = member.post(
            f"/complaints/{cid}/committee/decision",
            data={
                "csrf": member_csrf,
                "attendees": "member_relations_manager, secretary_general, committee-1, h.tehrani",
                "decision": "settled",
                "reasoning": "card issued, delay fee waived",
                "minutes": "the unit manager explained the missing deputy",
                "action_description": "name a deputy signatory",
                "action_owner": "h.tehrani",
                "action_due": "2026-12-20",
            },
        )
        assert decided.status_code == 303, decided.text
    record = complaints.get(f"/complaints/{cid}", headers=world.who["auditor"]).json()
    assert record["state"] == "decided" and record["outcome"] == "settled"
    assert [(a["id"], a["owner"], a["status"]) for a in record["corrective_actions"]] == [("CA-1", "h.tehrani", "open")]
    page = browser.get(f"/complaints/{cid}").text
    assert 'id="corrective-actions"' in page and "name a deputy signatory" in page
    done = browser.post(f"/complaints/{cid}/corrective-actions/CA-1/done", data={"csrf": csrf, "note": "deputy named"})
    assert done.status_code == 303, done.text
    record = complaints.get(f"/complaints/{cid}", headers=world.who["auditor"]).json()
    assert record["corrective_actions"][0]["status"] == "done" and record["corrective_actions"][0]["done_by"] == "sg"


def test_member_services_read_a_desk_s_schedule_and_its_final_list(world: World, browser, token_store) -> None:
    from shared.auth import Role
    from tests.desks.test_api import announced, registration

    desks = world.services["desks"]
    headers = {
        **world.who,
        "ms_expert": {"Authorization": f"Bearer {token_store.create('l.moradi', Role.MS_EXPERT)}"},
        "ms_manager": {"Authorization": f"Bearer {token_store.create('p.nouri', Role.MS_MANAGER)}"},
    }
    desk = announced(desks, headers)
    for name in ("Ali", "Bahar", "Cyrus"):
        assert desks.post(
            f"/desks/{desk}/registrations", json=registration(name), headers=headers["ms_expert"]
        ).is_success
    world.directory.add("l.moradi", ["member_services_expert"], by="operator", password=PASSWORD)
    log_in(browser, "l.moradi")
    assert f'href="/desks/{desk}"' in browser.get("/desks").text
    page = browser.get(f"/desks/{desk}").text
    assert page.index("Ali") < page.index("Bahar") < page.index("Cyrus") and "فهرست انتظار" in page  # capacity 2
    final = browser.get("/documents/desk-final-list", params={"desk_id": desk, "format": "csv"})
    assert final.status_code == 200 and "Ali" in final.text


def test_a_call_s_page_offers_each_step_to_the_people_who_take_it(world: World, browser) -> None:
    from tests.calls.test_api import unanswered_call

    call_id = unanswered_call(world.services["calls"], world.who, expert="s.ahmadi")
    log_in(browser, "s.ahmadi")
    assert 'id="step-callback"' in browser.get(f"/calls/{call_id}").text  # the expert who owes it
    world.directory.add("k.rezaei", ["expert"], by="operator", password=PASSWORD, unit="trade")
    # A second browser on the running console (not a second start: stopping would close the users' store)
    with nullcontext(TestClient(world.console, base_url="https://testserver", follow_redirects=False)) as other:
        log_in(other, "k.rezaei")
        page = other.get(f"/calls/{call_id}").text
        assert 'id="call-path"' in page and 'id="step-callback"' not in page


def _write_mail(folder, address: str, name: str, subject: str, body: str) -> None:
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "crm@chamber.example", address, subject
    message["Date"] = "Sun, 29 Nov 2026 08:00:00 +0000"
    message.set_content(body)
    box = folder / address
    box.mkdir(parents=True, exist_ok=True)
    (box / name).write_bytes(bytes(message))


def test_the_mailbox_shows_staff_their_own_messages_and_the_sg_every_box(world: World, settings) -> None:
    from services.notifications.mailbox import mailbox_folder, sms_folder

    mail = mailbox_folder(settings.data_dir)
    _write_mail(mail, "f.alavi@example.org", "20261129T080000-a.eml", "فهرست پایان روز", "۳ تماس بی‌پاسخ")
    _write_mail(mail, "m.karimi@example.org", "20261129T080001-b.eml", "Complaint CP-7", "for the MR manager")
    (sms_folder(settings.data_dir) / "+989121234567").mkdir(parents=True)
    (sms_folder(settings.data_dir) / "+989121234567" / "20261129T0801-c.txt").write_text(
        "To: +989121234567\nDate: 2026-11-29T08:01:00Z\n\nYour slot is at 10:00", encoding="utf-8"
    )
    with TestClient(world.console, base_url="https://testserver", follow_redirects=False) as manager:
        log_in(manager, "f.alavi")
        page = manager.get("/mailbox").text
        assert "f.alavi@example.org" in page and "m.karimi@example.org" not in page and "+98912" not in page
        box = manager.get("/mailbox/mail/f.alavi@example.org").text
        assert "فهرست پایان روز" in box and 'href="/mailbox/mail/f.alavi%40example.org/20261129T080000-a.eml"' in box
        one = manager.get("/mailbox/mail/f.alavi@example.org/20261129T080000-a.eml")
        assert one.status_code == 200 and "۳ تماس بی‌پاسخ" in one.text
        refused = manager.get("/mailbox/mail/m.karimi@example.org")  # another's box: the service refuses
        assert refused.status_code == 403 and "for the MR manager" not in refused.text
        assert manager.get("/mailbox/post/f.alavi@example.org").status_code == 404
        log_in(manager, "sg")
        page = manager.get("/mailbox").text
        assert all(a in page for a in ("f.alavi@example.org", "m.karimi@example.org", "+989121234567"))
        sms = manager.get("/mailbox/sms/+989121234567/20261129T0801-c.txt")
        assert sms.status_code == 200 and "Your slot is at 10:00" in sms.text


def test_member_services_take_every_step_of_a_desk_s_day_and_after_in_the_console(
    world: World, browser, token_store, clock
) -> None:
    """Attendance, the decision, the minutes (reviewed by the manager, sent, archived), the follow-up call and the
    checklist, each a form of the desk's page shown to the roles that take the step, each the person's command."""
    from shared.auth import Role
    from tests.desks.test_api import STARTS_AT, announced, registration

    desks = world.services["desks"]
    ms = {"Authorization": f"Bearer {token_store.create('l.moradi', Role.MS_EXPERT)}"}
    headers = {**world.who, "ms_expert": ms}
    headers["ms_manager"] = {"Authorization": f"Bearer {token_store.create('p.nouri', Role.MS_MANAGER)}"}
    desk = announced(desks, headers)
    for name in ("Ali", "Bahar"):
        assert desks.post(f"/desks/{desk}/registrations", json=registration(name), headers=ms).is_success
    world.directory.add("l.moradi", ["member_services_expert"], by="operator", password=PASSWORD)
    world.directory.add("p.nouri", ["member_services_manager"], by="operator", password=PASSWORD)
    csrf = log_in(browser, "l.moradi")
    early = browser.post(f"/desks/{desk}/forms/1/attendance", data={"csrf": csrf, "attended": "yes"})
    assert early.status_code == 409 and 'role="alert"' in early.text  # attendance is taken on the desk's day
    clock.now = STARTS_AT
    csrf = log_in(browser, "l.moradi")
    page = browser.get(f"/desks/{desk}").text
    assert (
        f'action="/desks/{desk}/forms/1/attendance"' in page and f'action="/desks/{desk}/forms/1/decision"' not in page
    )
    for number, came in (("1", "yes"), ("2", "no")):
        done = browser.post(f"/desks/{desk}/forms/{number}/attendance", data={"csrf": csrf, "attended": came})
        assert done.status_code == 303 and done.headers["location"].startswith(f"/desks/{desk}?saved=1")
    page = browser.get(f"/desks/{desk}").text
    assert f'action="/desks/{desk}/forms/1/decision"' in page and f'action="/desks/{desk}/forms/2/decision"' not in page
    assert "/steps/minutes-review" not in page  # the expert does not review the minutes
    empty = browser.post(f"/desks/{desk}/forms/1/decision", data={"csrf": csrf, "decision": "  "})
    assert empty.status_code == 422 and 'role="alert"' in empty.text
    decided = browser.post(f"/desks/{desk}/forms/1/decision", data={"csrf": csrf, "decision": "گمرک کالا را آزاد کند"})
    assert decided.status_code == 303 and decided.headers["location"].startswith(f"/desks/{desk}?saved=1")
    refused = browser.post(f"/desks/{desk}/steps/minutes-review", data={"csrf": csrf})
    assert refused.status_code == 403 and 'role="alert"' in refused.text  # the service refuses the expert
    manager = log_in(browser, "p.nouri")
    assert f'action="/desks/{desk}/steps/minutes-review"' in browser.get(f"/desks/{desk}").text
    reviewed = browser.post(f"/desks/{desk}/steps/minutes-review", data={"csrf": manager, "note": "همه تصمیم دارند"})
    assert reviewed.status_code == 303 and reviewed.headers["location"].endswith("#desk-steps")
    csrf = log_in(browser, "l.moradi")
    page = browser.get(f"/desks/{desk}").text
    assert "/steps/minutes-review" not in page and f'action="/desks/{desk}/steps/minutes-send"' in page
    assert browser.post(f"/desks/{desk}/steps/minutes-send", data={"csrf": csrf, "to": ""}).status_code == 422
    assert browser.post(f"/desks/{desk}/steps/minutes-send", data={"csrf": csrf, "to": "دفتر مدیرکل گمرک"}).is_redirect
    assert browser.post(f"/desks/{desk}/steps/minutes-archive", data={"csrf": csrf}).is_redirect
    assert browser.post(f"/desks/{desk}/steps/checklist", data={"csrf": csrf}).status_code == 409  # not followed up
    clock.advance(days=2)
    csrf = log_in(browser, "l.moradi")  # two days later: a new session
    followed = browser.post(
        f"/desks/{desk}/forms/1/follow-up", data={"csrf": csrf, "carried_out": "yes", "result": "آزاد شد"}
    )
    assert followed.status_code == 303 and followed.headers["location"].startswith(f"/desks/{desk}?saved=1")
    assert f'action="/desks/{desk}/steps/checklist"' in browser.get(f"/desks/{desk}").text
    assert browser.post(f"/desks/{desk}/steps/checklist", data={"csrf": csrf, "note": "انجام شد"}).is_redirect
    record = desks.get(f"/desks/{desk}", headers=ms).json()
    form = next(f for f in record["forms"] if f["number"] == "1")
    assert form["decision"] == "گمرک کالا را آزاد کند" and form["attended"] is True
    assert form["follow_up"]["carried_out"] is True and form["follow_up"]["by"] == "l.moradi"
    assert record["minutes"]["reviewed"]["by"] == "p.nouri" and record["minutes"]["sent"]["to"] == "دفتر مدیرکل گمرک"
    assert record["stage"] == "closed" and record["checklist"]["by"] == "l.moradi"
    page = browser.get(f"/desks/{desk}").text
    assert "بسته" in page and "/steps/" not in page  # the stage in Persian; nothing left to do
    assert browser.post(f"/desks/{desk}/forms/1/other", data={"csrf": csrf}).status_code == 404
    assert browser.post(f"/desks/{desk}/steps/other", data={"csrf": csrf}).status_code == 404


def test_a_unit_manager_s_work_lists_the_unit_s_callbacks_owed_once_each(world: World, browser) -> None:
    """The unit manager calls back the unit's unanswered calls: they are on the manager's My work, not only on
    the expert's who missed them, and a call in both queues is listed once."""
    from tests.calls.test_api import unanswered_call

    call_id = unanswered_call(world.services["calls"], world.who, expert="s.ahmadi")
    log_in(browser, "f.alavi")
    page = browser.get("/work").text
    assert page.count(f'href="/calls/{call_id}"') == 1, page[:3000]
    log_in(browser, "s.ahmadi")
    assert browser.get("/work").text.count(f'href="/calls/{call_id}"') == 1


@pytest.mark.parametrize("language", ["fa", "tr", "en"])
def test_the_end_of_day_table_heads_its_day_column_without_the_search_field_s_format_hint(language) -> None:
    from services.console import locales
    from services.console.web import environment

    words = locales.words(language)
    html = (
        environment()
        .get_template("end_of_day.html.j2")
        .render(
            L=words,
            lang=language,
            lists=[{"day": "2026-11-28", "unit": "trade", "count": 8, "manager": "f.alavi"}],
            when=lambda v, with_time=True: v,
            num=str,
            unit_name=lambda unit: {"trade": "Trade and commerce"}.get(unit, unit),
        )
    )
    assert "<td>Trade and commerce</td>" in html  # the unit's name, never its code
    head = html.split('id="end-of-day"', 1)[1].split("</thead>", 1)[0]
    assert f">{words['day_column']}</th>" in head
    assert "YYYY" not in head and "۱۴۰۵" not in head


def test_a_member_s_page_lists_the_member_s_desk_problems_to_those_who_read_the_desks(
    world: World, browser, token_store
) -> None:
    from shared.auth import Role
    from tests.desks.test_api import announced, registration
    from tests.members.test_api import register

    member = register(world.services["members"], world.who, membership_number="7007")
    desks = world.services["desks"]
    ms = {"Authorization": f"Bearer {token_store.create('l.moradi', Role.MS_EXPERT)}"}
    headers = {**world.who, "ms_expert": ms}
    headers["ms_manager"] = {"Authorization": f"Bearer {token_store.create('p.nouri', Role.MS_MANAGER)}"}
    desk = announced(desks, headers)
    body = {**registration("Ali"), "member_id": member["id"], "problem": "کالا در گمرک مانده است"}
    assert desks.post(f"/desks/{desk}/registrations", json=body, headers=ms).is_success
    assert desks.post(f"/desks/{desk}/registrations", json=registration("Someone else"), headers=ms).is_success
    log_in(browser, "sg")
    page = browser.get("/members/7007")
    assert page.status_code == 200, page.text[:500]
    assert 'id="member-desk-forms"' in page.text and "کالا در گمرک مانده است" in page.text
    assert f'href="/desks/{desk}#form-1"' in page.text and "Someone else" not in page.text
    assert "نوبت داده شده" in page.text  # the form's state in Persian, not "scheduled"
    log_in(browser, "s.ahmadi")  # an expert of a unit reads no desks: the section is not shown
    assert 'id="member-desk-forms"' not in browser.get("/members/7007").text
