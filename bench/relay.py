"""The relay: how fast a service's notification log reaches Kafka.

Fills a SQLite calls store with N call events (default 50,000; realistic calls of 4 events each, written in
large transactions so the fill is quick and not what is measured), starts the embedded broker (Tansu) on a free
port, runs `shared.relay.Relay` until its `published_position` reaches the head of the log, and prints events/s
published and the CPU the relay's process and the broker used per event while publishing (on a loaded machine
events/s is the share of the cores a run got; CPU per event is the figure to compare). Then it consumes the whole
topic and checks that it holds exactly N records with N distinct `ce_position`s (1..N). Target: 10,000 events/s.

    .venv/bin/python bench/relay.py [--n 50000] [--batch-size 2000] [--partitions 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import _common as C  # noqa: I001 - puts the project on sys.path
from aiokafka import AIOKafkaConsumer, TopicPartition  # noqa: E402

from services.calls.application import CallCentre  # noqa: E402
from services.calls.domain import Call  # noqa: E402
from shared.broker import start_broker  # noqa: E402
from shared.eventstore import store_env  # noqa: E402
from shared.organisation import Organisation  # noqa: E402
from shared.relay import Relay  # noqa: E402
from shared.settings import Settings  # noqa: E402

UNITS = ["membership", "trade", "international", "legal"]


def fill(centre: CallCentre, n: int, seed: int = 11) -> int:
    """About n events: calls received, routed, answered and completed (4 events each), 1000 events a transaction."""
    rng = random.Random(seed)
    start = C.now_utc() - timedelta(days=2)
    written = 0
    pending: list[Call] = []
    pending_events = 0
    i = 0
    while written + pending_events < n:
        at = start + timedelta(seconds=7 * i)
        raw = C.mobile(rng)
        call = C.incoming_call(at, raw, f"relay-bench-{i}")
        left = n - written - pending_events
        if left > 1:
            call.route(rng.choice(UNITS), at + timedelta(seconds=2), queue="601", pbx_event_id=f"relay-bench-{i}-q")
        if left > 2:
            call.answer(
                f"ext:{rng.choice(C.EXTENSIONS)}", at + timedelta(seconds=20), pbx_event_id=f"relay-bench-{i}-a"
            )
        if left > 3:
            call.hang_up(at + timedelta(seconds=200), talk_seconds=180, pbx_event_id=f"relay-bench-{i}-c")
        pending.append(call)
        pending_events += len(call.pending_events)
        i += 1
        if pending_events >= 1000:
            centre.save(*pending)
            written += pending_events
            pending, pending_events = [], 0
    if pending:
        centre.save(*pending)
        written += pending_events
    return written


async def consume_all(bootstrap: str, topic: str, expected: int, timeout: float = 120.0) -> tuple[int, list[int]]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None, max_partition_fetch_bytes=8 << 20
    )
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            await consumer._client.force_metadata_update()  # noqa: SLF001
            partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        positions: list[int] = []
        count = 0
        deadline = time.monotonic() + timeout
        idle = 0
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500, max_records=10_000)
            if not batch:
                idle += 1
                # Some brokers report the base offset of the last batch as the end offset: go on until quiet.
                if count >= expected or idle >= 6:
                    break
                continue
            idle = 0
            for records in batch.values():
                for record in records:
                    count += 1
                    for name, value in record.headers or ():
                        if name == "ce_position":
                            positions.append(int(value))
        del ends
        return count, positions
    finally:
        await consumer.stop()


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run_relay(
    centre: CallCentre, bootstrap: str, topic: str, batch_size: int, partitions: int, timeout: float, broker_pid: int
) -> dict:
    head = centre.recorder.max_notification_id() or 0
    caught_up = asyncio.Event()

    class WatchedRelay(Relay):
        """Says when it reached the head, so the bench waits without polling (a poll every 2 ms cost the relay's
        process CPU in proportion to how long the run took)."""

        async def _publish_batch(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            sent = await super()._publish_batch(*args, **kwargs)
            if self.published_position >= head:
                caught_up.set()
            return sent

    relay = WatchedRelay(centre, bootstrap, topic, batch_size=batch_size, partitions=partitions)
    stop = asyncio.Event()
    started = time.perf_counter()
    task = asyncio.create_task(relay.run(stop))

    async def first(event: asyncio.Event, what: str, seconds: float) -> None:
        waiting = asyncio.ensure_future(event.wait())
        await asyncio.wait({waiting, task}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        if task.done():
            raise RuntimeError(f"the relay stopped: {task.exception()!r}")
        if not event.is_set():
            raise TimeoutError(f"relay not {what} after {seconds:.0f}s (at {relay.published_position} of {head})")

    try:
        await first(relay.ready, "ready", timeout)
        ready_at = time.perf_counter()
        cpu, broker_cpu = time.process_time(), process_cpu(broker_pid)
        await first(caught_up, "at the head", timeout)
        done = time.perf_counter()
        cpu, broker_cpu = time.process_time() - cpu, process_cpu(broker_pid) - broker_cpu
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)
    return {
        "head": head,
        "total_s": done - started,
        "publish_s": done - ready_at,
        "startup_s": ready_at - started,
        "cpu_s": cpu,  # this process while publishing: the relay (the bench only waits)
        "broker_cpu_s": broker_cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=50_000, help="events in the store (default 50000)")
    parser.add_argument("--batch-size", type=int, default=Settings.model_fields["relay_batch_size"].default)
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=150.0, help="give up publishing after this many seconds")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="crm-bench-relay-") as tmp:
        settings = Settings(data_dir=Path(tmp))
        centre = CallCentre(store_env(settings, "calls"), organisation=Organisation.load(settings.organisation_file))
        t = time.perf_counter()
        n = fill(centre, args.n)
        print(f"relay: filled a SQLite calls store with {n} events in {time.perf_counter() - t:.1f}s (not measured)")
        port = C.free_port()
        broker = start_broker(port, Path(tmp) / "broker.log")
        bootstrap = f"127.0.0.1:{port}"
        topic = "crm.calls.events.v1"
        try:
            r = asyncio.run(
                run_relay(centre, bootstrap, topic, args.batch_size, args.partitions, args.timeout, broker.pid)
            )
            count, positions = asyncio.run(consume_all(bootstrap, topic, n))
        finally:
            broker.terminate()
            try:
                broker.wait(timeout=10)
            except Exception:  # noqa: BLE001
                broker.kill()
            centre.close()
    rate = r["head"] / r["publish_s"]
    overall = r["head"] / r["total_s"]
    unique = len(set(positions))
    complete = count == n and unique == n and set(positions) == set(range(1, n + 1))
    print(f"  start-up (topics, last positions, producer): {r['startup_s']:.2f}s")
    print(f"  published {r['head']} events in {r['publish_s']:.2f}s after start-up: {rate:,.0f} events/s")
    print(f"  including start-up: {overall:,.0f} events/s")
    relay_us, broker_us = 1e6 * r["cpu_s"] / r["head"], 1e6 * r["broker_cpu_s"] / r["head"]
    print(
        f"  CPU while publishing: relay {r['cpu_s']:.2f}s ({relay_us:.0f} us/event), broker {r['broker_cpu_s']:.2f}s "
        f"({broker_us:.0f} us/event): the figure to compare on a loaded machine, where events/s is the share of the "
        "cores this run got"
    )
    print(
        f"  topic check: {count} records, {unique} distinct ce_position, exactly 1..{n}: {'yes' if complete else 'NO'}"
    )
    print(C.result_line("relay events/s", rate, "events/s", ">= 10000", rate >= 10_000))
    print(C.result_line("relay CPU per event", relay_us, "us", "-", None))
    print(C.result_line("relay broker CPU per event", broker_us, "us", "-", None))
    print(
        C.result_line(
            "relay topic exact (N records, unique positions)", 1.0 if complete else 0.0, "bool", "= 1", complete
        )
    )


if __name__ == "__main__":
    main()
