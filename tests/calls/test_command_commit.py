"""Staff commands committed together: concurrent commands on different calls share one transaction, each keeps its
own outcome, and a command whose call changed meanwhile is refused (409) alone, as when each committed by itself."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest

from services.calls.application import CallCentre
from services.calls.domain import CallbackOutcome, call_id_for_pbx
from shared.eventstore import store_env
from shared.organisation import DEFAULT_ORGANISATION, Organisation
from shared.problems import DomainError
from tests.calls.test_application import SATURDAY_1030 as T
from tests.calls.test_application import ev

ORG = Organisation.load(DEFAULT_ORGANISATION)


def unanswered_calls(centre: CallCentre, n: int) -> list[uuid.UUID]:
    events = []
    for k in range(n):
        events += [
            ev("queued", T + timedelta(minutes=k), f"cmd-{k}", queue="602", caller="09131234567"),
            ev("abandoned", T + timedelta(minutes=k, seconds=30), f"cmd-{k}", queue="602"),
        ]
    centre.ingest_batch(events)
    return [call_id_for_pbx(f"cmd-{k}") for k in range(n)]


class HeldFirstRound:
    """Wraps the centre's store step: the first round waits until the test lets it go, so that the commands sent
    meanwhile queue for the next round."""

    def __init__(self, centre: CallCentre):
        self.store = centre._store_events
        self.entered = threading.Event()
        self.release = threading.Event()
        self.rounds: list[int] = []
        centre._commands._run = self

    def __call__(self, events: list[Any]) -> list[None]:
        if not self.rounds:
            self.rounds.append(len(events))
            self.entered.set()
            assert self.release.wait(10)
        else:
            self.rounds.append(len(events))
        return self.store(events)


def callback_in_thread(
    centre: CallCentre, call_id: uuid.UUID, note: str, out: dict[uuid.UUID | str, Any], loaded: Any = None
) -> threading.Thread:
    def run() -> None:
        try:
            out[note] = centre.record_callback(
                call_id, by="f.alavi", outcome=CallbackOutcome.NOT_REACHED, note=note, loaded=loaded
            )
        except DomainError as exc:
            out[note] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def wait_for_queue(centre: CallCentre, n: int) -> None:
    done = threading.Event()
    for _ in range(10_000):
        if centre._commands.waiting() >= n:
            return
        done.wait(0.001)
    raise AssertionError(f"{n} commands never queued")


@pytest.fixture
def centre(settings, clock) -> CallCentre:
    clock.now = T + timedelta(hours=1)
    return CallCentre(store_env(settings, "calls"), organisation=ORG, clock=clock)


def test_commands_sent_during_a_commit_share_the_next_transaction(centre) -> None:
    ids = unanswered_calls(centre, 5)
    held = HeldFirstRound(centre)
    out: dict[uuid.UUID | str, Any] = {}
    first = callback_in_thread(centre, ids[0], "first", out)
    assert held.entered.wait(10)
    others = [callback_in_thread(centre, i, f"note {n}", out) for n, i in enumerate(ids[1:])]
    wait_for_queue(centre, 4)
    held.release.set()
    for thread in (first, *others):
        thread.join(10)
    assert held.rounds == [1, 4]  # two commits for five commands
    for n, call_id in enumerate(ids[1:]):
        stored = centre.get_call(call_id)
        assert [c["note"] for c in stored.callbacks] == [f"note {n}"]
        assert out[f"note {n}"].version == stored.version  # what the command answered is what was stored
    assert [c["note"] for c in centre.get_call(ids[0]).callbacks] == ["first"]


def test_a_command_on_a_call_changed_meanwhile_is_refused_alone(centre) -> None:
    ids = unanswered_calls(centre, 3)
    stale = centre.get_call(ids[1])  # loaded before another command changes the call
    centre.record_callback(ids[1], by="f.alavi", outcome=CallbackOutcome.NOT_REACHED, note="meanwhile")
    held = HeldFirstRound(centre)
    out: dict[uuid.UUID | str, Any] = {}
    first = callback_in_thread(centre, ids[0], "first", out)
    assert held.entered.wait(10)
    late = callback_in_thread(centre, ids[1], "late", out, loaded=stale)
    fine = callback_in_thread(centre, ids[2], "fine", out)
    wait_for_queue(centre, 2)
    held.release.set()
    for thread in (first, late, fine):
        thread.join(10)
    assert isinstance(out["late"], DomainError) and "changed meanwhile" in str(out["late"])
    assert [c["note"] for c in centre.get_call(ids[1]).callbacks] == ["meanwhile"]
    assert [c["note"] for c in centre.get_call(ids[2]).callbacks] == ["fine"]
    assert [c["note"] for c in centre.get_call(ids[0]).callbacks] == ["first"]
    # The shared round failed on the stale call and each command was then stored on its own.
    assert held.rounds[0] == 1 and held.rounds[1] == 2


def test_two_commands_on_one_call_in_one_round_store_one_and_refuse_the_other(centre) -> None:
    ids = unanswered_calls(centre, 2)
    held = HeldFirstRound(centre)
    out: dict[uuid.UUID | str, Any] = {}
    first = callback_in_thread(centre, ids[0], "first", out)
    assert held.entered.wait(10)
    loaded = [centre.get_call(ids[1]), centre.get_call(ids[1])]  # two requests that loaded the same version
    a = callback_in_thread(centre, ids[1], "a", out, loaded=loaded[0])
    b = callback_in_thread(centre, ids[1], "b", out, loaded=loaded[1])
    wait_for_queue(centre, 2)
    held.release.set()
    for thread in (first, a, b):
        thread.join(10)
    refused = [note for note in ("a", "b") if isinstance(out[note], DomainError)]
    assert len(refused) == 1
    kept = "b" if refused == ["a"] else "a"
    assert [c["note"] for c in centre.get_call(ids[1]).callbacks] == [kept]


def test_a_command_that_changes_nothing_commits_nothing(centre) -> None:
    ids = unanswered_calls(centre, 1)
    before = centre.get_call(ids[0]).version
    rounds = centre._commands.rounds
    centre._command(ids[0], lambda call: None)
    assert centre._commands.rounds == rounds
    assert centre.get_call(ids[0]).version == before
