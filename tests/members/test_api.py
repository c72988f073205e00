"""The members service over HTTP: roles, problem+json errors, registration and changes, search in Persian and
Turkish, the telephone lookup, history, CSV upload and selections."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.members.main import create_app
from tests.helpers import assert_problem, settle

FIXTURE = Path(__file__).parent / "fixtures" / "members.csv"


@pytest.fixture
def app(settings, clock) -> FastAPI:
    return create_app(settings, clock=clock, relay=False)


def member_body(number: str = "1001", **fields: Any) -> dict[str, Any]:
    return {
        "membership_number": number,
        "kind": "company",
        "name": "شرکت فرش دستباف اصفهان",
        "trade_group": "فرش و صنایع دستی",
        "field_of_activity": "تولید و صادرات فرش دستباف",
        "products": ["فرش دستباف", "گلیم"],
        "import_countries": ["CN"],
        "export_countries": ["IQ", "ARE"],
        "contacts": [{"name": "علی رضایی", "role": "مدیرعامل", "phones": ["۰۹۱۳ ۱۲۳ ۴۵۶۷", "(031) 3664-5000"]}],
        "email": "info@farsh.example",
        "address": "اصفهان، خیابان چهارباغ",
        "preferred_language": "fa",
        **fields,
    }


def register(client: TestClient, tokens, **fields: Any) -> dict[str, Any]:
    response = client.post("/members", json=member_body(**fields), headers=tokens["expert"])
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def members(client: TestClient, tokens, app) -> None:
    """A small member database: Persian, Arabic-keyboard and Turkish names, several statuses."""
    register(client, tokens)
    register(client, tokens, membership_number="1002", name="Anadolu Tekstil A.Ş.", trade_group="نساجی و پوشاک",
             field_of_activity="Tekstil üretimi", products=["Pamuklu kumaş"], import_countries=["DE"],
             export_countries=["TR"], contacts=[{"name": "İbrahim Yılmaz", "phones": ["+90 532 123 45 67"]}],
             preferred_language="tr", email=None)  # fmt: skip
    register(client, tokens, membership_number="1003", name="شركة الكيمياء الحديثة", trade_group="پتروشیمی",
             field_of_activity="مواد شیمیایی صنعتی", products=["متانول"], import_countries=[], export_countries=["IQ"],
             contacts=[{"name": "نرگس جعفری", "phones": ["09351112233"]}], preferred_language="ar")  # fmt: skip
    register(client, tokens, membership_number="1004", name="شرکت بین‌المللی گز سکه", trade_group="مواد غذایی",
             field_of_activity="صنایع غذایی", products=["گز اصفهان"], import_countries=[], export_countries=["AE"],
             contacts=[{"name": "حسین کریمی", "phones": ["09137778899"]}])  # fmt: skip
    register(client, tokens, membership_number="1005", name="İstanbul Halı Ticaret", trade_group="فرش و صنایع دستی",
             products=["El dokuma halı"], import_countries=["IR"], export_countries=["DE"],
             contacts=[{"name": "Ayşe Demir", "phones": ["+90 212 555 12 12"]}], preferred_language="tr")  # fmt: skip
    client.post("/members/1004/suspend", json={"reason": "عدم تمدید کارت عضویت"}, headers=tokens["mr_manager"])
    settle(app)


def numbers(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [m["membership_number"] for m in response.json()]


# -- authentication and roles ---------------------------------------------------------------------------------
def test_every_endpoint_but_health_needs_a_token(client):
    assert client.get("/health").status_code == 200
    for method, path in [("get", "/members"), ("get", "/members/1001"), ("post", "/members"), ("patch", "/members/1001"),
                         ("post", "/members/1001/suspend"), ("get", "/members/1001/history"), ("post", "/members/import"),
                         ("post", "/selections"), ("get", f"/selections/{uuid.uuid4()}"), ("get", "/lookup/phone/09131234567")]:  # fmt: skip
        assert_problem(getattr(client, method)(path), 401, "bearer token")
    assert_problem(client.get("/members", headers={"Authorization": "Bearer crm_unknown"}), 401, "unknown or revoked")


@pytest.mark.parametrize(
    "role, method, path, body",
    [
        ("unit_manager", "post", "/members", member_body()),
        ("auditor", "post", "/members", member_body()),
        ("telephony", "post", "/members", member_body()),
        ("auditor", "patch", "/members/1001", {"email": "x@y.example"}),
        ("expert", "post", "/members/1001/suspend", {"reason": "x"}),
        ("expert", "post", "/members/1001/end", {"reason": "x"}),
        ("expert", "post", "/members/1001/reinstate", {}),
        ("expert", "get", "/members/1001/history", None),
        ("expert", "post", "/members/import", None),
        ("telephony", "get", "/members", None),
        ("monitoring", "get", "/members/1001", None),
        ("committee", "get", "/members", None),
        ("auditor", "post", "/selections", {"name": "x"}),
        ("monitoring", "get", "/lookup/phone/09131234567", None),
    ],
)
def test_a_role_that_may_not_do_a_thing_gets_403(client, tokens, role, method, path, body):
    kwargs = {"headers": tokens[role]}
    if body is not None:
        kwargs["json"] = body
    assert_problem(getattr(client, method)(path, **kwargs), 403, "may not do this")


# -- registration and changes ---------------------------------------------------------------------------------
def test_a_member_is_registered_with_normalised_phones_and_countries(client, tokens):
    body = register(client, tokens, membership_number="۱۰۰۱")
    assert body["membership_number"] == "1001" and body["status"] == "active" and body["is_member"] is True
    assert body["export_countries"] == ["IQ", "AE"]
    assert body["contacts"][0]["phones"] == [
        {"raw": "۰۹۱۳ ۱۲۳ ۴۵۶۷", "e164": "+989131234567", "kind": "mobile"},
        {"raw": "(031) 3664-5000", "e164": "+983136645000", "kind": "fixed"},
    ]
    got = client.get("/members/١٠٠١", headers=tokens["sg"])
    assert got.status_code == 200 and got.json()["id"] == body["id"]


def test_registering_a_taken_membership_number_is_409(client, tokens):
    register(client, tokens)
    response = client.post("/members", json=member_body(name="دیگری"), headers=tokens["mr_manager"])
    assert_problem(response, 409, "1001 is already registered")


@pytest.mark.parametrize(
    "fields, detail",
    [
        ({"contacts": [{"name": "x", "phones": ["12345"]}]}, "'12345' is not a valid phone number"),
        ({"export_countries": ["Atlantis"]}, "unknown country 'Atlantis'"),
        ({"email": "not-an-email"}, "not an e-mail address"),
        ({"membership_number": "12/34"}, "not a membership number"),
        ({"kind": "cooperative"}, "kind"),
        ({"preferred_language": "de"}, "preferred_language"),
        ({"name": ""}, "name"),
        ({"colour": "blue"}, "colour"),
        ({"status": "frozen"}, "status"),
    ],
)
def test_bad_input_on_registration_is_422(client, tokens, fields, detail):
    assert_problem(client.post("/members", json=member_body(**fields), headers=tokens["admin"]), 422, detail)


def test_unknown_members_are_404(client, tokens):
    assert_problem(client.get("/members/999", headers=tokens["expert"]), 404, "no member with membership number 999")
    assert_problem(client.patch("/members/999", json={"email": "a@b.example"}, headers=tokens["expert"]), 404)
    assert_problem(client.post("/members/999/suspend", json={"reason": "x"}, headers=tokens["mr_manager"]), 404)
    assert_problem(client.post("/members/999/reinstate", headers=tokens["mr_manager"]), 404)
    assert_problem(client.post("/members/999/end", json={"reason": "x"}, headers=tokens["mr_manager"]), 404)
    assert_problem(client.get("/members/999/history", headers=tokens["auditor"]), 404)


def test_an_update_changes_only_the_fields_sent(client, tokens):
    register(client, tokens)
    response = client.patch(
        "/members/1001",
        json={
            "email": None,
            "contacts": [{"name": "مریم احمدی", "phones": ["09121112233"]}],
            "import_countries": ["tur"],
        },
        headers=tokens["expert"],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["email"] is None and body["import_countries"] == ["TR"] and body["version"] == 2
    assert body["name"] == "شرکت فرش دستباف اصفهان" and body["products"] == ["فرش دستباف", "گلیم"]
    assert body["contacts"] == [
        {
            "name": "مریم احمدی",
            "role": None,
            "phones": [{"raw": "09121112233", "e164": "+989121112233", "kind": "mobile"}],
        }
    ]
    same = client.patch("/members/1001", json={"email": None}, headers=tokens["expert"])
    assert same.json()["version"] == 2  # nothing changed, nothing recorded


def test_bad_updates_are_422(client, tokens):
    register(client, tokens)
    assert_problem(
        client.patch("/members/1001", json={"name": None}, headers=tokens["expert"]), 422, "name cannot be cleared"
    )
    assert_problem(client.patch("/members/1001", json={"status": "ended"}, headers=tokens["expert"]), 422, "status")
    assert_problem(
        client.patch("/members/1001", json={"export_countries": ["XX"]}, headers=tokens["expert"]),
        422,
        "unknown country",
    )


def test_the_membership_status_rules_are_409(client, tokens):
    register(client, tokens)
    mr = tokens["mr_manager"]
    assert_problem(client.post("/members/1001/reinstate", headers=mr), 409, "only a suspended member can be reinstated")
    assert_problem(client.post("/members/1001/suspend", json={"reason": ""}, headers=mr), 422)
    suspended = client.post("/members/1001/suspend", json={"reason": "عدم پرداخت"}, headers=mr)
    assert suspended.json()["status"] == "suspended" and suspended.json()["is_member"] is False
    assert_problem(
        client.post("/members/1001/suspend", json={"reason": "again"}, headers=mr), 409, "only an active member"
    )
    assert client.post("/members/1001/reinstate", json={"note": "پرداخت شد"}, headers=mr).json()["status"] == "active"
    ended = client.post("/members/1001/end", json={"reason": "انصراف"}, headers=tokens["admin"])
    assert ended.json()["status"] == "ended" and ended.json()["status_reason"] == "انصراف"
    assert_problem(
        client.patch("/members/1001", json={"email": "a@b.example"}, headers=tokens["expert"]),
        409,
        "can no longer change",
    )
    assert_problem(client.post("/members/1001/end", json={"reason": "x"}, headers=mr), 409, "already ended")


def test_the_history_shows_every_change_to_auditors(client, tokens):
    register(client, tokens)
    client.patch("/members/1001", json={"address": "اصفهان، خیابان حکیم نظامی"}, headers=tokens["expert"])
    client.post("/members/1001/suspend", json={"reason": "عدم تمدید"}, headers=tokens["mr_manager"])
    response = client.get("/members/1001/history", headers=tokens["auditor"])
    assert response.status_code == 200
    history = response.json()
    assert [h["type"] for h in history] == [
        "crm.members.member.registered.v1",
        "crm.members.member.details_updated.v1",
        "crm.members.member.suspended.v1",
    ]
    assert [h["version"] for h in history] == [1, 2, 3]
    assert history[0]["data"]["by"] == "z.rahimi"
    assert history[1]["data"]["changes"] == {"address": "اصفهان، خیابان حکیم نظامی"}
    assert history[2]["data"]["reason"] == "عدم تمدید" and history[2]["data"]["by"] == "m.karimi"


# -- search ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "query, expected",
    [
        ({"name": "فرش دستباف"}, ["1001"]),
        ({"name": "شرکت الکیمیا"}, []),  # the Arabic name has "الکیمیاء": no "شرکت ال..." substring
        ({"name": "شرکه الکیمیاء"}, ["1003"]),  # typed on a Persian keyboard: ک and ی match ك and ي, ه matches ة
        ({"name": "شركة"}, ["1003"]),
        ({"name": "بین‌المللی"}, ["1004"]),  # with ZWNJ
        ({"name": "بینالمللی"}, ["1004"]),  # without
        ({"name": "بين المللي"}, []),  # a space is not a ZWNJ
        ({"name": "istanbul"}, ["1005"]),
        ({"name": "İSTANBUL"}, ["1005"]),
        ({"name": "ıstanbul"}, ["1005"]),
        ({"name": "yilmaz"}, ["1002"]),  # a contact person's name
        ({"name": "ANADOLU"}, ["1002"]),
        ({"number": "۱۰۰۳"}, ["1003"]),
        ({"country": "IQ"}, ["1001", "1003"]),
        ({"country": "عراق"}, ["1001", "1003"]),
        ({"country": "deu"}, ["1002", "1005"]),  # import (1002) or export (1005)
        ({"import_country": "DE"}, ["1002"]),
        ({"export_country": "DE"}, ["1005"]),
        ({"product": "گلیم"}, ["1001"]),
        ({"product": "HALI"}, ["1005"]),
        ({"field": "شیمیایی"}, ["1003"]),
        ({"trade_group": "فرش"}, ["1001", "1005"]),
        ({"status": "suspended"}, ["1004"]),
        ({"status": "active", "trade_group": "مواد غذایی"}, []),
        ({"kind": "company", "language": "tr"}, ["1002", "1005"]),
        ({}, ["1001", "1002", "1003", "1004", "1005"]),
    ],
)
def test_search_by_name_number_country_product_field_trade_group_and_status(client, tokens, members, query, expected):
    response = client.get("/members", params=query, headers=tokens["unit_manager"])
    assert numbers(response) == expected
    assert response.headers["x-total-count"] == str(len(expected))


def test_search_pages_and_refuses_bad_criteria(client, tokens, members):
    assert numbers(client.get("/members", params={"limit": 2, "offset": 2}, headers=tokens["expert"])) == [
        "1003",
        "1004",
    ]
    assert_problem(
        client.get("/members", params={"country": "Narnia"}, headers=tokens["expert"]), 422, "unknown country"
    )
    assert_problem(client.get("/members", params={"status": "frozen"}, headers=tokens["expert"]), 422)


# -- telephone lookup -----------------------------------------------------------------------------------------
def test_the_phone_lookup_finds_the_active_member_owning_a_number(client, tokens, members):
    for typed in ["09131234567", "۰۹۱۳ ۱۲۳ ۴۵۶۷", "+989131234567", "00989131234567", "031 3664 5000"]:
        response = client.get(f"/lookup/phone/{typed}", headers=tokens["telephony"])
        assert response.status_code == 200, (typed, response.text)
        assert response.json()["membership_number"] == "1001"
    assert client.get("/lookup/phone/+90 532 123 45 67", headers=tokens["expert"]).json()["membership_number"] == "1002"


def test_suspended_and_ended_members_are_not_found_by_phone(client, tokens, members, app):
    assert_problem(
        client.get("/lookup/phone/09137778899", headers=tokens["expert"]), 404, "no active member"
    )  # 1004 suspended
    client.post("/members/1003/end", json={"reason": "انحلال شرکت"}, headers=tokens["mr_manager"])
    settle(app)
    assert_problem(client.get("/lookup/phone/09351112233", headers=tokens["expert"]), 404, "no active member")
    client.post("/members/1004/reinstate", headers=tokens["mr_manager"])
    settle(app)
    assert client.get("/lookup/phone/09137778899", headers=tokens["expert"]).json()["membership_number"] == "1004"


def test_phone_lookup_errors(client, tokens, members, app):
    assert_problem(client.get("/lookup/phone/09130000000", headers=tokens["expert"]), 404)
    assert_problem(client.get("/lookup/phone/12345", headers=tokens["expert"]), 422, "not a valid phone number")
    register(
        client,
        tokens,
        membership_number="1006",
        name="شرکت خواهر",
        contacts=[{"name": "علی رضایی", "phones": ["09131234567"]}],
    )
    settle(app)
    assert_problem(client.get("/lookup/phone/09131234567", headers=tokens["expert"]), 409, "1001, 1006")


def test_a_changed_phone_number_moves_in_the_lookup(client, tokens, members, app):
    client.patch(
        "/members/1001", json={"contacts": [{"name": "علی رضایی", "phones": ["09139990000"]}]}, headers=tokens["expert"]
    )
    settle(app)
    assert_problem(client.get("/lookup/phone/09131234567", headers=tokens["expert"]), 404)
    assert client.get("/lookup/phone/09139990000", headers=tokens["expert"]).json()["membership_number"] == "1001"


# -- CSV upload -----------------------------------------------------------------------------------------------
def test_a_csv_upload_returns_the_report_and_a_second_upload_changes_nothing(client, tokens, app):
    files = {"file": ("members.csv", FIXTURE.read_bytes(), "text/csv")}
    response = client.post("/members/import", files=files, headers=tokens["admin"])
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["created"], report["rejected_count"]) == (5, 8)
    assert [r["line"] for r in report["rejected"]] == [5, 6, 7, 8, 9, 10, 11, 16]
    position = app.state.directory.recorder.max_notification_id()
    again = client.post(
        "/members/import", content=FIXTURE.read_bytes(), headers={**tokens["mr_manager"], "Content-Type": "text/csv"}
    )
    assert again.json()["unchanged"] == 5 and again.json()["created"] == 0
    assert app.state.directory.recorder.max_notification_id() == position
    settle(app)
    assert numbers(client.get("/members", params={"name": "حسین کریمی"}, headers=tokens["expert"])) == ["1003"]


def test_a_csv_upload_that_cannot_be_read_is_refused(client, tokens):
    bad_header = {"file": ("m.csv", b"number,name\n1,x\n", "text/csv")}
    assert_problem(client.post("/members/import", files=bad_header, headers=tokens["admin"]), 422, "lacks the column")
    wrong_field = {"upload": ("m.csv", FIXTURE.read_bytes(), "text/csv")}
    assert_problem(
        client.post("/members/import", files=wrong_field, headers=tokens["admin"]), 422, "field named `file`"
    )
    response = client.post("/members/import", json={"rows": []}, headers=tokens["admin"])
    assert_problem(response, 415, "multipart/form-data")


# -- selections -----------------------------------------------------------------------------------------------
def test_a_selection_keeps_the_members_it_was_taken_with(client, tokens, members, app, clock):
    response = client.post(
        "/selections",
        json={"name": "جلسه تخصصی فرش و صنایع دستی", "criteria": {"trade_group": "فرش"}},
        headers=tokens["expert"],
    )
    assert response.status_code == 201, response.text
    selection = response.json()
    assert selection["members"] == ["1001", "1005"] and selection["count"] == 2
    assert selection["criteria"] == {"trade_group": "فرش", "status": "active"}
    assert selection["taken_by"] == "z.rahimi"

    clock.advance(days=7)
    register(client, tokens, membership_number="1010", name="شرکت گلیم و گبه زاگرس", trade_group="فرش و صنایع دستی")
    client.post("/members/1005/end", json={"reason": "انصراف"}, headers=tokens["mr_manager"])
    settle(app)
    frozen = client.get(f"/selections/{selection['id']}", headers=tokens["auditor"])
    assert frozen.status_code == 200 and frozen.json()["members"] == ["1001", "1005"]
    fresh = client.post(
        "/selections", json={"name": "دوباره", "criteria": {"trade_group": "فرش"}}, headers=tokens["sg"]
    )
    assert fresh.json()["members"] == ["1001", "1010"]


def test_a_selection_sees_members_registered_just_before_it(client, tokens, members):
    register(
        client, tokens, membership_number="1020", name="Ege Gıda", export_countries=["KZ"], products=[], contacts=[]
    )
    # No settle: taking the selection brings the index up to date itself.
    response = client.post(
        "/selections", json={"name": "Kazakistan", "criteria": {"country": "KAZ"}}, headers=tokens["mr_manager"]
    )
    assert response.json()["members"] == ["1020"]


def test_selection_errors(client, tokens):
    assert_problem(client.get(f"/selections/{uuid.uuid4()}", headers=tokens["expert"]), 404, "no selection")
    assert_problem(client.get("/selections/not-a-uuid", headers=tokens["expert"]), 422)
    assert_problem(
        client.post("/selections", json={"name": "x", "criteria": {"country": "XX"}}, headers=tokens["expert"]),
        422,
        "unknown country",
    )
    assert_problem(
        client.post("/selections", json={"name": "x", "criteria": {"colour": "red"}}, headers=tokens["expert"]), 422
    )
    assert_problem(client.post("/selections", json={"name": "", "criteria": {}}, headers=tokens["expert"]), 422)


def test_health_reports_the_index_position(client, tokens, members):
    body = client.get("/health").json()
    assert body["service"] == "members" and body["index_position"] >= 6


@pytest.mark.parametrize("field", ["products", "import_countries", "export_countries"])
def test_a_blank_item_in_a_list_is_422_and_the_stored_list_is_kept(client, tokens, field):
    """A list of only blanks used to be cleaned to [] and replace the member's list: a mistyped form wiped it."""
    before = register(client, tokens)[field]
    assert before
    assert_problem(client.patch("/members/1001", json={field: [" "]}, headers=tokens["expert"]), 422, "blank")
    assert_problem(client.patch("/members/1001", json={field: [""]}, headers=tokens["expert"]), 422, "blank")
    assert client.get("/members/1001", headers=tokens["expert"]).json()[field] == before
    assert client.patch("/members/1001", json={field: []}, headers=tokens["expert"]).status_code == 200
