"""The member database's own search index: a projection of its event store, rebuilt at will (`rebuild`).

Staff find members here by name (Persian, Arabic, Turkish or English spellings meet through search keys),
membership number, trade group, field of activity, product, partner country and status; the telephone lookup
finds the active member owning a number; selections resolve their criteria here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from eventsourcing.persistence import Notification

from services.members.application import MemberDirectory, member_record
from services.members.criteria import Criteria
from services.members.domain import Member, Status
from services.members.normalise import search_key
from shared.db import create_tables
from shared.envelope import dumps
from shared.follower import NotificationFollower

metadata = sa.MetaData()
members = sa.Table(
    "members_index",
    metadata,
    sa.Column("number", sa.String(40), primary_key=True),
    sa.Column("id", sa.String(36), nullable=False),
    sa.Column("status", sa.String(10), nullable=False, index=True),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("language", sa.String(2)),
    sa.Column("name_key", sa.Text, nullable=False),
    sa.Column("contact_names_key", sa.Text, nullable=False),  # |key|key|
    sa.Column("trade_group_key", sa.Text, nullable=False),
    sa.Column("field_key", sa.Text, nullable=False),
    sa.Column("products_key", sa.Text, nullable=False),  # |key|key|
    sa.Column("import_countries", sa.Text, nullable=False),  # |IQ|AE|
    sa.Column("export_countries", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
)
phones = sa.Table(
    "member_phones",
    metadata,
    sa.Column("e164", sa.String(20), primary_key=True),
    sa.Column("member_number", sa.String(40), primary_key=True),
    sa.Column("kind", sa.String(10), nullable=False),
)
sa.Index("ix_member_phones_number", phones.c.member_number)

MEMBER_TOPIC_PREFIX = f"{Member.__module__}:{Member.__qualname__}."


def _joined(keys: Sequence[str]) -> str:
    keys = [k.replace("|", " ") for k in keys if k]
    return "|" + "|".join(keys) + "|" if keys else ""


def index_row(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "number": record["membership_number"],
        "id": record["id"],
        "status": record["status"],
        "kind": record["kind"],
        "language": record["preferred_language"],
        "name_key": search_key(record["name"]),
        "contact_names_key": _joined([search_key(c["name"]) for c in record["contacts"]]),
        "trade_group_key": search_key(record["trade_group"]),
        "field_key": search_key(record["field_of_activity"]),
        "products_key": _joined([search_key(p) for p in record["products"]]),
        "import_countries": _joined(record["import_countries"]),
        "export_countries": _joined(record["export_countries"]),
        "summary": dumps(record).decode(),
    }


class MemberIndex:
    def __init__(self, app: MemberDirectory, engine: sa.Engine, *, batch_size: int = 500):
        self.app = app
        self.engine = engine
        create_tables(metadata, engine)
        self.follower = NotificationFollower(app, "members_index", engine, self._apply, batch_size=batch_size)

    def _apply(self, conn: sa.Connection, notifications: Sequence[Notification]) -> None:
        ids = dict.fromkeys(n.originator_id for n in notifications if n.topic.startswith(MEMBER_TOPIC_PREFIX))
        if not ids:
            return
        rows, phone_rows = [], []
        for mid in ids:
            record = member_record(self.app.repository.get(mid))
            rows.append(index_row(record))
            seen = set()
            for c in record["contacts"]:
                for p in c["phones"]:
                    if p["e164"] not in seen:
                        seen.add(p["e164"])
                        phone_rows.append(
                            {"e164": p["e164"], "member_number": record["membership_number"], "kind": p["kind"]}
                        )
        numbers = [r["number"] for r in rows]
        conn.execute(members.delete().where(members.c.number.in_(numbers)))
        conn.execute(phones.delete().where(phones.c.member_number.in_(numbers)))
        conn.execute(members.insert(), rows)
        if phone_rows:
            conn.execute(phones.insert(), phone_rows)

    def catch_up(self) -> int:
        return self.follower.catch_up()

    def rebuild(self) -> int:
        """Drop the index and project the whole store again (`crm rebuild`)."""
        with self.follower._serial:  # noqa: SLF001 - the follower thread must not apply a batch in between
            with self.engine.begin() as conn:
                conn.execute(phones.delete())
                conn.execute(members.delete())
            self.follower.reset()
            return self.follower.catch_up()

    # -- queries -----------------------------------------------------------------------------------------------
    def _where(self, q: sa.Select, c: Criteria) -> sa.Select:
        """`c` is normalised (Criteria.normalised): the same semantics as criteria.matches, in SQL."""
        m = members.c
        if c.number:
            q = q.where(m.number == c.number)
        if c.kind:
            q = q.where(m.kind == c.kind)
        if c.status:
            q = q.where(m.status == c.status)
        if c.language:
            q = q.where(m.language == c.language)
        if c.name:
            key = search_key(c.name).replace("|", " ")
            q = q.where(
                sa.or_(m.name_key.contains(key, autoescape=True), m.contact_names_key.contains(key, autoescape=True))
            )
        if c.trade_group:
            q = q.where(m.trade_group_key.contains(search_key(c.trade_group), autoescape=True))
        if c.field:
            q = q.where(m.field_key.contains(search_key(c.field), autoescape=True))
        if c.product:
            q = q.where(m.products_key.contains(search_key(c.product).replace("|", " "), autoescape=True))
        if c.country:
            code = f"|{c.country}|"
            q = q.where(sa.or_(m.import_countries.contains(code), m.export_countries.contains(code)))
        if c.import_country:
            q = q.where(m.import_countries.contains(f"|{c.import_country}|"))
        if c.export_country:
            q = q.where(m.export_countries.contains(f"|{c.export_country}|"))
        return q

    def search(self, criteria: Criteria, *, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        q = (
            self._where(sa.select(members.c.summary), criteria.normalised())
            .order_by(members.c.number)
            .limit(limit)
            .offset(offset)
        )
        with self.engine.connect() as conn:
            return [json.loads(s) for (s,) in conn.execute(q)]

    def count(self, criteria: Criteria) -> int:
        q = self._where(sa.select(sa.func.count()).select_from(members), criteria.normalised())
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar() or 0)

    def resolve(self, criteria: Criteria) -> list[str]:
        """Membership numbers of every member meeting the criteria, as of everything recorded so far."""
        self.catch_up()
        q = self._where(sa.select(members.c.number), criteria.normalised()).order_by(members.c.number)
        with self.engine.connect() as conn:
            return [n for (n,) in conn.execute(q)]

    def members_with_phone(self, e164: str, *, status: str | None = Status.ACTIVE.value) -> list[dict[str, Any]]:
        q = (
            sa.select(members.c.summary)
            .select_from(phones.join(members, phones.c.member_number == members.c.number))
            .where(phones.c.e164 == e164)
            .order_by(members.c.number)
        )
        if status:
            q = q.where(members.c.status == status)
        with self.engine.connect() as conn:
            return [json.loads(s) for (s,) in conn.execute(q)]
