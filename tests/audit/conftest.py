"""An event store with events in it, a key pair and the `crm` command line, in a temporary data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.cli import main
from services.members.main import build_directory


@pytest.fixture
def crm(settings, monkeypatch, capsys):
    """`crm ARGS...` in-process, with the test's data folder: returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("CRM_DATA_DIR", str(settings.data_dir))

    def run(*args: object) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def members_store(settings, clock):
    """Twelve members, each registered then updated: 24 events in the members store."""
    directory = build_directory(settings, clock)
    for i in range(12):
        number = str(3000 + i)
        directory.register_member(number, {"kind": "company", "name": f"شرکت نمونه {i}"}, by="z.rahimi")
        directory.update_member(number, {"email": f"office{i}@example.ir"}, by="z.rahimi")
    directory.close()
    return settings


@pytest.fixture
def keys(crm, tmp_path) -> tuple[Path, Path]:
    code, _, _ = crm("audit", "keygen", "--out", tmp_path / "keys")
    assert code == 0
    return tmp_path / "keys" / "audit-ed25519.key", tmp_path / "keys" / "audit-ed25519.pub"


@pytest.fixture
def export_dir(crm, members_store, keys, tmp_path) -> Path:
    out = tmp_path / "export"
    code, _, err = crm("audit", "export", "--service", "members", "--out", out, "--key", keys[0])
    assert code == 0, err
    return out
