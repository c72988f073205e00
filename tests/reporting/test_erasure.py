"""The reporting read model acts on the erasure events: the callers', members' and complainants' data it copied from
the topics (unanswered-call rows, complaint facts, the journal `as_of` replays) read [erased], while every count and
figure stays. Fed with the events the services' relays publish (shared/relay.py), before and after the erasure."""

from __future__ import annotations

import json
import zlib
from datetime import timedelta

import sqlalchemy as sa

from services.calls.domain import Direction
from services.calls.main import build_centre
from services.complaints.main import build_desk
from services.members.main import build_directory
from services.reporting.main import build_readmodel
from services.reporting.snapshots import snapshots, take_snapshots
from services.reporting.tables import journal
from shared.privacy import ERASED
from shared.relay import EnvelopeMapper

STRANGER, MEMBER_PHONE, OTHER = "09121112233", "09131234567", "09351239876"


class Feed:
    """What a relay has published of an application so far, and what it publishes next."""

    def __init__(self, app) -> None:
        self.app, self.mapper, self.position = app, EnvelopeMapper(app), 0

    def next(self) -> list:
        notes = self.app.recorder.select_notifications(self.position + 1, 10_000)
        if notes:
            self.position = notes[-1].id
        return [self.mapper(n) for n in notes]


def _unanswered(centre, number: str, subject: str) -> str:
    call_id = centre.receive_call(direction=Direction.INCOMING, caller=number, unit="trade")
    centre.record_unit_not_answered(call_id)
    centre.transfer_to_member_relations(call_id)
    centre.register_unanswered(call_id, by="z.rahimi", subject=subject, contact_name="رضا کریمی", contact_phone=None)
    return str(call_id)


def _rows(model) -> dict[str, dict]:
    return {r["call_id"]: r for r in model.dump()["unanswered_calls"]}


def _counts(model) -> dict[str, int]:
    return {name: len(rows) for name, rows in model.dump().items() if name != "processed_events"}


def test_erasing_a_caller_and_a_member_erases_their_calls_in_the_read_model(settings, clock) -> None:
    directory = build_directory(settings, clock)
    directory.register_member("1001", {"kind": "person", "name": "مریم احمدی"}, by="z.rahimi")
    centre = build_centre(settings, clock)
    centre.member_lookup = lambda number: "1001" if number == "+989131234567" else None
    calls, members = Feed(centre), Feed(directory)
    stranger = _unanswered(centre, STRANGER, "card renewal")
    mine = _unanswered(centre, MEMBER_PHONE, "export permit")
    other = _unanswered(centre, OTHER, "a visa letter")
    model = build_readmodel(settings)
    model.apply(calls.next() + members.next(), clock())
    assert _rows(model)[stranger]["caller"] == "+989121112233"
    assert take_snapshots(model, every=5) > 0  # an `as_of` snapshot holding the callers as they were
    before = _counts(model)

    centre.erase_caller(STRANGER, "request", by="ops")
    directory.erase_member("1001", "request", by="ops")
    model.apply(calls.next() + members.next(), clock())

    rows = _rows(model)
    for call_id in (stranger, mine):
        row = rows[call_id]
        assert (row["caller"], row["contact_name"], row["subject"]) == (ERASED, ERASED, ERASED)
        assert (row["unit"], row["state"]) == ("trade", "open")
    assert (rows[other]["caller"], rows[other]["subject"]) == ("+989351239876", "a visa letter")
    assert {k: v for k, v in _counts(model).items() if k != "event_journal"} == before
    with model.engine.connect() as conn:
        journaled = " ".join(conn.execute(sa.select(journal.c.envelope)).scalars())
    for personal in ("9121112233", "9131234567", "card renewal", "export permit", "مریم"):
        assert personal not in journaled, personal
    assert "9351239876" in journaled and "a visa letter" in journaled
    with model.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(snapshots)).scalar() == 0
    replayed = _rows(model.as_of(clock()))
    assert replayed[stranger]["caller"] == ERASED and replayed[other]["subject"] == "a visa letter"
    assert take_snapshots(model, every=5) > 0  # taken again from the journal, without them
    with model.engine.connect() as conn:
        images = conn.execute(sa.select(snapshots.c.image)).scalars().all()
    assert images and not any(b"9121112233" in zlib.decompress(image) for image in images)
    centre.close()
    directory.close()


def test_erasing_a_complainant_erases_the_complaints_facts_and_keeps_its_figures(settings, clock) -> None:
    desk = build_desk(settings, clock=clock)
    feed = Feed(desk)
    complaint = desk.receive_from_website(
        kind="complaint",
        description="The certificate took three weeks.",
        complainant_name="مریم احمدی",
        phone="09121112233",
        email=None,
    )
    kept = desk.receive_from_website(
        kind="complaint", description="Fees doubled.", complainant_name="علی", phone="09121112233", email=None
    )
    model = build_readmodel(settings)
    model.apply(feed.next(), clock())
    facts = {f["complaint_id"]: f for f in model.dump()["complaint_facts"]}
    assert facts[str(complaint.id)]["complainant_name"] == "مریم احمدی"

    desk.erase_complainant(complaint.id, "request", by="ops")
    model.apply(feed.next(), clock())
    facts = {f["complaint_id"]: f for f in model.dump()["complaint_facts"]}
    erased = facts[str(complaint.id)]
    assert (erased["complainant_name"], erased["summary"]) == (ERASED, ERASED)
    assert (erased["kind"], erased["state"], erased["channel"]) == ("complaint", "acknowledged", "website")
    assert facts[str(kept.id)]["complainant_name"] == "علی" and len(facts) == 2
    with model.engine.connect() as conn:
        envelopes = [json.loads(t) for t in conn.execute(sa.select(journal.c.envelope)).scalars()]
    text = json.dumps(envelopes, ensure_ascii=False)
    assert "three weeks" not in text and "مریم" not in text and "Fees doubled" in text
    desk.close()


def test_call_events_read_after_an_erasure_they_preceded_are_applied_erased(settings, clock) -> None:
    """The calls topic lags behind the members topic (and an erasure's record may sit in another partition than the
    calls it erases): events published before the erasure but read after it are redacted as they are applied."""
    from services.reporting.processor import build_engine

    directory = build_directory(settings, clock)
    directory.register_member("1001", {"kind": "person", "name": "مریم احمدی"}, by="z.rahimi")
    centre = build_centre(settings, clock)
    centre.member_lookup = lambda number: "1001" if number == "+989131234567" else None
    calls, members = Feed(centre), Feed(directory)
    engine = build_engine(settings, clock)
    model = engine.readmodel
    engine.handle(members.next())

    # A caller's call whose received event was read before the erasure, its later events only after it.
    seen_early = str(centre.receive_call(direction=Direction.INCOMING, caller=STRANGER, unit="trade"))
    engine.handle(calls.next())
    centre.record_unit_not_answered(seen_early)
    centre.transfer_to_member_relations(seen_early)
    centre.register_unanswered(
        seen_early, by="z.rahimi", subject="card renewal", contact_name="رضا کریمی", contact_phone=None
    )
    stranger = _unanswered(centre, STRANGER, "a second card")  # read only after the erasure, all of it
    mine = _unanswered(centre, MEMBER_PHONE, "export permit")
    other = _unanswered(centre, OTHER, "a visa letter")
    published_before = calls.next()

    centre.erase_caller(STRANGER, "request", by="ops")
    directory.erase_member("1001", "request", by="ops")
    engine.handle(members.next() + calls.next())  # the erasures, read first
    engine.handle(published_before)  # then what the calls topic published before them

    rows = _rows(model)
    for call_id in (seen_early, stranger, mine):
        row = rows[call_id]
        assert (row["caller"], row["contact_name"], row["subject"]) == (ERASED, ERASED, ERASED), call_id
        assert (row["unit"], row["state"]) == ("trade", "open")  # counted as before
    assert (rows[other]["caller"], rows[other]["subject"]) == ("+989351239876", "a visa letter")
    with model.engine.connect() as conn:
        journaled = " ".join(conn.execute(sa.select(journal.c.envelope)).scalars())
    for personal in ("9121112233", "9131234567", "card renewal", "a second card", "export permit"):
        assert personal not in journaled, personal
    assert "a visa letter" in journaled
    replayed = _rows(model.as_of(clock()))
    assert replayed[stranger]["subject"] == ERASED and replayed[other]["subject"] == "a visa letter"

    # Redelivered (a consumer group read again from the start): the same, nothing applied twice.
    engine.handle(published_before)
    assert _rows(model)[mine]["caller"] == ERASED
    centre.close()
    directory.close()


def test_a_complaints_events_read_after_its_complainants_erasure_are_applied_erased(settings, clock) -> None:
    desk = build_desk(settings, clock=clock)
    feed = Feed(desk)
    complaint = desk.receive_from_website(
        kind="complaint",
        description="The certificate took three weeks.",
        complainant_name="مریم احمدی",
        phone="09121112233",
        email=None,
    )
    published_before = feed.next()
    desk.erase_complainant(complaint.id, "request", by="ops")
    model = build_readmodel(settings)
    model.apply(feed.next(), clock())  # the erasure first (a topic read again from its start, say)
    model.apply(published_before, clock())
    [facts] = model.dump()["complaint_facts"]
    assert (facts["complainant_name"], facts["summary"], facts["kind"]) == (ERASED, ERASED, "complaint")
    with model.engine.connect() as conn:
        text = " ".join(conn.execute(sa.select(journal.c.envelope)).scalars())
    assert "three weeks" not in text and "مریم" not in text
    desk.close()


def test_end_of_day_lists_read_before_or_after_a_callers_erasure_read_erased(settings, clock) -> None:
    """The lists the reporting service recorded name callers: the model's copy and its journal (which `as_of`
    replays) read [erased] after the erasure, also for a list published before it and read only after it."""
    from services.reporting.processor import build_engine

    centre = build_centre(settings, clock)
    calls = Feed(centre)
    engine = build_engine(settings, clock)
    model, lists = engine.readmodel, Feed(engine.oversight)
    stranger = _unanswered(centre, STRANGER, "card renewal")
    other = _unanswered(centre, OTHER, "a visa letter")
    engine.handle(calls.next())
    assert engine.tick(clock() + timedelta(days=1))["lists"] >= 1
    first = lists.next()
    engine.handle(first)  # the first day's list, read before the erasure

    def entries() -> dict[str, dict]:
        found = {}
        for unit, day in model.end_of_day_days():
            found.update({i["call_id"]: i for i in model.end_of_day_list(unit, day)["items"]})
        return found

    assert entries()[stranger]["caller"] == "+989121112233"
    assert engine.tick(clock() + timedelta(days=4))["lists"] >= 1
    published_before = lists.next()  # the next days' lists, published before the erasure

    centre.erase_caller(STRANGER, "request", by="ops")
    engine.handle(calls.next())  # the erasure, read first
    engine.handle(published_before)  # then the lists the reporting topic published before it

    for found in (entries(), {i["call_id"]: i for i in _replayed_items(model, clock)}):
        assert (found[stranger]["caller"], found[stranger]["subject"]) == (ERASED, ERASED)
        assert found[other]["subject"] == "a visa letter"
    with model.engine.connect() as conn:
        journaled = " ".join(conn.execute(sa.select(journal.c.envelope)).scalars())
    assert "9121112233" not in journaled and "card renewal" not in journaled and "a visa letter" in journaled
    centre.close()


def _replayed_items(model, clock) -> list[dict]:
    replayed = model.as_of(clock() + timedelta(days=5))
    return [i for unit, day in replayed.end_of_day_days() for i in replayed.end_of_day_list(unit, day)["items"]]
