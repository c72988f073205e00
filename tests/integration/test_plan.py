"""The plan service on real stores: its versions on PostgreSQL, and its events on the real broker, each valid
against its committed contract."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import jsonschema
import pytest

from services.plan.main import build_office
from shared.relay import Relay
from tests.integration.conftest import pg_settings, read_topic

pytestmark = pytest.mark.integration
SEED = Path(__file__).resolve().parents[1] / "plan" / "fixtures" / "strategic_plan_2024.tsv"
CONTRACTS = Path(__file__).resolve().parents[2] / "contracts" / "plan"


def import_two_versions(office) -> None:
    office.import_plan(SEED.read_bytes(), by="sg", source_name="plan.tsv")
    office.import_plan(SEED.read_bytes(), by="sg", source_name="plan.tsv")  # the same plan: nothing recorded
    revised = SEED.read_text(encoding="utf-8").replace("Toplam Faaliyet\t\t\t45\t11", "Toplam Faaliyet\t\t\t49\t12")
    office.import_plan(revised, by="m.karimi", source_name="plan-rev1.tsv")


@pytest.mark.postgres
def test_plan_versions_risks_and_actuals_on_postgresql(settings, clock, pg_schema):
    from services.plan.main import build_index

    pg = pg_settings(settings, pg_schema)
    office = build_office(pg, clock)
    try:
        import_two_versions(office)
        assert [(v["number"], v["by"], v["in_force"]) for v in office.versions()] == [
            (1, "sg", False),
            (2, "m.karimi", True),
        ]
        assert office.version(1)["content"]["targets"][1]["stated"]["activities_four_year"] == 45
        index = build_index(pg, office)
        card = SEED.with_name("process_card_p23.txt").read_bytes()
        assert len(office.risks.import_card(card, by="m.karimi")["registered"]) == 6
        assert [r["score"] for r in office.risks.register_as_of()] == [20, 20, 16, 16, 16, 16]
        office.enter_actual("F.2.1.3", "2026-10", 14, "F.12 2026/10", by="h.tehrani")
        assert index.actuals(2026)["F.2.1.3"] == {10: 14.0}
        assert index.rebuild() == office.recorder.max_notification_id()
        assert len(index.risk_ids()) == 6 and index.actuals(2026)["F.2.1.3"] == {10: 14.0}
    finally:
        office.close()


def test_plan_events_reach_kafka_and_validate_against_their_contract(settings, clock, broker, topic_prefix):
    s = settings.model_copy(update={"kafka_bootstrap": broker, "topic_prefix": topic_prefix})
    office = build_office(s, clock)
    try:
        import_two_versions(office)
        head = office.recorder.max_notification_id()
        relay = Relay(office, broker, s.topic_of("plan"), partitions=s.kafka_partitions)

        async def go() -> None:
            stop = asyncio.Event()
            task = asyncio.create_task(relay.run(stop))
            for _ in range(600):
                if relay.published_position >= head:
                    break
                if task.done():
                    task.result()
                await asyncio.sleep(0.05)
            stop.set()
            await task

        asyncio.run(go())
    finally:
        office.close()
    records = read_topic(broker, f"{topic_prefix}.plan.events.v1")
    assert [r["headers"]["ce_type"] for r in records] == [
        "crm.plan.strategic_plan.imported.v1",
        "crm.plan.strategic_plan.revised.v1",
    ]
    for r in records:
        schema = json.loads((CONTRACTS / f"{r['headers']['ce_type']}.json").read_text())
        jsonschema.validate(json.loads(r["value"]), schema)
    revised = json.loads(records[1]["value"])
    assert revised["by"] == "m.karimi" and len(revised["content"]["activities"]) == 64


def test_actuals_move_when_corrective_actions_from_surveys_reach_the_broker(settings, clock, broker, topic_prefix):
    """Actions opened from surveys go through the actions service's relay to the broker; the plan's KPI consumer
    reads them into F.2.1.2 (improvements after surveys), once each, whatever else the topic carries."""
    from services.actions.main import build_register
    from services.plan.consumer import follow_kpi_events
    from services.plan.main import build_index, kpi_topics

    s = settings.model_copy(update={"kafka_bootstrap": broker, "topic_prefix": topic_prefix})
    register = build_register(s, clock)
    office = build_office(s, clock)
    try:
        register.open_action(source_kind="survey", source_ref="survey:R-1:Q3", title="Faster answers", by="surveys")
        register.open_action(source_kind="survey", source_ref="survey:R-1:Q5", title="Clearer fees", by="surveys")
        register.open_action(source_kind="complaint", source_ref="complaint:C-1", title="Not a survey", by="sg")
        head = register.recorder.max_notification_id()
        relay = Relay(register, broker, s.topic_of("actions"), partitions=s.kafka_partitions)
        index = build_index(s, office)
        topics = kpi_topics(s, office.bindings)
        assert f"{topic_prefix}.actions.events.v1" in topics

        async def go() -> None:
            stop = asyncio.Event()
            tasks = [
                asyncio.create_task(relay.run(stop)),
                asyncio.create_task(
                    follow_kpi_events(index, broker, topics, f"{topic_prefix}-plan-kpi", stop, s.kafka_partitions)
                ),
            ]
            for _ in range(600):  # at most 30 s: the group's first join takes about 3
                counted = index.actuals(clock().year).get("F.2.1.2", {})
                if relay.published_position >= head and counted.get(clock().month) == 2.0:
                    break
                for task in tasks:
                    if task.done():
                        task.result()
                await asyncio.sleep(0.05)
            stop.set()
            await asyncio.gather(*tasks)

        asyncio.run(go())
        assert index.actuals(clock().year)["F.2.1.2"] == {clock().month: 2.0}
    finally:
        register.close()
        office.close()


def test_member_losses_on_the_broker_prompt_a_review_of_the_risk_of_member_loss(settings, broker, topic_prefix):
    """Members ended go through the members service's relay to the broker; the plan's consumer counts them as the
    signal of the risk of member loss and, once five are in the window, the risk's review is prompted, once."""
    from datetime import UTC, datetime

    from services.members.demo import demo_rows, load_members
    from services.members.main import build_directory
    from services.plan.consumer import follow_kpi_events
    from services.plan.main import build_index, kpi_topics
    from services.plan.watch import SignalWatch

    now = datetime.now(UTC)  # the signal's window is counted back from now, as the events' times are stamped
    s = settings.model_copy(update={"kafka_bootstrap": broker, "topic_prefix": topic_prefix})
    directory = build_directory(s)
    office = build_office(s, lambda: now)
    try:
        load_members(directory, count=12, seed=3, out=io.StringIO())
        active = [r.membership_number for r in demo_rows(12, 3, s.chamber) if r.status == "active"][:5]
        for number in active:
            directory.end_member(number, "closed the business", by="operator")
        office.risks.import_card(SEED.with_name("process_card_p23.txt").read_bytes(), by="m.karimi")
        head = directory.recorder.max_notification_id()
        relay = Relay(directory, broker, s.topic_of("members"), partitions=s.kafka_partitions)
        index = build_index(s, office)
        watch = SignalWatch(office, index, index.signals)
        topics = kpi_topics(s, office.bindings, index.signals)
        assert f"{topic_prefix}.members.events.v1" in topics
        loss = next(r for r in office.risks.register_as_of() if r["title"] == "Üye sayısında düşüş")

        async def go() -> None:
            stop = asyncio.Event()
            tasks = [
                asyncio.create_task(relay.run(stop)),
                asyncio.create_task(
                    follow_kpi_events(
                        index, broker, topics, f"{topic_prefix}-plan-kpi", stop, s.kafka_partitions, watch.evaluate
                    )
                ),
            ]
            for _ in range(600):  # at most 30 s
                if relay.published_position >= head and office.risks.record(loss["id"])["review_due"]:
                    break
                for task in tasks:
                    if task.done():
                        task.result()
                await asyncio.sleep(0.05)
            stop.set()
            await asyncio.gather(*tasks)

        asyncio.run(go())
        record = office.risks.record(loss["id"])
        prompts = [r for r in record["reviews"] if r["kind"] == "prompt"]
        assert [(p["signal"], p["figure"], p["level"]) for p in prompts] == [("member-losses", 5.0, 5.0)]
    finally:
        directory.close()
        office.close()
