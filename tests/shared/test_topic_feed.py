"""The one loop that follows topics into a local table: what it hands to `apply` and what it skips (with why)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from shared.envelope import CloudEvent
from shared.topic_feed import Record, decode_records, follow_topics


@dataclass
class FakeRecord:
    value: bytes | None
    headers: Sequence[tuple[str, bytes]] = field(default_factory=list)
    topic: str = "crm-members"
    partition: int = 0
    offset: int = 0


def an_event(n: int) -> CloudEvent:
    return CloudEvent(
        id=f"e-{n}",
        source="/crm/members",
        type="crm.members.member.registered.v1",
        time="2026-11-21T07:00:00+00:00",
        subject=f"m-{n}",
        sequence=1,
        position=n,
        data={"membership_number": str(n)},
    )


def record_of(event: CloudEvent, offset: int) -> FakeRecord:
    return FakeRecord(value=event.value(), headers=list(event.headers()), offset=offset)


def test_events_come_out_in_the_order_read_and_unreadable_records_are_skipped_with_their_reason() -> None:
    skipped: list[tuple[int, str]] = []
    records = [
        record_of(an_event(1), 10),
        FakeRecord(value=b"not ours", headers=[], offset=11),  # no CloudEvent headers at all
        record_of(an_event(2), 12),
        FakeRecord(value=b"{broken", headers=list(an_event(3).headers()), offset=13),  # headers but no JSON
    ]

    def on_skip(record: Record, reason: str) -> None:
        skipped.append((record.offset, reason))

    events = decode_records(records, "test feed", on_skip)

    assert [e.id for e in events] == ["e-1", "e-2"]
    assert events[0] == an_event(1)
    assert [offset for offset, _ in skipped] == [11, 13]
    assert all(reason for _, reason in skipped)  # the reason is recorded, not an empty string


def test_without_a_skip_handler_an_unreadable_record_is_only_logged(caplog) -> None:
    events = decode_records([FakeRecord(value=b"x", offset=7), record_of(an_event(4), 8)], "member lookup")
    assert [e.id for e in events] == ["e-4"]
    assert "member lookup: skipped a malformed record crm-members[0]@7" in caplog.text


def test_a_feed_asked_to_stop_returns_without_reaching_for_the_broker() -> None:
    applied: list[Sequence[CloudEvent]] = []
    stop = asyncio.Event()
    stop.set()
    # Port 9 refuses connections: a feed that tried to connect would retry, not return.
    asyncio.run(
        asyncio.wait_for(
            follow_topics(applied.append, bootstrap="127.0.0.1:9", topics=["t"], group="g", stop=stop), timeout=5
        )
    )
    assert applied == []


def test_a_feed_with_no_topics_returns_at_once_even_when_not_stopped() -> None:
    stop = asyncio.Event()
    asyncio.run(
        asyncio.wait_for(
            follow_topics(lambda events: None, bootstrap="127.0.0.1:9", topics=[], group="g", stop=stop), 5
        )
    )
    assert not stop.is_set()
