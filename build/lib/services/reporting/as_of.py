"""`as_of` on every report: the read model as it stood at a past moment, and that moment as the report's "now".

A report asked `as_of` a time is computed from a fresh model into which the events the read model had applied by
then are replayed (ReadModel.as_of), and its working-time figures are counted to that time: it answers what the
report showed then. A day (ISO or Solar Hijri) means the end of that day in the chamber's time zone; a time without
a zone is the chamber's local time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from services.reporting.readmodel import ReadModel
from shared.as_of import FUTURE, AsOfText, parse_as_of

__all__ = ["AsOfText", "parse_as_of"]


class AsOfCache:
    """The last few replayed models, by moment and by how many events they hold: asking the same past moment again
    (a paged list, a CSV after the JSON) replays nothing."""

    def __init__(self, size: int = 4):
        self.size = size
        self._models: OrderedDict[tuple[datetime, int], ReadModel] = OrderedDict()
        self._lock = threading.Lock()

    def model(self, live: ReadModel, when: datetime) -> ReadModel:
        key = (when, live.journaled_by(when))
        with self._lock:
            found = self._models.get(key)
            if found is not None:
                self._models.move_to_end(key)
                return found
            replica = live.as_of(when)
            self._models[key] = replica
            while len(self._models) > self.size:
                _, dropped = self._models.popitem(last=False)
                dropped.engine.dispose()
            return replica


def get_readmodel(request: Request, as_of: AsOfText = None) -> ReadModel:
    """The live read model, or with `as_of` the model as it stood then (422 for a moment unreadable or to come)."""
    readmodel: ReadModel = request.app.state.readmodel
    readmodel.refresh_calendar()  # a closure the processor applied counts here too, without a restart
    if as_of is None:
        return readmodel
    try:
        when = parse_as_of(as_of, readmodel.calendar)
    except (ValueError, OverflowError) as exc:
        raise HTTPException(422, f"query.as_of: {exc}") from None
    if when > request.app.state.clock().astimezone(UTC):
        raise HTTPException(422, f"query.as_of: {FUTURE}")
    cache: AsOfCache | None = getattr(request.app.state, "as_of_cache", None)
    if cache is None:
        cache = request.app.state.as_of_cache = AsOfCache()
    request.state.as_of = when
    return cache.model(readmodel, when)


def now_of(request: Request) -> datetime:
    """The report's "now": the `as_of` moment when one was asked, else the clock's."""
    when: datetime | None = getattr(request.state, "as_of", None)
    return when if when is not None else request.app.state.clock()


ReadModelDep = Annotated[ReadModel, Depends(get_readmodel)]
