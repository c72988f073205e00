"""How the processor judges that it has caught up: per assigned partition, the end offset against the later of the
offset it applied and the offset its consumer group committed (where a restarted processor starts reading)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from faust.types import TP

from services.reporting.processor import _update_lag

CALLS, REPORTING = TP("crm.calls.events.v1", 0), TP("crm.reporting.events.v1", 0)
ASSIGNOR = TP("crm-reporting-__assignor-__leader", 0)  # faust's own topic: assigned, never read from
SOURCES = frozenset({CALLS.topic, REPORTING.topic})


class Consumer:
    def __init__(self, ends: dict, committed: dict | None = None, fetched: dict | None = None):
        self.ends, self._committed_offset, self.fetched = ends, committed or {}, fetched or {}

    def assignment(self):
        return set(self.ends)

    async def highwaters(self, *tps):
        return {tp: self.ends[tp] for tp in tps}

    def highwater(self, tp):
        return self.fetched.get(tp)


def lag(consumer: Consumer, applied: dict | None = None) -> int:
    return asyncio.run(_update_lag(SimpleNamespace(consumer=consumer), applied or {}, SOURCES))


def test_a_restarted_processor_with_nothing_new_to_read_has_caught_up():
    # Offsets committed by the previous run at the end of both topics; nothing has arrived since.
    assert lag(Consumer({CALLS: 380, REPORTING: 12}, committed={CALLS: 380, REPORTING: 12})) == 0


def test_empty_partitions_count_as_caught_up():
    assert lag(Consumer({CALLS: 0, REPORTING: 0})) == 0


def test_records_after_the_committed_offset_are_still_to_be_read():
    assert lag(Consumer({CALLS: 400, REPORTING: 12}, committed={CALLS: 380, REPORTING: 12})) == 20


def test_what_was_applied_since_the_start_counts_beyond_the_committed_offset():
    consumer = Consumer({CALLS: 400, REPORTING: 12}, committed={CALLS: 380, REPORTING: 12})
    assert lag(consumer, {(CALLS.topic, 0): 399}) == 0
    assert lag(consumer, {(CALLS.topic, 0): 389}) == 10


def test_a_fetch_that_saw_further_than_the_listed_end_offset_is_believed():
    assert lag(Consumer({CALLS: 6}, fetched={CALLS: 8}), {(CALLS.topic, 0): 5}) == 2


def test_no_assignment_yet_is_not_caught_up():
    assert lag(Consumer({})) == -1


def test_faust_s_assignor_topic_never_holds_the_processor_back():
    # Its end grows with every rebalance and nothing here reads it: only the source topics count.
    assert lag(Consumer({CALLS: 5, ASSIGNOR: 7}, committed={CALLS: 5})) == 0
    assert lag(Consumer({ASSIGNOR: 7})) == -1  # assigned only faust's topic: no source partition yet
