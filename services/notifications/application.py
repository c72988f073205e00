"""The notifier: turns the chamber's events into messages (requested once per source event and recipient), and
sends the ones that are due, recording each attempt as an event of the message.

No service calls it: it reads their topics (services/notifications/consumer.py), so a message is never the second
half of a write that could fail on its own.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar

import sqlalchemy as sa
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, Notification
from jinja2 import TemplateError

from services.notifications import rules
from services.notifications.channels import Channel, NotSent, Outgoing
from services.notifications.contacts import (
    LANGUAGES,
    ChainedContacts,
    Contact,
    Contacts,
    EventContacts,
    OrganisationContacts,
)
from services.notifications.contract import CONTRACT
from services.notifications.counters import CLAIM_LOST, FAILED, RETRIED, SENT, SKIPPED
from services.notifications.domain import MESSAGE_PERSON, Message, backoff_delay, message_id
from services.notifications.erased import LateErasures
from services.notifications.listed import ListedSubjects, erased_subjects
from services.notifications.privacy import FORM_KINDS, MESSAGE_FIELDS, MessageSealer, member_of
from services.notifications.renderer import Renderer
from services.notifications.staff import StaffChoices
from services.notifications.survey_links import LinkGone, SurveyLinks
from shared.calendar import BusinessCalendar
from shared.clock import Clock, system_clock
from shared.contracts import EventContract
from shared.db import create_tables
from shared.envelope import CloudEvent
from shared.errors import NotFound
from shared.eventstore import CrmApplication
from shared.follower import NotificationFollower
from shared.organisation import Organisation
from shared.privacy import ERASED, KeyStore, Sealer
from shared.privacy_subjects import registrant_subject
from shared.settings import NotificationSettings

log = logging.getLogger(__name__)


class MessageNotFound(NotFound):
    pass


metadata = sa.MetaData()
messages = sa.Table(
    "notification_messages",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False, index=True),
    sa.Column("channel", sa.String(10), nullable=False),
    sa.Column("recipient", sa.String(300), nullable=False, index=True),
    sa.Column("address", sa.String(300)),
    sa.Column("language", sa.String(5), nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), index=True),
    sa.Column("last_error", sa.Text),
    sa.Column("source_type", sa.String(200), nullable=False),
    sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
)

MESSAGE_TOPIC_PREFIX = f"{Message.__module__}:{Message.__qualname__}."


def _utc(t: datetime | None) -> datetime | None:
    """Stored and compared in UTC: SQLite keeps no zone and compares the text."""
    if t is None:
        return None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _row(r: Any) -> dict[str, Any]:
    row = dict(r._mapping)
    for column in ("next_attempt_at", "requested_at"):
        row[column] = _utc(row[column])
    return row


def record_of(m: Message) -> dict[str, Any]:
    return {
        "id": str(m.id),
        "kind": m.kind,
        "channel": m.channel,
        "recipient": m.recipient,
        "address": m.address,
        "language": m.language,
        "subject": m.subject,
        "status": m.status,
        "attempts": m.attempts,
        "next_attempt_at": _utc(m.next_attempt_at),
        "last_error": m.last_error,
        "source_type": m.source_type,
        "requested_at": _utc(m.requested_at),
    }


class Notifier(CrmApplication):
    service: ClassVar[str] = "notifications"
    contract: ClassVar[EventContract] = CONTRACT
    personal_fields: ClassVar[dict[str, frozenset[str]]] = {"Message": MESSAGE_FIELDS}

    def construct_sealer(self, keys: KeyStore) -> Sealer:
        # The mapper is made before the contacts' engine: the lookup reads it when it first seals.
        return MessageSealer(keys, self.personal_fields, member_of(lambda: self.engine))

    def __init__(
        self,
        env: dict[str, Any] | None = None,
        *,
        engine: sa.Engine | None = None,
        config: NotificationSettings | None = None,
        organisation: Organisation | None = None,
        calendar: BusinessCalendar | None = None,
        clock: Clock = system_clock,
        channels: dict[str, Channel] | None = None,
        chamber_language: str = "fa",
        staff: Contacts | None = None,
        replica: str | None = None,
        survey_links: SurveyLinks | None = None,
    ):
        super().__init__(env)
        self.survey_links = survey_links
        # Who claims an attempt (recorded in AttemptStarted): the host and process unless a test names it
        self.replica = replica or f"{socket.gethostname()}:{os.getpid()}"
        self.clock = clock
        self.config = config or NotificationSettings()
        self.organisation = organisation or Organisation()
        self.calendar = calendar
        self.channels = channels or {}
        self.default_language = self.config.default_language or chamber_language
        self.engine = engine or sa.create_engine("sqlite://", poolclass=sa.pool.StaticPool)
        self.known = EventContacts(self.engine)
        self.late = LateErasures(self.engine)
        assert self.sealer is not None  # a message's personal data is sealed (personal_fields)
        self.listed = ListedSubjects(self.engine, self.sealer.keys)
        # Where staff are reached: the organisation file's people; another source (the console's users with an
        # e-mail address) is chained before it when given.
        sources: list[Contacts] = [staff] if staff is not None else []
        # The console's accounts (their addresses and each person's choice of optional messages) over the file's
        self.choices = StaffChoices(self.engine, OrganisationContacts(self.organisation))
        self.staff = ChainedContacts(*sources, self.choices)
        self.renderer = Renderer()
        create_tables(metadata, self.engine)
        self.follower = NotificationFollower(self, "notifications_index", self.engine, self._index)

    # -- requests ---------------------------------------------------------------------------------------------
    def _format_time(self, t: datetime) -> str:
        return self.calendar.format(t) if self.calendar is not None else t.isoformat()

    def _reminder_time(self, day: date) -> datetime:
        intervals = self.calendar.working_intervals(day) if self.calendar is not None else []
        return intervals[0][0] if intervals else datetime.combine(day, time(6, 0), UTC)

    def withdraw(self, key: str, reason: str) -> bool:
        """Cancel the message of `key` if it exists and is not sent yet."""
        try:
            m = self.message(message_id(key))
        except MessageNotFound:
            return False
        if not m.cancel(reason=reason, at=self.clock()):
            return False
        try:
            self.save(m)
        except IntegrityError:  # sent or cancelled meanwhile by the dispatcher
            return False
        return True

    def take(self, events: Iterable[CloudEvent]) -> int:
        """Keep the contacts among `events` and request the messages they ask for; returns how many are new."""
        events = list(events)
        self.known.apply(events)
        erased = self.known.recipients_erased(events)
        if erased:
            self.forget_recipients(erased)
        forms = rules.registrants_erased(events)
        if forms:
            self.forget_registrants(forms)
        named = erased_subjects(events)
        if named:
            self.forget_listed(self.listed.naming(named))
        self.late.remember(events, [*erased, *named], forms)  # what is read about them later asks for nothing
        anyone_erased = self.late.anyone()
        self.choices.apply(events)
        facts = rules.Facts(
            self.organisation,
            self.staff,
            self.known,
            self._format_time,
            tuple(self.config.report_recipients),
            self._reminder_time,
            self.calendar.format_date if self.calendar is not None else date.isoformat,
            reports_base_url=self.config.reports_base_url,
            public_base_url=self.config.public_base_url,
            choice=self.choices.choice,
        )
        requested = 0
        for e in events:
            try:
                asked = rules.wanted(e, facts)
                if anyone_erased:
                    asked = self.late.not_erased(asked)
                for wanted in asked:
                    requested += self.request(wanted, e, erased_before=anyone_erased)
                for key in rules.cancelled_reminders(e):
                    self.withdraw(key, f"withdrawn: {e.type}")
            except (KeyError, TypeError, ValueError, TemplateError) as exc:
                # An event its rule cannot read (a payload outside its contract) is logged and skipped: it must
                # not hold up every message after it, as it would if the consumer retried it for ever.
                SKIPPED.labels(e.type).inc()
                log.error("notifications: skipped %s %s: %s: %s", e.type, e.id, type(exc).__name__, exc)
        return requested

    def forget_recipients(self, recipients: list[str]) -> int:
        """The people were erased: their messages not yet sent are cancelled, and the addresses the index keeps
        of all their messages read [erased]. Returns how many were cancelled."""
        self.follower.catch_up()  # messages asked for a moment ago are indexed
        t = messages.c
        theirs = sa.and_(t.recipient.in_(recipients), t.kind.not_in(FORM_KINDS))  # a form number is no one's id
        pending = sa.select(t.id).where(theirs, t.status.in_(("queued", "retrying")))
        with self.engine.connect() as conn:
            ids = list(conn.execute(pending).scalars())
        cancelled = sum(self._cancel_erased(self.message(uuid.UUID(mid))) for mid in ids)
        self.follower.catch_up()
        with self.engine.begin() as conn:
            conn.execute(messages.update().where(theirs, t.address.is_not(None)).values(address=ERASED))
            conn.execute(messages.update().where(theirs, t.subject != "").values(subject=ERASED))
        return cancelled

    def forget_registrants(self, forms: list[tuple[str, str]]) -> int:
        """Desks' registrants were erased: the messages to their forms not yet sent are cancelled, and the index's
        copies of all their messages read [erased]. A message to a form is known by its person, the form's
        registrant (the form number alone is every desk's). Returns how many were cancelled."""
        self.follower.catch_up()
        persons = {registrant_subject(desk, number) for desk, number in forms}
        t = messages.c
        numbers = sorted({number for _, number in forms})
        candidates = sa.select(t.id).where(t.kind.in_(FORM_KINDS), t.recipient.in_(numbers))
        with self.engine.connect() as conn:
            ids = list(conn.execute(candidates).scalars())
        theirs, cancelled = [], 0
        for mid in ids:
            m = self.message(uuid.UUID(mid))
            if getattr(m, "person", None) not in persons:
                continue
            theirs.append(mid)
            cancelled += self._cancel_erased(m)
        self.follower.catch_up()
        self._erase_indexed(theirs)
        return cancelled

    def forget_listed(self, ids: list[str]) -> int:
        """People named in messages sealed under keys of their own (end-of-day lists, services/notifications/
        listed.py) were erased: those messages' keys are deleted, so their address, subject and body read [erased];
        the ones not yet sent are cancelled. Returns how many were cancelled."""
        if not ids:
            return 0
        assert self.sealer is not None
        for key in (f"{MESSAGE_PERSON}{mid}" for mid in ids):
            if not self.sealer.erased(key):  # a list naming two erased callers is erased once
                self.sealer.keys.delete(key)
        self.follower.catch_up()
        found = []
        for mid in ids:
            try:
                found.append(self.message(uuid.UUID(mid)))
            except MessageNotFound:  # named before it was stored, and never stored
                continue
        cancelled = sum(self._cancel_erased(m) for m in found)
        self.follower.catch_up()
        self._erase_indexed(ids)
        return cancelled

    def _cancel_erased(self, m: Message) -> int:
        if not m.cancel(reason="the recipient's personal data was erased", at=self.clock()):
            return 0
        try:
            self.save(m)
        except IntegrityError:  # sent meanwhile by the dispatcher
            return 0
        return 1

    def _erase_indexed(self, ids: list[str]) -> None:
        """The index's copies of these messages' address and subject read [erased]."""
        if ids:
            t = messages.c
            with self.engine.begin() as conn:
                mine = t.id.in_(ids)
                conn.execute(messages.update().where(mine, t.address.is_not(None)).values(address=ERASED))
                conn.execute(messages.update().where(mine, t.subject != "").values(subject=ERASED))

    def request(self, wanted: rules.Wanted, source: CloudEvent, *, erased_before: bool = True) -> bool:
        """Record the message; False when the same source event asked for it already (nothing is sent twice).
        `erased_before`: whether any erasure was read before (False spares looking up whom a list names)."""
        contact = wanted.contact or Contact(wanted.recipient)
        language = contact.language if contact.language in LANGUAGES else self.default_language
        context = {**wanted.context, "recipient": contact.name or wanted.recipient}
        if wanted.kind == "complaint_closed":
            outcome = context.get("outcome")
            context["outcome"] = rules.OUTCOMES[language].get(outcome, outcome) if outcome else ""
        text = self.renderer.render(wanted.kind, language, context)
        channel = wanted.channel or ("email" if contact.email or not contact.phone else "sms")
        address = contact.email if channel == "email" else contact.phone
        message = Message(
            key=wanted.key,
            kind=wanted.kind,
            channel=channel,
            recipient=wanted.recipient,
            address=address,
            language=language,
            subject=text["subject"] if channel == "email" else "",
            body=text["body"] if channel == "email" else text["sms"],
            source_type=source.type,
            source_id=source.id,
            at=self.clock(),
            send_at=wanted.send_at,
            person=wanted.person,
        )
        named = self.listed.named_by(wanted.context.get("items") or []) if wanted.kind == "end_of_day_list" else ()
        self.listed.record(str(message.id), named)  # before the message: an erasure read meanwhile finds it
        try:
            self.save(message)
        except IntegrityError:
            return False
        if (
            named and erased_before and self.late.erased_among(named)
        ):  # someone on the list was erased before it was read
            self.forget_listed([str(message.id)])
        return True

    # -- sending ----------------------------------------------------------------------------------------------
    def message(self, mid: uuid.UUID) -> Message:
        try:
            found: Any = self.repository.get(mid)
        except AggregateNotFoundError:
            raise MessageNotFound(f"no message {mid}") from None
        if not isinstance(found, Message):
            raise MessageNotFound(f"no message {mid}")
        return found

    def due(self, now: datetime) -> list[uuid.UUID]:
        """Queued and retrying messages whose time has come, and attempts whose replica's lease has run out."""
        self.follower.catch_up()
        t = messages.c
        q = (
            sa.select(t.id)
            .where(t.status.in_(("queued", "retrying", "sending")), t.next_attempt_at <= _utc(now))
            .order_by(t.next_attempt_at, t.id)
        )
        with self.engine.connect() as conn:
            return [uuid.UUID(i) for (i,) in conn.execute(q)]

    def dispatch(self, now: datetime | None = None) -> dict[str, int]:
        """Send every message that is due by `now`; each outcome is recorded as an event of the message. A channel
        that can keep a connection open (SMTP) keeps one for the whole batch."""
        now = now or self.clock()
        counts = {"delivered": 0, "retrying": 0, "failed": 0}
        due = self.due(now)
        if not due:
            return counts
        with ExitStack() as batch:
            for channel in self.channels.values():
                opened = getattr(channel, "batch", None)
                if opened is not None:
                    batch.enter_context(opened())
            for mid in due:
                outcome = self.attempt(mid, now)
                if outcome in counts:  # not "skipped": sent, given up, withdrawn or claimed by another replica
                    counts[outcome] += 1
        return counts

    def attempt(self, mid: uuid.UUID, now: datetime) -> str:
        m = self.message(mid)  # the store, not the index, says whether it is still open
        if m.closed or (m.next_attempt_at is not None and m.next_attempt_at > now):
            return "skipped"
        # Claimed before anything is sent: the store takes this event from one replica only
        m.start_attempt(by=self.replica, at=now, lease_until=now + timedelta(seconds=self.config.claim_seconds))
        try:
            self.save(m)
        except IntegrityError:  # another replica claimed it (or recorded an outcome) since it was read
            CLAIM_LOST.inc()
            return "skipped"
        channel = self.channels.get(m.channel)
        error: str | None = None
        final = False
        if not m.address:
            error, final = f"no {m.channel} address known for {m.recipient}", True
        elif channel is None:
            error = f"no {m.channel} channel is set up"
        else:
            try:
                body = self._filled_in(m)
                channel.send(Outgoing(str(m.id), m.address, m.recipient, m.subject, body, now))
            except NotSent as exc:
                error = str(exc)
            except LinkGone as exc:
                return self._withdrawn(m, f"withdrawn: {exc}", now)
        if error is None:
            m.deliver(at=now)
            SENT.labels(m.channel, m.kind).inc()
        else:
            attempt = m.attempts + 1
            if final or attempt >= self.config.max_attempts:
                m.fail_attempt(error=error, at=now, next_attempt_at=None)
                FAILED.labels(m.channel, m.kind).inc()
                log.error("message %s to %s failed for good: %s", m.id, m.recipient, error)
            else:
                delay = backoff_delay(attempt, self.config.backoff_first_seconds, self.config.backoff_max_seconds)
                m.fail_attempt(error=error, at=now, next_attempt_at=now + delay)
                RETRIED.labels(m.channel, m.kind).inc()
                log.warning("message %s to %s not sent (%s); again in %s", m.id, m.recipient, error, delay)
        try:
            self.save(m)
        except IntegrityError:  # withdrawn meanwhile, or the lease ran out and another replica took it over
            log.error("message %s: outcome not recorded, the message changed meanwhile", m.id)
            return "skipped"
        return m.status if m.status != "queued" else "retrying"

    def _filled_in(self, m: Message) -> str:
        """The body as sent: a survey link's URL, with its secret, is asked for now and kept nowhere."""
        link_id = rules.link_id_of(m.key) if rules.LINK_SLOT in m.body else None
        if link_id is None:
            return m.body
        if self.survey_links is None:
            raise NotSent("the surveys service's door is not set up")
        return m.body.replace(rules.LINK_SLOT, self.survey_links.url(link_id))

    def _withdrawn(self, m: Message, reason: str, now: datetime) -> str:
        m.cancel(reason=reason, at=now)
        try:
            self.save(m)
        except IntegrityError:
            return "skipped"
        return "cancelled"

    # -- index and queries ------------------------------------------------------------------------------------
    def _index(self, conn: sa.Connection, notifications: Sequence[Notification]) -> None:
        ids = dict.fromkeys(n.originator_id for n in notifications if n.topic.startswith(MESSAGE_TOPIC_PREFIX))
        if not ids:
            return
        rows = [record_of(self.message(uuid.UUID(str(i)))) for i in ids]
        conn.execute(messages.delete().where(messages.c.id.in_([r["id"] for r in rows])))
        conn.execute(messages.insert(), rows)

    def rebuild(self) -> int:
        with self.follower._serial:  # noqa: SLF001 - the follower's own lock, as the other indexes use it
            with self.engine.begin() as conn:
                conn.execute(messages.delete())
            self.follower.reset()
            return self.follower.catch_up()

    def search(
        self,
        *,
        status: str | None = None,
        kind: str | None = None,
        recipient: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[dict[str, Any]], int]:
        self.follower.catch_up()
        t = messages.c
        where = [c == v for c, v in ((t.status, status), (t.kind, kind), (t.recipient, recipient)) if v is not None]
        q = sa.select(messages).where(*where).order_by(t.requested_at.desc(), t.id).limit(limit).offset(offset)
        count = sa.select(sa.func.count()).select_from(messages).where(*where)
        with self.engine.connect() as conn:
            total = int(conn.execute(count).scalar() or 0)
            return [_row(r) for r in conn.execute(q)], total

    def counts(self) -> dict[str, int]:
        t = messages.c
        with self.engine.connect() as conn:
            return dict(conn.execute(sa.select(t.status, sa.func.count()).group_by(t.status)).all())

    def detail(self, mid: uuid.UUID) -> dict[str, Any]:
        m = self.message(mid)
        return {**record_of(m), "body": m.body}


Take = Callable[[Iterable[CloudEvent]], int]
__all__ = ["Notifier", "Renderer", "MessageNotFound", "message_id", "Take"]
