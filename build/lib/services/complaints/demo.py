"""Demo complaints for `crm demo`: the current half-year of a chamber's complaint desk, every stage represented.

Each complaint walks the procedure as far as its story goes, through the same commands the API uses, with the
clock set to the moments of its steps; the last ones are still waiting at review, assignment or investigation.
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import jdatetime

from services.complaints.application import ComplaintDesk
from services.complaints.domain import complaint_id_for_source
from services.complaints.main import build_desk
from shared.problems import DomainError
from shared.settings import Settings

STORIES = [
    ("membership", "complaint", "کارت عضویت پس از دو ماه هنوز صادر نشده است", ["r.sadeghi"]),
    ("trade", "complaint", "گواهی مبدأ با اشتباه در نام کالا صادر شد", ["s.ahmadi"]),
    ("international", "criticism", "اطلاع‌رسانی نمایشگاه استانبول بسیار دیر انجام شد", []),
    ("member_services", "reported_problem", "در میز خدمت گمرک نماینده سازمان حاضر نشد", ["t.heidari"]),
    ("legal", "complaint", "پرونده داوری شش ماه بدون جلسه مانده است", ["e.shahbazi"]),
    ("membership", "suggestion", "پیشنهاد تمدید برخط کارت بازرگانی", []),
    ("trade", "complaint", "پاسخ استعلام تعرفه صادراتی داده نشد", ["k.rezaei"]),
    ("member_services", "criticism", "زمان ده دقیقه‌ای هر عضو در میز خدمت کافی نبود", []),
]
NAMES = ["علی رضایی", "مریم احمدی", "حسین کریمی", "زهرا موسوی", "محمد حسینی", "فاطمه نوری"]
# Where each story stops: the later in the list, the further along the procedure.
STOPS = ["received", "acknowledged", "referred", "assigned", "investigated", "closed", "closed", "closed_committee"]
# The demo names people where a chamber's configuration names roles (shared/settings.ComplaintSettings).
SG = "a.sharifi"
DEMO_COMMITTEE = {
    "committee_fixed_members": ("m.karimi", SG, "n.ahmadian"),
    "committee_sg": (SG, "j.bagheri"),
    "committee_assistant": "s.karami",
}
HANDLERS = {
    "membership": "p.mohammadi",
    "trade": "p.mohammadi",
    "international": "s.ahmadi",
    "member_services": "s.ahmadi",
    "legal": "r.sadeghi",
}


class _Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def load_complaints(settings: Settings, *, count: int = 24, seed: int = 1405, out=sys.stdout) -> int:
    now = datetime.now(UTC)
    clock = _Clock(now)
    if settings.complaints == type(settings.complaints)():  # a chamber's own committee is kept as configured
        settings = settings.model_copy(update={"complaints": settings.complaints.model_copy(update=DEMO_COMMITTEE)})
    desk = build_desk(settings, clock)
    try:
        return _load(desk, settings, clock, now, count, seed, out)
    finally:
        desk.close()


def _load(desk: ComplaintDesk, settings: Settings, clock: _Clock, now: datetime, count: int, seed: int, out) -> int:
    rng = random.Random(seed)
    cal = settings.business_calendar
    source = f"demo-complaints-{seed}"
    if desk.find_complaint(complaint_id_for_source(source)) is not None:
        print("demo complaints are already loaded", file=out)
        return 0
    done = {"received": 0, "closed": 0}
    ids = []
    for n in range(count):
        unit, kind, text, persons = STORIES[n % len(STORIES)]
        stop = STOPS[n % len(STOPS)] if n < count - 4 else rng.choice(STOPS[:3])  # the newest still early on
        start = now - timedelta(days=rng.randint(5, 60) if n < count - 4 else rng.randint(0, 3))
        clock.now = cal.add_working_time(start, timedelta(hours=1))

        def later(hours: float) -> None:
            clock.now = cal.add_working_time(clock.now, timedelta(hours=hours))

        args: dict[str, Any] = dict(
            channel=rng.choice(["in_person", "phone"]),
            kind=kind,
            description=text,
            by="z.rahimi",
            occurred_at=clock.now - timedelta(days=2),
            complainant_name=rng.choice(NAMES),
            phone=f"0913{rng.randint(1000000, 9999999)}",
            unit=unit,
            stakeholders={"units": [unit], "persons": persons},
        )
        if args["channel"] == "phone":
            args["call_id"] = f"demo-call-{seed}-{n}"
        if n == 0:
            cid, _ = desk.open_automatically(
                source,
                source="surveys",
                kind="complaint",
                description="امتیاز رضایت زیر ۷۰٪ در نظرسنجی صدور کارت",
                unit="membership",
                complainant_name=rng.choice(NAMES),
                phone="09131112233",
            )
        else:
            cid = desk.register_complaint(**args)
        ids.append(cid)
        done["received"] += 1
        try:
            _walk(desk, cid, unit, stop, later, rng)
        except DomainError as exc:  # a story that does not fit the rules stops where it is
            print(f"demo complaint {n}: {exc}", file=out)
        if stop.startswith("closed"):
            done["closed"] += 1
    _report(desk, clock, now, ids)
    print(f"demo complaints: {done['received']} received, {done['closed']} closed, the others at every stage", file=out)
    return 0


def _report(desk: ComplaintDesk, clock: _Clock, now: datetime, ids: list) -> None:
    """The half-year's report: prepared, sent to the SG and the president, its review meeting on the agenda."""
    if desk.region == "IR":
        local = jdatetime.date.fromgregorian(date=now.date())
        period = f"{local.year}-H{1 if local.month <= 6 else 2}"
    else:
        period = f"{now.year}-H{1 if now.month <= 6 else 2}"
    if desk.find_report(period) is not None:
        return
    clock.now = now
    desk.prepare_report(period, note="پیش‌نویس گزارش شش‌ماهه", by="z.rahimi")
    desk.send_report(period, by="m.karimi")
    agenda = [cid for cid in ids if desk.get_complaint(cid).on_review_agenda()][:5]
    if agenda:
        desk.record_review_meeting(
            period,
            attendees=["m.karimi", SG, "s.karami"],
            minutes="شکایات بی‌نتیجه و ناراضی بررسی شد؛ پیگیری با واحدها",
            complaints=agenda,
            held_at=None,
            by="m.karimi",
        )


def _walk(desk: ComplaintDesk, cid, unit: str, stop: str, later, rng: random.Random) -> None:
    if stop == "received":
        return
    later(2)
    desk.acknowledge_complaint(cid, by="z.rahimi", method="phone")
    if stop == "acknowledged":
        return
    later(rng.randint(3, 12))
    levels = ["low", "medium", "high"]
    desk.assess_complaint(
        cid,
        severity=rng.choice(levels),
        urgency=rng.choice(levels),
        complexity=rng.choice(levels),
        immediate_action=rng.random() < 0.1,
        by="m.karimi",
    )
    if not desk.get_complaint(cid).stakeholders_recorded:
        desk.record_stakeholders(cid, by="m.karimi", none=True)
    desk.complete_review(cid, by="m.karimi")
    desk.refer_complaint(cid, by="m.karimi")
    if stop == "referred":
        return
    later(rng.randint(2, 10))
    desk.assign_handler(cid, handler_kind="person", handler=HANDLERS[unit], by=SG)
    if stop == "assigned":
        return
    later(rng.randint(10, 60))
    desk.file_investigation(
        cid,
        by=HANDLERS[unit],
        by_unit=None,
        circumstances="پرونده در صف واحد مانده بود",
        root_causes="نبود جانشین برای امضا",
        consequences="تأخیر در کار عضو",
        actions_taken="پرونده در اولویت قرار گرفت",
    )
    if stop == "investigated":
        return
    later(rng.randint(4, 20))
    accepted = rng.random() < 0.7
    desk.decide_complaint(
        cid, decision="accepted" if accepted else "rejected", reason=None if accepted else "مستندات کافی نبود", by=SG
    )
    if accepted and stop == "closed_committee":
        later(8)
        desk.convene_committee(cid, subject="تأخیر در خدمات واحد", variable_members=[], by="m.karimi")
        later(16)
        committee = desk.get_complaint(cid).committee or {}
        desk.record_committee_decision(
            cid,
            attendees=committee.get("members", []),
            minutes="گزارش واحد بررسی شد؛ جانشین امضا تعیین می‌شود",
            decision="settled",
            reasoning="جبران تأخیر و تعیین جانشین",
            corrective_actions=[
                {"description": "تعیین جانشین امضا در واحد", "owner": "m.karimi", "due": (later_date(desk, 20))}
            ],
            by="s.karami",
        )
    elif accepted:
        desk.forgo_committee(cid, reason="رسیدگی در واحد کافی است", by=SG)
    later(rng.randint(2, 8))
    desk.notify_member(cid, method="phone", message="نتیجه رسیدگی به عضو اعلام شد", by="m.karimi")
    later(1)
    desk.close_complaint(cid, by="m.karimi")
    score = rng.choice([2, 3, 4, 5, 5])
    desk.record_satisfaction(cid, score=score, comment=None if score > 2 else "رسیدگی طول کشید", by="m.karimi")


def later_date(desk: ComplaintDesk, days: int) -> str:
    return (desk.clock() + timedelta(days=days)).date().isoformat()
