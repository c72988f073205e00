"""The console's users (their event store and index), lock-out and sessions on PostgreSQL (a schema of their own),
as in deployment."""

from __future__ import annotations

import pytest

from services.console.main import build_directory
from services.console.users import BadCredentials, LockedOut, fast_hasher
from shared.auth import TokenStore
from tests.integration.conftest import pg_settings


def test_users_lock_out_and_sessions_work_on_postgresql(settings, pg_schema, clock) -> None:
    pg = pg_settings(settings, pg_schema)
    tokens = TokenStore(pg.auth_db_url, cache_seconds=0)
    directory = build_directory(pg, clock, fast_hasher(), tokens=tokens)
    directory.add("z.rahimi", ["expert"], by="operator", password="correct horse battery", unit="member_relations")
    again = build_directory(pg, clock, fast_hasher(), tokens=tokens)  # a second replica, its own store connection
    session = again.open_session(again.authenticate("z.rahimi", "correct horse battery"))
    assert directory.session(session.id).user.name == "z.rahimi"
    assert tokens.verify(session.token).name == "z.rahimi"
    clock.advance(minutes=61)
    assert directory.session(session.id) is None and tokens.verify(session.token) is None
    for _ in range(5):
        with pytest.raises(BadCredentials):
            directory.authenticate("z.rahimi", "wrong password!")
    with pytest.raises(LockedOut):
        again.authenticate("z.rahimi", "correct horse battery")
    assert [e["type"] for e in directory.history("z.rahimi")] == ["user.added", "user.logged_in"]
