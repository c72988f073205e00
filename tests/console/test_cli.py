"""`crm users` and the demo users: the first admin is added from the command line, and `crm demo` leaves users a
person can log in with."""

from __future__ import annotations

import io

import pytest

from services.cli import main
from services.console.demo import DEMO_PASSWORD, load_console_users
from services.console.main import build_directory
from services.console.users import fast_hasher
from shared.auth import Role


@pytest.fixture
def env(settings, monkeypatch):
    monkeypatch.setenv("CRM_DATA_DIR", str(settings.data_dir))
    return settings


def test_the_first_admin_is_added_from_the_command_line_and_managed_there(env, monkeypatch, capsys) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long passphrase\n"))
    assert main(["users", "add", "admin.one", "--role", "admin", "--password-stdin"]) == 0
    assert main(["users", "set-role", "admin.one", "--role", "admin", "--role", "sg"]) == 0
    assert main(["users", "disable", "admin.one"]) == 0
    assert main(["users", "list"]) == 0
    assert "admin.one\tadmin,sg\t-\tfa\tdisabled" in capsys.readouterr().out
    directory = build_directory(env)
    assert directory.get("admin.one").roles == (Role.ADMIN, Role.SG)
    assert [e["by"] for e in directory.history("admin.one")][0].startswith("cli:")
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["users", "passwd", "admin.one", "--password-stdin"]) == 1  # refused, nothing changed
    assert main(["users", "enable", "admin.one"]) == 0
    assert directory.authenticate("admin.one", "a long passphrase").name == "admin.one"


def test_demo_users_log_in_with_the_printed_password(settings) -> None:
    out = io.StringIO()
    directory = build_directory(settings, hasher=fast_hasher())
    assert load_console_users(settings, out=out, directory=directory) > 10
    assert DEMO_PASSWORD in out.getvalue() and "/login" in out.getvalue()
    assert directory.authenticate("s.ahmadi", DEMO_PASSWORD).roles == (Role.EXPERT,)
    assert directory.get("f.alavi").roles == (Role.UNIT_MANAGER,) and directory.get("f.alavi").unit == "trade"
    assert directory.get("m.karimi").roles == (Role.MR_MANAGER,)
    assert load_console_users(settings, out=out, directory=directory) == 0  # again: nothing more
