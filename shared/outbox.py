"""An outbox to another service's internal door: a follower of one store's notification log that turns the events
asking another service to open something (`POST /internal/actions`, `POST /internal/complaints`, keyed by
`source_ref`) into requests, and delivers them in log order.

The position and each delivery are written in the follower's transaction, so a crash between the two repeats only
the question, which the idempotent door answers with the same id. While the other service is down (NotDelivered)
the transaction is rolled back and the same event is tried again at the next poll; a refusal (422, Refused) is kept
with its reason for the operators and does not hold up the events after it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import sqlalchemy as sa
from eventsourcing.persistence import Notification

from shared.clock import Clock
from shared.db import create_tables
from shared.eventstore import CrmApplication
from shared.follower import NotificationFollower

log = logging.getLogger(__name__)

Open = Callable[[dict[str, Any]], str]  # the request -> the id of what was opened; raises when not opened


class NotDelivered(RuntimeError):
    """Not delivered now (the other service is down, busy, or no token is set yet): try again later."""


class Refused(RuntimeError):
    """The other service refused the request itself (422): sending it again would not change that."""


@dataclass(frozen=True)
class Delivery:
    """One request to deliver: `origin_id` is the aggregate it is about (kept to list its deliveries), `kind` picks
    the door when an outbox has more than one."""

    source_ref: str
    origin_id: str
    request: dict[str, Any]
    kind: str | None = None


Requests = Callable[[Notification], "Delivery | Iterable[Delivery] | None"]
Opened = Callable[[Notification, Delivery, str], None]  # what to do with the answer, in the follower's transaction


@dataclass(frozen=True)
class Columns:
    """The names a service's deliveries table uses today, so that existing databases keep working."""

    origin: str
    opened: str
    kind: str | None = None
    source_ref_length: int = 300


def http_opener(base_url: str, door: str, token: str | None, token_setting: str, timeout: float = 10.0) -> Open:
    """Posts to `door` with the service token; `token_setting` names the setting to set when it is missing."""
    what = door.rstrip("/").rsplit("/", 1)[-1]  # "actions" or "complaints": for the operators' messages

    def open_remote(request: dict[str, Any]) -> str:
        if not token:
            raise NotDelivered(f"no service token for the {what} service ({token_setting})")
        try:
            response = httpx.post(
                f"{base_url}{door}", json=request, headers={"Authorization": f"Bearer {token}"}, timeout=timeout
            )
        except httpx.HTTPError as exc:
            raise NotDelivered(f"{what} service unreachable: {exc}") from exc
        if response.status_code == 422:
            raise Refused(f"{what} service refused it: {response.text[:500]}")
        if response.status_code not in (200, 201):
            raise NotDelivered(f"{what} service answered {response.status_code}: {response.text[:300]}")
        return str(response.json()["id"])

    return open_remote


def deliveries_table(name: str, columns: Columns, metadata: sa.MetaData | None = None) -> sa.Table:
    extra = [sa.Column(columns.kind, sa.String(20), nullable=False)] if columns.kind else []
    return sa.Table(
        name,
        metadata if metadata is not None else sa.MetaData(),
        sa.Column("source_ref", sa.String(columns.source_ref_length), primary_key=True),
        *extra,
        sa.Column(columns.origin, sa.String(36), nullable=False, index=True),
        sa.Column(columns.opened, sa.String(36)),  # None: refused for good, see `refused`
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refused", sa.Text),
    )


class Outbox:
    def __init__(
        self,
        app: CrmApplication,
        engine: sa.Engine,
        *,
        table: str | sa.Table,
        columns: Columns,
        follower_name: str,
        requests: Requests,
        opener: Open | Mapping[str, Open],
        clock: Clock,
        on_opened: Opened | None = None,
        poll_interval: float = 5.0,
        topics: Sequence[str] = (),
        linger: float = 0.0,
    ):
        self.app = app
        self.engine = engine
        self.columns = columns
        self.requests = requests
        self.openers = opener
        self.on_opened = on_opened
        self.clock = clock
        # A service may pass the table it already declares (its tests and clean-up code name it) or just its name.
        self.table = table if isinstance(table, sa.Table) else deliveries_table(table, columns)
        # Race-safe: a service and its processor, or two replicas, may start on one database at once.
        create_tables(self.table.metadata, engine)
        # Every few seconds, not at once: a service that is down is retried without hammering it.
        # `topics`: the only events that can ask for a delivery, when known; the store then skips the others.
        # `linger`: once woken by a save, wait this long for the next ones (a look per save is a query or three).
        self.follower = NotificationFollower(
            app, follower_name, engine, self._apply, poll_interval=poll_interval, topics=topics, linger=linger
        )

    def catch_up(self) -> int:
        return self.follower.catch_up()

    def _open(self, delivery: Delivery) -> str:
        if isinstance(self.openers, Mapping):
            return self.openers[delivery.kind or ""](delivery.request)
        return self.openers(delivery.request)

    def _apply(self, conn: sa.Connection, notifications: Sequence[Notification]) -> None:
        t, c = self.table, self.columns
        for n in notifications:
            found = self.requests(n)
            for delivery in [found] if isinstance(found, Delivery) else (found or []):
                known = conn.execute(sa.select(t.c.source_ref).where(t.c.source_ref == delivery.source_ref)).scalar()
                if known is not None:
                    continue
                # NotDelivered propagates: the transaction, position included, is rolled back and the request is
                # sent again at the next catch-up.
                opened_id, refused = None, None
                try:
                    opened_id = self._open(delivery)
                except Refused as exc:
                    # Kept with the reason for the operators, so that one bad request does not hold up the others.
                    refused = str(exc)
                    log.error("%s refused: %s", delivery.source_ref, refused)
                if opened_id and self.on_opened is not None:
                    self.on_opened(n, delivery, opened_id)
                row = {
                    "source_ref": delivery.source_ref,
                    c.origin: delivery.origin_id,
                    c.opened: opened_id,
                    "delivered_at": self.clock(),
                    "refused": refused,
                }
                if c.kind:
                    row[c.kind] = delivery.kind
                conn.execute(t.insert().values(**row))

    def opened_for(self, source_ref: str) -> str | None:
        t = self.table
        with self.engine.connect() as conn:
            return conn.execute(sa.select(t.c[self.columns.opened]).where(t.c.source_ref == source_ref)).scalar()

    def of(self, origin_id: str) -> list[dict[str, Any]]:
        """The deliveries about one aggregate, by source_ref."""
        t = self.table
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t).where(t.c[self.columns.origin] == origin_id).order_by(t.c.source_ref))
            return [dict(r._mapping) for r in rows]

    def refused(self) -> list[dict[str, Any]]:
        t = self.table
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.select(t).where(t.c.refused.is_not(None)))]
