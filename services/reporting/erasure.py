"""The read model acts on an erasure: the personal data it copied from the topics reads [erased] from then on.

Three events erase someone: a member (`crm.members.member.erased.v1`: the calls they made), a caller who is not a
member (`crm.calls.caller.erased.v1`: their calls) and a complainant (`crm.complaints.complaint.complainant_erased.v1`:
the complaint's complainant). The rows keep everything else (units, times, states, outcomes), so every count,
figure and deadline stays as it was; the end-of-day lists already produced and the journal of applied events (which
`as_of` replays) have the same fields replaced, so a report as of an earlier moment shows [erased] too.

The topics are read each at its own pace: a call event published before the caller's or member's erasure may be read
after it (the calls topic behind the members topic). So whom an erasure reached is remembered (`erased_subjects`:
the persons, their calls, the complaints), and every later batch's events about them are redacted as they are
applied (`redact_late`), not only at the next `crm rebuild`.

A caller's key is named by a keyed hash of the number (shared/privacy_subjects.py): the read model matches calls to
an erased caller with the same secret, read from the key store (`CallerNames`), and by the unkeyed name of keys made
before; without it (a bare model in tests) it matches members and those older names only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from services.reporting.complaint_record import facts as complaint_facts
from services.reporting.tables import end_of_day, erased, journal, snapshots, unanswered
from shared.envelope import CloudEvent, dumps
from shared.erased_memory import ErasedMemory
from shared.keystore import SqliteKeyStore
from shared.privacy import ERASED
from shared.privacy_subjects import CallerNames, caller_names, legacy_caller_subject, member_subject
from shared.settings import Settings

MEMBER_ERASED = "crm.members.member.erased.v1"
CALLER_ERASED = "crm.calls.caller.erased.v1"
COMPLAINANT_ERASED = "crm.complaints.complaint.complainant_erased.v1"
ERASURES = frozenset({MEMBER_ERASED, CALLER_ERASED, COMPLAINANT_ERASED})

CALL_RECEIVED = "crm.calls.call.received.v1"
# The reporting service's own list of a unit's unanswered calls: its entries copy the callers (by call id).
EOD_PRODUCED = "crm.reporting.end_of_day_list.produced.v1"
# The personal fields of the events and rows copied here (as the services seal them in their stores).
CALL_FIELDS = frozenset(
    {"caller", "caller_raw", "contact_name", "contact_phone", "subject", "note", "description", "phone"}
    | {"complainant_name"}
)
COMPLAINT_FIELDS = frozenset(
    {"complainant_name", "complainant", "contact_phone", "contact_phone_raw", "contact_email", "description"}
    | {"note", "circumstances", "root_causes", "consequences", "actions_taken", "reasoning", "minutes", "message"}
    | {"comment", "subject"}
)
COMPLAINT_REASONS = ("decided", "committee_not_convened", "reopened", "confidentiality_changed")
UNANSWERED_FIELDS = ("caller", "contact_phone", "contact_name", "subject")
LIST_FIELDS = ("caller", "contact_phone", "contact_name", "subject")
MEMORY = ErasedMemory(erased)


def worth_keeping(events: Sequence[CloudEvent]) -> list[CloudEvent]:
    """The events to journal: of the members topic, read only for its erasures, nothing else is kept."""
    return [e for e in events if not e.type.startswith("crm.members.") or e.type == MEMBER_ERASED]


def callers_of(settings: Settings) -> CallerNames:
    """How callers' keys are named, from the key store's secret (the folder every service shares): the read model
    finds an erased caller's calls by it."""
    keys = SqliteKeyStore(settings.privacy_keys)
    try:
        return caller_names(keys)
    finally:
        keys.close()


def call_persons(callers: CallerNames | None, member_id: str | None, caller: str | None) -> frozenset[str]:
    """Every key subject a call's data may be sealed under: the member's, or the caller's number's names."""
    if callers is not None:
        return callers.call_persons(member_id, caller)
    if member_id:
        return frozenset({member_subject(member_id)})
    return frozenset({legacy_caller_subject(caller)}) if caller else frozenset()


def erase(conn: sa.Connection, events: Sequence[CloudEvent], callers: CallerNames | None = None) -> None:
    """Apply the erasures of a batch (already deduplicated) after its other events."""
    persons = {e.subject if e.type == MEMBER_ERASED else e.data.get("subject") for e in events if _is_person(e)}
    persons.discard(None)
    if persons:
        found = {str(p) for p in persons}
        _remember(conn, found, "person")
        _erase_calls(conn, _calls_of(conn, found, callers))
    complainants = [e.subject for e in events if e.type == COMPLAINANT_ERASED]
    _remember(conn, set(complainants), "complaint")
    for complaint in complainants:
        _erase_complaint(conn, complaint)
    if persons or complainants:
        # The `as_of` snapshots hold the read model as it was, the person's data with it: they go, and the next
        # ticks take them again from the journal, which now reads [erased].
        conn.execute(snapshots.delete())


def _is_person(e: CloudEvent) -> bool:
    return e.type in (MEMBER_ERASED, CALLER_ERASED)


def redact_late(conn: sa.Connection, events: Sequence[CloudEvent], callers: CallerNames | None = None) -> None:
    """After a batch's events are applied: those about someone erased before (a call of an erased member or caller,
    a complaint whose complainant was erased) have what they copied replaced by [erased], as the erasure did."""
    listed = {
        str(item["call_id"]): item
        for e in events
        if e.type == EOD_PRODUCED
        for item in e.data.get("items") or []
        if isinstance(item, dict) and item.get("call_id")
    }
    calls = {e.subject for e in events if e.type.startswith("crm.calls.call.")} | set(listed)
    complaints = {e.subject for e in events if e.type.startswith("crm.complaints.complaint.")}
    if not calls and not complaints:
        return
    if not MEMORY.any(conn):
        return  # nobody was erased: the usual case costs this one lookup
    known = MEMORY.remembered(conn, calls | complaints)
    late = {c for c in calls if ("call", c) in known}
    persons: set[str] | None = None
    for e in events:
        if e.type == CALL_RECEIVED and e.subject not in late:
            if persons is None:
                persons = MEMORY.of_kind(conn, "person")
            if not persons.isdisjoint(call_persons(callers, e.data.get("member_id"), e.data.get("caller"))):
                late.add(e.subject)
    for call_id, item in listed.items():
        if call_id not in late and item.get("caller") != ERASED:
            if persons is None:
                persons = MEMORY.of_kind(conn, "person")
            if not persons.isdisjoint(call_persons(callers, item.get("member_id"), item.get("caller"))):
                late.add(call_id)
    if late:
        _remember(conn, late, "call")
        _erase_calls(conn, late)
    for complaint in sorted(c for c in complaints if ("complaint", c) in known):
        _erase_complaint(conn, complaint)


def _remember(conn: sa.Connection, subjects: set[str], kind: str) -> None:
    MEMORY.remember(conn, subjects, kind)


def _calls_of(conn: sa.Connection, persons: set[str], callers: CallerNames | None) -> set[str]:
    """The calls of these persons the model has seen: by its unanswered rows and the calls' received events."""
    calls = {
        row.call_id
        for row in conn.execute(sa.select(unanswered.c.call_id, unanswered.c.member_id, unanswered.c.caller))
        if not persons.isdisjoint(call_persons(callers, row.member_id, row.caller))
    }
    for _seq, envelope in _journaled(conn, f'%"{CALL_RECEIVED}"%'):
        data = envelope["data"]
        if not persons.isdisjoint(call_persons(callers, data.get("member_id"), data.get("caller"))):
            calls.add(envelope["subject"])
    _remember(conn, calls, "call")
    return calls


def _erase_calls(conn: sa.Connection, calls: set[str]) -> None:
    if not calls:
        return
    ids = sorted(calls)
    for part in _chunks(ids):
        conn.execute(
            unanswered.update()
            .where(unanswered.c.call_id.in_(part))
            .values({f: sa.case((unanswered.c[f].is_(None), None), else_=ERASED) for f in UNANSWERED_FIELDS})
        )
    _erase_journal(conn, set(ids), lambda _type: CALL_FIELDS)
    lists = sa.select(end_of_day.c.unit, end_of_day.c.day, end_of_day.c["items"])
    for unit, day, text in conn.execute(lists).all():
        items = json.loads(text)
        if _erase_entries(items, calls):
            conn.execute(
                end_of_day.update()
                .where(end_of_day.c.unit == unit, end_of_day.c.day == day)
                .values(items=dumps(items).decode())
            )
    # The lists as journaled (the reporting topic's events), which `as_of` replays.
    for seq, envelope in _journaled(conn, f'%"{EOD_PRODUCED}"%'):
        if _erase_entries(envelope["data"].get("items") or [], calls):
            conn.execute(journal.update().where(journal.c.seq == seq).values(envelope=dumps(envelope).decode()))


def _erase_entries(items: list[Any], calls: set[str]) -> bool:
    """Replace the callers of these calls' entries of a list in place; whether any was there."""
    found = False
    for item in items:
        if isinstance(item, dict) and item.get("call_id") in calls:
            item.update({f: ERASED for f in LIST_FIELDS if item.get(f) is not None})
            found = True
    return found


def _erase_complaint(conn: sa.Connection, complaint_id: str) -> None:
    conn.execute(
        complaint_facts.update()
        .where(complaint_facts.c.complaint_id == complaint_id)
        .values(
            complainant_name=sa.case((complaint_facts.c.complainant_name.is_(None), None), else_=ERASED),
            summary=sa.case((complaint_facts.c.summary.is_(None), None), else_=ERASED),
        )
    )

    def fields(event_type: str) -> frozenset[str]:
        if any(event_type.endswith(f".{name}.v1") for name in COMPLAINT_REASONS):
            return COMPLAINT_FIELDS | {"reason"}
        return COMPLAINT_FIELDS

    _erase_journal(conn, {complaint_id}, fields)


def _erase_journal(conn: sa.Connection, subjects: set[str], fields_of: Any) -> None:
    """Replace the personal fields of the journaled events of these records (calls, complaints)."""
    for part in _chunks(sorted(subjects), 100):  # a bounded expression per query (SQLite limits its depth)
        for seq, envelope in _journaled(conn, None, set(part)):
            if envelope["type"] in ERASURES:
                continue
            envelope["data"] = _scrubbed(envelope["data"], fields_of(envelope["type"]))
            conn.execute(journal.update().where(journal.c.seq == seq).values(envelope=dumps(envelope).decode()))


def _journaled(
    conn: sa.Connection, like: str | None, subjects: set[str] | None = None
) -> Iterable[tuple[int, dict[str, Any]]]:
    q = sa.select(journal.c.seq, journal.c.envelope)
    if like is not None:
        q = q.where(journal.c.envelope.like(like))
    if subjects is not None:
        q = q.where(sa.or_(*(journal.c.envelope.like(f'%"{s}"%') for s in subjects)))
    for seq, text in conn.execute(q).all():
        envelope = json.loads(text)
        if subjects is None or envelope.get("subject") in subjects:
            yield seq, envelope


def _scrubbed(data: Any, fields: frozenset[str]) -> Any:
    if not isinstance(data, dict):
        return data
    out: dict[str, Any] = {}
    for k, v in data.items():
        if k in fields and v is not None:
            out[k] = [] if isinstance(v, list) else ERASED
        elif isinstance(v, dict):
            out[k] = _scrubbed(v, fields)
        else:
            out[k] = v
    return out


def _chunks(ids: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
