"""The reporting read models (SQLite embedded, PostgreSQL deployed), written with exactly-once effect.

A batch of events is applied in one transaction together with the ids of the events it applied; an event whose id
is already recorded is skipped, so a redelivered or republished record changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from services.reporting import projections as P
from services.reporting.call_queries import CallQueries
from services.reporting.call_rows import CallRows, call_ids
from services.reporting.complaints import ComplaintReadModel
from services.reporting.erasure import ERASURES, erase, redact_late, worth_keeping
from services.reporting.journal import journal_rows, journaled, last_applied
from services.reporting.snapshots import nearest, restore
from services.reporting.tables import (
    calendar_changes,
    call_facts,
    end_of_day,
    escalations,
    follow_ups,
    journal,
    metadata,
    processed,
    unanswered,
)
from shared.calendar import BusinessCalendar
from shared.calendar_feed import apply_change as apply_calendar_change
from shared.db import create_engine, create_tables, utc, utc_row
from shared.envelope import CloudEvent, dumps
from shared.privacy_subjects import CallerNames

# The call events that set, move or end a callback or follow-up deadline.
DEADLINE_EVENTS = frozenset(
    {"unanswered_registered", "callback_recorded", "deadline_moved", "member_relations_follow_up_opened"}
)


@dataclass
class BatchOutcome:
    applied: int = 0
    duplicate: int = 0
    units_with_new_unanswered: set[str] = field(default_factory=set)
    # The ids skipped as already applied: the processor counts applied and duplicate records per topic with them.
    duplicate_ids: set[str] = field(default_factory=set)
    # A callback or follow-up deadline appeared, moved or stopped counting: the deadline timer looks again.
    deadlines_changed: bool = False


class ReadModel(CallQueries):
    def __init__(self, url: str, calendar: BusinessCalendar, callers: CallerNames | None = None):
        """`callers`: how callers' keys are named (the key store's secret), to find an erased caller's calls."""
        self.engine = create_engine(url)
        self.calendar = calendar
        self.callers = callers
        create_tables(metadata, self.engine)
        self._add_missing_columns()
        self.complaints = ComplaintReadModel(self.engine, calendar)
        self._calendar_applied = 0
        self.refresh_calendar()

    def refresh_calendar(self) -> None:
        """Apply the calendar changes another process stored since this one last looked (cheap when none)."""
        with self.engine.connect() as conn:
            count = conn.execute(sa.select(sa.func.count()).select_from(calendar_changes)).scalar() or 0
            if count == self._calendar_applied:
                return
            q = sa.select(calendar_changes.c.kind, calendar_changes.c.data).order_by(calendar_changes.c.position)
            changes = list(conn.execute(q))
        for kind, data in changes[self._calendar_applied :]:
            apply_calendar_change(self.calendar, kind, json.loads(data))
        self._calendar_applied = len(changes)

    def _add_missing_columns(self) -> None:
        """Columns added to a table after a deployment created it: added in place (nullable, filled by the events
        that come after), so that an upgraded processor does not stop on a read model built by the previous one."""
        inspector = sa.inspect(self.engine)
        for table, column in (
            (unanswered, unanswered.c.detected_at),
            (escalations, escalations.c.status),
            (end_of_day, end_of_day.c.delivery_requested_to),
            (end_of_day, end_of_day.c.delivery_requested_at),
            *(
                (call_facts, call_facts.c[name])
                for name in ("queue", "answered_at", "expert", "ended_at", "talk_seconds")
            ),
        ):
            present = {c["name"] for c in inspector.get_columns(table.name)}
            if column.name not in present:
                kind = column.type.compile(dialect=self.engine.dialect)
                with self.engine.begin() as conn:
                    conn.execute(sa.text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))

    def drop(self) -> None:
        metadata.drop_all(self.engine)
        create_tables(metadata, self.engine)
        self.complaints.drop()

    # -- writing ---------------------------------------------------------------------------------------------
    def apply(self, events: Sequence[CloudEvent], at: datetime | None = None, *, keep: bool = True) -> BatchOutcome:
        """Apply a batch once. `at`: when (the processor's clock); without it, each event's own time (a rebuild from
        the stores). `keep`: record the events as processed and journal them, so that `as_of` can replay them
        later; a replay of the journal (keep=False) has each event once already, so its replica keeps neither."""
        outcome = BatchOutcome()
        if not events:
            return outcome
        with self.engine.begin() as conn:
            ids = list(dict.fromkeys(e.id for e in events)) if keep else []
            seen: set[str] = set()
            for chunk in range(0, len(ids), 500):
                part = ids[chunk : chunk + 500]
                seen.update(
                    conn.execute(sa.select(processed.c.event_id).where(processed.c.event_id.in_(part))).scalars()
                )
            fresh: list[CloudEvent] = []
            for e in events:
                if e.id in seen:
                    outcome.duplicate += 1
                    outcome.duplicate_ids.add(e.id)
                    continue
                seen.add(e.id)
                fresh.append(e)
            if not fresh:
                return outcome
            if keep:
                conn.execute(processed.insert(), [{"event_id": e.id, "source": e.source} for e in fresh])
                if kept := worth_keeping(fresh):
                    conn.execute(journal.insert(), journal_rows(kept, at))
            rows = CallRows(conn, call_ids(fresh))
            for e in fresh:
                self._apply_one(conn, e, outcome, rows)
            rows.write()
            self.complaints.apply(conn, fresh)
            redact_late(conn, fresh, self.callers)  # events about someone erased before, read only now
            if any(e.type in ERASURES for e in fresh):
                erase(conn, fresh, self.callers)  # after the batch's other events: nothing they copy stays clear
            outcome.applied = len(fresh)
        return outcome

    def _apply_one(self, conn: sa.Connection, e: CloudEvent, outcome: BatchOutcome, rows: CallRows) -> None:
        name = P.event_name(e.type, P.CALL_EVENTS)
        if name is not None:
            self._apply_call_event(rows, e.subject, name, e.data, outcome)
            return
        kind = P.event_name(e.type, P.CALENDAR_EVENTS)
        if kind is not None:
            position = conn.execute(sa.select(sa.func.count()).select_from(calendar_changes)).scalar() or 0
            conn.execute(
                calendar_changes.insert().values(
                    event_id=e.id, position=position, kind=kind, data=dumps(e.data).decode()
                )
            )
            # Applied now: the deadlines this batch computes and the next tick's end of day already follow it.
            apply_calendar_change(self.calendar, kind, e.data)
            self._calendar_applied = position + 1
            return
        name = P.event_name(e.type, P.REPORTING_EVENTS)
        if name == "callback_breach.recorded":
            rows.upsert(
                unanswered,
                e.data["call_id"],
                {
                    "breached_at": P.parse_time(e.data["callback_due"]),
                    "detected_at": P.parse_time(e.data["detected_at"]),
                },
            )
        elif name == "member_relations_follow_up_breach.recorded":
            rows.upsert(
                follow_ups,
                e.data["call_id"],
                {"breached_at": P.parse_time(e.data["due"]), "detected_at": P.parse_time(e.data["detected_at"])},
            )
        elif name == "end_of_day_list.produced":
            conn.execute(
                end_of_day.delete().where(end_of_day.c.unit == e.data["unit"], end_of_day.c.day == e.data["day"])
            )
            conn.execute(
                end_of_day.insert().values(
                    unit=e.data["unit"],
                    day=e.data["day"],
                    manager=e.data.get("manager"),
                    produced_at=P.parse_time(e.data["produced_at"]),
                    items=dumps(e.data["items"]).decode(),
                )
            )
        elif name == "end_of_day_list.delivery_requested":
            conn.execute(
                end_of_day.update()
                .where(end_of_day.c.unit == e.data["unit"], end_of_day.c.day == e.data["day"])
                .values(delivery_requested_to=e.data["to"], delivery_requested_at=utc(P.parse_time(e.data["at"])))
            )
        elif name == "escalation.raised":
            self._upsert(
                conn,
                escalations,
                "id",
                e.subject,
                {
                    "unit": e.data["unit"],
                    "raised_at": P.parse_time(e.data["at"]),
                    "unanswered_count": len(e.data["call_ids"]),
                    "window_days": e.data["window_days"],
                    "call_ids": dumps(e.data["call_ids"]).decode(),
                    "corrective_action_id": e.data.get("corrective_action_id"),
                    "status": "action_opened" if e.data.get("corrective_action_id") else "raised",
                },
            )
        elif name in P.ESCALATION_STEPS:
            step = {"status": P.ESCALATION_STEPS[name]}
            if name == "escalation.corrective_action_opened":
                step["corrective_action_id"] = e.data["action_id"]
            self._upsert(conn, escalations, "id", e.subject, step)
        elif name == "corrective_action.opened" and e.data.get("escalation_id"):
            self._upsert(
                conn,
                escalations,
                "id",
                e.data["escalation_id"],
                {
                    "corrective_action_id": e.subject,
                    "corrective_action_owner": e.data.get("owner"),
                    "corrective_action_status": "open",
                },
            )
        # Other types (other services, later versions) are not this read model's business.

    def _apply_call_event(self, rows: CallRows, call_id: str, name: str, data: dict, outcome: BatchOutcome) -> None:
        fact = P.call_fact(rows.get(call_facts, call_id), name, data, self.calendar)
        if fact is not None:
            rows.upsert(call_facts, call_id, fact)
        if name == "member_relations_follow_up_opened" or name in P.FOLLOW_UP_CLOSERS:
            follow_up = P.follow_up_item(rows.get(follow_ups, call_id), name, data)
            if follow_up is not None:
                follow_up.pop("call_id", None)
                rows.upsert(follow_ups, call_id, follow_up)
        if name in DEADLINE_EVENTS or name in P.FOLLOW_UP_CLOSERS:
            outcome.deadlines_changed = True
        if name == "deadline_moved":
            # The chamber's calendar changed: the deadline in force is the new one (the event keeps the old).
            table, column = (unanswered, "callback_due") if data["kind"] == "callback" else (follow_ups, "due")
            if rows.get(table, call_id) is not None:
                rows.upsert(table, call_id, {column: P.parse_time(data["new_due"])})
        if name in ("received", "unanswered_registered", "callback_recorded"):
            item = P.unanswered_item(rows.get(unanswered, call_id), name, data, self.calendar)
            if item is not None:
                item.pop("call_id", None)
                rows.upsert(unanswered, call_id, item)
            if name == "unanswered_registered":
                outcome.units_with_new_unanswered.add(data["unit"])

    @staticmethod
    def _upsert(conn: sa.Connection, table: sa.Table, key: str, key_value: Any, values: dict[str, Any]) -> None:
        values = {k: utc(v) for k, v in values.items() if k in table.c and k != key}
        updated = conn.execute(table.update().where(table.c[key] == key_value).values(**values)).rowcount
        if not updated:
            conn.execute(table.insert().values(**{key: key_value}, **values))

    def as_of(self, when: datetime, *, snapshots: bool = True) -> ReadModel:
        """A fresh in-memory model holding what this one held at `when`: the journaled events applied up to then,
        replayed in the order they were applied, onto the chamber's calendar as configured; from the nearest
        snapshot that stands for `when` (snapshots.py), replaying only the events after it."""
        replica = self.blank_replica()
        found = nearest(self.engine, when) if snapshots else None
        after = 0
        if found is not None:
            after, image = found
            restore(replica, image)
        upto = last_applied(self.engine, when)
        if upto > after:
            for batch in journaled(self.engine, when, after=after, upto=upto):
                replica.apply(batch, keep=False)
        return replica

    def blank_replica(self) -> ReadModel:
        """An empty in-memory model on the chamber's calendar as configured, for replaying the journal into."""
        return ReadModel("sqlite://", BusinessCalendar(self.calendar.config), self.callers)

    def journaled_by(self, when: datetime) -> int:
        """How many journaled events were applied by `when`: an `as_of` model stays valid while it is unchanged."""
        q = sa.select(sa.func.count()).select_from(journal).where(journal.c.applied_at <= utc(when))
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar() or 0)

    def dump(self) -> dict[str, list[dict[str, Any]]]:
        """Every read-model table, sorted, for comparing a live model with a rebuilt one."""
        out = {}
        with self.engine.connect() as conn:
            for table in (call_facts, unanswered, follow_ups, end_of_day, escalations, calendar_changes, processed):
                key = list(table.primary_key.columns)
                out[table.name] = [utc_row(r) for r in conn.execute(sa.select(table).order_by(*key)).mappings()]
        out.update(self.complaints.dump())
        return out
