"""A call's personal data is its caller's: sealed with the member's key when the number is a member's, otherwise with
a key per caller number; `crm privacy erase --caller` and `--member` make it read [erased], and exports before and
after still verify."""

from __future__ import annotations

import sqlite3

from services.calls.application import CallCentre
from services.calls.domain import Direction
from services.calls.main import build_centre
from shared.privacy import ERASED
from shared.privacy_subjects import legacy_caller_subject, member_subject
from shared.relay import EnvelopeMapper

STRANGER = "09121112233"  # not a member
MEMBER_PHONE = "09131234567"  # member 1001's
OTHER = "09351239876"


def _centre(settings, clock) -> CallCentre:
    centre = build_centre(settings, clock)
    centre.member_lookup = lambda number: "1001" if number == "+989131234567" else None
    return centre


def _call(centre: CallCentre, number: str, subject: str) -> str:
    call_id = centre.receive_call(direction=Direction.INCOMING, caller=number, unit="trade")
    centre.record_unit_not_answered(call_id)
    centre.transfer_to_member_relations(call_id)
    centre.take_down_subject(call_id, subject=subject, by="z.rahimi", contact_name="رضا کریمی", contact_phone=None)
    return str(call_id)


def _stored(settings) -> bytes:
    with sqlite3.connect(settings.data_dir / "calls.events.db") as db:
        return b"\n".join(bytes(r[0]) for r in db.execute("SELECT state FROM stored_events"))


def test_a_call_is_sealed_with_its_callers_key_and_reads_back(settings, clock) -> None:
    centre = _centre(settings, clock)
    stranger, member = _call(centre, STRANGER, "card renewal"), _call(centre, MEMBER_PHONE, "export permit")
    stored = _stored(settings)
    for personal in (b"9121112233", b"9131234567", "رضا".encode(), b"card renewal", b"export permit"):
        assert personal not in stored
    assert centre.callers.subject("+989121112233").encode() in stored  # each value names whose key seals it
    assert legacy_caller_subject("+989121112233").encode() not in stored  # a name only the key store can make
    assert member_subject("1001").encode() in stored
    centre.close()
    centre = _centre(settings, clock)  # read back from the store, not from the calls kept in memory
    one = centre.get_call(stranger)
    assert (one.caller, one.subject, one.contact_name) == ("+989121112233", "card renewal", "رضا کریمی")
    assert centre.get_call(member).caller == "+989131234567"
    centre.close()


def test_erasing_a_caller_by_number_erases_their_calls_only(settings, clock, crm, keys, tmp_path) -> None:
    centre = _centre(settings, clock)
    first, second = _call(centre, STRANGER, "card renewal"), _call(centre, STRANGER, "fees")
    other = _call(centre, OTHER, "a visa letter")
    centre.close()
    before, after = tmp_path / "before", tmp_path / "after"
    assert crm("audit", "export", "--service", "calls", "--out", before, "--key", keys[0])[0] == 0

    code, out, err = crm("privacy", "erase", "--caller", "0912 111 2233", "--reason", "request", "--by", "ops")
    assert code == 0, err
    assert "erased" in out
    centre = _centre(settings, clock)
    for call_id in (first, second):
        call = centre.get_call(call_id)
        assert (call.caller, call.caller_raw, call.subject, call.contact_name) == (ERASED,) * 4
        assert (call.unit, call.state.value) == ("trade", "with_member_relations")  # the call and its figures stay
    assert (centre.get_call(other).caller, centre.get_call(other).subject) == ("+989351239876", "a visa letter")
    # The relay, publishing (again) what is stored, can only publish [erased] for them: the key is gone.
    published = [EnvelopeMapper(centre)(n) for n in centre.recorder.select_notifications(0, 1000)]
    received = {e.subject: e.data for e in published if e.type == "crm.calls.call.received.v1"}
    assert (received[first]["caller"], received[first]["caller_raw"]) == (ERASED, ERASED)
    assert received[other]["caller"] == "+989351239876"
    centre.close()

    assert crm("audit", "export", "--service", "calls", "--out", after, "--key", keys[0])[0] == 0
    code, out, _ = crm("audit", "verify", before, after, "--public-key", keys[1])
    assert code == 0, out
    assert (after / "calls.jsonl").read_bytes().startswith((before / "calls.jsonl").read_bytes())
    assert b"crm.calls.caller.erased.v1" in (after / "calls.jsonl").read_bytes().splitlines()[-1]
    code, _, err = crm("privacy", "erase", "--caller", STRANGER, "--reason", "again")
    assert code == 1 and "already erased" in err
    code, _, err = crm("privacy", "erase", "--caller", "not a number", "--reason", "x")
    assert code == 1 and "not a phone number" in err


def test_erasing_a_member_erases_the_calls_they_made(settings, clock, crm) -> None:
    from services.members.main import build_directory

    directory = build_directory(settings, clock)
    directory.register_member("1001", {"kind": "person", "name": "مریم احمدی", "contacts": []}, by="z.rahimi")
    directory.close()
    centre = _centre(settings, clock)
    mine, stranger = _call(centre, MEMBER_PHONE, "export permit"), _call(centre, STRANGER, "fees")
    centre.close()
    assert crm("privacy", "erase", "--member", "1001", "--reason", "request")[0] == 0
    centre = _centre(settings, clock)
    call = centre.get_call(mine)
    assert (call.caller, call.subject, call.member_id) == (ERASED, ERASED, "1001")
    assert centre.get_call(stranger).subject == "fees"
    centre.close()


def test_sealing_reads_no_key_per_event(settings, clock, monkeypatch) -> None:
    from shared.keystore import SqliteKeyStore

    loaded: list[str] = []
    original = SqliteKeyStore._remember

    def counting(self, subject: str, key: bytes) -> None:
        loaded.append(subject)
        original(self, subject, key)

    monkeypatch.setattr(SqliteKeyStore, "_remember", counting)
    centre = _centre(settings, clock)
    for _ in range(5):
        _call(centre, STRANGER, "fees")
    assert loaded == [centre.callers.subject("+989121112233")]  # made once, then from the key store's cache
    centre.close()
