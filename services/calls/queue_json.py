"""The queues' pages as JSON, each call's public part validated and serialised once per version of the call.

A queue page is 50 calls with every callback attempt of each: validating and serialising them against the response
model on every read was more than half of a queue read's CPU (bench/command_api.py), for calls that had not changed
since the last read. Here a call's `CallPublic` JSON is kept with a digest of the summary it came from and used
again as long as the index holds the same summary for the call; only the fields that depend on the moment (the
working time left) or on other records (the member's name) are serialised per read. The bytes are the ones FastAPI
would send for `list[QueueItem]`: the public part is pydantic's own JSON of `CallPublic`, the rest pydantic's JSON of
the `QueueItem` fields that `CallPublic` has not, in `QueueItem`'s order.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
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


@dataclass(frozen=True, slots=True)
class RenderedCall:
    digest: bytes  # of the index's summary it was rendered from (the summary itself is not kept twice)
    head: bytes  # the call's CallPublic JSON without its closing brace
    member_id: str | None
    received_at: datetime
    due: datetime | None  # the callback deadline, else the member-relations follow-up deadline


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

    def rendered(self, call_id: str, summary: str) -> RenderedCall:
        with self._lock:
            if self._erasures() != self._seen_erasures:
                self._seen_erasures = self._erasures()
                self._held.clear()
            held = self._held.get(call_id)
            digest = hashlib.blake2b(summary.encode(), digest_size=16).digest()
            if held is not None and held.digest == digest:
                self._held.move_to_end(call_id)
                return held
        item = json.loads(summary)
        due_text = item.get("callback_due") or item.get("follow_up_due")
        made = RenderedCall(
            digest=digest,
            head=_PUBLIC.dump_json(_PUBLIC.validate_python(item))[:-1],
            member_id=item.get("member_id"),
            received_at=datetime.fromisoformat(item["received_at"]),
            due=datetime.fromisoformat(due_text) if due_text else None,
        )
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
        calls = [self.rendered(call_id, summary) for call_id, summary in rows]
        names = names_of(c.member_id for c in calls) if names_of is not None else {}
        parts = []
        for c in calls:
            extras = QueueExtras.model_validate(
                {
                    "member_name": names.get(c.member_id),
                    "received_at_local": calendar.format(c.received_at),
                    "due": c.due,
                    "due_local": calendar.format(c.due) if c.due else None,
                    "working_seconds_left": calendar.working_time_between(now, c.due).total_seconds()
                    if c.due
                    else None,
                }
            )
            parts.append(c.head + b"," + extras.__pydantic_serializer__.to_json(extras)[1:])
        return b"[" + b",".join(parts) + b"]"
