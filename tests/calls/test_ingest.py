"""The ingestion path's working copies, aggregate cache and group commit keep what `ingest` did before them: a
refused event leaves no trace, a second writer's events are seen, concurrent batches are stored together."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

from services.calls.application import CallCentre, call_summary
from services.calls.domain import CallbackOutcome, State, call_id_for_pbx
from services.calls.ingest import working_copy
from shared.envelope import dumps
from shared.eventstore import store_env
from shared.organisation import DEFAULT_ORGANISATION, Organisation
from tests.calls.test_application import SATURDAY_1030 as T
from tests.calls.test_application import ev

ORG = Organisation.load(DEFAULT_ORGANISATION)


def test_a_working_copy_shares_no_container_with_the_call(clock) -> None:
    centre = CallCentre(organisation=ORG, clock=clock)
    centre.ingest(ev("queued", T, queue="602", caller="09131234567"))
    call = centre.get_call(call_id_for_pbx("1763708400.101"))
    copy = working_copy(call)
    copy.missed_by.append("201")
    copy.pbx_event_ids.add("another")
    copy.callbacks.append({"by": "x"})
    copy.state = State.COMPLETED
    assert call.missed_by == [] and "another" not in call.pbx_event_ids and call.callbacks == []
    assert call.state == State.QUEUED
    assert copy.pending_events is not call.pending_events


def test_a_call_loaded_for_a_command_is_a_copy_that_leaves_the_cached_call_alone(clock) -> None:
    """get_call hands each request a working copy of the repository's cached call, not the call itself: what one
    command changes and never saves (refused, or lost to a conflict) is not what the next request loads."""
    centre = CallCentre(organisation=ORG, clock=clock)
    centre.ingest(ev("queued", T, queue="602", caller="09131234567"))
    call_id = call_id_for_pbx("1763708400.101")
    first = centre.get_call(call_id)
    first.missed_by.append("201")
    first.pbx_event_ids.add("another")
    first.callbacks.append({"by": "x"})
    first.state = State.COMPLETED
    again = centre.get_call(call_id)
    assert again is not first
    assert again.missed_by == [] and "another" not in again.pbx_event_ids and again.callbacks == []
    assert again.state == State.QUEUED


def test_a_batch_leaves_each_call_as_the_same_events_one_by_one_do(clock) -> None:
    story = [
        ev("ringing", T, caller="09131234567", callee="03136645000"),
        ev("queued", T + timedelta(seconds=2), queue="602", caller="09131234567"),
        ev("agent_missed", T + timedelta(seconds=20), queue="602", agent="201"),
        ev("queue_timeout", T + timedelta(seconds=40), queue="602"),
        ev("queued", T + timedelta(seconds=41), queue="700", caller="09131234567"),
        ev("abandoned", T + timedelta(seconds=90), queue="700"),
    ]
    one = CallCentre(organisation=ORG, clock=clock)
    batched = CallCentre(organisation=ORG, clock=clock)
    singles = [one.ingest(e) for e in story]
    together = batched.ingest_batch(story)
    assert [r.status for r in together] == [r.status for r in singles]
    a, b = (c.get_call(call_id_for_pbx("1763708400.101")) for c in (one, batched))
    assert (a.version, a.state, a.missed_by, a.unit, a.callback_due) == (
        b.version,
        b.state,
        b.missed_by,
        b.unit,
        b.callback_due,
    )
    # A replay of the same batch changes nothing.
    assert {r.status for r in batched.ingest_batch(story)} == {"duplicate"}


def test_a_second_writer_on_the_same_store_is_seen_through_the_cache(settings, clock) -> None:
    env = store_env(settings, "calls")
    first = CallCentre(env, organisation=ORG, clock=clock)
    second = CallCentre(env, organisation=ORG, clock=clock)
    assert first.ingest(ev("queued", T, queue="602", caller="09131234567")).status == "applied"  # cached in `first`
    assert second.ingest(ev("abandoned", T + timedelta(seconds=30), queue="602", event_id="ab")).status == "applied"
    # `first` holds the call in its cache at the older version: it must bring it up to date, not save over it.
    result = first.ingest(ev("abandoned", T + timedelta(seconds=30), queue="602", event_id="ab"))
    assert result.status == "duplicate"
    assert first.get_call(call_id_for_pbx("1763708400.101")).state == State.UNANSWERED


def test_a_batch_reads_its_calls_in_one_query_and_sees_another_writer_through_the_cache(settings, clock) -> None:
    env = store_env(settings, "calls")
    first = CallCentre(env, organisation=ORG, clock=clock)
    second = CallCentre(env, organisation=ORG, clock=clock)
    a = ev("queued", T, "c-a", queue="602", caller="09131234567")
    b = ev("queued", T, "c-b", queue="602", caller="09137654321")
    assert {r.status for r in first.ingest_batch([a, b])} == {"applied"}  # both calls now in `first`'s cache
    later = T + timedelta(seconds=30)
    assert second.ingest_batch([ev("abandoned", later, "c-a", queue="602", event_id="ab")])[0].status == "applied"
    queries: list[int] = []
    real = first._select_events_of
    first._select_events_of = lambda ids: queries.append(len(ids)) or real(ids)  # type: ignore[method-assign]
    # `first` holds c-a at an older version: the batch must read it again, not save over `second`'s event.
    results = first.ingest_batch(
        [ev("abandoned", later, "c-a", queue="602", event_id="ab"), ev("abandoned", later, "c-b", queue="602")]
    )
    assert [(r.status, r.reason) for r in results] == [("duplicate", None), ("applied", None)]
    assert queries == [2]  # both calls from one query
    assert first.get_call(call_id_for_pbx("c-a")).state == State.UNANSWERED
    assert second.get_call(call_id_for_pbx("c-b")).state == State.UNANSWERED


def test_a_call_saved_by_a_round_is_kept_in_the_cache_and_the_next_round_decodes_nothing(settings, clock) -> None:
    centre = CallCentre(store_env(settings, "calls"), organisation=ORG, clock=clock)
    assert centre.ingest_batch([ev("queued", T, "c-k", queue="602", caller="09131234567")])[0].status == "applied"
    call_id = call_id_for_pbx("c-k")
    assert centre.repository.cache.get(call_id).version == centre.latest_version(call_id)
    decoded: list[object] = []
    real = centre.mapper.to_domain_event
    centre.mapper.to_domain_event = lambda stored: decoded.append(stored) or real(stored)  # type: ignore[method-assign]
    later = ev("abandoned", T + timedelta(seconds=30), "c-k", queue="602")
    assert centre.ingest_batch([later])[0].status == "applied"
    assert decoded == []  # the round took the call from the cache, at its stored version
    assert centre.get_call(call_id).state == State.UNANSWERED


def test_the_next_event_of_a_call_saved_here_reads_nothing_from_the_store(settings, clock, monkeypatch) -> None:
    centre = CallCentre(store_env(settings, "calls"), organisation=ORG, clock=clock)
    assert centre.ingest(ev("queued", T, queue="602", caller="09131234567")).status == "applied"
    reads: list[object] = []
    real = centre.recorder.select_events
    monkeypatch.setattr(centre.recorder, "select_events", lambda *a, **k: reads.append(a) or real(*a, **k))
    assert centre.ingest(ev("agent_missed", T + timedelta(seconds=20), queue="602", agent="201")).status == "applied"
    assert centre.ingest(ev("abandoned", T + timedelta(seconds=30), queue="602")).status == "applied"
    assert reads == []
    stored = CallCentre(store_env(settings, "calls"), organisation=ORG, clock=clock)
    call = stored.get_call(call_id_for_pbx("1763708400.101"))
    assert (call.version, call.state, call.missed_by) == (5, State.UNANSWERED, ["r.sadeghi"])


def test_an_event_that_changes_nothing_on_the_remembered_call_is_decided_again_on_the_stored_one(
    settings, clock
) -> None:
    env = store_env(settings, "calls")
    first = CallCentre(env, organisation=ORG, clock=clock)
    second = CallCentre(env, organisation=ORG, clock=clock)
    assert first.ingest(ev("queued", T, queue="602", caller="09131234567")).status == "applied"  # kept by `first`
    # Meanwhile the call went to member relations through `second`, where an expert answered it.
    assert second.ingest(ev("queued", T + timedelta(seconds=61), queue="700")).status == "applied"
    assert second.ingest(ev("answered", T + timedelta(seconds=70), queue="700", agent="301")).status == "applied"
    # On the call `first` remembers (queued at a unit) a transfer means nothing; on the stored call it hands the
    # caller to an expert.
    result = first.ingest(ev("transferred", T + timedelta(minutes=3), queue="700", agent="301", target="212"))
    assert result.status == "applied"
    assert first.get_call(call_id_for_pbx("1763708400.101")).state == State.TRANSFERRED


def test_concurrent_batches_are_stored_in_one_transaction_each_with_its_own_results(clock) -> None:
    centre = CallCentre(organisation=ORG, clock=clock)
    gate, entered = threading.Event(), threading.Event()
    real = centre.telephony._ingest_batch_retrying
    sizes: list[int] = []

    def slow_first(events):
        if not sizes:
            entered.set()
            assert gate.wait(10)
        sizes.append(len(events))
        return real(events)

    centre.telephony.group._run = slow_first
    asked: list[list[str]] = []  # the member lookups: one query per transaction, not one per request
    centre.member_lookup_many = lambda numbers: asked.append(list(numbers)) or {}
    out: dict[str, list] = {}

    def post(name: str, events) -> None:
        out[name] = centre.ingest_batch(events)

    a = threading.Thread(target=post, args=("a", [ev("queued", T, "c-a", queue="602", caller="09131234567")]))
    a.start()
    assert entered.wait(10)
    b = threading.Thread(target=post, args=("b", [ev("queued", T, "c-b", queue="601", caller="09131234567")]))
    c = threading.Thread(
        target=post,
        args=(
            "c",
            [
                ev("queued", T, "c-c", queue="603", caller="09131234567"),
                ev("abandoned", T + timedelta(seconds=30), "c-c", queue="603"),
            ],
        ),
    )
    b.start()
    c.start()
    for _ in range(10000):
        if centre.telephony.group.waiting() == 2:
            break
        threading.Event().wait(0.001)
    gate.set()
    for t in (a, b, c):
        t.join(10)
    assert sizes == [1, 3]  # b and c together in the second transaction
    assert asked == [["+989131234567"], ["+989131234567"]]  # b's and c's caller looked up once, for both
    assert [r.call_id for r in out["b"]] == [str(call_id_for_pbx("c-b"))]
    assert [r.status for r in out["c"]] == ["applied", "applied"]
    assert centre.get_call(call_id_for_pbx("c-c")).state == State.UNANSWERED
    assert centre.get_call(call_id_for_pbx("c-b")).unit == "membership"


def test_concurrent_writers_leave_a_notification_log_without_gap_or_duplicate(settings, clock) -> None:
    """Eight request threads posting batches at once (group commit merging some of them) into a SQLite store: the
    log the relay follows holds every domain event once, numbered 1..N without a gap."""
    centre = CallCentre(store_env(settings, "calls"), organisation=ORG, clock=clock)
    errors: list[BaseException] = []

    def writer(w: int) -> None:
        try:
            for b in range(5):
                events = []
                for k in range(4):
                    pbx = f"w{w}-b{b}-c{k}"
                    events += [
                        ev("queued", T, pbx, queue="602", caller="09131234567"),
                        ev("abandoned", T + timedelta(seconds=30), pbx, queue="602"),
                    ]
                assert {r.status for r in centre.ingest_batch(events)} == {"applied"}
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    notifications = centre.recorder.select_notifications(0, 10_000, inclusive_of_start=False)
    ids = [n.id for n in notifications]
    assert ids == list(range(1, len(ids) + 1))
    keys = [(n.originator_id, n.originator_version) for n in notifications]
    assert len(set(keys)) == len(keys)
    calls = {n.originator_id for n in notifications if ":Call." in n.topic}
    assert len(calls) == 8 * 5 * 4
    # Every call got its whole story: received, routed, registered unanswered, the caller hung up.
    assert all(centre.get_call(c).state == State.UNANSWERED for c in calls)


def test_a_rebuilt_call_index_equals_the_one_built_live(tmp_path, clock) -> None:
    from services.calls.index import CallIndex
    from shared.calendar import BusinessCalendar
    from shared.db import create_engine

    centre = CallCentre(organisation=ORG, clock=clock)
    index = CallIndex(centre, create_engine(f"sqlite:///{tmp_path}/index.db"), BusinessCalendar.preset("IR"))
    for k in range(6):
        pbx = f"idx-{k}"
        centre.ingest_batch(
            [
                ev("queued", T, pbx, queue="602" if k % 2 else "601", caller="09131234567"),
                ev("abandoned", T + timedelta(seconds=30), pbx, queue="602" if k % 2 else "601"),
            ]
        )
        index.follower.catch_up()
    live = sorted(index.search(limit=100), key=lambda r: r["id"])
    assert len(live) == 6 and {r["state"] for r in live} == {"unanswered"}
    assert index.rebuild() > 0
    assert sorted(index.search(limit=100), key=lambda r: r["id"]) == live


def _stored_summaries(centre: CallCentre, ids) -> list[dict]:
    return sorted((json.loads(dumps(call_summary(centre.get_call(i))).decode()) for i in ids), key=lambda r: r["id"])


def test_the_index_folds_the_events_it_reads_even_across_a_gap_and_a_retried_batch(tmp_path, clock) -> None:
    """The index folds each call from the notifications instead of loading it; what it stores is what loading the
    call would give, also when another replica indexed some of the call's events (a gap: loaded at that version),
    when the folded calls were forgotten, and when a batch is applied again after a conflict."""
    from services.calls.index import CallIndex
    from shared.calendar import BusinessCalendar
    from shared.db import create_engine

    centre = CallCentre(organisation=ORG, clock=clock)
    engine = create_engine(f"sqlite:///{tmp_path}/index.db")
    index = CallIndex(centre, engine, BusinessCalendar.preset("IR"))
    replica = CallIndex(centre, engine, BusinessCalendar.preset("IR"))  # follows the same position
    pbx = [f"fold-{k}" for k in range(4)]
    for p in pbx:
        centre.ingest(ev("queued", T, p, queue="602", caller="09131234567"))
    index.follower.catch_up()
    for p in pbx[:2]:
        centre.ingest(ev("abandoned", T + timedelta(seconds=30), p, queue="602"))
    replica.follower.catch_up()  # the first index never sees these events
    for p in pbx:
        centre.ingest(ev("agent_missed", T + timedelta(seconds=40), p, queue="602", agent="201"))
    for p in pbx[2:]:
        centre.ingest(ev("abandoned", T + timedelta(seconds=50), p, queue="602"))
    ids = [call_id_for_pbx(p) for p in pbx]
    clock.advance(minutes=30)
    centre.record_callback(ids[0], by="f.alavi", outcome=CallbackOutcome.NOT_REACHED, note="no answer")
    index.follower.catch_up()
    assert sorted(index.search(limit=100), key=lambda r: r["id"]) == _stored_summaries(centre, ids)

    # The same notifications folded again (a batch retried after a conflict) change nothing.
    notifications = centre.recorder.select_notifications(0, 1000, inclusive_of_start=False)
    again = {str(c.id): call_summary(c) for c in index._fold([n for n in notifications if ":Call." in n.topic])}
    assert again == {str(i): call_summary(centre.get_call(i)) for i in ids}

    # Forgotten folded calls are loaded from the store at the version the next event needs.
    index._folded.clear()
    centre.record_callback(ids[1], by="f.alavi", outcome=CallbackOutcome.RESOLVED, note="settled")
    index.follower.catch_up()
    assert sorted(index.search(limit=100), key=lambda r: r["id"]) == _stored_summaries(centre, ids)
    assert index.rebuild() > 0
    assert sorted(index.search(limit=100), key=lambda r: r["id"]) == _stored_summaries(centre, ids)


def test_a_queue_page_is_cut_in_sql_and_equals_the_slice_of_the_whole_queue(tmp_path, clock) -> None:
    from services.calls.index import CallIndex
    from shared.calendar import BusinessCalendar
    from shared.db import create_engine

    centre = CallCentre(organisation=ORG, clock=clock)
    index = CallIndex(centre, create_engine(f"sqlite:///{tmp_path}/index.db"), BusinessCalendar.preset("IR"))
    for k in range(7):
        at = T + timedelta(minutes=k)
        centre.ingest_batch(
            [
                ev("queued", at, f"page-{k}", queue="602" if k % 3 else "601", caller="09131234567"),
                ev("abandoned", at + timedelta(seconds=30), f"page-{k}", queue="602" if k % 3 else "601"),
            ]
        )
    index.follower.catch_up()
    whole = index.queue(unit="trade")
    assert len(whole) == 4
    assert index.queue_page(unit="trade", limit=2, offset=1) == (whole[1:3], 4)
    assert index.queue_page(unit="trade", limit=10, offset=4) == ([], 4)
    assert index.queue_page(unit="membership", limit=10) == (index.queue(unit="membership"), 3)
