"""The checks a call step makes on its input, as plain functions; and the aggregate stays where its stored events
name it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from eventsourcing.utils import get_topic

from services.calls import domain
from services.calls.rules import (
    callback_outcome,
    check_purpose,
    complaint_description,
    how_answered,
    unanswered_record,
    written_subject,
)
from services.calls.states import CallbackOutcome, Direction, Purpose, call_id_for_source
from shared.errors import InvalidInput

AT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_the_aggregate_and_the_old_import_paths_stay_where_stored_events_and_callers_find_them():
    assert get_topic(domain.Call) == "services.calls.domain:Call"
    assert get_topic(domain.Call.Received) == "services.calls.domain:Call.Received"  # type: ignore[attr-defined]
    assert domain.call_id_for_source is call_id_for_source
    assert domain.call_id_for_source("surveys:1") == call_id_for_source("surveys:1") != call_id_for_source("x")


def test_only_an_outgoing_call_has_a_purpose_and_it_must():
    check_purpose(Direction.OUTGOING, Purpose.SURVEY)
    check_purpose(Direction.INCOMING, None)
    with pytest.raises(InvalidInput, match="records its purpose"):
        check_purpose(Direction.OUTGOING, None)
    with pytest.raises(InvalidInput, match="only outgoing calls"):
        check_purpose(Direction.INCOMING, Purpose.ANNOUNCEMENT)


def test_texts_are_trimmed_and_must_say_something():
    assert written_subject("  invoice  ") == "invoice"
    assert how_answered(" told him the fee ") == "told him the fee"
    with pytest.raises(InvalidInput, match="subject must be written"):
        written_subject("   ")
    with pytest.raises(InvalidInput, match="how the member's question"):
        how_answered("")


def test_an_unanswered_record_needs_a_number_and_a_subject_unless_registered_automatically():
    assert unanswered_record("02112345678", " customs ", automatic=False) == ("02112345678", "customs")
    assert unanswered_record("02112345678", "  ", automatic=True) == ("02112345678", None)
    with pytest.raises(InvalidInput, match="contact number"):
        unanswered_record(None, "customs", automatic=True)
    with pytest.raises(InvalidInput, match="subject the member called about"):
        unanswered_record("02112345678", None, automatic=False)


def test_a_callback_says_where_it_referred_only_when_it_referred():
    assert callback_outcome("referred", " complaint ", at=AT, registered_at=AT) == (
        CallbackOutcome.REFERRED,
        "complaint",
    )
    assert callback_outcome("resolved", None, at=AT, registered_at=None) == (CallbackOutcome.RESOLVED, None)
    with pytest.raises(InvalidInput, match="say where"):
        callback_outcome("referred", " ", at=AT, registered_at=AT)
    with pytest.raises(InvalidInput, match="only with the outcome"):
        callback_outcome("resolved", "exports", at=AT, registered_at=AT)
    with pytest.raises(InvalidInput, match="cannot precede"):
        callback_outcome("resolved", None, at=AT.replace(hour=8), registered_at=AT)
    with pytest.raises(ValueError):
        callback_outcome("shrugged", None, at=AT, registered_at=AT)


def test_the_complaint_description_joins_subject_and_note_within_the_form_limit():
    assert complaint_description("late permit", "wants a manager") == "late permit\n\nwants a manager"
    assert complaint_description(None, None) == ""
    assert len(complaint_description("s" * 4000, "n" * 4000)) == 8000
    assert len(complaint_description("s" * 6000, "n" * 6000)) == 8000
