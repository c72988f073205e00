"""The `Call` aggregate: every step of the Member Communication Center's procedure (docs/procedures.md#calls) and every refusal."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.calls.application import CallCentre, call_summary
from services.calls.domain import (
    Call,
    CallbackOutcome,
    Direction,
    Purpose,
    State,
    TransitionRefused,
    call_id_for_pbx,
)
from shared.organisation import DEFAULT_ORGANISATION, Organisation
from shared.problems import InvalidInput

T0 = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)  # Saturday 10:30 in Tehran
DUE = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # what the application would compute: Tuesday 10:30 in Tehran


def minutes(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


def incoming(**overrides: Any) -> Call:
    # eventsourcing 9.5 wants every keyword-only argument of an @event __init__, defaults or not.
    args: dict[str, Any] = {
        "direction": Direction.INCOMING,
        "at": T0,
        "caller_raw": "0913 123 4567",
        "caller": "+989131234567",
        "callee": "03136645000",
        "member_id": None,
        "pbx_call_id": None,
        "purpose": None,
        "placed_by": None,
        "pbx_event_id": None,
        "line": None,
        "source_ref": None,
    }
    args.update(overrides)
    return Call(**args)


def outgoing(purpose: Purpose | None = Purpose.SURVEY, **overrides: Any) -> Call:
    return incoming(direction=Direction.OUTGOING, purpose=purpose, placed_by="z.rahimi", **overrides)


def recorded(call: Call) -> list[str]:
    """The names of the events the aggregate has recorded since the last look (and forget them)."""
    return [type(e).__name__ for e in call.collect_events()]


def queued(**overrides: Any) -> Call:
    call = incoming(**overrides)
    call.route("trade", minutes(0))
    return call


def with_member_relations() -> Call:
    call = queued()
    call.unit_did_not_answer(minutes(1))
    call.transfer_to_member_relations(minutes(1))
    return call


def with_subject() -> Call:
    call = with_member_relations()
    call.take_down_subject("تمدید کارت بازرگانی", "z.rahimi", minutes(2))
    return call


def transferred(expert: str = "s.ahmadi") -> Call:
    call = with_subject()
    call.transfer_to_expert(expert, "z.rahimi", minutes(3))
    return call


def register(call: Call, **overrides: Any) -> None:
    args: dict[str, Any] = {
        "unit": "trade",
        "expert": call.missed_by[-1] if call.missed_by else None,
        "contact_phone": None,
        "contact_name": None,
        "subject": None,
        "by": "z.rahimi",
        "at": minutes(5),
        "callback_due": DUE,
    }
    args.update(overrides)
    call.register_unanswered(**args)


def unanswered() -> Call:
    call = transferred()
    call.unit_did_not_answer(minutes(4))
    register(call)
    return call


def refused(call: Call, action, error: type[Exception] = TransitionRefused) -> str:
    """Run a command that must be refused; check it recorded nothing and return the reason it gave."""
    recorded(call)
    version = call.version
    with pytest.raises(error) as caught:
        action(call)
    assert recorded(call) == []
    assert call.version == version
    return str(caught.value)


# --- receiving and routing --------------------------------------------------------------------------------------


def test_incoming_call_is_registered_ringing_at_the_first_ring() -> None:
    call = incoming(member_id="M-1001")
    assert recorded(call) == ["Received"]
    assert call.state == State.RINGING
    assert call.is_open
    assert call.direction == Direction.INCOMING
    assert call.received_at == T0
    assert (call.caller, call.caller_raw, call.callee) == ("+989131234567", "0913 123 4567", "03136645000")
    assert call.member_id == "M-1001"
    assert call.purpose is None
    assert call.version == 1


def test_the_same_pbx_call_always_maps_to_the_same_aggregate() -> None:
    first = incoming(pbx_call_id="1710222000.118")
    again = incoming(pbx_call_id="1710222000.118")
    other = incoming(pbx_call_id="1710222300.125")
    assert first.id == again.id == call_id_for_pbx("1710222000.118")
    assert other.id != first.id


def test_calls_registered_by_hand_get_fresh_ids() -> None:
    assert incoming().id != incoming().id
    assert isinstance(incoming().id, uuid.UUID)


def test_the_first_ring_event_is_remembered_so_that_its_replay_is_recognised() -> None:
    call = incoming(pbx_call_id="c1", pbx_event_id="c1-ring")
    assert call.has_seen("c1-ring")
    assert not call.has_seen("c1-queued")
    assert not call.has_seen(None)


def test_routing_puts_the_call_in_the_destination_units_queue() -> None:
    call = incoming()
    recorded(call)
    call.route("trade", minutes(0), queue="602", pbx_event_id="e-queued")
    assert recorded(call) == ["Routed"]
    assert call.state == State.QUEUED
    assert call.unit == "trade"
    assert call.has_seen("e-queued")
    assert call.is_open


def test_a_queued_call_can_be_routed_on_to_another_unit() -> None:
    call = queued()
    call.route("legal", minutes(1))
    assert (call.state, call.unit) == (State.QUEUED, "legal")


def test_a_call_already_answered_cannot_be_routed_again() -> None:
    call = queued()
    call.answer("s.ahmadi", minutes(1))
    reason = refused(call, lambda c: c.route("legal", minutes(2)))
    assert "cannot route the call to a unit: the call is answered" in reason
    assert "queued, ringing" in reason  # says when it would have been possible


# --- the unit answers ---------------------------------------------------------------------------------------------


def test_the_unit_answering_is_the_first_attempt_and_the_member_hanging_up_completes_the_call() -> None:
    call = queued()
    recorded(call)
    call.answer("s.ahmadi", minutes(1), pbx_event_id="e-answered")
    [answered] = call.collect_events()
    assert type(answered).__name__ == "Answered"
    assert answered.attempt == 1
    assert call.state == State.ANSWERED
    assert (call.answered_by, call.answered_at) == ("s.ahmadi", minutes(1))

    call.hang_up(minutes(4), talk_seconds=180)
    assert recorded(call) == ["Completed"]
    assert call.state == State.COMPLETED
    assert call.ended_at == minutes(4)
    assert not call.is_open


def test_an_expert_not_picking_up_is_remembered_while_the_caller_waits() -> None:
    call = queued()
    recorded(call)
    call.expert_missed("s.ahmadi", minutes(1), pbx_event_id="e-miss-1")
    call.expert_missed("k.rezaei", minutes(1), pbx_event_id="e-miss-2")
    call.expert_missed("s.ahmadi", minutes(2), pbx_event_id="e-miss-3")
    assert recorded(call) == ["ExpertMissed", "ExpertMissed", "ExpertMissed"]
    assert call.missed_by == ["s.ahmadi", "k.rezaei"]  # each expert once, in the order they missed it
    assert call.state == State.QUEUED
    assert call.has_seen("e-miss-3")


def test_an_expert_missing_a_call_that_is_no_longer_waiting_is_refused() -> None:
    call = with_member_relations()
    reason = refused(call, lambda c: c.expert_missed("s.ahmadi", minutes(2)))
    assert "cannot record that an expert did not pick up: the call is with_member_relations" in reason


# --- the unit does not answer: member relations takes over -------------------------------------------------------


def test_the_unit_not_answering_sends_the_call_on_towards_member_relations() -> None:
    call = queued()
    recorded(call)
    call.unit_did_not_answer(minutes(1))
    assert recorded(call) == ["UnitDidNotAnswer"]
    assert call.state == State.UNIT_NOT_ANSWERED
    assert call.is_open

    call.transfer_to_member_relations(minutes(1))
    assert recorded(call) == ["TransferredToMemberRelations"]
    assert call.state == State.WITH_MEMBER_RELATIONS
    assert call.unit == "trade"  # still the destination unit: the record will go back to it


def test_a_unit_queue_can_fail_over_to_member_relations_directly() -> None:
    call = queued()
    call.transfer_to_member_relations(minutes(1))
    assert call.state == State.WITH_MEMBER_RELATIONS


def test_the_unit_cannot_fail_to_answer_a_call_that_was_never_routed() -> None:
    reason = refused(incoming(), lambda c: c.unit_did_not_answer(minutes(1)))
    assert "cannot record that the unit did not answer: the call is ringing" in reason


def test_an_answered_call_is_not_transferred_to_member_relations() -> None:
    call = queued()
    call.answer("s.ahmadi", minutes(1))
    reason = refused(call, lambda c: c.transfer_to_member_relations(minutes(2)))
    assert "cannot transfer the call to member relations: the call is answered" in reason


def test_a_member_relations_expert_picking_up_is_not_the_unit_answering() -> None:
    call = queued()
    call.unit_did_not_answer(minutes(1))
    recorded(call)
    call.answer("z.rahimi", minutes(2))
    assert recorded(call) == ["MemberRelationsAnswered"]
    assert call.state == State.WITH_MEMBER_RELATIONS
    assert call.member_relations_expert == "z.rahimi"
    assert call.answered_by is None


def test_member_relations_takes_the_subject_down_precisely_with_the_contact_details() -> None:
    call = with_member_relations()
    recorded(call)
    call.take_down_subject(
        "  گواهی مبدأ صادراتی  ", "z.rahimi", minutes(2), contact_name="Ali Karimi", contact_phone="+989121112233"
    )
    assert recorded(call) == ["SubjectTakenDown"]
    assert call.subject == "گواهی مبدأ صادراتی"
    assert (call.contact_name, call.contact_phone) == ("Ali Karimi", "+989121112233")
    assert call.member_relations_expert == "z.rahimi"
    assert call.state == State.WITH_MEMBER_RELATIONS


def test_the_expert_who_picked_the_call_up_stays_its_member_relations_expert() -> None:
    call = queued()
    call.unit_did_not_answer(minutes(1))
    call.answer("a.moradi", minutes(2))
    call.take_down_subject("certificate of origin", "z.rahimi", minutes(3))
    assert call.member_relations_expert == "a.moradi"


def test_an_empty_subject_is_refused() -> None:
    reason = refused(
        with_member_relations(), lambda c: c.take_down_subject("   ", "z.rahimi", minutes(2)), InvalidInput
    )
    assert reason == "the subject must be written down precisely; it is empty"


def test_the_subject_is_taken_down_only_while_the_call_is_with_member_relations() -> None:
    reason = refused(queued(), lambda c: c.take_down_subject("anything", "z.rahimi", minutes(2)))
    assert reason == "cannot take down the subject: the call is queued (possible only when with_member_relations)"


# --- the second attempt: transfer to another expert of the unit -----------------------------------------------------


def test_transfer_to_another_expert_of_the_unit_is_the_second_attempt() -> None:
    call = with_subject()
    recorded(call)
    call.transfer_to_expert("k.rezaei", "z.rahimi", minutes(3))
    assert recorded(call) == ["TransferredToExpert"]
    assert (call.state, call.transferred_to) == (State.TRANSFERRED, "k.rezaei")
    assert call.is_open

    call.answer("k.rezaei", minutes(4))
    [answered] = call.collect_events()
    assert answered.attempt == 2
    assert (call.state, call.answered_by) == (State.ANSWERED, "k.rezaei")


def test_transfer_not_answered_comes_back_to_member_relations_and_marks_the_expert_as_having_missed_it() -> None:
    call = transferred("k.rezaei")
    recorded(call)
    call.unit_did_not_answer(minutes(4))
    assert recorded(call) == ["TransferNotAnswered"]
    assert call.state == State.WITH_MEMBER_RELATIONS
    assert call.missed_by == ["k.rezaei"]


def test_transfer_to_an_expert_who_already_missed_the_call_is_refused() -> None:
    call = transferred("k.rezaei")
    call.unit_did_not_answer(minutes(4))
    reason = refused(call, lambda c: c.transfer_to_expert("k.rezaei", "z.rahimi", minutes(5)))
    assert reason == "k.rezaei already missed this call; transfer it to another expert of the unit"


def test_after_one_expert_missed_it_the_call_can_go_to_another() -> None:
    call = transferred("k.rezaei")
    call.unit_did_not_answer(minutes(4))
    call.transfer_to_expert("s.ahmadi", "z.rahimi", minutes(5))
    assert (call.state, call.transferred_to) == (State.TRANSFERRED, "s.ahmadi")


def test_transfer_before_the_subject_is_taken_down_is_refused() -> None:
    reason = refused(with_member_relations(), lambda c: c.transfer_to_expert("k.rezaei", "z.rahimi", minutes(2)))
    assert reason == "take down the subject before transferring the call to another expert"


def test_a_transfer_reported_by_the_telephone_system_needs_no_subject() -> None:
    # The PBX cannot know the subject; the expert writes it down afterwards.
    call = with_member_relations()
    call.transfer_to_expert("k.rezaei", None, minutes(2), pbx_event_id="e-transfer")
    assert call.state == State.TRANSFERRED
    assert call.has_seen("e-transfer")


def test_a_call_still_in_the_unit_queue_cannot_be_transferred_to_an_expert() -> None:
    reason = refused(queued(), lambda c: c.transfer_to_expert("k.rezaei", "z.rahimi", minutes(2)))
    assert "cannot transfer the call to another expert of the unit: the call is queued" in reason


# --- the unanswered-call record and the callback ------------------------------------------------------------------


def test_registering_the_call_unanswered_hands_it_to_the_unit_with_contact_subject_and_expert() -> None:
    call = transferred("k.rezaei")
    call.unit_did_not_answer(minutes(4))
    recorded(call)
    register(call, contact_name="Ali Karimi", contact_phone="+989121112233")
    assert recorded(call) == ["UnansweredRegistered"]
    assert call.state == State.UNANSWERED
    assert not call.is_open  # the line is settled; what is owed now is the unit's callback
    assert call.unit == "trade"
    assert call.assigned_expert == "k.rezaei"
    assert (call.contact_name, call.contact_phone) == ("Ali Karimi", "+989121112233")
    assert call.subject == "تمدید کارت بازرگانی"  # the subject taken down
    assert (call.registered_at, call.callback_due) == (minutes(5), DUE)


def test_the_unanswered_record_falls_back_to_the_callers_number() -> None:
    call = unanswered()
    assert call.contact_phone == "+989131234567"


def test_the_unanswered_record_falls_back_to_the_raw_number_when_it_could_not_be_normalised() -> None:
    call = incoming(caller=None, caller_raw="Anonymous-7")
    call.route("trade", minutes(0))
    register(call, subject="no subject given", automatic=True)
    assert call.contact_phone == "Anonymous-7"


def test_a_subject_given_at_registration_overrides_the_one_taken_down() -> None:
    call = with_subject()
    register(call, subject="  renewal fee question ")
    assert call.subject == "renewal fee question"


def test_the_unanswered_record_can_be_handed_to_another_unit() -> None:
    call = with_subject()
    register(call, unit="legal", expert="e.shahbazi")
    assert (call.unit, call.assigned_expert) == ("legal", "e.shahbazi")


def test_an_unanswered_record_without_any_number_to_call_back_is_refused() -> None:
    call = queued(caller=None, caller_raw=None)
    call.unit_did_not_answer(minutes(1))
    call.transfer_to_member_relations(minutes(1))
    call.take_down_subject("membership fee", "z.rahimi", minutes(2))
    reason = refused(call, register, InvalidInput)
    assert reason == "an unanswered-call record needs the caller's contact number"


def test_an_unanswered_record_without_a_subject_is_refused_when_registered_by_hand() -> None:
    call = with_member_relations()
    reason = refused(call, lambda c: register(c, subject="   "), InvalidInput)
    assert reason == "an unanswered-call record needs the subject the member called about"


def test_an_unanswered_record_made_automatically_needs_no_subject() -> None:
    call = queued()
    register(call, by=None, automatic=True, pbx_event_id="e-abandon")
    assert call.state == State.UNANSWERED
    assert call.subject is None
    assert call.has_seen("e-abandon")


@pytest.mark.parametrize("prepare", [incoming, unanswered], ids=["still ringing", "already registered"])
def test_registering_unanswered_is_refused_outside_the_procedures_open_steps(prepare) -> None:
    reason = refused(prepare(), lambda c: register(c, subject="x"))
    assert reason.startswith("cannot register the call as unanswered: the call is ")
    assert "possible only when queued, transferred, unit_not_answered, with_member_relations" in reason


def test_a_callback_that_does_not_reach_the_member_leaves_the_callback_owed() -> None:
    call = unanswered()
    recorded(call)
    call.record_callback(by="f.alavi", outcome=CallbackOutcome.NOT_REACHED, note="no answer", at=minutes(60))
    assert recorded(call) == ["CallbackRecorded"]
    assert call.state == State.UNANSWERED
    assert call.callbacks == [
        {"by": "f.alavi", "outcome": "not_reached", "note": "no answer", "at": minutes(60).isoformat()}
    ]


@pytest.mark.parametrize(("outcome", "referred_to"), [("resolved", None), ("referred", "legal")])
def test_a_callback_with_a_final_outcome_closes_the_record(outcome: str, referred_to: str | None) -> None:
    call = unanswered()
    call.record_callback(by="f.alavi", outcome=CallbackOutcome.NOT_REACHED, note=None, at=minutes(60))
    call.record_callback(
        by="f.alavi", outcome=outcome, note="spoke to the member", at=minutes(90), referred_to=referred_to
    )
    assert call.state == State.CALLED_BACK
    assert [c["outcome"] for c in call.callbacks] == ["not_reached", outcome]


def test_a_follow_up_keeps_the_record_open_until_a_final_outcome_is_recorded() -> None:
    call = unanswered()
    call.record_callback(by="f.alavi", outcome=CallbackOutcome.FOLLOW_UP, note="asks customs", at=minutes(60))
    assert call.state == State.UNANSWERED
    call.record_callback(by="f.alavi", outcome=CallbackOutcome.RESOLVED, note="customs answered", at=minutes(600))
    assert call.state == State.CALLED_BACK
    assert [c["outcome"] for c in call.callbacks] == ["follow_up", "resolved"]


def test_a_referral_names_where_the_matter_went() -> None:
    reason = refused(
        unanswered(),
        lambda c: c.record_callback(by="f.alavi", outcome="referred", note=None, at=minutes(60)),
        InvalidInput,
    )
    assert reason == "say where the matter was referred: a unit, or 'complaint'"
    call = unanswered()
    call.record_callback(by="f.alavi", outcome="referred", note=None, at=minutes(60), referred_to="legal")
    assert call.callbacks[-1]["referred_to"] == "legal"
    assert call.complaint_referral is None


def test_a_referral_to_the_complaint_procedure_records_the_intent_to_open_one_with_the_callback() -> None:
    call = unanswered()
    call.record_callback(
        by="f.alavi", outcome="referred", note="fees charged twice", at=minutes(60), referred_to="complaint"
    )
    assert recorded(call)[-2:] == ["CallbackRecorded", "ComplaintReferralRequested"]
    assert call.complaint_referral["source_ref"] == f"calls:call:{call.id}"
    assert "fees charged twice" in call.complaint_referral["description"]


def test_a_callback_before_the_unanswered_record_is_refused() -> None:
    call = unanswered()
    reason = refused(
        call,
        lambda c: c.record_callback(by="f.alavi", outcome=CallbackOutcome.RESOLVED, note=None, at=minutes(4)),
        InvalidInput,
    )
    assert reason == "a callback cannot precede the unanswered-call record"


def test_a_callback_at_the_very_time_of_the_record_is_accepted() -> None:
    call = unanswered()
    call.record_callback(by="f.alavi", outcome=CallbackOutcome.RESOLVED, note=None, at=call.registered_at)
    assert call.state == State.CALLED_BACK


@pytest.mark.parametrize("prepare", [queued, with_subject], ids=["queued", "with member relations"])
def test_a_callback_for_a_call_that_is_not_registered_unanswered_is_refused(prepare) -> None:
    reason = refused(prepare(), lambda c: c.record_callback(by="f.alavi", outcome="resolved", note=None, at=minutes(9)))
    assert reason.startswith("cannot record a callback: the call is ")
    assert reason.endswith("(possible only when unanswered)")


def test_no_further_callback_once_the_member_was_reached() -> None:
    call = unanswered()
    call.record_callback(by="f.alavi", outcome=CallbackOutcome.RESOLVED, note=None, at=minutes(60))
    reason = refused(call, lambda c: c.record_callback(by="f.alavi", outcome="follow_up", note=None, at=minutes(70)))
    assert reason == "cannot record a callback: the call is called_back (possible only when unanswered)"


def test_member_relations_can_answer_the_member_itself_and_close_the_call() -> None:
    call = with_subject()
    recorded(call)
    call.resolve_by_member_relations("z.rahimi", "  explained the renewal fee  ", minutes(3))
    assert recorded(call) == ["ResolvedByMemberRelations"]
    assert call.state == State.COMPLETED
    assert not call.is_open


def test_closing_by_member_relations_needs_a_note_and_the_call_in_hand() -> None:
    assert refused(
        with_subject(), lambda c: c.resolve_by_member_relations("z.rahimi", " ", minutes(3)), InvalidInput
    ) == ("say how the member's question was answered")
    reason = refused(queued(), lambda c: c.resolve_by_member_relations("z.rahimi", "done", minutes(3)))
    assert (
        reason
        == "cannot close the call as handled by member relations: the call is queued (possible only when with_member_relations)"
    )


# --- outgoing calls -----------------------------------------------------------------------------------------------


def test_an_outgoing_call_records_its_purpose_and_who_placed_it() -> None:
    call = outgoing(Purpose.COMPLAINT_FOLLOW_UP)
    assert (call.direction, call.purpose, call.placed_by) == (
        Direction.OUTGOING,
        Purpose.COMPLAINT_FOLLOW_UP,
        "z.rahimi",
    )
    assert call.state == State.RINGING


def test_an_outgoing_call_without_a_purpose_is_refused() -> None:
    with pytest.raises(
        InvalidInput, match="an outgoing call records its purpose: survey, announcement or complaint_follow_up"
    ):
        outgoing(None)


def test_an_incoming_call_may_not_have_a_purpose() -> None:
    with pytest.raises(InvalidInput, match="only outgoing calls have a purpose"):
        incoming(purpose=Purpose.SURVEY)


def test_an_outgoing_call_the_member_answers_is_completed_when_it_ends() -> None:
    call = outgoing()
    call.answer("z.rahimi", minutes(1))
    assert call.state == State.ANSWERED
    call.hang_up(minutes(5), talk_seconds=240)
    assert call.state == State.COMPLETED


def test_an_outgoing_call_nobody_picks_up_is_not_reached() -> None:
    call = outgoing()
    recorded(call)
    call.hang_up(minutes(1))
    assert recorded(call) == ["NotReached"]
    assert call.state == State.NOT_REACHED
    assert call.ended_at == minutes(1)
    assert not call.is_open


def test_an_outgoing_call_is_answered_only_once() -> None:
    call = outgoing()
    call.answer("z.rahimi", minutes(1))
    reason = refused(call, lambda c: c.answer("z.rahimi", minutes(2)))
    assert reason == "cannot record that the member answered: the call is answered (possible only when ringing)"


@pytest.mark.parametrize(
    ("doing", "command"),
    [
        ("route the call", lambda c: c.route("trade", minutes(1))),
        ("record that the unit did not answer", lambda c: c.unit_did_not_answer(minutes(1))),
        ("transfer the call to member relations", lambda c: c.transfer_to_member_relations(minutes(1))),
        ("take down a subject", lambda c: c.take_down_subject("x", "z.rahimi", minutes(1))),
        ("transfer the call to an expert", lambda c: c.transfer_to_expert("k.rezaei", "z.rahimi", minutes(1))),
        ("register the call as unanswered", lambda c: register(c, subject="x")),
    ],
)
def test_an_outgoing_call_does_not_enter_the_incoming_procedure(doing: str, command) -> None:
    assert refused(outgoing(), command) == f"cannot {doing}: this is an outgoing call"


# --- hanging up ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "prepare",
    [incoming, queued, with_member_relations, transferred, unanswered],
    ids=["ringing", "queued", "with member relations", "transferred", "unanswered"],
)
def test_a_caller_hanging_up_before_being_answered_ends_the_line_but_not_the_procedure(prepare) -> None:
    call = prepare()
    state, was_open = call.state, call.is_open
    recorded(call)
    call.hang_up(minutes(8), pbx_event_id="e-hangup")
    assert recorded(call) == ["CallerHungUp"]
    assert call.state == state
    assert call.is_open == was_open
    assert call.ended_at == minutes(8)
    assert call.has_seen("e-hangup")


def test_after_the_caller_hung_up_member_relations_can_still_register_the_call_unanswered() -> None:
    call = with_subject()
    call.hang_up(minutes(3))
    register(call)
    assert call.state == State.UNANSWERED


def test_a_call_ends_only_once() -> None:
    call = queued()
    call.answer("s.ahmadi", minutes(1))
    call.hang_up(minutes(2))
    assert refused(call, lambda c: c.hang_up(minutes(3))) == "the call has already ended"


# --- the event store ----------------------------------------------------------------------------------------------


@pytest.fixture
def centre(clock) -> CallCentre:
    return CallCentre(organisation=Organisation.load(DEFAULT_ORGANISATION), clock=clock)


def reloaded(centre: CallCentre, call: Call) -> Call:
    centre.save(call)
    return centre.repository.get(call.id)


def test_a_call_through_the_whole_procedure_survives_a_round_trip_through_the_event_store(centre: CallCentre) -> None:
    call = incoming(pbx_call_id="1710222300.125", pbx_event_id="ring", member_id="M-7")
    call.route("trade", minutes(0), queue="602", pbx_event_id="queued")
    call.expert_missed("s.ahmadi", minutes(1), pbx_event_id="miss")
    call.unit_did_not_answer(minutes(1), pbx_event_id="timeout")
    call.answer("z.rahimi", minutes(2), pbx_event_id="mr-answered")
    call.take_down_subject("کارت بازرگانی", "z.rahimi", minutes(3), contact_name="Ali", contact_phone="+989121112233")
    call.transfer_to_expert("k.rezaei", "z.rahimi", minutes(4))
    call.unit_did_not_answer(minutes(5))
    register(call, expert="k.rezaei")
    call.hang_up(minutes(6))
    call.record_callback(by="f.alavi", outcome=CallbackOutcome.NOT_REACHED, note=None, at=minutes(60))

    copy = reloaded(centre, call)
    assert copy is not call
    assert call_summary(copy) == call_summary(call)
    assert copy.version == call.version == 11
    assert copy.pbx_event_ids == {"ring", "queued", "miss", "timeout", "mr-answered"}
    assert copy.state is State.UNANSWERED
    assert copy.direction is Direction.INCOMING
    assert copy.missed_by == ["s.ahmadi", "k.rezaei"]

    # The reloaded aggregate carries on with the procedure.
    copy.record_callback(by="f.alavi", outcome=CallbackOutcome.RESOLVED, note="settled", at=minutes(90))
    again = reloaded(centre, copy)
    assert again.state is State.CALLED_BACK
    assert [c["outcome"] for c in again.callbacks] == ["not_reached", "resolved"]


@pytest.mark.parametrize(
    "finish",
    [
        lambda c: (c.answer("s.ahmadi", minutes(1)), c.hang_up(minutes(2), talk_seconds=60)),
        lambda c: (
            c.transfer_to_member_relations(minutes(1)),
            c.take_down_subject("x", "a.moradi", minutes(2)),
            c.resolve_by_member_relations("a.moradi", "answered", minutes(3)),
        ),
    ],
    ids=["answered by the unit", "resolved by member relations"],
)
def test_completed_calls_survive_a_round_trip(centre: CallCentre, finish) -> None:
    call = queued()
    finish(call)
    copy = reloaded(centre, call)
    assert call_summary(copy) == call_summary(call)
    assert copy.state is State.COMPLETED


def test_an_outgoing_call_survives_a_round_trip(centre: CallCentre) -> None:
    call = outgoing(Purpose.ANNOUNCEMENT)
    call.hang_up(minutes(1))
    copy = reloaded(centre, call)
    assert call_summary(copy) == call_summary(call)
    assert (copy.purpose, copy.state) == (Purpose.ANNOUNCEMENT, State.NOT_REACHED)
