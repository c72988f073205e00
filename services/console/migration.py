"""Installs made before the users' accounts were event-sourced kept the console's users in a plain table,
`console_users` (name, password hash, comma-separated roles, unit, language, e-mail, telephone, disabled,
created_at), beside the console's other tables. On start, and with `crm users migrate`, each of those users becomes
an account of the event store (an Added event, and a Disabled one for a disabled user), recorded by "migration" at
the time the user was created; the password hash moves to `console_credentials` unchanged, so everyone logs in as
before. It runs once: only while the store holds no account at all. The old table is left as it was (its history,
`console_user_events`, too) for whoever wants to compare."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import sqlalchemy as sa
from eventsourcing.persistence import IntegrityError

from services.console.accounts import UserAccount
from services.console.users import UserDirectory, credentials
from shared.auth import Role

log = logging.getLogger(__name__)

OLD_TABLE = "console_users"
BY = "migration"
LANGUAGES = ("fa", "tr", "en")


def _roles(text: str | None) -> list[str]:
    known = {r.value for r in Role}
    return [r for r in (part.strip() for part in (text or "").split(",")) if r in known]


def _utc(t: datetime | None) -> datetime:
    if t is None:
        return datetime.now(UTC)
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t


def migrate_old_users(directory: UserDirectory) -> int:
    """Imports the old table's users as events, if the table exists and the store has no account yet; returns how
    many were imported (0 when there was nothing to do)."""
    engine = directory.engine
    if not sa.inspect(engine).has_table(OLD_TABLE):
        return 0
    if directory.book.recorder.select_notifications(0, 1, inclusive_of_start=False):
        return 0  # the store has accounts already: imported before, or users were added since
    old = sa.Table(OLD_TABLE, sa.MetaData(), autoload_with=engine)
    with engine.connect() as conn:
        rows = list(conn.execute(sa.select(old).order_by(old.c.created_at, old.c.name)).mappings())
    imported = 0
    for row in rows:
        name = str(row["name"]).strip().lower()
        roles = _roles(row.get("roles"))
        if not roles:
            log.warning("console user %s has no role the console knows (%r): not imported", name, row.get("roles"))
            continue
        at = _utc(row.get("created_at"))
        language = str(row["language"]) if row.get("language") in LANGUAGES else "fa"
        account = UserAccount(
            name=name,
            roles=roles,
            unit=row.get("unit") or None,
            language=language,
            email=row.get("email") or None,
            phone=row.get("phone") or None,
            password_set=row.get("password_hash") is not None,
            by=BY,
            at=at,
        )
        if row.get("disabled"):
            account.disable(by=BY, at=at)
        with engine.begin() as conn:
            conn.execute(credentials.delete().where(credentials.c.name == name))
            conn.execute(credentials.insert().values(name=name, password_hash=row.get("password_hash")))
        try:
            directory.book.save(account)
        except IntegrityError:  # another replica starting at the same time imported this user first
            continue
        imported += 1
    if imported:
        log.info("imported %d console users from the old table %s", imported, OLD_TABLE)
    return imported
