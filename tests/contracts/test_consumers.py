"""The consumer side of the event contracts: every type a processor reads is one a producer publishes.

Consumers know the producers only through the committed JSON Schemas under contracts/ (never their classes), so
this test reads those files and nothing of the producing services.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from services.calls.members import MEMBER_EVENTS
from services.desks import members as desk_members
from services.reporting import complaint_record, projections
from services.reporting import complaints as complaint_model
from shared.contracts import load_schemas

ROOT = Path(__file__).resolve().parents[2] / "contracts"
SCHEMAS = load_schemas(ROOT)

HANDLED = {
    "calls: member lookup": MEMBER_EVENTS,
    "desks: member book": desk_members.HANDLED,
    "reporting: call projections": projections.CALL_EVENTS,
    "reporting: oversight projections": projections.REPORTING_EVENTS,
    "reporting: complaint read model": complaint_model.COMPLAINT_EVENTS,
}


def enum_of(wire_type: str, field: str) -> list[Any]:
    schema = SCHEMAS[wire_type]
    prop = schema["properties"][field]
    ref = prop.get("$ref") or next(a["$ref"] for a in prop.get("anyOf", []) if "$ref" in a)
    return schema["$defs"][ref.rsplit("/", 1)[1]]["enum"]


@pytest.mark.parametrize("consumer", sorted(HANDLED))
def test_every_type_a_consumer_handles_is_published_by_a_producer(consumer: str) -> None:
    unknown = sorted(set(HANDLED[consumer]) - set(SCHEMAS))
    assert not unknown, f"{consumer} reads types no contract under contracts/ publishes: {unknown}"


@pytest.mark.parametrize("consumer", sorted(HANDLED))
def test_consumers_match_the_full_versioned_type(consumer: str) -> None:
    for wire_type in HANDLED[consumer]:
        assert wire_type.rsplit(".", 1)[1].startswith("v")


def test_the_member_lookup_reads_the_fields_the_member_events_publish() -> None:
    registered = SCHEMAS["crm.members.member.registered.v1"]["properties"]
    assert {"membership_number", "contacts", "status"} <= set(registered)
    assert "changes" in SCHEMAS["crm.members.member.details_updated.v1"]["properties"]


def test_the_call_projections_read_the_fields_the_call_events_publish() -> None:
    def props(t: str) -> set[str]:
        return set(SCHEMAS[t]["properties"])

    assert {"at", "direction", "caller", "caller_raw", "member_id"} <= props("crm.calls.call.received.v1")
    assert {"unit"} <= props("crm.calls.call.routed.v1")
    assert {"at", "unit", "expert", "callback_due", "contact_phone", "contact_name", "subject", "automatic"} <= props(
        "crm.calls.call.unanswered_registered.v1"
    )
    assert {"at", "by", "outcome"} <= props("crm.calls.call.callback_recorded.v1")
    assert "not_reached" in enum_of("crm.calls.call.callback_recorded.v1", "outcome")


def test_the_complaint_reports_count_by_the_enumerations_the_complaints_service_publishes() -> None:
    assert set(complaint_record.KINDS) == set(enum_of("crm.complaints.complaint.received.v1", "kind"))
    assert set(complaint_record.CHANNELS) == set(enum_of("crm.complaints.complaint.received.v1", "channel"))
    assert set(complaint_record.OUTCOMES) == set(enum_of("crm.complaints.complaint.member_notified.v1", "outcome"))
    assert list(complaint_record.STAGES) == enum_of("crm.complaints.complaint.deadline_breached.v1", "stage")


def test_a_consumer_does_not_read_a_new_version_as_the_old_one() -> None:
    from services.calls.members import change_of
    from shared.envelope import CloudEvent

    def member_event(ce_type: str) -> CloudEvent:
        return CloudEvent(
            id="e",
            source="/crm/members",
            type=ce_type,
            time="2026-11-21T07:00:00+00:00",
            subject="m-1",
            sequence=2,
            position=1,
            data={},
        )

    assert change_of(member_event("crm.members.member.suspended.v1")) == {"number": None, "active": False}
    assert change_of(member_event("crm.members.member.suspended.v2")) is None
