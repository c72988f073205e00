"""A service's copy of the chamber's calendar changes, read from the topic of the service that keeps them.

The calls service records the closures and dated schedules an admin enters (services/calls/calendar.py) and
publishes them on its topic; a service that counts working time elsewhere (complaint stages) follows that topic
with this feed, keeps each change in its own database (so that a restart does not wait for the topic) and applies
it to its calendar. The service names the wire types it reads: shared/ knows no service's events.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa

from shared.calendar import BusinessCalendar
from shared.envelope import CloudEvent

log = logging.getLogger(__name__)

metadata = sa.MetaData()
changes = sa.Table(
    "calendar_feed",
    metadata,
    sa.Column("event_id", sa.String(64), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False, autoincrement=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("data", sa.Text, nullable=False),
)


def apply_change(calendar: BusinessCalendar, kind: str, data: Mapping[str, Any]) -> None:
    """`schedule`: weekly hours from `effective_from`; `closure`: `day` closed for `reason` (ISO days)."""
    if kind == "schedule":
        calendar.set_schedule(date.fromisoformat(data["effective_from"]), data["hours"])
    elif kind == "closure":
        calendar.close(date.fromisoformat(data["day"]), data["reason"])
    else:
        raise ValueError(f"unknown calendar change {kind!r}")


def describe_change(kind: str, data: Mapping[str, Any]) -> str:
    """Why deadlines moved, in words kept with the events that record the moves."""
    if kind == "schedule":
        named = f" ({data['preset']})" if data.get("preset") else ""
        return f"calendar change: working hours from {data['effective_from']}{named}"
    note = f": {data['note']}" if data.get("note") else ""
    return f"calendar change: closed on {data['day']} ({data['reason']}){note}"


# Called after a change is applied: (the calendar as it was before, the change's event id, kind, data).
OnChange = Callable[[BusinessCalendar, str, str, Mapping[str, Any]], object]


class CalendarFeed:
    def __init__(
        self,
        engine: sa.Engine,
        calendar: BusinessCalendar,
        types: Mapping[str, str],
        on_change: OnChange | None = None,
    ):
        """`types`: wire type -> `schedule` or `closure`. `on_change` is told of each change newly applied (not of
        those read back at start), with the calendar as it was before it, so that the deadlines it moves can be
        recorded with their old and new times."""
        self.engine = engine
        self.calendar = calendar
        self.types = dict(types)
        self.on_change = on_change
        metadata.create_all(engine)
        with engine.connect() as conn:
            stored = list(conn.execute(sa.select(changes.c.kind, changes.c.data).order_by(changes.c.position)))
        for kind, data in stored:
            apply_change(calendar, kind, json.loads(data))

    def apply(self, events: Iterable[CloudEvent]) -> int:
        """Keep and apply the calendar changes among `events`; one already kept is skipped (by event id)."""
        applied = 0
        changed: list[tuple[BusinessCalendar, CloudEvent, str]] = []
        with self.engine.begin() as conn:
            for e in events:
                kind = self.types.get(e.type)
                if kind is None:
                    continue
                if conn.execute(sa.select(changes.c.event_id).where(changes.c.event_id == e.id)).first():
                    continue
                position = conn.execute(sa.select(sa.func.count()).select_from(changes)).scalar() or 0
                conn.execute(
                    changes.insert().values(event_id=e.id, position=position, kind=kind, data=json.dumps(e.data))
                )
                before = self.calendar.copy()
                apply_change(self.calendar, kind, e.data)
                changed.append((before, e, kind))
                applied += 1
        # After the changes are kept: the calendar is right whatever happens to the records of the moves.
        if self.on_change is not None:
            for before, e, kind in changed:
                try:
                    self.on_change(before, e.id, kind, e.data)
                except Exception:  # noqa: BLE001 - a lost database connection must not stop the feed
                    log.exception("calendar feed: the deadlines moved by %s could not all be recorded", e.id)
        return applied
