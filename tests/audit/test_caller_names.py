"""A caller's key is named by an HMAC of the number under a secret of the key store, not by a hash anyone can
compute: the secret is made once and read alike by every process, never the same for two key folders. Keys made
under the old unkeyed names stay readable (the values they sealed name them), and erasing the caller deletes both."""

from __future__ import annotations

import hashlib
import hmac
import sqlite3

import pytest

from services.calls.domain import Direction
from services.calls.erasure import CallerErasure
from services.calls.main import build_centre
from shared.keystore import SqliteKeyStore
from shared.privacy import ERASED
from shared.privacy_subjects import CALLER_SECRET, CallerNames, caller_names, legacy_caller_subject
from shared.problems import DomainError

NUMBER, E164 = "09121112233", "+989121112233"
OTHER, OTHER_E164 = "09351239876", "+989351239876"


def test_the_secret_is_made_once_and_names_differ_from_the_unkeyed_hash(tmp_path) -> None:
    first, second = SqliteKeyStore(tmp_path / "keys"), SqliteKeyStore(tmp_path / "keys")
    assert first.secret(CALLER_SECRET) == second.secret(CALLER_SECRET)  # two processes, one secret
    elsewhere = SqliteKeyStore(tmp_path / "other")
    names = caller_names(first)
    assert names.subject(E164) == caller_names(second).subject(E164)
    assert names.subject(E164) != caller_names(elsewhere).subject(E164)  # not computable without the secret
    assert names.subject(E164) != legacy_caller_subject(E164)
    assert names.names(E164) == (names.subject(E164), legacy_caller_subject(E164))
    assert names.subject(E164).startswith("caller-") and E164 not in names.subject(E164)
    # The name must never change, or the keys made under it could no longer be found: HMAC-SHA256, hex, 40 digits.
    mac = hmac.new(first.secret(CALLER_SECRET), f"crm/caller/{E164}".encode(), hashlib.sha256).hexdigest()
    assert names.subject(E164) == f"caller-{mac[:40]}"
    for store in (first, second, elsewhere):
        store.close()
    with pytest.raises(ValueError):
        CallerNames(b"short")


def _call(centre, number: str) -> str:
    call_id = centre.receive_call(direction=Direction.INCOMING, caller=number, unit="trade")
    centre.record_unit_not_answered(call_id)
    centre.transfer_to_member_relations(call_id)
    centre.take_down_subject(call_id, subject="fees", by="z.rahimi", contact_name="رضا کریمی", contact_phone=None)
    return str(call_id)


class _Unkeyed(CallerNames):
    """Callers named as they were before names were keyed: what the store holds from then."""

    def subject(self, e164: str) -> str:
        return legacy_caller_subject(e164)


def _subjects(settings) -> set[str]:
    with sqlite3.connect(settings.privacy_keys / "keys.db") as db:
        return {s for (s,) in db.execute("SELECT subject FROM keys")}


def test_calls_sealed_under_an_old_name_stay_readable_and_are_erased_with_the_new(settings, clock) -> None:
    centre = build_centre(settings, clock)
    keyed = centre.callers
    centre.callers = _Unkeyed(b"x" * 32)
    old = _call(centre, NUMBER)  # sealed with a key under the unkeyed name, as before
    centre.close()

    centre = build_centre(settings, clock)
    new, other = _call(centre, NUMBER), _call(centre, OTHER)
    assert legacy_caller_subject(E164) in _subjects(settings)
    assert keyed.subject(E164) in _subjects(settings)
    assert legacy_caller_subject(OTHER_E164) not in _subjects(settings)  # new callers get keyed names only
    assert centre.get_call(old).caller == E164 and centre.get_call(new).caller == E164  # both read
    assert centre.get_call(old).subject == "fees"  # and the call's later events stayed under the old name

    assert centre.erase_caller(NUMBER, "request", by="ops") == keyed.subject(E164)
    for call in (old, new):
        assert (centre.get_call(call).caller, centre.get_call(call).contact_name) == (ERASED, ERASED)
    assert centre.get_call(other).caller == OTHER_E164
    centre.erase_caller(OTHER, "request", by="ops")
    assert legacy_caller_subject(OTHER_E164) not in _subjects(settings)  # no tombstone tells a hasher either
    centre.close()


def test_an_erasure_recorded_under_an_old_name_still_counts(settings, clock) -> None:
    centre = build_centre(settings, clock)
    _call(centre, NUMBER)
    centre.save(CallerErasure(subject=legacy_caller_subject(E164), reason="request", by="ops", at=clock()))
    with pytest.raises(DomainError, match="already erased"):
        centre.erase_caller(NUMBER, "again", by="ops")
    centre.close()
