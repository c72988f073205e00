"""A person's own choice of the optional messages (a new call back in the queue, a complaint step waiting on the
person, the weekly reports) and of the channel each comes by: one event of the user's account, published on the
console's topic, which the notifications service follows. Until a person chooses, the organisation file decides."""

from __future__ import annotations

from collections.abc import Mapping

from services.console.users import User, UserDirectory
from shared.auth import Role
from shared.errors import InvalidInput
from shared.notification_choices import CHANNELS, OPTIONAL
from shared.settings import Settings

# The roles whose people get the weekly and monthly reports (besides the names the settings list)
REPORT_ROLES = frozenset({Role.SG, Role.PRESIDENT})


def offered(user: User, settings: Settings) -> list[str]:
    """The optional messages this person may choose: the weekly reports only for those who get them."""
    gets_reports = bool(set(user.roles) & REPORT_ROLES) or user.name in settings.notifications.report_recipients
    return [kind for kind in OPTIONAL if kind != "weekly_reports" or gets_reports]


def current(user: User, default_queue_mail: bool) -> dict[str, str]:
    """What the person gets now: the recorded choice, else the organisation file's (an e-mail for the queue
    only when `queue_mail` is set, the reports by e-mail, nothing for complaint steps)."""
    defaults = {"queue_item": "email" if default_queue_mail else "none", "complaint_step": "none"}
    defaults["weekly_reports"] = "email"
    return {**defaults, **user.notifications}


def choose(directory: UserDirectory, name: str, choices: Mapping[str, str], *, by: str, kinds: list[str]) -> User:
    """Records the person's choice of `kinds` (the others keep what was chosen before); unknown channels are
    refused, and nothing is recorded when nothing changed."""
    user = directory.get(name)
    for kind in kinds:
        if choices.get(kind) not in CHANNELS:
            raise InvalidInput(f"{kind}: the channel must be one of {', '.join(CHANNELS)}")
    wanted = {**user.notifications, **{kind: choices[kind] for kind in kinds}}
    if wanted == user.notifications:
        return user
    account = directory.book.account(user.name)
    assert account is not None
    account.choose_notifications(choices=wanted, by=by, at=directory.clock())
    directory.book.save_or_conflict(account, what=f"user {user.name!r}")
    return directory.get(name)
