"""DeskOffice: the service desks' commands and queries over their event store."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar, TypeVar

from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from services.desks.contract import CONTRACT
from services.desks.domain import Desk, RatioReport, Stage, desk_id, report_id
from services.desks.erasure import RegistrantErasure, check_erasable, erasure_id
from services.desks.privacy import DESK_FIELDS, SESSION_FIELDS, desk_sealer
from services.desks.ratio import period_bounds, ratio_figures
from services.desks.session_office import SessionOffice
from services.desks.views import desk_record, final_list, reminder_list
from shared.as_of import aggregate_as_of
from shared.calendar import BusinessCalendar
from shared.clock import Clock, system_clock
from shared.contracts import EventContract
from shared.privacy import KeyStore, Sealer
from shared.problems import DomainError, InvalidInput, NotFound
from shared.settings import DeskSettings

log = logging.getLogger(__name__)
T = TypeVar("T")


class DeskNotFound(NotFound):
    pass


class DeskOffice(SessionOffice):
    service: ClassVar[str] = "desks"
    contract: ClassVar[EventContract] = CONTRACT
    personal_fields: ClassVar[dict[str, frozenset[str]]] = {"Desk": DESK_FIELDS, "Session": SESSION_FIELDS}

    def __init__(
        self,
        env: dict[str, Any] | None = None,
        *,
        calendar: BusinessCalendar,
        clock: Clock = system_clock,
        config: DeskSettings | None = None,
    ):
        super().__init__(env)
        self.calendar = calendar
        self.clock = clock
        self.config = config or DeskSettings()
        # What the deadline checks visit: every desk and session from the store's log, unless the index is wired
        # in (services/desks/main.py), which lists only desks not closed and sessions with decisions still open.
        self.open_desks: Callable[[], list[uuid.UUID]] = self.desk_ids
        self.sessions_with_open_decisions: Callable[[], list[uuid.UUID]] = self.session_ids

    def construct_sealer(self, keys: KeyStore) -> Sealer:
        return desk_sealer(keys, self.personal_fields)

    def forget_cached_desks(self) -> None:
        """Desks kept in memory hold their registrants' data opened: after an erasure they are read again."""
        cache = getattr(self.repository, "cache", None)
        if cache is not None:
            with cache.lock:
                cache.cache.clear()

    def erase_registrant(self, desk: uuid.UUID | str, number: str, reason: str, *, by: str | None) -> str:
        """Forget the registrant of a form who named no member: delete their key, then record the erasure (the key
        first, so that nothing reading the event still opens the data). Returns the subject erased."""
        found = self.get_desk(desk)
        form = {**found.form(str(number)), "desk_id": str(found.id)}
        already = self.find_aggregate(erasure_id(str(found.id), str(number)), RegistrantErasure) is not None
        subject = check_erasable(form, reason, already)
        assert self.sealer is not None  # the desks seal personal data (personal_fields)
        self.sealer.keys.delete(subject)
        self.forget_cached_desks()
        erasure = RegistrantErasure(
            desk_id=str(found.id), number=str(number), subject=subject, reason=reason.strip(), by=by, at=self.clock()
        )
        self.save_or_conflict(erasure, what="the erasure")
        return subject

    # -- queries -----------------------------------------------------------------------------------------------
    def find_desk(self, desk: uuid.UUID | str) -> Desk | None:
        return self.find_aggregate(desk, Desk)

    def get_desk(self, desk: uuid.UUID | str) -> Desk:
        found = self.find_desk(desk)
        if found is None:
            raise DeskNotFound(f"no service desk with id {desk}")
        return found

    def record(self, desk: uuid.UUID | str) -> dict[str, Any]:
        return desk_record(self.get_desk(desk), self.clock())

    def desk_ids(self) -> list[uuid.UUID]:
        """Every desk, from the store's log of Planned events (the lists read the index instead)."""
        return self._ids_of(get_topic(Desk.Planned))  # type: ignore[attr-defined]  # made by @event

    def _ids_of(self, topic: str) -> list[uuid.UUID]:
        found: list[uuid.UUID] = []
        start = 0
        while True:
            batch = self.recorder.select_notifications(start, 1000, topics=[topic], inclusive_of_start=False)
            if not batch:
                return found
            found.extend(uuid.UUID(str(n.originator_id)) for n in batch)
            start = batch[-1].id

    def desks(self) -> list[Desk]:
        return sorted(
            (d for d in (self.find_desk(i) for i in self.desk_ids()) if d is not None), key=lambda d: d.starts_at
        )

    def final_list(self, desk: uuid.UUID | str) -> list[dict[str, Any]]:
        return final_list(self.get_desk(desk))

    def reminder_list(self, desk: uuid.UUID | str) -> list[dict[str, Any]]:
        return reminder_list(self.get_desk(desk))

    # -- commands ----------------------------------------------------------------------------------------------
    def _command(self, desk: uuid.UUID | str, step: Callable[[Desk, datetime], T]) -> T:
        found = self.get_desk(desk)
        result = step(found, self.clock())
        self.save_or_conflict(found, what="the desk")
        return result

    def _today(self, now: datetime) -> date:
        return self.calendar.working_day_of(now)

    @property
    def language(self) -> str:
        """The language of messages to a member whose own is not known: configured, or the chamber's."""
        if self.config.language:
            return self.config.language
        return "fa" if self.calendar.config.calendar_display == "solar_hijri" else "tr"

    def plan_desk(
        self,
        *,
        agency: str,
        starts_at: datetime,
        place: str,
        format: str,
        capacity: int,
        equipment: list[str] | None = None,
        by: str | None = None,
    ) -> uuid.UUID:
        """Plan a desk of an agency; the same agency at the same start is one desk (409 the second time)."""
        now = self.clock()
        if starts_at.tzinfo is None:
            raise InvalidInput("give the desk's start with its time zone")
        starts_at = starts_at.astimezone(UTC)  # stored in UTC, so the same instant always names the same desk
        day = self.calendar.working_day_of(starts_at)
        if not self.calendar.is_working_day(day):
            raise InvalidInput(f"{day.isoformat()} is not a working day of the chamber")
        closing = self.calendar.end_of_working_day(day)
        last_end = starts_at + timedelta(minutes=capacity * self.config.slot_minutes)
        if closing is not None and isinstance(capacity, int) and capacity > 0 and last_end > closing:
            fits = max(0, int((closing - starts_at).total_seconds() // 60) // self.config.slot_minutes)
            raise InvalidInput(
                f"{capacity} slots of {self.config.slot_minutes} minutes run past the end of the working day "
                f"({self.calendar.format(closing)}): at most {fits} fit from this start"
            )
        follow_up_day = day
        for _ in range(self.config.follow_up_working_days):
            follow_up_day = self.calendar.next_working_day(follow_up_day)
        follow_up_due_at = self.calendar.end_of_working_day(follow_up_day)
        if follow_up_due_at is None:  # next_working_day only returns working days
            raise ValueError(f"{follow_up_day.isoformat()} has no working hours")
        desk = Desk.plan(
            agency=agency,
            agencies=list(self.config.agencies),
            starts_at=starts_at,
            desk_day=day,
            reminder_day=self.calendar.previous_working_day(day),
            place=place,
            format=format,
            capacity=capacity,
            equipment=equipment,
            slot_minutes=self.config.slot_minutes,
            follow_up_due_at=follow_up_due_at,
            by=by,
            at=now,
        )
        if self.find_desk(desk.id) is not None:
            raise DomainError(f"a {agency} desk starting at {starts_at.isoformat()} is planned already: {desk.id}")
        self.save_or_conflict(desk, what="the desk")
        return desk.id

    def record_coordination(
        self, desk: uuid.UUID | str, *, liaison: str, note: str, documents: list[str] | None = None, by: str | None
    ) -> None:
        self._command(
            desk, lambda d, now: d.record_coordination(liaison=liaison, note=note, documents=documents, by=by, at=now)
        )

    def approve_plan(self, desk: uuid.UUID | str, *, note: str | None = None, by: str | None) -> None:
        self._command(desk, lambda d, now: d.approve_plan(note=note, by=by, at=now))

    def record_announcement(
        self, desk: uuid.UUID | str, *, route: str, on: date | None = None, note: str | None = None, by: str | None
    ) -> None:
        self._command(
            desk,
            lambda d, now: d.record_announcement(route=route, on=on or self._today(now), note=note, by=by, at=now),
        )

    def register_member(
        self,
        desk: uuid.UUID | str,
        *,
        member_name: str,
        problem: str,
        channel: str,
        member_id: str | None = None,
        company: str | None = None,
        phone: str | None = None,
        documents: list[str] | None = None,
        language: str | None = None,
        by: str | None,
    ) -> str:
        """A problem form MM-FR-02-05-01; returns its number on the desk."""
        return self._command(
            desk,
            lambda d, now: d.register(
                member_id=member_id,
                member_name=member_name,
                company=company,
                phone=phone,
                channel=channel,
                problem=problem,
                documents=documents,
                language=language,
                by=by,
                at=now,
            ),
        )

    def request_member_announcement(
        self,
        desk: uuid.UUID | str,
        *,
        selection_id: str,
        recipients: list[dict[str, Any]],
        criteria: dict[str, list[str]] | None = None,
        taken_at: datetime | None = None,
        message: str | None = None,
        by: str | None,
    ) -> int:
        """Ask the notification channels to announce the desk to a member selection; returns how many members."""
        return self._command(
            desk,
            lambda d, now: d.request_member_announcement(
                selection_id=selection_id,
                criteria=criteria,
                taken_at=taken_at.isoformat() if taken_at else None,
                recipients=recipients,
                message=message,
                default_language=self.language,
                registration_path=f"/public/desks/{d.id}",
                on=self._today(now),
                by=by,
                at=now,
            ),
        )

    def cancel_registration(
        self, desk: uuid.UUID | str, number: str, *, reason: str | None = None, by: str | None
    ) -> None:
        self._command(desk, lambda d, now: d.cancel_registration(number, reason=reason, by=by, at=now))

    def guide_elsewhere(self, desk: uuid.UUID | str, number: str, *, where: str, by: str | None) -> None:
        self._command(desk, lambda d, now: d.guide_elsewhere(number, where=where, by=by, at=now))

    def request_catering(
        self, desk: uuid.UUID | str, *, items: list[str], note: str | None = None, by: str | None
    ) -> None:
        self._command(desk, lambda d, now: d.request_catering(items=items, note=note, by=by, at=now))

    def record_reminder_call(
        self, desk: uuid.UUID | str, number: str, *, reached: bool, note: str | None = None, by: str | None
    ) -> None:
        self._command(
            desk,
            lambda d, now: d.record_reminder_call(
                number, reached=reached, note=note, today=self._today(now), by=by, at=now
            ),
        )

    def record_attendance(self, desk: uuid.UUID | str, number: str, *, attended: bool, by: str | None) -> None:
        self._command(
            desk,
            lambda d, now: d.record_attendance(number, attended=attended, today=self._today(now), by=by, at=now),
        )

    def record_decision(self, desk: uuid.UUID | str, number: str, *, decision: str, by: str | None) -> None:
        self._command(desk, lambda d, now: d.record_decision(number, decision=decision, by=by, at=now))

    def review_minutes(self, desk: uuid.UUID | str, *, note: str | None = None, by: str | None) -> None:
        self._command(desk, lambda d, now: d.review_minutes(note=note, by=by, at=now))

    def send_minutes(self, desk: uuid.UUID | str, *, to: str, note: str | None = None, by: str | None) -> None:
        self._command(desk, lambda d, now: d.send_minutes(to=to, note=note, by=by, at=now))

    def archive_minutes(self, desk: uuid.UUID | str, *, note: str | None = None, by: str | None) -> None:
        self._command(desk, lambda d, now: d.archive_minutes(note=note, by=by, at=now))

    def record_follow_up(
        self, desk: uuid.UUID | str, number: str, *, carried_out: bool, result: str, by: str | None
    ) -> str | None:
        return self._command(
            desk, lambda d, now: d.record_follow_up(number, carried_out=carried_out, result=result, by=by, at=now)
        )

    def complete_checklist(self, desk: uuid.UUID | str, *, note: str | None = None, by: str | None) -> None:
        self._command(desk, lambda d, now: d.complete_checklist(note=note, by=by, at=now))

    # -- the ratio of problems solved to problems raised ----------------------------------------------------------
    def ratio(self, period: str, on: date | None = None, *, as_of: datetime | None = None) -> dict[str, Any]:
        """The figures of the week or month holding `on` (today when omitted); with `as_of`, as they stood then:
        every desk replayed from its events up to that moment, and "today" that moment's day."""
        start, end = period_bounds(self.calendar, period, on or self._today(as_of or self.clock()))
        desks = self.desks() if as_of is None else self.desks_as_of(as_of)
        return {"period": period, "start": start, "end": end, **ratio_figures(desks, start, end)}

    def desks_as_of(self, when: datetime) -> list[Desk]:
        """Every desk planned by `when`, as it stood then."""
        found = (aggregate_as_of(self, i, when) for i in self.desk_ids())
        return sorted((d for d in found if isinstance(d, Desk)), key=lambda d: d.starts_at)

    def issue_ratio_report(self, period: str, on: date | None = None, *, by: str | None) -> tuple[dict[str, Any], bool]:
        """Record the figures as reported to the SG and the president (an event); issuing again records them again
        only if they changed. Returns the report and whether an event was recorded."""
        report = self.ratio(period, on)
        figures = {k: v for k, v in report.items() if k in ("desks", "agencies", "total")}
        now = self.clock()
        rid = report_id(period, report["start"])
        existing = self.find_aggregate(rid, RatioReport)
        if existing is None:
            issued = RatioReport(
                period=period,
                start=report["start"].isoformat(),
                end=report["end"].isoformat(),
                figures=figures,
                by=by,
                at=now,
            )
            self.save_or_conflict(issued, what="the ratio report")
            changed = True
        else:
            changed = existing.reissue(figures, by=by, at=now)
            self.save_or_conflict(existing, what="the ratio report")
        return {**report, "report_id": str(rid)}, changed

    # -- deadlines ---------------------------------------------------------------------------------------------
    def record_reminders_due(self, now: datetime | None = None) -> list[tuple[uuid.UUID, str]]:
        """Ask the notification channels for the slot reminders due (the working day before each desk), once per
        member; running it again asks only for members who have moved up since."""
        now = now or self.clock()
        today = self._today(now)
        recorded: list[tuple[uuid.UUID, str]] = []
        for did in self.open_desks():
            for attempt in range(3):
                desk = self.find_desk(did)
                if desk is None or now >= desk.starts_at:
                    break
                due = desk.record_reminders_due(today=today, default_language=self.language, at=now)
                if not due:
                    break
                try:
                    self.save(desk)
                except IntegrityError:
                    if attempt == 2:
                        log.warning("slot reminders of a desk could not be recorded: it kept changing")
                    continue
                recorded.extend((desk.id, n) for n in due)
                break
        return recorded

    def record_missed_follow_ups(self, now: datetime | None = None) -> list[tuple[uuid.UUID, str]]:
        """Record every follow-up call not made by its due time, once each; running it again records nothing."""
        now = now or self.clock()
        recorded: list[tuple[uuid.UUID, str]] = []
        for did in self.open_desks():
            for attempt in range(3):
                desk = self.find_desk(did)
                if desk is None or desk.stage == Stage.CLOSED or now <= desk.follow_up_due_at:
                    break
                missed = desk.record_missed_follow_ups(now)
                if not missed:
                    break
                try:
                    self.save(desk)
                except IntegrityError:
                    if attempt == 2:
                        log.warning("missed follow-ups of a desk could not be recorded: it kept changing")
                    continue
                recorded.extend((desk.id, n) for n in missed)
                break
        return recorded


__all__ = ["DeskNotFound", "DeskOffice", "desk_id"]
