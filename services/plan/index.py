"""The plan service's read side kept from its own store: which risks the register holds (the risks are read whole
from the store; the index only lists them), fed by a follower that stores its position with its rows."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from eventsourcing.persistence import Notification

from services.plan.application import PlanOffice
from shared.follower import NotificationFollower

REGISTERED = "Risk.Registered"

metadata = sa.MetaData()
risks = sa.Table(
    "plan_risks",
    metadata,
    sa.Column("risk_id", sa.String(36), primary_key=True),
    sa.Column("registered_position", sa.Integer, nullable=False),
)


class RiskIndex:
    def __init__(self, office: PlanOffice, engine: sa.Engine):
        self.office = office
        self.engine = engine
        metadata.create_all(engine)
        self.follower = NotificationFollower(office, "plan_risks", engine, self._apply)

    def _apply(self, conn: sa.Connection, notifications: Sequence[Notification]) -> None:
        for n in notifications:
            if not n.topic.endswith(REGISTERED):
                continue
            known = conn.execute(sa.select(risks.c.risk_id).where(risks.c.risk_id == str(n.originator_id))).scalar()
            if known is None:  # a replayed notification changes nothing
                conn.execute(risks.insert().values(risk_id=str(n.originator_id), registered_position=n.id))

    def risk_ids(self) -> list[uuid.UUID]:
        self.follower.catch_up()  # a risk registered by the request before is listed at once
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(risks.c.risk_id).order_by(risks.c.registered_position)).scalars()
            return [uuid.UUID(r) for r in rows]

    def catch_up(self) -> int:
        return self.follower.catch_up()

    def rebuild(self) -> int:
        with self.follower._serial:  # noqa: SLF001 - the follower thread must not apply a batch in between
            with self.engine.begin() as conn:
                conn.execute(risks.delete())
            self.follower.reset()
            return self.follower.catch_up()
