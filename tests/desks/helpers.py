"""A desk taken through its steps, shared by the desks tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

# Wednesday 25 November 2026, 09:00 in Tehran; the clock fixture starts on Saturday the 21st.
STARTS_AT = datetime(2026, 11, 25, 5, 30, tzinfo=UTC)
ROUTES = ("poster_request", "director_general", "members", "representative")


def plan(office, **fields: Any):
    values = {
        "agency": "customs",
        "starts_at": STARTS_AT,
        "place": "Chamber hall 2",
        "format": "in_person",
        "capacity": 3,
        "equipment": ["projector", "microphone"],
        **fields,
    }
    return office.plan_desk(**values, by="l.moradi")


def approved(office, **fields: Any):
    desk = plan(office, **fields)
    office.record_coordination(
        desk, liaison="customs liaison", note="date and hall agreed", documents=["letter-12"], by="l.moradi"
    )
    office.approve_plan(desk, by="p.nouri")
    return desk


def announced(office, **fields: Any):
    desk = approved(office, **fields)
    for route in ROUTES:
        office.record_announcement(desk, route=route, by="l.moradi")
    return desk


def register(office, desk, name: str, channel: str = "phone") -> str:
    return office.register_member(
        desk,
        member_name=name,
        company=f"{name} Co.",
        phone="09131234567",
        channel=channel,
        problem=f"{name}'s clearance is held at the border",
        by="l.moradi",
    )
