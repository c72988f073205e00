"""Whom a message naming several people names: the callers on an end-of-day list.

The list sent to a unit's manager names its unanswered callers (numbers, names, subjects). It is sealed under a key
of its own (`message:<id>`, services/notifications/domain.py), and the notifier keeps here which erasable subjects
each such message names, as the calls service names the keys it seals each call with (shared/privacy_subjects.py
`CallerNames`): a member's record id, or a caller's keyed name (and the unkeyed one of keys made before). Only those
names are kept, never a number. When a member's or a caller's erasure is read, the keys of the messages naming them
are deleted: the whole message (address, subject, body) reads [erased] from then on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from shared.db import create_tables
from shared.envelope import CloudEvent
from shared.privacy import ERASED, KeyStore
from shared.privacy_subjects import CallerNames, caller_names

MEMBER_ERASED = "crm.members.member.erased.v1"
CALLER_ERASED = "crm.calls.caller.erased.v1"

metadata = sa.MetaData()
message_subjects = sa.Table(
    "notification_message_subjects",
    metadata,
    sa.Column("message_id", sa.String(36), primary_key=True),
    sa.Column("subject", sa.String(80), primary_key=True),
    sa.Index("ix_notification_message_subjects_subject", "subject"),
)


def erased_subjects(events: Iterable[CloudEvent]) -> set[str]:
    """The subjects the erasures among `events` erase: a member's record id, a caller's keyed name."""
    found = {e.subject for e in events if e.type == MEMBER_ERASED and e.subject}
    found.update(str(e.data["subject"]) for e in events if e.type == CALLER_ERASED and e.data.get("subject"))
    return found


class ListedSubjects:
    def __init__(self, engine: sa.Engine, keys: KeyStore):
        self.engine = engine
        self.keys = keys
        self._callers: CallerNames | None = None
        create_tables(metadata, engine)

    @property
    def callers(self) -> CallerNames:
        if self._callers is None:  # read when first needed: the key store makes its secret on first use
            self._callers = caller_names(self.keys)
        return self._callers

    def named_by(self, items: Sequence[Any]) -> set[str]:
        """Every subject whose data an end-of-day list's entries copy (an entry already erased names no one)."""
        names: set[str] = set()
        for item in items:
            if not isinstance(item, dict):
                continue
            caller = item.get("caller")
            member = item.get("member_id")
            names.update(
                self.callers.call_persons(
                    member if isinstance(member, str) and member != ERASED else None,
                    caller if isinstance(caller, str) and caller != ERASED else None,
                )
            )
        return names

    def record(self, message_id: str, subjects: Iterable[str]) -> None:
        """Remember whom a message names; recording the same again changes nothing (a replayed event)."""
        rows = [{"message_id": message_id, "subject": s} for s in sorted(set(subjects))]
        if not rows:
            return
        t = message_subjects.c
        with self.engine.begin() as conn:
            known = set(conn.execute(sa.select(t.subject).where(t.message_id == message_id)).scalars())
            fresh = [r for r in rows if r["subject"] not in known]
            if fresh:
                conn.execute(message_subjects.insert(), fresh)

    def naming(self, subjects: Iterable[str]) -> list[str]:
        """The ids of the messages naming any of `subjects`."""
        wanted = sorted(set(subjects))
        if not wanted:
            return []
        t = message_subjects.c
        q = sa.select(t.message_id).where(t.subject.in_(wanted)).distinct().order_by(t.message_id)
        with self.engine.connect() as conn:
            return list(conn.execute(q).scalars())
