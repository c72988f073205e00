"""Bearer tokens with roles, stored hashed in the token store shared by all services.

Tokens are 256-bit random strings, so a plain SHA-256 of the token is a sufficient verifier (no password
stretching is needed for secrets that cannot be guessed); only the hash is stored.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.db import create_engine


class Role(StrEnum):
    EXPERT = "expert"  # member-relations expert or a unit's expert
    UNIT_MANAGER = "unit_manager"
    MR_MANAGER = "mr_manager"  # member-relations manager
    SG = "sg"  # secretary general (and the president's office)
    # the chamber's president: sets the periodic surveys' timing, ratifies session programmes, receives the
    # six-monthly complaint report and the desks' ratio reports
    PRESIDENT = "president"
    COMMITTEE = "committee"  # complaint committee member
    AUDITOR = "auditor"  # reads everything, changes nothing
    TELEPHONY = "telephony"  # the chamber's telephone system
    ADMIN = "admin"  # operators: imports, rebuilds
    MONITORING = "monitoring"  # Prometheus and other scrapers: /metrics only
    SERVICE = "service"  # another CRM service (surveys, desks) opening complaints through the internal door
    MS_EXPERT = "member_services_expert"  # member services: plans and runs the service desks
    MS_MANAGER = "member_services_manager"  # approves a desk's registrants planning form


STAFF = (Role.EXPERT, Role.UNIT_MANAGER, Role.MR_MANAGER, Role.SG)
READERS = (*STAFF, Role.AUDITOR, Role.ADMIN)
# Who reads a record marked confidential in full, wherever it is shown: the service that keeps it and the reports
# built from its events apply the same entitlement without importing each other.
CONFIDENTIAL_READERS = frozenset({Role.MR_MANAGER, Role.SG, Role.AUDITOR})

metadata = sa.MetaData()
tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(40), nullable=False),
    sa.Column("unit", sa.String(100), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
)


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role
    unit: str | None = None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    """The token table, with a short cache so that checking a token costs no query on the hot path."""

    # Bounded: random tokens sent by anyone once grew the cache by 19 MB per 30,000. Unknown tokens are kept only
    # a moment (enough to absorb a burst of retries), so they cannot push the known ones out for long.
    CACHE_SIZE = 10_000
    UNKNOWN_SECONDS = 1.0

    def __init__(self, url: str, cache_seconds: float = 5.0, cache_size: int = CACHE_SIZE):
        self.engine = create_engine(url)
        metadata.create_all(self.engine)
        self._cache: OrderedDict[str, tuple[float, Principal | None]] = OrderedDict()
        self._cache_seconds = cache_seconds
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def create(self, name: str, role: Role | str, unit: str | None = None) -> str:
        role = Role(role)
        if not name.strip():
            raise ValueError("a token needs the name of the person or system it belongs to")
        token = "crm_" + secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(
                tokens.insert().values(
                    token_hash=hash_token(token),
                    name=name.strip(),
                    role=role.value,
                    unit=unit,
                    created_at=datetime.now(UTC),
                )
            )
        return token

    def revoke(self, name: str) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(
                tokens.update()
                .where(tokens.c.name == name, tokens.c.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC))
            )
        with self._lock:
            self._cache.clear()
        return result.rowcount

    def revoke_token(self, token: str) -> bool:
        """Revoke one token (a console session's, at logout), leaving the other tokens of its name in force."""
        digest = hash_token(token)
        with self.engine.begin() as conn:
            result = conn.execute(
                tokens.update()
                .where(tokens.c.token_hash == digest, tokens.c.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC))
            )
        with self._lock:
            self._cache.pop(digest, None)
        return result.rowcount == 1

    def list(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(tokens.c.name, tokens.c.role, tokens.c.unit, tokens.c.created_at, tokens.c.revoked_at)
            )
            return [dict(r._mapping) for r in rows]

    def cached(self, token: str) -> tuple[bool, Principal | None]:
        """(True, what `verify` would answer) when the cache still holds the token's answer, else (False, None):
        no query, so the request's event loop may ask it without a thread."""
        digest = hash_token(token)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(digest)
            if hit is not None:
                self._cache.move_to_end(digest)
        if hit and now - hit[0] < (self._cache_seconds if hit[1] else min(self._cache_seconds, self.UNKNOWN_SECONDS)):
            return True, hit[1]
        return False, None

    def verify(self, token: str) -> Principal | None:
        known, principal = self.cached(token)
        if known:
            return principal
        digest = hash_token(token)
        now = time.monotonic()
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(tokens.c.name, tokens.c.role, tokens.c.unit).where(
                    tokens.c.token_hash == digest, tokens.c.revoked_at.is_(None)
                )
            ).first()
        principal = Principal(row.name, Role(row.role), row.unit) if row else None
        with self._lock:
            self._cache[digest] = (now, principal)
            self._cache.move_to_end(digest)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return principal

    def cache_size(self) -> int:
        return len(self._cache)


_bearer = HTTPBearer(auto_error=False)


async def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    # Async, like `check` below: a plain `def` dependency costs every request two hops to the thread pool; only a
    # token not in the cache (once per token every few seconds) is looked up in the database, in a thread.
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "a bearer token is required (create one with `crm token create`)")
    store: TokenStore = request.app.state.tokens
    known, principal = store.cached(credentials.credentials)
    if not known:
        principal = await run_in_threadpool(store.verify, credentials.credentials)
    if principal is None:
        raise HTTPException(401, "the bearer token is unknown or revoked")
    return principal


def forbid(detail: str) -> HTTPException:
    """The 403 an access rule raises: the detail says who may do it, never what the record holds."""
    return HTTPException(403, detail)


def require(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency that admits only the given roles; 403 names the roles that may do it."""

    allowed = frozenset(roles)

    # async: a check of the role alone, with no thread hand-off of its own (a plain `def` runs in the thread pool)
    async def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise HTTPException(403, f"role {principal.role.value!r} may not do this; allowed: {names}")
        return principal

    return check
