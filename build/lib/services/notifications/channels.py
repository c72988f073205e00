"""The ways a message leaves the CRM: e-mail over SMTP, SMS through the chamber's HTTP gateway, or, on the
embedded default, SMS kept as files (the "SMS outbox") that the service's pages show.

A channel raises `NotSent` when the message did not go out this time; the outbox retries it with backoff.
"""

from __future__ import annotations

import email.policy
import json
import smtplib
import ssl
import threading
import urllib.parse
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Protocol

import httpx

from shared.settings import NotificationSettings


class NotSent(RuntimeError):
    """The channel could not hand the message over now (server down, refused, timed out)."""


@dataclass(frozen=True)
class Outgoing:
    id: str
    to: str  # an e-mail address or an E.164 number
    recipient: str
    subject: str
    body: str
    at: datetime


class Channel(Protocol):
    def send(self, message: Outgoing) -> None: ...


# Headers folded at 78 characters lost the space between an encoded word and the next ("2 تماس" arrived as "2تماس"):
# unfolded up to RFC 5322's hard limit of 998, a subject stays one encoded word and reads as written.
MAIL_POLICY = email.policy.default.clone(max_line_length=998)


class SmtpChannel:
    """E-mail over SMTP. Alone, `send` opens a connection for the message and closes it; inside `batch()` (the
    dispatcher opens one for each round of due messages) the first message opens a connection that the next ones
    reuse, and a connection that fails is dropped and opened afresh for the next message."""

    def __init__(self, config: NotificationSettings):
        self.config = config
        self._local = threading.local()  # the batch's connection belongs to the thread that opened the batch

    def email(self, message: Outgoing) -> EmailMessage:
        mail = EmailMessage(policy=MAIL_POLICY)
        mail["From"] = self.config.mail_from
        mail["To"] = message.to
        mail["Subject"] = message.subject
        mail["Date"] = format_datetime(message.at)
        # The same id on each attempt: a server that took a message whose answer was lost can recognise the retry.
        mail["Message-ID"] = make_msgid(idstring=message.id, domain=self.config.mail_from.rpartition("@")[2] or None)
        mail["X-CRM-Message"] = message.id
        mail.set_content(message.body, charset="utf-8")
        return mail

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        if c.smtp_tls == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                c.smtp_host, c.smtp_port, timeout=c.smtp_timeout_seconds, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(c.smtp_host, c.smtp_port, timeout=c.smtp_timeout_seconds)
        try:
            if c.smtp_tls == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if c.smtp_user:
                smtp.login(c.smtp_user, c.smtp_password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    @staticmethod
    def _close(smtp: smtplib.SMTP) -> None:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Keep one connection for the messages sent inside; closed at the end."""
        self._local.batching = True
        try:
            yield
        finally:
            self._local.batching = False
            smtp = getattr(self._local, "smtp", None)
            self._local.smtp = None
            if smtp is not None:
                self._close(smtp)

    @property
    def connections(self) -> int:
        """How many connections this thread has opened (the tests and the benchmark read it)."""
        return getattr(self._local, "opened", 0)

    def send(self, message: Outgoing) -> None:
        c = self.config
        batching = getattr(self._local, "batching", False)
        smtp = getattr(self._local, "smtp", None) if batching else None
        try:
            if smtp is None:
                smtp = self._connect()
                self._local.opened = self.connections + 1
                if batching:
                    self._local.smtp = smtp
            smtp.send_message(self.email(message))
        except smtplib.SMTPRecipientsRefused as exc:  # this message's fault: the connection stays good
            if not batching and smtp is not None:
                self._close(smtp)
            raise NotSent(f"SMTP {c.smtp_host}:{c.smtp_port}: {exc}") from exc
        except (OSError, smtplib.SMTPException) as exc:  # refused, unreachable, timed out: retried with backoff
            if smtp is not None:
                smtp.close()
            self._local.smtp = None
            raise NotSent(f"SMTP {c.smtp_host}:{c.smtp_port}: {exc}") from exc
        if not batching:
            self._close(smtp)


class SmsGateway:
    """An HTTP SMS gateway described by settings: URL and body templates with {to}, {text} and {sender}."""

    def __init__(self, config: NotificationSettings, transport: httpx.BaseTransport | None = None):
        if not config.sms_gateway_url:
            raise ValueError("no SMS gateway URL is set (notifications.sms_gateway_url)")
        self.config = config
        self.transport = transport

    def request(self, message: Outgoing) -> httpx.Request:
        c = self.config
        values = {"to": message.to, "text": message.body, "sender": c.sms_sender}
        url = str(c.sms_gateway_url).format(**{k: urllib.parse.quote(v, safe="") for k, v in values.items()})
        headers = {}
        if c.sms_auth_header:
            headers[c.sms_auth_header_name] = c.sms_auth_header
        content = None
        if c.sms_method == "POST" and c.sms_body_template:
            if "json" in c.sms_content_type:
                escaped = {k: json.dumps(v)[1:-1] for k, v in values.items()}  # the template supplies the quotes
            else:
                escaped = {k: urllib.parse.quote_plus(v) for k, v in values.items()}
            content = c.sms_body_template.format(**escaped).encode()
            headers["Content-Type"] = c.sms_content_type
        return httpx.Request(c.sms_method, url, headers=headers, content=content)

    def send(self, message: Outgoing) -> None:
        try:
            with httpx.Client(transport=self.transport, timeout=self.config.sms_timeout_seconds) as client:
                response = client.send(self.request(message))
        except httpx.HTTPError as exc:
            raise NotSent(f"SMS gateway unreachable: {exc}") from exc
        if response.status_code >= 300:
            raise NotSent(f"SMS gateway answered {response.status_code}: {response.text[:300]}")


class SmsOutbox:
    """The embedded default's SMS channel: each SMS as a text file under <folder>/<number>/."""

    def __init__(self, folder: Path):
        self.folder = folder

    def send(self, message: Outgoing) -> None:
        box = self.folder / safe_name(message.to)
        box.mkdir(parents=True, exist_ok=True)
        name = f"{message.at.strftime('%Y%m%dT%H%M%S')}-{message.id}.txt"
        text = f"To: {message.to}\nDate: {message.at.isoformat()}\nMessage: {message.id}\n\n{message.body}\n"
        tmp = box / f".{name}.tmp"
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(box / name)  # atomic: the page never shows half an SMS


def safe_name(address: str) -> str:
    """An address as a folder name: letters, digits, @ . + - _ kept, anything else replaced."""
    cleaned = "".join(ch if ch.isalnum() or ch in "@.+-_" else "_" for ch in address.lower()).strip(".")
    return cleaned or f"unknown-{uuid.uuid4().hex[:8]}"
