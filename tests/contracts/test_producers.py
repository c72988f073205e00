"""The producer side of the event contracts: what each service declares, what it really stores and publishes.

Each service's demo runs through its application in memory; every event it stores is read back through the
relay's own mapping and must carry a declared wire type and validate against the committed JSON Schema.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import jsonschema
import pytest
from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import get_topic

from services.calls.application import CallCentre
from services.calls.telephony import TelephonyEvent
from services.complaints.application import ComplaintDesk
from services.complaints.domain import ConflictOfInterest, Stage
from services.desks.application import DeskOffice
from services.members.application import MemberDirectory
from services.reporting.oversight import CorrectiveAction, Escalation, Oversight
from shared.contracts import EventContract, UndeclaredEvent, load_schemas, render
from shared.envelope import CloudEvent
from shared.envelope import _default as envelope_default
from shared.eventstore import CrmApplication
from shared.notification_log import rows_of
from shared.relay import EnvelopeMapper, Record
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2] / "contracts"
APPLICATIONS: list[type[CrmApplication]] = [CallCentre, MemberDirectory, ComplaintDesk, Oversight, DeskOffice]
CONTRACTS = {app.service: app.contract for app in APPLICATIONS}
# Declared and generated from their typed events, but no demo or story stores them yet: the call-centre demo has
# no unmapped PBX queue, no referral to a complaint and no member-relations follow-up, so neither the events nor
# the follow-up breach are produced by it.
NOT_EXERCISED: list[str] = [
    "crm.calls.call.complaint_referral_requested.v1",
    "crm.calls.call.member_relations_follow_up_opened.v1",
    "crm.calls.call.pbx_event_held.v1",
    "crm.calls.call.queued_unrouted.v1",
    "crm.calls.caller.erased.v1",  # erasing a caller by number: tests/audit/test_call_erasure.py
    # Registrations stored before they carried the member's language; today's are registered.v2.
    "crm.desks.desk.registered.v1",
    # A ratio report issued again after late follow-ups: the desks demo issues each report once.
    "crm.desks.ratio_report.reissued.v1",
    "crm.desks.registrant.erased.v1",  # erasing a desk's registrant: tests/desks/test_registrant_erasure.py
    # The call centre's weekly and monthly report: the demo's three working days close no week or month.
    "crm.reporting.call_centre_report.produced.v1",
    "crm.reporting.member_relations_follow_up_breach.recorded.v1",
]


class Published(list[CloudEvent]):
    """A service's events as the relay publishes them, and beside each the value and time the standard library's
    JSON wrote for it before orjson took over (tests/shared/test_envelope_json.py)."""

    written_before: list[tuple[bytes, str]]
    records: list[Record]  # what the relay sends, written from the stored rows without the CloudEvent


def published(app: CrmApplication) -> Published:
    notifications = app.recorder.select_notifications(0, 1_000_000, inclusive_of_start=False)
    events = Published(EnvelopeMapper(app).many(notifications))
    events.written_before = [written_before(app, n) for n in notifications]
    events.records = EnvelopeMapper(app).records(rows_of(notifications))
    return events


def written_before(app: CrmApplication, n: Any) -> tuple[bytes, str]:
    data = app.mapper.transcoder.decode(n.state)  # in memory: no cipher, no compressor
    timestamp = data.pop("timestamp")
    for key in ("originator_id", "originator_version", "originator_topic"):
        data.pop(key, None)
    if app.sealer is not None:
        with mock.patch("shared.privacy._from_plain_json", json.loads):
            app.sealer.open_state(str(n.originator_id), data)
    value = json.dumps(data, default=envelope_default, ensure_ascii=False, separators=(",", ":")).encode()
    return value, timestamp.astimezone(UTC).isoformat()


def event_classes(contract: EventContract) -> set[type]:
    """Every event class of the aggregates in the modules the contract names."""
    modules = {__import__(topic.split(":")[0], fromlist=["_"]) for topic in contract.events.values()}
    found = set()
    for module in modules:
        for aggregate in vars(module).values():
            if not (isinstance(aggregate, type) and issubclass(aggregate, Aggregate)):
                continue
            if aggregate.__module__ != module.__name__:
                continue
            for name, cls in vars(aggregate).items():
                if isinstance(cls, type) and issubclass(cls, aggregate.Event) and name not in ("Event", "Created"):
                    found.add(cls)
    return found


# -- the contracts as declared ------------------------------------------------------------------------------------
@pytest.mark.parametrize("service", sorted(CONTRACTS))
def test_the_committed_schemas_are_what_the_contract_generates(service: str) -> None:
    contract = CONTRACTS[service]
    committed = {p.stem: p.read_text(encoding="utf-8") for p in (ROOT / service).glob("*.json")}
    generated = {t: render(s) for t, s in contract.schemas().items()}
    assert sorted(committed) == sorted(generated), "run `make contracts` and commit contracts/"
    for wire_type, text in generated.items():
        assert committed[wire_type] == text, f"{wire_type} changed: run `make contracts`, and version it if it breaks"


@pytest.mark.parametrize("service", sorted(CONTRACTS))
def test_every_event_class_of_the_service_is_declared_once(service: str) -> None:
    contract = CONTRACTS[service]
    declared = {contract.event_class(t) for t in contract.events}
    assert declared == event_classes(contract)


@pytest.mark.parametrize("service", sorted(CONTRACTS))
def test_every_wire_type_names_its_service_and_a_version(service: str) -> None:
    events = CONTRACTS[service].events
    for wire_type in events:
        assert wire_type.startswith(f"crm.{service}.")
        name, version = wire_type.rsplit(".", 1)
        assert re.fullmatch(r"v[1-9][0-9]*", version), wire_type
        # A new version is declared beside the one before it: consumers skip it until they can read it.
        number = int(version[1:])
        assert number == 1 or f"{name}.v{number - 1}" in events, f"{wire_type} without its v{number - 1}"


def test_a_contract_refuses_a_wire_type_without_a_version() -> None:
    with pytest.raises(ValueError, match="v<version>"):
        EventContract("calls", {"crm.calls.call.received": "services.calls.domain:Call.Received"})


# -- renaming and moving classes ------------------------------------------------------------------------------------
class Parcel(Aggregate):
    @event("Sent")
    def __init__(self, to: str) -> None:
        self.to = to


class ParcelRenamed(Aggregate):
    """The same aggregate after a rename: its events have a new topic and a new class name."""

    @event("Dispatched")
    def __init__(self, to: str) -> None:
        self.to = to


def test_the_wire_type_is_the_declared_one_whatever_the_class_is_called() -> None:
    contract = EventContract("post", {"crm.post.parcel.sent.v1": get_topic(ParcelRenamed.Dispatched)})
    assert contract.wire_type(get_topic(ParcelRenamed.Dispatched)) == "crm.post.parcel.sent.v1"


def test_a_renamed_class_the_contract_was_not_told_about_has_no_wire_type() -> None:
    contract = EventContract("post", {"crm.post.parcel.sent.v1": get_topic(Parcel.Sent)})
    with pytest.raises(UndeclaredEvent, match="declare it"):
        contract.wire_type(get_topic(ParcelRenamed.Dispatched))


def test_a_contract_that_names_a_class_no_longer_there_fails() -> None:
    contract = EventContract("post", {"crm.post.parcel.sent.v1": f"{__name__}:Parcel.Posted"})
    with pytest.raises(Exception):  # noqa: B017 - whatever the import machinery raises for a missing name
        contract.schemas()


def test_the_relay_refuses_to_publish_an_event_its_contract_does_not_declare() -> None:
    class Post(CrmApplication):
        service = "post"
        contract = EventContract("post", {"crm.post.parcel.sent.v1": get_topic(Parcel.Sent)})

    post = Post()
    post.save(Parcel(to="Isfahan"), ParcelRenamed(to="Istanbul"))
    mapper = EnvelopeMapper(post)
    first, second = post.recorder.select_notifications(0, 10, inclusive_of_start=False)
    assert mapper(first).type == "crm.post.parcel.sent.v1"
    assert "originator_topic" not in mapper(first).data
    with pytest.raises(UndeclaredEvent):
        mapper(second)


# -- what the services store validates against what they publish --------------------------------------------------
class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def demo_events(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Published]:
    from services import demo as calls_demo
    from services.complaints import demo as complaints_demo
    from services.demo import desk_members
    from services.desks import demo as desks_demo
    from services.members.demo import demo_rows, load_members

    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), relay_embedded=False)
    out = io.StringIO()
    now = datetime.now(UTC)
    clock = Clock(now)
    events: dict[str, Published] = {}

    directory = MemberDirectory(clock=clock, region=settings.chamber)
    load_members(directory, count=40, seed=7, out=out)
    numbers = [row.membership_number for row in demo_rows(40, 7, settings.chamber) if row.status == "active"]
    directory.update_member(numbers[0], {"email": "office@example.ir"}, by="operator")
    directory.suspend_member(numbers[1], "unpaid dues", by="operator")
    directory.reinstate_member(numbers[1], by="operator", note="paid")
    directory.end_member(numbers[2], "closed the business", by="operator")
    directory.erase_member(numbers[2], "the person's written request", by="operator")
    directory.take_selection("all of them", {}, by="operator")
    events["members"] = published(directory)

    centre = CallCentre(organisation=settings.organisation, calendar=settings.business_calendar, clock=clock)
    phones = [
        p["raw"] for row in demo_rows(40, 7, settings.chamber) for c in row.details["contacts"] for p in c["phones"]
    ]
    calls_demo._load(centre, settings, clock, 120, 7, out, phones)
    # An outgoing call nobody picks up: the demo's outgoing calls are all answered.
    for n, (kind, at) in enumerate(
        [("ringing", now - timedelta(minutes=2)), ("completed", now - timedelta(minutes=1))]
    ):
        centre.ingest(
            TelephonyEvent(
                source="webhook",
                event_id=f"out-{n}",
                call_id="out",
                kind=kind,
                at=at,
                direction="outgoing",
                callee="09131234567",
                purpose="survey",
            )
        )
    # The chamber's calendar: a closure and a schedule entered at run time, and a deadline they move.
    waiting = centre.receive_call(direction="incoming", caller="09131234567", unit="trade")
    centre.register_unanswered(
        waiting, by="z.rahimi", subject="a certificate", contact_name=None, contact_phone="09131234567"
    )
    registered = centre.get_call(waiting).registered_at
    soon = settings.business_calendar.next_working_day(settings.business_calendar.working_day_of(registered))
    centre.close_day(day=soon, reason="pollution", by="operator")
    centre.set_schedule(effective_from=soon, preset="ir-public-offices", by="operator")
    centre.move_deadlines([waiting], reason="closed")
    events["calls"] = published(centre)

    desk = ComplaintDesk(organisation=settings.organisation, calendar=settings.business_calendar, clock=clock)
    complaints_demo._load(desk, settings, clock, now, 24, 7, out)
    # The steps the demo's walks do not take: more information, stakeholders, a document, confidentiality, and an
    # assignment refused for a conflict of interest.
    cid = desk.register_complaint(
        channel="in_person", kind="complaint", description="the certificate was late", by="z.rahimi", unit="trade"
    )
    desk.acknowledge_complaint(cid, by="m.karimi", method="phone")
    desk.add_information(
        cid,
        by="m.karimi",
        changes={
            "description": "the certificate was late twice",
            "phone": "09131234567",
            "occurred_at": now - timedelta(days=3),
        },
    )
    desk.record_stakeholders(cid, by="m.karimi", units=["trade"], persons=["s.ahmadi"])
    desk.attach_document(cid, b"late twice", media_type="text/plain", filename="note.txt", by="m.karimi")
    desk.set_confidentiality(cid, confidential=True, reason="names a member's partner", by="m.karimi")
    desk.complete_review(cid, by="m.karimi")
    desk.refer_complaint(cid, by="m.karimi")
    with pytest.raises(ConflictOfInterest):
        desk.assign_handler(cid, handler_kind="person", handler="s.ahmadi", by="sg")
    # A day closed at run time moves the running assignment deadline.
    before = desk.calendar.copy()
    heat = desk.calendar.next_working_day(desk.calendar.working_day_of(clock()))
    desk.calendar.close(heat, "heat")
    closure = {"day": heat.isoformat(), "reason": "heat", "note": None}
    assert (desk.get_complaint(cid).id, Stage.ASSIGNMENT) in desk.move_deadlines(before, "heat-1", "closure", closure)
    desk.erase_complainant(cid, "the complainant's written request", by="admin")
    events["complaints"] = published(desk)

    oversight = Oversight()
    oversight.record_breach(
        call_id="c-1", unit="trade", expert=None, callback_due=now - timedelta(hours=1), detected_at=now
    )
    for calls in (["c-1", "c-2", "c-3", "c-4"], ["c-5", "c-6", "c-7", "c-8"]):
        oversight.raise_escalation(unit="trade", at=now, call_ids=calls, threshold=3, window_days=7)
    walked = Escalation.create_id(unit="trade", call_ids=["c-4"])
    oversight.accept_escalation(walked, note="no cover at lunch", by="m.karimi", at=now)
    oversight.report_escalation(walked, by="m.karimi", at=now)
    oversight.request_corrective_action(walked, title=None, description=None, owner="f.alavi", by="sg", at=now)
    oversight.link_corrective_action(walked, action_id=str(uuid.uuid4()), at=now)
    oversight.dismiss_escalation(
        Escalation.create_id(unit="trade", call_ids=["c-8"]), reason="PBX outage", by="m.karimi", at=now
    )
    # Stored before corrective actions moved to the actions service: still declared, so still published.
    oversight.save(
        CorrectiveAction(
            origin="repeated_non_answer",
            unit="trade",
            owner="f.alavi",
            description="stored by an earlier version",
            escalation_id=None,
            opened_at=now,
        )
    )
    oversight.produce_end_of_day_list(
        unit="trade", day=now.date().isoformat(), manager="f.alavi", produced_at=now, items=[{"call_id": "c-1"}]
    )
    events["reporting"] = published(oversight)

    desks = DeskOffice(calendar=settings.business_calendar, clock=desks_demo._Clock(now))
    members = desk_members(demo_rows(40, 7, settings.chamber))
    desks_demo._Demo(desks, desks.clock, members, out).run()  # type: ignore[arg-type]  # its clock moves
    events["desks"] = published(desks)
    return events


@pytest.mark.parametrize("service", sorted(CONTRACTS))
def test_every_event_a_service_stores_goes_on_the_wire_as_the_standard_library_wrote_it(
    service: str, demo_events: dict[str, Published]
) -> None:
    events = demo_events[service]
    assert len(events) == len(events.written_before) > 10
    for envelope, (value, time) in zip(events, events.written_before, strict=True):
        assert envelope.value() == value, envelope.type
        assert envelope.time == time


@pytest.mark.parametrize("service", sorted(CONTRACTS))
def test_every_event_the_relay_sends_is_the_bytes_of_its_cloudevent(
    service: str, demo_events: dict[str, Published]
) -> None:
    events = demo_events[service]
    assert len(events.records) == len(events) > 10
    for envelope, (position, key, value, headers, time) in zip(events, events.records, strict=True):
        assert position == envelope.position
        assert key == envelope.key()
        assert value == envelope.value()
        assert headers == envelope.headers(), envelope.type
        assert time == envelope.time


@pytest.mark.parametrize("service", sorted(CONTRACTS))
def test_every_event_a_service_stores_validates_against_its_published_schema(
    service: str, demo_events: dict[str, list[CloudEvent]]
) -> None:
    schemas = load_schemas(ROOT)
    events = demo_events[service]
    assert events
    for envelope in events:
        assert envelope.type in schemas, f"{envelope.type} is published but has no schema under contracts/"
        data = json.loads(envelope.value())
        jsonschema.validate(data, schemas[envelope.type])


def test_every_event_of_the_complaint_stories_validates_against_its_published_schema(clock, tmp_path) -> None:
    from tests.reporting.complaint_story import isfahan, istanbul_story

    schemas = load_schemas(ROOT)
    for story in (isfahan(clock, tmp_path / "ir"), istanbul_story(clock, tmp_path / "tr")):
        for envelope in story.events():
            jsonschema.validate(json.loads(envelope.value()), schemas[envelope.type])


def test_the_demos_and_stories_exercise_what_the_services_publish(
    demo_events: dict[str, list[CloudEvent]], clock, tmp_path
) -> None:
    # A type nothing stores is validated only by its generation from the typed event: name each one here.
    from tests.reporting.complaint_story import isfahan, istanbul_story

    seen = {e.type for events in demo_events.values() for e in events}
    for story in (isfahan(clock, tmp_path / "ir"), istanbul_story(clock, tmp_path / "tr")):
        seen |= {e.type for e in story.events()}
    declared = {t for contract in CONTRACTS.values() for t in contract.events}
    assert sorted(declared - seen) == NOT_EXERCISED


def test_a_payload_that_breaks_the_schema_is_caught() -> None:
    schema = load_schemas(ROOT)["crm.calls.call.callback_recorded.v1"]
    good = {
        "by": "f.alavi",
        "outcome": "resolved",
        "note": None,
        "referred_to": None,
        "at": "2026-11-21T07:00:00+00:00",
    }
    jsonschema.validate(good, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**good, "outcome": "maybe"}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({k: v for k, v in good.items() if k != "by"}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**good, "renamed_field": 1}, schema)
