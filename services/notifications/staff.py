"""The staff's own choices, from the console's topic: the address, telephone and language each person gave their
console account, and which optional messages they want by which channel (crm.console.user.notifications_chosen.v1).

The organisation file stays the default: a person who never chose keeps its `queue_mail`, and an address or
language missing from the account is the file's. Each account's events are applied once, in order (by version).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from services.notifications.contacts import LANGUAGES, Contact, Contacts
from shared.db import create_tables
from shared.envelope import CloudEvent

PREFIX = "crm.console.user."
ADDED = f"{PREFIX}added.v1"
# wire type -> the account's column it sets, from the event's `after` (the added event sets all three)
CHANGES = {
    f"{PREFIX}email_changed.v1": "email",
    f"{PREFIX}phone_changed.v1": "phone",
    f"{PREFIX}language_changed.v1": "language",
}
CHOSEN = f"{PREFIX}notifications_chosen.v1"
CONSOLE_TYPES = frozenset({ADDED, CHOSEN, *CHANGES})

metadata = sa.MetaData()
staff_accounts = sa.Table(
    "notification_staff_accounts",
    metadata,
    sa.Column("account_id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(64), nullable=False, index=True),
    sa.Column("email", sa.String(300)),
    sa.Column("phone", sa.String(30)),
    sa.Column("language", sa.String(5)),
    sa.Column("choices", sa.Text, nullable=False),  # JSON: optional message -> email, sms or none
    sa.Column("version", sa.Integer, nullable=False),
)


class StaffChoices:
    """The console's accounts as the notifier needs them; `contact_of` takes the account's own address, telephone and
    language first, and what the account lacks from `fallback` (the organisation file's people)."""

    def __init__(self, engine: sa.Engine, fallback: Contacts):
        self.engine = engine
        self.fallback = fallback
        create_tables(metadata, engine)

    def apply(self, events: Iterable[CloudEvent]) -> None:
        wanted = [e for e in events if e.type in CONSOLE_TYPES]
        if not wanted:
            return
        t = staff_accounts
        with self.engine.begin() as conn:
            for e in wanted:
                row = conn.execute(sa.select(t.c.version).where(t.c.account_id == e.subject)).first()
                if e.type == ADDED:
                    if row is not None:
                        continue  # a replay
                    d = e.data
                    conn.execute(
                        t.insert().values(
                            account_id=e.subject,
                            name=d["name"],
                            email=d.get("email"),
                            phone=d.get("phone"),
                            language=d.get("language"),
                            choices="{}",
                            version=e.sequence,
                        )
                    )
                    continue
                if row is None or row.version >= e.sequence:
                    continue  # an account whose start was never seen, or an event applied already
                values: dict[str, Any] = {"version": e.sequence}
                if e.type == CHOSEN:
                    values["choices"] = json.dumps(e.data.get("choices") or {})
                else:
                    values[CHANGES[e.type]] = e.data.get("after")
                conn.execute(t.update().where(t.c.account_id == e.subject).values(**values))

    def _row(self, name: str) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(staff_accounts).where(staff_accounts.c.name == name)).first()

    def choice(self, name: str, kind: str) -> str | None:
        """The channel the person chose for an optional message (email, sms or none); None: never chosen."""
        row = self._row(name)
        if row is None:
            return None
        found = json.loads(row.choices).get(kind)
        return str(found) if found else None

    def contact_of(self, name: str) -> Contact | None:
        known = self.fallback.contact_of(name)
        row = self._row(name)
        if row is None:
            return known
        language = row.language if row.language in LANGUAGES else None
        return Contact(
            name,
            row.email or (known.email if known else None),
            row.phone or (known.phone if known else None),
            language or (known.language if known else None),
        )
