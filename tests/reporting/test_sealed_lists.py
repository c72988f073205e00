"""The end-of-day lists the reporting service records name callers: each entry is stored sealed under the key the
calls service seals that call with, so the published list still carries the numbers for the unit manager's mail,
and erasing the caller makes the lists already recorded read [erased] in the store and on the topic."""

from __future__ import annotations

from typing import Any

import pytest

from services.calls.application import CallCentre
from services.reporting.engine import ReportingEngine
from services.reporting.oversight import Oversight
from services.reporting.readmodel import ReadModel
from shared.calendar import IRAN, BusinessCalendar
from shared.eventstore import PRIVACY_KEYS
from shared.privacy import ERASED, is_sealed
from shared.privacy_subjects import member_subject
from tests.helpers import as_stored
from tests.reporting.test_engine import ORGANISATION, RULE, Feed, abandoned, oversight_events, tehran

NUMBER = "+989131234567"


@pytest.fixture
def keys_env(tmp_path) -> dict[str, str]:
    return {PRIVACY_KEYS: str(tmp_path / "keys")}


@pytest.fixture
def centre(clock, keys_env) -> CallCentre:
    return CallCentre(keys_env, organisation=ORGANISATION, calendar=BusinessCalendar(IRAN), clock=clock)


@pytest.fixture
def oversight(keys_env) -> Oversight:
    return Oversight(keys_env)


@pytest.fixture
def engine(tmp_path, oversight, clock) -> ReportingEngine:
    calendar = BusinessCalendar(IRAN)
    return ReportingEngine(
        ReadModel(f"sqlite:///{tmp_path}/rm.db", calendar), oversight, ORGANISATION, calendar, RULE, clock
    )


def _stored_items(oversight: Oversight) -> list[dict[str, Any]]:
    items = []
    for list_id in dict.fromkeys(n.originator_id for n in _produced(oversight)):
        for state in as_stored(oversight, list_id):
            items.extend(state.get("items") or [])
    return items


def _produced(oversight: Oversight) -> list[Any]:
    return [n for n in oversight.recorder.select_notifications(0, 100) if n.topic.endswith("EndOfDayList.Produced")]


def test_a_lists_callers_are_sealed_under_the_callers_key_and_published_opened(centre, oversight, engine) -> None:
    call = abandoned(centre, tehran(2026, 11, 21, 10, 31))
    Feed(engine, centre, oversight)()
    assert engine.tick(tehran(2026, 11, 21, 16, 0))["lists"] == 1

    [item] = _stored_items(oversight)
    assert item["call_id"] == call and NUMBER not in str(item)
    assert is_sealed(item["caller"]) and is_sealed(item["contact_phone"])
    assert item["caller"]["of"] == centre.callers.subject(NUMBER)  # the key the calls service sealed the call with

    [published] = oversight_events(oversight, "end_of_day_list.produced")
    [entry] = published.data["items"]
    assert (entry["caller"], entry["contact_phone"]) == (NUMBER, NUMBER)  # what the notifier mails

    centre.erase_caller(NUMBER, "request by telephone", by="ops")
    [published] = oversight_events(oversight, "end_of_day_list.produced")
    [entry] = published.data["items"]
    assert (entry["call_id"], entry["caller"], entry["contact_phone"]) == (call, ERASED, ERASED)
    assert entry["automatic"] is True  # the rest of the entry stays


def test_a_members_entry_is_sealed_under_the_members_key(oversight) -> None:
    item = {"call_id": "c-1", "caller": NUMBER, "contact_name": "Ali", "member_id": "1001", "subject": None}
    oversight.produce_end_of_day_list(
        unit="trade", day="2026-11-21", manager=None, produced_at=tehran(2026, 11, 21, 16, 0), items=[item]
    )
    [stored] = _stored_items(oversight)
    assert stored["caller"]["of"] == stored["contact_name"]["of"] == member_subject("1001")
    assert stored["subject"] is None and stored["member_id"] == "1001"
    assert oversight.sealer is not None
    oversight.sealer.keys.delete(member_subject("1001"))
    [published] = oversight_events(oversight, "end_of_day_list.produced")
    assert published.data["items"][0]["contact_name"] == ERASED
