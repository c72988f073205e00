"""The complaints service's dependencies that only look the desk or the index up on the app run on the event loop:
as plain `def`s FastAPI ran each in the thread pool, a hop to a thread and back per dependency and request."""

from __future__ import annotations

import inspect

from fastapi.dependencies.utils import get_dependant

from services.complaints import access, deps
from services.complaints.api_handling import assign_handler


def test_the_desk_and_index_lookups_are_coroutines() -> None:
    for lookup in (deps.get_desk, deps.get_index, access._desk):
        assert inspect.iscoroutinefunction(lookup), lookup.__name__


def test_a_complaint_step_resolves_no_plain_lookup_in_a_thread() -> None:
    def walk(dependant):
        for sub in dependant.dependencies:
            yield sub.call
            yield from walk(sub)

    calls = list(walk(get_dependant(path="/complaints/{complaint_id}/assign", call=assign_handler)))
    lookups = [c for c in calls if getattr(c, "__name__", "") in ("get_desk", "get_index", "_desk")]
    assert lookups and all(inspect.iscoroutinefunction(c) for c in lookups)
