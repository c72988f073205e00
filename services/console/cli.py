"""`crm users`: the console's users from the command line (the first admin, before anyone can log in).

Passwords are read from the terminal without echo, or from standard input with --password-stdin (one line), never
from the command line, where other users of the machine could read them. Each change is recorded like the
admin page's and the API's, by "cli:<the operating-system user>"."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from shared.errors import DomainError
from shared.settings import Settings


def add_parser(sub: Any) -> None:
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
    passwd = users_sub.add_parser("passwd", help="set a user's password (and lift a lock-out)")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise DomainError("the two passwords differ")
    return first


def run(args: argparse.Namespace, settings: Settings) -> int:
    from services.console.main import build_directory

    directory = build_directory(settings)
    by = f"cli:{getpass.getuser()}"
    try:
        if args.users_command == "add":
            password = None if args.no_password else _password(args.password_stdin)
            user = directory.add(
                args.name,
                args.role,
                by=by,
                password=password,
                unit=args.unit,
                language=args.language,
                email=args.email,
                phone=args.phone,
            )
            print(f"user {user.name} added ({', '.join(r.value for r in user.roles)})")
        elif args.users_command == "list":
            for u in directory.all():
                state = "disabled" if u.disabled else "active"
                roles = ",".join(r.value for r in u.roles)
                print(f"{u.name}\t{roles}\t{u.unit or '-'}\t{u.language}\t{state}")
        elif args.users_command == "set-role":
            user = directory.change(args.name, by=by, roles=args.role, unit=args.unit)
            print(f"user {user.name}: {', '.join(r.value for r in user.roles)}")
        elif args.users_command in ("disable", "enable"):
            directory.set_disabled(args.name, args.users_command == "disable", by=by)
            print(f"user {args.name} {args.users_command}d")
        elif args.users_command == "passwd":
            directory.set_password(args.name, _password(args.password_stdin), by=by)
            directory.unlock(args.name, by=by)
            print(f"password of {args.name} set")
    except DomainError as exc:
        print(f"crm users: {exc}", file=sys.stderr)
        return 1
    return 0
