"""The processor's own metrics: every record counted under its own topic (never a joined list of topics), and
lag measured on the source topics only (faust's internal assignor topic is never read, so it never catches up)."""

from __future__ import annotations

from dataclasses import dataclass

from services.reporting.processor import newest_per_topic, per_topic_outcomes

CALLS, REPORTING = "crm.calls.events.v1", "crm.reporting.events.v1"


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
