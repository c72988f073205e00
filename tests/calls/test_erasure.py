"""The calls service's own copies act on an erasure: its search index (fed by its store) and its member lookup (fed
by the members topic) show an erased caller's or member's data as [erased]; the calls and their counts stay."""

from __future__ import annotations

import sqlalchemy as sa

from services.calls.domain import Direction
from services.calls.index import calls
from services.calls.main import build_centre, build_index
from services.calls.members import MemberLookup, member_names, member_phones
from shared.db import create_engine
from shared.envelope import CloudEvent
from shared.privacy import ERASED
from shared.privacy_subjects import member_subject

AT = "2026-11-21T07:00:00+00:00"
MEMBER = member_subject("1001")


def _member_event(kind: str, sequence: int, data: dict) -> CloudEvent:
    return CloudEvent(
        id=f"m-{sequence}",
        source="/crm/members",
        type=f"crm.members.member.{kind}.v1",
        time=AT,
        subject=MEMBER,
        sequence=sequence,
        position=sequence,
        data=data,
    )


REGISTERED = {
    "membership_number": "1001",
    "name": "مریم احمدی",
    "status": "active",
    "contacts": [{"name": "مریم احمدی", "phones": [{"e164": "+989131234567"}]}],
}


def _indexed(engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(calls.c.id, calls.c.caller, calls.c.summary))]


def test_the_index_shows_an_erased_caller_as_erased_and_keeps_the_calls(settings, clock) -> None:
    centre = build_centre(settings, clock)
    engine = create_engine(settings.local_db_url("calls_index"))
    index = build_index(settings, centre, engine)
    stranger = centre.receive_call(direction=Direction.INCOMING, caller="09121112233", unit="trade")
    other = centre.receive_call(direction=Direction.INCOMING, caller="09351239876", unit="trade")
    index.follower.catch_up()
    assert {c for _, c, _ in _indexed(engine)} == {"+989121112233", "+989351239876"}

    centre.erase_caller("+989121112233", "request", by="ops")
    index.follower.catch_up()
    rows = {i: (c, s) for i, c, s in _indexed(engine)}
    assert len(rows) == 2  # the calls stay, and count
    assert rows[str(stranger)][0] == ERASED and "9121112233" not in rows[str(stranger)][1]
    assert rows[str(other)][0] == "+989351239876"
    assert [c["id"] for c in index.search(unit="trade")] and index.search(number="+989121112233") == []
    centre.close()


def test_an_erased_member_is_forgotten_by_the_lookup_and_their_calls_by_the_index(settings, clock) -> None:
    centre = build_centre(settings, clock)
    engine = create_engine(settings.local_db_url("calls_index"))
    index = build_index(settings, centre, engine)
    lookup = MemberLookup(engine, on_erased=index.forget_members)
    lookup.apply([_member_event("registered", 1, REGISTERED)])
    centre.member_lookup = lookup.member_of
    mine = centre.receive_call(direction=Direction.INCOMING, caller="09131234567", unit="trade")
    stranger = centre.receive_call(direction=Direction.INCOMING, caller="09121112233", unit="trade")
    index.follower.catch_up()
    assert lookup.names_of(["1001"]) == {"1001": "مریم احمدی"}

    assert centre.sealer is not None
    centre.sealer.keys.delete(MEMBER)  # what the members service does first when it erases the member
    lookup.apply([_member_event("erased", 2, {"reason": "request", "by": "ops", "at": AT})])
    assert lookup.names_of(["1001"]) == {"1001": ERASED}
    assert lookup.member_of("+989131234567") is None
    with engine.connect() as conn:
        assert conn.execute(sa.select(member_phones)).all() == []
        assert len(conn.execute(sa.select(member_names)).all()) == 1
    rows = {i: (c, s) for i, c, s in _indexed(engine)}
    assert len(rows) == 2
    assert rows[str(mine)][0] == ERASED and "9131234567" not in rows[str(mine)][1]
    assert rows[str(stranger)][0] == "+989121112233"
    centre.close()


def test_a_members_events_read_after_their_erasure_copy_nothing_into_the_lookup(tmp_path) -> None:
    """The erasure reached the lookup first (its older events read again, or a consumer that joined late): the
    member's version, kept with the erasure, makes the older events change nothing."""
    told: list[list[str]] = []
    lookup = MemberLookup(create_engine(f"sqlite:///{tmp_path / 'lookup.db'}"), on_erased=told.append)
    erased = {"reason": "request", "by": "ops", "at": AT}
    lookup.apply([_member_event("erased", 3, erased)])
    assert lookup.apply([_member_event("registered", 1, REGISTERED)]) == 0
    assert lookup.apply([_member_event("details_updated", 2, {"changes": {"name": "Maryam"}})]) == 0
    assert lookup.member_of("+989131234567") is None
    assert lookup.names_of(["1001"]) == {}
    with lookup.engine.connect() as conn:
        assert conn.execute(sa.select(member_phones)).all() == [] and conn.execute(sa.select(member_names)).all() == []
