"""`crm demo` for the desks service: a month of service desks at every step and two specialised sessions, so each
list, the final list, the follow-up calls due, the ratio report and the dashboard have something in them.

Everything goes through the office's own commands, on a clock moved to when each step happens: five desks (one
closed a month ago with a decision not carried out, one whose follow-ups were partly missed, one held three days ago
awaiting its follow-ups, one announced next week with a waiting list, one still being planned) and two sessions (one
held with its decisions, one overdue; one ratified and invited). The members come from the members demo (the
caller passes them), so the announcement to members, the reminders and the invitations name real demo members.
A second run finds the desks planned already and changes nothing.

`load_session` holds one more session a few days ago, for the plan's "consultation meetings with members" (F.2.2.1)
to count (services/demo.py: the plan's year).
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.desks.application import DeskOffice
from services.desks.main import build_office
from shared.problems import DomainError
from shared.settings import Settings

PROBLEMS = [
    "ترخیص کالا از گمرک شهید رجایی سه هفته معطل مانده است",
    "جریمه تعزیرات برای تأخیر در اعلام قیمت",
    "استرداد مالیات بر ارزش افزوده صادرات",
    "تخصیص ارز برای واردات مواد اولیه",
    "Gümrükte bekleyen ihracat sevkiyatı",
    "مجوز توسعه واحد در شهرک صنعتی",
    "کارت بازرگانی و کد اقتصادی",
    "Vergi iadesi başvurusu gecikti",
]
DECISIONS = [
    "ترخیص ظرف یک هفته با ارائه ضمانت‌نامه",
    "ارجاع به کمیسیون تجدیدنظر",
    "استرداد در نوبت پرداخت ماه آینده",
    "Başvuru bir hafta içinde sonuçlandırılacak",
]


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def load_desks(settings: Settings, members: list[dict[str, Any]], *, out=sys.stdout) -> int:
    """Load the demo desks and sessions; `members` are {member_id, name, company, phone, language}."""
    clock = _Clock(datetime.now(UTC))
    office = build_office(settings, clock)
    try:
        return _Demo(office, clock, members, out).run()
    finally:
        office.close()


class _Demo:
    def __init__(self, office: DeskOffice, clock: _Clock, members: list[dict[str, Any]], out) -> None:
        self.office = office
        self.clock = clock
        self.cal = office.calendar
        self.members = members or [{"member_id": "demo-1", "name": "علی رحمانی", "phone": "09131234567"}]
        self.out = out
        self.today = self.cal.working_day_of(clock.now)
        self.used = 0

    def day(self, offset: int) -> date:
        """The working day `offset` working days from today (negative: before)."""
        day = self.today
        step = self.cal.next_working_day if offset > 0 else self.cal.previous_working_day
        for _ in range(abs(offset)):
            day = step(day)
        return day

    def at(self, day: date, hours: float = 1.0) -> datetime:
        """`hours` into the working day."""
        return self.cal.working_intervals(day)[0][0] + timedelta(hours=hours)

    def ahead(self, starts_at: datetime) -> datetime:
        """When a desk or session starting then is planned: two weeks before, or now if that is earlier."""
        return min(starts_at - timedelta(days=14), datetime.now(UTC))

    def member(self) -> dict[str, Any]:
        self.used += 1
        return self.members[self.used % len(self.members)]

    def run(self) -> int:
        desks = [
            ("customs", -22, "closed"),
            ("tax", -12, "archived"),
            ("taaziraat", -3, "minutes_sent"),
            ("agriculture", 4, "announced"),
            ("industry_mine_trade", 8, "planning"),
        ]
        made = 0
        for agency, offset, stop in desks:
            if agency not in self.office.config.agencies:
                continue
            try:
                self.desk(agency, self.day(offset), stop)
                made += 1
            except DomainError as exc:
                if "planned already" not in str(exc):
                    raise
        sessions = 0
        for trade_group, offset, held in (("صادرکنندگان نساجی", -14, True), ("صنایع غذایی", 6, False)):
            try:
                self.session(trade_group, self.day(offset), held)
                sessions += 1
            except DomainError as exc:
                if "planned already" not in str(exc):
                    raise
        self.clock.now = datetime.now(UTC)
        self.office.record_missed_follow_ups()
        self.office.record_overdue_decisions()
        self.office.record_reminders_due()
        if made:
            self.office.issue_ratio_report("month", self.day(-22), by="demo")
        if made or sessions:
            print(f"demo desks: {made} desks and {sessions} sessions recorded", file=self.out)
        else:
            print("demo desks are already loaded", file=self.out)
        return 0

    def desk(self, agency: str, day: date, stop: str) -> None:
        office, by = self.office, "demo"
        starts_at = self.at(day, 1)
        self.clock.now = self.ahead(starts_at)
        desk = office.plan_desk(
            agency=agency,
            starts_at=starts_at,
            place="سالن همایش اتاق، طبقه دوم",
            format="in_person",
            capacity=5,
            equipment=["ویدئو پروژکتور", "میکروفون"],
            by=by,
        )
        office.record_coordination(
            desk, liaison="رابط دستگاه", note="تاریخ و سالن هماهنگ شد", documents=["نامه ۱۲"], by=by
        )
        if stop == "planning":
            return
        office.approve_plan(desk, note="تأیید شد", by="demo manager")
        for route in ("poster_request", "director_general", "representative"):
            office.record_announcement(desk, route=route, by=by)
        recipients = [{k: m.get(k) for k in ("member_id", "name", "phone", "language")} for m in self.members[:40]]
        office.request_member_announcement(
            desk, selection_id=f"demo-{agency}", criteria={"activity": [agency]}, recipients=recipients, by=by
        )
        numbers = []
        for n in range(7):  # capacity 5: two wait
            m = self.member()
            numbers.append(
                office.register_member(
                    desk,
                    member_name=m["name"],
                    member_id=m["member_id"],
                    company=m.get("company"),
                    phone=m.get("phone"),
                    language=m.get("language"),
                    channel=("phone", "letter", "public_page")[n % 3],
                    problem=PROBLEMS[(self.used + n) % len(PROBLEMS)],
                    by=by,
                )
            )
        office.cancel_registration(desk, numbers[1], reason="مشکل حل شد", by=by)  # the first waiting moves up
        office.guide_elsewhere(desk, numbers[3], where="میز خدمت امور مالیاتی", by=by)  # and the second
        office.request_catering(desk, items=["چای و شیرینی برای ۱۰ نفر"], by=by)
        if stop == "announced":
            return
        self.clock.now = self.at(self.cal.previous_working_day(day), 2)
        office.record_reminders_due()
        scheduled = [f["form"] for f in office.reminder_list(desk)]
        for number in scheduled:
            office.record_reminder_call(desk, number, reached=True, note="تأیید حضور", by=by)
        self.clock.now = starts_at + timedelta(minutes=5)
        for i, number in enumerate(scheduled):
            office.record_attendance(desk, number, attended=i != 2, by=by)  # one no-show
        attended = [n for i, n in enumerate(scheduled) if i != 2]
        for i, number in enumerate(attended):
            office.record_decision(desk, number, decision=DECISIONS[i % len(DECISIONS)], by=by)
        self.clock.now = starts_at + timedelta(hours=3)
        office.review_minutes(desk, note="بازبینی شد", by="demo manager")
        office.send_minutes(desk, to="دفتر مدیرکل دستگاه", by=by)
        if stop == "minutes_sent":
            return
        office.archive_minutes(desk, by=by)
        self.clock.now = self.at(self.cal.next_working_day(self.cal.next_working_day(day)), 2)

        def follow(number: str, done: bool) -> None:
            result = "انجام شد" if done else "هنوز انجام نشده"
            office.record_follow_up(desk, number, carried_out=done, result=result, by=by)

        if stop == "archived":
            follow(attended[0], True)  # the rest are missed: breach events at the end of the run
            return
        for i, number in enumerate(attended):
            follow(number, i != 1)  # one decision not carried out: a corrective action
        office.complete_checklist(desk, note="میز با موفقیت برگزار شد", by=by)

    def session(self, trade_group: str, day: date, held: bool) -> None:
        office, by = self.office, "demo"
        starts_at = self.at(day, 2)
        self.clock.now = self.ahead(starts_at)
        session = office.plan_session(
            trade_group=trade_group,
            starts_at=starts_at,
            place="سالن شورای اتاق",
            topics=["مشکلات صادرات", "استرداد حقوق ورودی"],
            by=by,
        )
        invitees = [
            {k: m.get(k) for k in ("member_id", "name", "company", "phone", "language")} for m in self.members[:12]
        ]
        office.select_invitees(
            session,
            selection_id=f"demo-session-{day.isoformat()}",
            criteria={"activity": [trade_group]},
            invitees=invitees,
            by=by,
        )
        office.approve_session_by_sg(session, note="تأیید دبیرکل", by="demo sg")
        office.ratify_session(session, note="تصویب رئیس", by="demo president")
        office.record_invitations(session, by=by)
        if not held:
            return
        self.clock.now = starts_at + timedelta(hours=1)
        office.record_session_attendance(session, attended=[str(i["member_id"]) for i in invitees[:9]], by=by)
        office.raise_session_problem(
            session,
            text="تأخیر در صدور گواهی مبدأ در اتاق",
            about_chamber_service=True,
            service="certificates",
            unit="international",
            member_id=invitees[0]["member_id"],
            by=by,
        )
        office.raise_session_problem(session, text="نوسان نرخ ارز صادراتی", about_chamber_service=False, by=by)
        office.archive_session_minutes(session, summary="صورتجلسه SE-FR-02-01-01 بایگانی شد", by=by)
        first = office.take_session_decision(
            session, text="مکاتبه با گمرک درباره ترخیص", owner="demo", due_on=self.cal.next_working_day(day), by=by
        )
        office.take_session_decision(
            session, text="پیگیری نرخ ارز با بانک مرکزی", owner="demo", due_on=self.day(-2), by=by
        )  # left undone: overdue at the end of the run
        self.clock.now = self.at(self.cal.next_working_day(day), 1)
        office.complete_session_decision(session, first, note="نامه ارسال شد", by=by)


def load_session(
    settings: Settings, invitees: list[dict[str, str]], *, starts_at: datetime, out=sys.stdout
) -> uuid.UUID | None:
    """Hold the session starting at `starts_at` (in the past) with `invitees` (member_id, name); None when it is
    there already."""
    current = {"now": starts_at - timedelta(days=14)}
    office = build_office(settings, lambda: current["now"])
    try:
        try:
            session = office.plan_session(
                trade_group="textile exporters",
                starts_at=starts_at,
                place="Chamber hall 1",
                topics=["export refunds", "customs clearance times"],
                by="s.ahmadi",
            )
        except DomainError:
            print("demo: the specialised session is loaded already", file=out)
            return None
        steps: list[Callable[[], None]] = [
            lambda: office.select_invitees(
                session,
                selection_id="demo-textile",
                criteria={"activity": ["textile"]},
                invitees=invitees,
                by="s.ahmadi",
            ),
            lambda: office.approve_session_by_sg(session, by="a.sharifi"),
            lambda: office.ratify_session(session, note="ratified", by="president"),
            lambda: office.record_invitations(session, by="s.ahmadi"),
        ]
        for day, step in enumerate(steps):
            current["now"] = starts_at - timedelta(days=10 - 2 * day)
            step()
        current["now"] = starts_at + timedelta(minutes=30)
        attended = [i["member_id"] for i in invitees[: max(1, len(invitees) * 3 // 4)]]
        office.record_session_attendance(session, attended=attended, by="s.ahmadi")
        current["now"] = starts_at + timedelta(hours=3)
        office.archive_session_minutes(session, summary="export refunds and clearance times discussed", by="s.ahmadi")
    finally:
        office.close()
    print(f"demo: the textile exporters' session was held with {len(attended)} of {len(invitees)} invited", file=out)
    return session
