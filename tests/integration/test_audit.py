"""The audit trail over the real stores: `crm audit` as a process, on SQLite and on PostgreSQL."""

from __future__ import annotations

import subprocess

import psycopg
import pytest

from services.members.main import build_directory
from services.registry import stored
from shared.audit.digests import Digester, digest_folder
from shared.audit.signing import generate_keys, load_private_key
from tests.integration.conftest import PG_URL, crm, crm_env, pg_settings

pytestmark = pytest.mark.integration


def fill(settings, clock, n: int = 10):
    directory = build_directory(settings, clock)
    for i in range(n):
        directory.register_member(str(5000 + i), {"kind": "company", "name": f"شرکت آزمون {i}"}, by="z.rahimi")
        directory.update_member(str(5000 + i), {"email": f"desk{i}@example.ir"}, by="z.rahimi")
    return directory


def run(*args, env) -> subprocess.CompletedProcess:
    proc = crm("audit", *map(str, args), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_the_crm_command_exports_and_verifies_a_sqlite_store(settings, clock, tmp_path):
    fill(settings, clock).close()
    env = crm_env(settings)
    assert run("keygen", "--out", tmp_path / "keys", env=env).returncode == 0
    done = run("export", "--all", "--out", tmp_path / "export", "--key", tmp_path / "keys/audit-ed25519.key", env=env)
    assert done.returncode == 0, done.stderr
    checked = run("verify", tmp_path / "export", "--public-key", tmp_path / "keys/audit-ed25519.pub", env=env)
    assert checked.returncode == 0 and f"verified ({len(stored())} files, 20 events)" in checked.stdout
    lines = (tmp_path / "export/members.jsonl").read_bytes().splitlines(keepends=True)
    (tmp_path / "export/members.jsonl").write_bytes(b"".join([*lines[:3], *lines[4:]]))
    checked = run("verify", tmp_path / "export", "--public-key", tmp_path / "keys/audit-ed25519.pub", env=env)
    assert checked.returncode == 1 and "members.jsonl line 4" in checked.stdout
    assert run("verify", tmp_path / "nowhere", "--public-key", tmp_path / "keys/x", env=env).returncode == 2


@pytest.mark.postgres
def test_a_postgresql_store_exports_and_a_later_edit_fails_its_digest(settings, clock, pg_schema, tmp_path):
    pg = pg_settings(settings, pg_schema)
    private, public = generate_keys(tmp_path / "keys")
    directory = fill(pg, clock)
    Digester(directory, digest_folder(pg.data_dir), load_private_key(private), clock=clock).make(20)
    directory.close()
    env = crm_env(pg)
    assert (
        run("export", "--service", "members", "--out", tmp_path / "before", "--key", private, env=env).returncode == 0
    )
    checked = run(
        "verify", tmp_path / "before", "--public-key", public, "--digests", digest_folder(pg.data_dir), env=env
    )
    assert checked.returncode == 0 and "1 digests checked" in checked.stdout, checked.stdout + checked.stderr

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        (name,) = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_name LIKE %s",
            (f"{pg_schema}members", "%events"),
        ).fetchone()
        table = f'"{pg_schema}members"."{name}"'
        (state,) = conn.execute(f"SELECT state FROM {table} WHERE notification_id = 4").fetchone()
        edited = bytes(state).replace(b"z.rahimi", b"a.someone")
        assert edited != bytes(state)
        conn.execute(f"UPDATE {table} SET state = %s WHERE notification_id = 4", (edited,))
    assert run("export", "--service", "members", "--out", tmp_path / "after", "--key", private, env=env).returncode == 0
    checked = run(
        "verify", tmp_path / "after", "--public-key", public, "--digests", digest_folder(pg.data_dir), env=env
    )
    assert checked.returncode == 1
    assert "members events 1-20 in the export differ from those published then" in checked.stdout
