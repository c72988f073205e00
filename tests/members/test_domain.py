"""The Member aggregate's rules and events, and the directory's commands, in memory."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.members.application import AlreadyRegistered, MemberDirectory, MemberNotFound, member_record
from services.members.domain import Member, StatusRefused, copied, member_id
from shared.problems import DomainError, InvalidInput

AT = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
CONTACT = {
    "name": "علی رضایی",
    "role": "مدیرعامل",
    "phones": [{"raw": "0913 123 4567", "e164": "+989131234567", "kind": "mobile"}],
}


def new_member(**details) -> Member:
    base = {
        "kind": "company",
        "name": "شرکت فرش دستباف اصفهان",
        "trade_group": "فرش و صنایع دستی",
        "contacts": [CONTACT],
    }
    return Member.register(membership_number="1001", details={**base, **details}, by="z.rahimi", at=AT)


def event_names(member: Member) -> list[str]:
    return [type(e).__name__ for e in member.collect_events()]


def test_the_id_of_a_member_is_derived_from_its_membership_number():
    assert (
        new_member().id
        == member_id("1001")
        == uuid.uuid5(uuid.UUID("a6f3b0f2-51c4-4f0e-8b8e-3b9a9d6c2e71"), "member:1001")
    )


def test_a_registered_member_is_active_and_is_a_member():
    member = new_member()
    assert member.status == "active" and member.is_member
    assert member.products == [] and member.import_countries == [] and member.email is None
    assert member.contact_persons[0].phones[0].e164 == "+989131234567"
    assert event_names(member) == ["Registered"]


@pytest.mark.parametrize(
    "details, message",
    [({"name": "  "}, "name"), ({"kind": "cooperative"}, "company nor person"), ({"preferred_language": "de"}, "fa, tr, en, ar"),
     ({"colour": "blue"}, "unknown member fields"), ({"contacts": [{"name": "", "phones": []}]}, "contact person needs a name")],
)  # fmt: skip
def test_registration_refuses_invalid_details(details, message):
    with pytest.raises(InvalidInput, match=message):
        new_member(**details)


def test_an_update_records_only_the_fields_that_changed_with_their_new_values():
    member = new_member()
    member.collect_events()
    changes = member.update_details(
        {"name": "شرکت فرش دستباف اصفهان", "email": "info@farsh.example", "products": ["گلیم"]}, by="x", at=AT
    )
    assert changes == {"email": "info@farsh.example", "products": ["گلیم"]}
    [updated] = member.collect_events()
    assert type(updated).__name__ == "DetailsUpdated"
    assert updated.changes == {"email": "info@farsh.example", "products": ["گلیم"]}


def test_an_update_that_changes_nothing_records_nothing():
    member = new_member()
    member.collect_events()
    assert member.update_details({"name": "شرکت فرش دستباف اصفهان"}, by="x", at=AT) == {}
    assert member.collect_events() == []


def test_suspend_reinstate_and_end_follow_the_membership_rules():
    member = new_member()
    member.suspend("عدم پرداخت حق عضویت", by="m.karimi", at=AT)
    assert member.status == "suspended" and not member.is_member and member.status_reason == "عدم پرداخت حق عضویت"
    with pytest.raises(StatusRefused, match="only an active member can be suspended"):
        member.suspend("again", by="m.karimi", at=AT)
    member.reinstate(by="m.karimi", at=AT)
    assert member.is_member
    with pytest.raises(StatusRefused, match="only a suspended member can be reinstated"):
        member.reinstate(by="m.karimi", at=AT)
    member.end("انصراف", by="m.karimi", at=AT)
    assert member.status == "ended" and not member.is_member
    with pytest.raises(StatusRefused, match="already ended"):
        member.end("again", by="m.karimi", at=AT)
    assert event_names(member) == ["Registered", "Suspended", "Reinstated", "Ended"]


def test_an_ended_member_cannot_be_updated_suspended_or_reinstated():
    member = new_member()
    member.end("انصراف از عضویت", by="m.karimi", at=AT)
    with pytest.raises(StatusRefused, match="can no longer change"):
        member.update_details({"email": "a@b.example"}, by="x", at=AT)
    with pytest.raises(StatusRefused):
        member.suspend("x", by="x", at=AT)
    with pytest.raises(StatusRefused):
        member.reinstate(by="x", at=AT)


def test_a_suspended_member_can_still_be_updated():
    member = new_member()
    member.suspend("reason", by="x", at=AT)
    assert member.update_details({"address": "اصفهان"}, by="x", at=AT) == {"address": "اصفهان"}


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_suspension_and_end_need_a_reason(reason):
    member = new_member()
    with pytest.raises(InvalidInput, match="reason"):
        member.suspend(reason, by="x", at=AT)
    with pytest.raises(InvalidInput, match="reason"):
        member.end(reason, by="x", at=AT)


def test_rule_errors_are_conflicts_and_input_errors_are_422():
    assert StatusRefused.status == 409 and issubclass(StatusRefused, DomainError)
    assert InvalidInput.status == 422


# -- the directory, in memory ---------------------------------------------------------------------------------
@pytest.fixture
def directory(clock) -> MemberDirectory:
    return MemberDirectory(clock=clock, region="IR")


def register(directory: MemberDirectory, number: str = "۱۰۰۱", **details) -> str:
    base = {
        "kind": "company",
        "name": "شرکت فرش دستباف اصفهان",
        "contacts": [{"name": "علی رضایی", "phones": ["۰۹۱۳ ۱۲۳ ۴۵۶۷", "031-36645000"]}],
    }
    return directory.register_member(number, {**base, **details}, by="z.rahimi")


def test_the_directory_normalises_what_it_registers(directory):
    number = register(directory, import_countries=["irq", "چین"], export_countries=["Almanya"], email=" a@B.example ")
    assert number == "1001"
    record = member_record(directory.get_member("١٠٠١"))
    assert record["import_countries"] == ["IQ", "CN"] and record["export_countries"] == ["DE"]
    assert record["email"] == "a@b.example"
    assert [(p["e164"], p["kind"]) for p in record["contacts"][0]["phones"]] == [
        ("+989131234567", "mobile"),
        ("+983136645000", "fixed"),
    ]
    assert record["contacts"][0]["phones"][0]["raw"] == "۰۹۱۳ ۱۲۳ ۴۵۶۷"


def test_registering_a_membership_number_twice_is_refused(directory):
    register(directory)
    with pytest.raises(AlreadyRegistered, match="already registered"):
        register(directory, "1001", name="another")


def test_a_bad_phone_or_country_is_refused_before_anything_is_stored(directory):
    with pytest.raises(InvalidInput, match=r"contacts\[0\]: '12345' is not a valid phone number"):
        register(directory, contacts=[{"name": "x", "phones": ["12345"]}])
    with pytest.raises(InvalidInput, match="export_countries: unknown country 'Narnia'"):
        register(directory, export_countries=["Narnia"])
    assert directory.recorder.max_notification_id() in (None, 0)


def test_commands_on_an_unknown_member_are_not_found(directory):
    with pytest.raises(MemberNotFound):
        directory.suspend_member("999", "x")
    with pytest.raises(MemberNotFound):
        directory.get_member("999")


def test_the_history_lists_every_event_with_its_kafka_type(directory, clock):
    register(directory)
    directory.update_member("1001", {"address": "اصفهان، چهارباغ"}, by="z.rahimi")
    directory.suspend_member("1001", "عدم تمدید", by="m.karimi")
    directory.reinstate_member("1001", by="m.karimi")
    directory.end_member("1001", "انصراف", by="m.karimi")
    history = directory.history("1001")
    assert [h["type"] for h in history] == [
        "crm.members.member.registered.v1",
        "crm.members.member.details_updated.v1",
        "crm.members.member.suspended.v1",
        "crm.members.member.reinstated.v1",
        "crm.members.member.ended.v1",
    ]
    assert history[1]["data"] == {"changes": {"address": "اصفهان، چهارباغ"}, "by": "z.rahimi", "at": clock.now}
    assert history[2]["data"]["reason"] == "عدم تمدید"
    assert history[0]["data"]["status"] == "active"
    assert history[0]["data"]["contacts"][0]["phones"][0]["e164"] == "+989131234567"


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=20,
)


def _containers(value: Any) -> list[int]:
    if isinstance(value, list):
        return [id(value), *(i for v in value for i in _containers(v))]
    if isinstance(value, dict):
        return [id(value), *(i for v in value.values() for i in _containers(v))]
    return []


@settings(max_examples=300, deadline=None)
@given(_JSON)
def test_a_detail_s_copy_equals_a_deep_copy_and_shares_no_list_or_dict(value: Any) -> None:
    made = copied(value)
    assert made == copy.deepcopy(value) and type(made) is type(value)
    assert not set(_containers(made)) & set(_containers(value))
