"""The console's user accounts as event-sourced aggregates, so that who was given which role, unit or language by
whom is in the same signed, exported audit trail as every other service's commands (topic crm.console.events.v1).

One aggregate per user name (its id is derived from the name). The events never hold a password or its hash: the
audit export is handed to auditors, so the argon2id hashes stay in the console's credentials table, and an event
only says that a password was set or changed, and by whom. Logins and logouts are not events: there are many of
them each day for every person, they say nothing about what a user may do, and they are kept in a table of their
own (services/console/users.py).

Event data holds only JSON-native values; rules are checked by UserDirectory before a command, the @event bodies
only set state, so replaying the history never refuses.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate, event

from services.console.contract import CONTRACT
from shared.contracts import EventContract
from shared.eventstore import CrmApplication

USER_NAMESPACE = uuid.UUID("0d6f4c1e-8b7a-4f2e-9c53-6a1e2b7d9f40")


def account_id(name: str) -> uuid.UUID:
    return uuid.uuid5(USER_NAMESPACE, f"user:{name}")


class UserAccount(Aggregate):
    @event("Added")
    def __init__(
        self,
        *,
        name: str,
        roles: list[str],
        unit: str | None,
        language: str,
        email: str | None,
        phone: str | None,
        password_set: bool,
        by: str,
        at: datetime,
    ):
        self.name = name
        self.roles = list(roles)
        self.unit = unit
        self.language = language
        self.email = email
        self.phone = phone
        self.disabled = False
        self.created_at = at
        self.notifications: dict[str, str] = {}  # optional message -> channel, as the user chose them

    @classmethod
    def create_id(cls, *, name: str, **_: object) -> uuid.UUID:
        return account_id(name)

    @event("RolesChanged")
    def change_roles(self, *, before: list[str], after: list[str], by: str, at: datetime) -> None:
        self.roles = list(after)

    @event("UnitChanged")
    def change_unit(self, *, before: str | None, after: str | None, by: str, at: datetime) -> None:
        self.unit = after

    @event("LanguageChanged")
    def change_language(self, *, before: str, after: str, by: str, at: datetime) -> None:
        self.language = after

    @event("EmailChanged")
    def change_email(self, *, after: str | None, by: str, at: datetime) -> None:
        self.email = after

    @event("PhoneChanged")
    def change_phone(self, *, after: str | None, by: str, at: datetime) -> None:
        self.phone = after

    @event("Disabled")
    def disable(self, *, by: str, at: datetime) -> None:
        self.disabled = True

    @event("Enabled")
    def enable(self, *, by: str, at: datetime) -> None:
        self.disabled = False

    @event("PasswordChanged")
    def password_changed(self, *, by: str, at: datetime) -> None:
        pass

    @event("Unlocked")
    def unlocked(self, *, by: str, at: datetime) -> None:
        pass

    @event("NotificationsChosen")
    def choose_notifications(self, *, choices: dict[str, str], by: str, at: datetime) -> None:
        """`choices`: every optional message (shared/notification_choices.py) and its channel, or "none"."""
        self.notifications = dict(choices)


# The history's names of the events and of their fields (as the users API has always shown them).
HISTORY_TYPES = {
    "Added": "user.added",
    "RolesChanged": "user.roles_changed",
    "UnitChanged": "user.unit_changed",
    "LanguageChanged": "user.language_changed",
    "EmailChanged": "user.email_changed",
    "PhoneChanged": "user.phone_changed",
    "Disabled": "user.disabled",
    "Enabled": "user.enabled",
    "PasswordChanged": "user.password_changed",
    "Unlocked": "user.unlocked",
    "NotificationsChosen": "user.notifications_chosen",
}
HISTORY_FIELDS = {"before": "from", "after": "to"}


class UserBook(CrmApplication):
    """The console's event store of user accounts."""

    service: ClassVar[str] = "console"
    contract: ClassVar[EventContract] = CONTRACT

    def account(self, name: str) -> UserAccount | None:
        try:
            found: UserAccount = self.repository.get(account_id(name))
        except AggregateNotFoundError:
            return None
        return found

    def history(self, name: str) -> list[dict[str, Any]]:
        """The account's events, oldest first: type, by, at and what changed."""
        out = []
        for e in self.repository.event_store.get(account_id(name)):
            data = {k: v for k, v in e.__dict__.items() if not k.startswith("originator_") and k != "timestamp"}
            by, at = data.pop("by"), data.pop("at")
            data.pop("name", None)
            out.append(
                {
                    "type": HISTORY_TYPES[type(e).__name__],
                    "by": by,
                    "at": at,
                    "data": {HISTORY_FIELDS.get(k, k): v for k, v in data.items()},
                }
            )
        return out
