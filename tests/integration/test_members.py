"""The members service on real stores: PostgreSQL event store and index, and its events on the real broker."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from services.members.application import member_record
from services.members.criteria import Criteria
from services.members.csv_import import import_csv
from services.members.main import build_directory, build_index
from shared.relay import Relay
from tests.integration.conftest import pg_settings, read_topic

pytestmark = pytest.mark.integration
FIXTURE = Path(__file__).parents[1] / "members" / "fixtures" / "members.csv"


@pytest.mark.postgres
def test_import_search_selection_and_lookup_on_postgresql(settings, clock, pg_schema):
    pg = pg_settings(settings, pg_schema)
    directory = build_directory(pg, clock)
    try:
        index = build_index(pg, directory)
        report = import_csv(directory, FIXTURE)
        assert report.created == 5 and len(report.rejected) == 8
        head = directory.recorder.max_notification_id()
        assert import_csv(directory, FIXTURE).unchanged == 5 and directory.recorder.max_notification_id() == head
        found = directory.find_members(["1001", "1010", "9999"])  # one query of the schema for a batch
        assert sorted(found) == ["1001", "1010"]
        assert member_record(found["1001"]) == member_record(directory.get_member("1001"))
        index.catch_up()
        found = index.search(Criteria(name="شرکه الکیمیاء"))  # Persian keyboard for "شركة الكيمياء"
        assert [m["membership_number"] for m in found] == ["1010"]
        assert [m["membership_number"] for m in index.search(Criteria(name="ISIL"))] == ["1011"]
        assert index.members_with_phone("+989131234567")[0]["membership_number"] == "1001"
        assert index.members_with_phone("+989131112222") == []  # 1003 is suspended
        selection = directory.get_selection(directory.take_selection("عراق", {"country": "IQ"}))
        assert selection["members"] == ["1001", "1010"]
        assert index.rebuild() == head + 1  # the selection's event is in the log too
    finally:
        directory.close()


def test_member_events_reach_kafka_as_versioned_cloudevents(settings, clock, broker, topic_prefix):
    s = settings.model_copy(update={"kafka_bootstrap": broker, "topic_prefix": topic_prefix})
    directory = build_directory(s, clock)
    try:
        import_csv(directory, FIXTURE)
        directory.update_member("1001", {"email": "sales@farsh.example"})
        directory.suspend_member("1002", "عدم تمدید")
        head = directory.recorder.max_notification_id()
        relay = Relay(directory, broker, s.topic_of("members"), partitions=s.kafka_partitions)

        async def go() -> None:
            stop = asyncio.Event()
            task = asyncio.create_task(relay.run(stop))
            for _ in range(600):
                if relay.published_position >= head:
                    break
                if task.done():
                    task.result()
                await asyncio.sleep(0.05)
            stop.set()
            await task

        asyncio.run(go())
    finally:
        directory.close()
    records = read_topic(broker, f"{topic_prefix}.members.events.v1")
    assert len(records) == head
    types = sorted(r["headers"]["ce_type"] for r in records)
    assert types.count("crm.members.member.registered.v1") == 5
    assert "crm.members.member.details_updated.v1" in types and "crm.members.member.suspended.v1" in types
    registered = next(
        json.loads(r["value"])
        for r in records
        if r["headers"]["ce_type"].endswith("registered.v1") and b"1001" in r["value"]
    )
    assert registered["membership_number"] == "1001" and registered["status"] == "active"
    assert registered["contacts"][0]["phones"][0] == {"raw": "۰۹۱۳ ۱۲۳ ۴۵۶۷", "e164": "+989131234567", "kind": "mobile"}
    assert all(r["headers"]["ce_source"] == "/crm/members" for r in records)
