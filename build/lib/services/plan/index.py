"""The plan service's read side: which risks the register holds (fed by a follower of its own store, which also
keeps the manual actuals), and the activities' actuals measured from other services' events (fed by the KPI
consumer, deduplicated by event id, so a replayed record changes nothing)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from services.plan.application import PlanOffice
from services.plan.domain.kpi import Binding, measure
from services.plan.domain.manual import ManualActual
from services.plan.domain.signals import Signal
from services.plan.domain.spending import Spending
from shared.as_of import aggregate_as_of
from shared.envelope import CloudEvent
from shared.follower import NotificationFollower

REGISTERED = "Risk.Registered"


def _moment(when: datetime) -> str:
    """A moment as the measures keep it: UTC, ISO with microseconds, so that text order is time order."""
    aware = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="microseconds")


MANUAL = ("ManualActual.Entered", "ManualActual.Corrected")
SPENDING = ("Spending.Recorded", "Spending.Corrected")

metadata = sa.MetaData()
risks = sa.Table(
    "plan_risks",
    metadata,
    sa.Column("risk_id", sa.String(36), primary_key=True),
    sa.Column("registered_position", sa.Integer, nullable=False),
)
measured = sa.Table(
    "plan_measures",
    metadata,
    sa.Column("event_id", sa.String(100), primary_key=True),
    sa.Column("activity", sa.String(50), primary_key=True),
    sa.Column("month", sa.String(7), nullable=False, index=True),
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("distinct_key", sa.String(300)),
    # When the measured event happened (UTC, ISO with microseconds): `as_of` counts only those by then.
    sa.Column("at", sa.String(40)),
)
manual = sa.Table(
    "plan_manual_actuals",
    metadata,
    sa.Column("activity", sa.String(50), primary_key=True),
    sa.Column("month", sa.String(7), primary_key=True),
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("evidence", sa.Text, nullable=False),
    sa.Column("by", sa.String(200), nullable=False),
)
spending = sa.Table(
    "plan_spending",
    metadata,
    sa.Column("entry_id", sa.String(36), primary_key=True),
    sa.Column("activity", sa.String(50), nullable=False, index=True),
    sa.Column("month", sa.String(7), nullable=False, index=True),
    sa.Column("amount", sa.Float, nullable=False),
)
signal_hits = sa.Table(
    "plan_signal_hits",
    metadata,
    sa.Column("event_id", sa.String(100), primary_key=True),
    sa.Column("signal", sa.String(100), primary_key=True),
    sa.Column("at", sa.String(40), nullable=False, index=True),
)


class PlanIndex:
    def __init__(
        self,
        office: PlanOffice,
        engine: sa.Engine,
        bindings: dict[str, Binding] | None = None,
        signals: dict[str, Signal] | None = None,
    ):
        self.office = office
        self.engine = engine
        self.bindings = bindings or {}
        self.signals = signals or {}
        metadata.create_all(engine)
        if "at" not in {c["name"] for c in sa.inspect(engine).get_columns(measured.name)}:
            with engine.begin() as conn:  # an index made before `as_of`: its measures count at any moment
                conn.execute(sa.text(f'ALTER TABLE {measured.name} ADD COLUMN "at" VARCHAR(40)'))
        self.follower = NotificationFollower(office, "plan_index", engine, self._apply)

    # -- own store ---------------------------------------------------------------------------------------------
    def _apply(self, conn: sa.Connection, notifications: Sequence[Notification]) -> None:
        for n in notifications:
            if n.topic.endswith(REGISTERED):
                known = conn.execute(sa.select(risks.c.risk_id).where(risks.c.risk_id == str(n.originator_id))).scalar()
                if known is None:  # a replayed notification changes nothing
                    conn.execute(risks.insert().values(risk_id=str(n.originator_id), registered_position=n.id))
            elif n.topic.endswith(MANUAL):
                entry: ManualActual = self.office.repository.get(n.originator_id, version=n.originator_version)
                key = (manual.c.activity == entry.activity) & (manual.c.month == entry.month)
                conn.execute(manual.delete().where(key))
                conn.execute(
                    manual.insert().values(
                        activity=entry.activity,
                        month=entry.month,
                        value=entry.value,
                        evidence=entry.evidence,
                        by=entry.by,
                    )
                )
            elif n.topic.endswith(SPENDING):
                paid: Spending = self.office.repository.get(n.originator_id, version=n.originator_version)
                conn.execute(spending.delete().where(spending.c.entry_id == str(paid.id)))
                conn.execute(
                    spending.insert().values(
                        entry_id=str(paid.id), activity=paid.activity, month=paid.month, amount=paid.amount
                    )
                )

    def risk_ids(self) -> list[uuid.UUID]:
        self.follower.catch_up()  # a risk registered by the request before is listed at once
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(risks.c.risk_id).order_by(risks.c.registered_position)).scalars()
            return [uuid.UUID(r) for r in rows]

    def catch_up(self) -> int:
        return self.follower.catch_up()

    def rebuild(self) -> int:
        """Drop what comes from the store and project it again (`crm rebuild`); the measured actuals come from
        the topics and are kept (their consumer group's offsets go with them)."""
        with self.follower._serial:  # noqa: SLF001 - the follower thread must not apply a batch in between
            with self.engine.begin() as conn:
                conn.execute(risks.delete())
                conn.execute(manual.delete())
                conn.execute(spending.delete())
            self.follower.reset()
            return self.follower.catch_up()

    # -- other services' events --------------------------------------------------------------------------------
    def apply_events(self, events: Iterable[CloudEvent]) -> int:
        """Record what each event measures; an event already recorded (by its id) is skipped. Returns how many
        measures were added."""
        added = 0
        with self.engine.begin() as conn:
            for e in events:
                for binding in self.bindings.values():
                    found = measure(binding, e.type, e.data, e.time)
                    if found is None:
                        continue
                    month, value, distinct = found
                    exists = conn.execute(
                        sa.select(measured.c.event_id).where(
                            (measured.c.event_id == e.id) & (measured.c.activity == binding.activity)
                        )
                    ).scalar()
                    if exists is None:
                        conn.execute(
                            measured.insert().values(
                                event_id=e.id,
                                activity=binding.activity,
                                month=month,
                                value=value,
                                distinct_key=distinct,
                                at=_moment(datetime.fromisoformat(e.time)),
                            )
                        )
                        added += 1
                for signal in self.signals.values():
                    if not signal.matches(e.type, e.data):
                        continue
                    key = (signal_hits.c.event_id == e.id) & (signal_hits.c.signal == signal.key)
                    if conn.execute(sa.select(signal_hits.c.signal).where(key)).scalar() is None:
                        conn.execute(signal_hits.insert().values(event_id=e.id, signal=signal.key, at=e.time))
        return added

    def signal_count(self, signal: str, since: str) -> int:
        """Events of `signal` at or after `since` (ISO time, UTC)."""
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count())
                    .select_from(signal_hits)
                    .where((signal_hits.c.signal == signal) & (signal_hits.c.at >= since))
                ).scalar_one()
            )

    def _as_of(self, created: type, when: datetime) -> list[Any]:
        """Every aggregate whose creating event is `created`, as it stood at `when` (None where not yet made)."""
        topic = get_topic(created)
        found: list[Any] = []
        start = 0
        while True:
            batch = self.office.recorder.select_notifications(start, 1000, topics=[topic], inclusive_of_start=False)
            if not batch:
                return found
            found.extend(aggregate_as_of(self.office, uuid.UUID(str(n.originator_id)), when) for n in batch)
            start = batch[-1].id

    def spent(self, year: int, as_of: datetime | None = None) -> dict[str, dict[int, float]]:
        """Each activity's spending per month of `year`; with `as_of`, the entries as they stood then."""
        out: dict[str, dict[int, float]] = defaultdict(dict)
        if as_of is not None:
            for paid in self._as_of(Spending.Recorded, as_of):  # type: ignore[attr-defined]  # made by @event
                if isinstance(paid, Spending) and paid.month.startswith(f"{year:04d}-"):
                    m = int(paid.month[5:7])
                    out[paid.activity][m] = out[paid.activity].get(m, 0.0) + float(paid.amount)
            return dict(out)
        self.follower.catch_up()
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(spending.c.activity, spending.c.month, sa.func.sum(spending.c.amount))
                .where(spending.c.month.like(f"{year:04d}-%"))
                .group_by(spending.c.activity, spending.c.month)
            )
            for activity, month, amount in rows:
                out[activity][int(month[5:7])] = float(amount)
        return dict(out)

    def actuals(self, year: int, as_of: datetime | None = None) -> dict[str, dict[int, float]]:
        """Each activity's actual per month of `year`: measured events (by their aggregation) and manual entries;
        with `as_of`, only the events that happened by then and the manual entries as they stood then."""
        self.follower.catch_up()
        out: dict[str, dict[int, float]] = defaultdict(dict)
        prefix = f"{year:04d}-%"
        in_year: sa.ColumnElement[bool] = measured.c.month.like(prefix)
        if as_of is not None:
            in_year = in_year & (measured.c.at.is_(None) | (measured.c.at <= _moment(as_of)))
        with self.engine.connect() as conn:
            summed = conn.execute(
                sa.select(measured.c.activity, measured.c.month, sa.func.sum(measured.c.value))
                .where(in_year & measured.c.distinct_key.is_(None))
                .group_by(measured.c.activity, measured.c.month)
            )
            distinct = conn.execute(
                sa.select(measured.c.activity, measured.c.month, sa.func.count(sa.distinct(measured.c.distinct_key)))
                .where(in_year & measured.c.distinct_key.is_not(None))
                .group_by(measured.c.activity, measured.c.month)
            )
            entered: Iterable[tuple[str, str, float]]
            if as_of is None:
                entered = conn.execute(
                    sa.select(manual.c.activity, manual.c.month, manual.c.value).where(manual.c.month.like(prefix))
                ).tuples()
            else:
                entered = [
                    (e.activity, e.month, e.value)
                    for e in self._as_of(ManualActual.Entered, as_of)  # type: ignore[attr-defined]  # made by @event
                    if isinstance(e, ManualActual) and e.month.startswith(f"{year:04d}-")
                ]
            for activity, month, value in [*summed, *distinct, *entered]:
                m = int(month[5:7])
                out[activity][m] = out[activity].get(m, 0.0) + float(value)
        return dict(out)

    def manual_entries(self, activity: str) -> list[dict[str, object]]:
        self.follower.catch_up()
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(manual).where(manual.c.activity == activity).order_by(manual.c.month))
            return [dict(r._mapping) for r in rows]
