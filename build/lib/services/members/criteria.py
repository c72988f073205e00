"""What staff search the member database by, and what a selection of members is taken by.

Text criteria (name, trade group, field, product) match anywhere inside the value, on search keys (see
normalise.search_key), so Persian, Arabic and Turkish spellings meet. Countries match import or export partners.
The search index implements the same semantics in SQL; `matches` is the reference, on a member's plain record.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Any

from services.members import normalise
from services.members.domain import MemberKind, Status
from shared.problems import InvalidInput

TEXT_FIELDS = ("name", "trade_group", "field", "product")


@dataclass(frozen=True)
class Criteria:
    name: str | None = None  # legal or full name, or a contact person's name
    number: str | None = None  # membership number
    kind: str | None = None  # company | person
    status: str | None = None  # active | suspended | ended
    trade_group: str | None = None  # trade group or commission
    field: str | None = None  # field of activity
    product: str | None = None  # products or services
    country: str | None = None  # import or export partner
    import_country: str | None = None
    export_country: str | None = None
    language: str | None = None  # preferred language

    def normalised(self) -> Criteria:
        """Codes in canonical form, text trimmed, empty strings gone; InvalidInput for what cannot match anything."""
        values: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if value is None or not str(value).strip():
                values[key] = None
                continue
            value = str(value).strip()
            if key == "number":
                value = normalise.membership_number(value)
            elif key in ("country", "import_country", "export_country"):
                value = normalise.country(value)
            elif key == "kind":
                value = _choice(value, MemberKind, "kind")
            elif key == "status":
                value = _choice(value, Status, "status")
            elif key == "language":
                value = normalise.language(value)
            elif key in TEXT_FIELDS and not normalise.search_key(value):
                value = None
            values[key] = value
        return Criteria(**values)

    def as_dict(self) -> dict[str, str]:
        """Only the criteria given (as stored in a selection)."""
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Criteria:
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise InvalidInput(
                f"unknown criteria: {', '.join(sorted(unknown))}; possible: {', '.join(cls.__dataclass_fields__)}"
            )
        return cls(**{k: (None if v is None else str(v)) for k, v in data.items()})

    def with_status(self, status: str) -> Criteria:
        return replace(self, status=status)


def _choice(value: str, enum: type[StrEnum], what: str) -> str:
    try:
        return enum(value.lower()).value
    except ValueError:
        raise InvalidInput(f"{what} {value!r} is not one of {', '.join(e.value for e in enum)}") from None


def matches(record: dict[str, Any], c: Criteria) -> bool:
    """Whether a member's plain record (application.member_record) meets normalised criteria."""
    key = normalise.search_key
    if c.number and record["membership_number"] != c.number:
        return False
    if c.kind and record["kind"] != c.kind:
        return False
    if c.status and record["status"] != c.status:
        return False
    if c.language and record.get("preferred_language") != c.language:
        return False
    if c.name:
        names = [record["name"], *(p["name"] for p in record.get("contacts", []))]
        if not any(key(c.name) in key(n) for n in names):
            return False
    if c.trade_group and key(c.trade_group) not in key(record.get("trade_group")):
        return False
    if c.field and key(c.field) not in key(record.get("field_of_activity")):
        return False
    if c.product and not any(key(c.product) in key(p) for p in record.get("products", [])):
        return False
    imports, exports = record.get("import_countries", []), record.get("export_countries", [])
    if c.country and c.country not in imports and c.country not in exports:
        return False
    if c.import_country and c.import_country not in imports:
        return False
    return not (c.export_country and c.export_country not in exports)
