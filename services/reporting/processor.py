"""The reporting stream processor: faust-streaming agents over the services' topics.

One agent projects the calls topic and the reporting service's own topic into the read models (in batches, one
transaction each, deduplicated by event id); a malformed record goes to the dead-letter topic with its reason and
the agent goes on. A deadline timer (services/reporting/deadlines.py) wakes when the next deadline passes by the
injected clock, and is re-armed by every batch that sets, moves or ends one; it then asks the engine for the
breaches and end-of-day lists that are due, once the agent has caught up with the topics (so that a list is never
produced from half a replay). The reporting service's relay runs in the same process and publishes those
decisions.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, generate_latest

from services.reporting.actions_outbox import CorrectiveActionOutbox, http_opener
from services.reporting.deadlines import DeadlineTimer
from services.reporting.engine import ReportingEngine
from services.reporting.erasure import callers_of
from services.reporting.oversight import Oversight
from services.reporting.projections import EscalationRule
from services.reporting.readmodel import ReadModel
from shared.auth import Role, TokenStore
from shared.clock import system_clock
from shared.db import create_engine
from shared.envelope import MalformedRecord, from_kafka
from shared.eventstore import store_env
from shared.relay import Relay, ensure_topics
from shared.settings import Settings

log = logging.getLogger(__name__)

EVENTS = Counter("crm_processor_events", "Records consumed by the reporting processor", ["topic", "outcome"])
LAG_EVENTS = Gauge("crm_processor_lag_events", "Records in the topic not yet processed", ["topic"])
LAG_SECONDS = Gauge("crm_processor_lag_seconds", "Age of the last processed event when it was processed", ["topic"])

# How long the broker may hold a fetch that finds nothing new. faust hard-codes 1500 ms for its consumer, and the
# embedded broker (Tansu) does not answer a waiting fetch when records arrive: it answers when the wait is over, so
# every record waited 0.4 s on average and up to 0.75 s before the processor saw it (bench/end_to_end.py). At 100 ms
# a record waits ~30 ms (at most ~60 ms); an idle processor sends ~20 small fetches a second, which costs nothing.
FETCH_MAX_WAIT_MS = 100


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport):
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS  # noqa: SLF001 - read by AIOKafkaConsumer.start(), not before
        return consumer


class _Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class _Transport(faust_aiokafka.Transport):
    """faust's aiokafka transport with a consumer that does not sit on an idle fetch for 1.5 s."""

    Consumer = _Consumer


# How long a stop asked by SIGINT or SIGTERM may take before the process exits anyway. With the broker up the
# processor stops in about 2 s; with the broker unreachable (a frozen or partitioned broker, not a refused
# connection) faust and aiokafka wait out their request and session timeouts and took 84 s. Exiting then loses
# nothing: the read model is written in transactions deduplicated by event id, uncommitted offsets are read again,
# and the relay resumes from what the topic holds.
STOP_DEADLINE_SECONDS = 8.0


class _Worker(faust.Worker):
    """faust's worker, with a deadline on the stop that a signal asks for."""

    def _schedule_shutdown(self, signal) -> None:
        if not self._signal_stop_time:
            _arm_stop_deadline(STOP_DEADLINE_SECONDS)
        super()._schedule_shutdown(signal)


def _arm_stop_deadline(seconds: float) -> None:
    def exit_late() -> None:
        log.warning("the processor did not stop within %.0fs (broker unreachable?); exiting now", seconds)
        logging.shutdown()
        os._exit(0)

    timer = threading.Timer(seconds, exit_late)
    timer.daemon = True
    timer.start()


def build_engine(settings: Settings, clock: Callable[[], datetime]) -> ReportingEngine:
    calendar = settings.business_calendar
    return ReportingEngine(
        ReadModel(settings.readmodel_db_url, calendar, callers_of(settings)),
        Oversight(store_env(settings, "reporting")),
        settings.organisation,
        calendar,
        EscalationRule(settings.escalation_threshold, timedelta(days=settings.escalation_window_days)),
        clock,
        snapshots_kept=settings.as_of_snapshots_kept,
        snapshots_sparse=settings.as_of_snapshots_sparse,
    )


def create_faust_app(settings: Settings, engine: ReportingEngine, topics: Sequence[str]) -> faust.App:
    """`topics`: the source topics, as the registry lists them (services/registry.py)."""
    app = faust.App(
        f"{settings.topic_prefix}-reporting",
        broker=f"kafka://{settings.kafka_bootstrap}",
        store="memory://",
        autodiscover=False,
        web_enabled=True,
        web_bind=settings.host,
        web_port=settings.processor_port,
        web_in_thread=False,
        broker_session_timeout=6.0,
        broker_rebalance_timeout=3.0,
        broker_heartbeat_interval=1.0,
        consumer_auto_offset_reset="earliest",
        topic_partitions=settings.kafka_partitions,
        topic_allow_declare=False,
        producer_linger_ms=1,
        logging_config=None,
    )
    app.transport = _Transport(app.conf.broker_consumer, app)
    sources = frozenset(topics)  # the only topics whose lag counts (faust's own internal topics do not)
    source = app.topic(*topics, value_serializer="raw", key_serializer="raw")
    deadletter = app.topic(settings.deadletter_topic, value_serializer="raw", key_serializer="raw")
    tokens = TokenStore(settings.auth_db_url)
    positions: dict[tuple[str, int], int] = {}
    state = {"caught_up": False}
    stop_relay = asyncio.Event()
    relay = Relay(
        engine.oversight,
        settings.kafka_bootstrap,
        settings.topic_of("reporting"),
        batch_size=settings.relay_batch_size,
        poll_interval=settings.relay_poll_interval,
        partitions=settings.kafka_partitions,
    )

    async def dead_letter(msg, reason: str) -> None:
        EVENTS.labels(msg.topic, "deadletter").inc()
        headers = [
            ("crm_reason", reason.encode()),
            ("crm_topic", msg.topic.encode()),
            ("crm_partition", str(msg.partition).encode()),
            ("crm_offset", str(msg.offset).encode()),
        ]
        await deadletter.send(key=msg.key, value=msg.value, headers=headers)
        log.warning("dead-lettered %s[%d]@%d: %s", msg.topic, msg.partition, msg.offset, reason)

    async def apply(events, messages) -> bool:
        """Apply a batch; True if it changed a deadline the timer may be sleeping towards."""
        duplicates: set[str] = set()
        failed: set[int] = set()
        changed = True  # when applied one by one, look again to be sure
        try:
            outcome = await asyncio.to_thread(engine.handle, events)
        except Exception:  # noqa: BLE001 - find the record that cannot be applied, set it aside, go on
            log.exception("a batch of %d events failed; applying them one by one", len(events))
            for n, (event, msg) in enumerate(zip(events, messages, strict=True)):
                try:
                    one = await asyncio.to_thread(engine.handle, [event])
                except Exception as exc:  # noqa: BLE001
                    await dead_letter(msg, f"cannot be applied: {type(exc).__name__}: {exc}")
                    failed.add(n)
                    continue
                duplicates |= one.duplicate_ids
        else:
            duplicates = outcome.duplicate_ids
            changed = outcome.deadlines_changed
        counted = [(e, m) for n, (e, m) in enumerate(zip(events, messages, strict=True)) if n not in failed]
        for (topic, result), count in per_topic_outcomes(counted, duplicates).items():
            EVENTS.labels(topic, result).inc(count)
        for topic, newest in newest_per_topic(events, messages).items():
            LAG_SECONDS.labels(topic).set(max(0.0, (datetime.now(UTC) - newest).total_seconds()))
        return changed

    @app.agent(source)
    async def project(stream):
        async for batch in stream.take_events(1000, within=0.01):
            good, messages = [], []
            for ev in batch:
                msg = ev.message
                try:
                    good.append(from_kafka(msg.headers, msg.value))
                    messages.append(msg)
                except MalformedRecord as exc:
                    await dead_letter(msg, str(exc))
            if good and await apply(good, messages):
                timer.rearm()
            # Only once applied: the timer must not see a batch still on its way into the read model as done.
            for ev in batch:
                positions[(ev.message.topic, ev.message.partition)] = ev.message.offset

    async def record_due() -> bool:
        lag = await _update_lag(app, positions, sources)
        state["caught_up"] = lag == 0
        if not state["caught_up"]:
            return False
        result = await asyncio.to_thread(engine.tick)
        if any(result.values()):
            log.info("deadline check: %s", result)
        return True

    async def next_deadline():
        return await asyncio.to_thread(engine.next_deadline)

    # Each deadline is acted on when it passes; `processor_tick_seconds` is only the longest sleep between checks.
    timer = DeadlineTimer(next_deadline, record_due, engine.clock, longest=settings.processor_tick_seconds)
    stop_timer = asyncio.Event()

    @app.task
    async def deadlines():
        await timer.run(stop_timer)

    if settings.processor_relay:
        # Like the relay, one replica delivers the SG's corrective-action requests to the actions service.
        outbox = CorrectiveActionOutbox(
            engine.oversight,
            create_engine(settings.local_db_url("reporting_outbox")),
            http_opener(settings.actions_base_url, settings.reporting_service_token),
            system_clock,
        )

        @app.task
        async def run_relay():
            await relay.run(stop_relay)

        @app.task
        async def run_outbox():
            await outbox.follower.run_until(stop_relay)

    @app.on_before_shutdown.connect  # type: ignore[arg-type]  # faust awaits async receivers too
    async def _stop(app_, **kwargs):
        stop_relay.set()
        stop_timer.set()
        timer.rearm()

    def _authorised(request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.lower().startswith("bearer "):
            return False
        principal = tokens.verify(header[7:].strip())
        return principal is not None and principal.role in (Role.MONITORING, Role.ADMIN, Role.AUDITOR)

    @app.page("/health")
    async def health(web, request):
        return web.json({"service": "reporting-processor", "status": "ok", "caught_up": state["caught_up"]})

    @app.page("/metrics")
    async def metrics(web, request):
        if not _authorised(request):
            return web.json({"title": "Not authenticated", "status": 401}, status=401)
        return web.bytes(generate_latest(), content_type=CONTENT_TYPE_LATEST.split(";")[0])

    return app


def per_topic_outcomes(pairs, duplicates: set[str]) -> dict[tuple[str, str], int]:
    """(topic, applied|duplicate) -> records, each under its own topic's name: one label value per source topic."""
    counts: dict[tuple[str, str], int] = {}
    for event, msg in pairs:
        key = (msg.topic, "duplicate" if event.id in duplicates else "applied")
        counts[key] = counts.get(key, 0) + 1
    return counts


def newest_per_topic(events, messages) -> dict[str, datetime]:
    newest: dict[str, datetime] = {}
    for event, msg in zip(events, messages, strict=True):
        at = datetime.fromisoformat(event.time)
        if msg.topic not in newest or at > newest[msg.topic]:
            newest[msg.topic] = at
    return newest


async def _update_lag(app: faust.App, positions: dict[tuple[str, int], int], sources: frozenset[str]) -> int:
    """Records in the assigned source partitions not yet applied; -1 while that cannot be known.

    A partition is done up to the later of what this process applied and the offset committed by the consumer
    group, which is where this process started reading: after a restart a partition that receives nothing new
    (the reporting topic gets records only from the deadline check, which waits for this) has nothing left to
    read, and must count as caught up. The end offsets are asked of the broker for every assigned partition,
    empty and idle ones included, rather than taken from fetch responses, which may not have come for them yet.
    Only the source topics count: faust's internal topics (the assignor's) are never read from.
    """
    try:
        assignment = app.consumer.assignment()
    except Exception:  # noqa: BLE001 - the consumer has not started yet
        return -1
    if not assignment or not any(tp.topic in sources for tp in assignment):
        return -1
    try:
        ends = await app.consumer.highwaters(*(tp for tp in assignment if tp.topic in sources))
    except Exception as exc:  # noqa: BLE001 - broker away or rebalancing: not known, so not caught up
        log.debug("end offsets unknown: %s", exc)
        return -1
    committed = app.consumer._committed_offset  # type: ignore[attr-defined]  # noqa: SLF001 - faust keeps the group's offsets only here
    per_topic: dict[str, int] = {}
    for tp in assignment:
        if tp.topic not in sources:
            continue
        end = ends.get(tp)
        if end is None:
            return -1
        try:
            fetched = app.consumer.highwater(tp)
        except Exception:  # noqa: BLE001 - no fetch response for it yet
            fetched = None
        end = max(end, fetched or 0)
        done = max(positions.get((tp.topic, tp.partition), -1) + 1, committed.get(tp) or 0)
        lag = max(0, end - done)
        per_topic[tp.topic] = per_topic.get(tp.topic, 0) + lag
    for topic, lag in per_topic.items():
        LAG_EVENTS.labels(topic).set(lag)
    return sum(per_topic.values())


def run_processor(settings: Settings, topics: Sequence[str], clock: Callable[[], datetime] | None = None) -> int:
    engine = build_engine(settings, clock or system_clock)
    asyncio.run(
        ensure_topics(
            settings.kafka_bootstrap,
            [*topics, settings.deadletter_topic],
            settings.kafka_partitions,
        )
    )
    app = create_faust_app(settings, engine, topics)
    worker = _Worker(app, loglevel="WARNING", quiet=True)
    started = time.monotonic()
    worker.execute_from_commandline()
    log.info("processor stopped after %.0fs", time.monotonic() - started)
    return 0
