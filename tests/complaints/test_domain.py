"""The `Complaint` aggregate: every step of the complaint procedure (docs/procedures.md#complaints, ISO 10002), every refusal, and
every case of the conflict-of-interest rule."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from services.complaints.application import ComplaintDesk, units_of_person
from services.complaints.domain import (
    Complaint,
    ConflictOfInterest,
    Decision,
    HandlerKind,
    Kind,
    Outcome,
    Stage,
    State,
    TransitionRefused,
    check_handler,
    complaint_id_for_source,
    reference_for_source,
)
from shared.organisation import DEFAULT_ORGANISATION, Organisation
from shared.problems import InvalidInput

T0 = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)  # Saturday 10:30 in Tehran
ORG = Organisation.load(DEFAULT_ORGANISATION)
FIXED = ["m.karimi", "sg", "planning.manager"]


def units_of(person: str) -> set[str]:
    return units_of_person(ORG, person)


def minutes(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


def received(**overrides: Any) -> Complaint:
    """A member's complaint about the membership unit's r.sadeghi, taken in person by z.rahimi; a.moradi (member
    relations) took part in the matter."""
    args: dict[str, Any] = {
        "channel": "in_person",
        "kind": "complaint",
        "description": "کارت بازرگانی پس از دو ماه هنوز صادر نشده است",
        "at": T0,
        "by": "z.rahimi",
        "occurred_at": T0 - timedelta(days=3),
        "member_number": "1001",
        "complainant_name": "علی رضایی",
        "contact_phone": "+989131234567",
        "contact_phone_raw": "0913 123 4567",
        "unit": "membership",
        "stakeholders": {"units": ["membership"], "persons": ["r.sadeghi"], "participants": ["a.moradi"]},
    }
    args.update(overrides)
    return Complaint.receive(**args)


def recorded(complaint: Complaint) -> list[str]:
    """The names of the events recorded since the last look (and forget them)."""
    return [type(e).__name__ for e in complaint.collect_events()]


def refused(complaint: Complaint, action, error: type[Exception] = TransitionRefused) -> str:
    """Run a command that must be refused; check it recorded nothing and return the reason it gave."""
    recorded(complaint)
    version = complaint.version
    with pytest.raises(error) as caught:
        action(complaint)
    assert recorded(complaint) == []
    assert complaint.version == version
    return str(caught.value)


def acknowledged(**overrides: Any) -> Complaint:
    c = received(**overrides)
    c.acknowledge(by="z.rahimi", method="phone", note=None, at=minutes(10))
    return c


def reviewed(**overrides: Any) -> Complaint:
    c = acknowledged(**overrides)
    c.complete_review(by="m.karimi", at=minutes(20))
    return c


def referred(**overrides: Any) -> Complaint:
    c = reviewed(**overrides)
    c.refer(by="m.karimi", note=None, at=minutes(30))
    return c


def assign(c: Complaint, handler: str = "p.mohammadi", kind: HandlerKind = HandlerKind.PERSON, at: int = 40) -> str:
    return c.assign_handler(handler_kind=kind, handler=handler, units_of=units_of, by="sg", at=minutes(at))


def assigned(handler: str = "p.mohammadi", kind: HandlerKind = HandlerKind.PERSON) -> Complaint:
    c = referred()
    assign(c, handler, kind)
    return c


def report(c: Complaint, by: str = "p.mohammadi", by_unit: str | None = None, **fields: str) -> None:
    body = {
        "circumstances": "the file waited for a signature",
        "root_causes": "one signatory on leave, no deputy",
        "consequences": "the member could not export for two months",
        "actions_taken": "card issued; a deputy signatory named",
    }
    body.update(fields)
    c.report_investigation(**body, by=by, by_unit=by_unit, at=minutes(60))


def investigated() -> Complaint:
    c = assigned()
    report(c)
    return c


def accepted() -> Complaint:
    c = investigated()
    c.decide(decision=Decision.ACCEPTED, reason=None, by="sg", at=minutes(70))
    return c


def convened(variable: list[str] | None = None) -> Complaint:
    c = accepted()
    c.convene_committee(
        subject="delays in issuing cards",
        fixed_members=FIXED,
        variable_members=variable or ["h.tehrani"],
        sg_members=["sg"],
        meeting_at=None,
        by="m.karimi",
        at=minutes(80),
    )
    return c


def committee_decided(actions: list[dict[str, Any]] | None = None) -> Complaint:
    c = convened()
    c.record_committee_decision(
        attendees=["m.karimi", "sg", "h.tehrani"],
        decision=Outcome.SETTLED,
        reasoning="the card is issued; the fee for the delay is waived",
        corrective_actions=actions
        if actions is not None
        else [{"description": "name a deputy signatory", "owner": "h.tehrani", "due": "2026-12-20"}],
        held_at=minutes(90),
        minutes="the unit manager explained the missing deputy",
        by="sg",
        at=minutes(95),
    )
    return c


def notified() -> Complaint:
    c = committee_decided()
    c.notify_member(method="phone", message="your card is issued and the fee waived", by="m.karimi", at=minutes(100))
    return c


def closed() -> Complaint:
    c = notified()
    c.close(note=None, by="m.karimi", at=minutes(110))
    return c


# --- receipt ------------------------------------------------------------------------------------------------------


def test_a_complaint_taken_in_person_is_received_with_everything_the_form_asks_for() -> None:
    c = received()
    assert recorded(c) == ["Received"]
    assert c.state == State.RECEIVED
    assert c.is_open
    assert c.channel == "in_person" and c.kind == Kind.COMPLAINT
    assert c.registered_by == "z.rahimi"
    assert c.received_at == T0
    assert c.occurred_at == T0 - timedelta(days=3)
    assert (c.member_number, c.complainant_name, c.contact_phone) == ("1001", "علی رضایی", "+989131234567")
    assert c.stakeholders == {
        "units": ["membership"],
        "persons": ["r.sadeghi"],
        "participants": ["a.moradi"],
        "complainant": "علی رضایی",
    }
    assert c.round == 1 and c.version == 1
    assert c.current_stage() == Stage.ACKNOWLEDGEMENT


def test_the_tracking_reference_is_short_readable_and_names_the_aggregate() -> None:
    a, b = received(), received()
    assert a.reference != b.reference
    assert a.reference.startswith("C-") and len(a.reference) == 11
    assert not set(a.reference[2:].replace("-", "")) & set("ILOU")


def test_a_phone_complaint_is_linked_to_the_call_it_was_taken_in() -> None:
    call = str(uuid.uuid4())
    c = received(channel="phone", call_id=call)
    assert c.call_id == call


def test_a_phone_complaint_without_its_call_is_refused() -> None:
    with pytest.raises(InvalidInput, match="linked to its call"):
        received(channel="phone")


def test_only_a_phone_complaint_is_linked_to_a_call() -> None:
    with pytest.raises(InvalidInput, match="only a complaint taken by phone"):
        received(call_id="abc")


def test_an_automatic_complaint_is_named_by_its_source_reference() -> None:
    first = received(channel="automatic", source="surveys", source_ref="surveys:response:42:q3", by=None)
    again = received(channel="automatic", source="surveys", source_ref="surveys:response:42:q3", by=None)
    assert first.id == again.id == complaint_id_for_source("surveys:response:42:q3")
    assert first.reference == reference_for_source("surveys:response:42:q3")
    assert first.source == "surveys"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"channel": "automatic", "source": "surveys"}, "source reference"),
        ({"channel": "automatic", "source_ref": "x:1"}, "names the service"),
        ({"source_ref": "x:1"}, "only an automatic complaint"),
        ({"channel": "fax"}, "channel 'fax'"),
        ({"kind": "praise"}, "kind 'praise'"),
        ({"description": "   "}, "description"),
        ({"occurred_at": T0 + timedelta(hours=1)}, "in the future"),
    ],
)
def test_a_receipt_the_rules_refuse_is_invalid_with_the_reason(overrides: dict[str, Any], reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        received(**overrides)


# --- acknowledgement and review -----------------------------------------------------------------------------------


def test_acknowledgement_hands_the_complaint_to_the_review() -> None:
    c = received()
    recorded(c)
    c.acknowledge(by="z.rahimi", method="sms", note="reference sent", at=minutes(10))
    assert recorded(c) == ["Acknowledged"]
    assert c.state == State.ACKNOWLEDGED
    assert c.acknowledged_at == minutes(10)
    assert c.stage_done["acknowledgement"] == minutes(10)
    assert c.current_stage() == Stage.REVIEW


def test_a_complaint_is_acknowledged_once() -> None:
    reason = refused(acknowledged(), lambda c: c.acknowledge(by="z.rahimi", method="phone", note=None, at=minutes(11)))
    assert "cannot acknowledge the complaint: the complaint is acknowledged" in reason


def test_an_acknowledgement_says_how_the_member_was_told() -> None:
    refused(received(), lambda c: c.acknowledge(by="z.rahimi", method=" ", note=None, at=minutes(1)), InvalidInput)


def test_the_manager_adds_information_and_the_event_keeps_what_it_replaced() -> None:
    c = acknowledged(contact_phone=None, occurred_at=None)
    recorded(c)
    changed = c.add_information(
        changes={"contact_email": "info@farsh.example", "occurred_at": T0 - timedelta(days=1)},
        note="called the member",
        by="m.karimi",
        at=minutes(15),
    )
    assert changed == {"contact_email": "info@farsh.example", "occurred_at": T0 - timedelta(days=1)}
    events = c.collect_events()
    assert [type(e).__name__ for e in events] == ["InformationAdded"]
    assert events[0].previous == {"contact_email": None, "occurred_at": None}
    assert events[0].note == "called the member"
    assert c.contact_email == "info@farsh.example"


def test_information_that_changes_nothing_records_nothing() -> None:
    c = acknowledged()
    recorded(c)
    assert c.add_information(changes={"member_number": "1001"}, note=None, by="m.karimi", at=minutes(15)) == {}
    assert recorded(c) == []


def test_the_complainant_as_a_stakeholder_follows_a_corrected_name() -> None:
    c = acknowledged()
    c.add_information(changes={"complainant_name": "علی رضائی"}, note=None, by="m.karimi", at=minutes(15))
    assert c.stakeholders["complainant"] == "علی رضائی"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"state": "closed"}, "cannot be changed"),
        ({"kind": "praise"}, "kind"),
        ({"description": ""}, "description"),
        ({"occurred_at": T0 + timedelta(days=1)}, "future"),
    ],
)
def test_information_the_rules_refuse_is_invalid(changes: dict[str, Any], reason: str) -> None:
    assert reason in refused(
        acknowledged(),
        lambda c: c.add_information(changes=changes, note=None, by="m.karimi", at=minutes(15)),
        InvalidInput,
    )


def test_no_information_is_added_once_the_review_is_complete() -> None:
    reason = refused(
        reviewed(), lambda c: c.add_information(changes={"service": "x"}, note=None, by="m.karimi", at=minutes(25))
    )
    assert "possible only when received, acknowledged" in reason


def test_the_review_cannot_be_completed_before_the_member_is_acknowledged() -> None:
    assert "acknowledge the complaint to the member first" in refused(
        received(), lambda c: c.complete_review(by="m.karimi", at=minutes(5))
    )


def test_the_review_cannot_be_completed_while_the_form_lacks_details() -> None:
    c = acknowledged(occurred_at=None, contact_phone=None, unit=None)
    reason = refused(c, lambda c: c.complete_review(by="m.karimi", at=minutes(20)))
    assert "the time of occurrence" in reason
    assert "contact details" in reason
    assert "the unit or service concerned" in reason


def test_a_suggestion_need_not_name_a_unit_or_service() -> None:
    c = acknowledged(kind="suggestion", unit=None)
    c.complete_review(by="m.karimi", at=minutes(20))
    assert c.state == State.REVIEWED


def test_a_complete_review_is_marked_by_the_manager() -> None:
    c = reviewed()
    assert c.state == State.REVIEWED and c.reviewed_by == "m.karimi"


def test_a_complaint_goes_to_the_sg_only_after_the_review_is_complete() -> None:
    assert "has not marked the review complete" in refused(
        acknowledged(), lambda c: c.refer(by="m.karimi", note=None, at=minutes(20))
    )


def test_referral_to_the_sg_starts_the_assignment_stage() -> None:
    c = reviewed()
    recorded(c)
    c.refer(by="m.karimi", note="urgent", at=minutes(30))
    assert recorded(c) == ["Referred"]
    assert c.state == State.REFERRED
    assert c.stage_done["review"] == minutes(30)
    assert c.current_stage() == Stage.ASSIGNMENT


def test_referral_happens_once() -> None:
    refused(referred(), lambda c: c.refer(by="m.karimi", note=None, at=minutes(31)))


# --- stakeholders -------------------------------------------------------------------------------------------------


def test_stakeholders_are_recorded_and_replace_the_previous_ones() -> None:
    c = acknowledged()
    recorded(c)
    assert c.record_stakeholders(
        units=["trade", " trade "],
        persons=["s.ahmadi"],
        participants=[],
        complainant=None,
        by="m.karimi",
        at=minutes(12),
    )
    assert recorded(c) == ["StakeholdersRecorded"]
    assert c.stakeholders == {
        "units": ["trade"],
        "persons": ["s.ahmadi"],
        "participants": [],
        "complainant": "علی رضایی",
    }


def test_the_same_stakeholders_again_record_nothing() -> None:
    c = acknowledged()
    recorded(c)
    same = c.stakeholders
    assert not c.record_stakeholders(
        units=same["units"],
        persons=same["persons"],
        participants=same["participants"],
        complainant=None,
        by="m.karimi",
        at=minutes(12),
    )
    assert recorded(c) == []


def test_stakeholders_are_fixed_once_a_handler_is_assigned() -> None:
    reason = refused(
        assigned(),
        lambda c: c.record_stakeholders(
            units=[], persons=["p.mohammadi"], participants=[], complainant=None, by="sg", at=minutes(50)
        ),
    )
    assert "before a handler is assigned" in reason


# --- assignment and the conflict-of-interest rule -----------------------------------------------------------------


def test_the_sg_assigns_an_eligible_person_and_the_reason_is_kept_for_the_audit() -> None:
    c = referred()
    recorded(c)
    eligibility = assign(c, "p.mohammadi")
    events = c.collect_events()
    assert [type(e).__name__ for e in events] == ["HandlerAssigned"]
    e = events[0]
    assert (e.handler_kind, e.handler, e.handler_units, e.round) == ("person", "p.mohammadi", ["international"], 1)
    assert e.eligibility == eligibility
    assert "not the complainant (علی رضایی)" in eligibility
    assert "not a person complained about (r.sadeghi)" in eligibility
    assert "took no part in the matter (a.moradi)" in eligibility
    assert "belongs to international" in eligibility
    assert e.stakeholders["persons"] == ["r.sadeghi"]
    assert c.state == State.ASSIGNED and c.handler == "p.mohammadi"
    assert c.current_stage() == Stage.INVESTIGATION


def test_the_sg_may_assign_a_unit_that_is_no_stakeholder() -> None:
    c = referred()
    eligibility = assign(c, "legal", HandlerKind.UNIT)
    assert c.handler_kind == HandlerKind.UNIT and c.handler_units == ["legal"]
    assert "unit legal is not complained about (membership) and none of its staff is (r.sadeghi)" in eligibility


@pytest.mark.parametrize(
    ("handler", "kind", "stakeholders", "reason"),
    [
        ("علی رضایی", "person", {}, "is the complainant"),
        ("r.sadeghi", "person", {}, "is a person complained about"),
        ("R.Sadeghi", "person", {}, "is a person complained about"),
        ("a.moradi", "person", {}, "took part in the matter"),
        ("n.jafari", "person", {}, "belongs to membership, a unit complained about"),
        ("h.tehrani", "person", {}, "belongs to membership, a unit complained about"),  # the unit's manager
        (
            "k.rezaei",
            "person",
            {"units": [], "persons": ["s.ahmadi"]},
            "belongs to trade, the unit of s.ahmadi, who is complained about",
        ),
        (
            "f.alavi",
            "person",
            {"units": [], "persons": ["s.ahmadi"]},
            "belongs to trade, the unit of s.ahmadi",
        ),  # s.ahmadi's manager
        ("membership", "unit", {}, "unit membership is a unit complained about"),
        (
            "trade",
            "unit",
            {"units": [], "persons": ["s.ahmadi"]},
            "unit trade is the unit of s.ahmadi, who is complained about",
        ),
        (
            "member_relations",
            "unit",
            {"units": ["legal"], "persons": ["z.rahimi"]},
            "unit member_relations is the unit of z.rahimi",
        ),
    ],
)
def test_a_stakeholder_may_not_handle_the_complaint(
    handler: str, kind: str, stakeholders: dict[str, Any], reason: str
) -> None:
    c = referred()
    if stakeholders:
        c2 = acknowledged()
        c2.record_stakeholders(
            units=stakeholders.get("units", []),
            persons=stakeholders.get("persons", []),
            participants=[],
            complainant=None,
            by="m.karimi",
            at=minutes(12),
        )
        c2.complete_review(by="m.karimi", at=minutes(20))
        c2.refer(by="m.karimi", note=None, at=minutes(30))
        c = c2
    message = refused(c, lambda c: assign(c, handler, HandlerKind(kind)), ConflictOfInterest)
    assert "conflict of interest" in message
    assert reason in message


def test_a_handler_who_is_several_stakeholders_at_once_is_told_every_reason() -> None:
    c = acknowledged()
    c.record_stakeholders(
        units=["membership"],
        persons=["r.sadeghi"],
        participants=["r.sadeghi"],
        complainant=None,
        by="m.karimi",
        at=minutes(12),
    )
    c.complete_review(by="m.karimi", at=minutes(20))
    c.refer(by="m.karimi", note=None, at=minutes(30))
    with pytest.raises(ConflictOfInterest) as caught:
        assign(c, "r.sadeghi")
    assert caught.value.reasons == [
        "r.sadeghi is a person complained about",
        "r.sadeghi took part in the matter",
        "r.sadeghi belongs to membership, a unit complained about",
    ]


def test_a_person_outside_the_organisation_file_may_handle_when_no_stakeholder() -> None:
    refused_reasons, eligible = check_handler(
        HandlerKind.PERSON,
        "adviser.x",
        {"units": ["trade"], "persons": [], "participants": [], "complainant": "M"},
        units_of,
    )
    assert refused_reasons == []
    assert "belongs to no unit of the organisation" in eligible


def test_the_application_keeps_a_refused_assignment_for_the_audit() -> None:
    desk = ComplaintDesk(organisation=ORG, clock=lambda: minutes(45))
    c = referred()
    desk.save(c)
    with pytest.raises(ConflictOfInterest):
        desk.assign_handler(c.id, handler_kind="person", handler="r.sadeghi", by="sg")
    history = desk.history(c.id)
    assert history[-1]["type"] == "crm.complaints.complaint.assignment_refused.v1"
    assert history[-1]["data"]["reasons"] == [
        "r.sadeghi is a person complained about",
        "r.sadeghi belongs to membership, a unit complained about",
    ]
    assert desk.get_complaint(c.id).state == State.REFERRED


def test_a_handler_is_assigned_only_once_the_complaint_is_referred() -> None:
    assert "possible only when referred, assigned" in refused(reviewed(), lambda c: assign(c))


def test_the_sg_may_reassign_before_the_report_and_the_new_handler_gets_the_whole_time() -> None:
    c = assigned()
    recorded(c)
    assign(c, "legal", HandlerKind.UNIT, at=120)
    events = c.collect_events()
    assert events[0].reassigned_from == "p.mohammadi"
    assert c.handler == "legal"
    assert c.stage_started["investigation"] == minutes(120)
    assert c.stage_done["assignment"] == minutes(40)


def test_the_same_handler_is_not_assigned_twice() -> None:
    assert "already the handler" in refused(assigned(), lambda c: assign(c, "p.mohammadi", at=50))


def test_a_handler_is_a_person_or_a_unit() -> None:
    refused(
        referred(),
        lambda c: c.assign_handler(handler_kind="team", handler="x", units_of=units_of, by="sg", at=minutes(40)),
        InvalidInput,
    )


# --- investigation ------------------------------------------------------------------------------------------------


def test_the_handler_files_the_investigation_report_to_the_sg() -> None:
    c = assigned()
    recorded(c)
    report(c)
    assert recorded(c) == ["InvestigationReported"]
    assert c.state == State.INVESTIGATED
    assert c.investigation["root_causes"] == "one signatory on leave, no deputy"
    assert c.current_stage() == Stage.DECISION


def test_only_the_assigned_handler_files_the_report() -> None:
    assert "only the assigned handler (p.mohammadi)" in refused(assigned(), lambda c: report(c, by="b.ghasemi"))


def test_a_handling_unit_files_its_report_through_its_staff() -> None:
    c = assigned("legal", HandlerKind.UNIT)
    refused(c, lambda c: report(c, by="d.kazemi", by_unit="trade"))
    report(c, by="d.kazemi", by_unit="legal")
    assert c.state == State.INVESTIGATED


@pytest.mark.parametrize("field", ["circumstances", "root_causes", "consequences", "actions_taken"])
def test_the_report_states_circumstances_root_causes_consequences_and_actions(field: str) -> None:
    assert field.replace("_", " ") in refused(assigned(), lambda c: report(c, **{field: " "}), InvalidInput)


def test_no_report_before_a_handler_is_assigned() -> None:
    refused(referred(), lambda c: report(c))


# --- decision and committee ---------------------------------------------------------------------------------------


def test_the_sg_rejects_with_a_reason_and_the_result_is_decided() -> None:
    c = investigated()
    recorded(c)
    c.decide(decision="rejected", reason="the fee was due under the bylaws", by="sg", at=minutes(70))
    assert recorded(c) == ["Decided"]
    assert c.state == State.DECIDED and c.outcome == Outcome.REJECTED
    assert c.current_stage() == Stage.NOTIFICATION


def test_a_rejection_needs_its_reason() -> None:
    assert "reason the complaint is rejected" in refused(
        investigated(), lambda c: c.decide(decision="rejected", reason=" ", by="sg", at=minutes(70)), InvalidInput
    )


def test_the_sg_only_accepts_or_rejects() -> None:
    refused(investigated(), lambda c: c.decide(decision="settled", reason="x", by="sg", at=minutes(70)), InvalidInput)


def test_no_decision_before_the_investigation_report() -> None:
    refused(assigned(), lambda c: c.decide(decision="accepted", reason=None, by="sg", at=minutes(70)))


def test_an_accepted_complaint_waits_for_the_sg_to_say_whether_the_committee_meets() -> None:
    c = accepted()
    assert c.state == State.ACCEPTED and c.decision == Decision.ACCEPTED and c.outcome is None
    assert c.current_stage() == Stage.DECISION


def test_the_sg_may_accept_without_convening_the_committee() -> None:
    c = accepted()
    recorded(c)
    c.forgo_committee(reason="the unit fixed it already", by="sg", at=minutes(75))
    assert recorded(c) == ["CommitteeNotConvened"]
    assert c.state == State.DECIDED and c.outcome == Outcome.ACCEPTED


def test_the_committee_is_convened_with_its_fixed_members_and_members_for_the_subject() -> None:
    c = convened(variable=["h.tehrani", "SG", "y.mousavi"])
    assert c.state == State.COMMITTEE
    assert c.committee["fixed_members"] == FIXED
    assert c.committee["variable_members"] == ["h.tehrani", "y.mousavi"]
    assert c.committee["members"] == [*FIXED, "h.tehrani", "y.mousavi"]
    assert c.is_committee_member("y.mousavi")
    assert c.waiting_on()["role"] == "committee"


def test_the_committee_is_not_convened_for_a_rejected_complaint() -> None:
    c = investigated()
    c.decide(decision="rejected", reason="no basis", by="sg", at=minutes(70))
    refused(
        c,
        lambda c: c.convene_committee(
            subject="x", fixed_members=FIXED, variable_members=[], meeting_at=None, by="sg", at=minutes(80)
        ),
    )
    refused(c, lambda c: c.forgo_committee(reason=None, by="sg", at=minutes(80)))


def test_the_committee_needs_its_fixed_members_configured() -> None:
    assert "fixed members are not configured" in refused(
        accepted(),
        lambda c: c.convene_committee(
            subject="x", fixed_members=[], variable_members=["a"], meeting_at=None, by="sg", at=minutes(80)
        ),
    )


def test_the_committee_decides_settles_and_defines_corrective_actions() -> None:
    c = committee_decided(
        [
            {"description": "name a deputy signatory", "owner": "h.tehrani", "due": "2026-12-20"},
            {"description": "publish the card issuing times", "owner": "membership", "due": date(2027, 1, 10)},
        ]
    )
    assert c.state == State.DECIDED and c.outcome == Outcome.SETTLED
    assert c.committee["attendees"] == ["m.karimi", "sg", "h.tehrani"]
    assert [(a["id"], a["owner"], a["due"], a["status"]) for a in c.corrective_actions] == [
        ("CA-1", "h.tehrani", "2026-12-20", "open"),
        ("CA-2", "membership", "2027-01-10", "open"),
    ]


@pytest.mark.parametrize(
    ("change", "error", "reason"),
    [
        ({"attendees": ["m.karimi", "s.ahmadi"]}, TransitionRefused, "not members of this committee: s.ahmadi"),
        ({"attendees": []}, InvalidInput, "who attended"),
        ({"decision": "postponed"}, InvalidInput, "accepts, rejects or settles"),
        ({"reasoning": ""}, InvalidInput, "reasoning"),
        (
            {"corrective_actions": [{"description": "x", "owner": "h.tehrani", "due": "2026-11-01"}]},
            InvalidInput,
            "before the meeting",
        ),
        (
            {"corrective_actions": [{"description": "x", "owner": "h.tehrani", "due": "next week"}]},
            InvalidInput,
            "is not a date",
        ),
        ({"corrective_actions": [{"description": "x", "owner": " ", "due": "2026-12-01"}]}, InvalidInput, "the owner"),
        ({"held_at": minutes(200)}, InvalidInput, "before it is held"),
    ],
)
def test_a_committee_decision_the_rules_refuse_records_nothing(
    change: dict[str, Any], error: type[Exception], reason: str
) -> None:
    args: dict[str, Any] = {
        "attendees": ["m.karimi", "sg", "h.tehrani"],
        "decision": "accepted",
        "reasoning": "ok",
        "minutes": "discussed",
        "corrective_actions": [],
        "held_at": minutes(90),
        "by": "sg",
        "at": minutes(95),
    }
    args.update(change)
    assert reason in refused(convened(), lambda c: c.record_committee_decision(**args), error)


def test_the_committee_decides_only_when_convened() -> None:
    refused(
        accepted(),
        lambda c: c.record_committee_decision(
            attendees=["sg"],
            decision="accepted",
            reasoning="x",
            corrective_actions=[],
            held_at=minutes(90),
            by="sg",
            at=minutes(95),
        ),
    )


def test_a_corrective_action_is_open_until_done() -> None:
    c = committee_decided()
    recorded(c)
    c.complete_corrective_action(action_id="CA-1", note="deputy named", by="h.tehrani", at=minutes(200))
    assert recorded(c) == ["CorrectiveActionCompleted"]
    action = c.corrective_action("CA-1")
    assert (action["status"], action["done_by"], action["done_at"], action["note"]) == (
        "done",
        "h.tehrani",
        minutes(200),
        "deputy named",
    )


def test_a_corrective_action_is_done_once() -> None:
    c = committee_decided()
    c.complete_corrective_action(action_id="CA-1", note=None, by="h.tehrani", at=minutes(200))
    assert "already done" in refused(
        c, lambda c: c.complete_corrective_action(action_id="CA-1", note=None, by="h.tehrani", at=minutes(201))
    )


def test_an_unknown_corrective_action_is_refused() -> None:
    assert "no corrective action 'CA-9'" in refused(
        committee_decided(),
        lambda c: c.complete_corrective_action(action_id="CA-9", note=None, by="sg", at=minutes(200)),
    )


# --- notification, closing, satisfaction, reopening ---------------------------------------------------------------


def test_the_member_is_told_the_result_once_it_is_decided() -> None:
    c = committee_decided()
    recorded(c)
    c.notify_member(method="phone", message="settled", by="m.karimi", at=minutes(100))
    events = c.collect_events()
    assert [type(e).__name__ for e in events] == ["MemberNotified"]
    assert events[0].outcome == "settled"
    assert c.state == State.NOTIFIED
    assert c.current_stage() is None


@pytest.mark.parametrize("make", [accepted, convened])
def test_the_member_is_not_told_before_the_final_result(make) -> None:
    assert "final result is not decided yet" in refused(
        make(), lambda c: c.notify_member(method="phone", message="x", by="m.karimi", at=minutes(100))
    )


def test_a_notification_says_what_the_member_was_told() -> None:
    refused(
        committee_decided(),
        lambda c: c.notify_member(method="phone", message=" ", by="m.karimi", at=minutes(100)),
        InvalidInput,
    )


def test_a_complaint_is_closed_after_the_member_is_told() -> None:
    c = notified()
    recorded(c)
    c.close(note=None, by="m.karimi", at=minutes(110))
    assert recorded(c) == ["Closed"]
    assert c.state == State.CLOSED and not c.is_open


def test_a_complaint_is_not_closed_before_the_member_is_told() -> None:
    assert "has not been told the result" in refused(
        committee_decided(), lambda c: c.close(note=None, by="m.karimi", at=minutes(110))
    )


def test_a_closed_complaint_is_not_closed_again() -> None:
    refused(closed(), lambda c: c.close(note=None, by="m.karimi", at=minutes(111)))


@pytest.mark.parametrize(
    ("score", "satisfied", "verdict"),
    [(5, None, True), (4, None, True), (3, None, False), (1, None, False), (None, True, True), (2, True, True)],
)
def test_the_members_satisfaction_is_a_score_or_a_yes_or_no(
    score: int | None, satisfied: bool | None, verdict: bool
) -> None:
    c = closed()
    c.record_satisfaction(score=score, satisfied=satisfied, comment=None, by="m.karimi", at=minutes(120))
    assert c.satisfaction["satisfied"] is verdict
    assert c.satisfaction["score"] == score


@pytest.mark.parametrize(("score", "satisfied"), [(None, None), (0, None), (6, None)])
def test_a_satisfaction_without_an_answer_or_out_of_range_is_invalid(score: int | None, satisfied: bool | None) -> None:
    refused(
        closed(),
        lambda c: c.record_satisfaction(score=score, satisfied=satisfied, comment=None, by="m.karimi", at=minutes(120)),
        InvalidInput,
    )


def test_satisfaction_may_be_recorded_before_closing_but_not_before_the_member_is_told() -> None:
    refused(
        committee_decided(),
        lambda c: c.record_satisfaction(score=5, satisfied=None, comment=None, by="m.karimi", at=minutes(120)),
    )
    c = notified()
    c.record_satisfaction(score=5, satisfied=None, comment=None, by="m.karimi", at=minutes(105))
    assert c.satisfaction["satisfied"]


def test_satisfaction_is_recorded_once_per_handling() -> None:
    c = closed()
    c.record_satisfaction(score=2, satisfied=None, comment=None, by="m.karimi", at=minutes(120))
    assert "already recorded" in refused(
        c, lambda c: c.record_satisfaction(score=5, satisfied=None, comment=None, by="m.karimi", at=minutes(121))
    )


def test_a_member_not_satisfied_gets_the_complaint_reopened_for_a_new_round() -> None:
    c = closed()
    c.record_satisfaction(score=2, satisfied=None, comment="nothing changed", by="m.karimi", at=minutes(120))
    recorded(c)
    c.reopen(reason="the member says the fee was charged again", by="m.karimi", at=minutes(130))
    events = c.collect_events()
    assert [type(e).__name__ for e in events] == ["Reopened"]
    assert events[0].round == 2
    assert c.round == 2 and c.state == State.ACKNOWLEDGED and c.is_open
    assert c.outcome is None and c.investigation is None and c.committee is None
    assert c.current_stage() == Stage.REVIEW and c.stage_started == {"review": minutes(130)}
    assert len(c.corrective_actions) == 1  # the first round's actions go on


def test_a_reopened_complaint_goes_through_the_procedure_again() -> None:
    c = closed()
    c.record_satisfaction(score=1, satisfied=None, comment=None, by="m.karimi", at=minutes(120))
    c.reopen(reason="charged again", by="m.karimi", at=minutes(130))
    c.complete_review(by="m.karimi", at=minutes(140))
    c.refer(by="m.karimi", note=None, at=minutes(150))
    assign(c, "legal", HandlerKind.UNIT, at=160)
    report(c, by="d.kazemi", by_unit="legal")
    c.decide(decision="accepted", reason=None, by="sg", at=minutes(200))
    c.forgo_committee(reason=None, by="sg", at=minutes(201))
    c.notify_member(method="letter", message="refunded", by="m.karimi", at=minutes(210))
    c.close(note=None, by="m.karimi", at=minutes(220))
    c.record_satisfaction(score=5, satisfied=None, comment=None, by="m.karimi", at=minutes(230))
    assert c.state == State.CLOSED and c.round == 2 and c.satisfaction["round"] == 2 and c.outcome == Outcome.ACCEPTED


def test_a_satisfied_member_has_nothing_to_reopen() -> None:
    c = closed()
    c.record_satisfaction(score=5, satisfied=None, comment=None, by="m.karimi", at=minutes(120))
    assert "satisfied with the handling" in refused(c, lambda c: c.reopen(reason="x", by="m.karimi", at=minutes(130)))


def test_reopening_waits_for_the_members_satisfaction() -> None:
    assert "record the member's satisfaction first" in refused(
        closed(), lambda c: c.reopen(reason="x", by="m.karimi", at=minutes(130))
    )


def test_only_a_closed_complaint_is_reopened() -> None:
    c = notified()
    c.record_satisfaction(score=1, satisfied=None, comment=None, by="m.karimi", at=minutes(105))
    refused(c, lambda c: c.reopen(reason="x", by="m.karimi", at=minutes(130)))


def test_a_reopening_states_its_reason() -> None:
    c = closed()
    c.record_satisfaction(score=1, satisfied=None, comment=None, by="m.karimi", at=minutes(120))
    refused(c, lambda c: c.reopen(reason=" ", by="m.karimi", at=minutes(130)), InvalidInput)


# --- confidentiality and documents --------------------------------------------------------------------------------


def test_a_complaint_is_marked_confidential_with_a_reason_and_the_mark_can_be_lifted() -> None:
    c = received()
    recorded(c)
    assert c.set_confidentiality(confidential=True, reason="concerns a board member", by="m.karimi", at=minutes(5))
    assert c.confidential
    assert not c.set_confidentiality(confidential=True, reason="again", by="m.karimi", at=minutes(6))
    assert c.set_confidentiality(confidential=False, reason="cleared by the SG", by="sg", at=minutes(7))
    assert recorded(c) == ["ConfidentialityChanged", "ConfidentialityChanged"]
    refused(c, lambda c: c.set_confidentiality(confidential=True, reason="", by="sg", at=minutes(8)), InvalidInput)


def test_a_document_is_referenced_by_its_hash_once() -> None:
    c = received()
    recorded(c)
    doc = {
        "sha256": "a" * 64,
        "size": 1200,
        "media_type": "application/pdf",
        "filename": "receipt.pdf",
        "by": "z.rahimi",
        "at": minutes(1),
    }
    assert c.attach_document(**doc)
    assert not c.attach_document(**doc)
    assert recorded(c) == ["DocumentAttached"]
    assert c.document("a" * 64)["filename"] == "receipt.pdf"


def test_a_closed_complaint_takes_no_documents() -> None:
    refused(
        closed(),
        lambda c: c.attach_document(
            sha256="b" * 64, size=1, media_type="text/plain", filename=None, by="m.karimi", at=minutes(200)
        ),
    )


# --- the events are the record ------------------------------------------------------------------------------------


def test_replaying_the_events_rebuilds_the_same_complaint() -> None:
    desk = ComplaintDesk(organisation=ORG, clock=lambda: minutes(300))
    c = closed()
    c.record_satisfaction(score=2, satisfied=None, comment=None, by="m.karimi", at=minutes(120))
    c.reopen(reason="charged again", by="m.karimi", at=minutes(130))
    desk.save(c)
    again = desk.get_complaint(c.id)
    assert desk.summary(again) == desk.summary(c)
    types = [h["type"] for h in desk.history(c.id)]
    assert types[0] == "crm.complaints.complaint.received.v1"
    assert "crm.complaints.complaint.handler_assigned.v1" in types
    assert "crm.complaints.complaint.committee_decided.v1" in types
    assert types[-1] == "crm.complaints.complaint.reopened.v1"


def test_every_event_reaches_kafka_as_json_under_its_versioned_type() -> None:
    from shared.envelope import from_kafka
    from shared.relay import EnvelopeMapper

    desk = ComplaintDesk(organisation=ORG, clock=lambda: minutes(300))
    c = closed()
    c.record_satisfaction(score=2, satisfied=None, comment=None, by="m.karimi", at=minutes(120))
    c.reopen(reason="charged again", by="m.karimi", at=minutes(130))
    c.set_confidentiality(confidential=True, reason="board member", by="sg", at=minutes(131))
    c.attach_document(
        sha256="c" * 64, size=10, media_type="text/plain", filename="n.txt", by="m.karimi", at=minutes(132)
    )
    desk.save(c)
    mapper = EnvelopeMapper(desk)
    events = [mapper(n) for n in desk.recorder.select_notifications(0, 100)]
    for e in events:
        again = from_kafka(e.headers(), e.value())  # what a consumer reads back
        assert again.type == e.type and again.subject == str(c.id)
        assert "at" in again.data
    types = [e.type for e in events]
    assert types[:4] == [
        "crm.complaints.complaint.received.v1",
        "crm.complaints.complaint.acknowledged.v1",
        "crm.complaints.complaint.review_completed.v1",
        "crm.complaints.complaint.referred.v1",
    ]
    assert types[-3:] == [
        "crm.complaints.complaint.reopened.v1",
        "crm.complaints.complaint.confidentiality_changed.v1",
        "crm.complaints.complaint.document_attached.v1",
    ]
    received_data = from_kafka(events[0].headers(), events[0].value()).data
    assert received_data["channel"] == "in_person" and received_data["at"] == "2026-11-21T07:00:00+00:00"
    committee = next(e for e in events if e.type.endswith(".committee_decided.v1"))
    assert from_kafka(committee.headers(), committee.value()).data["corrective_actions"][0]["due"] == "2026-12-20"


# --- stakeholders by definition -----------------------------------------------------------------------------------


def no_stakeholders_declared(**overrides: Any) -> Complaint:
    """A complaint about the membership unit where nobody was recorded as a stakeholder, declared so and referred."""
    c = acknowledged(stakeholders={}, **overrides)
    c.record_stakeholders(
        units=[], persons=[], participants=[], complainant=None, none=True, by="m.karimi", at=minutes(12)
    )
    c.complete_review(by="m.karimi", at=minutes(20))
    c.refer(by="m.karimi", note=None, at=minutes(30))
    return c


@pytest.mark.parametrize(
    ("handler", "kind", "reason"),
    [
        ("membership", "unit", "unit membership is the unit the complaint is about"),
        ("h.tehrani", "person", "h.tehrani belongs to membership, the unit the complaint is about"),  # its manager
        ("n.jafari", "person", "n.jafari belongs to membership, the unit the complaint is about"),  # its expert
    ],
)
def test_the_unit_a_complaint_is_about_its_manager_and_experts_are_stakeholders_even_if_nobody_recorded_them(
    handler: str, kind: str, reason: str
) -> None:
    c = no_stakeholders_declared()
    assert c.stakeholders["units"] == [] and c.stakeholders_none
    message = refused(c, lambda c: assign(c, handler, HandlerKind(kind)), ConflictOfInterest)
    assert reason in message


def test_the_unit_the_complaint_is_about_follows_a_corrected_form() -> None:
    c = acknowledged(stakeholders={}, unit="trade")
    c.add_information(changes={"unit": "legal"}, note=None, by="m.karimi", at=minutes(11))
    c.record_stakeholders(
        units=[], persons=[], participants=[], complainant=None, none=True, by="m.karimi", at=minutes(12)
    )
    c.complete_review(by="m.karimi", at=minutes(20))
    c.refer(by="m.karimi", note=None, at=minutes(30))
    assert "unit legal is the unit the complaint is about" in refused(
        c, lambda c: assign(c, "legal", HandlerKind.UNIT), ConflictOfInterest
    )
    eligibility = assign(c, "trade", HandlerKind.UNIT)
    assert "the complaint is about legal" in eligibility


def test_anyone_the_complaint_names_is_a_stakeholder() -> None:
    c = no_stakeholders_declared(unit="trade", description="l.nazari promised the certificate and never sent it")
    message = refused(c, lambda c: assign(c, "l.nazari"), ConflictOfInterest)
    assert "l.nazari is named in the complaint" in message
    # A name inside another word or user name is no mention.
    c2 = no_stakeholders_declared(unit="trade", description="mail from xl.nazari and from l.nazari.old")
    assert "not named in the complaint" in assign(c2, "l.nazari")


def test_the_review_is_not_complete_until_stakeholders_are_recorded_or_declared_none() -> None:
    c = acknowledged(stakeholders={})
    reason = refused(c, lambda c: c.complete_review(by="m.karimi", at=minutes(20)))
    assert "the stakeholders (or a declaration that there are none)" in reason
    empty = refused(
        c,
        lambda c: c.record_stakeholders(
            units=[], persons=[], participants=[], complainant=None, by="m.karimi", at=minutes(12)
        ),
        InvalidInput,
    )
    assert "declare that there are none" in empty
    both = refused(
        c,
        lambda c: c.record_stakeholders(
            units=["trade"], persons=[], participants=[], complainant=None, none=True, by="m.karimi", at=minutes(12)
        ),
        InvalidInput,
    )
    assert "not both" in both
    assert c.record_stakeholders(
        units=[], persons=[], participants=[], complainant=None, none=True, by="m.karimi", at=minutes(12)
    )
    assert recorded(c) == ["StakeholdersRecorded"]
    c.complete_review(by="m.karimi", at=minutes(20))
    assert c.state == State.REVIEWED


def test_stakeholders_given_at_receipt_count_as_recorded() -> None:
    c = acknowledged()
    assert c.stakeholders_recorded and not c.stakeholders_none
    c.complete_review(by="m.karimi", at=minutes(20))


def test_the_application_keeps_the_refusal_of_the_unit_the_complaint_is_about() -> None:
    desk = ComplaintDesk(organisation=ORG, clock=lambda: minutes(45))
    c = no_stakeholders_declared()
    desk.save(c)
    with pytest.raises(ConflictOfInterest):
        desk.assign_handler(c.id, handler_kind="unit", handler="membership", by="sg")
    with pytest.raises(ConflictOfInterest):
        desk.assign_handler(c.id, handler_kind="person", handler="h.tehrani", by="sg")
    refusals = [e["data"] for e in desk.history(c.id) if e["type"].endswith("assignment_refused.v1")]
    assert [r["reasons"] for r in refusals] == [
        ["unit membership is the unit the complaint is about"],
        ["h.tehrani belongs to membership, the unit the complaint is about"],
    ]


# --- the committee: its members, quorum and minutes; the follow-up --------------------------------------------------


def arranged(**overrides: Any) -> Complaint:
    c = accepted()
    args: dict[str, Any] = {
        "subject": "delays in issuing cards",
        "fixed_members": FIXED,
        "variable_members": ["legal.adviser"],
        "unit_manager": "h.tehrani",
        "assistant": "s.karami",
        "sg_members": ["sg", "deputy.sg"],
        "meeting_at": None,
        "by": "m.karimi",
        "at": minutes(80),
    }
    args.update(overrides)
    c.convene_committee(**args)
    return c


def decide_in_committee(c: Complaint, attendees: list[str], minutes_text: str | None = "minutes") -> None:
    c.record_committee_decision(
        attendees=attendees,
        decision=Outcome.ACCEPTED,
        reasoning="the delay is the unit's",
        minutes=minutes_text,
        corrective_actions=[],
        held_at=minutes(90),
        by="s.karami",
        at=minutes(95),
    )


def test_the_committee_is_its_fixed_members_the_variable_ones_the_unit_manager_and_the_assistant() -> None:
    c = arranged()
    assert c.committee["members"] == [*FIXED, "legal.adviser", "h.tehrani", "s.karami"]
    assert c.committee["unit_manager"] == "h.tehrani" and c.committee["assistant"] == "s.karami"
    assert c.committee["convened_by"] == "m.karimi"
    assert c.is_committee_member("deputy.sg")  # may take the SG's seat, so may see the complaint


def test_a_committee_decision_needs_more_than_half_of_the_members() -> None:
    c = arranged()  # six members: four must attend
    reason = refused(c, lambda c: decide_in_committee(c, ["m.karimi", "sg", "h.tehrani"]))
    assert "no quorum: 3 of the 6 members attended" in reason
    decide_in_committee(c, ["m.karimi", "sg", "h.tehrani", "s.karami"])
    assert c.committee["attendees"] == ["m.karimi", "sg", "h.tehrani", "s.karami"]
    assert c.outcome == Outcome.ACCEPTED


def test_a_committee_decision_needs_the_sg_or_a_representative() -> None:
    c = arranged()
    reason = refused(c, lambda c: decide_in_committee(c, ["m.karimi", "planning.manager", "h.tehrani", "s.karami"]))
    assert "neither the SG nor a representative (sg, deputy.sg) attended" in reason
    decide_in_committee(c, ["m.karimi", "deputy.sg", "h.tehrani", "s.karami"])
    assert c.state == State.DECIDED


def test_the_quorum_is_configurable() -> None:
    c = arranged(quorum=0.25, quorum_needs_sg=False)
    decide_in_committee(c, ["m.karimi", "h.tehrani"])
    assert c.state == State.DECIDED


def test_the_minutes_are_recorded_with_the_decision() -> None:
    c = arranged()
    attendees = ["m.karimi", "sg", "h.tehrani", "s.karami"]
    assert "the minutes of the meeting" in refused(c, lambda c: decide_in_committee(c, attendees, " "), InvalidInput)
    decide_in_committee(c, attendees, "the unit manager explained the delay")
    assert c.committee["minutes"] == "the unit manager explained the delay"


def test_the_sg_names_who_follows_an_accepted_complaint_up_and_it_waits_on_that_person() -> None:
    c = investigated()
    c.decide(decision=Decision.ACCEPTED, reason=None, follow_up_by="deputy.sg", by="sg", at=minutes(70))
    assert c.follow_up_by == "deputy.sg"
    assert c.waiting_on() == {"role": "sg", "person": "deputy.sg", "unit": None}
    c.convene_committee(
        subject="s",
        fixed_members=FIXED,
        variable_members=[],
        sg_members=["sg"],
        meeting_at=None,
        by="m.karimi",
        at=minutes(80),
    )
    assert c.waiting_on() == {"role": "committee", "person": "deputy.sg", "unit": None}


def test_without_a_named_representative_the_deciding_sg_follows_up() -> None:
    assert accepted().follow_up_by == "sg"


# --- the initial assessment (ISO 10002) ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("severity", "urgency", "complexity", "immediate", "expected"),
    [
        ("low", "low", "low", True, "critical"),
        ("high", "high", "low", False, "critical"),
        ("high", "low", "low", False, "high"),
        ("low", "high", "low", False, "high"),
        ("medium", "low", "low", False, "medium"),
        ("low", "low", "high", False, "medium"),
        ("low", "low", "low", False, "low"),
    ],
)
def test_the_initial_assessment_gives_the_priority(
    severity: str, urgency: str, complexity: str, immediate: bool, expected: str
) -> None:
    c = acknowledged()
    c.assess(
        severity=severity,
        urgency=urgency,
        complexity=complexity,
        immediate_action=immediate,
        note=None,
        by="m.karimi",
        at=minutes(11),
    )
    assert c.assessment["priority"] == expected
    assert recorded(c)[-1] == "Assessed"


def test_an_assessment_with_an_unknown_level_is_invalid_and_the_same_one_again_records_nothing() -> None:
    c = acknowledged()
    args = dict(
        severity="high", urgency="low", complexity="low", immediate_action=False, note=None, by="m", at=minutes(11)
    )
    assert "severity is one of low, medium, high" in refused(
        c, lambda c: c.assess(**{**args, "severity": "dire"}), InvalidInput
    )
    assert c.assess(**args)
    recorded(c)
    assert not c.assess(**args)
    assert recorded(c) == []


def test_the_assessment_is_revised_at_the_latest_before_the_decision() -> None:
    c = accepted()
    reason = refused(
        c,
        lambda c: c.assess(
            severity="high", urgency="high", complexity="low", immediate_action=False, note=None, by="m", at=minutes(75)
        ),
    )
    assert "before the decision" in reason


def test_the_language_is_the_form_s_choice_else_the_best_the_browser_accepts_else_the_chamber_s() -> None:
    from services.complaints.tracking import choose_language

    assert choose_language("TR", "fa", "fa") == "tr"
    assert choose_language(None, "de-DE, en;q=0.4, tr;q=0.8", "fa") == "tr"
    assert choose_language(None, "tr;q=0, en", "fa") == "en"
    assert choose_language("xx", "de", "fa") == "fa"


def test_the_tracking_secret_is_kept_only_as_its_hash_and_issued_once() -> None:
    from services.complaints.tracking import opens, secret_hash

    c = received()
    c.issue_tracking(secret_hash=secret_hash("s3cret"), language="fa", at=minutes(1))
    assert opens(c, "s3cret") and not opens(c, "S3cret")
    assert "s3cret" not in str([e.__dict__ for e in c.collect_events()])
    refused(c, lambda c: c.issue_tracking(secret_hash=secret_hash("again"), language="fa", at=minutes(2)))
