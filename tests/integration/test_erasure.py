"""An erasure reaches the copies downstream of the stores through the real embedded broker: the members service, the
calls service and the reporting processor run as `crm run` starts them; `crm privacy erase` forgets a caller and a
member, and the reporting read model and the call centre (its member lookup, fed by the members topic) show them
[erased] while every call and count stays."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from services.reporting.readmodel import ReadModel
from shared.auth import Role, TokenStore
from shared.privacy import ERASED
from tests.integration.conftest import crm, crm_env, free_port, stop_all, wait_healthy, wait_until

pytestmark = pytest.mark.integration

MEMBER_PHONE, STRANGER, OTHER = "+989137304793", "+989121112233", "+989351239876"


@pytest.fixture
def system(settings, broker, topic_prefix):
    ports = {"calls": free_port(), "members": free_port(), "processor": free_port()}
    settings = settings.model_copy(update={"kafka_bootstrap": broker, "topic_prefix": topic_prefix})
    env = crm_env(
        settings,
        CRM_CALLS_PORT=str(ports["calls"]),
        CRM_MEMBERS_PORT=str(ports["members"]),
        CRM_PROCESSOR_PORT=str(ports["processor"]),
        CRM_PROCESSOR_TICK_SECONDS="0.5",
        CRM_RELAY_POLL_INTERVAL="0.2",
    )
    store = TokenStore(settings.auth_db_url)
    headers = {
        "pbx": {"Authorization": f"Bearer {store.create('pbx', Role.TELEPHONY)}"},
        "mr": {"Authorization": f"Bearer {store.create('m.karimi', Role.MR_MANAGER, 'member_relations')}"},
    }
    procs = [crm("serve", "members", env=env), crm("serve", "calls", env=env), crm("process", "reporting", env=env)]
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    try:
        wait_healthy(*urls.values())
        yield settings, env, urls, headers
    finally:
        stop_all(procs)


def _abandoned(urls, headers, call: str, number: str) -> str:
    at = datetime.now(UTC) - timedelta(minutes=5)
    events = [
        {
            "event_id": f"{call}-q",
            "call_id": call,
            "type": "queued",
            "at": at.isoformat(),
            "from": number,
            "queue": "601",
        },
        {
            "event_id": f"{call}-a",
            "call_id": call,
            "type": "abandoned",
            "at": (at + timedelta(seconds=40)).isoformat(),
            "queue": "601",
        },
    ]
    r = httpx.post(f"{urls['calls']}/telephony/events", json=events, headers=headers["pbx"])
    assert r.status_code == 200, r.text
    return r.json()["results"][0]["call_id"]


def _member_of(urls, headers, number: str) -> str | None:
    at = datetime.now(UTC) - timedelta(minutes=1)
    call = f"probe-{at.timestamp()}"
    event = {"event_id": f"{call}-r", "call_id": call, "type": "ringing", "at": at.isoformat(), "from": number}
    r = httpx.post(f"{urls['calls']}/telephony/events", json=event, headers=headers["pbx"])
    assert r.status_code == 200, r.text
    return httpx.get(f"{urls['calls']}/calls/{r.json()['call_id']}", headers=headers["mr"]).json()["member_id"]


def _erase(env, *args: str) -> None:
    proc = crm("privacy", "erase", *args, "--reason", "written request", env=env, stdout=subprocess.PIPE, text=True)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out


def test_an_erasure_reaches_the_read_model_and_the_call_centre_through_the_broker(system):
    settings, env, urls, headers = system
    member = {
        "membership_number": "1405001",
        "kind": "person",
        "name": "مهدی جعفری",
        "contacts": [{"name": "مهدی جعفری", "phones": ["0913 730 4793"]}],
    }
    assert httpx.post(f"{urls['members']}/members", json=member, headers=headers["mr"]).status_code == 201
    wait_until(lambda: _member_of(urls, headers, MEMBER_PHONE), timeout=60, what="the member known to the calls")
    calls = {n: _abandoned(urls, headers, f"c-{i}", n) for i, n in enumerate((MEMBER_PHONE, STRANGER, OTHER))}

    readmodel = ReadModel(settings.readmodel_db_url, settings.business_calendar)

    def rows() -> dict[str, dict]:
        return {r["call_id"]: r for r in readmodel.dump()["unanswered_calls"]}

    wait_until(lambda: all(rows().get(c, {}).get("caller") for c in calls.values()), timeout=60, what="the calls")
    assert rows()[calls[STRANGER]]["caller"] == STRANGER
    count = len(rows())

    _erase(env, "--caller", STRANGER)
    _erase(env, "--member", "1405001")
    wait_until(
        lambda: rows()[calls[STRANGER]]["caller"] == ERASED and rows()[calls[MEMBER_PHONE]]["caller"] == ERASED,
        timeout=60,
        what="the read model to erase the caller and the member",
    )
    assert rows()[calls[OTHER]]["caller"] == OTHER and len(rows()) == count

    # The call centre's member lookup forgot the member's number, and the member's call reads [erased].
    wait_until(lambda: _member_of(urls, headers, MEMBER_PHONE) is None, timeout=60, what="the lookup to forget")
    shown = httpx.get(f"{urls['calls']}/calls/{calls[MEMBER_PHONE]}", headers=headers["mr"]).json()
    assert (shown["caller"], shown["member_id"]) == (ERASED, "1405001")
