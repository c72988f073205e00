"""Notifications end to end on the embedded default: the real embedded broker, the real local mail server
(`crm mailserver`, aiosmtpd) and the notifications service as `crm run` starts them, each in its own process.

The first test puts complaint events on the complaints topic and finds the complainant's mail in the mailbox, once
however often the events are replayed. The second is the day as the chamber lives it: calls left unanswered in
three units during a working day, the reporting processor's clock moved to the end of that day, and each unit
manager finds the end-of-day list in his or her mailbox."""

from __future__ import annotations

import asyncio
import email
import email.policy
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from shared.auth import Role, TokenStore
from shared.envelope import CloudEvent
from tests.integration.clocked_processor import set_clock
from tests.integration.conftest import ROOT, crm, crm_env, free_port, stop_all, wait_healthy, wait_until
from tests.integration.test_pipeline import abandoned
from tests.integration.test_processor_restart import committed_offsets

pytestmark = pytest.mark.integration


def publish(bootstrap: str, topic: str, events: list[CloudEvent]) -> None:
    async def go() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
        await producer.start()
        try:
            for e in events:
                await producer.send_and_wait(topic, e.value(), key=e.key(), headers=e.headers())
        finally:
            await producer.stop()

    asyncio.run(go())


def mails(data_dir: Path, address: str) -> list[email.message.EmailMessage]:
    box = data_dir / "mailbox" / address
    if not box.is_dir():
        return []
    return [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in sorted(box.glob("*.eml"))]


@pytest.fixture
def embedded(settings, broker, topic_prefix):
    """The settings, environment and processes of a one-machine CRM with its local mail server."""
    settings = settings.model_copy(
        update={
            "kafka_bootstrap": broker,
            "topic_prefix": topic_prefix,
            "calls_port": free_port(),
            "processor_port": free_port(),
            "notifications_port": free_port(),
        }
    )
    smtp_port = free_port()
    env = crm_env(
        settings,
        CRM_CALLS_PORT=str(settings.calls_port),
        CRM_PROCESSOR_PORT=str(settings.processor_port),
        CRM_NOTIFICATIONS_PORT=str(settings.notifications_port),
        CRM_NOTIFICATIONS__SMTP_PORT=str(smtp_port),
        CRM_NOTIFICATIONS__DISPATCH_SECONDS="0.3",
        CRM_PROCESSOR_TICK_SECONDS="0.3",
        CRM_RELAY_POLL_INTERVAL="0.2",
        CRM_ESCALATION_THRESHOLD="100",
    )
    procs: list[subprocess.Popen] = [crm("mailserver", env=env), crm("serve", "notifications", env=env)]
    try:
        wait_healthy(f"http://127.0.0.1:{settings.notifications_port}")
        yield settings, env, procs
    finally:
        stop_all(procs)


def complaint_events(complaint: str) -> list[CloudEvent]:
    def ce(type_: str, sequence: int, data: dict) -> CloudEvent:
        return CloudEvent(
            f"{complaint}:{sequence}",
            "crm/complaints",
            type_,
            "2026-11-21T07:00:00+00:00",
            complaint,
            sequence,
            sequence,
            data,
        )

    return [
        ce(
            "crm.complaints.complaint.received.v1",
            1,
            {
                "reference": "C-1405-0042",
                "channel": "website",
                "kind": "service",
                "description": "No call back",
                "occurred_at": None,
                "member_number": None,
                "complainant_name": "Leyla Ahmadi",
                "contact_phone": None,
                "contact_phone_raw": None,
                "contact_email": "leyla@example.org",
                "unit": "trade",
                "service": None,
                "stakeholders": {},
                "confidential": False,
                "call_id": None,
                "source": None,
                "source_ref": None,
                "by": None,
                "at": "2026-11-21T07:00:00+00:00",
            },
        ),
        ce(
            "crm.complaints.complaint.acknowledged.v1",
            2,
            {"by": "z.rahimi", "method": "email", "note": None, "at": "2026-11-21T07:30:00+00:00"},
        ),
    ]


def test_complaint_events_on_the_broker_reach_the_complainants_mailbox_once(embedded):
    settings, env, procs = embedded
    events = complaint_events(str(uuid.uuid4()))
    publish(settings.kafka_bootstrap, settings.topic_of("complaints"), events)
    [mail] = wait_until(lambda: mails(settings.data_dir, "leyla@example.org"), what="the acknowledgement mail")
    assert mail["Subject"] == "شکایت شما با شماره C-1405-0042 دریافت شد"
    assert "C-1405-0042" in mail.get_body().get_content()

    # The same events again (a relay that published twice, a consumer that replays): no second mail.
    publish(settings.kafka_bootstrap, settings.topic_of("complaints"), events)
    admin = {"Authorization": f"Bearer {TokenStore(settings.auth_db_url).create('operator', Role.ADMIN)}"}
    base = f"http://127.0.0.1:{settings.notifications_port}"

    # The consumer group's offsets pass the replayed records: they were read, and asked for nothing more.
    wait_until(
        lambda: (
            committed_offsets(
                settings.kafka_bootstrap, f"{settings.topic_prefix}-notifications", settings.topic_of("complaints")
            )
            >= 4
        ),
        what="the replayed records consumed",
    )
    page = httpx.get(f"{base}/notifications", headers=admin).json()
    assert page["total"] == 1 and page["items"][0]["status"] == "delivered"
    end = httpx.get(f"{base}/mailbox", headers=admin).json()
    assert end == [{"address": "leyla@example.org", "messages": 1}]
    assert len(mails(settings.data_dir, "leyla@example.org")) == 1


# Saturday 21 November 2026 (30 Aban 1405), a working day at the Isfahan chamber; the calls come in the morning.
DAY = date(2026, 11, 21)
MORNING = datetime(2026, 11, 21, 5, 30, tzinfo=UTC)  # 09:00 in Tehran


def test_a_days_calls_end_with_the_end_of_day_list_in_each_unit_managers_mailbox(embedded, tmp_path):
    settings, env, procs = embedded
    clock_file = tmp_path / "clock"
    set_clock(clock_file, MORNING + timedelta(hours=2))
    procs.append(crm("serve", "calls", env=env))
    procs.append(
        subprocess.Popen(
            [sys.executable, "-m", "tests.integration.clocked_processor", str(clock_file)], env=env, cwd=ROOT
        )
    )
    base = f"http://127.0.0.1:{settings.calls_port}"
    wait_healthy(base, f"http://127.0.0.1:{settings.processor_port}")
    pbx = {"Authorization": f"Bearer {TokenStore(settings.auth_db_url).create('pbx', Role.TELEPHONY)}"}

    # The day's unanswered calls: two to trade (602), one to membership (601), three to legal (604).
    batch = abandoned("t-1", MORNING, "602", missed_ext="211") + abandoned("t-2", MORNING + timedelta(hours=1), "602")
    batch += abandoned("m-1", MORNING + timedelta(minutes=20), "601", caller="+98 31 3615 1000")
    for n in range(3):
        batch += abandoned(f"l-{n}", MORNING + timedelta(minutes=30 + n), "604", caller=f"0913111000{n}")
    r = httpx.post(f"{base}/telephony/events", json=batch, headers=pbx)
    assert r.status_code == 200 and r.json()["applied"] == len(batch)

    managers = {"f.alavi@example.org": 2, "h.tehrani@example.org": 1, "d.kazemi@example.org": 3}
    # During the working day no list is sent: it is made when the day ends. (The expert who asked for a mail per
    # call-back in his queue, s.ahmadi in the organisation file, may already have his.)
    admin = {"Authorization": f"Bearer {TokenStore(settings.auth_db_url).create('operator', Role.ADMIN)}"}
    notifications = f"http://127.0.0.1:{settings.notifications_port}"
    during = {box["address"] for box in httpx.get(f"{notifications}/mailbox", headers=admin).json()}
    assert during <= {"s.ahmadi@example.org"}, during

    end = settings.business_calendar.end_of_working_day(DAY)
    assert end is not None
    set_clock(clock_file, end + timedelta(minutes=1))

    def every_manager_has_mail() -> bool:
        return all(mails(settings.data_dir, address) for address in managers)

    wait_until(every_manager_has_mail, timeout=90, what="the end-of-day lists in the managers' mailboxes")
    for address, count in managers.items():
        [mail] = mails(settings.data_dir, address)
        # In Persian, with the day in the Solar Hijri calendar (30 Aban 1405) and the unit's Persian name.
        assert mail["Subject"].startswith(f"فهرست پایان روز 1405/08/30: {count} تماس بی‌پاسخ در امور")
        body = mail.get_body().get_content()
        assert body.count("مهلت تماس برگشتی") == count
    trade = mails(settings.data_dir, "f.alavi@example.org")[0].get_body().get_content()
    assert "کارشناس: s.ahmadi" in trade  # the expert who missed t-1 on extension 211
    legal = mails(settings.data_dir, "d.kazemi@example.org")[0].get_body().get_content()
    assert "+989131110000" in legal  # the callers, sealed in the reporting store, reach the manager opened

    # The deliveries are events of the notifications service, listed with their state.
    page = httpx.get(f"{notifications}/notifications", params={"kind": "end_of_day_list"}, headers=admin).json()
    assert page["total"] == 3 and {m["status"] for m in page["items"]} == {"delivered"}
    assert {m["address"] for m in page["items"]} == set(managers)


@pytest.mark.postgres
def test_on_postgresql_a_restarted_notifier_sends_nothing_twice(settings, pg_schema, clock):
    """Deployment keeps the messages in PostgreSQL: the events read again after a restart (the consumer's offsets
    not yet committed) ask for messages the store already has, and only the message still due is sent."""
    from services.notifications.main import build_notifier
    from tests.integration.conftest import pg_settings
    from tests.notifications.helpers import Recorder, end_of_day

    settings = pg_settings(settings, pg_schema)
    first, second = end_of_day("trade", "f.alavi"), end_of_day("legal", "d.kazemi")
    email = Recorder()
    notifier = build_notifier(settings, clock, {"email": email})
    assert notifier.take([first, second]) == 2
    assert notifier.attempt(notifier.due(clock())[0], clock()) == "delivered"  # one sent, then the process dies
    notifier.close()

    again = Recorder()
    restarted = build_notifier(settings, clock, {"email": again})
    assert restarted.take([first, second]) == 0
    assert restarted.dispatch(clock()) == {"delivered": 1, "retrying": 0, "failed": 0}
    assert len(email.sent) + len(again.sent) == 2
    assert {m.to for m in email.sent + again.sent} == {"f.alavi@example.org", "d.kazemi@example.org"}
    restarted.close()
