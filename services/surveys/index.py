"""The surveys service's own index: one row per survey for lists, kept from its event store by a follower and
rebuilt at will (`crm rebuild`). The member lists stay in the store; the index holds their sizes only."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from eventsourcing.persistence import Notification

from services.surveys.application import SurveyOffice
from services.surveys.calllist import apply_contacts, call_list, started_rows, utc
from services.surveys.calllist import metadata as call_list_metadata
from services.surveys.domain import Contact, Survey
from services.surveys.views import survey_record
from shared.auth import Principal
from shared.envelope import dumps
from shared.follower import NotificationFollower

metadata = sa.MetaData()
surveys = sa.Table(
    "surveys_index",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False, index=True),
    sa.Column("stage", sa.String(20), nullable=False, index=True),
    sa.Column("unit", sa.String(100), nullable=False, index=True),
    sa.Column("runner", sa.String(100), nullable=False, index=True),
    sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
)

# One row per response: the answers as recorded, for scores and reports without loading 30,000 aggregates.
responses = sa.Table(
    "survey_responses",
    metadata,
    sa.Column("survey_id", sa.String(36), primary_key=True),
    sa.Column("membership_number", sa.String(50), primary_key=True),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("answers", sa.Text, nullable=False),
    sa.Column("services_introduced", sa.Text, nullable=False),
    sa.Column("responded_at", sa.DateTime(timezone=True), nullable=False),
)

# Every complaint a survey opened (its scores or a member's voiced dissatisfaction), with when: the weekly
# summary counts the new ones.
complaints = sa.Table(
    "survey_complaint_log",
    metadata,
    sa.Column("source_ref", sa.String(300), primary_key=True),
    sa.Column("survey_id", sa.String(36), nullable=False, index=True),
    sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
)

SURVEY_TOPIC_PREFIX = f"{Survey.__module__}:{Survey.__qualname__}."
CONTACT_TOPIC_PREFIX = f"{Contact.__module__}:{Contact.__qualname__}."
STARTED = f"{SURVEY_TOPIC_PREFIX}Started"
RESPONDED = f"{CONTACT_TOPIC_PREFIX}Responded"
CARRIERS = (f"{SURVEY_TOPIC_PREFIX}ComplaintRaised", f"{CONTACT_TOPIC_PREFIX}DissatisfactionRecorded")


class SurveyIndex:
    def __init__(self, office: SurveyOffice, engine: sa.Engine, *, batch_size: int = 500):
        self.office = office
        self.engine = engine
        metadata.create_all(engine)
        call_list_metadata.create_all(engine)  # the call list is kept by the same follower, in the same database
        # Woken once per save: while answers come one per request, lingering 50 ms lets a catch-up (a transaction
        # of its own, its position read and written) take the saves of that moment together; a catch-up per save
        # cost nearly as much as applying the answers. The experts' call list and the scores ask for a catch-up of
        # their own first, so none of them waits for the linger.
        self.follower = NotificationFollower(
            office, "surveys_index", engine, self._apply, batch_size=batch_size, linger=0.05
        )

    def _apply(self, conn: sa.Connection, notifications: Sequence[Notification]) -> None:
        self._apply_surveys(conn, notifications)
        # The call list: a row per member asked once the survey starts, brought up to date by each contact event.
        for n in notifications:
            if n.topic == STARTED:
                started: Survey = self.office.repository.get(n.originator_id, version=n.originator_version)
                conn.execute(call_list.delete().where(call_list.c.survey_id == str(n.originator_id)))
                rows = started_rows(started)
                for i in range(0, len(rows), 5000):
                    conn.execute(call_list.insert(), rows[i : i + 5000])
        for n in notifications:
            if n.topic in CARRIERS:
                raised: Any = self.office.mapper.to_domain_event(n)
                ref = raised.complaint["source_ref"]
                conn.execute(complaints.delete().where(complaints.c.source_ref == ref))
                conn.execute(
                    complaints.insert().values(source_ref=ref, survey_id=ref.split(":")[1], raised_at=raised.at)
                )
        # Each contact once, as the batch leaves it (its survey and member never change): its response row and its
        # call-list row, written for the whole batch in one statement each.
        events_of: dict[Any, list[Notification]] = {}
        for n in notifications:
            if n.topic.startswith(CONTACT_TOPIC_PREFIX):
                events_of.setdefault(n.originator_id, []).append(n)
        loaded: dict[Any, Contact] = {}
        answered: dict[tuple[str, str], dict[str, Any]] = {}
        for contact_id, found in events_of.items():
            events: list[Any] = [self.office.mapper.to_domain_event(n) for n in found]
            contact = loaded[contact_id] = self._contact(contact_id, found, events)
            for n, event in zip(found, events, strict=True):
                if n.topic == RESPONDED:
                    answered[(contact.survey_id, contact.membership_number)] = {
                        "survey_id": contact.survey_id,
                        "membership_number": contact.membership_number,
                        "channel": event.channel,
                        "answers": json.dumps(event.answers, ensure_ascii=False),
                        "services_introduced": json.dumps(event.services_introduced, ensure_ascii=False),
                        "responded_at": event.at,
                    }
        if answered:
            t = responses.c
            conn.execute(
                responses.delete().where(
                    t.survey_id == sa.bindparam("b_survey"), t.membership_number == sa.bindparam("b_number")
                ),
                [{"b_survey": sid, "b_number": number} for sid, number in answered],
            )
            conn.execute(responses.insert(), list(answered.values()))
        apply_contacts(conn, list(loaded.values()))

    def _contact(self, contact_id: Any, found: list[Notification], events: list[Any]) -> Contact:
        """The contact as of the batch: folded from its events when the batch holds all of them (a member answered
        at the first call: opened and responded in one save), else loaded from the store."""
        if [n.originator_version for n in found] == list(range(1, len(found) + 1)):
            contact: Any = None
            for event in events:
                contact = event.mutate(contact)
            return contact
        return self.office.repository.get(contact_id)

    def _apply_surveys(self, conn: sa.Connection, notifications: Sequence[Notification]) -> None:
        ids = dict.fromkeys(n.originator_id for n in notifications if n.topic.startswith(SURVEY_TOPIC_PREFIX))
        if not ids:
            return
        rows = []
        for sid in ids:
            record = survey_record(self.office.repository.get(sid))
            rows.append(
                {
                    "id": record["id"],
                    "kind": record["kind"],
                    "stage": record["stage"],
                    "unit": record["unit"],
                    "runner": record["runner"],
                    "requested_at": record["requested_at"],
                    "summary": dumps(record).decode(),
                }
            )
        conn.execute(surveys.delete().where(surveys.c.id.in_([r["id"] for r in rows])))
        conn.execute(surveys.insert(), rows)

    def catch_up(self) -> int:
        return self.follower.catch_up()

    def rebuild(self) -> int:
        """Drop the index and project the whole store again (`crm rebuild`)."""
        with self.follower._serial:
            with self.engine.begin() as conn:
                conn.execute(surveys.delete())
                conn.execute(call_list.delete())
                conn.execute(responses.delete())
                conn.execute(complaints.delete())
            self.follower.reset()
            return self.follower.catch_up()

    def search(
        self,
        principal: Principal,
        *,
        see_all: bool,
        kind: str | None,
        stage: str | None,
        limit: int,
        offset: int,
    ) -> tuple[list[dict[str, Any]], int]:
        """A page of the surveys the principal may see, newest first, and how many there are in all."""
        self.catch_up()  # a survey just requested is listed at once
        t = surveys.c
        where = []
        if kind:
            where.append(t.kind == kind)
        if stage:
            where.append(t.stage == stage)
        if not see_all:
            where.append(sa.or_(t.unit == principal.unit, t.runner == principal.unit))
        with self.engine.connect() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(surveys).where(*where)).scalar() or 0
            rows = conn.execute(
                sa.select(t.summary).where(*where).order_by(t.requested_at.desc(), t.id).limit(limit).offset(offset)
            ).scalars()
            return [json.loads(r) for r in rows], total

    def responses_of(self, survey_id: str) -> list[dict[str, Any]]:
        """Every response of the survey recorded so far, oldest first."""
        self.catch_up()
        t = responses.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.membership_number, t.channel, t.answers, t.services_introduced, t.responded_at)
                .where(t.survey_id == survey_id)
                .order_by(t.responded_at, t.membership_number)
            ).all()
        return [
            {
                "membership_number": r.membership_number,
                "channel": r.channel,
                "answers": json.loads(r.answers),
                "services_introduced": json.loads(r.services_introduced),
                "at": r.responded_at,
            }
            for r in rows
        ]

    def complaint_log(self, survey_id: str) -> list[dict[str, Any]]:
        self.catch_up()
        t = complaints.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.source_ref, t.raised_at).where(t.survey_id == survey_id).order_by(t.raised_at)
            ).all()
        return [{"source_ref": r.source_ref, "at": utc(r.raised_at)} for r in rows]

    def periodic_rounds(self) -> list[dict[str, Any]]:
        """Every periodic round that has run or runs (id, period, stage), oldest period first."""
        self.catch_up()
        t = surveys.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.summary).where(t.kind == "periodic", t.stage.in_(("running", "closed")))
            ).scalars()
            found = [json.loads(r) for r in rows]
        return sorted(
            ({"id": r["id"], "period": r["period"], "stage": r["stage"]} for r in found), key=lambda r: r["period"]
        )

    def running_ids(self) -> list[str]:
        self.catch_up()
        with self.engine.connect() as conn:
            return list(conn.execute(sa.select(surveys.c.id).where(surveys.c.stage == "running")).scalars())
