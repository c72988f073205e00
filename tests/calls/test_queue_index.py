"""The queues read their page and their count from indexes in the queues' own order, in new index files and in
files made before those indexes existed."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from services.calls.application import CallCentre
from services.calls.index import UNROUTED, CallIndex, calls
from shared.calendar import BusinessCalendar
from shared.db import create_engine
from shared.organisation import DEFAULT_ORGANISATION, Organisation
from tests.calls.test_application import SATURDAY_1030 as T
from tests.calls.test_application import ev

ORG = Organisation.load(DEFAULT_ORGANISATION)
QUEUE_INDEXES = {"ix_calls_index_unit_waiting_queue", "ix_calls_index_expert_waiting_queue"}
# The queues' indexes of before, ordered by id among calls due at the same moment.
FORMER_INDEXES = {"ix_calls_index_unit_queue", "ix_calls_index_expert_queue"}


def plans(index: CallIndex, unit: str | None, expert: str | None) -> list[str]:
    """SQLite's plans of the page query and of the count query of a queue."""
    page = index._queue_query(unit, expert).limit(50)
    counted = sa.select(sa.func.count()).select_from(calls).where(*index._queue_conditions(unit, expert))
    with index.engine.connect() as conn:
        return [
            " ".join(
                row[3]
                for row in conn.exec_driver_sql(
                    f"EXPLAIN QUERY PLAN {stmt.compile(index.engine, compile_kwargs={'literal_binds': True})}"
                )
            )
            for stmt in (page, counted)
        ]


def test_an_index_file_made_before_the_queue_indexes_gets_them(tmp_path, clock) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/index.db")
    old = sa.MetaData()
    sa.Table("calls_index", old, *(sa.Column(c.name, c.type, primary_key=c.primary_key) for c in calls.columns))
    old.create_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE INDEX ix_calls_index_unit_queue ON calls_index (unit, state, callback_due, id)"))
        conn.execute(sa.text("CREATE INDEX ix_calls_index_expert_queue ON calls_index (assigned_expert, callback_due)"))
    assert not QUEUE_INDEXES & {ix["name"] for ix in sa.inspect(engine).get_indexes("calls_index")}
    CallIndex(CallCentre(organisation=ORG, clock=clock), engine, BusinessCalendar.preset("IR"))
    names = {ix["name"] for ix in sa.inspect(engine).get_indexes("calls_index")}
    assert names >= QUEUE_INDEXES and not names & FORMER_INDEXES
    # A second start (another process on the same file) finds them there.
    CallIndex(CallCentre(organisation=ORG, clock=clock), engine, BusinessCalendar.preset("IR"))


def test_queue_pages_and_counts_use_the_queue_indexes_without_sorting(tmp_path, clock) -> None:
    centre = CallCentre(organisation=ORG, clock=clock)
    index = CallIndex(centre, create_engine(f"sqlite:///{tmp_path}/index.db"), BusinessCalendar.preset("IR"))
    events = []
    for k in range(30):
        at = T + timedelta(minutes=k)
        events += [
            ev("queued", at, f"q-{k}", queue="602", caller="09131234567"),
            ev("agent_missed", at + timedelta(seconds=5), f"q-{k}", queue="602", agent="201"),
            ev("abandoned", at + timedelta(seconds=30), f"q-{k}", queue="602"),
        ]
    centre.ingest_batch(events)
    index.follower.catch_up()
    unit_page, unit_count = plans(index, "trade", None)
    assert "ix_calls_index_unit_waiting_queue" in unit_page and "TEMP B-TREE" not in unit_page
    assert "COVERING INDEX ix_calls_index_unit_waiting_queue" in unit_count
    expert = index.queue(unit="trade")[0]["assigned_expert"]
    assert expert
    expert_page, expert_count = plans(index, None, expert)
    assert "ix_calls_index_expert_waiting_queue" in expert_page and "TEMP B-TREE" not in expert_page
    assert "COVERING INDEX ix_calls_index_expert_waiting_queue" in expert_count
    whole = index.queue(expert=expert)
    assert index.queue_page(expert=expert, limit=7, offset=3) == (whole[3:10], len(whole))


def test_the_unrouted_gauges_hold_from_the_start_and_follow_only_the_batches_that_change_them(tmp_path, clock) -> None:
    from prometheus_client import REGISTRY

    def gauge(queue: str) -> float | None:
        return REGISTRY.get_sample_value("crm_calls_unrouted", {"queue": queue})

    centre = CallCentre(organisation=ORG, clock=clock)
    engine = create_engine(f"sqlite:///{tmp_path}/index.db")
    index = CallIndex(centre, engine, BusinessCalendar.preset("IR"))
    centre.ingest(ev("queued", T, "held-1", queue="691", caller="09131234567"))
    index.follower.catch_up()
    assert gauge("691") == 1
    centre.ingest(ev("queued", T, "routed-1", queue="602", caller="09131234567"))  # a batch that changes nothing
    index.follower.catch_up()
    assert gauge("691") == 1
    centre.ingest(ev("queued", T + timedelta(seconds=5), "held-2", queue="691", caller="09131234567"))
    index.follower.catch_up()
    assert gauge("691") == 2
    # Another process started on the same index file reports the kept calls before any new event.
    UNROUTED.labels("691").set(0)
    CallIndex(centre, engine, BusinessCalendar.preset("IR"))
    assert gauge("691") == 2
    index.rebuild()
    assert gauge("691") == 2
