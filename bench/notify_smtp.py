"""E-mail throughput of the notifier into the local mail server (aiosmtpd, `crm mailserver`), one SMTP connection
per message (as before batching) against one connection for each round of due messages.

Starts the local mail server as its own process on a free port, then, for each way, requests N messages (end-of-day
lists to the unit managers, in an in-memory store) and times `Notifier.dispatch` until all are delivered. "Before"
hides the channel's `batch()` from the dispatcher, so each message opens and closes its own connection as the
channel did before. The same comparison is made for the SMTP channel alone (no store). Prints messages/s for each
and the ratios. Target: the channel alone at least 2x as fast with one connection; the dispatcher's own gain is
smaller, as each message also costs two saves in the store (the claim and the outcome).

    .venv/bin/python bench/notify_smtp.py [--messages 300]
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common as C  # noqa: I001 - puts the project on sys.path

from services.notifications.application import Notifier  # noqa: E402
from services.notifications.channels import Outgoing, SmtpChannel  # noqa: E402
from shared.settings import NotificationSettings, Settings  # noqa: E402
from tests.notifications.helpers import end_of_day  # noqa: E402

TARGET_RATIO = 2.0


class OnePerMessage:
    """The SMTP channel without its batch: each message opens and closes a connection."""

    def __init__(self, smtp: SmtpChannel):
        self.smtp = smtp

    def send(self, message: Outgoing) -> None:
        self.smtp.send(message)


def measure(channel: object, n: int, settings: Settings) -> float:
    now = C.now_utc()
    notifier = Notifier(
        organisation=settings.organisation,
        clock=lambda: now,
        channels={"email": channel},  # type: ignore[dict-item]
        config=settings.notifications,
    )
    units = [u.id for u in settings.organisation.units]
    days = [f"2026-{1 + i // 28 % 12:02d}-{1 + i % 28:02d}" for i in range(n)]
    lists = [end_of_day(units[i % len(units)], "f.alavi", day=day) for i, day in enumerate(days)]
    assert notifier.take(lists) == n, "every list asks for one message"
    started = time.perf_counter()
    counts = notifier.dispatch(now)
    elapsed = time.perf_counter() - started
    assert counts["delivered"] == n, counts
    notifier.close()
    return n / elapsed


def measure_channel(channel: SmtpChannel, n: int, batch: bool) -> float:
    """The SMTP channel alone: n messages, each on its own connection or all in one batch."""
    at = C.now_utc()
    mails = [
        Outgoing(f"bench-{i}", f"manager{i % 20}@example.org", "m", "End-of-day list", "Body " * 40, at)
        for i in range(n)
    ]
    started = time.perf_counter()
    if batch:
        with channel.batch():
            for mail in mails:
                channel.send(mail)
    else:
        for mail in mails:
            channel.send(mail)
    return n / (time.perf_counter() - started)


def wait_port(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the local mail server did not open port {port}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=300)
    args = parser.parse_args()
    port = C.free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**C.clean_crm_env(), "CRM_DATA_DIR": str(Path(tmp) / "mail"), "CRM_NOTIFICATIONS__SMTP_PORT": str(port)}
        server = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "mailserver"],
            cwd=C.ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_port(port)
            config = NotificationSettings(smtp_port=port)
            settings = Settings(data_dir=Path(tmp) / "data", notifications=config)
            channel_before = measure_channel(SmtpChannel(config), args.messages, batch=False)
            channel_after = measure_channel(SmtpChannel(config), args.messages, batch=True)
            before = measure(OnePerMessage(SmtpChannel(config)), args.messages, settings)
            after = measure(SmtpChannel(config), args.messages, settings)
        finally:
            server.terminate()
            server.wait(10)
    ratio = after / before
    channel_ratio = channel_after / channel_before
    print(f"SMTP channel alone, one connection per message: {channel_before:.1f} messages/s")
    print(f"SMTP channel alone, one connection per batch:   {channel_after:.1f} messages/s  ({channel_ratio:.2f}x)")
    print(f"dispatcher (claim, send, record), one connection per message: {before:.1f} messages/s")
    print(f"dispatcher (claim, send, record), one connection per round:   {after:.1f} messages/s  ({ratio:.2f}x)")
    print(
        C.result_line(
            "notify_smtp_channel_ratio", channel_ratio, "x", f">= {TARGET_RATIO}", channel_ratio >= TARGET_RATIO
        )
    )
    print(C.result_line("notify_smtp_before", before, "msg/s", "-", None))
    print(C.result_line("notify_smtp_after", after, "msg/s", "-", None))
    print(C.result_line("notify_smtp_ratio", ratio, "x", "-", None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
