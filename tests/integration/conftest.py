"""Real parts for integration tests: the embedded broker, SQLite files, the PostgreSQL server."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.broker import start_broker
from shared.settings import Settings

PG_URL = os.environ.get("CRM_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def broker() -> Iterator[str]:
    port = free_port()
    proc = start_broker(port)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def topic_prefix() -> str:
    return f"t{uuid.uuid4().hex[:8]}"


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh schema in the test database, dropped afterwards. In CI (CRM_TEST_POSTGRES_REQUIRED=1) an unreachable
    server fails the test instead of skipping it."""
    try:
        conn = psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("CRM_TEST_POSTGRES_REQUIRED"):
            pytest.fail(f"PostgreSQL is required here and unreachable at {PG_URL}: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {PG_URL}")
    prefix = f"crm_test_{uuid.uuid4().hex[:10]}_"
    try:
        yield prefix
    finally:
        schemas = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (prefix + "%",)).fetchall()
        for (schema,) in schemas:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.close()


def pg_settings(base: Settings, schema_prefix: str) -> Settings:
    info = psycopg.conninfo.conninfo_to_dict(PG_URL)
    return base.model_copy(
        update={
            "store": "postgres",
            "postgres_host": info.get("host", "127.0.0.1"),
            "postgres_port": int(info.get("port", 5432)),
            "postgres_user": info.get("user", "postgres"),
            "postgres_password": info.get("password", ""),
            "postgres_dbname": info.get("dbname", "test"),
            "postgres_schema_prefix": schema_prefix,
        }
    )


def read_topic(bootstrap: str, topic: str, idle_ms: int = 1500) -> list[dict]:
    """Every record of a topic, read until nothing new arrives for `idle_ms`."""

    async def go() -> list[dict]:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
        await consumer.start()
        try:
            await consumer._client.force_metadata_update()  # noqa: SLF001
            partitions = consumer.partitions_for_topic(topic) or set()
            tps = [TopicPartition(topic, p) for p in sorted(partitions)]
            if not tps:
                return []  # the topic does not exist (yet)
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            records = []
            while True:
                batch = await consumer.getmany(timeout_ms=idle_ms, max_records=10_000)
                if not batch:
                    return records
                for tp, msgs in batch.items():
                    for m in msgs:
                        records.append(
                            {
                                "partition": tp.partition,
                                "offset": m.offset,
                                "key": m.key,
                                "headers": {k: v.decode() for k, v in m.headers},
                                "value": m.value,
                            }
                        )
        finally:
            await consumer.stop()

    return asyncio.run(go())


def crm_env(settings: Settings, **extra: str) -> dict[str, str]:
    """Environment for a `crm` subprocess that sees the same stores and broker as the test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(
        {
            "CRM_DATA_DIR": str(settings.data_dir),
            "CRM_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
            "CRM_STORE": settings.store,
            "CRM_POSTGRES_HOST": settings.postgres_host,
            "CRM_POSTGRES_PORT": str(settings.postgres_port),
            "CRM_POSTGRES_USER": settings.postgres_user,
            "CRM_POSTGRES_DBNAME": settings.postgres_dbname,
            "CRM_KAFKA_PARTITIONS": str(settings.kafka_partitions),
            "CRM_TOPIC_PREFIX": settings.topic_prefix,
            "CRM_POSTGRES_SCHEMA_PREFIX": settings.postgres_schema_prefix,
        }
    )
    env.update(extra)
    return env


def crm(*args: str, env: dict[str, str], **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "services.cli", *args], env=env, cwd=ROOT, **kw)


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.1, what: str = "condition"):
    """Poll a real system until it shows the expected state (bounded; never a fixed sleep standing in for a check)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def wait_healthy(*urls: str, timeout: float = 120.0) -> None:
    # Generous: a process starting on two busy cores (PostgreSQL, the broker and the other parts alongside) has
    # been seen to need more than a minute; a healthy one answers far sooner, so passing runs are not slowed.
    for url in urls:
        wait_until(lambda u=url: healthy(f"{u}/health"), timeout=timeout, what=f"{url} to start")


def stop_all(procs) -> None:
    """SIGTERM each `crm` process, as the launcher does, and wait; kill what does not stop."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
