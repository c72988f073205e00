"""Demo surveys for `crm demo`: a periodic survey with two closed six-monthly rounds and one running, and a project
survey of the trade unit running, so that every report, chart and dashboard panel has data.

Each round walks the procedure through the same commands the API uses (planned by the president, its timing, the
meeting on the questions, started over the demo's active members), with the clock set to the moments of its steps.
Members answer by phone (after unanswered attempts from the lines the survey's policy asks for), through the one-time
link, on the chamber's website or in an imported export; the scores drift from round to round, so the trend has a
shape, and some answers are low enough to open complaints (respondents of the project survey under the threshold, a
member voicing dissatisfaction, the periodic rounds' questions under 70% at their close).
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.surveys.application import SurveyOffice
from services.surveys.domain import Survey, round_id
from services.surveys.main import build_office
from shared.problems import DomainError
from shared.settings import Settings

QUESTIONS: list[dict[str, Any]] = [
    {
        "key": "overall",
        "text": {"fa": "رضایت کلی از خدمات اتاق", "tr": "Odanın hizmetlerinden genel memnuniyet"},
        "labels": {
            "fa": ["خیلی کم", "کم", "متوسط", "زیاد", "خیلی زیاد"],
            "tr": ["Çok düşük", "Düşük", "Orta", "Yüksek", "Çok yüksek"],
        },
        "dissatisfaction_signal": True,
    },
    {"key": "timeliness", "text": {"fa": "سرعت انجام درخواست‌ها", "tr": "Taleplerin hızı"}},
    {"key": "courtesy", "text": {"fa": "برخورد کارکنان", "tr": "Personelin tutumu"}},
    {"key": "information", "text": {"fa": "اطلاع‌رسانی به اعضا", "tr": "Üyelere bilgilendirme"}},
    {
        "key": "recommend",
        "kind": "yes_no",
        "text": {"fa": "عضویت در اتاق را توصیه می‌کنید؟", "tr": "Tavsiye eder misiniz?"},
    },
    {"key": "comments", "kind": "text", "text": {"fa": "پیشنهاد شما", "tr": "Önerileriniz"}},
]
# Each round's mean answer per scored question (1-5): information falls under 70% in the second round.
ROUNDS = {
    "H1": {"overall": 4.1, "timeliness": 3.7, "courtesy": 4.4, "information": 3.6, "recommend": 0.85},
    "H2": {"overall": 3.9, "timeliness": 3.5, "courtesy": 4.3, "information": 3.1, "recommend": 0.8},
    "now": {"overall": 4.2, "timeliness": 3.9, "courtesy": 4.5, "information": 3.7, "recommend": 0.88},
}
COMMENTS = ["پاسخگویی تلفنی بهتر شده است", "اطلاع‌رسانی نمایشگاه‌ها دیر است", "Kartların yenilenmesi uzun sürüyor"]
SERVICES = ["صدور برخط گواهی مبدأ", "میز خدمت گمرک", "سامانه پیامکی اعضا"]
BOARD = [
    {"name": "president", "role": "president"},
    {"name": "a.sharifi", "role": "sg"},
    {"name": "m.karimi", "role": "mr_manager"},
]
EXPERTS = ["z.moradi", "h.rahimi"]


class _Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class DemoRoster:
    """The demo's active members, as the members topic would tell the service."""

    def __init__(self, numbers: list[str]):
        self.numbers = numbers

    def active_numbers(self) -> list[str]:
        return list(self.numbers)

    def selection(self, selection_id: str) -> list[str] | None:
        return None


def _answers(rng: random.Random, means: dict[str, float], low: bool = False) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for key, mean in means.items():
        if key == "recommend":
            answers[key] = rng.random() < (0.3 if low else mean)
        elif rng.random() < 0.95:  # now and then a question is left unanswered
            answers[key] = 1 if low else max(1, min(5, round(rng.gauss(mean, 0.8))))
    if rng.random() < 0.15:
        answers["comments"] = rng.choice(COMMENTS)
    return answers


def _noon(office: SurveyOffice, day: date) -> datetime:
    """The middle of the day's working hours; a day off gives way to the next working day."""
    if not office.calendar.is_working_day(day):
        day = office.calendar.next_working_day(day)
    start, end = office.calendar.working_intervals(day)[0]
    return (start + (end - start) / 2).astimezone(UTC)


def _working_days(office: SurveyOffice, first: date, count: int, until: date) -> list[date]:
    """Up to `count` working days from `first`, none after `until` (the demo records nothing in the future)."""
    days: list[date] = []
    day = first
    while len(days) < count and day <= until:
        if office.calendar.is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days or [office.calendar.previous_working_day(until)]


def _ask(
    office: SurveyOffice, clock: _Clock, rng: random.Random, sid: str, numbers: list[str], days: list[date], means
) -> dict[str, int]:
    """Every member is reached over the working days of `days`: about two in three answer, over the channels."""
    stats = {"phone": 0, "link": 0, "website": 0, "import": 0, "not_reached": 0, "attempts": 0}
    for number in numbers:
        roll = rng.random()
        day = 0
        clock.now = _noon(office, days[day]) + timedelta(minutes=rng.randint(-90, 90))
        if roll < 0.12:  # not reached: every attempt the policy allows, a working day apart, from its lines
            while (line := office.contact(sid, number)["line_to_use"]) is not None and day < len(days) - 1:
                office.record_attempt(sid, number, line=line, outcome="no_answer", by=rng.choice(EXPERTS))
                stats["attempts"] += 1
                day += 1
                clock.now = _noon(office, days[day])
            if office.contact(sid, number)["status"] == "pending":
                office.give_up(sid, number, by=rng.choice(EXPERTS))
            stats["not_reached"] += 1
            continue
        if roll > 0.7:
            continue  # not answered yet (or not at all)
        low = rng.random() < 0.05
        if roll < 0.45:
            if rng.random() < 0.4:  # reached at the second attempt
                line = office.contact(sid, number)["line_to_use"]
                office.record_attempt(sid, number, line=line, outcome="no_answer", by=rng.choice(EXPERTS))
                stats["attempts"] += 1
                day += 1
                clock.now = _noon(office, days[day])
            office.record_response(
                sid,
                number,
                answers=_answers(rng, means, low),
                channel="phone",
                line=office.contact(sid, number)["line_to_use"],
                services_introduced=rng.sample(SERVICES, rng.randint(0, 2)),
                dissatisfaction="کارت بازرگانی پس از سه هفته هنوز صادر نشده است" if low else None,
                by=rng.choice(EXPERTS),
            )
            stats["phone"] += 1
            stats["attempts"] += 1
        else:
            channel = rng.choice(["link", "link", "website", "import"])
            clock.now += timedelta(days=rng.randint(0, 3))
            office.record_response(sid, number, answers=_answers(rng, means, low), channel=channel)
            stats[channel] += 1
    return stats


def load_surveys(
    settings: Settings, *, members: list[str], seed: int = 1405, out=sys.stdout, now: datetime | None = None
) -> int:
    """`members`: the demo's active membership numbers; `now`: the moment the demo is loaded (the clock's now)."""
    now = now or datetime.now(UTC)
    clock = _Clock(now)
    office = build_office(settings, clock)
    office.roster = DemoRoster(members)
    try:
        return _load(office, clock, members, seed, out, now)
    finally:
        office.close()


def _load(office: SurveyOffice, clock: _Clock, members: list[str], seed: int, out, now: datetime) -> int:
    rng = random.Random(seed)
    today = office.calendar.working_day_of(clock.now)
    year = today.year
    periods = [f"{year - 1}-H2", f"{year}-H1", f"{year}-H2"]
    if office.find_aggregate(round_id(periods[-1]), Survey) is not None:
        print("the demo surveys are already loaded", file=out)
        return 0
    if not members:
        print("demo surveys: no active member to ask", file=out)
        return 0
    # Questionnaires and rounds as the president, the SG and the member-relations manager set them.
    clock.now = datetime.combine(today - timedelta(days=420), datetime.min.time(), UTC) + timedelta(hours=8)
    qid = office.create_questionnaire(
        code=f"periodic-{seed}", title="نظرسنجی دوره‌ای رضایت اعضا", questions=QUESTIONS, by="m.karimi"
    )
    starts = [today - timedelta(days=400), today - timedelta(days=220), today - timedelta(days=16)]
    done = []
    for period, start, means in zip(periods, starts, ROUNDS.values(), strict=True):
        clock.now = _noon(office, start - timedelta(days=7))
        sid = office.plan_round(period=period, questionnaire=qid, by="president")
        office.set_timing(sid, starts_on=start, ends_on=start + timedelta(days=60), by="president")
        office.record_meeting(
            sid,
            purpose="questions",
            held_on=start - timedelta(days=7),
            attendees=BOARD,
            minutes="پرسش‌های دوره تأیید شد / the round's questions agreed",
            by="m.karimi",
        )
        days = _working_days(office, start, 12, today - timedelta(days=1))
        clock.now = _noon(office, days[0]) - timedelta(hours=1)
        office.start_survey(sid, by="m.karimi")
        stats = _ask(office, clock, rng, str(sid), members, days, means)
        if period != periods[-1]:
            clock.now = _noon(office, start + timedelta(days=60))
            office.close_survey(sid, by="m.karimi")
        done.append(f"{period}: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in stats.items()))
    # The weekly summaries of the running round: each working week that has ended since it started.
    summaries = 0
    for week in range(3, 0, -1):
        clock.now = now - timedelta(days=7 * (week - 1))
        try:
            summaries += office.record_weekly_summary(round_id(periods[-1])) is not None
        except DomainError:
            pass
    done.append(f"{summaries} weekly summaries")
    done.append(_project(office, clock, rng, members, seed, today))
    print("demo surveys: " + "; ".join(done), file=out)
    return 0


def _project(
    office: SurveyOffice, clock: _Clock, rng: random.Random, members: list[str], seed: int, today: date
) -> str:
    """A project survey of the trade unit's certificate-of-origin desk: low scores become complaints."""
    clock.now = _noon(office, today - timedelta(days=20))
    qid = office.create_questionnaire(
        code=f"origin-desk-{seed}",
        title="نظرسنجی میز صدور گواهی مبدأ",
        questions=[q for q in QUESTIONS if q["key"] in ("overall", "timeliness", "courtesy", "comments")],
        by="m.karimi",
    )
    sid = office.request_project_survey(
        subject="میز صدور گواهی مبدأ / Menşe şahadetnamesi masası", unit="trade", questionnaire=qid, by="f.alavi"
    )
    office.approve_survey(sid, by="a.sharifi")
    asked = rng.sample(members, min(len(members), 40))
    office.supply_members(sid, numbers=asked, by="f.alavi")
    office.approve_members(sid, by="m.karimi")
    office.start_survey(sid, by="m.karimi")
    means = {"overall": 3.9, "timeliness": 3.3, "courtesy": 4.2}
    stats = _ask(
        office,
        clock,
        rng,
        str(sid),
        asked,
        _working_days(office, clock.now.date(), 10, today - timedelta(days=1)),
        means,
    )
    opened = len(office.complaint_log(str(sid)))
    answered = sum(stats[c] for c in ("phone", "link", "website", "import"))
    return f"project survey: {answered} answers, {stats['not_reached']} not reached, {opened} complaints"
