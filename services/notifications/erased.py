"""The notifier's memory of whom erasures reached (shared/erased_memory.py).

The notifier reads several topics, each at its own pace: an announcement, an invitation or a desk's form published
before a member's erasure may be read after the members topic brought the erasure. Such an event carries the
member's name and number opened; a message asked for from it would copy them and reach someone erased. So the
subjects an erasure reached are remembered (the member's record id and membership number, the complaint and its
reference, a desk registrant's key subject, a caller's keyed name) and a message asked for later to any of them is not requested.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa

from services.notifications.contacts import COMPLAINANT_ERASED, MEMBER_ERASED
from services.notifications.privacy import FORM_KINDS
from services.notifications.rules import Wanted
from shared.db import create_tables
from shared.envelope import CloudEvent
from shared.erased_memory import ErasedMemory, erased_table
from shared.privacy_subjects import member_subject, registrant_subject

metadata = sa.MetaData()
erased_recipients = erased_table(metadata, "notification_erased_subjects")


def names_of(wanted: Wanted) -> set[str]:
    """Every subject a message may be about: its recipient, its person, and the member a number names."""
    names = {wanted.recipient, *([wanted.person] if wanted.person else [])}
    if wanted.kind not in FORM_KINDS:  # a form's number is no one's membership number
        names.add(member_subject(wanted.recipient))
    return names


class LateErasures:
    def __init__(self, engine: sa.Engine):
        self.engine = engine
        create_tables(metadata, engine)
        self.memory = ErasedMemory(erased_recipients)

    def remember(
        self, events: Sequence[CloudEvent], recipients: Iterable[str], forms: Iterable[tuple[str, str]]
    ) -> None:
        """The batch's erasures: `recipients` as the contacts named them, `forms` the desks' registrants erased."""
        subjects = {*recipients, *(e.subject for e in events if e.type in (MEMBER_ERASED, COMPLAINANT_ERASED))}
        subjects.update(registrant_subject(desk, number) for desk, number in forms)
        if subjects:
            with self.engine.begin() as conn:
                self.memory.remember(conn, subjects, "recipient")

    def anyone(self) -> bool:
        with self.engine.connect() as conn:
            return self.memory.any(conn)

    def erased_among(self, subjects: Iterable[str]) -> bool:
        """Whether an erasure read before reached any of `subjects`."""
        with self.engine.connect() as conn:
            return bool(self.memory.remembered(conn, set(subjects)))

    def not_erased(self, asked: list[Wanted]) -> list[Wanted]:
        """The messages asked for, less those to someone erased before."""
        if not asked:
            return asked
        names = [names_of(w) for w in asked]
        with self.engine.connect() as conn:
            gone = {s for _kind, s in self.memory.remembered(conn, set().union(*names))}
        return [w for w, n in zip(asked, names, strict=True) if gone.isdisjoint(n)]
