"""The processor's own metrics: every record counted under its own topic (never a joined list of topics), and
lag measured on the source topics only (faust's internal assignor topic is never read, so it never catches up)."""

from __future__ import annotations

from dataclasses import dataclass

from services.reporting.processor import lag_by_topic, newest_per_topic, per_topic_outcomes

CALLS, REPORTING = "crm.calls.events.v1", "crm.reporting.events.v1"
ASSIGNOR = "crm-reporting-__assignor-__leader"


@dataclass
class Event:
    id: str
    time: str


@dataclass
class Msg:
    topic: str


def test_each_record_is_counted_under_its_own_topic() -> None:
    pairs = [(Event("a", ""), Msg(CALLS)), (Event("b", ""), Msg(CALLS)), (Event("c", ""), Msg(REPORTING))]
    assert per_topic_outcomes(pairs, duplicates={"b"}) == {
        (CALLS, "applied"): 1,
        (CALLS, "duplicate"): 1,
        (REPORTING, "applied"): 1,
    }


def test_the_age_of_the_newest_record_is_kept_per_topic() -> None:
    events = [Event("a", "2026-11-21T07:00:00+00:00"), Event("b", "2026-11-21T07:05:00+00:00")]
    newest = newest_per_topic(events, [Msg(CALLS), Msg(REPORTING)])
    assert {t: at.minute for t, at in newest.items()} == {CALLS: 0, REPORTING: 5}


def test_lag_counts_the_source_topics_and_leaves_faust_s_assignor_topic_out() -> None:
    highwaters = {(CALLS, 0): 10, (CALLS, 1): 4, (REPORTING, 0): 3, (ASSIGNOR, 0): 7}
    positions = {(CALLS, 0): 9, (CALLS, 1): 1, (REPORTING, 0): 2}
    assert lag_by_topic(highwaters, positions, frozenset({CALLS, REPORTING})) == {CALLS: 2, REPORTING: 0}


def test_a_source_partition_whose_end_is_unknown_means_not_caught_up() -> None:
    assert lag_by_topic({(CALLS, 0): None, (ASSIGNOR, 0): 1}, {}, frozenset({CALLS})) is None
    # The assignor topic's end never holds the answer back.
    assert lag_by_topic({(CALLS, 0): 0, (ASSIGNOR, 0): None}, {}, frozenset({CALLS})) == {CALLS: 0}
