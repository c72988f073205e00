"""The calls API in two processes on one port (CRM_CALLS_API_PROCESSES=2, shared/processes.py), on each store: both
take requests; what a replica stores is indexed, relayed with no gap and no duplicate, and counted in the metrics
whichever process is scraped; a calendar change and an erasure made through the primary reach the replica; a
replica that dies is started again, a second start on the port is refused, and the replica goes with its primary."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.calls.domain import call_id_for_pbx
from services.calls.main import build_centre
from shared.auth import Role, TokenStore
from tests.integration.conftest import crm, crm_env, free_port, pg_settings, read_topic, stop_all, wait_until
from tests.integration.test_relay import assert_complete_and_ordered

CALLS_EACH = 30  # abandoned calls posted through each process, 5 to a request
QUEUE = "602"  # the trade unit's PBX queue


@pytest.fixture(params=["sqlite", "postgres"])
def store_settings(request, settings, topic_prefix, broker):
    if request.param == "postgres":
        settings = pg_settings(settings, request.getfixturevalue("pg_schema"))
    return settings.model_copy(
        update={"topic_prefix": topic_prefix, "calls_port": free_port(), "kafka_bootstrap": broker}
    )


class Processes:
    """Requests sent to one chosen process: a new connection until the kernel hands one to that process (its
    /health says which it is), then the request on the same connection."""

    def __init__(self, base: str):
        self.base = base

    def health(self, role: str) -> dict[str, Any]:
        return self.request(role, "GET", "/health").json()

    def request(self, role: str, method: str, path: str, **kw: Any) -> httpx.Response:
        for _ in range(200):
            with httpx.Client(base_url=self.base, timeout=30) as client:
                try:
                    process = client.get("/health").json().get("process", {})
                except httpx.HTTPError:
                    continue
                if process.get("role") == role:
                    return client.request(method, path, **kw)
        raise AssertionError(f"no connection reached the {role} process")


def abandoned(call_id: str, caller: str, at: datetime) -> list[dict]:
    queued = {"event_id": f"{call_id}-q", "call_id": call_id, "type": "queued", "at": at.isoformat()}
    queued |= {"caller": caller, "queue": QUEUE}
    gone = {"event_id": f"{call_id}-ab", "call_id": call_id, "type": "abandoned", "at": (at + timedelta(seconds=30))}
    gone |= {"at": gone["at"].isoformat(), "caller": caller, "queue": QUEUE, "wait_seconds": 30}
    return [queued, gone]


def metric(text: str, name: str, **labels: str) -> float:
    """The sum of a metric's samples whose labels include `labels`."""
    total = 0.0
    for line in text.splitlines():
        m = re.match(rf"{name}\{{(.*)\}} (\S+)$", line)
        if m and all(f'{k}="{v}"' in m.group(1) for k, v in labels.items()):
            total += float(m.group(2))
    return total


def test_two_processes_serve_one_api(store_settings) -> None:
    settings = store_settings
    store = TokenStore(settings.auth_db_url)
    pbx, admin, manager, sg, monitor = (
        {"Authorization": f"Bearer {store.create(name, role, unit)}"}
        for name, role, unit in [
            ("pbx", Role.TELEPHONY, None),
            ("operator", Role.ADMIN, None),
            ("f.alavi", Role.UNIT_MANAGER, "trade"),
            ("sg", Role.SG, None),
            ("prometheus", Role.MONITORING, None),
        ]
    )
    env = crm_env(settings, CRM_CALLS_PORT=str(settings.calls_port), CRM_CALLS_API_PROCESSES="2")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    log = open(settings.data_dir / "calls.log", "ab")  # noqa: SIM115 - read when the test fails
    primary = crm("serve", "calls", env=env, stdout=log, stderr=subprocess.STDOUT)
    api = Processes(f"http://127.0.0.1:{settings.calls_port}")
    try:
        wait_until(lambda: _answers(api, "primary") and _answers(api, "replica"), timeout=120, what="both processes")

        # Both processes store, at once, through the webhook.
        start = datetime.now(UTC) - timedelta(hours=1)
        failures: list[str] = []

        def post(role: str) -> None:
            for b in range(CALLS_EACH // 5):
                events = []
                for k in range(5):
                    n = b * 5 + k
                    events += abandoned(f"{role}-{n}", f"0913{'1' if role == 'primary' else '2'}{n:06d}", start)
                response = api.request(role, "POST", "/telephony/events", json=events, headers=pbx)
                if response.status_code != 200:
                    failures.append(f"{role}: {response.status_code} {response.text[:200]}")

        posters = [threading.Thread(target=post, args=(role,)) for role in ("primary", "replica")]
        for t in posters:
            t.start()
        for t in posters:
            t.join(120)
        assert failures == []

        # Indexed (the replica's saves wake the primary's index) and read alike through either process.
        for role in ("primary", "replica"):
            wait_until(
                lambda r=role: (
                    api.request(r, "GET", "/queues/units/trade", headers=manager).headers.get("x-total-count")
                    == str(2 * CALLS_EACH)
                ),
                what=f"every call in the unit's list read through the {role}",
            )

        # Every event stored once and published once, in order, whichever process stored it.
        centre = build_centre(settings)
        notifications = centre.recorder.select_notifications(0, 1_000_000)
        centre.close()
        assert len({(n.originator_id, n.originator_version) for n in notifications}) == len(notifications)
        assert len({n.originator_id for n in notifications}) == 2 * CALLS_EACH
        topic = settings.topic_of("calls")
        wait_until(lambda: len(read_topic(settings.kafka_bootstrap, topic, idle_ms=300)) >= len(notifications))
        stored = [n.id for n in notifications]
        assert_complete_and_ordered(
            read_topic(settings.kafka_bootstrap, topic), len(stored), settings.kafka_partitions, stored
        )

        # One scrape counts both processes' requests.
        for role in ("primary", "replica"):
            text = api.request(role, "GET", "/metrics", headers=monitor).text
            posts = metric(text, "crm_http_requests_total", route="/telephony/events", status="200")
            assert posts == 2 * CALLS_EACH / 5, role

        # A day closed through the primary: the replica counts the working time left without it too.
        page = api.request("primary", "GET", "/queues/units/trade", params={"limit": 1}, headers=manager).json()
        call_id, due = page[0]["id"], datetime.fromisoformat(page[0]["due"])
        calendar = settings.business_calendar
        day = calendar.next_working_day(datetime.now(UTC).astimezone(calendar.tz).date())
        assert day < due.astimezone(calendar.tz).date()  # a working day before the deadline
        closed = api.request(
            "primary", "POST", "/calendar/closures", json={"day": day.isoformat(), "reason": "pollution"}, headers=admin
        )
        assert closed.status_code == 201, closed.text

        def left(role: str) -> float:
            items = api.request(role, "GET", "/queues/units/trade", params={"limit": 100}, headers=manager).json()
            return next(i["working_seconds_left"] for i in items if i["id"] == call_id)

        # The primary moves the deadline past the closed day; until the replica applies the closure too, it counts
        # the closed day's hours as working time left (a working day more than the primary).
        wait_until(
            lambda: (
                datetime.fromisoformat(
                    api.request("primary", "GET", f"/calls/{call_id}", headers=sg).json()["callback_due"]
                )
                > due
            ),
            what="the primary to move the deadline past the closed day",
        )
        wait_until(lambda: abs(left("replica") - left("primary")) < 60, what="both to count the moved deadline alike")

        # An erasure through the primary: the replica, which holds the call opened, reads it erased too.
        erased_call = f"/calls/{call_id_for_pbx('replica-3')}"
        assert "9132000003" in api.request("replica", "GET", erased_call, headers=sg).text
        response = api.request(
            "primary", "POST", "/callers/erasure", json={"number": "09132000003", "reason": "request"}, headers=admin
        )
        assert response.status_code == 200, response.text
        wait_until(
            lambda: "9132000003" not in api.request("replica", "GET", erased_call, headers=sg).text,
            what="the replica to read the call erased",
        )

        # A replica that dies is started again; a second start on the port is refused.
        dead = api.health("replica")["process"]["pid"]
        os.kill(dead, signal.SIGKILL)
        wait_until(lambda: api.health("replica")["process"]["pid"] != dead, timeout=120, what="a new replica")
        second = crm("serve", "calls", env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _, err = second.communicate(timeout=120)
        assert second.returncode != 0 and b"cannot listen" in err, err[-500:]

        # The replica goes with its primary, even one killed with -9.
        replica = api.health("replica")["process"]["pid"]
        primary.send_signal(signal.SIGKILL)
        primary.wait(10)
        wait_until(lambda: not _alive(replica), what="the replica to exit with its primary")
    finally:
        stop_all([primary])
        log.close()


def _answers(api: Processes, role: str) -> bool:
    try:
        return api.health(role)["status"] == "ok"
    except (AssertionError, httpx.HTTPError, ValueError):
        return False


def _alive(pid: int) -> bool:
    """Running (a zombie left to a parent that does not reap it is not)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
