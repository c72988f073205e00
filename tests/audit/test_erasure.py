"""Erasing a person (`crm privacy erase`): the personal data can no longer be read anywhere, while every export made
before or after, and the chain between them, still verifies."""

from __future__ import annotations

import sqlite3

from services.members.main import build_directory
from shared.privacy import ERASED

NAME = "مریم احمدی"
PHONE = "09131234567"


def _register(settings, clock) -> None:
    directory = build_directory(settings, clock)
    details = {
        "kind": "person",
        "name": NAME,
        "contacts": [{"name": NAME, "phones": [PHONE]}],
        "email": "maryam@example.ir",
        "address": "اصفهان، خیابان چهارباغ",
    }
    directory.register_member("1001", details, by="z.rahimi")
    directory.update_member("1001", {"email": "m.ahmadi@example.ir", "trade_group": "فرش"}, by="z.rahimi")
    directory.register_member("1002", {"kind": "company", "name": "شرکت نمونه"}, by="z.rahimi")
    directory.close()


def _stored_states(settings) -> bytes:
    with sqlite3.connect(settings.data_dir / "members.events.db") as db:
        return b"\n".join(bytes(r[0]) for r in db.execute("SELECT state FROM stored_events"))


def test_personal_data_is_stored_sealed_and_reads_back_in_the_clear(settings, clock) -> None:
    _register(settings, clock)
    stored = _stored_states(settings)
    for personal in (NAME, "maryam@example.ir", "m.ahmadi@example.ir", "چهارباغ", "+98913"):
        assert personal.encode() not in stored
    assert "فرش".encode() in stored  # the trade group is not personal data
    directory = build_directory(settings, clock)
    member = directory.get_member("1001")
    assert (member.name, member.email, member.contacts[0]["name"]) == (NAME, "m.ahmadi@example.ir", NAME)
    directory.close()


def test_an_erasure_is_recorded_and_every_export_before_and_after_verifies(settings, clock, crm, keys, tmp_path):
    _register(settings, clock)
    before, after = tmp_path / "before", tmp_path / "after"
    assert crm("audit", "export", "--service", "members", "--out", before, "--key", keys[0])[0] == 0

    code, out, err = crm("privacy", "erase", "--member", "1001", "--reason", "request of 1405/09/05", "--by", "ops")
    assert code == 0, err
    assert "erased" in out

    directory = build_directory(settings, clock)
    member = directory.get_member("1001")
    assert (member.name, member.contacts, member.email, member.address) == (ERASED, [], ERASED, ERASED)
    assert (member.status, member.membership_number, member.trade_group) == ("active", "1001", "فرش")
    assert directory.get_member("1002").name == "شرکت نمونه"  # another person's data is untouched
    last = directory.history("1001")[-1]
    assert last["type"] == "crm.members.member.erased.v1"
    assert (last["data"]["by"], last["data"]["reason"]) == ("ops", "request of 1405/09/05")
    directory.close()

    assert crm("audit", "export", "--service", "members", "--out", after, "--key", keys[0])[0] == 0
    code, out, _ = crm("audit", "verify", before, after, "--public-key", keys[1])
    assert code == 0, out
    assert out.count("verified") == 2
    old, new = (before / "members.jsonl").read_bytes(), (after / "members.jsonl").read_bytes()
    assert new.startswith(old)  # the events stored before the erasure are the same bytes, so the same hashes
    assert len(new.splitlines()) == len(old.splitlines()) + 1
    assert b"member.erased.v1" in new.splitlines()[-1]
    assert NAME.encode() not in new and b"maryam" not in new

    code, _, err = crm("privacy", "erase", "--member", "1001", "--reason", "again")
    assert code == 1 and "already erased" in err
    code, _, err = crm("privacy", "erase", "--member", "9999", "--reason", "unknown")
    assert code == 1 and "9999" in err


def test_a_complainant_is_erased_and_the_complaint_with_its_figures_stays(settings, clock, crm, keys, tmp_path):
    from services.complaints.main import build_desk

    desk = build_desk(settings, clock=clock)
    complaint = desk.receive_from_website(
        kind="complaint",
        description="The certificate of origin took three weeks.",
        complainant_name=NAME,
        phone=PHONE,
        email="maryam@example.ir",
    )
    complaint_id, reference = str(complaint.id), complaint.reference
    desk.close()
    with sqlite3.connect(settings.data_dir / "complaints.events.db") as db:
        stored = b"\n".join(bytes(r[0]) for r in db.execute("SELECT state FROM stored_events"))
    assert NAME.encode() not in stored and b"maryam@" not in stored and b"three weeks" not in stored
    assert b"complaint" in stored  # the kind is not personal

    before = tmp_path / "before"
    assert crm("audit", "export", "--service", "complaints", "--out", before, "--key", keys[0])[0] == 0
    code, out, err = crm("privacy", "erase", "--complaint", complaint_id, "--reason", "request", "--by", "ops")
    assert code == 0, err
    assert "complainant" in out

    desk = build_desk(settings, clock=clock)
    erased = desk.get_complaint(complaint_id)
    assert (erased.complainant_name, erased.contact_phone, erased.contact_email) == (ERASED, ERASED, ERASED)
    assert (erased.reference, erased.description, erased.kind) == (reference, ERASED, "complaint")
    assert desk.event_history(erased.id)[-1]["type"] == "crm.complaints.complaint.complainant_erased.v1"
    desk.close()

    after = tmp_path / "after"
    assert crm("audit", "export", "--service", "complaints", "--out", after, "--key", keys[0])[0] == 0
    code, out, _ = crm("audit", "verify", before, after, "--public-key", keys[1])
    assert code == 0, out
    assert (after / "complaints.jsonl").read_bytes().startswith((before / "complaints.jsonl").read_bytes())
    code, _, err = crm("privacy", "erase", "--complaint", complaint_id, "--reason", "again")
    assert code == 1 and "already erased" in err


def test_the_relay_publishes_personal_data_opened_and_erased_after_the_erasure(settings, clock) -> None:
    from shared.relay import EnvelopeMapper

    _register(settings, clock)
    directory = build_directory(settings, clock)
    mapper = EnvelopeMapper(directory)

    def registered() -> dict:
        notifications = directory.recorder.select_notifications(0, 10)
        return next(mapper(n).data for n in notifications if mapper(n).type.endswith("registered.v1"))

    assert registered()["name"] == NAME  # consumers (the calls service's phone lookup) read it as before
    directory.erase_member("1001", "request", by="ops")
    assert (registered()["name"], registered()["contacts"]) == (ERASED, [])
    directory.close()
