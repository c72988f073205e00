"""The complaints read model, fed with the complaints service's real events as they come back from Kafka: each
complaint's facts, rounds, time in each stage in working hours, corrective actions and breaches; idempotence;
the Prometheus metrics."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest
from prometheus_client import CollectorRegistry, generate_latest

from services.reporting.complaints import ComplaintReadModel, collect_complaint_metrics
from shared.envelope import CloudEvent
from tests.reporting.complaint_story import Story, envelopes, isfahan, project, tehran


@pytest.fixture
def story(clock, tmp_path) -> Story:
    return isfahan(clock, tmp_path)


@pytest.fixture
def model(tmp_path, story) -> ComplaintReadModel:
    model = ComplaintReadModel(f"sqlite:///{tmp_path}/reporting.db", story.calendar)
    project(model, story.events())
    return model


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 3600


def stage_hours(complaint: dict, round_: int = 1) -> dict[str, float | None]:
    return {s["stage"]: hours(s["working_seconds"]) for s in complaint["stage_times"] if s["round"] == round_}


# --- one complaint, from receipt to closing -------------------------------------------------------------------


def test_a_complaint_handled_to_the_end_is_projected_with_the_working_hours_of_each_stage(story, model) -> None:
    a = model.complaint(story.ids["A"])
    assert (a["kind"], a["channel"], a["unit"], a["confidential"]) == ("complaint", "in_person", "membership", False)
    assert (a["state"], a["stage"], a["decision"], a["outcome"], a["round"]) == (
        "closed",
        None,
        "accepted",
        "accepted",
        1,
    )
    assert (a["handler_kind"], a["handler"]) == ("person", "s.ahmadi")
    assert a["received_at"] == tehran(2026, 4, 25, 9, 0)
    assert a["closed_at"] == a["first_closed_at"] == tehran(2026, 4, 29, 11, 30)
    # Saturday 9:00 to Wednesday 11:30 on the chamber's calendar: 7 + 8 + 8 + 8 + 3.5 working hours.
    assert hours(a["resolution_working_seconds"]) == 34.5
    assert stage_hours(a) == {
        "acknowledgement": 2,
        "review": 7,
        "assignment": 2,
        "investigation": 16,
        "decision": 6,
        "notification": 1,
    }
    assert (a["satisfaction_score"], a["satisfied"], a["closings"], a["breaches"]) == (5, True, 1, 0)
    [round_] = a["rounds"]
    assert (round_["outcome"], round_["decided_at"], round_["satisfied"]) == (
        "accepted",
        tehran(2026, 4, 29, 10, 0),
        True,
    )
    assert a["reference"].startswith("C-")
    assert a["summary"] == "کارت عضویت پس از دو ماه صادر نشده است"


def test_a_reopened_complaint_starts_a_new_round_in_review_and_keeps_the_first_rounds_result(story, model) -> None:
    b = model.complaint(story.ids["B"])
    assert (b["state"], b["stage"], b["round"], b["outcome"], b["decided_at"]) == (
        "acknowledged",
        "review",
        2,
        None,
        None,
    )
    assert (b["confidential"], b["channel"], b["reopenings"], b["closings"]) == (True, "phone", 1, 1)
    assert b["stage_since"] == tehran(2026, 5, 3, 14, 30)
    first, second = b["rounds"]
    assert (first["outcome"], first["satisfaction_score"], first["satisfied"], first["reopened_at"]) == (
        "rejected",
        1,
        False,
        tehran(2026, 5, 3, 14, 30),
    )
    assert (second["started_at"], second["outcome"], second["closed_at"]) == (tehran(2026, 5, 3, 14, 30), None, None)
    assert stage_hours(b, 2) == {"review": None}  # waiting, not done
    assert hours(b["resolution_working_seconds"]) == 12.5  # to its first closing: it has not closed again
    assert b["breaches"] == 1
    [breach] = b["deadline_breaches"]
    assert (breach["stage"], breach["round"], breach["waiting_on"], breach["at"]) == (
        "review",
        2,
        "mr_manager",
        tehran(2026, 6, 1, 10, 0),
    )


def test_the_committees_corrective_actions_are_kept_with_their_status(story, model) -> None:
    d = model.complaint(story.ids["D"])
    assert (d["channel"], d["kind"], d["source"], d["outcome"], d["state"]) == (
        "automatic",
        "criticism",
        "surveys",
        "settled",
        "closed",
    )
    assert (d["handler_kind"], d["handler"]) == ("unit", "legal")
    # The investigation report on Monday 13:00, the committee's decision on Wednesday 10:00.
    assert stage_hours(d)["decision"] == 3 + 8 + 2
    ca1, ca2 = d["corrective_actions"]
    assert (ca1["action_id"], ca1["owner"], ca1["due"], ca1["status"], ca1["done_by"]) == (
        "CA-1",
        "y.mousavi",
        "2026-06-10",
        "done",
        "y.mousavi",
    )
    assert ca1["done_at"] == tehran(2026, 6, 7, 12, 0)
    assert (ca2["action_id"], ca2["owner"], ca2["due"], ca2["status"], ca2["done_at"]) == (
        "CA-2",
        "t.heidari",
        "2026-07-01",
        "open",
        None,
    )
    assert ca1["defined_at"] == ca2["defined_at"] == tehran(2026, 5, 20, 10, 0)


def test_open_complaints_wait_in_their_stage_the_longest_waiting_first(story, model) -> None:
    rows = model.open_complaints()
    assert [(r["complaint_id"], r["stage"]) for r in rows] == [
        (story.ids["F"], "assignment"),
        (story.ids["B"], "review"),
        (story.ids["C"], "review"),
        (story.ids["E"], "acknowledgement"),
    ]
    assert [r["stage_since"] for r in rows] == [
        tehran(2026, 2, 23, 9, 0),
        tehran(2026, 5, 3, 14, 30),
        tehran(2026, 5, 9, 10, 0),
        tehran(2026, 9, 28, 9, 0),
    ]


def test_a_notified_complaint_waits_for_its_closing(story, clock, model) -> None:
    desk = story.desk
    before = desk.recorder.max_notification_id()
    e = story.ids["E"]
    clock.now = tehran(2026, 9, 28, 10, 0)
    desk.acknowledge_complaint(e, by="z.rahimi", method="phone")
    desk.record_stakeholders(e, by="m.karimi", none=True)
    desk.complete_review(e, by="m.karimi")
    desk.refer_complaint(e, by="m.karimi")
    desk.assign_handler(e, handler_kind="unit", handler="trade", by="sg")
    clock.now = tehran(2026, 9, 29, 10, 0)
    desk.file_investigation(
        e, by="f.alavi", by_unit="trade", circumstances="c", root_causes="r", consequences="x", actions_taken="a"
    )
    desk.decide_complaint(e, decision="rejected", reason="خارج از اختیار اتاق", by="sg")
    desk.notify_member(e, method="letter", message="پاسخ ارسال شد", by="m.karimi")
    project(model, envelopes(desk, before))
    row = model.complaint(e)
    assert (row["state"], row["stage"], row["stage_since"], row["outcome"]) == (
        "notified",
        "closing",
        tehran(2026, 9, 29, 10, 0),
        "rejected",
    )


def test_a_correction_of_the_form_is_reported_while_the_metrics_keep_the_kind_received(story, clock, model) -> None:
    before = story.desk.recorder.max_notification_id()
    clock.now = tehran(2026, 9, 28, 9, 30)
    story.desk.add_information(
        story.ids["E"], by="m.karimi", changes={"kind": "complaint", "unit": "trade", "description": "x " * 200}
    )
    assert project(model, envelopes(story.desk, before)) == 1
    e = model.complaint(story.ids["E"])
    assert (e["kind"], e["kind_received"], e["unit"]) == ("complaint", "reported_problem", "trade")
    assert len(e["summary"]) == 200 and e["summary"].endswith("…")


# --- exactly-once effect --------------------------------------------------------------------------------------


def test_applying_the_same_events_again_changes_nothing(story, model) -> None:
    before = model.dump()
    assert project(model, story.events()) == 0
    assert model.dump() == before
    assert len(before["complaint_facts"]) == 7


def test_the_result_does_not_depend_on_how_the_events_are_batched(story, model, tmp_path) -> None:
    one_by_one = ComplaintReadModel(f"sqlite:///{tmp_path}/one-by-one.db", story.calendar)
    events = story.events()
    for event in events:
        assert project(one_by_one, [event]) == 1
    assert one_by_one.dump() == model.dump()

    # A redelivered tail mixed with new events: only the new ones count.
    partly = ComplaintReadModel(f"sqlite:///{tmp_path}/partly.db", story.calendar)
    assert project(partly, events[:30]) == 30
    assert project(partly, events[20:]) == len(events) - 30
    assert partly.dump() == model.dump()


def test_events_of_other_services_are_not_this_models_business(story, tmp_path) -> None:
    model = ComplaintReadModel(f"sqlite:///{tmp_path}/other.db", story.calendar)
    call = CloudEvent(
        id="x",
        source="/crm/calls",
        type="crm.calls.call.received.v1",
        time=datetime(2026, 5, 1, tzinfo=UTC).isoformat(),
        subject="c1",
        sequence=1,
        position=1,
        data={"at": "2026-05-01T08:00:00+00:00"},
    )
    assert project(model, [call]) == 0
    assert all(rows == [] for rows in model.dump().values())


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh schema in the test database (CRM_TEST_POSTGRES), dropped afterwards; skipped without a server."""
    url = os.environ.get("CRM_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("CRM_TEST_POSTGRES_REQUIRED"):
            pytest.fail(f"PostgreSQL is required here and unreachable at {url}: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {url}")
    schema = f"crm_test_{uuid.uuid4().hex[:10]}_reporting"
    try:
        yield url.replace("postgresql://", "postgresql+psycopg://", 1) + f"?options=-csearch_path%3D{schema}"
    finally:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.close()


@pytest.mark.integration
@pytest.mark.postgres
def test_the_model_on_postgresql_equals_the_model_on_sqlite(story, model, postgres_url) -> None:
    deployed = ComplaintReadModel(postgres_url, story.calendar)
    try:
        assert project(deployed, story.events()) == len(story.events())
        assert project(deployed, story.events()) == 0
        assert deployed.dump() == model.dump()
        assert deployed.metric_counts() == model.metric_counts()
    finally:
        deployed.engine.dispose()


def test_drop_empties_the_model(model) -> None:
    model.drop()
    assert all(rows == [] for rows in model.dump().values())


# --- Prometheus -----------------------------------------------------------------------------------------------


class _Collector:
    def __init__(self, model: ComplaintReadModel):
        self.model = model

    def collect(self):
        yield from collect_complaint_metrics(self.model)


def test_the_metrics_count_complaints_by_kind_and_channel_and_open_ones_by_stage(model) -> None:
    registry = CollectorRegistry()
    registry.register(_Collector(model))
    text = generate_latest(registry).decode()

    def value(sample: str) -> float:
        line = next(line for line in text.splitlines() if line.startswith(sample + " "))
        return float(line.rsplit(" ", 1)[1])

    assert value('crm_complaints_received_total{channel="in_person",kind="complaint"}') == 3  # F, A, H
    assert value('crm_complaints_received_total{channel="phone",kind="complaint"}') == 1
    assert value('crm_complaints_received_total{channel="website",kind="suggestion"}') == 1
    assert value('crm_complaints_received_total{channel="automatic",kind="criticism"}') == 1
    assert value('crm_complaints_received_total{channel="in_person",kind="reported_problem"}') == 1
    assert value('crm_complaints_received_total{channel="phone",kind="suggestion"}') == 0  # every pair, zeros too
    assert value('crm_complaints_closed_total{channel="in_person",kind="complaint"}') == 2  # A, H
    assert value('crm_complaints_closed_total{channel="phone",kind="complaint"}') == 1  # B, before it was reopened
    assert value('crm_complaints_closed_total{channel="automatic",kind="criticism"}') == 1
    assert value('crm_complaints_breached_total{channel="in_person",kind="complaint"}') == 1  # F
    assert value('crm_complaints_breached_total{channel="phone",kind="complaint"}') == 1  # B, round 2
    assert value('crm_complaints_breached_total{channel="website",kind="suggestion"}') == 1  # C
    assert value('crm_complaints_open{stage="assignment"}') == 1
    assert value('crm_complaints_open{stage="review"}') == 2
    assert value('crm_complaints_open{stage="acknowledgement"}') == 1
    assert value('crm_complaints_open{stage="closing"}') == 0


def test_the_metrics_carry_no_personal_data(model, story) -> None:
    labels = {
        name for family in collect_complaint_metrics(model) for sample in family.samples for name in sample.labels
    }
    assert labels == {"kind", "channel", "stage"}
    values = {
        v for family in collect_complaint_metrics(model) for sample in family.samples for v in sample.labels.values()
    }
    assert not values & {"علی رضایی", "z.rahimi", "membership", *story.ids.values()}
