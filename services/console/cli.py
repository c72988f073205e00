"""`crm users`: the console's users from the command line (the first admin, before anyone can log in).

Passwords are read from the terminal without echo, or from standard input with --password-stdin (one line), never
from the command line, where other users of the machine could read them. Each change is recorded like the
admin page's and the API's, by "cli:<the operating-system user>"."""

from __future__ import annotations

import argparse
import getpass
import sys

from shared.errors import DomainError
from shared.settings import Settings


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
        elif args.users_command == "migrate":
            from services.console.migration import OLD_TABLE, migrate_old_users

            print(f"{migrate_old_users(directory)} users imported from {OLD_TABLE}")
        elif args.users_command == "passwd":
            directory.set_password(args.name, _password(args.password_stdin), by=by)
            directory.unlock(args.name, by=by)
            print(f"password of {args.name} set")
    except DomainError as exc:
        print(f"crm users: {exc}", file=sys.stderr)
        return 1
    return 0
