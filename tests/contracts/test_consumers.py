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
from services.notifications import rules as notification_rules
from services.plan.domain.kpi import load_bindings
from services.plan.domain.signals import load_signals
from services.plan.main import BINDINGS, SIGNALS
from services.reporting import complaint_record, projections
from services.reporting import complaints as complaint_model
from shared.contracts import load_schemas

ROOT = Path(__file__).resolve().parents[2] / "contracts"
SCHEMAS = load_schemas(ROOT)

PLAN_BINDINGS = load_bindings(BINDINGS.read_text(encoding="utf-8"))
PLAN_SIGNALS = load_signals(SIGNALS.read_text(encoding="utf-8"))
HANDLED = {
    "calls: member lookup": MEMBER_EVENTS,
    "desks: member book": desk_members.HANDLED,
    "notifications: rules": sorted(notification_rules.WIRED),
    "plan: KPI bindings": sorted({t for b in PLAN_BINDINGS.values() for t in b.types}),
    "plan: risk signals": sorted({t for s in PLAN_SIGNALS.values() for t in s.types}),
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


@pytest.mark.parametrize(
    ("wire_type", "fields", "item", "item_fields"),
    [
        (
            "crm.desks.desk.member_announcement_requested.v1",
            {"agency", "starts_at", "place", "format", "message", "registration_path", "recipients"},
            "recipients",
            {"member_id", "name", "phone", "language"},
        ),
        (
            "crm.desks.desk.slot_reminders_due.v1",
            {"place", "reminders"},
            "reminders",
            {"number", "member_id", "member_name", "phone", "language", "slot_start"},
        ),
        (
            "crm.desks.session.invitations_requested.v1",
            {"trade_group", "starts_at", "place", "topics", "invitees"},
            "invitees",
            {"member_id", "name", "phone", "language"},
        ),
    ],
)
def test_the_notifier_reads_the_fields_the_desks_requests_publish(
    wire_type: str, fields: set[str], item: str, item_fields: set[str]
) -> None:
    schema = SCHEMAS[wire_type]
    assert fields <= set(schema["properties"])
    ref = schema["properties"][item]["items"]["$ref"].rsplit("/", 1)[1]
    assert item_fields <= set(schema["$defs"][ref]["properties"])
    assert set(schema["$defs"][ref]["properties"]["language"]["enum"]) <= {"fa", "tr", "en"}


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


JSON_TYPES = {"string": str, "boolean": bool, "integer": int, "number": (int, float), "array": list, "object": dict}


def accepts(schema: dict[str, Any], prop: dict[str, Any], value: Any) -> bool:
    """Whether a filter's value is one the property can hold (its enumeration, else its JSON type)."""
    options = prop.get("anyOf", [prop])
    for option in options:
        if "$ref" in option:
            if value in schema["$defs"][option["$ref"].rsplit("/", 1)[1]].get("enum", []):
                return True
        elif "enum" in option:
            if value in option["enum"]:
                return True
        elif isinstance(value, JSON_TYPES.get(option.get("type", ""), ())) and not (
            isinstance(value, bool) and option.get("type") != "boolean"
        ):
            return True
    return False


@pytest.mark.parametrize("activity", sorted(a for a, b in PLAN_BINDINGS.items() if b.kind == "events"))
def test_every_kpi_binding_reads_fields_its_event_types_publish(activity: str) -> None:
    """A binding's filter, aggregation and month field are fields of each type it counts, with values the field
    can hold: a guessed name or value would count nothing, silently."""
    b = PLAN_BINDINGS[activity]
    how, _, field = b.aggregation.partition(":")
    for wire_type in b.types:
        assert wire_type in SCHEMAS, f"{activity}: {wire_type} is published by no service"
        schema = SCHEMAS[wire_type]
        props = schema["properties"]
        for name, value in {**b.where, **b.type_where.get(wire_type, {})}.items():
            assert name in props, f"{activity}: {wire_type} has no field {name!r} to filter on"
            assert accepts(schema, props[name], value), f"{activity}: {wire_type}.{name} never holds {value!r}"
        if how != "count":
            assert field in props, f"{activity}: {wire_type} has no field {field!r} to {how}"
        if b.at is not None:
            assert b.at in props, f"{activity}: {wire_type} has no field {b.at!r} to date it by"


@pytest.mark.parametrize("key", sorted(k for k, s in PLAN_SIGNALS.items() if s.types))
def test_every_risk_signal_filters_on_fields_its_event_types_publish(key: str) -> None:
    s = PLAN_SIGNALS[key]
    for wire_type in s.types:
        schema = SCHEMAS[wire_type]
        for name, value in {**s.where, **s.type_where.get(wire_type, {})}.items():
            assert name in schema["properties"], f"{key}: {wire_type} has no field {name!r} to filter on"
            assert accepts(schema, schema["properties"][name], value), f"{key}: {wire_type}.{name} never {value!r}"


def test_the_binding_check_catches_a_guessed_type_field_or_value() -> None:
    held = "crm.desks.desk.minutes_step_recorded.v1"
    assert "crm.desks.desk.held.v1" not in SCHEMAS  # the kind of name a guess produces
    props = SCHEMAS[held]["properties"]
    assert "stage" not in props and accepts(SCHEMAS[held], props["step"], "archived")
    assert not accepts(SCHEMAS[held], props["step"], 3)
    opened = SCHEMAS["crm.actions.corrective_action.opened.v1"]
    assert not accepts(opened, opened["properties"]["source_kind"], "questionnaire")
    assert accepts(opened, opened["properties"]["source_kind"], "survey")
