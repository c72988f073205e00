"""The desks service's own book of members, kept from the member database's events on Kafka: each member's name,
mobile number and language, whether active, and the selections the member database took (frozen as taken). The
announcement to members then names a selection only, and the desks service finds whom to message, with no
synchronous call to the members service.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa

from shared.envelope import CloudEvent
from shared.privacy import ERASED

# Read in full with their version (contracts/members/<type>.json): a `.v2` payload is not read as a `.v1` one.
MEMBER_EVENTS = {
    "crm.members.member.registered.v1",
    "crm.members.member.details_updated.v1",
    "crm.members.member.suspended.v1",
    "crm.members.member.ended.v1",
    "crm.members.member.reinstated.v1",
    "crm.members.member.erased.v1",  # the name reads [erased], the mobile number is forgotten
}
SELECTION_TAKEN = "crm.members.selection.taken.v1"
HANDLED = MEMBER_EVENTS | {SELECTION_TAKEN}

metadata = sa.MetaData()
book = sa.Table(
    "desk_members",
    metadata,
    sa.Column("member_id", sa.String(36), primary_key=True),
    sa.Column("membership_number", sa.String(50), index=True),
    sa.Column("name", sa.String(300)),
    sa.Column("phone", sa.String(40)),  # the first mobile number of the member's contacts, E.164
    sa.Column("language", sa.String(5)),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
)
selections = sa.Table(
    "desk_selections",
    metadata,
    sa.Column("selection_id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(300)),
    sa.Column("criteria", sa.Text, nullable=False),
    sa.Column("taken_at", sa.String(40)),
    sa.Column("members", sa.Text, nullable=False),  # the membership numbers, JSON, as the selection froze them
)


def mobile_of(contacts: list[dict[str, Any]] | None) -> str | None:
    for person in contacts or []:
        for phone in person.get("phones") or []:
            if phone.get("kind") == "mobile":
                return str(phone.get("e164") or phone.get("raw"))
    return None


def change_of(event: CloudEvent) -> dict[str, Any] | None:
    """What a member event changes in the book, or None for an event the book ignores."""
    if event.type not in MEMBER_EVENTS:
        return None
    data = event.data
    kind = event.type.split(".")[3]
    if kind == "registered":
        return {
            "membership_number": data["membership_number"],
            "name": data.get("name"),
            "phone": mobile_of(data.get("contacts")),
            "language": data.get("preferred_language"),
            "active": data.get("status", "active") == "active",
        }
    if kind == "details_updated":
        changes = data.get("changes") or {}
        change: dict[str, Any] = {}
        for field, column in (("name", "name"), ("preferred_language", "language")):
            if field in changes:
                change[column] = changes[field]
        if "contacts" in changes:
            change["phone"] = mobile_of(changes["contacts"])
        if "status" in changes:
            change["active"] = changes["status"] == "active"
        if changes.get("membership_number"):
            change["membership_number"] = changes["membership_number"]
        return change
    if kind == "erased":
        return {"name": ERASED, "phone": None}
    return {"active": kind == "reinstated"}


class MemberBook:
    def __init__(self, engine: sa.Engine, on_erased: Callable[[list[str]], None] | None = None):
        """`on_erased`: told the membership numbers of the members an applied batch erased (the desks' index
        reads their problem forms again)."""
        self.engine = engine
        self.on_erased = on_erased
        metadata.create_all(engine)

    def selection(self, selection_id: str) -> dict[str, Any] | None:
        """A selection as taken, with its active members as recipients (member id = membership number), or None
        while the member database's event of it has not arrived."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(selections).where(selections.c.selection_id == selection_id)).first()
            if row is None:
                return None
            numbers = [str(n) for n in json.loads(row.members)]
            found: dict[str, Any] = {}
            for i in range(0, len(numbers), 900):  # SQLite's limit on bound parameters
                q = sa.select(book).where(book.c.membership_number.in_(numbers[i : i + 900]), book.c.active.is_(True))
                found.update({r.membership_number: r for r in conn.execute(q)})
        recipients = [
            {
                "member_id": n,
                "name": found[n].name or n,
                "phone": found[n].phone,
                "language": found[n].language if found[n].language in ("fa", "tr", "en") else None,
            }
            for n in numbers
            if n in found
        ]
        return {
            "selection_id": selection_id,
            "criteria": json.loads(row.criteria),
            "taken_at": row.taken_at,
            "recipients": recipients,
        }

    def apply(self, events: Iterable[CloudEvent]) -> int:
        """Apply member events; an event at or below the member's version already applied changes nothing."""
        applied = 0
        erased: list[str] = []
        with self.engine.begin() as conn:
            for event in events:
                if event.type == SELECTION_TAKEN:
                    known = conn.execute(
                        sa.select(selections.c.selection_id).where(selections.c.selection_id == event.subject)
                    ).scalar()
                    if known is None:  # a selection is frozen: the first record of it is the one
                        criteria = event.data.get("criteria") or {}
                        conn.execute(
                            selections.insert().values(
                                selection_id=event.subject,
                                name=event.data.get("name"),
                                criteria=json.dumps({k: v for k, v in criteria.items() if isinstance(v, list)}),
                                taken_at=event.data.get("at"),
                                members=json.dumps([str(m) for m in event.data.get("members") or []]),
                            )
                        )
                        applied += 1
                    continue
                change = change_of(event)
                if change is None:
                    continue
                row = conn.execute(sa.select(book).where(book.c.member_id == event.subject)).mappings().first()
                if row is not None and row["version"] >= event.sequence:
                    continue
                if change.get("name") == ERASED and row is not None and row["membership_number"]:
                    erased.append(str(row["membership_number"]))
                if row is None:
                    conn.execute(
                        book.insert().values(
                            member_id=event.subject, **{"active": True, **change}, version=event.sequence
                        )
                    )
                else:
                    conn.execute(
                        book.update().where(book.c.member_id == event.subject).values(**change, version=event.sequence)
                    )
                applied += 1
        if erased and self.on_erased is not None:
            self.on_erased(erased)
        return applied
