"""`crm privacy erase`: forget a person at their request while the audit trail stays whole (shared/privacy.py).

The person's key is deleted, so the personal data sealed with it in the event store can never be read again; the
erasure is recorded as an event naming who erased whom and why. Reads the services through the registry.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from services import registry
from shared.problems import DomainError
from shared.settings import Settings


def add_parser(sub: argparse._SubParsersAction) -> None:  # noqa: SLF001 - argparse names no public type for it
    privacy = sub.add_parser("privacy", help="personal data: erase a person at their request (crypto-shredding)")
    commands = privacy.add_subparsers(dest="privacy_command", required=True)
    erase = commands.add_parser(
        "erase",
        help="delete the key sealing a person's data (a member, a complainant, a caller, a desk's registrant); "
        "exit 0 erased, 1 refused",
    )
    whom = erase.add_mutually_exclusive_group(required=True)
    whom.add_argument("--member", help="the membership number of the member to erase (their calls too)")
    whom.add_argument("--complaint", help="the id of the complaint whose complainant is to be erased")
    whom.add_argument("--caller", help="the phone number of a caller who is not a member: their calls' data")
    whom.add_argument(
        "--registrant",
        metavar="DESK_ID/NUMBER",
        help="a desk's problem form whose registrant named no member: what they typed on it",
    )
    erase.add_argument("--reason", required=True, help="why: the person's request and its date (kept in the trail)")
    erase.add_argument("--by", default=None, help="who erases (default: the operating-system user)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    by = args.by or getpass.getuser()
    service = "members" if args.member else "calls" if args.caller else "desks" if args.registrant else "complaints"
    if args.registrant and "/" not in args.registrant:
        print("crm privacy: --registrant takes DESK_ID/NUMBER, the desk and the form's number", file=sys.stderr)
        return 2
    app = registry.load(registry.SERVICES[service].application)(settings)
    try:
        if args.member:
            app.erase_member(args.member, args.reason, by=by)
            done = (
                f"member {args.member}: personal data erased (name, contacts, e-mail, address, notes, "
                "and the data of the calls they made)"
            )
        elif args.caller:
            subject = app.erase_caller(args.caller, args.reason, by=by)
            done = f"caller {args.caller} ({subject}): number, names, subjects and notes of their calls erased"
        elif args.registrant:
            desk, _, number = args.registrant.rpartition("/")
            app.erase_registrant(desk, number, args.reason, by=by)
            done = f"desk {desk}, form {number}: the registrant's name, company, phone and problem erased"
        else:
            app.erase_complainant(args.complaint, args.reason, by=by)
            done = f"complaint {args.complaint}: the complainant's name, contact details and free texts erased"
    except DomainError as exc:
        print(f"crm privacy: {exc}", file=sys.stderr)
        return 1
    finally:
        app.close()
    print(f"{done}; the erasure is recorded")
    return 0
