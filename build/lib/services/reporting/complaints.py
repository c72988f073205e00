"""The complaints read model: a projection of the `crm.complaints.complaint.*.v1` CloudEvents (docs/procedures.md#complaints, ISO 10002).

What it keeps, per complaint: the facts the reports count (kind, channel, unit, confidentiality, state, the stage
it waits in and since when, outcome, closings, satisfaction), one row per round of the procedure (a reopening
starts a new round: when it was decided, told, closed, and whether the member was satisfied), the time spent in
each stage of each round in working hours on the chamber's calendar, the corrective actions the committee
defined and their status, and the stage deadlines breached.

It knows the complaints service only through the events' types and JSON data, never its classes. `apply` folds a
batch inside the caller's transaction (the reporting ReadModel passes its connection after deduplicating by event
id). It is also idempotent by itself: each complaint keeps the sequence (aggregate version) of the last event
applied, and an event at or below it is skipped, so a batch applied twice changes nothing even without the
processed-events table. Events of one complaint arrive in order (one Kafka key, one partition).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from services.reporting.complaint_record import (
    CHANNELS,
    KINDS,
    OPEN_STAGES,
    TABLES,
    ComplaintRecord,
    actions,
    breaches,
    facts,
    metadata,
    new_facts,
    rounds,
    stage_times,
)
from services.reporting.projections import event_name, parse_time
from shared.calendar import BusinessCalendar
from shared.db import create_engine, create_tables, utc, utc_row
from shared.envelope import CloudEvent

# The complaint events this model folds (wire type -> the `_on_<name>` that folds it); each also moves the
# complaint's last sequence and update time, so the ones with no handler are named too.
COMPLAINT_EVENTS = {
    "crm.complaints.complaint.received.v1": "received",
    "crm.complaints.complaint.acknowledged.v1": "acknowledged",
    "crm.complaints.complaint.information_added.v1": "information_added",
    "crm.complaints.complaint.stakeholders_recorded.v1": "stakeholders_recorded",
    "crm.complaints.complaint.assessed.v1": "assessed",
    "crm.complaints.complaint.tracking_issued.v1": "tracking_issued",
    "crm.complaints.complaint.review_completed.v1": "review_completed",
    "crm.complaints.complaint.referred.v1": "referred",
    "crm.complaints.complaint.handler_assigned.v1": "handler_assigned",
    "crm.complaints.complaint.assignment_refused.v1": "assignment_refused",
    "crm.complaints.complaint.investigation_reported.v1": "investigation_reported",
    "crm.complaints.complaint.decided.v1": "decided",
    "crm.complaints.complaint.committee_convened.v1": "committee_convened",
    "crm.complaints.complaint.committee_not_convened.v1": "committee_not_convened",
    "crm.complaints.complaint.committee_decided.v1": "committee_decided",
    "crm.complaints.complaint.corrective_action_opened.v1": "corrective_action_opened",
    "crm.complaints.complaint.corrective_action_completed.v1": "corrective_action_completed",
    "crm.complaints.complaint.member_notified.v1": "member_notified",
    "crm.complaints.complaint.closed.v1": "closed",
    "crm.complaints.complaint.satisfaction_recorded.v1": "satisfaction_recorded",
    "crm.complaints.complaint.reopened.v1": "reopened",
    "crm.complaints.complaint.confidentiality_changed.v1": "confidentiality_changed",
    "crm.complaints.complaint.document_attached.v1": "document_attached",
    "crm.complaints.complaint.deadline_breached.v1": "deadline_breached",
    "crm.complaints.complaint.review_minutes_recorded.v1": "review_minutes_recorded",
}


# -- what the reports read -------------------------------------------------------------------------------------
@dataclass
class ComplaintData:
    """Every row of the complaints read model (datetimes aware, UTC), read in one transaction."""

    facts: list[dict[str, Any]]
    rounds: list[dict[str, Any]]
    stages: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    breaches: list[dict[str, Any]]


class ComplaintReadModel:
    def __init__(self, engine: sa.Engine | str, calendar: BusinessCalendar):
        self.engine = create_engine(engine) if isinstance(engine, str) else engine
        self.calendar = calendar
        create_tables(metadata, self.engine)

    def drop(self) -> None:
        metadata.drop_all(self.engine)
        create_tables(metadata, self.engine)

    # -- writing ---------------------------------------------------------------------------------------------
    def apply(self, conn: sa.Connection, events: Sequence[CloudEvent]) -> int:
        """Fold the complaint events of a batch inside the caller's transaction; other events are ignored.
        Returns how many were applied (an event already applied to its complaint is skipped)."""
        mine = [(e, name) for e in events if (name := event_name(e.type, COMPLAINT_EVENTS)) is not None]
        if not mine:
            return 0
        records = self._load(conn, list(dict.fromkeys(e.subject for e, _ in mine)))
        touched: dict[str, None] = {}
        applied = 0
        for e, name in mine:
            record = records.get(e.subject)
            if record is None:
                record = records[e.subject] = ComplaintRecord(new_facts(e.subject))
            at = utc(parse_time(e.data.get("at"))) or utc(parse_time(e.time))
            if record.apply(name, e.data, at, e.sequence, self.calendar):
                applied += 1
                touched[e.subject] = None
        if touched:
            self._write(conn, [records[i] for i in touched])
        return applied

    def _load(self, conn: sa.Connection, ids: list[str]) -> dict[str, ComplaintRecord]:
        found: dict[str, ComplaintRecord] = {}
        for chunk in _chunks(ids):
            for r in conn.execute(sa.select(facts).where(facts.c.complaint_id.in_(chunk))).mappings():
                found[r["complaint_id"]] = ComplaintRecord(utc_row(r))
            for table in (rounds, stage_times, actions, breaches):
                q = sa.select(table).where(table.c.complaint_id.in_(chunk))
                for r in conn.execute(q).mappings():
                    row = utc_row(r)
                    record = found.get(row["complaint_id"])
                    if record is None:  # rows without facts cannot be written; be safe all the same
                        continue
                    if table is rounds:
                        record.rounds[row["round"]] = row
                    elif table is stage_times:
                        record.stages[(row["round"], row["stage"])] = row
                    elif table is actions:
                        record.actions[row["action_id"]] = row
                    else:
                        record.breaches[row["key"]] = row
        return found

    def _write(self, conn: sa.Connection, records: list[ComplaintRecord]) -> None:
        """Replace every row of the touched complaints: a few rows each, and no update to get wrong."""
        ids = [r.id for r in records]
        for chunk in _chunks(ids):
            for table in TABLES:
                conn.execute(table.delete().where(table.c.complaint_id.in_(chunk)))
        rows: dict[str, list[dict[str, Any]]] = {t.name: [] for t in TABLES}
        for r in records:
            rows[facts.name].append(r.facts)
            rows[rounds.name].extend(r.rounds.values())
            rows[stage_times.name].extend(r.stages.values())
            rows[actions.name].extend(r.actions.values())
            rows[breaches.name].extend(r.breaches.values())
        for table in TABLES:
            if rows[table.name]:
                conn.execute(table.insert(), [{c.name: row.get(c.name) for c in table.c} for row in rows[table.name]])

    # -- reading ---------------------------------------------------------------------------------------------
    def data(self) -> ComplaintData:
        with self.engine.connect() as conn:
            return ComplaintData(*(_rows(conn, t) for t in TABLES))

    def open_complaints(self) -> list[dict[str, Any]]:
        """Complaints not closed, the longest waiting in its stage first."""
        q = (
            sa.select(facts)
            .where(facts.c.state.is_not(None), facts.c.state != "closed")
            .order_by(facts.c.stage_since, facts.c.received_at, facts.c.complaint_id)
        )
        with self.engine.connect() as conn:
            return [utc_row(r) for r in conn.execute(q).mappings()]

    def complaint(self, complaint_id: str) -> dict[str, Any] | None:
        """One complaint's facts with its rounds, stage times, corrective actions and breaches."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(facts).where(facts.c.complaint_id == complaint_id)).mappings().first()
            if row is None:
                return None
            out = utc_row(row)
            for name, table in (
                ("rounds", rounds),
                ("stage_times", stage_times),
                ("corrective_actions", actions),
                ("deadline_breaches", breaches),
            ):
                q = sa.select(table).where(table.c.complaint_id == complaint_id).order_by(*table.primary_key.columns)
                out[name] = [utc_row(r) for r in conn.execute(q).mappings()]
        return out

    def metric_counts(self) -> dict[str, Any]:
        """What the Prometheus collector reports: received, closings and breaches by the kind given at receipt and
        the channel (labels that never change, so the counters only grow), open complaints by stage."""
        f = facts.c
        with self.engine.connect() as conn:
            received = conn.execute(
                sa.select(f.kind_received, f.channel, sa.func.count(), sa.func.coalesce(sa.func.sum(f.closings), 0))
                .where(f.received_at.is_not(None))
                .group_by(f.kind_received, f.channel)
            ).all()
            breached = conn.execute(
                sa.select(f.kind_received, f.channel, sa.func.count())
                .select_from(breaches.join(facts, breaches.c.complaint_id == f.complaint_id))
                .where(f.received_at.is_not(None))
                .group_by(f.kind_received, f.channel)
            ).all()
            open_ = conn.execute(
                sa.select(f.stage, sa.func.count()).where(f.state.is_not(None), f.state != "closed").group_by(f.stage)
            ).all()
        return {
            "received": {(k, c): int(n) for k, c, n, _ in received},
            "closed": {(k, c): int(closed) for k, c, _, closed in received},
            "breached": {(k, c): int(n) for k, c, n in breached},
            "open": {s: int(n) for s, n in open_},
        }

    def dump(self) -> dict[str, list[dict[str, Any]]]:
        """Every table, sorted, for comparing a live model with a rebuilt one."""
        with self.engine.connect() as conn:
            return {t.name: _rows(conn, t) for t in TABLES}


def _rows(conn: sa.Connection, table: sa.Table) -> list[dict[str, Any]]:
    return [utc_row(r) for r in conn.execute(sa.select(table).order_by(*table.primary_key.columns)).mappings()]


def _chunks(ids: list[str], size: int = 500) -> Iterable[list[str]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


# -- Prometheus ------------------------------------------------------------------------------------------------
def collect_complaint_metrics(model: ComplaintReadModel):
    """Metric families for the reporting service's collector, read from the model at scrape time. Labels are
    the kind, the channel and the stage: no personal data."""
    counts = model.metric_counts()
    families = {
        "received": CounterMetricFamily(
            "crm_complaints_received",
            "Complaints received, by the kind given at receipt and the channel",
            labels=["kind", "channel"],
        ),
        "closed": CounterMetricFamily(
            "crm_complaints_closed",
            "Closings of complaints (a reopened complaint closes again), by kind and channel",
            labels=["kind", "channel"],
        ),
        "breached": CounterMetricFamily(
            "crm_complaints_breached",
            "Stage deadlines of complaints passed, by kind and channel",
            labels=["kind", "channel"],
        ),
    }
    for key, family in families.items():
        values = counts[key]
        pairs = [(k, c) for k in KINDS for c in CHANNELS]
        pairs += sorted(p for p in values if p not in pairs and None not in p)
        for kind, channel in pairs:
            family.add_metric([kind, channel], values.get((kind, channel), 0))
        yield family
    gauge = GaugeMetricFamily(
        "crm_complaints_open", "Complaints not closed, by the stage they wait in", labels=["stage"]
    )
    for stage in OPEN_STAGES:
        gauge.add_metric([stage], counts["open"].get(stage, 0))
    yield gauge
