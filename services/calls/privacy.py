"""A call's personal data: the caller's number (an outgoing call's dialled number), the name and number taken down, the subject and the notes.

They are sealed (shared/privacy.py) with the key of the caller, not of the call: the member's own key when the
number is a known member's (so erasing the member erases their calls too), otherwise a key per caller number
named by a keyed hash of it (shared/privacy_subjects.py; `crm privacy erase --caller`). Every value sealed this way names its subject (`of`),
so a reader opens it without knowing whose the call was.

Sealing happens on the ingest path, once or twice per PBX event: whose a call is is kept in a bounded cache here,
and that person's key in the key store's own (shared/keystore.py), which drops a key as soon as any process erases
it, so sealing reads nothing from disk per event and an erasure holds at once for every reader.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from eventsourcing.persistence import Mapper

from shared.phones import e164, parse_phone
from shared.privacy import KeyStore, Sealer, is_sealed

# The caller's number as dialled and normalised; the number an outgoing call dialled; what member relations took down
# (name, number, subject); the staff's notes on the call; the complaint a callback referred, with the caller's name,
# number and description.
CALL_FIELDS = frozenset(
    {"caller_raw", "caller", "callee", "contact_name", "contact_phone", "subject", "note", "description", "phone"}
    | {"complainant_name"}
)
RECEIVED = ":Call.Received"
OUTGOING = "outgoing"


def other_party(direction: str, caller: str | None, callee: str | None, region: str) -> str | None:
    """The number of the person at the other end, in E.164: the caller's; for an outgoing call placed with only
    the number dialled, that number. None when there is none."""
    if caller or direction != OUTGOING or not callee:
        return caller
    parsed = parse_phone(callee, region)
    return e164(parsed) if parsed else None


CACHE_SIZE = 10_000


class _Bounded(OrderedDict[str, Any]):
    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def put(self, key: str, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        if len(self) > self.size:
            self.popitem(last=False)


class CallSubjects:
    """Whose key seals an event of a call: decided by the call's Received event, remembered per call (bounded);
    for a call not remembered, read from its stored Received event."""

    def __init__(self, app: Any, size: int = CACHE_SIZE):
        self.app = app  # its recorder and mapper exist only once it is built: read when first needed
        self._calls = _Bounded(size)
        self._lock = threading.Lock()

    def __call__(self, aggregate_id: str, topic: str, state: Mapping[str, Any]) -> str:
        if topic.endswith(RECEIVED):
            person = self.app.callers.call_person(state.get("member_id"), _number_of(state, self.app.region))
        else:
            with self._lock:
                person = self._calls.get(aggregate_id)
            if person is None:
                person = self._stored(aggregate_id)
        person = person or aggregate_id
        with self._lock:
            self._calls.put(aggregate_id, person)
        return person

    def _stored(self, aggregate_id: str) -> str | None:
        try:
            events = self.app.recorder.select_events(uuid.UUID(aggregate_id), lte=1)
        except ValueError:
            return None
        if not events:
            return None
        mapper: Mapper[Any] = self.app.mapper
        state = events[0].state
        if mapper.cipher:
            state = mapper.cipher.decrypt(state)
        if mapper.compressor:
            state = mapper.compressor.decompress(state)
        data = mapper.transcoder.decode(state)
        for value in data.values():
            if is_sealed(value) and "of" in value:
                return str(value["of"])
        return self.app.callers.call_person(data.get("member_id"), _number_of(data, self.app.region))  # not sealed


def _number_of(state: Mapping[str, Any], region: str) -> str | None:
    caller, callee = state.get("caller"), state.get("callee")
    return other_party(
        str(state.get("direction")),
        caller if isinstance(caller, str) else None,
        callee if isinstance(callee, str) else None,
        region,
    )


class CallSealer(Sealer):
    """The number an incoming call dialled is the chamber's own line: it stays plain; an outgoing call's is the
    person's, sealed with the rest of the call."""

    def seal_state(self, subject: str, topic: str, state: dict[str, Any]) -> dict[str, Any]:
        out = super().seal_state(subject, topic, state)
        if topic.endswith(RECEIVED) and str(state.get("direction")) != OUTGOING and "callee" in state:
            out["callee"] = state["callee"]
        return out


def call_sealer(keys: KeyStore, fields: Mapping[str, frozenset[str]], app: Any) -> Sealer:
    """The calls service's sealer: each call's data under its caller's key (the key store caches the keys)."""
    return CallSealer(keys, fields, subject_of=CallSubjects(app))
