"""The experts' shared call list of a running survey: who to call next, with the attempts left and the line to use.

Kept from the survey's events by the index follower (a row per member when the survey starts, updated by each
contact event) and rebuilt with the index. Claims are the one thing here no event records: an expert takes the
next member for a few minutes (`claim_minutes`), and a conditional update on the row makes sure two experts asking
at the same moment never get the same member. A claim that runs out frees the member again, so a rebuild that
forgets the claims loses nothing but a few minutes of someone's reservation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from services.surveys.domain import Contact, Status, Survey, next_line_for, policy_for
from shared.errors import DomainError

metadata = sa.MetaData()
call_list = sa.Table(
    "survey_call_list",
    metadata,
    sa.Column("survey_id", sa.String(36), primary_key=True),
    sa.Column("membership_number", sa.String(50), primary_key=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("attempts_left", sa.Integer, nullable=False),
    sa.Column("line_to_use", sa.String(10)),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True)),
    sa.Column("claimed_by", sa.String(200)),
    sa.Column("claimed_until", sa.DateTime(timezone=True)),
    sa.Index("ix_survey_call_list_next", "survey_id", "status", "attempts", "next_attempt_at"),
)


def utc(value: datetime | None) -> datetime | None:
    """SQLite gives back naive datetimes; every instant stored here is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _naive(value: datetime) -> datetime:
    # Compared as stored: UTC without a zone on SQLite, which compares them as text.
    return value.astimezone(UTC).replace(tzinfo=None)


def started_rows(survey: Survey) -> list[dict[str, Any]]:
    policy = policy_for(survey.kind)
    line = next_line_for(policy, {})
    return [
        {
            "survey_id": str(survey.id),
            "membership_number": number,
            "status": Status.PENDING.value,
            "attempts": 0,
            "attempts_left": policy.allowed,
            "line_to_use": line,
            "next_attempt_at": None,
            "claimed_by": None,
            "claimed_until": None,
        }
        for number in survey.members
    ]


def apply_contact(conn: sa.Connection, contact: Contact) -> None:
    """The member's row as the contact now stands; a recorded step ends the recorder's claim."""
    t = call_list.c
    next_at = contact.next_attempt_at
    conn.execute(
        call_list.update()
        .where(t.survey_id == contact.survey_id, t.membership_number == contact.membership_number)
        .values(
            status=contact.status,
            attempts=len(contact.attempts),
            attempts_left=contact.attempts_left,
            line_to_use=contact.line_to_use,
            next_attempt_at=_naive(next_at) if next_at and conn.dialect.name == "sqlite" else next_at,
            claimed_by=None,
            claimed_until=None,
        )
    )


def apply_contacts(conn: sa.Connection, contacts: Sequence[Contact]) -> None:
    """`apply_contact` for many contacts in one statement executed for each (an index batch of answers)."""
    if not contacts:
        return
    t = call_list.c
    sqlite = conn.dialect.name == "sqlite"
    conn.execute(
        call_list.update()
        .where(t.survey_id == sa.bindparam("b_survey"), t.membership_number == sa.bindparam("b_number"))
        .values(
            status=sa.bindparam("b_status"),
            attempts=sa.bindparam("b_attempts"),
            attempts_left=sa.bindparam("b_left"),
            line_to_use=sa.bindparam("b_line"),
            next_attempt_at=sa.bindparam("b_next"),
            claimed_by=None,
            claimed_until=None,
        ),
        [
            {
                "b_survey": c.survey_id,
                "b_number": c.membership_number,
                "b_status": c.status,
                "b_attempts": len(c.attempts),
                "b_left": c.attempts_left,
                "b_line": c.line_to_use,
                "b_next": _naive(c.next_attempt_at) if c.next_attempt_at and sqlite else c.next_attempt_at,
            }
            for c in contacts
        ],
    )


# Who holds a member, asked before every step recorded on him or her (an answer by phone included): built once, so
# that SQLAlchemy neither builds the statement nor works out its cache key again for each request.
HOLDER = sa.select(call_list.c.claimed_by, call_list.c.claimed_until).where(
    call_list.c.survey_id == sa.bindparam("b_survey"), call_list.c.membership_number == sa.bindparam("b_number")
)


class ClaimHeld(DomainError):
    """Another expert holds the member: the caller must leave him or her alone until the claim runs out."""


class CallList:
    def __init__(
        self, engine: sa.Engine, clock: Callable[[], datetime], claim_minutes: float, catch_up: Callable[[], Any]
    ):
        self.engine = engine
        self.clock = clock
        self.claim = timedelta(minutes=claim_minutes)
        self.catch_up = catch_up  # the index follower: the list must show every step recorded so far
        metadata.create_all(engine)

    def _instant(self, value: datetime) -> datetime:
        return _naive(value) if self.engine.dialect.name == "sqlite" else value

    @staticmethod
    def _row(row: Any) -> dict[str, Any]:
        return {
            "membership_number": row.membership_number,
            "status": row.status,
            "attempts": row.attempts,
            "attempts_left": row.attempts_left,
            "line_to_use": row.line_to_use,
            "next_attempt_at": utc(row.next_attempt_at),
            "claimed_by": row.claimed_by,
            "claimed_until": utc(row.claimed_until),
        }

    def _free(self, now: datetime) -> sa.ColumnElement[bool]:
        t = call_list.c
        return sa.or_(t.claimed_until.is_(None), t.claimed_until <= self._instant(now))

    def claim_next(self, survey_id: str, expert: str) -> dict[str, Any] | None:
        """The member the expert calls next, held for `claim_minutes`; the same one again while the expert's claim
        lasts (a reload does not hand out a second member); None when nobody is due now."""
        self.catch_up()
        now = self.clock()
        until = self._instant(now + self.claim)
        t = call_list.c
        due = sa.and_(
            t.survey_id == survey_id,
            t.status == Status.PENDING.value,
            t.attempts_left > 0,
            sa.or_(t.next_attempt_at.is_(None), t.next_attempt_at <= self._instant(now)),
        )
        with self.engine.begin() as conn:
            mine = conn.execute(
                sa.select(t.membership_number).where(due, t.claimed_by == expert, t.claimed_until > self._instant(now))
            ).first()
            if mine is not None:
                return self._take(conn, survey_id, mine.membership_number, expert, until, now, mine=True)
        for _ in range(10):
            with self.engine.connect() as conn:
                candidates = list(
                    conn.execute(
                        sa.select(t.membership_number)
                        .where(due, self._free(now))
                        .order_by(t.attempts, t.next_attempt_at.nulls_first(), t.membership_number)
                        .limit(20)
                    ).scalars()
                )
            if not candidates:
                return None
            for number in candidates:
                with self.engine.begin() as conn:
                    taken = self._take(conn, survey_id, number, expert, until, now, mine=False)
                if taken is not None:
                    return taken
        return None

    def _take(
        self,
        conn: sa.Connection,
        survey_id: str,
        number: str,
        expert: str,
        until: datetime,
        now: datetime,
        *,
        mine: bool,
    ) -> dict[str, Any] | None:
        t = call_list.c
        where = [t.survey_id == survey_id, t.membership_number == number]
        if not mine:
            where.append(self._free(now))  # taken meanwhile by someone else: the update matches nothing
        result = conn.execute(call_list.update().where(*where).values(claimed_by=expert, claimed_until=until))
        if result.rowcount != 1:
            return None
        row = conn.execute(sa.select(call_list).where(t.survey_id == survey_id, t.membership_number == number)).first()
        return self._row(row)

    def check_free_for(self, survey_id: str, number: str, expert: str) -> None:
        """Refuse to record a step on a member another expert holds right now."""
        with self.engine.connect() as conn:
            row = conn.execute(HOLDER, {"b_survey": survey_id, "b_number": number}).first()
        if row is None or row.claimed_by in (None, expert):
            return
        if utc(row.claimed_until) and utc(row.claimed_until) > self.clock():  # type: ignore[operator]
            raise ClaimHeld(f"{row.claimed_by} is calling this member; try again after {utc(row.claimed_until)}")

    def rows(self, survey_id: str, *, status: str | None, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        self.catch_up()
        t = call_list.c
        where = [t.survey_id == survey_id] + ([t.status == status] if status else [])
        with self.engine.connect() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(call_list).where(*where)).scalar() or 0
            rows = conn.execute(
                sa.select(call_list)
                .where(*where)
                .order_by(t.attempts, t.next_attempt_at.nulls_first(), t.membership_number)
                .limit(limit)
                .offset(offset)
            ).all()
        return [self._row(r) for r in rows], total

    def closed_numbers(self, survey_id: str) -> set[str]:
        """The members whose contact is closed, whatever the outcome: answered, declined or not reached."""
        self.catch_up()
        t = call_list.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.membership_number).where(t.survey_id == survey_id, t.status != Status.PENDING.value)
            )
            return set(rows.scalars())

    def counts(self, survey_id: str) -> dict[str, int]:
        """Members per status, as of every step recorded so far (the final report's rates)."""
        self.catch_up()
        t = call_list.c
        with self.engine.connect() as conn:
            q = sa.select(t.status, sa.func.count()).where(t.survey_id == survey_id).group_by(t.status)
            return {status: n for status, n in conn.execute(q).all()}
