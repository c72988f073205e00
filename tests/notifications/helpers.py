"""Events as the other services publish them, and a channel that records what it is given."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from services.notifications.channels import NotSent, Outgoing
from shared.envelope import CloudEvent

_positions = itertools.count(1)


def event(type_: str, data: dict[str, Any], subject: str | None = None, sequence: int = 1) -> CloudEvent:
    subject = subject or str(uuid.uuid4())
    return CloudEvent(
        id=f"{subject}:{sequence}",
        source=f"crm/{type_.split('.')[1]}",
        type=type_,
        time="2026-11-21T07:00:00+00:00",
        subject=subject,
        sequence=sequence,
        position=next(_positions),
        data=data,
    )


def end_of_day(unit: str = "trade", manager: str | None = "f.alavi", day: str = "2026-11-21", n: int = 2) -> CloudEvent:
    items = [
        {
            "call_id": f"c{i}",
            "caller": f"+98913123456{i}",
            "contact_phone": f"+98913123456{i}",
            "contact_name": f"Caller {i}",
            "member_id": None,
            "subject": "Export licence",
            "expert": "s.ahmadi" if i == 0 else None,
            "registered_at": "2026-11-21T07:00:00+00:00",
            "callback_due": "2026-11-22T07:00:00+00:00",
            "callback_due_local": "1405/09/01 10:30",
            "automatic": False,
        }
        for i in range(n)
    ]
    return event(
        "crm.reporting.end_of_day_list.produced.v1",
        {"unit": unit, "day": day, "manager": manager, "produced_at": "2026-11-21T12:30:00+00:00", "items": items},
        subject=str(uuid.uuid5(uuid.NAMESPACE_URL, f"eod:{unit}:{day}")),
    )


def complaint_received(
    subject: str, email: str | None = "member@example.org", phone: str | None = None, member_number: str | None = None
) -> CloudEvent:
    return event(
        "crm.complaints.complaint.received.v1",
        {
            "reference": "C-1405-0007",
            "channel": "website",
            "kind": "service",
            "description": "Slow answer",
            "occurred_at": None,
            "member_number": member_number,
            "complainant_name": "Reza Karimi",
            "contact_phone": phone,
            "contact_phone_raw": phone,
            "contact_email": email,
            "unit": "trade",
            "service": None,
            "stakeholders": {},
            "confidential": False,
            "call_id": None,
            "source": None,
            "source_ref": None,
            "by": None,
            "at": "2026-11-21T07:00:00+00:00",
        },
        subject=subject,
    )


def desk_planned(desk_id: str, reminder_day: str = "2026-11-24") -> CloudEvent:
    return event(
        "crm.desks.desk.planned.v1",
        {
            "agency": "customs",
            "starts_at": "2026-11-25T05:30:00+00:00",
            "desk_day": "2026-11-25",
            "reminder_day": reminder_day,
            "place": "Hall 2",
            "format": "in_person",
            "capacity": 20,
            "equipment": [],
            "slot_minutes": 10,
            "follow_up_due_at": "2026-12-02T05:30:00+00:00",
            "by": None,
            "at": "2026-11-20T07:00:00+00:00",
        },
        desk_id,
    )


def desk_registered(desk_id: str, number: str, sequence: int) -> CloudEvent:
    return event(
        "crm.desks.desk.registered.v1",
        {
            "number": number,
            "form": "MM-FR-02-05-01",
            "member_id": None,
            "member_name": "Sara Nouri",
            "company": None,
            "phone": "+989121234567",
            "channel": "web",
            "problem": "Customs valuation",
            "documents": [],
            "slot": 1,
            "slot_start": "2026-11-25T05:30:00+00:00",
            "by": None,
            "at": "2026-11-21T07:00:00+00:00",
        },
        desk_id,
        sequence,
    )


class Recorder:
    """A channel that keeps what it is given; `failures` attempts fail before one goes through."""

    def __init__(self, failures: int = 0):
        self.sent: list[Outgoing] = []
        self.failures = failures
        self.tries = 0

    def send(self, message: Outgoing) -> None:
        self.tries += 1
        if self.failures:
            self.failures -= 1
            raise NotSent("mail server unreachable")
        self.sent.append(message)
