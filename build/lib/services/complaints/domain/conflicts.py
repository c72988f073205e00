"""The conflict-of-interest rule (docs/procedures.md#complaint-assignment): who are the stakeholders of a complaint, and whether a
proposed handler is one of them. Pure functions: the organisation is passed in as `units_of`."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from services.complaints.domain.vocabulary import HandlerKind


def distinct_names(values: Iterable[str] | None) -> list[str]:
    """Distinct, stripped, in the order given."""
    out: dict[str, str] = {}
    for v in values or []:
        name = (v or "").strip()
        if name and name.casefold() not in out:
            out[name.casefold()] = name
    return list(out.values())


def same_name(a: str | None, b: str | None) -> bool:
    return bool(a and b and a.strip().casefold() == b.strip().casefold())


def empty_stakeholders() -> dict[str, Any]:
    return {"units": [], "persons": [], "participants": [], "complainant": None}


def normalise_stakeholders(
    *,
    units: Iterable[str] | None = None,
    persons: Iterable[str] | None = None,
    participants: Iterable[str] | None = None,
    complainant: str | None = None,
) -> dict[str, Any]:
    """The stakeholders of a complaint: units and persons complained about, those who took part in the matter,
    and the complainant (a name or, when the complainant is on the staff, the user name)."""
    return {
        "units": distinct_names(units),
        "persons": distinct_names(persons),
        "participants": distinct_names(participants),
        "complainant": (complainant or "").strip() or None,
    }


UnitsOf = Callable[[str], set[str]]


def has_stakeholders(stakeholders: Mapping[str, Any]) -> bool:
    """Whether anyone besides the complainant is recorded (units, persons complained about, participants)."""
    return any(stakeholders.get(k) for k in ("units", "persons", "participants"))


def is_named_in(name: str, text: str | None) -> bool:
    """Whether a name (a user name such as r.sadeghi, or a full name) stands in a text as a whole word: someone the
    complainant names is a party to the matter, recorded as a stakeholder or not."""
    name = (name or "").strip()
    if not name or not text:
        return False
    return re.search(rf"(?<![\w.]){re.escape(name.casefold())}(?![\w]|\.\w)", text.casefold()) is not None


def check_handler(
    handler_kind: HandlerKind,
    handler: str,
    stakeholders: Mapping[str, Any],
    units_of: UnitsOf,
    *,
    concerned_unit: str | None = None,
    text: str | None = None,
) -> tuple[list[str], list[str]]:
    """The conflict-of-interest rule as a pure function: (reasons the handler is refused, statements of why the
    handler is eligible).

    A person may not be the complainant, a person complained about, someone who took part in the matter, or
    someone the complaint names (`text`, its description). A unit is implicated when it is complained about, when
    the complaint is about it (`concerned_unit`, whether or not anyone recorded it as a stakeholder), or when a
    person complained about belongs to it: its manager and experts would judge their own, so neither an
    implicated unit nor a person belonging to one may handle the complaint."""
    units = list(stakeholders.get("units") or [])
    persons = list(stakeholders.get("persons") or [])
    participants = list(stakeholders.get("participants") or [])
    complainant = stakeholders.get("complainant")
    # unit (as listed, or as the organisation names it) -> why it is implicated
    implicated: dict[str, tuple[str, str]] = {}
    for u in units:
        implicated.setdefault(u.casefold(), (u, "a unit complained about"))
    if concerned_unit and concerned_unit.strip():
        u = concerned_unit.strip()
        implicated.setdefault(u.casefold(), (u, "the unit the complaint is about"))
    for p in persons:
        for u in sorted(units_of(p)):
            implicated.setdefault(u.casefold(), (u, f"the unit of {p}, who is complained about"))
    refused: list[str] = []
    eligible: list[str] = []

    def listed(values: list[str]) -> str:
        return ", ".join(values) if values else "nobody"

    if handler_kind == HandlerKind.PERSON:
        if same_name(handler, complainant):
            refused.append(f"{handler} is the complainant")
        else:
            eligible.append(f"not the complainant ({complainant or 'not named'})")
        if any(same_name(handler, p) for p in persons):
            refused.append(f"{handler} is a person complained about")
        else:
            eligible.append(f"not a person complained about ({listed(persons)})")
        if any(same_name(handler, p) for p in participants):
            refused.append(f"{handler} took part in the matter")
        else:
            eligible.append(f"took no part in the matter ({listed(participants)})")
        if is_named_in(handler, text):
            refused.append(f"{handler} is named in the complaint")
        else:
            eligible.append("not named in the complaint")
        own_units = sorted(units_of(handler))
        bad = [implicated[u.casefold()] for u in own_units if u.casefold() in implicated]
        if bad:
            refused.extend(f"{handler} belongs to {u}, {why}" for u, why in bad)
        elif own_units:
            eligible.append(
                f"belongs to {', '.join(own_units)}, no unit complained about or of a person complained about"
            )
        else:
            eligible.append("belongs to no unit of the organisation")
    else:
        why = implicated.get(handler.casefold())
        if why:
            refused.append(f"unit {why[0]} is {why[1]}")
        else:
            concerned = f"; the complaint is about {concerned_unit}" if concerned_unit else ""
            eligible.append(
                f"unit {handler} is not complained about ({listed(units)}) and none of its staff is ({listed(persons)})"
                + concerned
            )
    return refused, eligible
