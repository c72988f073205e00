"""A member registered in the member database is recognised by the call centre through the broker, with no
synchronous call between the two services; a changed number is recognised from then on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from shared.auth import Role, TokenStore
from tests.integration.conftest import crm, crm_env, free_port, stop_all, wait_healthy, wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def services(settings, broker, topic_prefix):
    ports = {"calls": free_port(), "members": free_port()}
    settings = settings.model_copy(update={"kafka_bootstrap": broker, "topic_prefix": topic_prefix})
    env = crm_env(
        settings,
        CRM_CALLS_PORT=str(ports["calls"]),
        CRM_MEMBERS_PORT=str(ports["members"]),
        CRM_RELAY_POLL_INTERVAL="0.2",
    )
    store = TokenStore(settings.auth_db_url)
    headers = {
        "pbx": {"Authorization": f"Bearer {store.create('pbx', Role.TELEPHONY)}"},
        "mr": {"Authorization": f"Bearer {store.create('m.karimi', Role.MR_MANAGER, 'member_relations')}"},
    }
    procs = [crm("serve", "members", env=env), crm("serve", "calls", env=env)]
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    try:
        wait_healthy(*urls.values())
        yield urls, headers
    finally:
        stop_all(procs)


def _call_from(urls, headers, call: str, number: str) -> dict:
    at = datetime.now(UTC) - timedelta(minutes=1)
    event = {"event_id": f"{call}-r", "call_id": call, "type": "ringing", "at": at.isoformat(), "from": number}
    r = httpx.post(f"{urls['calls']}/telephony/events", json=event, headers=headers["pbx"])
    assert r.status_code == 200, r.text
    return httpx.get(f"{urls['calls']}/calls/{r.json()['call_id']}", headers=headers["mr"]).json()


def test_a_member_registered_in_the_member_database_is_recognised_when_calling(services):
    urls, headers = services
    member = {
        "membership_number": "۱۴۰۵۰۰۱",  # Persian digits, as typed at the desk
        "kind": "company",
        "name": "شرکت فرش دستباف اصفهان",
        "trade_group": "فرش و صنایع دستی",
        "contacts": [{"name": "مهدی جعفری", "phones": ["0913 730 4793"]}],
    }
    r = httpx.post(f"{urls['members']}/members", json=member, headers=headers["mr"])
    assert r.status_code == 201, r.text

    # The call centre learns the number from the members topic, not by asking the member service.
    wait_until(
        lambda: _call_from(urls, headers, f"probe-{datetime.now(UTC).timestamp()}", "+989137304793")["member_id"],
        timeout=30,
        what="the member to be known to the call centre",
    )
    call = _call_from(urls, headers, "known-1", "09137304793")
    assert call["member_id"] == "1405001"
    assert call["caller"] == "+989137304793"
    assert _call_from(urls, headers, "stranger-1", "09121112233")["member_id"] is None

    # The member's number changes: the new number is recognised from then on, the old one no longer.
    r = httpx.patch(
        f"{urls['members']}/members/1405001",
        json={"contacts": [{"name": "مهدی جعفری", "phones": ["0913 999 8877"]}]},
        headers=headers["mr"],
    )
    assert r.status_code == 200, r.text
    wait_until(
        lambda: _call_from(urls, headers, f"probe2-{datetime.now(UTC).timestamp()}", "09139998877")["member_id"],
        timeout=30,
        what="the new number",
    )
    assert _call_from(urls, headers, "old-number", "09137304793")["member_id"] is None

    # Only active members are members: once suspended, the number is no longer recognised.
    r = httpx.post(f"{urls['members']}/members/1405001/suspend", json={"reason": "unpaid fees"}, headers=headers["mr"])
    assert r.status_code == 200, r.text
    wait_until(
        lambda: (
            _call_from(urls, headers, f"probe3-{datetime.now(UTC).timestamp()}", "09139998877")["member_id"] is None
        ),
        timeout=30,
        what="the suspension",
    )
