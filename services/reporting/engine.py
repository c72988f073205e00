"""The reporting processors' decisions, independent of Kafka: the faust agents feed events in and a timer calls
`tick(now)` with the injected clock; tests call both directly."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from prometheus_client import Counter

from services.reporting import call_periods
from services.reporting import projections as P
from services.reporting.oversight import Oversight
from services.reporting.readmodel import BatchOutcome, ReadModel
from services.reporting.snapshots import KEEP, SPARSE, take_snapshots
from shared.calendar import BusinessCalendar
from shared.envelope import CloudEvent
from shared.organisation import Organisation

log = logging.getLogger(__name__)

BREACHES_RECORDED = Counter("crm_processor_breaches_recorded", "Callback breaches detected by this processor")
FOLLOW_UP_BREACHES_RECORDED = Counter(
    "crm_processor_follow_up_breaches_recorded", "Member-relations follow-up breaches detected by this processor"
)
LISTS_PRODUCED = Counter("crm_processor_end_of_day_lists", "End-of-day lists produced by this processor")
REPORTS_PRODUCED = Counter(
    "crm_processor_call_centre_reports", "Weekly and monthly call-centre reports produced by this processor", ["period"]
)


def item_for_list(item: dict[str, Any], calendar: BusinessCalendar) -> dict[str, Any]:
    """An entry of the end-of-day list as the unit manager reads it."""
    return {
        "call_id": item["call_id"],
        "caller": item.get("caller"),
        "contact_phone": item.get("contact_phone"),
        "contact_name": item.get("contact_name"),
        "member_id": item.get("member_id"),
        "subject": item.get("subject"),
        "expert": item.get("expert"),
        "registered_at": item["registered_at"].isoformat(),
        "callback_due": item["callback_due"].isoformat(),
        "callback_due_local": calendar.format(item["callback_due"]),
        "automatic": bool(item.get("automatic")),
    }


class ReportingEngine:
    def __init__(
        self,
        readmodel: ReadModel,
        oversight: Oversight,
        organisation: Organisation,
        calendar: BusinessCalendar,
        rule: P.EscalationRule,
        clock: Callable[[], datetime],
        *,
        snapshots_kept: int = KEEP,
        snapshots_sparse: int = SPARSE,
    ):
        self.snapshots_kept, self.snapshots_sparse = snapshots_kept, snapshots_sparse
        self.readmodel = readmodel
        self.oversight = oversight
        self.organisation = organisation
        self.calendar = calendar
        self.rule = rule
        self.clock = clock
        self._last_escalation: dict[str, datetime] = {}
        self._breached: set[str] = set()
        self._follow_ups_breached: set[str] = set()
        self._closed_through: date | None = None
        self._periods_done: dict[str, date] = {}  # week/month -> first day of the latest closed one dealt with

    def handle(self, events: Sequence[CloudEvent]) -> BatchOutcome:
        outcome = self.readmodel.apply(events, at=self.clock())
        for e in events:
            # The read model now holds the breach: it is no longer a pending deadline, nor needs remembering here.
            name = P.event_name(e.type, P.REPORTING_EVENTS)
            if name == "callback_breach.recorded":
                self._breached.discard(e.data.get("call_id"))
                outcome.deadlines_changed = True
            elif name == "member_relations_follow_up_breach.recorded":
                self._follow_ups_breached.discard(e.data.get("call_id"))
                outcome.deadlines_changed = True
        for unit in sorted(outcome.units_with_new_unanswered):
            self.check_escalation(unit)
        return outcome

    def _manager(self, unit: str) -> str | None:
        return next((u.manager or None for u in self.organisation.units if u.id == unit), None)

    def check_escalation(self, unit: str) -> bool:
        """Repeated non-answer: more unanswered calls than the threshold within the rolling window. Every
        escalation that is due is raised in one pass over the calls registered since the unit's last one (a flood
        into one unit once raised one per batch, each pass re-reading a backlog that grew with every batch)."""
        last = max(filter(None, [self.readmodel.last_escalation(unit), self._last_escalation.get(unit)]), default=None)
        registrations = self.readmodel.registrations(unit, since=last or datetime(1970, 1, 1, tzinfo=UTC))
        if registrations:
            # Only what can still share a window with the newest call; working days stretch over weekends and
            # holidays (Nowruz closes the Iranian chamber for about two weeks), hence the margin.
            newest = max(at for at, _ in registrations)
            horizon = self.rule.window * 2 + timedelta(days=21)
            registrations = sorted((at, cid) for at, cid in registrations if at > newest - horizon)
        raised_any = False
        while True:
            crossing = P.crossing_call(registrations, self.rule, last, self.calendar)
            if crossing is None:
                return raised_any
            _, at, call_ids = crossing
            self._last_escalation[unit] = last = at
            # The calls up to this escalation do not count again: the next crossing is looked for after them.
            registrations = [(t, cid) for t, cid in registrations if t > at]
            raised = self.oversight.raise_escalation(
                unit=unit,
                at=at,
                call_ids=call_ids,
                threshold=self.rule.threshold,
                window_days=self.rule.window.days,
            )
            if raised:
                raised_any = True
                log.info(
                    "escalated unit %s to the SG: %d unanswered calls within %s", unit, len(call_ids), self.rule.window
                )

    def next_deadline(self) -> datetime | None:
        """When the engine next has something to record: the earliest callback or follow-up deadline not yet
        breached (nor already recorded and on its way back through the topic), or the end of the next working day
        whose list is not produced yet. The processor's deadline timer sleeps until then."""
        limit = max(len(self._breached), len(self._follow_ups_breached)) + 1
        candidates = [
            due
            for due, call_id, kind in self.readmodel.pending_deadlines(limit)
            if call_id not in (self._breached if kind == "callback" else self._follow_ups_breached)
        ][:1]
        if self._closed_through is not None:
            day = self.calendar.next_working_day(self._closed_through)
            end = self.calendar.end_of_working_day(day)
            if end is not None:
                candidates.append(end)
        return min(candidates, default=None)

    def tick(self, now: datetime | None = None) -> dict[str, int]:
        """Record the breaches that are due and produce the end-of-day lists of the working days that have ended;
        take the read model's `as_of` snapshots that are due."""
        # In UTC: the read model compares stored UTC times in SQL, and SQLite would compare a Tehran-zoned `now` by
        # its wall-clock text, 3.5 hours off.
        now = (now or self.clock()).astimezone(UTC)
        breaches = 0
        for item in self.readmodel.overdue_without_breach(now):
            if item["call_id"] in self._breached:
                continue
            if self.oversight.record_breach(
                call_id=item["call_id"],
                unit=item["unit"],
                expert=item.get("expert"),
                callback_due=item["callback_due"],
                detected_at=now,
            ):
                breaches += 1
                BREACHES_RECORDED.inc()
            self._breached.add(item["call_id"])
        done = {
            "breaches": breaches,
            "follow_up_breaches": self.follow_up_breaches(now),
            "lists": self.close_days(now),
            "reports": self.close_periods(now),
        }
        # For `as_of`: one each EVERY journaled events, none most ticks.
        take_snapshots(self.readmodel, keep=self.snapshots_kept, sparse=self.snapshots_sparse)
        return done

    def close_periods(self, now: datetime) -> int:
        """The call-centre report of the week and the month that closed last, each recorded once."""
        produced = 0
        for period in ("week", "month"):
            first, after = call_periods.last_closed(period, now, self.calendar)
            if self._periods_done.get(period) == first:
                continue
            report = call_periods.report_of(period, first, after, self.readmodel, self.calendar, now)
            if report is not None and self.oversight.produce_call_centre_report(report, produced_at=now):
                produced += 1
                REPORTS_PRODUCED.labels(period).inc()
            self._periods_done[period] = first
        return produced

    def follow_up_breaches(self, now: datetime) -> int:
        recorded = 0
        for item in self.readmodel.overdue_follow_ups_without_breach(now):
            if item["call_id"] in self._follow_ups_breached:
                continue
            if self.oversight.record_follow_up_breach(
                call_id=item["call_id"], expert=item.get("expert"), due=item["due"], detected_at=now
            ):
                recorded += 1
                FOLLOW_UP_BREACHES_RECORDED.inc()
            self._follow_ups_breached.add(item["call_id"])
        return recorded

    def close_days(self, now: datetime) -> int:
        if self._closed_through is None:
            produced = self.readmodel.end_of_day_days()
            if produced:
                self._closed_through = date.fromisoformat(max(d for _, d in produced))
            else:
                first = self.readmodel.first_registration()
                if first is None:
                    return 0
                self._closed_through = self.calendar.working_day_of(first) - timedelta(days=1)
        days = P.working_days_to_close(self.calendar, self._closed_through + timedelta(days=1), now)
        if not days:
            return 0
        items = self.readmodel.unanswered_items(state=None)
        lists = 0
        for day in days:
            cutoff = self.calendar.end_of_working_day(day)
            if cutoff is None:  # working_days_to_close gives only days with working time; a calendar edit may not
                continue
            due = P.end_of_day_items(items, cutoff)
            for unit in sorted({i["unit"] for i in due}):
                entries = [item_for_list(i, self.calendar) for i in due if i["unit"] == unit]
                if self.oversight.produce_end_of_day_list(
                    unit=unit, day=day.isoformat(), manager=self._manager(unit), produced_at=cutoff, items=entries
                ):
                    lists += 1
                    LISTS_PRODUCED.inc()
            self._closed_through = day
        return lists
