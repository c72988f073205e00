"""The embedded default's mail: a local SMTP server (aiosmtpd) that keeps each message it receives as an .eml file
under <data_dir>/mailbox/<recipient address>/, and the reading side the service's /mailbox pages use (also for the
SMS outbox's files under <data_dir>/sms/<number>/).

Nothing leaves the machine: the whole flow, from a call left unanswered to the manager's end-of-day list, can be
followed on one laptop, and a chamber points `notifications.smtp_host` at its own server when it goes live.
"""

from __future__ import annotations

import email
import email.policy
import signal
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from services.notifications.channels import safe_name


def mailbox_folder(data_dir: Path) -> Path:
    return data_dir / "mailbox"


def sms_folder(data_dir: Path) -> Path:
    return data_dir / "sms"


class MailboxHandler:
    """Writes each message once per recipient, atomically (the page never lists half a message)."""

    def __init__(self, folder: Path):
        self.folder = folder

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd
        content = envelope.original_content or b""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        for rcpt in envelope.rcpt_tos:
            box = self.folder / safe_name(rcpt)
            box.mkdir(parents=True, exist_ok=True)
            name = f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
            tmp = box / f".{name}.tmp"
            tmp.write_bytes(content)
            tmp.replace(box / name)
        return "250 Message accepted for delivery"


def local_mail_server(folder: Path, host: str = "127.0.0.1", port: int = 8025) -> Controller:
    """A started-on-demand server (`.start()`, `.stop()`); loopback only by default."""
    folder.mkdir(parents=True, exist_ok=True)
    # UTF-8 headers and bodies (Persian, Turkish) go through as the clients send them.
    return Controller(MailboxHandler(folder), hostname=host, port=port, enable_SMTPUTF8=True)


def serve_mail(folder: Path, host: str, port: int) -> int:
    """`crm mailserver`: runs until SIGTERM or Ctrl-C."""
    controller = local_mail_server(folder, host, port)
    controller.start()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    print(f"local mail server on {host}:{port}, keeping messages under {folder}", flush=True)
    try:
        stopped.wait()
    finally:
        controller.stop()
    return 0


# -- reading ------------------------------------------------------------------------------------------------------
def boxes(folder: Path) -> list[dict[str, Any]]:
    """Each recipient's box with its number of messages, by address."""
    if not folder.is_dir():
        return []
    found = []
    for box in sorted(p for p in folder.iterdir() if p.is_dir()):
        count = sum(1 for f in box.iterdir() if f.is_file() and not f.name.startswith("."))
        found.append({"address": box.name, "messages": count})
    return found


def box_path(folder: Path, address: str) -> Path | None:
    """The folder of one address, or None: only a name that is one of the boxes (no path tricks)."""
    if not folder.is_dir():
        return None
    return next((p for p in folder.iterdir() if p.is_dir() and p.name == address), None)


def _files(box: Path) -> list[Path]:
    return sorted((f for f in box.iterdir() if f.is_file() and not f.name.startswith(".")), reverse=True)


def read_mail(path: Path) -> dict[str, Any]:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    body = message.get_body(preferencelist=("plain", "html"))
    return {
        "name": path.name,
        "sender": str(message.get("From", "")),
        "to": str(message.get("To", "")),
        "subject": str(message.get("Subject", "")),
        "date": str(message.get("Date", "")),
        "body": body.get_content() if body is not None else "",
        "message": str(message.get("X-CRM-Message", "")),  # the notifier's message it is (channels.py)
    }


def read_sms(path: Path) -> dict[str, Any]:
    head, _, body = path.read_text(encoding="utf-8").partition("\n\n")
    fields = dict(line.split(": ", 1) for line in head.splitlines() if ": " in line)
    return {"name": path.name, "to": fields.get("To", ""), "date": fields.get("Date", ""), "body": body.rstrip("\n")}


def messages(folder: Path, address: str, *, sms: bool = False) -> list[dict[str, Any]] | None:
    box = box_path(folder, address)
    if box is None:
        return None
    return [read_sms(f) if sms else read_mail(f) for f in _files(box)]


def message(folder: Path, address: str, name: str, *, sms: bool = False) -> dict[str, Any] | None:
    box = box_path(folder, address)
    if box is None:
        return None
    found = next((f for f in _files(box) if f.name == name), None)
    if found is None:
        return None
    return read_sms(found) if sms else read_mail(found)
