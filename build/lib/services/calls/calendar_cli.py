"""`crm calendar show|close|schedule`: the chamber's calendar from the command line, through the calls service's
API (services/calls/calendar_api.py), so that a change entered here applies at once in the running service, and
is checked and recorded exactly as one entered over HTTP.

The token (role admin to change, any reader to show) comes from --token or CRM_TOKEN. Exit codes as the other
operator commands: 0 done, 1 refused (the reason is printed), 2 the service could not be reached.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import httpx

from shared.settings import Settings


def _hours(specs: list[str]) -> dict[str, list[str]]:
    hours: dict[str, list[str]] = {}
    for spec in specs:
        day, _, intervals = spec.partition("=")
        hours[day.strip()] = [i.strip() for i in intervals.split(",") if i.strip()]
    return hours


def run(args: argparse.Namespace, settings: Settings, client: httpx.Client | None = None, out=sys.stdout) -> int:
    token = args.token or os.environ.get("CRM_TOKEN")
    if not token:
        print("crm: give a token with --token or CRM_TOKEN", file=sys.stderr)
        return 2
    base = args.url or settings.local_url(settings.calls_port)
    client = client or httpx.Client(base_url=base, timeout=30)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        if args.calendar_command == "show":
            response = client.get("/calendar", headers=headers)
        elif args.calendar_command == "close":
            body = {"day": args.day, "reason": args.reason, "note": args.note}
            response = client.post("/calendar/closures", json=body, headers=headers)
        else:
            body = {"effective_from": args.effective_from}
            body.update({"preset": args.preset} if args.preset else {"hours": _hours(args.hours)})
            response = client.post("/calendar/schedules", json=body, headers=headers)
    except httpx.HTTPError as exc:
        print(f"crm: the calls service at {base} could not be reached: {exc}", file=sys.stderr)
        return 2
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        print(f"crm: refused ({response.status_code}): {detail}", file=sys.stderr)
        return 1
    print(json.dumps(response.json(), ensure_ascii=False, indent=2), file=out)
    return 0
