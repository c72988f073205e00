"""The chamber's organisation: its units and the telephone system's view of them, read from a TOML file."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, model_validator

DEFAULT_ORGANISATION = Path(__file__).with_name("organisation.default.toml")


class Unit(BaseModel):
    """A department of the chamber, as the telephone system and the procedures know it."""

    id: str
    name: str
    name_local: str = ""
    manager: str = ""
    experts: list[str] = []
    queues: list[str] = []  # PBX queues whose callers are routed to this unit


class Person(BaseModel):
    """A member of the staff the CRM may write to: the user name (as on the token), where to reach him or her,
    and the language of the messages (fa, tr or en). `queue_mail`: an e-mail for each new item in his or her queue;
    `role`: sg or president, for the reports meant for that office."""

    name: str
    email: str | None = None
    phone: str | None = None  # E.164, e.g. +989131234567
    language: Literal["fa", "tr", "en"] | None = None
    queue_mail: bool = False
    # The office held, for the messages meant for it: the SG and the president get the call centre's weekly and
    # monthly reports.
    role: Literal["sg", "president"] | None = None


class Organisation(BaseModel):
    """The chamber's units and the telephone system's view of them (queues, extensions)."""

    member_relations_unit: str = "member_relations"
    member_relations_queues: list[str] = []
    units: list[Unit] = []
    # PBX extension -> staff member (the expert's user name, as on his or her token)
    extensions: dict[str, str] = {}
    # The staff's addresses for notifications (optional): unit managers get their end-of-day lists by e-mail.
    people: list[Person] = []

    @model_validator(mode="after")
    def _check(self) -> Organisation:
        ids = [u.id for u in self.units]
        if len(ids) != len(set(ids)):
            raise ValueError("organisation: unit ids must be unique")
        seen: dict[str, str] = {}
        for unit in self.units:
            for q in unit.queues:
                if q in seen:
                    raise ValueError(f"organisation: queue {q!r} belongs to both {seen[q]!r} and {unit.id!r}")
                seen[q] = unit.id
        names = [p.name for p in self.people]
        if len(names) != len(set(names)):
            raise ValueError("organisation: people must have unique names")
        return self

    def unit_of_queue(self, queue: str | None) -> str | None:
        if queue is None:
            return None
        if queue in self.member_relations_queues:
            return self.member_relations_unit
        for unit in self.units:
            if queue in unit.queues:
                return unit.id
        return None

    def unit_of_expert(self, expert: str | None) -> str | None:
        for unit in self.units:
            if expert in unit.experts:
                return unit.id
        return None

    def expert_of_extension(self, extension: str | None) -> str | None:
        return self.extensions.get(extension) if extension else None

    def has_unit(self, unit_id: str) -> bool:
        return unit_id == self.member_relations_unit or any(u.id == unit_id for u in self.units)

    @classmethod
    def load(cls, path: Path) -> Organisation:
        with path.open("rb") as fh:
            return cls.model_validate(tomllib.load(fh))
