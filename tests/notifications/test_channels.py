"""The channels against real counterparts: SMTP into the local mail server (aiosmtpd) that keeps each message in
the recipient's box, an HTTP SMS gateway described by settings, and the SMS outbox of the embedded default."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from services.notifications import mailbox
from services.notifications.channels import NotSent, Outgoing, SmsGateway, SmsOutbox, SmtpChannel
from shared.settings import NotificationSettings
from tests.integration.conftest import free_port

AT = datetime(2026, 11, 21, 12, 30, tzinfo=UTC)


def outgoing(to: str, body: str = "سلام، فهرست پایان روز") -> Outgoing:
    subject = "فهرست پایان روز 2026-11-21: 2 تماس بی‌پاسخ در Trade and commerce"
    return Outgoing("3f6c0a52-0000-5000-8000-000000000001", to, "f.alavi", subject, body, AT)


@pytest.fixture
def mail_server(tmp_path):
    port = free_port()
    server = mailbox.local_mail_server(tmp_path / "mailbox", port=port)
    server.start()
    try:
        yield tmp_path / "mailbox", port
    finally:
        server.stop()


def test_smtp_delivers_persian_mail_into_the_recipients_box(mail_server):
    folder, port = mail_server
    channel = SmtpChannel(NotificationSettings(smtp_port=port, mail_from="crm@chamber.example.org"))
    channel.send(outgoing("F.Alavi@example.org"))
    [box] = mailbox.boxes(folder)
    assert box == {"address": "f.alavi@example.org", "messages": 1}
    [mail] = mailbox.messages(folder, "f.alavi@example.org")
    assert mail["subject"] == "فهرست پایان روز 2026-11-21: 2 تماس بی‌پاسخ در Trade and commerce"
    assert mail["body"].strip() == "سلام، فهرست پایان روز"
    assert mail["sender"] == "crm@chamber.example.org"


def test_smtp_down_is_not_sent(tmp_path):
    channel = SmtpChannel(NotificationSettings(smtp_port=free_port(), smtp_timeout_seconds=2))
    with pytest.raises(NotSent, match="SMTP 127.0.0.1"):
        channel.send(outgoing("f.alavi@example.org"))


def test_the_sms_gateway_request_is_built_from_the_settings():
    seen: list[httpx.Request] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"status": "queued"})

    config = NotificationSettings(
        sms_gateway_url="https://sms.provider.example/v1/send?sender={sender}",
        sms_auth_header="Bearer k-123",
        sms_body_template='{{"receptor": "{to}", "message": "{text}"}}',
        sms_sender="ICCIM",
    )
    SmsGateway(config, transport=httpx.MockTransport(gateway)).send(outgoing("+989121234567", 'نوبت "شما" ۱۰:۳۰'))
    [request] = seen
    assert str(request.url) == "https://sms.provider.example/v1/send?sender=ICCIM"
    assert request.headers["Authorization"] == "Bearer k-123"
    assert json.loads(request.content) == {"receptor": "+989121234567", "message": 'نوبت "شما" ۱۰:۳۰'}


def test_a_get_gateway_takes_the_text_in_the_url():
    seen: list[httpx.Request] = []
    config = NotificationSettings(
        sms_gateway_url="https://gw.example/send?to={to}&text={text}", sms_method="GET", sms_auth_header=None
    )
    transport = httpx.MockTransport(lambda r: seen.append(r) or httpx.Response(200))
    SmsGateway(config, transport=transport).send(outgoing("+905321112233", "Sıranız 10:30"))
    assert seen[0].url.params["to"] == "+905321112233" and seen[0].url.params["text"] == "Sıranız 10:30"


def test_a_gateway_refusal_is_not_sent():
    config = NotificationSettings(sms_gateway_url="https://gw.example/send")
    transport = httpx.MockTransport(lambda r: httpx.Response(503, text="busy"))
    with pytest.raises(NotSent, match="503"):
        SmsGateway(config, transport=transport).send(outgoing("+989121234567"))


def test_the_sms_outbox_keeps_each_sms_for_its_number(tmp_path):
    SmsOutbox(tmp_path / "sms").send(outgoing("+989121234567", "ثبت‌نام میز خدمت D-7-003"))
    [sms] = mailbox.messages(tmp_path / "sms", "+989121234567", sms=True)
    assert sms["to"] == "+989121234567" and sms["body"] == "ثبت‌نام میز خدمت D-7-003"


def test_a_batch_reuses_one_smtp_connection_and_alone_each_message_opens_its_own(mail_server):
    folder, port = mail_server
    channel = SmtpChannel(NotificationSettings(smtp_port=port))
    with channel.batch():
        for i in range(5):
            channel.send(outgoing(f"manager{i}@example.org"))
    assert channel.connections == 1
    channel.send(outgoing("manager5@example.org"))
    channel.send(outgoing("manager6@example.org"))
    assert channel.connections == 3
    assert sorted(b["address"] for b in mailbox.boxes(folder)) == [f"manager{i}@example.org" for i in range(7)]


def test_a_batch_whose_server_went_away_reconnects_for_the_next_message(tmp_path):
    port = free_port()
    server = mailbox.local_mail_server(tmp_path / "mailbox", port=port)
    server.start()
    channel = SmtpChannel(NotificationSettings(smtp_port=port, smtp_timeout_seconds=2))
    try:
        with channel.batch():
            channel.send(outgoing("a@example.org"))
            server.stop()
            with pytest.raises(NotSent):
                channel.send(outgoing("b@example.org"))
            server = mailbox.local_mail_server(tmp_path / "mailbox", port=port)
            server.start()
            channel.send(outgoing("c@example.org"))
        assert channel.connections == 2
        assert sorted(b["address"] for b in mailbox.boxes(tmp_path / "mailbox")) == ["a@example.org", "c@example.org"]
    finally:
        server.stop()


def test_the_dispatcher_sends_a_round_of_due_mail_over_one_connection(mail_server, settings, clock):
    from services.notifications.application import Notifier
    from tests.notifications.helpers import end_of_day

    folder, port = mail_server
    smtp = SmtpChannel(NotificationSettings(smtp_port=port))
    notifier = Notifier(organisation=settings.organisation, clock=clock, channels={"email": smtp})
    notifier.take([end_of_day("trade", "f.alavi", day=f"2026-11-{d:02d}") for d in range(1, 5)])
    assert notifier.dispatch(clock()) == {"delivered": 4, "retrying": 0, "failed": 0}
    assert smtp.connections == 1
    assert mailbox.boxes(folder) == [{"address": "f.alavi@example.org", "messages": 4}]
    assert notifier.dispatch(clock()) == {"delivered": 0, "retrying": 0, "failed": 0}
    assert smtp.connections == 1  # nothing due: no connection opened
