"""An install from before the event-sourced accounts: its users, kept in the plain table `console_users`, become
accounts of the event store on start (once), with their password hashes, roles, units and languages, and
`crm users migrate` does the same from the command line."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from services.cli import main
from services.console.main import build_directory, create_app
from services.console.users import BadCredentials, fast_hasher
from shared.auth import Role
from shared.db import create_engine
from tests.console.conftest import csrf_of

OLD = "an old passphrase"


def old_install(url: str) -> None:
    """The table as the console kept it then (services/console/users.py before the accounts were event-sourced)."""
    metadata = sa.MetaData()
    users = sa.Table(
        "console_users",
        metadata,
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("roles", sa.String(400), nullable=False),
        sa.Column("unit", sa.String(100), nullable=True),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("phone", sa.String(40), nullable=True),
        sa.Column("disabled", sa.Boolean, nullable=False, default=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    engine = create_engine(url)
    metadata.create_all(engine)
    hashed = fast_hasher().hash(OLD)
    when = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            users.insert(),
            [
                {
                    "name": "f.alavi",
                    "password_hash": hashed,
                    "roles": "unit_manager,expert",
                    "unit": "trade",
                    "language": "tr",
                    "email": "f.alavi@example.org",
                    "phone": None,
                    "disabled": False,
                    "created_at": when,
                },
                {
                    "name": "old.clerk",
                    "password_hash": hashed,
                    "roles": "expert",
                    "unit": "member_relations",
                    "language": "fa",
                    "email": None,
                    "phone": "+989131234567",
                    "disabled": True,
                    "created_at": when,
                },
                {
                    "name": "oidc.only",
                    "password_hash": None,
                    "roles": "auditor",
                    "unit": None,
                    "language": "en",
                    "email": None,
                    "phone": None,
                    "disabled": False,
                    "created_at": when,
                },
            ],
        )
    engine.dispose()


def test_the_old_users_become_accounts_on_start_once_and_log_in_with_their_old_passwords(
    console_settings, clock
) -> None:
    old_install(console_settings.local_db_url("console"))
    app = create_app(console_settings, clock=clock, hasher=fast_hasher())
    directory = app.state.console.directory
    alavi = directory.get("f.alavi")
    assert alavi.roles == (Role.UNIT_MANAGER, Role.EXPERT) and alavi.unit == "trade" and alavi.language == "tr"
    assert alavi.email == "f.alavi@example.org" and alavi.has_password
    assert directory.get("old.clerk").disabled and not directory.get("oidc.only").has_password
    history = directory.history("f.alavi")
    assert [(e["type"], e["by"]) for e in history] == [("user.added", "migration")]
    assert history[0]["at"] == datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        login = client.get("/login")
        data = {"csrf": csrf_of(login.text), "user_name": "f.alavi", "password": OLD}
        assert client.post("/login", data=data).status_code == 303  # the old hash, unchanged
        with pytest.raises(BadCredentials):
            directory.authenticate("old.clerk", OLD)  # disabled then, disabled now
        assert sorted(u.name for u in directory.all()) == ["f.alavi", "oidc.only", "old.clerk"]
        events = len(directory.history("f.alavi"))
    again = create_app(console_settings, clock=clock, hasher=fast_hasher())  # a second start imports nothing
    assert len(again.state.console.directory.history("f.alavi")) == events


def test_crm_users_migrate_imports_once_and_not_over_users_added_since(console_settings, monkeypatch, capsys) -> None:
    monkeypatch.setenv("CRM_DATA_DIR", str(console_settings.data_dir))
    old_install(console_settings.local_db_url("console"))
    assert main(["users", "migrate"]) == 0
    assert "3 users imported from console_users" in capsys.readouterr().out
    assert main(["users", "migrate"]) == 0
    assert "0 users imported" in capsys.readouterr().out
    directory = build_directory(console_settings, hasher=fast_hasher())
    assert directory.authenticate("f.alavi", OLD).name == "f.alavi"
    assert [e["type"] for e in directory.history("old.clerk")][:2] == ["user.added", "user.disabled"]


def test_a_store_with_accounts_already_is_not_touched(console_settings, clock) -> None:
    directory = build_directory(console_settings, clock, fast_hasher())
    directory.add("admin.one", ["admin"], by="operator", password="a long passphrase")
    old_install(console_settings.local_db_url("console"))
    app = create_app(console_settings, clock=clock, hasher=fast_hasher())
    assert app.state.console.directory.find("f.alavi") is None  # users were added since: no import over them
