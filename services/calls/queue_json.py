"""The queues' pages as JSON, each call's public part validated and serialised once per version of the call.

A queue page is 50 calls with every callback attempt of each: validating and serialising them against the response
model on every read was more than half of a queue read's CPU (bench/command_api.py), for calls that had not changed
since the last read. Here a call's `CallPublic` JSON is kept with a digest of the summary it came from and used
again as long as the index holds the same summary for the call; only the fields that depend on the moment (the
working time left) or on other records (the member's name) are serialised per read. The bytes are the ones FastAPI
would send for `list[QueueItem]`: the public part is pydantic's own JSON of `CallPublic`, the rest pydantic's JSON of
the `QueueItem` fields that `CallPublic` has not, in `QueueItem`'s order.

Of those, the local times of the call and of its deadline depend on the call alone and are serialised with it. The
working time left is the working time from the moment of the read to the deadline: it is counted as the working
time from the start of the day (UTC midnight) to the deadline, kept with the call while the calendar and the day
are the same, less the working time from the start of the day to the moment of the read, counted once per page.
Counted per call and per read (the calendar's walk over the days between), it and the local times were two thirds
of a page's CPU.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, TypeAdapter, create_model

from services.calls.schemas import CallPublic, QueueItem
from shared.calendar import BusinessCalendar

_PUBLIC: TypeAdapter[CallPublic] = TypeAdapter(CallPublic)
# The fields a queue item adds to the call, with QueueItem's own types and order.
_EXTRA_FIELDS: dict[str, Any] = {
    name: (f.annotation, f) for name, f in QueueItem.model_fields.items() if name not in CallPublic.model_fields
}
QueueExtras: type[BaseModel] = create_model("QueueExtras", **_EXTRA_FIELDS)
_NAME: TypeAdapter[str | None] = TypeAdapter(str | None)
_SECONDS: TypeAdapter[float | None] = TypeAdapter(float | None)
# The extras' JSON is made once per call with these two left empty, and they are put in per read: the first and the
# last of the extras, so that the call's part between them is the bytes between these ends.
_NAME_KEY = b'"member_name":'
_SECONDS_KEY = b'"working_seconds_left":'
_NULL = b"null"
_EMPTY_START, _EMPTY_END = b"{" + _NAME_KEY + _NULL, b"," + _SECONDS_KEY + _NULL + b"}"


@dataclass(slots=True)
class RenderedCall:
    digest: bytes  # of the index's summary it was rendered from (the summary itself is not kept twice)
    head: bytes  # the call's CallPublic JSON without its closing brace
    middle: bytes  # the extras between the member's name and the working time left: local times, the deadline
    member_id: str | None
    due: datetime | None  # the callback deadline, else the member-relations follow-up deadline
    made_for: BusinessCalendar  # the calendar whose local times `middle` holds, and whose working time `to_due` is
    # (revision of `made_for`, day start) -> working time from that day start to `due`: see the module's docstring
    to_due: tuple[int, datetime, timedelta] | None = None

    def working_left(self, day_start: datetime, to_now: timedelta) -> float | None:
        """Working seconds from the read (`to_now` after `day_start`) to the deadline; negative when late."""
        if self.due is None:
            return None
        calendar, kept = self.made_for, self.to_due
        if kept is None or kept[0] != calendar.revision or kept[1] != day_start:
            kept = (calendar.revision, day_start, calendar.working_time_between(day_start, self.due))
            self.to_due = kept
        return (kept[2] - to_now).total_seconds()


class RenderedCalls:
    """The calls of recent queue pages, rendered, the most recently read last; bounded. Dropped whole when the
    index has indexed an erasure (`erasures` changed), so that no rendering of an erased person's data outlives
    the index's own copy of it."""

    SIZE = 4096

    def __init__(self, erasures: Callable[[], int], size: int = SIZE):
        self._erasures = erasures
        self._seen_erasures = erasures()
        self._held: OrderedDict[str, RenderedCall] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._held)

    def rendered(self, call_id: str, summary: str, calendar: BusinessCalendar) -> RenderedCall:
        with self._lock:
            if self._erasures() != self._seen_erasures:
                self._seen_erasures = self._erasures()
                self._held.clear()
            held = self._held.get(call_id)
            digest = hashlib.blake2b(summary.encode(), digest_size=16).digest()
            if held is not None and held.digest == digest and held.made_for is calendar:
                self._held.move_to_end(call_id)
                return held
        item = json.loads(summary)
        return self._keep(call_id, self._render(item, digest, calendar))

    @staticmethod
    def _render(item: dict[str, Any], digest: bytes, calendar: BusinessCalendar) -> RenderedCall:
        due_text = item.get("callback_due") or item.get("follow_up_due")
        due = datetime.fromisoformat(due_text) if due_text else None
        received_at = datetime.fromisoformat(item["received_at"])
        extras = QueueExtras.model_validate(
            {
                "member_name": None,
                "received_at_local": calendar.format(received_at),
                "due": due,
                "due_local": calendar.format(due) if due else None,
                "working_seconds_left": None,
            }
        )
        whole = extras.__pydantic_serializer__.to_json(extras)
        if not (whole.startswith(_EMPTY_START) and whole.endswith(_EMPTY_END)):
            raise RuntimeError(
                f"QueueItem's extras no longer start with the member's name and end with the time left: {whole!r}"
            )
        return RenderedCall(
            digest=digest,
            head=_PUBLIC.dump_json(_PUBLIC.validate_python(item))[:-1],
            middle=whole[len(_EMPTY_START) : -len(_EMPTY_END)],
            member_id=item.get("member_id"),
            due=due,
            made_for=calendar,
        )

    def _keep(self, call_id: str, made: RenderedCall) -> RenderedCall:
        with self._lock:
            self._held[call_id] = made
            self._held.move_to_end(call_id)
            while len(self._held) > self._size:
                self._held.popitem(last=False)
        return made

    def page(
        self,
        rows: Iterable[tuple[str, str]],
        calendar: BusinessCalendar,
        now: datetime,
        names_of: Callable[[Iterable[str | None]], dict[Any, str]] | None,
    ) -> bytes:
        """The JSON array of a page's (call id, summary) rows as `QueueItem`s, each deadline in the chamber's
        calendar with the working time left from `now`."""
        calls = [self.rendered(call_id, summary, calendar) for call_id, summary in rows]
        names = names_of(c.member_id for c in calls) if names_of is not None else {}
        day_start = datetime.combine(now.astimezone(UTC).date(), time(), UTC)
        to_now = calendar.working_time_between(day_start, now)
        parts = []
        for c in calls:
            name = names.get(c.member_id)
            left = c.working_left(day_start, to_now)  # c.made_for is `calendar` (rendered() saw to it)
            parts.append(
                b"".join(
                    (
                        c.head,
                        b"," + _NAME_KEY,
                        _NULL if name is None else _NAME.dump_json(name),
                        c.middle,
                        b"," + _SECONDS_KEY,
                        _NULL if left is None else _SECONDS.dump_json(left),
                        b"}",
                    )
                )
            )
        return b"[" + b",".join(parts) + b"]"
