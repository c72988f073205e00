"""Digests signed while the services run, and a later export checked against them."""

from __future__ import annotations

import json
import sqlite3

import pytest
from fastapi.testclient import TestClient

from services.members.main import build_directory, create_app
from shared.audit.canonical import canonical
from shared.audit.digests import Digester, digest_folder
from shared.audit.signing import load_private_key, load_public_key, signature_ok


@pytest.fixture
def digester(members_store, keys, clock):
    directory = build_directory(members_store, clock)
    yield Digester(directory, digest_folder(members_store.data_dir), load_private_key(keys[0]), clock=clock)
    directory.close()


def test_a_digest_signs_the_events_since_the_last_one(digester, keys, clock):
    first = digester.make(24)
    assert first is not None and first.name == "000000000001-000000000024.json"
    signed = json.loads(first.read_bytes())
    digest = signed["digest"]
    assert (digest["service"], digest["events"], digest["created_at"]) == ("members", 24, clock().isoformat())
    assert signature_ok(load_public_key(keys[1].read_bytes()), canonical(digest), signed["signature"])
    assert digester.make(24) is None  # nothing new: no empty digest

    digester.application.register_member("3100", {"kind": "person", "name": "مریم احمدی"}, by="z.rahimi")
    second = digester.make(digester.application.recorder.max_notification_id())
    assert second is not None and second.name == "000000000025-000000000025.json"


def test_a_later_export_matches_the_digests_made_at_the_time(crm, digester, keys, tmp_path):
    digester.make(10)
    digester.make(24)
    out = tmp_path / "export"
    assert crm("audit", "export", "--all", "--out", out, "--key", keys[0])[0] == 0
    folder = digester.folder.parent
    code, stdout, _ = crm("audit", "verify", out, "--public-key", keys[1], "--digests", folder)
    assert code == 0, stdout
    assert "2 digests checked, 0 outside this export" in stdout


def _store(settings):
    return sqlite3.connect(settings.data_dir / "members.events.db")


@pytest.mark.parametrize("change", ["edit", "delete"])
def test_an_event_changed_in_the_store_after_its_digest_fails_the_check(
    crm, digester, members_store, keys, tmp_path, change
):
    digester.make(10)
    digester.make(24)
    with _store(members_store) as db:
        if change == "edit":
            (state,) = db.execute("SELECT state FROM stored_events WHERE rowid = 16").fetchone()
            edited = state.replace(b"z.rahimi", b"a.someone")
            assert edited != state
            db.execute("UPDATE stored_events SET state = ? WHERE rowid = 16", (edited,))
        else:
            db.execute("DELETE FROM stored_events WHERE rowid = 16")
    out = tmp_path / "export"
    assert crm("audit", "export", "--all", "--out", out, "--key", keys[0])[0] == 0
    # The export is whole in itself: only the digests made at the time show the store was changed.
    assert crm("audit", "verify", out, "--public-key", keys[1])[0] == 0
    code, stdout, _ = crm("audit", "verify", out, "--public-key", keys[1], "--digests", digester.folder.parent)
    assert code == 1
    assert "digest 000000000011-000000000024.json: members events 11-24 in the export differ" in stdout
    assert "000000000001-000000000010" not in stdout


def test_a_forged_digest_is_refused(crm, digester, keys, tmp_path):
    path = digester.make(24)
    signed = json.loads(path.read_bytes())
    signed["digest"]["events"] = 23
    path.write_bytes(canonical(signed))
    out = tmp_path / "export"
    crm("audit", "export", "--all", "--out", out, "--key", keys[0])
    code, stdout, _ = crm("audit", "verify", out, "--public-key", keys[1], "--digests", digester.folder.parent)
    assert code == 1 and "its signature does not verify" in stdout


def test_a_running_service_signs_a_digest_of_what_it_published(members_store, keys, clock):
    settings = members_store.model_copy(update={"audit_key_file": keys[0]})
    with TestClient(create_app(settings, clock=clock, relay=False)):
        pass  # the hourly round has not come; stopping the service makes the last digest
    made = sorted((digest_folder(settings.data_dir) / "members").iterdir())
    assert [p.name for p in made] == ["000000000001-000000000024.json"]


def test_without_a_key_no_digest_is_made(members_store, clock):
    with TestClient(create_app(members_store, clock=clock, relay=False)):
        pass
    assert not digest_folder(members_store.data_dir).exists()


def test_a_long_backlog_is_digested_in_bounded_pieces(digester, monkeypatch):
    monkeypatch.setattr(Digester, "MAX_EVENTS", 10)
    made = [digester.make(24), digester.make(24), digester.make(24), digester.make(24)]
    assert [p.name if p else None for p in made] == [
        "000000000001-000000000010.json",
        "000000000011-000000000020.json",
        "000000000021-000000000024.json",
        None,
    ]
