"""The console's users, their sessions and the record of every change made to them.

A user has a user name, a password hashed with argon2id (never the password itself), one or more roles of
shared.auth.Role, a unit, a language (fa, tr or en), an e-mail address and a telephone number. The account is an
event-sourced aggregate (services/console/accounts.py): every change is an event of the console's store (who did
what to whom, when, with what), published and exported for the audit like every other service's. The password
hashes are kept in `console_credentials` and never in an event; logins and logouts in `console_logins`.

Sessions are server-side: the browser holds a random session id in a cookie, the table holds its SHA-256, the
CSRF token of the session, the role acted in, and the bearer token minted for the user so that every command the
console sends to a service is that user's own, audited command. Time comes from the injected clock.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.console.accounts import UserAccount, UserBook
from shared.auth import Role, TokenStore
from shared.clock import Clock
from shared.db import create_engine, create_tables
from shared.errors import DomainError, InvalidInput, NotFound
from shared.settings import ConsoleSettings

LANGUAGES = ("fa", "tr", "en")
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 ()-]{5,30}$")

metadata = sa.MetaData()
# The secrets of the accounts, which never go into their events (the audit export is read by auditors).
credentials = sa.Table(
    "console_credentials",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("password_hash", sa.String(200), nullable=True),  # null: OpenID Connect only, or never set
)
# Logins and logouts: many a day for every person, kept here rather than as events of the account.
logins = sa.Table(
    "console_logins",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_name", sa.String(64), nullable=False, index=True),
    sa.Column("type", sa.String(60), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("role", sa.String(40), nullable=True),
)
failures = sa.Table(
    "console_login_failures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_name", sa.String(200), nullable=False, index=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)
sessions = sa.Table(
    "console_sessions",
    metadata,
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("user_name", sa.String(64), nullable=False, index=True),
    sa.Column("role", sa.String(40), nullable=False),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("token", sa.String(100), nullable=False),  # the bearer token minted for this session
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
)


class LockedOut(DomainError):
    status = 429
    title = "Too many failed logins"


class BadCredentials(DomainError):
    status = 401
    title = "Not authenticated"


@dataclass(frozen=True)
class User:
    name: str
    roles: tuple[Role, ...]
    unit: str | None
    language: str
    email: str | None
    phone: str | None
    disabled: bool
    has_password: bool
    created_at: datetime
    notifications: dict[str, str] = field(default_factory=dict)  # optional message -> channel, as chosen

    def public(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "roles": [r.value for r in self.roles],
            "unit": self.unit,
            "language": self.language,
            "email": self.email,
            "phone": self.phone,
            "disabled": self.disabled,
            "has_password": self.has_password,
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class Session:
    id: str  # what the cookie holds; only its hash is stored
    user: User
    role: Role
    csrf: str
    token: str
    created_at: datetime
    last_seen: datetime
    extra: dict[str, Any] = field(default_factory=dict)


def _hash_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _aware(t: datetime) -> datetime:
    """SQLite gives naive datetimes back; the console stores UTC only."""
    from datetime import UTC

    return t if t.tzinfo else t.replace(tzinfo=UTC)


def fast_hasher() -> PasswordHasher:
    """argon2id with the smallest cost the library allows: for tests only, where hundreds of hashes are made."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


class UserDirectory:
    def __init__(
        self,
        url: str,
        tokens: TokenStore,
        config: ConsoleSettings,
        clock: Clock,
        hasher: PasswordHasher | None = None,
        *,
        book: UserBook,
        names: Callable[[], list[str]],
    ):
        """`book` is the accounts' event store, `names` lists every account (the index of the store)."""
        self.engine = create_engine(url)
        create_tables(metadata, self.engine)  # several replicas may start together
        self.tokens = tokens
        self.config = config
        self.clock = clock
        self.book = book
        self.names = names
        # argon2id with argon2-cffi's defaults (RFC 9106's second recommended option: 64 MiB, 3 passes)
        self.hasher = hasher or PasswordHasher()
        self._dummy = self.hasher.hash(secrets.token_urlsafe(16))  # checked for unknown names: same time spent

    # ------------------------------------------------------------------ users

    def _hash(self, conn: sa.Connection, name: str) -> str | None:
        return conn.execute(sa.select(credentials.c.password_hash).where(credentials.c.name == name)).scalar()

    def _user(self, account: UserAccount, password_hash: str | None) -> User:
        return User(
            name=account.name,
            roles=tuple(Role(r) for r in account.roles),
            unit=account.unit,
            language=account.language,
            email=account.email,
            phone=account.phone,
            disabled=bool(account.disabled),
            has_password=password_hash is not None,
            created_at=account.created_at,
            notifications=dict(getattr(account, "notifications", {})),
        )

    def _account(self, name: str) -> UserAccount:
        account = self.book.account(name)
        if account is None:
            raise NotFound(f"no user {name!r}")
        return account

    def get(self, name: str) -> User:
        account = self._account(name)
        with self.engine.connect() as conn:
            return self._user(account, self._hash(conn, account.name))

    def find(self, name: str) -> User | None:
        try:
            return self.get(name)
        except NotFound:
            return None

    def all(self) -> list[User]:
        found = (self.find(name) for name in self.names())
        return [u for u in found if u is not None]

    def history(self, name: str) -> list[dict[str, Any]]:
        """The account's events, then its logins and logouts, merged by time (oldest first)."""
        self.get(name)
        changes = self.book.history(name)
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(logins).where(logins.c.user_name == name).order_by(logins.c.id))
            sessions_ = [
                {"type": r.type, "by": name, "at": _aware(r.at), "data": {"role": r.role} if r.role else {}}
                for r in rows
            ]
        return sorted(changes + sessions_, key=lambda e: e["at"])  # stable: changes first at the same instant

    def _log(self, conn: sa.Connection, name: str, type_: str, role: str | None = None) -> None:
        conn.execute(logins.insert().values(user_name=name, type=type_, at=self.clock(), role=role))

    def _check_password(self, password: str, name: str) -> None:
        if len(password) < self.config.min_password_length:
            raise InvalidInput(f"a password needs at least {self.config.min_password_length} characters")
        if len(password) > 1024:
            raise InvalidInput("a password may have at most 1024 characters")
        if password.lower() == name.lower():
            raise InvalidInput("the password may not be the user name")

    @staticmethod
    def _roles(roles: Sequence[Role | str]) -> tuple[Role, ...]:
        if not roles:
            raise InvalidInput("a user needs at least one role")
        try:
            out = tuple(dict.fromkeys(Role(r) for r in roles))
        except ValueError as exc:
            raise InvalidInput(f"{exc}; roles: {', '.join(r.value for r in Role)}") from None
        if set(out) & {Role.TELEPHONY, Role.MONITORING, Role.SERVICE}:
            raise InvalidInput("telephony, monitoring and service are machines' roles: give them a bearer token")
        return out

    @staticmethod
    def _details(language: str | None, email: str | None, phone: str | None) -> None:
        if language is not None and language not in LANGUAGES:
            raise InvalidInput(f"language must be one of {', '.join(LANGUAGES)}")
        if email and not EMAIL.match(email):
            raise InvalidInput(f"{email!r} is not an e-mail address")
        if phone and not PHONE.match(phone):
            raise InvalidInput(f"{phone!r} is not a telephone number")

    def add(
        self,
        name: str,
        roles: Sequence[Role | str],
        *,
        by: str,
        password: str | None = None,
        unit: str | None = None,
        language: str = "fa",
        email: str | None = None,
        phone: str | None = None,
    ) -> User:
        name = name.strip().lower()
        if not NAME.match(name):
            raise InvalidInput("a user name has 2 to 63 of a-z, 0-9, '.', '_' or '-', starting with a letter or digit")
        checked = self._roles(roles)
        self._details(language, email, phone)
        if password is not None:
            self._check_password(password, name)
        if self.book.account(name) is not None:
            raise DomainError(f"user {name!r} exists already")
        account = UserAccount(
            name=name,
            roles=[r.value for r in checked],
            unit=unit or None,
            language=language,
            email=email or None,
            phone=phone or None,
            password_set=password is not None,
            by=by,
            at=self.clock(),
        )
        with self.engine.begin() as conn:
            # The secret first: an account saved without its hash could not log in, a hash without an account is
            # replaced when the name is added again.
            conn.execute(credentials.delete().where(credentials.c.name == name))
            conn.execute(
                credentials.insert().values(
                    name=name, password_hash=self.hasher.hash(password) if password is not None else None
                )
            )
        self.book.save_or_conflict(account, what=f"user {name!r}")
        return self.get(name)

    def change(
        self,
        name: str,
        *,
        by: str,
        roles: Sequence[Role | str] | None = None,
        unit: str | None = None,
        clear_unit: bool = False,
        language: str | None = None,
        email: str | None = None,
        phone: str | None = None,
    ) -> User:
        """Change what is given (roles, unit, language, e-mail, telephone); each change is one recorded event."""
        current = self.get(name)
        self._details(language, email, phone)
        account = self._account(name)
        now = self.clock()
        changed: set[str] = set()
        if roles is not None:
            checked = self._roles(roles)
            if checked != current.roles:
                account.change_roles(
                    before=[r.value for r in current.roles], after=[r.value for r in checked], by=by, at=now
                )
                changed.add("roles")
        new_unit = None if clear_unit else (unit if unit is not None else current.unit)
        if (new_unit or None) != current.unit:
            account.change_unit(before=current.unit, after=new_unit or None, by=by, at=now)
            changed.add("unit")
        if language is not None and language != current.language:
            account.change_language(before=current.language, after=language, by=by, at=now)
        if email is not None and (email or None) != current.email:
            account.change_email(after=email or None, by=by, at=now)
        if phone is not None and (phone or None) != current.phone:
            account.change_phone(after=phone or None, by=by, at=now)
        self.book.save_or_conflict(account, what=f"user {current.name!r}")
        if changed:
            self.end_sessions(current.name)  # a session acts with the roles it was opened with: start over
        return self.get(name)

    def set_disabled(self, name: str, disabled: bool, *, by: str) -> User:
        current = self.get(name)
        if current.disabled != disabled:
            account = self._account(current.name)
            if disabled:
                account.disable(by=by, at=self.clock())
            else:
                account.enable(by=by, at=self.clock())
            self.book.save_or_conflict(account, what=f"user {current.name!r}")
        if disabled:
            self.end_sessions(current.name)
        return self.get(name)

    def set_password(self, name: str, password: str, *, by: str) -> None:
        current = self.get(name)
        self._check_password(password, current.name)
        account = self._account(current.name)
        account.password_changed(by=by, at=self.clock())
        with self.engine.begin() as conn:
            conn.execute(
                credentials.update()
                .where(credentials.c.name == current.name)
                .values(password_hash=self.hasher.hash(password))
            )
        self.book.save_or_conflict(account, what=f"user {current.name!r}")

    def change_own_password(self, session: Session, old: str, new: str) -> None:
        """The user's own change: the old password is checked first (failures count towards the lock-out)."""
        self.authenticate(session.user.name, old)
        self.set_password(session.user.name, new, by=session.user.name)
        self.end_sessions(session.user.name, keep=session.id)

    # ------------------------------------------------------------------ login

    def _recent_failures(self, conn: sa.Connection, name: str) -> int:
        since = self.clock() - timedelta(minutes=self.config.lockout_minutes)
        return int(
            conn.execute(
                sa.select(sa.func.count()).where(failures.c.user_name == name, failures.c.at > since)
            ).scalar_one()
        )

    def locked(self, name: str) -> bool:
        with self.engine.connect() as conn:
            return self._recent_failures(conn, name.strip().lower()) >= self.config.lockout_failures

    def authenticate(self, name: str, password: str) -> User:
        """The user, if the password is right, the user enabled and not locked out; otherwise BadCredentials (the
        same answer for an unknown name, a wrong password or a disabled user) or LockedOut."""
        name = name.strip().lower()[:200]
        with self.engine.connect() as conn:
            if self._recent_failures(conn, name) >= self.config.lockout_failures:
                raise LockedOut(
                    f"too many failed logins: try again in {self.config.lockout_minutes:g} minutes, or ask an admin"
                )
            stored = self._hash(conn, name)
        account = self.book.account(name) if stored else None
        ok = False
        try:
            ok = self.hasher.verify(stored or self._dummy, password)
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok or account is None or stored is None or account.disabled:
            with self.engine.begin() as conn:
                conn.execute(failures.insert().values(user_name=name, at=self.clock()))
            raise BadCredentials("the user name or the password is wrong")
        with self.engine.begin() as conn:
            conn.execute(failures.delete().where(failures.c.user_name == name))
            if self.hasher.check_needs_rehash(stored):
                conn.execute(
                    credentials.update()
                    .where(credentials.c.name == name)
                    .values(password_hash=self.hasher.hash(password))
                )
        return self._user(account, stored)

    def unlock(self, name: str, *, by: str) -> None:
        account = self._account(name)
        with self.engine.begin() as conn:
            conn.execute(failures.delete().where(failures.c.user_name == name))
        account.unlocked(by=by, at=self.clock())
        self.book.save_or_conflict(account, what=f"user {name!r}")

    # ------------------------------------------------------------------ sessions

    def open_session(self, user: User, role: Role | None = None) -> Session:
        if user.disabled:
            raise BadCredentials("the user is disabled")
        role = role or user.roles[0]
        if role not in user.roles:
            raise DomainError(f"{user.name} does not have the role {role.value}")
        session_id = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        token = self.tokens.create(user.name, role, user.unit)
        now = self.clock()
        with self.engine.begin() as conn:
            conn.execute(
                sessions.insert().values(
                    id_hash=_hash_id(session_id),
                    user_name=user.name,
                    role=role.value,
                    csrf=csrf,
                    token=token,
                    created_at=now,
                    last_seen=now,
                )
            )
            self._log(conn, user.name, "user.logged_in", role.value)
        return Session(session_id, user, role, csrf, token, now, now)

    def session(self, session_id: str | None) -> Session | None:
        """The live session of this id, its last use moved to now; None (and the session ended) when it has
        expired by age or idleness, or its user was disabled."""
        if not session_id or len(session_id) > 100:
            return None
        digest = _hash_id(session_id)
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(sessions).where(sessions.c.id_hash == digest)).first()
        account = self.book.account(row.user_name) if row is not None else None
        if row is None or account is None:
            return None
        now = self.clock()
        created, seen = _aware(row.created_at), _aware(row.last_seen)
        expired = now - created > timedelta(hours=self.config.session_hours) or now - seen > timedelta(
            minutes=self.config.idle_minutes
        )
        if expired or account.disabled:
            self._end(digest, row.token)
            return None
        with self.engine.begin() as conn:
            conn.execute(sessions.update().where(sessions.c.id_hash == digest).values(last_seen=now))
            user = self._user(account, self._hash(conn, account.name))
        return Session(session_id, user, Role(row.role), row.csrf, row.token, created, now)

    def _end(self, digest: str, token: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(sessions.delete().where(sessions.c.id_hash == digest))
        self.tokens.revoke_token(token)

    def close_session(self, session: Session) -> None:
        self._end(_hash_id(session.id), session.token)
        with self.engine.begin() as conn:
            self._log(conn, session.user.name, "user.logged_out")

    def end_sessions(self, name: str, keep: str | None = None) -> int:
        kept = _hash_id(keep) if keep else None
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(sessions.c.id_hash, sessions.c.token).where(sessions.c.user_name == name))
            found = [(r.id_hash, r.token) for r in rows if r.id_hash != kept]
        for digest, token in found:
            self._end(digest, token)
        return len(found)
