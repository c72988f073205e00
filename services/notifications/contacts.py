"""Who can be reached where: a small `Contacts` interface with one source per kind of person.

Staff come from the organisation file's `[[people]]` entries; members from the members service's events on its
topic (kept here, so a message goes out while the members service is down); complainants from the complaint's own
received event, which carries the address the complainant gave. Console users with an e-mail address can be added
later as one more source in `ChainedContacts`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import sqlalchemy as sa

from shared.db import create_tables
from shared.envelope import CloudEvent
from shared.organisation import Organisation
from shared.privacy import ERASED

LANGUAGES = ("fa", "tr", "en")


@dataclass(frozen=True)
class Contact:
    name: str
    email: str | None = None
    phone: str | None = None
    language: str | None = None


class Contacts(Protocol):
    def contact_of(self, name: str) -> Contact | None:
        """The contact of a person known by user name (staff) or member id; None when unknown."""


class OrganisationContacts:
    def __init__(self, organisation: Organisation):
        self.people = {p.name: p for p in organisation.people}

    def contact_of(self, name: str) -> Contact | None:
        person = self.people.get(name)
        if person is None:
            return None
        return Contact(person.name, person.email, person.phone, person.language)


class ChainedContacts:
    """The first source that knows the person."""

    def __init__(self, *sources: Contacts):
        self.sources = sources

    def contact_of(self, name: str) -> Contact | None:
        for source in self.sources:
            found = source.contact_of(name)
            if found is not None:
                return found
        return None


metadata = sa.MetaData()
member_contacts = sa.Table(
    "notification_member_contacts",
    metadata,
    sa.Column("member_id", sa.String(36), primary_key=True),
    sa.Column("membership_number", sa.String(50), index=True),
    sa.Column("name", sa.String(300)),
    sa.Column("email", sa.String(300)),
    sa.Column("phone", sa.String(30)),
    sa.Column("language", sa.String(5)),
    sa.Column("version", sa.Integer, nullable=False),
)
complaint_contacts = sa.Table(
    "notification_complaint_contacts",
    metadata,
    sa.Column("complaint_id", sa.String(36), primary_key=True),
    sa.Column("reference", sa.String(50), nullable=False),
    sa.Column("name", sa.String(300)),
    sa.Column("email", sa.String(300)),
    sa.Column("phone", sa.String(30)),
    sa.Column("member_number", sa.String(50)),
)

# What a later event needs to be told in words: a survey's subject, a desk report's period (its reissue omits it).
labels = sa.Table(
    "notification_labels",
    metadata,
    sa.Column("aggregate_id", sa.String(36), primary_key=True),
    sa.Column("data", sa.Text, nullable=False),
)
SURVEY_REQUESTED = "crm.surveys.survey.requested.v1"
RATIO_ISSUED = "crm.desks.ratio_report.issued.v1"
DESK_PLANNED = "crm.desks.desk.planned.v1"
SESSION_PLANNED = "crm.desks.session.planned.v1"
SESSION_INVITEES = "crm.desks.session.invitees_selected.v1"
# wire type -> the fields of its payload kept as the aggregate's label
LABELLED = {
    RATIO_ISSUED: ("period", "start", "end"),
    DESK_PLANNED: ("agency", "starts_at", "desk_day", "reminder_day", "place"),
    SESSION_PLANNED: ("trade_group", "starts_at", "place", "topics"),
}

# A desk's cancelled registrations (by number), kept in its label: a reminder asked for later is not sent
REGISTRATION_CANCELLED = "crm.desks.desk.registration_cancelled.v1"

MEMBER_REGISTERED = "crm.members.member.registered.v1"
MEMBER_UPDATED = "crm.members.member.details_updated.v1"
COMPLAINT_RECEIVED = "crm.complaints.complaint.received.v1"
# An erased person's name reads [erased] and their addresses are forgotten: nothing more can reach them.
MEMBER_ERASED = "crm.members.member.erased.v1"
COMPLAINANT_ERASED = "crm.complaints.complaint.complainant_erased.v1"


def first_phone(contacts: Iterable[Mapping[str, Any]] | None) -> str | None:
    for contact in contacts or ():
        for phone in contact.get("phones") or ():
            if isinstance(phone, Mapping) and phone.get("e164"):
                return str(phone["e164"])
    return None


def language_of(value: Any) -> str | None:
    return value if value in LANGUAGES else None


class EventContacts:
    """Members' and complainants' addresses, kept from their events (applied once each, by version or id)."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        create_tables(metadata, engine)

    def apply(self, events: Iterable[CloudEvent]) -> None:
        with self.engine.begin() as conn:
            for e in events:
                if e.type == MEMBER_REGISTERED:
                    self._member(conn, e, e.data, registered=True)
                elif e.type == MEMBER_UPDATED:
                    self._member(conn, e, e.data.get("changes") or {}, registered=False)
                elif e.type == SURVEY_REQUESTED:
                    self._label(conn, e.subject, {"title": e.data.get("subject")})
                elif e.type == REGISTRATION_CANCELLED:
                    kept = self._read_label(conn, e.subject).get("cancelled") or []
                    number = e.data["number"]
                    self._label(conn, e.subject, {"cancelled": kept if number in kept else [*kept, number]})
                elif e.type == SESSION_INVITEES:
                    # The membership numbers only: the names and phones are the members' (sealed in the desks'
                    # store), and a copy here would outlive their erasure.
                    invitees = [{"member_id": i.get("member_id")} for i in e.data.get("invitees") or []]
                    self._label(conn, e.subject, {"invitees": invitees})
                elif e.type in LABELLED:
                    self._label(conn, e.subject, {k: e.data.get(k) for k in LABELLED[e.type]})
                elif e.type == MEMBER_ERASED:
                    conn.execute(
                        member_contacts.update()
                        .where(member_contacts.c.member_id == e.subject)
                        .values(name=ERASED, email=None, phone=None)
                    )
                elif e.type == COMPLAINANT_ERASED:
                    conn.execute(
                        complaint_contacts.update()
                        .where(complaint_contacts.c.complaint_id == e.subject)
                        .values(name=ERASED, email=None, phone=None)
                    )
                elif e.type == COMPLAINT_RECEIVED:
                    d = e.data
                    conn.execute(complaint_contacts.delete().where(complaint_contacts.c.complaint_id == e.subject))
                    conn.execute(
                        complaint_contacts.insert().values(
                            complaint_id=e.subject,
                            reference=d["reference"],
                            name=d.get("complainant_name"),
                            email=d.get("contact_email"),
                            phone=d.get("contact_phone"),
                            member_number=d.get("member_number"),
                        )
                    )

    @staticmethod
    def _read_label(conn: sa.Connection, aggregate_id: str) -> dict[str, Any]:
        found = conn.execute(sa.select(labels.c.data).where(labels.c.aggregate_id == aggregate_id)).scalar()
        return json.loads(found) if found else {}

    @classmethod
    def _label(cls, conn: sa.Connection, aggregate_id: str, data: Mapping[str, Any]) -> None:
        """Merged into what is kept already: a session's plan and its invitees come in two events."""
        merged = {**cls._read_label(conn, aggregate_id), **data}
        conn.execute(labels.delete().where(labels.c.aggregate_id == aggregate_id))
        conn.execute(labels.insert().values(aggregate_id=aggregate_id, data=json.dumps(merged)))

    def label(self, aggregate_id: str) -> dict[str, Any]:
        """What was kept about an aggregate (a survey's title, a desk report's period); empty when nothing."""
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(labels.c.data).where(labels.c.aggregate_id == aggregate_id)).scalar()
        return json.loads(found) if found else {}

    def _member(self, conn: sa.Connection, e: CloudEvent, data: Mapping[str, Any], *, registered: bool) -> None:
        t = member_contacts
        row = conn.execute(sa.select(t).where(t.c.member_id == e.subject)).mappings().first()
        if row is not None and row["version"] >= e.sequence:
            return  # already applied (a replay)
        values: dict[str, Any] = {"version": e.sequence}
        if "membership_number" in data:
            values["membership_number"] = data["membership_number"]
        if data.get("name"):
            values["name"] = data["name"]
        if "email" in data:
            values["email"] = data["email"] or None
        if "contacts" in data:
            values["phone"] = first_phone(data["contacts"])
        if "preferred_language" in data:
            values["language"] = language_of(data["preferred_language"])
        if row is None:
            conn.execute(t.insert().values(member_id=e.subject, **values))
        else:
            conn.execute(t.update().where(t.c.member_id == e.subject).values(**values))

    def member(self, member_id: str | None = None, membership_number: str | None = None) -> Contact | None:
        t = member_contacts
        if member_id:
            where = t.c.member_id == member_id
        elif membership_number:
            where = t.c.membership_number == membership_number
        else:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t).where(where)).mappings().first()
        if row is None:
            return None
        return Contact(row["name"] or row["member_id"], row["email"], row["phone"], row["language"])

    def contact_of(self, name: str) -> Contact | None:
        return self.member(member_id=name)

    def recipients_erased(self, events: Iterable[CloudEvent]) -> list[str]:
        """Who the erasures among `events` erase, as messages name their recipients: a member by id, a
        complainant by the complaint's reference."""
        found = [e.subject for e in events if e.type == MEMBER_ERASED]
        if found:  # a message may name a member by membership number (a survey link, a session's invitation)
            q = sa.select(member_contacts.c.membership_number).where(member_contacts.c.member_id.in_(found))
            with self.engine.connect() as conn:
                found.extend(n for n in conn.execute(q).scalars() if n)
        complaints = [e.subject for e in events if e.type == COMPLAINANT_ERASED]
        if complaints:
            t = complaint_contacts
            q = sa.select(t.c.reference).where(t.c.complaint_id.in_(complaints))
            with self.engine.connect() as conn:
                found.extend(conn.execute(q).scalars())
        return found

    def complainant(self, complaint_id: str) -> tuple[str, Contact] | None:
        """(reference, contact) of a complaint's complainant; the member's language when the member is known."""
        t = complaint_contacts
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t).where(t.c.complaint_id == complaint_id)).mappings().first()
        if row is None:
            return None
        member = self.member(membership_number=row["member_number"]) if row["member_number"] else None
        contact = Contact(
            row["name"] or (member.name if member else "") or "",
            row["email"] or (member.email if member else None),
            row["phone"] or (member.phone if member else None),
            member.language if member else None,
        )
        return row["reference"], contact
