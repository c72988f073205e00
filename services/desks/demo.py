"""A demo specialised session for `crm demo`: a trade group's consultation meeting held a few days ago, from the
member selection to the archived minutes (SE-FR-02-01-01), through the same commands the API uses, so the plan's
"consultation meetings with members" (F.2.2.1) counts it."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from services.desks.main import build_office
from shared.problems import DomainError
from shared.settings import Settings


def load_session(
    settings: Settings, invitees: list[dict[str, str]], *, starts_at: datetime, out=sys.stdout
) -> uuid.UUID | None:
    """Hold the session starting at `starts_at` (in the past) with `invitees` (member_id, name); None when it is
    there already."""
    current = {"now": starts_at - timedelta(days=14)}
    office = build_office(settings, lambda: current["now"])
    try:
        try:
            session = office.plan_session(
                trade_group="textile exporters",
                starts_at=starts_at,
                place="Chamber hall 1",
                topics=["export refunds", "customs clearance times"],
                by="s.ahmadi",
            )
        except DomainError:
            print("demo: the specialised session is loaded already", file=out)
            return None
        steps: list[Callable[[], None]] = [
            lambda: office.select_invitees(
                session,
                selection_id="demo-textile",
                criteria={"activity": ["textile"]},
                invitees=invitees,
                by="s.ahmadi",
            ),
            lambda: office.approve_session_by_sg(session, by="a.sharifi"),
            lambda: office.ratify_session(session, note="ratified", by="president"),
            lambda: office.record_invitations(session, by="s.ahmadi"),
        ]
        for day, step in enumerate(steps):
            current["now"] = starts_at - timedelta(days=10 - 2 * day)
            step()
        current["now"] = starts_at + timedelta(minutes=30)
        attended = [i["member_id"] for i in invitees[: max(1, len(invitees) * 3 // 4)]]
        office.record_session_attendance(session, attended=attended, by="s.ahmadi")
        current["now"] = starts_at + timedelta(hours=3)
        office.archive_session_minutes(session, summary="export refunds and clearance times discussed", by="s.ahmadi")
    finally:
        office.close()
    print(f"demo: the textile exporters' session was held with {len(attended)} of {len(invitees)} invited", file=out)
    return session
