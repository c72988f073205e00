"""Erasing a desk's registrant who named no member, at their request: what they typed on the form (name, company,
phone, problem) reads [erased] in the record, the index and the reminders, the form and its count stay, the erasure
is recorded naming the desk and the form only, and it is final. A form naming a member is erased with the member."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from services.desks.index import forms
from services.desks.main import build_index, build_office
from shared.privacy import ERASED
from shared.privacy_subjects import registrant_subject
from shared.problems import DomainError, InvalidInput
from tests.desks.helpers import announced
from tests.desks.test_api import announced as announced_over_http
from tests.desks.test_api import post, registration
from tests.helpers import assert_problem


def _register(office, desk, name: str, member_id: str | None) -> str:
    return office.register_member(
        desk,
        member_id=member_id,
        member_name=name,
        company=f"{name} Co.",
        phone="09121112233",
        channel="phone",
        problem=f"{name}'s goods are held at the border",
        by="l.moradi",
    )


def test_erasing_a_registrant_erases_their_form_in_the_record_and_the_index(settings, clock) -> None:
    office = build_office(settings, clock)
    index = build_index(settings, office)
    desk = announced(office)
    stranger = _register(office, desk, "Ali Karimi", None)
    other = _register(office, desk, "Sara Nouri", None)
    member = _register(office, desk, "مریم احمدی", "1001")
    index.catch_up()

    subject = office.erase_registrant(desk, stranger, "request of 1405/09/08", by="ops")
    assert subject == registrant_subject(str(desk), stranger)
    record = {f["number"]: f for f in office.record(desk)["forms"]}
    assert len(record) == 3 and record[stranger]["state"] == "scheduled"  # the form and its slot stay
    erased = record[stranger]
    assert (erased["member_name"], erased["company"], erased["phone"], erased["problem"]) == (ERASED,) * 4
    assert record[other]["member_name"] == "Sara Nouri"
    index.catch_up()
    with index.engine.connect() as conn:
        query = sa.select(forms.c.number, forms.c.problem).where(forms.c.desk_id == str(desk))
        rows = {str(number): problem for number, problem in conn.execute(query)}
    assert rows[stranger] == ERASED and rows[other] == "Sara Nouri's goods are held at the border"

    with pytest.raises(DomainError, match="already erased"):
        office.erase_registrant(desk, stranger, "again", by="ops")
    with pytest.raises(DomainError, match="erase the member"):
        office.erase_registrant(desk, member, "request", by="ops")
    with pytest.raises(InvalidInput, match="reason"):
        office.erase_registrant(desk, other, "  ", by="ops")
    assert office.record(desk)["forms"][1]["member_name"] == "Sara Nouri"  # nothing lost
    office.close()


def test_an_operator_erases_a_registrant_over_the_api(client, headers) -> None:
    desk = announced_over_http(client, headers)
    number = post(client, headers, "ms_expert", f"/desks/{desk}/registrations", registration("Ali"), 201)["number"]
    path = f"/desks/{desk}/registrations/{number}/registrant-erasure"
    assert_problem(client.post(path, json={"reason": "request"}, headers=headers["ms_manager"]), 403)
    assert_problem(client.post(path, json={"reason": ""}, headers=headers["admin"]), 422)

    answer = post(client, headers, "admin", path, {"reason": "request of 1405/09/08"})
    assert answer["subject"] == registrant_subject(desk, number)
    form = client.get(f"/desks/{desk}", headers=headers["ms_expert"]).json()["forms"][0]
    assert (form["member_name"], form["problem"]) == (ERASED, ERASED)
    lines = client.get("/audit/events", headers=headers["auditor"]).text.splitlines()
    recorded = [line for line in lines if "crm.desks.registrant.erased.v1" in line]
    assert len(recorded) == 1 and "request of 1405/09/08" in recorded[0] and "Ali" not in recorded[0]
    assert_problem(client.post(path, json={"reason": "twice"}, headers=headers["admin"]), 409, "already erased")
    missing = f"/desks/{desk}/registrations/9/registrant-erasure"
    assert_problem(client.post(missing, json={"reason": "request"}, headers=headers["admin"]), 404)


def test_crm_privacy_erases_a_registrant_by_desk_and_form(settings, clock, monkeypatch, capsys) -> None:
    from services.cli import main

    office = build_office(settings, clock)
    desk = announced(office)
    stranger = _register(office, desk, "Ali Karimi", None)
    member = _register(office, desk, "مریم احمدی", "1001")
    office.close()
    monkeypatch.setenv("CRM_DATA_DIR", str(settings.data_dir))

    code = main(["privacy", "erase", "--registrant", f"{desk}/{stranger}", "--reason", "request", "--by", "ops"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"desk {desk}, form {stranger}" in out and "Ali" not in out
    assert main(["privacy", "erase", "--registrant", f"{desk}/{stranger}", "--reason", "again"]) == 1
    assert "already erased" in capsys.readouterr().err
    assert main(["privacy", "erase", "--registrant", f"{desk}/{member}", "--reason", "request"]) == 1
    assert main(["privacy", "erase", "--registrant", str(desk), "--reason", "request"]) == 2

    office = build_office(settings, clock)
    record = {f["number"]: f for f in office.record(desk)["forms"]}
    assert (record[stranger]["member_name"], record[member]["member_name"]) == (ERASED, "مریم احمدی")
    office.close()
