"""`crm`: run, serve, process, relay, tokens, imports, rebuilds and the demo."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

from services import audit as audit_cli
from services import privacy as privacy_cli
from services import registry
from shared.settings import Settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crm", description="Member-relations CRM of the chamber")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("run", help="run the whole system on this machine (embedded broker, SQLite) until Ctrl-C")
    sub.add_parser("broker", help="run the embedded Kafka-protocol broker in the foreground")
    sub.add_parser("mailserver", help="run the local mail server that keeps the CRM's e-mails under data/mailbox/")

    serve = sub.add_parser("serve", help="run one service's HTTP API (and its relay)")
    serve.add_argument("service", choices=registry.served())
    # A replica of the service's API beside its primary process (shared/processes.py starts it).
    serve.add_argument("--replica", action="store_true", help=argparse.SUPPRESS)
    process = sub.add_parser("process", help="run a stream processor")
    process.add_argument("processor", choices=list(registry.PROCESSORS))
    relay = sub.add_parser("relay", help="run a service's relay to Kafka on its own (CRM_RELAY_EMBEDDED=false)")
    relay.add_argument("service", choices=registry.relayed())

    topics = sub.add_parser("topics", help="Kafka topics")
    topics_sub = topics.add_subparsers(dest="topics_command", required=True)
    topics_sub.add_parser("create", help="create the CRM's topics (idempotent)")

    token = sub.add_parser("token", help="API tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True)
    create = token_sub.add_parser("create", help="create a token and print it once")
    create.add_argument(
        "--role",
        required=True,
        help="expert, unit_manager, mr_manager, sg, committee, auditor, telephony, admin, monitoring, service",
    )
    create.add_argument("--name", required=True, help="the person's user name or the system's name")
    create.add_argument("--unit", help="the unit of an expert or unit manager")
    revoke = token_sub.add_parser("revoke", help="revoke every token of a name")
    revoke.add_argument("--name", required=True)
    token_sub.add_parser("list", help="list tokens (names and roles, never the tokens)")

    calls = sub.add_parser("calls", help="the calls service's operator commands")
    calls_sub = calls.add_subparsers(dest="calls_command", required=True)
    ql = calls_sub.add_parser(
        "import-queue-log", help="replay an Asterisk queue_log (idempotent: run twice, nothing changes)"
    )
    ql.add_argument("file", type=Path)

    _calendar_parser(sub)

    rebuild = sub.add_parser("rebuild", help="drop the read models and rebuild them from the event stores")
    rebuild.add_argument(
        "--jobs", type=int, default=None, help="indexes and read models rebuilt side by side (default: one per CPU)"
    )
    members = sub.add_parser("members", help="the member database's operator commands")
    members_sub = members.add_subparsers(dest="members_command", required=True)
    imp = members_sub.add_parser(
        "import", help="bulk import of the member bank from CSV (idempotent by membership number)"
    )
    imp.add_argument("file", type=Path)

    plan = sub.add_parser("plan", help="the strategic plan's operator commands")
    plan_sub = plan.add_subparsers(dest="plan_command", required=True)
    plan_imp = plan_sub.add_parser(
        "import", help="import the plan's tab-separated export (a new version unless unchanged); findings on stderr"
    )
    plan_imp.add_argument("file", type=Path)
    plan_rep = plan_sub.add_parser(
        "report", help="print the quarterly monitoring report as an HTML page (Turkish or Persian) to stdout"
    )
    plan_rep.add_argument("--quarter", type=int, choices=(1, 2, 3, 4), required=True)
    plan_rep.add_argument("--year", type=int, default=None, help="the calendar year (default: this year)")
    plan_rep.add_argument("--lang", choices=("tr", "fa"), default="tr", help="tr (default) or fa")

    demo = sub.add_parser("demo", help="load realistic members and a few working days of calls into the event stores")
    demo.add_argument("--calls", type=int, default=300, help="how many calls (default 300)")
    demo.add_argument("--members", type=int, default=300, help="how many members (default 300)")
    demo.add_argument("--seed", type=int, default=1405)
    audit_cli.add_parser(sub)
    _users_parser(sub)
    privacy_cli.add_parser(sub)
    return parser


def _users_parser(sub: Any) -> None:
    """`crm users`: the staff console's users (services/console/cli.py runs the commands)."""
    users = sub.add_parser("users", help="the staff console's users: add, list, roles, disable, passwords")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    add = users_sub.add_parser("add", help="add a user (asks for the password)")
    add.add_argument("name")
    add.add_argument("--role", action="append", required=True, help="a role; repeat for more (the first is used)")
    add.add_argument("--unit")
    add.add_argument("--language", default="fa", choices=["fa", "tr", "en"])
    add.add_argument("--email")
    add.add_argument("--phone")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.add_argument("--no-password", action="store_true", help="OpenID Connect login only")
    users_sub.add_parser("list", help="list users with roles, unit, language and state")
    roles = users_sub.add_parser("set-role", help="replace a user's roles (ends the user's sessions)")
    roles.add_argument("name")
    roles.add_argument("--role", action="append", required=True)
    roles.add_argument("--unit")
    for command, text in (("disable", "disable a user and end the sessions"), ("enable", "enable a user again")):
        users_sub.add_parser(command, help=text).add_argument("name")
    users_sub.add_parser(
        "migrate", help="import the users of an install older than the event-sourced accounts (once; start does too)"
    )
    passwd = users_sub.add_parser("passwd", help="set a user's password (and lift a lock-out)")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true")


def _calendar_parser(sub: Any) -> None:
    """`crm calendar ...` (run by services/calls/calendar_cli.py; defined here so the parser imports no service)."""
    calendar = sub.add_parser("calendar", help="the chamber's calendar: working hours from a date, closures")
    calendar.add_argument("--url", help="the calls service (default: this machine's calls port)")
    calendar.add_argument("--token", help="bearer token (default: CRM_TOKEN); role admin to change the calendar")
    calendar_sub = calendar.add_subparsers(dest="calendar_command", required=True)
    calendar_sub.add_parser("show", help="the default in force and why, the dated schedules, closures and presets")
    close = calendar_sub.add_parser("close", help="close the chamber on a day; open deadlines it touches move")
    close.add_argument("day", help="the day, ISO (2026-12-02)")
    close.add_argument("--reason", required=True, choices=["heat", "pollution", "mourning", "holiday", "other"])
    close.add_argument("--note", help="e.g. who ordered the closure")
    schedule = calendar_sub.add_parser("schedule", help="put weekly hours in force from a date")
    schedule.add_argument("--from", dest="effective_from", required=True, help="the first day, ISO (2027-06-06)")
    how = schedule.add_mutually_exclusive_group(required=True)
    how.add_argument("--preset", help="a named schedule (see `crm calendar show`)")
    how.add_argument(
        "--hours",
        action="append",
        metavar="DAY=HH:MM-HH:MM[,HH:MM-HH:MM]",
        help="a weekday's hours; repeat per weekday, a weekday left out is closed",
    )


def command_names() -> set[str]:
    """Every `crm` command line prefix, e.g. 'serve calls', 'process reporting' (used to check deployment files)."""
    names: set[str] = set()

    def walk(parser: argparse.ArgumentParser, prefix: list[str]) -> None:
        for action in parser._actions:  # noqa: SLF001 - argparse has no public walk
            if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
                for name, child in action.choices.items():
                    names.add(" ".join([*prefix, name]))
                    walk(child, [*prefix, name])
            elif action.choices and action.dest not in ("help",) and not action.option_strings:
                for choice in action.choices:
                    names.add(" ".join([*prefix, str(choice)]))

    walk(build_parser(), [])
    return names


def fail(message: str) -> int:
    print(f"crm: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise for operators
    try:
        settings = Settings()
    except ValueError as exc:
        return fail(f"invalid settings: {exc}")
    try:
        return _dispatch(args, settings) or 0
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace, settings: Settings) -> int | None:
    if args.command == "run":
        from services.launcher import run_all

        return run_all(settings)
    if args.command == "broker":
        import os

        from shared.broker import broker_command

        os.execv(broker_command(settings.broker_port)[0], broker_command(settings.broker_port))
    if args.command == "mailserver":
        from services.notifications.mailbox import mailbox_folder, serve_mail

        return serve_mail(mailbox_folder(settings.data_dir), "127.0.0.1", settings.notifications.smtp_port)
    if args.command == "serve":
        return _serve(args.service, settings, replica=args.replica)
    if args.command == "process":
        processor = registry.PROCESSORS[args.processor]
        return registry.load(processor.run)(settings, processor.topics(settings))
    if args.command == "relay":
        return _relay(args.service, settings)
    if args.command == "topics":
        from shared.relay import ensure_topics

        topics = registry.topics(settings)
        asyncio.run(ensure_topics(settings.kafka_bootstrap, topics, settings.kafka_partitions))
        print("topics ready: " + ", ".join(topics))
        return 0
    if args.command == "token":
        return _token(args, settings)
    if args.command == "calls":
        from services.calls.queue_log import import_queue_log

        if not args.file.is_file():
            return fail(f"{args.file}: no such file")
        return import_queue_log(settings, args.file)
    if args.command == "calendar":
        from services.calls import calendar_cli

        return calendar_cli.run(args, settings)
    if args.command == "members":
        from services.members.main import import_members_file

        if not args.file.is_file():
            return fail(f"{args.file}: no such file")
        return import_members_file(settings, args.file)
    if args.command == "plan" and args.plan_command == "report":
        from services.plan.main import print_plan_report

        return print_plan_report(settings, args.quarter, args.year, args.lang)
    if args.command == "plan":
        from services.plan.main import import_plan_file

        if not args.file.is_file():
            return fail(f"{args.file}: no such file")
        return import_plan_file(settings, args.file)
    if args.command == "rebuild":
        from services.rebuild import rebuild_all

        return rebuild_all(settings, jobs=args.jobs)
    if args.command == "audit":
        return audit_cli.run(args, settings)
    if args.command == "users":
        from services.console import cli as users_cli

        return users_cli.run(args, settings)
    if args.command == "privacy":
        return privacy_cli.run(args, settings)
    if args.command == "demo":
        from services.demo import load_demo

        return load_demo(settings, calls=args.calls, members=args.members, seed=args.seed)
    return fail(f"unknown command {args.command}")


def _serve(service: str, settings: Settings, replica: bool = False) -> int:
    """The service's API; with CRM_<SERVICE>_API_PROCESSES above 1, in that many processes on its port: this one
    (the primary, with the service's followers and relay) and replicas of the API it starts (shared/processes.py)."""
    import uvicorn

    from shared import processes

    entry = registry.SERVICES[service]
    port = entry.port(settings)
    options = {"log_level": "warning", "access_log": False, **proxy_options(settings)}
    if replica:
        processes.exit_with_parent()
        api = registry.load(entry.create_replica)(settings)
        sock = processes.listening_socket(settings.host, port, first=False)
        uvicorn.Server(uvicorn.Config(api, **options)).run(sockets=[sock])
        return 0
    count = settings.api_processes(service)
    if count == 1 or entry.create_replica is None:
        uvicorn.run(registry.load(entry.create_app)(settings), host=settings.host, port=port, **options)
        return 0
    try:  # the port first: a second start must not touch the running one's metrics folder
        listening = processes.listening_socket(settings.host, port, first=True)
    except OSError as exc:
        return fail(f"{service}: cannot listen on {settings.host}:{port}: {exc.strerror or exc}")
    processes.use_shared_metrics(processes.metrics_folder(settings.data_dir, service, port))
    app = registry.load(entry.create_app)(settings)
    replicas = processes.Replicas(service, count - 1)
    replicas.start()
    server = uvicorn.Server(uvicorn.Config(app, **options))
    try:
        server.run(sockets=[listening])
    finally:
        replicas.stop()
    return 0 if server.started else 3  # as uvicorn.run: the API never started


def proxy_options(settings: Settings) -> dict:
    """uvicorn believes X-Forwarded-For from 127.0.0.1 by default, which let anyone on the machine pick the client
    address the public form's rate limit counts: proxy headers count only from CRM_TRUSTED_PROXIES."""
    trusted = [p.strip() for p in settings.trusted_proxies.split(",") if p.strip()]
    if not trusted:
        return {"proxy_headers": False, "forwarded_allow_ips": ""}
    return {"proxy_headers": True, "forwarded_allow_ips": trusted}


def _relay(service: str, settings: Settings) -> int:
    from shared.relay import Relay

    entry = registry.SERVICES[service]
    app = registry.load(entry.application)(settings)
    relay = Relay(
        app,
        settings.kafka_bootstrap,
        entry.topic(settings),
        batch_size=settings.relay_batch_size,
        poll_interval=settings.relay_poll_interval,
        partitions=settings.kafka_partitions,
    )

    async def go() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        import signal

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await relay.run(stop)

    try:
        asyncio.run(go())
    finally:
        app.close()
    return 0


def _token(args: argparse.Namespace, settings: Settings) -> int:
    from shared.auth import Role, TokenStore

    store = TokenStore(settings.auth_db_url)
    if args.token_command == "create":
        try:
            role = Role(args.role)
        except ValueError:
            return fail(f"unknown role {args.role!r}; roles: {', '.join(r.value for r in Role)}")
        if role in (Role.UNIT_MANAGER,) and not args.unit:
            return fail("a unit manager's token needs --unit")
        if args.unit and not settings.organisation.has_unit(args.unit):
            return fail(f"unknown unit {args.unit!r}")
        try:
            token = store.create(args.name, role, args.unit)
        except ValueError as exc:
            return fail(str(exc))
        print(token)
        print(f"token for {args.name} ({role.value}) created; it is shown only this once", file=sys.stderr)
        return 0
    if args.token_command == "revoke":
        n = store.revoke(args.name)
        print(f"revoked {n} token(s) of {args.name}")
        return 0 if n else 1
    for row in store.list():
        state = "revoked" if row["revoked_at"] else "active"
        print(f"{row['name']}\t{row['role']}\t{row['unit'] or '-'}\t{row['created_at']:%Y-%m-%d}\t{state}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
