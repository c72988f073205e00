"""The console's index of user accounts, for the users list: one row per account, kept from the event store by a
follower and rebuilt at will (`crm rebuild`). A single account is always read from its aggregate."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from eventsourcing.persistence import Notification

from services.console.accounts import UserAccount, UserBook
from shared.db import create_tables
from shared.follower import NotificationFollower

metadata = sa.MetaData()
accounts = sa.Table(
    "console_accounts_index",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("id", sa.String(36), nullable=False),
)

ACCOUNT_TOPIC_PREFIX = f"{UserAccount.__module__}:{UserAccount.__qualname__}."


class UserIndex:
    def __init__(self, book: UserBook, engine: sa.Engine):
        self.book = book
        self.engine = engine
        create_tables(metadata, engine)
        self.follower = NotificationFollower(book, "console_accounts_index", engine, self._apply)

    def _apply(self, conn: sa.Connection, notifications: Sequence[Notification]) -> None:
        added = {}
        for n in notifications:
            if n.topic == f"{ACCOUNT_TOPIC_PREFIX}Added":
                event = self.book.mapper.to_domain_event(n)
                added[event.name] = str(n.originator_id)  # type: ignore[attr-defined]
        if added:
            conn.execute(accounts.delete().where(accounts.c.name.in_(list(added))))
            conn.execute(accounts.insert(), [{"name": k, "id": v} for k, v in added.items()])

    def names(self) -> list[str]:
        self.follower.catch_up()  # a user just added is listed at once
        with self.engine.connect() as conn:
            return list(conn.execute(sa.select(accounts.c.name).order_by(accounts.c.name)).scalars())

    def rebuild(self) -> int:
        """Drop the index and project the whole store again (`crm rebuild`)."""
        with self.follower._serial:
            with self.engine.begin() as conn:
                conn.execute(accounts.delete())
            self.follower.reset()
            return self.follower.catch_up()
