"""The member database (form ME-FR-03-01-01) as one aggregate per member, and frozen selections of members.

A member is a company or a person with a membership number. Only an *active* member is a member: a suspended
one is not, until reinstated; an ended membership is closed for good, and its record no longer changes. Every
change is an event, so the history of a record is its list of events.

Event data holds only JSON-native values (str, list, dict, datetime) because consumers read it as JSON from
Kafka (crm.members.events.v1), never through these classes.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from eventsourcing.domain import Aggregate, event

from services.members.normalise import LANGUAGES, Phone
from shared.errors import DomainError, InvalidInput
from shared.privacy_subjects import MEMBER_NAMESPACE  # the calls seal the member's calls under the same id


class MemberKind(StrEnum):
    COMPANY = "company"  # legal name
    PERSON = "person"  # full name


class Status(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    ENDED = "ended"


# The details an update may change; status changes only through suspend, reinstate and end.
DETAIL_FIELDS = (
    "kind",
    "name",
    "trade_group",
    "field_of_activity",
    "products",
    "import_countries",
    "export_countries",
    "contacts",
    "email",
    "address",
    "preferred_language",
)


def copied(value: Any) -> Any:
    """A deep copy of a detail's value: texts, numbers and None as they are, lists and dicts of them copied item by
    item (a member's contacts), anything else by copy.deepcopy. A third of what copy.deepcopy costs (3.9 against
    12.8 us for two contacts with two numbers each), which keeps a memo of every object for shared references these
    values never have."""
    kind = type(value)
    if kind is str or value is None or kind is int or kind is bool or kind is float:
        return value
    if kind is list:
        return [v if type(v) is str else copied(v) for v in value]  # texts are most items: no call for them
    if kind is dict:
        return {k: v if type(v) is str else copied(v) for k, v in value.items()}
    return copy.deepcopy(value)


class StatusRefused(DomainError):
    """The membership's status does not allow this."""


@dataclass(frozen=True)
class ContactPerson:
    name: str
    role: str | None = None
    phones: tuple[Phone, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "phones": [p.as_dict() for p in self.phones]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ContactPerson:
        return cls(
            name=data["name"],
            role=data.get("role"),
            phones=tuple(Phone(raw=p["raw"], e164=p["e164"], kind=p["kind"]) for p in data.get("phones", [])),
        )


def member_id(membership_number: str) -> uuid.UUID:
    """The same membership number always names the same aggregate: registering it twice is detectable and
    imports find the member without an index."""
    return uuid.uuid5(MEMBER_NAMESPACE, f"member:{membership_number}")


def check_details(details: dict[str, Any]) -> None:
    """Invariants of a member's details, whatever path they came by."""
    if "name" in details and not (details["name"] or "").strip():
        raise InvalidInput("a member needs its legal name (company) or full name (person)")
    if "kind" in details:
        try:
            MemberKind(details["kind"])
        except ValueError:
            raise InvalidInput(f"kind {details['kind']!r} is neither company nor person") from None
    language = details.get("preferred_language")
    if language is not None and language not in LANGUAGES:
        raise InvalidInput(f"preferred language {language!r} is not one of {', '.join(LANGUAGES)}")
    for contact in details.get("contacts") or []:
        if not (contact.get("name") or "").strip():
            raise InvalidInput("every contact person needs a name")


class Member(Aggregate):
    @event("Registered")
    def __init__(
        self,
        *,
        membership_number: str,
        kind: str,
        name: str,
        status: str,
        trade_group: str | None,
        field_of_activity: str | None,
        products: list[str],
        import_countries: list[str],
        export_countries: list[str],
        contacts: list[dict[str, Any]],
        email: str | None,
        address: str | None,
        preferred_language: str | None,
        by: str | None,
        at: datetime,
    ):
        self.membership_number = membership_number
        self.kind = kind
        self.name = name
        self.status = status
        self.trade_group = trade_group
        self.field_of_activity = field_of_activity
        self.products = list(products)
        self.import_countries = list(import_countries)
        self.export_countries = list(export_countries)
        self.contacts = copied(contacts)
        self.email = email
        self.address = address
        self.preferred_language = preferred_language
        self.registered_at = at
        self.status_reason: str | None = None
        self.status_changed_at: datetime | None = None
        self.updated_at = at
        self.erased_at: datetime | None = None

    @classmethod
    def create_id(cls, *, membership_number: str, **_: object) -> uuid.UUID:
        return member_id(membership_number)

    @classmethod
    def register(
        cls,
        *,
        membership_number: str,
        details: dict[str, Any],
        status: str = Status.ACTIVE,
        by: str | None,
        at: datetime,
    ) -> Member:
        """Rules first, then the event: the Registered event's body only sets state, so replays never refuse."""
        try:
            status = Status(status)
        except ValueError:
            raise InvalidInput(f"status {status!r} is not one of active, suspended, ended") from None
        missing = [f for f in ("kind", "name") if not details.get(f)]
        if missing:
            raise InvalidInput(f"a member needs {' and '.join(missing)}")
        unknown = set(details) - set(DETAIL_FIELDS)
        if unknown:
            raise InvalidInput(f"unknown member fields: {', '.join(sorted(unknown))}")
        check_details(details)
        full = {f: details.get(f) for f in DETAIL_FIELDS}
        for f in ("products", "import_countries", "export_countries", "contacts"):
            full[f] = list(full[f] or [])
        return cls(membership_number=membership_number, status=status.value, by=by, at=at, **full)  # type: ignore[arg-type]  # every detail field, checked above

    # -- views -------------------------------------------------------------------------------------------------
    @property
    def is_member(self) -> bool:
        """Only active members are members of the chamber (docs/procedures.md#roles)."""
        return self.status == Status.ACTIVE

    @property
    def contact_persons(self) -> list[ContactPerson]:
        return [ContactPerson.from_dict(c) for c in self.contacts]

    @property
    def phones(self) -> list[Phone]:
        return [p for c in self.contact_persons for p in c.phones]

    def details(self) -> dict[str, Any]:
        return {f: copied(getattr(self, f)) for f in DETAIL_FIELDS}

    def changes_from(self, details: dict[str, Any]) -> dict[str, Any]:
        """The fields of `details` whose values differ from the record (list fields compared whole)."""
        unknown = set(details) - set(DETAIL_FIELDS)
        if unknown:
            raise InvalidInput(f"these fields cannot be updated: {', '.join(sorted(unknown))}")
        return {f: v for f, v in details.items() if getattr(self, f) != v}

    # -- commands ----------------------------------------------------------------------------------------------
    def update_details(self, details: dict[str, Any], *, by: str | None, at: datetime) -> dict[str, Any]:
        """Record the fields that changed; nothing at all when none did. Returns the changes."""
        changes = self.changes_from(details)
        if not changes:
            return {}
        if self.status == Status.ENDED:
            raise StatusRefused(
                f"member {self.membership_number} has ended its membership; its record can no longer change"
            )
        if self.erased_at is not None:
            raise StatusRefused(f"member {self.membership_number} was erased; its record can no longer change")
        check_details(changes)
        self._details_updated(changes=copied(changes), by=by, at=at)
        return changes

    @event("DetailsUpdated")
    def _details_updated(self, changes: dict[str, Any], by: str | None, at: datetime) -> None:
        for field, value in changes.items():
            setattr(self, field, copied(value))
        self.updated_at = at

    def erase(self, reason: str, *, by: str | None, at: datetime) -> None:
        """The person asked to be forgotten (KVKK; Iran's rules): the key that seals the record's personal data is
        deleted by the application; this event records who erased the record and why, and holds nothing personal."""
        if self.erased_at is not None:
            raise StatusRefused(f"member {self.membership_number} was already erased")
        self._erased(reason=_reason(reason, "erasure"), by=by, at=at)

    @event("Erased")
    def _erased(self, reason: str, by: str | None, at: datetime) -> None:
        self.erased_at = at
        self.updated_at = at

    def suspend(self, reason: str, *, by: str | None, at: datetime) -> None:
        if self.status != Status.ACTIVE:
            raise StatusRefused(
                f"only an active member can be suspended; member {self.membership_number} is {self.status}"
            )
        self._suspended(reason=_reason(reason, "suspension"), by=by, at=at)

    @event("Suspended")
    def _suspended(self, reason: str, by: str | None, at: datetime) -> None:
        self.status = Status.SUSPENDED.value
        self.status_reason = reason
        self.status_changed_at = at

    def reinstate(self, *, by: str | None, at: datetime, note: str | None = None) -> None:
        if self.status != Status.SUSPENDED:
            raise StatusRefused(
                f"only a suspended member can be reinstated; member {self.membership_number} is {self.status}"
            )
        self._reinstated(note=(note or "").strip() or None, by=by, at=at)

    @event("Reinstated")
    def _reinstated(self, note: str | None, by: str | None, at: datetime) -> None:
        self.status = Status.ACTIVE.value
        self.status_reason = None
        self.status_changed_at = at

    def end(self, reason: str, *, by: str | None, at: datetime) -> None:
        if self.status == Status.ENDED:
            raise StatusRefused(f"member {self.membership_number} has already ended its membership")
        self._ended(reason=_reason(reason, "end of membership"), by=by, at=at)

    @event("Ended")
    def _ended(self, reason: str, by: str | None, at: datetime) -> None:
        self.status = Status.ENDED.value
        self.status_reason = reason
        self.status_changed_at = at

    def change_status(self, status: str, *, reason: str, by: str | None, at: datetime) -> bool:
        """Bring the status to `status` by the one step the rules allow (imports); False when it already is."""
        try:
            target = Status(status)
        except ValueError:
            raise InvalidInput(f"status {status!r} is not one of active, suspended, ended") from None
        if self.status == target:
            return False
        if target == Status.SUSPENDED:
            self.suspend(reason, by=by, at=at)
        elif target == Status.ACTIVE:
            self.reinstate(by=by, at=at, note=reason)
        else:
            self.end(reason, by=by, at=at)
        return True


def _reason(reason: str | None, what: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidInput(f"give the reason for the {what}")
    return text


class Selection(Aggregate):
    """A list of members chosen by criteria (invitations to a specialised session, a survey's list), frozen when
    taken: the criteria and the membership numbers they matched at that moment, so it can be shown again later
    exactly as it was, whatever happened to the members since."""

    @event("Taken")
    def __init__(self, *, name: str, criteria: dict[str, Any], members: list[str], by: str | None, at: datetime):
        self.name = name
        self.criteria = dict(criteria)
        self.members = list(members)
        self.taken_by = by
        self.taken_at = at

    @classmethod
    def take(
        cls, *, name: str, criteria: dict[str, Any], members: list[str], by: str | None, at: datetime
    ) -> Selection:
        if not (name or "").strip():
            raise InvalidInput("a selection needs a name (what the list is for)")
        return cls(name=name.strip(), criteria=criteria, members=members, by=by, at=at)
