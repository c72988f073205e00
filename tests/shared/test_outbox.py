"""The outbox to another service's internal door, on a real SQLite database with an in-process opener."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Notification

from shared.contracts import EventContract
from shared.db import create_engine
from shared.eventstore import CrmApplication
from shared.outbox import Columns, Delivery, NotDelivered, Outbox, Refused


class Ask(Aggregate):
    @event("Asked")
    def __init__(self, what: str) -> None:
        self.what = what


class Desk(CrmApplication):
    service = "asks"
    contract = EventContract("asks", {"crm.asks.ask.asked.v1": f"{__name__}:Ask.Asked"})


class FakeDoor:
    """The other service's idempotent door: down until `up`, refuses "bad", answers the same id for a source_ref."""

    def __init__(self) -> None:
        self.up = True
        self.posted: list[dict[str, Any]] = []
        self.ids: dict[str, str] = {}

    def __call__(self, request: dict[str, Any]) -> str:
        if not self.up:
            raise NotDelivered("down")
        self.posted.append(request)
        if request["title"] == "bad":
            raise Refused("title refused")
        return self.ids.setdefault(request["source_ref"], f"A-{len(self.ids) + 1}")


@pytest.fixture
def desk() -> Desk:
    return Desk()


@pytest.fixture
def engine(tmp_path) -> sa.Engine:
    return create_engine(f"sqlite:///{tmp_path / 'outbox.db'}")


def requests(desk: Desk):
    def of(n: Notification) -> Delivery | None:
        if not n.topic.endswith("Asked"):
            return None
        what = desk.mapper.to_domain_event(n).what
        ref = f"ask:{n.originator_id}"
        return Delivery(ref, str(n.originator_id), {"source_ref": ref, "title": what})

    return of


def make(desk: Desk, engine: sa.Engine, door, clock, **kw) -> Outbox:
    return Outbox(
        desk,
        engine,
        table="ask_deliveries",
        columns=Columns(origin="ask_id", opened="action_id"),
        follower_name="ask_outbox",
        requests=requests(desk),
        opener=door,
        clock=clock,
        **kw,
    )


def ask(desk: Desk, what: str) -> str:
    a = Ask(what=what)
    desk.save(a)
    return str(a.id)


def test_delivers_each_request_once_and_records_the_answer(desk, engine, clock) -> None:
    door, answers = FakeDoor(), []
    outbox = make(desk, engine, door, clock, on_opened=lambda n, d, opened: answers.append((d.origin_id, opened)))
    first = ask(desk, "one")
    assert outbox.catch_up() == 1
    assert outbox.opened_for(f"ask:{first}") == "A-1"
    assert answers == [(first, "A-1")]
    [row] = outbox.of(first)
    assert row["delivered_at"].replace(tzinfo=None) == clock().replace(tzinfo=None) and row["refused"] is None
    assert outbox.catch_up() == 0  # the position moved: nothing is posted again
    assert len(door.posted) == 1


def test_retries_while_the_other_service_is_down_without_moving_on(desk, engine, clock) -> None:
    door = FakeDoor()
    outbox = make(desk, engine, door, clock)
    first = ask(desk, "one")
    door.up = False
    with pytest.raises(NotDelivered):
        outbox.catch_up()
    assert outbox.follower.position() == 0
    assert outbox.opened_for(f"ask:{first}") is None
    door.up = True
    assert outbox.catch_up() == 1
    assert outbox.opened_for(f"ask:{first}") == "A-1"


def test_a_refusal_is_kept_with_its_reason_and_does_not_block_the_rest(desk, engine, clock) -> None:
    door = FakeDoor()
    outbox = make(desk, engine, door, clock)
    bad, good = ask(desk, "bad"), ask(desk, "good")
    outbox.catch_up()
    [refused] = outbox.refused()
    assert refused["source_ref"] == f"ask:{bad}" and "title refused" in refused["refused"]
    assert refused["action_id"] is None
    assert outbox.opened_for(f"ask:{good}") is not None
    assert outbox.catch_up() == 0 and len(door.posted) == 2


def test_a_delivery_already_recorded_is_not_posted_again_after_a_reset(desk, engine, clock) -> None:
    door = FakeDoor()
    outbox = make(desk, engine, door, clock)
    ask(desk, "one")
    outbox.catch_up()
    outbox.follower.reset()  # as after a crash between the delivery and the position
    outbox.catch_up()
    assert len(door.posted) == 1


def test_several_doors_are_picked_by_kind_and_the_kind_is_kept(desk, engine, clock) -> None:
    actions, complaints = FakeDoor(), FakeDoor()

    def both(n: Notification) -> list[Delivery]:
        o = str(n.originator_id)
        return [
            Delivery(f"a:{o}", o, {"source_ref": f"a:{o}", "title": "x"}, kind="action"),
            Delivery(f"c:{o}", o, {"source_ref": f"c:{o}", "title": "y"}, kind="complaint"),
        ]

    outbox = Outbox(
        desk,
        engine,
        table="two_doors",
        columns=Columns(origin="origin_id", opened="opened_id", kind="kind"),
        follower_name="two_doors",
        requests=both,
        opener={"action": actions, "complaint": complaints},
        clock=clock,
    )
    origin = ask(desk, "one")
    outbox.catch_up()
    assert [r["source_ref"] for r in actions.posted] == [f"a:{origin}"]
    assert [r["source_ref"] for r in complaints.posted] == [f"c:{origin}"]
    assert {r["kind"] for r in outbox.of(origin)} == {"action", "complaint"}
