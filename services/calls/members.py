"""The calls service's own lookup of phone number -> member, kept from the member database's events on Kafka.

No synchronous call between services: a call from a known number shows the member even when the member service is
down, and a member whose number changes is recognised by the new number as soon as the change reaches the topic.
Only active members are members: a suspended or ended member's numbers are kept but not recognised. An erased
member's name reads [erased] and their numbers are forgotten; the calls they made are told (`on_erased`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from shared.db import create_tables
from shared.envelope import CloudEvent
from shared.privacy import ERASED

log = logging.getLogger(__name__)

# The member events the lookup reads, in full with their version (contracts/members/<type>.json): a `.v2` payload is
# not read as a `.v1` one.
MEMBER_EVENTS = {
    "crm.members.member.registered.v1": "registered",
    "crm.members.member.details_updated.v1": "details_updated",
    "crm.members.member.suspended.v1": "suspended",
    "crm.members.member.ended.v1": "ended",
    "crm.members.member.reinstated.v1": "reinstated",
    "crm.members.member.erased.v1": "erased",
}

metadata = sa.MetaData()
member_phones = sa.Table(
    "member_phones",
    metadata,
    sa.Column("e164", sa.String(20), primary_key=True),
    sa.Column("member_id", sa.String(36), nullable=False, index=True),
    sa.Column("membership_number", sa.String(50), nullable=False),
)
member_status = sa.Table(
    "member_status",
    metadata,
    sa.Column("member_id", sa.String(36), primary_key=True),
    sa.Column("membership_number", sa.String(50)),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
)

# The member's name, for the staff's queues: kept apart so that an existing lookup database gains it as a new table.
member_names = sa.Table(
    "member_names",
    metadata,
    sa.Column("membership_number", sa.String(50), primary_key=True),
    sa.Column("member_id", sa.String(36), nullable=False, index=True),
    sa.Column("name", sa.String(300), nullable=False),
)


def phones_of(contacts: Iterable[dict[str, Any]] | None) -> list[str]:
    numbers = []
    for contact in contacts or ():
        for phone in contact.get("phones") or ():
            e164 = phone.get("e164") if isinstance(phone, dict) else None
            if e164 and e164 not in numbers:
                numbers.append(e164)
    return numbers


def change_of(event: CloudEvent) -> dict[str, Any] | None:
    """What a member event changes in the lookup: {'number', 'phones'?, 'active'?} or None."""
    name = MEMBER_EVENTS.get(event.type)
    if name is None:
        return None
    data = event.data
    if name == "registered":
        return {
            "number": data["membership_number"],
            "phones": phones_of(data.get("contacts")),
            "active": data.get("status", "active") == "active",
            "name": data.get("name"),
        }
    if name == "details_updated":
        changes = data.get("changes") or {}
        change: dict[str, Any] = {"number": None}
        if "contacts" in changes:
            change["phones"] = phones_of(changes["contacts"])
        if "status" in changes:
            change["active"] = changes["status"] == "active"
        if changes.get("name"):
            change["name"] = changes["name"]
        return change
    if name in ("suspended", "ended"):
        return {"number": None, "active": False}
    if name == "reinstated":
        return {"number": None, "active": True}
    if name == "erased":
        return {"number": None, "erased": True}
    return None


class MemberLookup:
    def __init__(self, engine: sa.Engine, on_erased: Callable[[list[str]], None] | None = None):
        """`on_erased`: told the membership numbers of members erased by a batch, once it is applied."""
        self.engine = engine
        self.on_erased = on_erased
        create_tables(metadata, engine)

    def member_of(self, e164: str) -> str | None:
        q = (
            sa.select(member_phones.c.membership_number)
            .join(member_status, member_status.c.member_id == member_phones.c.member_id)
            .where(member_phones.c.e164 == e164, member_status.c.active.is_(True))
        )
        with self.engine.connect() as conn:
            return conn.execute(q).scalar()

    def members_of(self, numbers: Sequence[str]) -> dict[str, str]:
        """`member_of` for many numbers in one query: the numbers of active members, with their membership number."""
        if not numbers:
            return {}
        q = (
            sa.select(member_phones.c.e164, member_phones.c.membership_number)
            .join(member_status, member_status.c.member_id == member_phones.c.member_id)
            .where(member_phones.c.e164.in_(list(numbers)), member_status.c.active.is_(True))
        )
        with self.engine.connect() as conn:
            return {e164: number for e164, number in conn.execute(q)}

    def names_of(self, membership_numbers: Iterable[str]) -> dict[str, str]:
        wanted = list({n for n in membership_numbers if n})
        if not wanted:
            return {}
        q = sa.select(member_names.c.membership_number, member_names.c.name).where(
            member_names.c.membership_number.in_(wanted)
        )
        with self.engine.connect() as conn:
            return dict(conn.execute(q).all())

    def apply(self, events: Iterable[CloudEvent]) -> int:
        """Apply member events; an event at or below the member's version already applied changes nothing."""
        applied = 0
        erased: list[str] = []
        with self.engine.begin() as conn:
            for event in events:
                change = change_of(event)
                if change is None:
                    continue
                row = (
                    conn.execute(sa.select(member_status).where(member_status.c.member_id == event.subject))
                    .mappings()
                    .first()
                )
                if row is not None and row["version"] >= event.sequence:
                    continue
                number = change["number"] or (row["membership_number"] if row else None)
                if change.get("erased"):
                    conn.execute(
                        member_names.update().where(member_names.c.member_id == event.subject).values(name=ERASED)
                    )
                    conn.execute(member_phones.delete().where(member_phones.c.member_id == event.subject))
                    if number:
                        erased.append(number)
                active = change.get("active", row["active"] if row else True)
                if row is None:
                    conn.execute(
                        member_status.insert().values(
                            member_id=event.subject, membership_number=number, active=active, version=event.sequence
                        )
                    )
                else:
                    conn.execute(
                        member_status.update()
                        .where(member_status.c.member_id == event.subject)
                        .values(membership_number=number, active=active, version=event.sequence)
                    )
                if change.get("name") and number:
                    conn.execute(member_names.delete().where(member_names.c.member_id == event.subject))
                    conn.execute(
                        member_names.insert().values(
                            membership_number=number, member_id=event.subject, name=change["name"]
                        )
                    )
                if "phones" in change:
                    conn.execute(member_phones.delete().where(member_phones.c.member_id == event.subject))
                    for e164 in change["phones"]:
                        # A number passed from one member to another belongs to the latest one to declare it.
                        conn.execute(member_phones.delete().where(member_phones.c.e164 == e164))
                        conn.execute(
                            member_phones.insert().values(e164=e164, member_id=event.subject, membership_number=number)
                        )
                applied += 1
        if erased and self.on_erased is not None:
            self.on_erased(erased)
        return applied
