"""The surveys service's own roster of members, kept from the member database's events on Kafka: who is active
(a periodic round asks every active member), their trade group (reports by trade group) and the selections the
member database took (a project survey's list given by a selection id, frozen as it was taken).

No synchronous call to the members service: a round can start while it is down, and the list it starts with is
whatever the topic had said by then.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from shared.envelope import CloudEvent

log = logging.getLogger(__name__)

# Read in full with their version (contracts/members/<type>.json): a `.v2` payload is not read as a `.v1` one.
MEMBER_EVENTS = {
    "crm.members.member.registered.v1",
    "crm.members.member.details_updated.v1",
    "crm.members.member.suspended.v1",
    "crm.members.member.ended.v1",
    "crm.members.member.reinstated.v1",
}
SELECTION_TAKEN = "crm.members.selection.taken.v1"

metadata = sa.MetaData()
roster = sa.Table(
    "survey_roster",
    metadata,
    sa.Column("member_id", sa.String(36), primary_key=True),
    sa.Column("membership_number", sa.String(50), index=True),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("trade_group", sa.String(200)),
    sa.Column("language", sa.String(5)),
    sa.Column("version", sa.Integer, nullable=False),
)
selections = sa.Table(
    "survey_selections",
    metadata,
    sa.Column("selection_id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(300)),
    sa.Column("members", sa.Text, nullable=False),  # the membership numbers, JSON, as the selection froze them
)


def change_of(event: CloudEvent) -> dict[str, Any] | None:
    """What a member event changes in the roster, or None for an event the roster ignores."""
    if event.type not in MEMBER_EVENTS:
        return None
    data = event.data
    name = event.type.split(".")[3]
    if name == "registered":
        return {
            "membership_number": data["membership_number"],
            "active": data.get("status", "active") == "active",
            "trade_group": data.get("trade_group"),
            "language": data.get("preferred_language"),
        }
    if name == "details_updated":
        changes = data.get("changes") or {}
        change: dict[str, Any] = {}
        if "status" in changes:
            change["active"] = changes["status"] == "active"
        if "trade_group" in changes:
            change["trade_group"] = changes["trade_group"]
        if "preferred_language" in changes:
            change["language"] = changes["preferred_language"]
        if changes.get("membership_number"):
            change["membership_number"] = changes["membership_number"]
        return change
    return {"active": name == "reinstated"}


class MemberRoster:
    def __init__(self, engine: sa.Engine):
        self.engine = engine
        metadata.create_all(engine)

    def active_numbers(self) -> list[str]:
        q = (
            sa.select(roster.c.membership_number)
            .where(roster.c.active.is_(True), roster.c.membership_number.is_not(None))
            .order_by(roster.c.membership_number)
        )
        with self.engine.connect() as conn:
            return list(conn.execute(q).scalars())

    def selection(self, selection_id: str) -> list[str] | None:
        with self.engine.connect() as conn:
            raw = conn.execute(
                sa.select(selections.c.members).where(selections.c.selection_id == selection_id)
            ).scalar()
        return None if raw is None else list(json.loads(raw))

    def language_of(self, number: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(roster.c.language).where(roster.c.membership_number == number)).scalar()

    def identities(self, numbers: Iterable[str]) -> dict[str, tuple[str, str | None]]:
        """The member id and preferred language of each membership number the roster knows."""
        wanted, found = list(numbers), {}
        q = sa.select(roster.c.membership_number, roster.c.member_id, roster.c.language)
        with self.engine.connect() as conn:
            for i in range(0, len(wanted), 900):
                for row in conn.execute(q.where(roster.c.membership_number.in_(wanted[i : i + 900]))):
                    found[row.membership_number] = (row.member_id, row.language)
        return found

    def trade_groups(self, numbers: Iterable[str]) -> dict[str, str | None]:
        wanted = list(set(numbers))
        out: dict[str, str | None] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(wanted), 900):  # SQLite's limit on bound parameters
                q = sa.select(roster.c.membership_number, roster.c.trade_group).where(
                    roster.c.membership_number.in_(wanted[i : i + 900])
                )
                out.update(dict(conn.execute(q).all()))
        return out

    def apply(self, events: Iterable[CloudEvent]) -> int:
        """Apply member events; an event at or below the member's version already applied changes nothing."""
        applied = 0
        with self.engine.begin() as conn:
            for event in events:
                if event.type == SELECTION_TAKEN:
                    members = [str(m) for m in event.data.get("members") or []]
                    known = conn.execute(
                        sa.select(selections.c.selection_id).where(selections.c.selection_id == event.subject)
                    ).scalar()
                    if known is None:  # a selection is frozen: the first record of it is the one
                        conn.execute(
                            selections.insert().values(
                                selection_id=event.subject, name=event.data.get("name"), members=json.dumps(members)
                            )
                        )
                        applied += 1
                    continue
                change = change_of(event)
                if change is None:
                    continue
                row = conn.execute(sa.select(roster).where(roster.c.member_id == event.subject)).mappings().first()
                if row is not None and row["version"] >= event.sequence:
                    continue
                if row is None:
                    conn.execute(
                        roster.insert().values(
                            member_id=event.subject,
                            membership_number=change.get("membership_number"),
                            active=change.get("active", True),
                            trade_group=change.get("trade_group"),
                            language=change.get("language"),
                            version=event.sequence,
                        )
                    )
                else:
                    conn.execute(
                        roster.update()
                        .where(roster.c.member_id == event.subject)
                        .values(**change, version=event.sequence)
                    )
                applied += 1
        return applied
