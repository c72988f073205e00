"""`crm demo`: a realistic few working days of the Member Communication Center, so every list has something in it.

Calls are spread over the last three working days that have ended (most on the last): most answered by the
unit, some abandoned in the queue, some picked up by member relations and either resolved there or transferred
and missed again; unanswered calls from the oldest day are left without callback, so their deadline has passed.
Everything goes through the same telephony ingestion and staff commands the services use.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from services.calls.application import CallCentre, normalise_number
from services.calls.domain import CallbackOutcome, call_id_for_pbx
from services.calls.main import build_centre
from services.calls.members import MemberLookup
from services.calls.telephony import TelephonyEvent, TelephonyKind
from services.registry import SERVICES
from shared.db import create_engine
from shared.problems import DomainError
from shared.settings import Settings

SUBJECTS = [
    "پیگیری صدور کارت بازرگانی",
    "استعلام تعرفه صادراتی فرش دستباف",
    "درخواست گواهی مبدأ برای محموله به عراق",
    "مشکل در تمدید عضویت",
    "پرسش درباره نمایشگاه بین‌المللی استانبول",
    "ترخیص کالا از گمرک شهید رجایی",
    "درخواست داوری در اختلاف تجاری",
    "ثبت‌نام در میز خدمت مالیات",
    "Gümrük beyannamesi hakkında bilgi",
    "İhracat teşvikleri başvurusu",
]
NAMES = [
    "علی رضایی",
    "مریم احمدی",
    "حسین کریمی",
    "زهرا موسوی",
    "محمد حسینی",
    "فاطمه نوری",
    "Mehmet Yılmaz",
    "Ayşe Demir",
]
UNIT_WEIGHTS = {"membership": 35, "trade": 25, "international": 15, "legal": 10, "member_services": 15}


class _Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def demo_days(centre: CallCentre, today: date) -> list[date]:
    """The fifth, second and last working days before today: the oldest day's deadlines have surely passed."""
    cal = centre.calendar
    previous: list[date] = []
    day = today
    while len(previous) < 5:
        day = cal.previous_working_day(day)
        previous.append(day)
    return sorted([previous[4], previous[1], previous[0]])


def _number(rng: random.Random) -> str:
    if rng.random() < 0.7:
        return f"0913{rng.randint(1000000, 9999999)}"
    return f"031{rng.randint(30000000, 39999999)}"


def load_demo(settings: Settings, *, calls: int = 300, members: int = 300, seed: int = 1405, out=sys.stdout) -> int:
    from services.members.demo import demo_rows, load_members
    from services.members.main import build_directory

    directory = build_directory(settings)
    try:
        load_members(directory, count=members, seed=seed, out=out)
    finally:
        directory.close()
    # Members call from the numbers they gave; the calls service recognises them through its own lookup, fed from
    # the members topic (so only while the system is running: then give the feed a moment to catch up).
    member_numbers = [
        p["raw"]
        for row in demo_rows(members, seed, settings.chamber)
        for c in row.details["contacts"]
        for p in c["phones"]
    ]
    lookup = MemberLookup(create_engine(settings.local_db_url("calls_index")))
    if _services_running(settings):
        deadline = time.monotonic() + 15
        probe = normalise_number(member_numbers[-1], settings.chamber) if member_numbers else None
        while probe and lookup.member_of(probe) is None and time.monotonic() < deadline:
            time.sleep(0.2)
    from services.complaints.demo import load_complaints

    load_complaints(settings, seed=seed, out=out)
    rows = demo_rows(members, seed, settings.chamber)
    from services.desks.demo import load_desks

    load_desks(settings, desk_members(rows), out=out)
    load_plan_year(settings, rows, seed=seed, out=out)
    from services.surveys.demo import load_surveys

    load_surveys(settings, members=[r.membership_number for r in rows if r.status == "active"], seed=seed, out=out)
    clock = _Clock()
    centre = build_centre(settings, clock)
    centre.member_lookup = lookup.member_of
    try:
        loaded = _load(centre, settings, clock, calls, seed, out, member_numbers)
    finally:
        centre.close()
    from services.console.demo import load_console_users

    load_console_users(settings, out=out)
    return loaded


def desk_members(rows: list[Any]) -> list[dict[str, Any]]:
    """The active demo members as the desks demo names them: id, name, company, mobile number, language."""
    found = []
    for row in rows:
        if row.status != "active":
            continue
        details = row.details
        person = details["contacts"][0]
        language = details.get("preferred_language")
        found.append(
            {
                "member_id": row.membership_number,
                "name": person["name"] if details["kind"] == "company" else details["name"],
                "company": details["name"] if details["kind"] == "company" else None,
                "phone": person["phones"][0]["raw"] if person["phones"] else None,
                "language": language if language in ("fa", "tr", "en") else None,
            }
        )
    return found


def load_plan_year(settings: Settings, rows: list, *, seed: int, now: datetime | None = None, out=sys.stdout) -> None:
    """The strategic plan with its risk register, and this year's work it measures: the satisfaction survey, the
    improvements opened from it (corrective actions) and a specialised session with its minutes archived, each
    recorded by its own service, whose events the plan's KPI consumer counts; member visits entered by hand."""
    from services.actions.main import build_register
    from services.desks.demo import load_session
    from services.plan.demo import load_plan
    from services.surveys.demo_year import load_survey

    now = now or datetime.now(UTC)
    load_plan(settings, now=now, seed=seed, out=out)
    active = [row for row in rows if row.status == "active"]
    survey = load_survey(settings, [row.membership_number for row in active], seed=seed, now=now, out=out)
    if survey is not None:
        register = build_register(settings)
        try:
            for n, title in enumerate(("Shorter waits at the card desk", "Fees explained before payment"), 1):
                register.open_action(
                    source_kind="survey",
                    source_ref=f"survey:{survey}:improvement:{n}",
                    title=title,
                    unit="member_services",
                    by="m.karimi",
                )
        finally:
            register.close()
    calendar = settings.business_calendar
    day = calendar.working_day_of(now)
    for _ in range(3):
        day = calendar.previous_working_day(day)
    invitees = [{"member_id": row.membership_number, "name": row.details["name"]} for row in active[:8]]
    load_session(settings, invitees, starts_at=calendar.working_intervals(day)[0][0] + timedelta(hours=1), out=out)


def _services_running(settings: Settings) -> bool:
    try:
        return httpx.get(f"{SERVICES['calls'].url(settings)}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _load(
    centre: CallCentre, settings: Settings, clock: _Clock, n_calls: int, seed: int, out, member_numbers: list[str]
) -> int:
    rng = random.Random(seed)
    org = settings.organisation
    units = {u.id: u for u in org.units}
    queue_of = {u.id: u.queues[0] for u in org.units if u.queues}
    ext_of = {expert: ext for ext, expert in org.extensions.items()}
    mr_queue = org.member_relations_queues[0]
    mr_experts = units[org.member_relations_unit].experts
    days = demo_days(centre, centre.calendar.working_day_of(clock.now))
    first_id = f"demo-{seed}-0"
    try:
        centre.repository.get(call_id_for_pbx(first_id))
        print("the demo day is already loaded (run with another --seed for more)", file=out)
        return 0
    except Exception:  # noqa: BLE001 - not found: load it
        pass
    stats = {
        "answered": 0,
        "abandoned": 0,
        "resolved_by_member_relations": 0,
        "missed_twice": 0,
        "outgoing": 0,
        "called_back": 0,
    }
    weights = [0.15, 0.25, 0.6]  # share of calls on each of the three days
    for i in range(n_calls):
        day = rng.choices(days, weights=weights)[0]
        start, end = centre.calendar.working_intervals(day)[0][0], centre.calendar.working_intervals(day)[-1][1]
        t = start + timedelta(seconds=rng.randint(0, int((end - start).total_seconds()) - 1800))
        pbx = f"demo-{seed}-{i}"
        n = 0

        def ev(kind: TelephonyKind, at: datetime, pbx: str = pbx, **kw) -> None:
            nonlocal n
            n += 1
            centre.ingest(
                TelephonyEvent(
                    source="webhook", event_id=f"{pbx}-{n}", call_id=pbx, kind=kind, at=at.astimezone(UTC), **kw
                )
            )

        if rng.random() < 0.06:
            expert = rng.choice(mr_experts)
            ev(
                "ringing",
                t,
                direction="outgoing",
                callee=_number(rng),
                agent=ext_of.get(expert),
                purpose=rng.choice(["survey", "announcement", "complaint_follow_up"]),
            )
            ev("answered", t + timedelta(seconds=20), direction="outgoing", agent=ext_of.get(expert))
            ev("completed", t + timedelta(minutes=4), direction="outgoing", talk_seconds=220)
            stats["outgoing"] += 1
            continue
        unit = rng.choices(list(UNIT_WEIGHTS), weights=list(UNIT_WEIGHTS.values()))[0]
        experts = units[unit].experts
        caller = rng.choice(member_numbers) if member_numbers and rng.random() < 0.6 else _number(rng)
        ev("ringing", t, caller=caller, callee="03136151000")
        ev("queued", t + timedelta(seconds=5), caller=caller, queue=queue_of[unit])
        roll = rng.random()
        if roll < 0.62:
            ev("answered", t + timedelta(seconds=25), queue=queue_of[unit], agent=ext_of.get(rng.choice(experts)))
            ev("completed", t + timedelta(minutes=rng.randint(2, 9)), talk_seconds=rng.randint(60, 500))
            stats["answered"] += 1
            continue
        missed = rng.choice(experts)
        ev("agent_missed", t + timedelta(seconds=20), queue=queue_of[unit], agent=ext_of.get(missed))
        if roll < 0.77:
            ev("abandoned", t + timedelta(seconds=70), queue=queue_of[unit])
            stats["abandoned"] += 1
        else:
            ev("queue_timeout", t + timedelta(seconds=60), queue=queue_of[unit])
            ev("queued", t + timedelta(seconds=61), queue=mr_queue)
            mr_expert = rng.choice(mr_experts)
            ev("answered", t + timedelta(seconds=75), queue=mr_queue, agent=ext_of.get(mr_expert))
            call_id = call_id_for_pbx(pbx)
            clock.now = (t + timedelta(minutes=2)).astimezone(UTC)
            centre.take_down_subject(
                call_id, subject=rng.choice(SUBJECTS), by=mr_expert, contact_name=rng.choice(NAMES), contact_phone=None
            )
            if roll < 0.86:
                clock.now = (t + timedelta(minutes=4)).astimezone(UTC)
                centre.resolve_by_member_relations(
                    call_id, by=mr_expert, note="پاسخ داده شد / answered by member relations"
                )
                ev("completed", t + timedelta(minutes=4, seconds=5), talk_seconds=240)
                stats["resolved_by_member_relations"] += 1
                continue
            others = [e for e in experts if e != missed] or experts
            clock.now = (t + timedelta(minutes=3)).astimezone(UTC)
            try:
                centre.transfer_to_expert(call_id, expert=others[0], by=mr_expert)
                clock.now = (t + timedelta(minutes=4)).astimezone(UTC)
                centre.record_unit_not_answered(call_id)
            except DomainError:
                pass
            clock.now = (t + timedelta(minutes=5)).astimezone(UTC)
            centre.register_unanswered(call_id, by=mr_expert, subject=None, contact_name=None, contact_phone=None)
            ev("completed", t + timedelta(minutes=5, seconds=10))
            stats["missed_twice"] += 1
        # Calls of the later days are mostly called back within the deadline; the oldest day's mostly not.
        call_id = call_id_for_pbx(pbx)
        if day != days[0] and rng.random() < 0.5:
            clock.now = min(datetime.now(UTC), (t + timedelta(hours=rng.randint(1, 20))).astimezone(UTC))
            try:
                centre.record_callback(
                    call_id, by=units[unit].manager, outcome=rng.choice(list(CallbackOutcome)), note="پیگیری شد"
                )
                stats["called_back"] += 1
            except DomainError:
                pass
    print(
        f"demo: {n_calls} calls over {', '.join(centre.calendar.format_date(d) for d in days)}: "
        + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in stats.items()),
        file=out,
    )
    return 0
