"""A reporting processor restarted while the broker stays up (so its consumer group's offsets are kept) catches up
and goes on recording breaches; with the broker unreachable it still stops promptly on a signal."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from services.reporting.readmodel import ReadModel
from shared.auth import Role, TokenStore
from shared.broker import start_broker
from tests.integration.clocked_processor import set_clock
from tests.integration.conftest import (
    ROOT,
    crm,
    crm_env,
    free_port,
    read_topic,
    stop_all,
    wait_healthy,
    wait_until,
)
from tests.integration.test_pipeline import abandoned

pytestmark = pytest.mark.integration

# Saturday 21 November 2026, 10:30 in Tehran: the calls come in the morning, their deadlines are days away.
T0 = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
CALLS = 12


def clocked_processor(env: dict[str, str], clock_file) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.clocked_processor", str(clock_file)], env=env, cwd=ROOT
    )


def processor_state(port: int) -> dict:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).json()
    except (httpx.HTTPError, ValueError):
        return {}


def committed_offsets(bootstrap: str, group: str, topic: str) -> int:
    """The sum of the group's committed offsets on the topic (read without joining the group)."""

    async def go() -> int:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
        await consumer.start()
        try:
            await consumer._client.force_metadata_update()  # noqa: SLF001
            partitions = consumer.partitions_for_topic(topic) or set()
            total = 0
            for p in partitions:
                total += await consumer.committed(TopicPartition(topic, p)) or 0
            return total
        finally:
            await consumer.stop()

    return asyncio.run(go())


def unread_by_broker(port: int) -> int:
    """Bytes that clients sent to the broker on this port and it has not read (the kernel queues them meanwhile)."""
    total = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        if local_port == port and fields[3] == "01":  # established
            total += int(fields[4].split(":")[1], 16)
    return total


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "graceful"])
def test_a_restarted_processor_catches_up_and_records_breaches_again(settings, broker, topic_prefix, tmp_path, stop):
    settings = settings.model_copy(
        update={
            "kafka_bootstrap": broker,
            "topic_prefix": topic_prefix,
            "calls_port": free_port(),
            "processor_port": free_port(),
        }
    )
    clock_file = tmp_path / "clock"
    set_clock(clock_file, T0)
    env = crm_env(
        settings,
        CRM_CALLS_PORT=str(settings.calls_port),
        CRM_PROCESSOR_PORT=str(settings.processor_port),
        CRM_PROCESSOR_TICK_SECONDS="0.3",
        CRM_RELAY_POLL_INTERVAL="0.2",
        CRM_ESCALATION_THRESHOLD="100",
    )
    pbx = {"Authorization": f"Bearer {TokenStore(settings.auth_db_url).create('pbx', Role.TELEPHONY)}"}
    readmodel = ReadModel(settings.readmodel_db_url, settings.business_calendar)
    base = f"http://127.0.0.1:{settings.calls_port}"
    calls = crm("serve", "calls", env=env)
    processor = clocked_processor(env, clock_file)
    procs = [calls, processor]
    try:
        wait_healthy(base, f"http://127.0.0.1:{settings.processor_port}")
        batch = []
        for n in range(CALLS):
            batch += abandoned(f"before-{n}", T0 - timedelta(minutes=50 - n), "602")
        assert httpx.post(f"{base}/telephony/events", json=batch, headers=pbx).json()["applied"] == len(batch)
        wait_until(
            lambda: len(readmodel.unanswered_items(unit="trade", state=None)) == CALLS, what="the calls projected"
        )
        wait_until(lambda: processor_state(settings.processor_port).get("caught_up"), what="the first catch-up")
        # The group's offsets reach the end of the calls topic: a restarted processor reads nothing old again.
        in_topic = len(read_topic(broker, settings.topic_of("calls")))
        wait_until(
            lambda: committed_offsets(broker, f"{topic_prefix}-reporting", settings.topic_of("calls")) >= in_topic,
            what="the offsets committed",
        )
        assert readmodel.unanswered_items(unit="trade", breached=True) == []

        processor.send_signal(stop)
        processor.wait(timeout=30)
        processor = clocked_processor(env, clock_file)
        procs[1] = processor
        wait_healthy(f"http://127.0.0.1:{settings.processor_port}")
        wait_until(
            lambda: processor_state(settings.processor_port).get("caught_up"),
            what="the restarted processor to report caught up",
        )

        # A week later every deadline has passed: the restarted processor records each breach, once.
        set_clock(clock_file, T0 + timedelta(days=7))
        wait_until(
            lambda: len(readmodel.unanswered_items(unit="trade", breached=True)) == CALLS,
            what="the breaches after the restart",
        )
        wait_until(lambda: readmodel.end_of_day_list("trade", "2026-11-21"), what="Saturday's end-of-day list")
        breaches = [
            r
            for r in read_topic(broker, settings.topic_of("reporting"))
            if r["headers"]["ce_type"] == "crm.reporting.callback_breach.recorded.v1"
        ]
        assert sorted(r["key"] for r in breaches) == sorted({r["key"] for r in breaches})
        assert len(breaches) == CALLS
    finally:
        stop_all(procs)


def test_the_processor_stops_promptly_on_sigint_when_the_broker_is_unreachable(settings, topic_prefix):
    port = free_port()
    broker = start_broker(port)
    settings = settings.model_copy(
        update={"kafka_bootstrap": f"127.0.0.1:{port}", "topic_prefix": topic_prefix, "processor_port": free_port()}
    )
    processor = crm("process", "reporting", env=crm_env(settings, CRM_PROCESSOR_PORT=str(settings.processor_port)))
    try:
        url = f"http://127.0.0.1:{settings.processor_port}"
        wait_healthy(url)
        # Settled first: frozen during its first join the processor only awaits that one answer and sends nothing
        # more, so the check below could not see it waiting; settled, it heartbeats every second.
        wait_until(lambda: httpx.get(f"{url}/health", timeout=1).json()["caught_up"], what="the processor to settle")
        # Frozen rather than gone: requests are neither answered nor refused, so every client waits out its timeout.
        broker.send_signal(signal.SIGSTOP)
        wait_until(lambda: unread_by_broker(port) > 0, what="a request the frozen broker leaves unanswered")
        processor.send_signal(signal.SIGINT)
        try:
            processor.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pytest.fail("the processor ignored SIGINT while the broker was unreachable")
    finally:
        if processor.poll() is None:
            processor.kill()
            processor.wait()
        broker.send_signal(signal.SIGCONT)
        broker.terminate()
        broker.wait(timeout=10)
