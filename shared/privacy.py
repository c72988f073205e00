"""Personal data in the event stores, sealed with a key per person (crypto-shredding).

A service names the fields of its events that hold personal data (names, numbers, addresses, free text naming
someone). Each such value is stored sealed: AES-256-GCM under the key of the person the event is about (the
aggregate's id), bound to that person and field. The store, the audit exports and their hash chains only ever
hold the sealed bytes. Erasing a person deletes the key: the sealed values stay where they are, byte for byte (so
every export and digest made before still verifies), and can never be opened again; reading them gives ERASED.

Keys live in a KeyStore: by default one SQLite file in the key folder (`CRM_PRIVACY_KEYS_DIR`, under the data
folder; shared/keystore.py), cached in memory and written a batch of events at a time; a key-management service fits
the same calls (`key`, `delete`, and optionally `batch`).
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any, Protocol

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import (
    AggregateRecorder,
    EventStore,
    Mapper,
    Notification,
    Recording,
    StoredEvent,
)
from eventsourcing.utils import get_topic

from shared.keystore import KeyConflict as KeyConflict
from shared.keystore import SqliteKeyStore as SqliteKeyStore

SEALED = "_sealed_"  # the key of a sealed value's wrapper: {"_sealed_": "v1", "ct": "<base64 nonce+ciphertext>"}
VERSION = "v1"
ERASED = "[erased]"  # what a sealed text reads as once its person's key is deleted


class KeyStore(Protocol):
    """Where the per-person keys live. `key` creates one on first use; `delete` is the erasure; `secret` is a
    random value of the store's own, made once and never erased (it keys the names of callers' keys)."""

    def key(self, subject: str, *, create: bool) -> bytes | None: ...

    def delete(self, subject: str) -> bool: ...

    def secret(self, name: str) -> bytes: ...


class MemoryKeyStore:
    """Keys in memory: for an in-memory store (tests, scripts), which lives no longer than they do."""

    def __init__(self) -> None:
        self._keys: dict[str, bytes] = {}
        self._deleted: set[str] = set()
        self._secrets: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def secret(self, name: str) -> bytes:
        with self._lock:
            return self._secrets.setdefault(name, secrets.token_bytes(32))

    def key(self, subject: str, *, create: bool) -> bytes | None:
        with self._lock:
            found = self._keys.get(subject)
            if found is None and create and subject not in self._deleted:
                found = self._keys[subject] = AESGCM.generate_key(bit_length=256)
            return found

    def delete(self, subject: str) -> bool:
        with self._lock:
            self._deleted.add(subject)
            return self._keys.pop(subject, None) is not None


# Whose data an event holds, when it is not the aggregate's own person: (aggregate id, event topic, event state) ->
# the subject whose key seals it (a call's caller: the member, or the caller's number).
SubjectOf = Callable[[str, str, Mapping[str, Any]], str]


class Sealer:
    """Seals and opens the personal fields of event states with their person's key."""

    def __init__(self, keys: KeyStore, fields: Mapping[str, Iterable[str]], *, subject_of: SubjectOf | None = None):
        """`fields`: per aggregate class (Member), the names of its events' personal fields: a plain name is
        personal in every event of the aggregate, `Event.name` only in that event (a Decided's `reason` names the
        complainant's case; a ComplainantErased's `reason` is the erasure's own, and stays readable).
        `subject_of`: whose key seals an event, when not the aggregate's (default: the aggregate)."""
        self.keys = keys
        self.fields = {aggregate: frozenset(names) for aggregate, names in fields.items()}
        self.subject_of = subject_of
        self._topic_fields: dict[str, frozenset[str]] = {}
        # Per thread, inside `batch` or `reading`: each key's AESGCM, made once for all the values it seals or opens
        # there (making one cost twice as much as opening a value with it). Dropped on leaving.
        self._scope = threading.local()

    def fields_of(self, topic: str) -> frozenset[str]:
        """The personal fields of the events of one topic ("services.members.domain:Member.Registered")."""
        found = self._topic_fields.get(topic)
        if found is None:
            aggregate, _, event_name = topic.partition(":")[2].partition(".")
            names = self.fields.get(aggregate, frozenset())
            found = frozenset(
                n.partition(".")[2] if "." in n else n for n in names if "." not in n or n.startswith(f"{event_name}.")
            )
            self._topic_fields[topic] = found
        return found

    def seal_state(self, subject: str, topic: str, state: dict[str, Any]) -> dict[str, Any]:
        """A copy of `state` with each personal field (and each personal key of a dict field, such as the changes
        of an update) sealed. None stays None: that a field is empty is not personal."""
        fields = self.fields_of(topic)
        if not fields:
            return state
        if self.subject_of is not None:
            subject = self.subject_of(subject, topic, state)
        out = dict(state)
        found: list[bytes | None] = []  # the person's key, looked up once for all the fields of the event

        def seal(name: str, value: Any) -> Any:
            if value is None or is_sealed(value):
                return value
            if not found:
                found.append(self.keys.key(subject, create=True))
            return self._seal_with(found[0], subject, name, value)

        for name, value in state.items():
            if name in fields:
                out[name] = seal(name, value)
            elif isinstance(value, dict) and not is_sealed(value) and any(k in fields for k in value):
                out[name] = {k: seal(k, v) if k in fields else v for k, v in value.items()}
        return out

    def open_state(self, subject: str, state: dict[str, Any]) -> None:
        """Open the sealed values of `state` in place (ERASED once the key is gone). A value sealed for another
        person than the aggregate names that person (`of`)."""
        found: dict[str, bytes | None] = {}  # each person's key, looked up once for all the fields of the event

        def open_(name: str, value: dict[str, Any]) -> Any:
            whose = value.get("of", subject)
            if whose not in found:
                found[whose] = self.keys.key(whose, create=False)
            return self._open_with(found[whose], whose, name, value)

        for name, value in state.items():
            if isinstance(value, dict):  # most values are neither dict nor list: asked first, as this runs per event
                if is_sealed(value):
                    state[name] = open_(name, value)
                else:
                    for k, v in value.items():
                        if is_sealed(v):
                            value[k] = open_(k, v)
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                # a list of people (an announcement's recipients), each item's values sealed for that person
                for item in value:
                    if isinstance(item, dict):
                        for k, v in item.items():
                            if is_sealed(v):
                                item[k] = open_(k, v)

    def seal(self, subject: str, field: str, value: Any) -> Any:
        if value is None or is_sealed(value):
            return value
        return self._seal_with(self.keys.key(subject, create=True), subject, field, value)

    def open(self, subject: str, field: str, value: dict[str, Any]) -> Any:
        subject = value.get("of", subject)
        return self._open_with(self.keys.key(subject, create=False), subject, field, value)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Keys made while sealing inside are stored together on leaving, for key stores that can (SqliteKeyStore);
        leave it before storing what was sealed."""
        batch = getattr(self.keys, "batch", None)
        with batch() if batch is not None else nullcontext(), self._ciphers():
            yield

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Many events opened one after the other (a batch the relay publishes): the key store checks for erasures
        by other processes once, on entering, for key stores that can (SqliteKeyStore), rather than per lookup.
        Enter it again for the next batch, so that an erasure made meanwhile holds there."""
        reading = getattr(self.keys, "reading", None)
        with reading() if reading is not None else nullcontext(), self._ciphers():
            yield

    @contextmanager
    def _ciphers(self) -> Iterator[None]:
        if getattr(self._scope, "ciphers", None) is not None:  # nested: the outer scope's
            yield
            return
        self._scope.ciphers = {}
        try:
            yield
        finally:
            self._scope.ciphers = None

    def _aead(self, key: bytes) -> AESGCM:
        ciphers: dict[bytes, AESGCM] | None = getattr(self._scope, "ciphers", None)
        if ciphers is None:
            return AESGCM(key)
        found = ciphers.get(key)
        if found is None:
            found = ciphers[key] = AESGCM(key)
        return found

    def _seal_with(self, key: bytes | None, subject: str, field: str, value: Any) -> Any:
        if key is None:  # the person was erased: nothing new about them is kept readable
            return ERASED if isinstance(value, str) else None
        nonce = secrets.token_bytes(12)
        sealed = self._aead(key).encrypt(nonce, _plain_json(value), f"{subject}/{field}".encode())
        out = {SEALED: VERSION, "kind": _kind(value), "ct": base64.b64encode(nonce + sealed).decode()}
        if self.subject_of is not None:
            out["of"] = subject
        return out

    def _open_with(self, key: bytes | None, subject: str, field: str, value: dict[str, Any]) -> Any:
        if key is None:
            return erased_value(value)
        raw = base64.b64decode(value["ct"])
        try:
            plain = self._aead(key).decrypt(raw[:12], raw[12:], f"{subject}/{field}".encode())
        except InvalidTag:
            raise ValueError(f"a sealed {field} of {subject} does not open with its key") from None
        return _from_plain_json(plain)

    def erased(self, subject: str) -> bool:
        return self.keys.key(subject, create=False) is None


# Built once: json.dumps with options builds a new encoder for every value sealed.
_PLAIN_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _plain_json(value: Any) -> bytes:
    """The JSON of a value to seal, as json.dumps(value, ensure_ascii=False, separators=(",", ":")) wrote it: a
    text (most personal values) by orjson, which writes texts to the same bytes, anything else by the standard
    library's encoder, built once (tests/shared/test_privacy_json.py)."""
    if type(value) is str:
        try:
            return orjson.dumps(value)
        except orjson.JSONEncodeError:  # a lone surrogate: the standard library's error, as before
            pass
    return _PLAIN_ENCODER.encode(value).encode()


def _from_plain_json(plain: bytes) -> Any:
    """json.loads(plain), parsed in C. orjson reads an integer past 64 bits as a float, and floats are rare in
    personal data: a value holding a float is read again by the standard library."""
    try:
        value = orjson.loads(plain)
    except orjson.JSONDecodeError:  # NaN, a lone surrogate: the standard library's reading (or error)
        return json.loads(plain)
    if type(value) is str or not _has_float(value):
        return value
    return json.loads(plain)


def _has_float(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is float:
            return True
        if kind is dict:
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
    return False


def is_sealed(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SEALED) == VERSION and "ct" in value


SEALED_TEXT = "[sealed]"  # how a view without keys (the CSV of an export) shows a sealed value


def masked(value: Any) -> Any:
    """`value` with every sealed value in it shown as SEALED_TEXT (for reading, never for hashing)."""
    if is_sealed(value):
        return SEALED_TEXT
    if isinstance(value, dict):
        return {k: masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    return value


def _kind(value: Any) -> str:
    """The shape of a sealed value, kept beside it so that an erased one reads as the same shape."""
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, dict):
        return "object"
    return "other"


def erased_value(sealed: dict[str, Any]) -> Any:
    """What an erased value reads as, in its own shape: ERASED for a text, an empty list of contacts, and so on."""
    return {"text": ERASED, "list": [], "object": {}}.get(sealed.get("kind", "text"))


class SealingMapper(Mapper[Any]):
    """The application's mapper, sealing the personal fields before the transcoder and opening them after it.
    The person is the aggregate the event belongs to."""

    def __init__(self, sealer: Sealer, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.sealer = sealer

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        state = vars(domain_event)
        sealed_state = self.sealer.seal_state(str(state["originator_id"]), get_topic(type(domain_event)), state)
        if sealed_state is state:
            return super().to_stored_event(domain_event)
        copy = object.__new__(type(domain_event))
        object.__setattr__(copy, "__dict__", sealed_state)
        return super().to_stored_event(copy)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        event = super().to_domain_event(stored_event)
        self.sealer.open_state(str(stored_event.originator_id), vars(event))
        return event


class SealingEventStore(EventStore[Any]):
    """The application's event store: seals a save's events as one batch of the key store, so that the keys made
    for them are stored together, before the events (an event is never stored sealed with a key that is not)."""

    def __init__(self, mapper: SealingMapper, recorder: AggregateRecorder):
        super().__init__(mapper, recorder)
        self.sealer = mapper.sealer

    def put(self, domain_events: Sequence[Any], **kwargs: Any) -> list[Recording[Any]]:
        for attempt in range(3):
            try:
                with self.sealer.batch():
                    stored_events = [self.mapper.to_stored_event(e) for e in domain_events]
                break
            except KeyConflict:  # another process stored a key first (or erased the person): seal again with it
                if attempt == 2:
                    raise
        notification_ids = self.recorder.insert_events(stored_events, **kwargs)
        if not notification_ids:
            return []
        return [
            Recording(
                d,
                Notification(
                    originator_id=s.originator_id,
                    originator_version=s.originator_version,
                    topic=s.topic,
                    state=s.state,
                    id=n_id,
                ),
            )
            for d, s, n_id in zip(domain_events, stored_events, notification_ids, strict=True)
        ]
