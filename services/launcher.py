"""`crm run`: the whole system on one machine, each part in its own process, stopped cleanly on Ctrl-C."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

import httpx

from services.registry import PROCESSORS, SERVICES
from shared.auth import Role, TokenStore
from shared.broker import broker_command, wait_for_port
from shared.settings import Settings


@dataclass
class Part:
    name: str
    argv: list[str]
    health_url: str | None
    port: int
    proc: subprocess.Popen | None = None


def parts(settings: Settings) -> list[Part]:
    crm = [sys.executable, "-m", "services.cli"]
    listed = []
    if settings.embedded_broker:
        listed.append(Part("broker", broker_command(settings.broker_port), None, settings.broker_port))
    if settings.notifications.local_mail_server:
        # The local mail server: the notifications' e-mails land in <data_dir>/mailbox/, nothing leaves the machine.
        port = settings.notifications.smtp_port
        listed.append(Part("mail", [*crm, "mailserver"], None, port))
    for service in SERVICES.values():
        listed.append(
            Part(service.name, [*crm, "serve", service.name], f"{service.url(settings)}/health", service.port(settings))
        )
    for processor in PROCESSORS.values():
        listed.append(
            Part(
                processor.part,
                [*crm, "process", processor.name],
                f"{processor.url(settings)}/health",
                processor.port(settings),
            )
        )
    return listed


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((host, port)) == 0


def _wait_healthy(part: Part, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if part.proc is not None and part.proc.poll() is not None:
            raise RuntimeError(f"{part.name} exited with code {part.proc.returncode}; see its log")
        try:
            if part.health_url and httpx.get(part.health_url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{part.name} did not become healthy within {timeout:.0f}s")


# service -> the variable holding its token for other services' internal doors (complaints, actions)
LOCAL_SERVICE_TOKENS = {
    "calls": "CRM_CALLS_SERVICE_TOKEN",
    "complaints": "CRM_COMPLAINTS_SERVICE_TOKEN",
    "reporting": "CRM_REPORTING_SERVICE_TOKEN",
    "desks": "CRM_DESKS__SERVICE_TOKEN",
    "plan": "CRM_PLAN__SERVICE_TOKEN",
    "surveys": "CRM_SURVEYS__SERVICE_TOKEN",
    "notifications": "CRM_NOTIFICATIONS__SERVICE_TOKEN",
}


def _local_token(settings: Settings, file: str, name: str, role: Role) -> str:
    """A token kept in the data folder (mode 600), so that restarts reuse it: the operator's admin token for the
    person who ran `make run`, and the tokens with which one local service calls another's internal door."""
    path = settings.data_dir / file
    if path.exists():
        return path.read_text().strip()
    token = TokenStore(settings.auth_db_url).create(name, role)
    path.write_text(token + "\n")
    path.chmod(0o600)
    return token


def run_all(settings: Settings) -> int:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    logs = settings.data_dir / "logs"
    logs.mkdir(exist_ok=True)
    env = {**os.environ, "CRM_DATA_DIR": str(settings.data_dir.resolve())}
    # On one machine the launcher gives each service that calls another's internal door a token of its own (role
    # service), unless the operator set one.
    for caller, variable in LOCAL_SERVICE_TOKENS.items():
        if not os.environ.get(variable):
            env[variable] = _local_token(settings, f"{caller}.service.token", f"{caller}-service", Role.SERVICE)
    started: list[Part] = []
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    # Ctrl-C and SIGTERM both stop everything in order; SIGINT is installed explicitly because a launcher started
    # in the background inherits it as ignored.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    busy = [f"{p.name} ({p.port})" for p in parts(settings) if port_in_use(p.port)]
    if busy:
        print(
            f"crm run: ports already in use: {', '.join(busy)}. Is another `crm run` going? "
            "Stop it, or move this one with CRM_*_PORT settings.",
            file=sys.stderr,
        )
        return 1
    try:
        for part in parts(settings):
            log_file = open(logs / f"{part.name}.log", "ab")  # noqa: SIM115 - kept open for the child
            part.proc = subprocess.Popen(
                part.argv, stdout=log_file, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
            started.append(part)
            if part.health_url:
                _wait_healthy(part)
            else:
                wait_for_port("127.0.0.1", part.port)
            print(f"  {part.name:<20} up (pid {part.proc.pid})", flush=True)
        token = _local_token(settings, "admin.token", "local-admin", Role.ADMIN)
        print("\nThe chamber's CRM is running:")
        for part in started:
            scheme = "smtp" if part.name == "mail" else "kafka"
            where = part.health_url.rsplit("/health", 1)[0] if part.health_url else f"{scheme}://127.0.0.1:{part.port}"
            docs = f"   API docs: {where}/docs" if part.name in SERVICES else ""
            print(f"  {part.name:<20} {where}{docs}")
        if "console" in SERVICES:
            print(f"\nStaff console: {SERVICES['console'].url(settings)}/login  (users: crm users add, or make demo)")
        print(f"\nData folder: {settings.data_dir.resolve()}   logs: {logs.resolve()}")
        print(f"Admin token (also in {settings.data_dir / 'admin.token'}): {token}")
        print("Create staff tokens with: .venv/bin/crm token create --role expert --name NAME --unit UNIT")
        if settings.notifications.local_mail_server:
            notifications = SERVICES["notifications"].url(settings)
            print(f"Mail and SMS sent by the CRM: {notifications}/mailbox?format=html and /sms-outbox (admin token)")
        print("Load a day of calls with: make demo        Stop everything with Ctrl-C.\n", flush=True)
        while not stopping:
            for part in started:
                if part.proc is not None and part.proc.poll() is not None:
                    print(
                        f"{part.name} stopped unexpectedly (code {part.proc.returncode}); see {logs / (part.name + '.log')}"
                    )
                    stopping = True
                    break
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    except (RuntimeError, TimeoutError) as exc:
        print(f"crm run: {exc}", file=sys.stderr)
        _stop_all(started)
        return 1
    print("\nStopping...", flush=True)
    _stop_all(started)
    print("Stopped.")
    return 0


def _stop_all(started: list[Part]) -> None:
    # Services first, the broker last, so that relays and processors finish their work against it.
    for part in reversed(started):
        if part.proc and part.proc.poll() is None:
            part.proc.send_signal(signal.SIGTERM)
            try:
                part.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                part.proc.kill()
                part.proc.wait()
