"""Sealing personal fields with a key per person, and erasing a person by deleting the key."""

from __future__ import annotations

import pytest

from shared.privacy import ERASED, MemoryKeyStore, Sealer, SqliteKeyStore, is_sealed

TOPIC = "services.members.domain:Member.Registered"


@pytest.fixture(params=["sqlite", "memory"])
def sealer(request, tmp_path) -> Sealer:
    keys = SqliteKeyStore(tmp_path / "keys") if request.param == "sqlite" else MemoryKeyStore()
    return Sealer(keys, {"Member": {"name", "contacts", "email"}})


def test_personal_fields_are_sealed_and_open_with_their_persons_key(sealer) -> None:
    state = {"name": "علی رضایی", "contacts": [{"name": "x", "phones": []}], "email": None, "kind": "person"}
    sealed = sealer.seal_state("p1", TOPIC, state)
    assert is_sealed(sealed["name"]) and is_sealed(sealed["contacts"])
    assert "علی" not in str(sealed) and sealed["kind"] == "person" and sealed["email"] is None
    assert state["name"] == "علی رضایی"  # the event itself is left as it was
    opened = dict(sealed)
    sealer.open_state("p1", opened)
    assert opened == state


def test_the_changes_of_an_update_are_sealed_field_by_field(sealer) -> None:
    sealed = sealer.seal_state("p1", "m:Member.DetailsUpdated", {"changes": {"email": "a@b.ir", "trade_group": "x"}})
    assert is_sealed(sealed["changes"]["email"]) and sealed["changes"]["trade_group"] == "x"


def test_other_aggregates_events_are_left_as_they_are(sealer) -> None:
    state = {"name": "invitation list"}
    assert sealer.seal_state("s1", "services.members.domain:Selection.Taken", state) is state


def test_a_sealed_value_opens_only_for_its_own_person_and_field(sealer) -> None:
    sealed = sealer.seal_state("p1", TOPIC, {"name": "علی"})
    sealer.keys.key("p2", create=True)
    with pytest.raises(ValueError, match="does not open"):
        sealer.open("p1", "email", sealed["name"])


def test_erasing_deletes_the_key_the_sealed_values_read_erased_in_their_shape_and_stay_erased(sealer) -> None:
    sealed = sealer.seal_state("p1", TOPIC, {"name": "علی", "contacts": [{"name": "x"}], "email": "a@b.ir"})
    assert sealer.keys.delete("p1") is True
    opened = dict(sealed)
    sealer.open_state("p1", opened)
    assert opened == {"name": ERASED, "contacts": [], "email": ERASED}
    assert sealer.erased("p1")
    # Nothing written about the person afterwards is readable either: no new key is made for them.
    later = sealer.seal_state("p1", TOPIC, {"name": "again", "contacts": [{"name": "y"}]})
    assert later == {"name": ERASED, "contacts": None}
    assert sealer.keys.key("p1", create=True) is None
    assert sealer.keys.delete("p1") is False
