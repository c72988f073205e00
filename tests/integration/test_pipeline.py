"""The call centre end to end over the real embedded broker: the calls service and the reporting processor run as
their own processes, exactly as `crm run` starts them; the test talks to them over HTTP and reads the stores."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from services.rebuild import rebuild_readmodel
from services.reporting.readmodel import ReadModel
from shared.auth import Role, TokenStore
from tests.integration.conftest import crm, crm_env, free_port, read_topic, stop_all, wait_healthy, wait_until

pytestmark = pytest.mark.integration

# Wednesday 11 November 2026 (20 Aban 1405), 09:00 in Tehran: long enough ago that its deadlines have passed.
PAST = datetime(2026, 11, 11, 5, 30, tzinfo=UTC)


@pytest.fixture
def system(settings, broker, topic_prefix):
    settings = settings.model_copy(
        update={
            "kafka_bootstrap": broker,
            "topic_prefix": topic_prefix,
            "calls_port": free_port(),
            "processor_port": free_port(),
        }
    )
    env = crm_env(
        settings,
        CRM_CALLS_PORT=str(settings.calls_port),
        CRM_PROCESSOR_PORT=str(settings.processor_port),
        CRM_PROCESSOR_TICK_SECONDS="0.5",
        CRM_RELAY_POLL_INTERVAL="0.2",
        CRM_ESCALATION_THRESHOLD="3",
    )
    store = TokenStore(settings.auth_db_url)
    pbx = {"Authorization": f"Bearer {store.create('pbx', Role.TELEPHONY)}"}
    expert = {"Authorization": f"Bearer {store.create('z.rahimi', Role.EXPERT, 'member_relations')}"}
    procs = {"calls": crm("serve", "calls", env=env), "processor": crm("process", "reporting", env=env)}
    base = f"http://127.0.0.1:{settings.calls_port}"
    try:
        wait_healthy(base, f"http://127.0.0.1:{settings.processor_port}")
        yield settings, base, pbx, expert, procs
    finally:
        stop_all(procs.values())


def abandoned(
    call: str, at: datetime, queue: str, caller: str = "09131234567", missed_ext: str | None = None
) -> list[dict]:
    events = [
        {
            "event_id": f"{call}-q",
            "call_id": call,
            "type": "queued",
            "at": at.isoformat(),
            "from": caller,
            "queue": queue,
        }
    ]
    if missed_ext:
        events.append(
            {
                "event_id": f"{call}-m",
                "call_id": call,
                "type": "agent_missed",
                "at": (at + timedelta(seconds=15)).isoformat(),
                "queue": queue,
                "extension": missed_ext,
            }
        )
    events.append(
        {
            "event_id": f"{call}-a",
            "call_id": call,
            "type": "abandoned",
            "at": (at + timedelta(seconds=40)).isoformat(),
            "queue": queue,
        }
    )
    return events


def test_calls_flow_through_the_broker_into_queues_lists_breaches_and_escalations(system):
    settings, base, pbx, expert, procs = system
    readmodel = ReadModel(settings.readmodel_db_url, settings.business_calendar)
    now = datetime.now(UTC)

    # Two calls abandoned in the trade queue last Wednesday (one missed by s.ahmadi on 211), one today.
    batch = abandoned("old-1", PAST, "602", missed_ext="211") + abandoned("old-2", PAST + timedelta(hours=1), "602")
    batch += abandoned("today-1", now - timedelta(minutes=5), "602", caller="+98 31 3615 1000")
    r = httpx.post(f"{base}/telephony/events", json=batch, headers=pbx)
    assert r.status_code == 200, r.text
    assert r.json()["applied"] == len(batch)

    items = wait_until(
        lambda: (lambda i: i if len(i) == 3 else None)(readmodel.unanswered_items(unit="trade", state=None)),
        what="three unanswered calls",
    )
    by_caller = {i["caller"]: i for i in items}
    assert set(by_caller) == {"+989131234567", "+983136151000"}
    assert [i["expert"] for i in items if i["expert"]] == ["s.ahmadi"]
    old = min(items, key=lambda i: i["registered_at"])
    # 09:00:40 Wednesday + 24 working hours: Wed 7h, Thu half day 4h, Friday closed, Sat 8h, Sun 5h -> Sunday 13:00:40.
    assert old["callback_due"] == datetime(2026, 11, 15, 9, 30, 40, tzinfo=UTC)
    assert readmodel.unanswered_items(expert="s.ahmadi")[0]["call_id"] == old["call_id"]

    # The processor's timer (real clock) finds the old deadlines passed and records breaches as events, which come
    # back through the reporting topic into the read model; today's call is not breached.
    breached = wait_until(
        lambda: (lambda b: b if len(b) == 2 else None)(readmodel.unanswered_items(unit="trade", breached=True)),
        what="two breaches",
    )
    assert {b["call_id"] for b in breached} == {
        i["call_id"] for i in items if i["registered_at"] < now - timedelta(days=1)
    }
    breach_events = [
        r
        for r in read_topic(settings.kafka_bootstrap, settings.topic_of("reporting"))
        if r["headers"]["ce_type"] == "crm.reporting.callback_breach.recorded.v1"
    ]
    assert len(breach_events) == 2

    # The end-of-day list of Wednesday went to the trade unit's manager with both calls.
    eod = wait_until(lambda: readmodel.end_of_day_list("trade", "2026-11-11"), what="Wednesday's end-of-day list")
    assert eod["manager"] == "f.alavi"
    assert len(eod["items"]) == 2

    # Repeated non-answer: a fourth unanswered call of the legal unit within the window (threshold 3) escalates.
    legal = []
    for n in range(4):
        legal += abandoned(f"legal-{n}", PAST + timedelta(minutes=10 * n), "604")
    assert httpx.post(f"{base}/telephony/events", json=legal, headers=pbx).json()["applied"] == len(legal)
    escalations = wait_until(lambda: readmodel.escalation_list("legal"), what="an escalation of the legal unit")
    assert len(escalations) == 1
    assert escalations[0]["unanswered_count"] == 4
    # Raised for the member-relations manager's review: no corrective action until the SG opens one.
    assert (escalations[0]["status"], escalations[0]["corrective_action_id"]) == ("raised", None)

    # A malformed record on the calls topic goes to the dead-letter topic with the reason; the processor goes on.
    async def produce_garbage():
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait(settings.topic_of("calls"), b"not an event", key=b"x")
        finally:
            await producer.stop()

    asyncio.run(produce_garbage())
    dead = wait_until(
        lambda: read_topic(settings.kafka_bootstrap, settings.deadletter_topic, idle_ms=300),
        what="a dead-letter record",
    )
    assert dead[0]["value"] == b"not an event"
    assert "missing CloudEvents headers" in dead[0]["headers"]["crm_reason"]
    httpx.post(f"{base}/telephony/events", json=abandoned("after-garbage", now, "601"), headers=pbx).raise_for_status()
    wait_until(lambda: readmodel.unanswered_items(unit="membership"), what="the next call after the malformed record")

    # The staff see the same calls through the calls service's own API.
    mine = httpx.get(f"{base}/calls", params={"unit": "trade", "state": "unanswered"}, headers=expert).json()
    assert len(mine) == 3

    # `crm rebuild` from the event stores gives exactly what the live processors built from the broker.
    wait_until(
        lambda: len(readmodel.end_of_day_index()) >= 1 and not _pending(settings, readmodel),
        what="the processor to settle",
    )
    procs["processor"].send_signal(signal.SIGTERM)
    procs["processor"].wait(timeout=20)
    live = readmodel.dump()
    rebuilt_url = f"sqlite:///{settings.data_dir / 'rebuilt.db'}"
    rebuild_readmodel(settings, rebuilt_url)
    rebuilt = ReadModel(rebuilt_url, settings.business_calendar).dump()
    assert rebuilt == live


def _pending(settings, readmodel: ReadModel) -> bool:
    """Events in the stores not yet in the read model (the processor is still working)."""
    records = read_topic(settings.kafka_bootstrap, settings.topic_of("reporting"), idle_ms=200)
    records += read_topic(settings.kafka_bootstrap, settings.topic_of("calls"), idle_ms=200)
    applied = {r["event_id"] for r in readmodel.dump()["processed_events"]}
    return any(r["headers"].get("ce_id") not in applied for r in records if "ce_id" in r["headers"])
