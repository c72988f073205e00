"""The events a service publishes, as an explicit, versioned contract: wire type -> event class -> JSON Schema.

The wire type (the CloudEvents `ce_type`, e.g. `crm.calls.call.answered.v1`) is declared, never derived from a
Python name: renaming or moving an event class leaves what consumers read unchanged, and a class the contract does
not declare is refused by the relay rather than published under a guessed name. Classes are named by their topic
(`module:Qualified.Name`) and resolved on first use, so a contract is plain data that imports no domain module
when it is defined.

Each payload schema is generated from the event class's typed fields through a pydantic model and committed as
JSON under `contracts/<service>/<wire type>.json` at the repository root. Those files are the contract other
services read; a test keeps them equal to what the code generates, so every change of a payload is a reviewed
diff, and a change that breaks consumers gets a new wire type (`.v2`) instead.
"""

from __future__ import annotations

import json
import threading
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pydantic
from eventsourcing.utils import resolve_topic

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# What eventsourcing keeps about every event but the envelope carries as headers (or not at all).
_ENVELOPE_FIELDS = frozenset({"timestamp", "originator_id", "originator_version", "originator_topic"})


class UndeclaredEvent(LookupError):
    """An event class that its service's contract does not declare: it has no wire type, so it is not published."""


class EventContract:
    """The events one service publishes: {wire type: event class topic}.

    `fields` narrows the published type of some fields ({wire type: {field: type}}), e.g. to an enumeration where
    the event class keeps a plain `str`: consumers then read the allowed values from the schema, not from code.
    """

    def __init__(
        self, service: str, events: Mapping[str, str], *, fields: Mapping[str, Mapping[str, Any]] | None = None
    ):
        prefix = f"crm.{service}."
        for wire_type in events:
            version = wire_type.rsplit(".", 1)[-1]
            if not wire_type.startswith(prefix) or not (version.startswith("v") and version[1:].isdigit()):
                raise ValueError(f"wire type {wire_type!r} must read {prefix}<name>.v<version>")
        if len(set(events.values())) != len(events):
            raise ValueError(f"contract of {service}: an event class is declared under two wire types")
        unknown = set(fields or ()) - set(events)
        if unknown:
            raise ValueError(f"contract of {service}: fields given for undeclared wire types {sorted(unknown)}")
        self.service = service
        self.events: dict[str, str] = dict(events)
        self.fields: dict[str, Mapping[str, Any]] = dict(fields or {})
        self._by_class: dict[type, str] | None = None
        self._by_topic: dict[str, str] = {}
        self._lock = threading.Lock()

    @property
    def wire_types(self) -> list[str]:
        return sorted(self.events)

    def event_class(self, wire_type: str) -> type:
        return typing.cast(type, resolve_topic(self.events[wire_type]))

    def _classes(self) -> dict[type, str]:
        if self._by_class is None:
            self._by_class = {self.event_class(t): t for t in self.events}
        return self._by_class

    def wire_type(self, topic: str) -> str:
        """The wire type of a stored event's topic; the class behind an old topic (a moved class) counts too."""
        found = self._by_topic.get(topic)
        if found is None:
            with self._lock:
                try:
                    cls = resolve_topic(topic)
                except Exception as exc:  # noqa: BLE001 - any failure to import the topic means it is not declared
                    raise UndeclaredEvent(f"{self.service}: cannot resolve event topic {topic!r}: {exc}") from None
                found = self._classes().get(cls)
                if found is None:
                    raise UndeclaredEvent(
                        f"{self.service}: event {topic!r} has no wire type; declare it in the service's contract"
                    )
                self._by_topic[topic] = found
        return found

    def wire_type_of(self, event_class: type) -> str:
        found = self._classes().get(event_class)
        if found is None:
            raise UndeclaredEvent(f"{self.service}: {event_class.__qualname__} is not declared in the contract")
        return found

    def model(self, wire_type: str) -> type[pydantic.BaseModel]:
        return payload_model(wire_type, self.event_class(wire_type), self.fields.get(wire_type))

    def schema(self, wire_type: str) -> dict[str, Any]:
        schema = self.model(wire_type).model_json_schema()
        return {"$schema": JSON_SCHEMA_DIALECT, "$id": f"urn:crm:event:{wire_type}", **schema, "title": wire_type}

    def schemas(self) -> dict[str, dict[str, Any]]:
        return {t: self.schema(t) for t in self.wire_types}

    def write(self, root: Path) -> list[Path]:
        """Write `root/<service>/<wire type>.json` for every declared event, and remove files of undeclared ones."""
        folder = root / self.service
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for wire_type, schema in self.schemas().items():
            path = folder / f"{wire_type}.json"
            path.write_text(render(schema), encoding="utf-8")
            written.append(path)
        for stale in folder.glob("*.json"):
            if stale not in written:
                stale.unlink()
        return written


class _Payload(pydantic.BaseModel):
    # A field the schema does not name is a change of the contract: validation says so instead of letting it pass.
    model_config: ClassVar[pydantic.ConfigDict] = pydantic.ConfigDict(extra="forbid")


def payload_model(
    wire_type: str, event_class: type, narrowed: Mapping[str, Any] | None = None
) -> type[pydantic.BaseModel]:
    """A pydantic model of the JSON data the relay publishes for `event_class` (its typed fields, bookkeeping out)."""
    hints = typing.get_type_hints(event_class)
    missing = set(narrowed or ()) - set(hints)
    if missing:
        raise ValueError(f"{wire_type}: no field {sorted(missing)} to narrow")
    hints.update(narrowed or {})
    fields: dict[str, Any] = {}
    for name, hint in hints.items():
        if name in _ENVELOPE_FIELDS or typing.get_origin(hint) is ClassVar:
            continue
        fields[name] = (hint, ...)
    title = "".join(p.title() for p in wire_type.replace("_", ".").split(".")[2:])
    return pydantic.create_model(title, __base__=_Payload, **fields)


def render(schema: Mapping[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def load_schemas(root: Path) -> dict[str, dict[str, Any]]:
    """Every published wire type and its schema, as committed under `root` (what consumers read)."""
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(root.glob("*/*.json"))}


def main(argv: list[str] | None = None) -> int:
    """`python -m shared.contracts contracts services.calls.contract:CONTRACT ...`: write the named contracts."""
    import sys

    from shared.contracts import EventContract as Contract  # run as __main__, this module is another copy

    root, *names = sys.argv[1:] if argv is None else argv
    for name in names:
        contract = resolve_topic(name)
        if not isinstance(contract, Contract):
            raise SystemExit(f"{name} is not an EventContract")
        for path in contract.write(Path(root)):
            print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
