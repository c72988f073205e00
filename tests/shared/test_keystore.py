"""The SQLite key store: keys cached in memory, written a batch at a time, and erasure holding in every process."""

from __future__ import annotations

import base64
import sqlite3
import uuid

import pytest

from shared.keystore import KeyConflict, SqliteKeyStore
from shared.privacy import ERASED, Sealer

TOPIC = "services.members.domain:Member.Registered"
FIELDS = {"Member": {"name", "email"}}


def stored_keys(folder) -> dict[str, bytes | None]:
    with sqlite3.connect(folder / "keys.db") as db:
        return dict(db.execute("SELECT subject, key FROM keys"))


def test_a_key_is_made_once_read_back_and_the_file_is_the_owners_alone(tmp_path) -> None:
    keys = SqliteKeyStore(tmp_path / "keys")
    key = keys.key("p1", create=True)
    assert key is not None and len(key) == 32
    assert keys.key("p1", create=True) == key
    assert stored_keys(tmp_path / "keys") == {"p1": key}  # outside a batch: written at once
    assert SqliteKeyStore(tmp_path / "keys").key("p1", create=False) == key  # another process reads the same
    assert keys.key("p2", create=False) is None and "p2" not in stored_keys(tmp_path / "keys")
    assert (tmp_path / "keys" / "keys.db").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "keys").stat().st_mode & 0o777 == 0o700


def test_keys_made_in_a_batch_are_written_together_on_leaving_it(tmp_path) -> None:
    keys = SqliteKeyStore(tmp_path / "keys")
    with keys.batch():
        made = {f"p{i}": keys.key(f"p{i}", create=True) for i in range(50)}
        assert stored_keys(tmp_path / "keys") == {}  # nothing sealed with them is stored yet either
        assert keys.key("p7", create=False) == made["p7"]
    assert stored_keys(tmp_path / "keys") == made


def test_an_erasure_by_another_process_holds_at_once_despite_the_cache(tmp_path) -> None:
    service, cli = SqliteKeyStore(tmp_path / "keys"), SqliteKeyStore(tmp_path / "keys")
    sealer = Sealer(service, FIELDS)
    sealed = sealer.seal_state("p1", TOPIC, {"name": "علی", "email": "a@b.ir"})
    opened = dict(sealed)
    sealer.open_state("p1", opened)
    assert opened["name"] == "علی"  # the key is in the service's cache now
    assert cli.delete("p1") is True
    opened = dict(sealed)
    sealer.open_state("p1", opened)
    assert opened == {"name": ERASED, "email": ERASED}
    assert service.key("p1", create=True) is None  # and no new key is made for the person
    assert stored_keys(tmp_path / "keys") == {"p1": None}
    assert SqliteKeyStore(tmp_path / "keys").key("p1", create=True) is None


def test_an_erasure_during_a_batch_makes_the_batch_seal_again_as_erased(tmp_path) -> None:
    service, cli = SqliteKeyStore(tmp_path / "keys"), SqliteKeyStore(tmp_path / "keys")
    with pytest.raises(KeyConflict), service.batch():
        assert service.key("p1", create=True) is not None
        cli.delete("p1")
    assert service.key("p1", create=True) is None
    assert stored_keys(tmp_path / "keys") == {"p1": None}


def test_two_processes_making_the_same_key_agree_on_the_first_stored(tmp_path) -> None:
    one, two = SqliteKeyStore(tmp_path / "keys"), SqliteKeyStore(tmp_path / "keys")
    with pytest.raises(KeyConflict), one.batch():
        mine = one.key("p1", create=True)
        theirs = two.key("p1", create=True)  # written at once: first
    assert mine != theirs
    assert one.key("p1", create=True) == theirs == stored_keys(tmp_path / "keys")["p1"]


def test_the_cache_is_bounded_and_keys_are_read_again_past_it(tmp_path) -> None:
    keys = SqliteKeyStore(tmp_path / "keys", cache_size=10)
    made = {f"p{i}": keys.key(f"p{i}", create=True) for i in range(30)}
    assert len(keys._cache) == 10  # noqa: SLF001
    assert all(keys.key(s, create=False) == k for s, k in made.items())


def test_key_files_of_the_former_layout_move_into_the_file(tmp_path) -> None:
    folder = tmp_path / "keys"
    folder.mkdir()
    kept, erased = str(uuid.uuid4()), str(uuid.uuid4())
    key = bytes(range(32))
    (folder / f"{kept}.key").write_bytes(base64.b64encode(key))
    (folder / f"{erased}.erased").touch()
    (folder / "audit-ed25519.key").write_bytes(b"not a person's key")
    keys = SqliteKeyStore(folder)
    assert keys.key(kept, create=False) == key
    assert keys.key(erased, create=True) is None
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith("keys.db")) == ["audit-ed25519.key"]


def test_a_reader_of_many_events_sees_another_processes_erasure_from_its_next_batch_on(tmp_path) -> None:
    service, cli = SqliteKeyStore(tmp_path / "keys"), SqliteKeyStore(tmp_path / "keys")
    sealer = Sealer(service, FIELDS)
    sealed = sealer.seal_state("p1", TOPIC, {"name": "علی", "email": "a@b.ir"})

    def opened() -> dict:
        state = dict(sealed)
        sealer.open_state("p1", state)
        return state

    with sealer.reading():
        assert opened()["name"] == "علی"
        cli.delete("p1")  # while a batch is being read: that batch was read before the erasure
        assert opened()["name"] == "علی"
    with sealer.reading():  # the next batch: erased, though the key is in the cache
        assert opened() == {"name": ERASED, "email": ERASED}
    assert opened() == {"name": ERASED, "email": ERASED}


def test_an_erasure_in_the_same_process_holds_at_once_even_inside_a_batch_being_read(tmp_path) -> None:
    keys = SqliteKeyStore(tmp_path / "keys")
    sealer = Sealer(keys, FIELDS)
    sealed = sealer.seal_state("p1", TOPIC, {"name": "Ayşe", "email": None})
    with sealer.reading():
        state = dict(sealed)
        sealer.open_state("p1", state)
        assert state["name"] == "Ayşe"
        keys.delete("p1")
        state = dict(sealed)
        sealer.open_state("p1", state)
        assert state["name"] == ERASED


def test_outside_a_batch_every_lookup_still_asks_for_erasures_by_other_processes(tmp_path) -> None:
    service, cli = SqliteKeyStore(tmp_path / "keys"), SqliteKeyStore(tmp_path / "keys")
    key = service.key("p1", create=True)
    with Sealer(service, FIELDS).reading():
        assert service.key("p1", create=False) == key
    cli.delete("p1")
    assert service.key("p1", create=False) is None


def test_the_relay_publishes_an_erasure_made_by_another_process_from_its_next_batch_on(tmp_path) -> None:
    from services.members.main import build_directory
    from shared.relay import EnvelopeMapper
    from shared.settings import Settings

    settings = Settings(_env_file=None, data_dir=tmp_path / "data", store="sqlite")
    directory = build_directory(settings)
    try:
        directory.register_member("1001", {"kind": "company", "name": "شرکت فرش دستباف", "email": "a@b.ir"})
        mapper = EnvelopeMapper(directory)
        batch = directory.recorder.select_notifications(0, 10, inclusive_of_start=False)
        assert mapper.many(batch)[0].data["name"] == "شرکت فرش دستباف"  # the key is in the relay's cache now
        member = directory.get_member("1001")
        SqliteKeyStore(settings.privacy_keys).delete(str(member.id))  # `crm privacy erase`, another process
        published = mapper.many(batch)[0]
        assert published.data["name"] == ERASED and published.data["email"] == ERASED
        assert b"\\u0634" not in published.value() and "شرکت".encode() not in published.value()
    finally:
        directory.close()
