"""The complaint reports (docs/procedures.md#reports): open complaints by stage, the six-monthly aggregate report for the
SG and the president with the agenda of the review meeting, and the yearly input to the management review
(SY-PR-10-00-02), as plain data, CSV tables and a printable HTML document in Persian or Turkish.

Pure functions over the rows of the complaints read model: the caller gives the time (`now`), the calendar and
whether the reader may see confidential complaints. A confidential complaint is counted in every figure but never
listed (agenda, corrective actions, open complaints) to a reader who may not see it.

The periods: the Iranian chamber reports on Solar Hijri half-years (Farvardin–Shahrivar, Mehr–Esfand) and years,
the Turkish chamber on Gregorian ones (January–June, July–December). A period runs from local midnight of its
first day to local midnight after its last day. Figures about a period are as of its end, or as of now while it
runs, so a past period's report reads the same whenever it is produced.
"""

from __future__ import annotations

import csv
import html
import io
import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

import jdatetime

from services.reporting.complaints import (
    CHANNELS,
    CLOSING,
    KINDS,
    OPEN_STAGES,
    OUTCOMES,
    STAGES,
    WAITS_ON,
    ComplaintData,
)
from shared.calendar import BusinessCalendar
from shared.organisation import Organisation
from shared.problems import InvalidInput

SIX_MONTHLY = "six_monthly"
YEARLY = "yearly"
MANAGEMENT_REVIEW = "SY-PR-10-00-02"
CORRECTIVE_ACTION = "SY-PR-05-00-02"
COMPLAINT_FORM = "ME-FR-01-01-01"
NO_UNIT = "none"
YEARS = {"IR": (1300, 1499), "TR": (1900, 2199)}


# -- periods ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Period:
    report: str  # six_monthly | yearly
    chamber: str  # IR | TR
    year: int  # Solar Hijri for IR, Gregorian for TR
    half: int | None
    first_day: date  # Gregorian, local
    end_day: date  # the day after the last (Gregorian, local)
    tz: tzinfo = field(compare=False)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time(0), tzinfo=self.tz).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """Exclusive: local midnight after the last day."""
        return datetime.combine(self.end_day, time(0), tzinfo=self.tz).astimezone(UTC)

    @property
    def last_day(self) -> date:
        return self.end_day - timedelta(days=1)

    def previous_year(self) -> Period:
        return year_period(self.chamber, self.year - 1, self.tz)

    def halves(self) -> list[Period]:
        return [half_year(self.chamber, self.year, h, self.tz) for h in (1, 2)]


def _check_year(chamber: str, year: int) -> None:
    if chamber not in YEARS:
        raise ValueError(f"unknown chamber {chamber!r}: IR or TR")
    low, high = YEARS[chamber]
    if not low <= year <= high:
        calendar = "Solar Hijri" if chamber == "IR" else "Gregorian"
        raise InvalidInput(f"year {year} is not a {calendar} year this chamber reports on ({low}-{high})")


def _month_start(chamber: str, year: int, month: int) -> date:
    """The first day of a month of the chamber's calendar, as a Gregorian date; month 13 is the next year's first."""
    if month == 13:
        year, month = year + 1, 1
    if chamber == "IR":
        return jdatetime.date(year, month, 1).togregorian()
    return date(year, month, 1)


def half_year(chamber: str, year: int, half: int, tz: tzinfo) -> Period:
    """The half-year of the six-monthly report: Farvardin–Shahrivar / Mehr–Esfand, or January–June / July–December."""
    _check_year(chamber, year)
    if half not in (1, 2):
        raise InvalidInput(f"half {half} is not 1 or 2")
    first = 1 if half == 1 else 7
    return Period(
        SIX_MONTHLY, chamber, year, half, _month_start(chamber, year, first), _month_start(chamber, year, first + 6), tz
    )


def year_period(chamber: str, year: int, tz: tzinfo) -> Period:
    _check_year(chamber, year)
    return Period(YEARLY, chamber, year, None, _month_start(chamber, year, 1), _month_start(chamber, year, 13), tz)


# -- language --------------------------------------------------------------------------------------------------
FA: dict[str, str] = {
    "title_six_monthly": "گزارش شش‌ماهه شکایات، انتقادها و پیشنهادها",
    "title_yearly": "گزارش سالانه شکایات، ورودی بازنگری مدیریت",
    "audience_six_monthly": "برای دبیرکل و رئیس اتاق",
    "audience_yearly": "ورودی بازنگری مدیریت",
    "half_1": "نیمه نخست سال {year} (فروردین تا شهریور)",
    "half_2": "نیمه دوم سال {year} (مهر تا اسفند)",
    "year": "سال {year} (فروردین تا اسفند)",
    "period": "دوره",
    "procedure": "روش اجرایی",
    "from_to": "از {start} تا {end}",
    "generated_at": "تاریخ تهیه",
    "as_of": "وضعیت در تاریخ",
    "summary": "خلاصه",
    "received": "دریافت‌شده",
    "received_heading": "شکایات، انتقادها و پیشنهادهای دریافت‌شده در دوره",
    "decided": "دارای نتیجه",
    "closed": "بسته‌شده",
    "confidential_included": "از جمله {n} مورد محرمانه",
    "mean_resolution": "میانگین زمان رسیدگی",
    "median_resolution": "میانه زمان رسیدگی",
    "hours": "ساعت کاری",
    "h": "ساعت",
    "by_kind": "بر حسب نوع",
    "by_channel": "بر حسب مجرای دریافت",
    "by_unit": "بر حسب واحد مربوط",
    "by_outcome": "بر حسب نتیجه (اعلام‌شده در دوره)",
    "kind": "نوع",
    "channel": "مجرا",
    "unit": "واحد",
    "outcome": "نتیجه",
    "count": "تعداد",
    "share": "سهم",
    "total": "جمع",
    "resolution": "زمان رسیدگی، از دریافت تا بستن (ساعت کاری)",
    "stage_times": "زمان صرف‌شده در هر مرحله (ساعت کاری)",
    "stage": "مرحله",
    "completed": "تکمیل‌شده",
    "mean": "میانگین",
    "median": "میانه",
    "maximum": "بیشینه",
    "breaches": "عبور از مهلت",
    "satisfaction": "رضایت اعضا از رسیدگی",
    "recorded": "ثبت‌شده",
    "satisfied": "راضی",
    "not_satisfied": "ناراضی",
    "mean_score": "میانگین امتیاز (از ۵)",
    "satisfied_rate": "نسبت رضایت",
    "corrective_actions": "اقدامات اصلاحی",
    "action": "اقدام",
    "owner": "مسئول",
    "due": "مهلت",
    "status": "وضعیت",
    "status_open": "باز",
    "status_done": "انجام‌شده",
    "status_overdue": "معوق",
    "done_on": "تاریخ انجام",
    "agenda": "دستور جلسه بازنگری: شکایات بدون تصمیم یا با عدم رضایت عضو",
    "reference": "شماره پیگیری",
    "received_on": "تاریخ دریافت",
    "current_state": "وضعیت کنونی",
    "reason": "علت طرح",
    "reason_undecided": "بدون تصمیم",
    "reason_not_satisfied": "عدم رضایت عضو",
    "open_for": "مدت باز بودن (ساعت کاری)",
    "complainant": "شاکی",
    "subject": "موضوع",
    "withheld": "{n} مورد محرمانه در ارقام بالا شمرده شده ولی جزئیات آن در این فهرست نمی‌آید.",
    "nothing": "موردی نیست.",
    "no_unit": "بدون واحد مشخص",
    "unknown": "نامشخص",
    "halves": "به تفکیک نیمه سال",
    "half_short_1": "نیمه نخست",
    "half_short_2": "نیمه دوم",
    "previous_year": "مقایسه با سال قبل",
    "this_year": "سال {year}",
    "figure": "شاخص",
    "closed_count": "بسته‌شده",
    "sign_prepared": "تهیه‌کننده: مدیر ارتباط با اعضا",
    "sign_reviewed": "دبیرکل",
    "sign_approved": "رئیس اتاق",
    "form_note": "برگرفته از رویدادهای فرم شکایت {form}؛ زمان‌ها به ساعت کاری تقویم اتاق.",
}
TR: dict[str, str] = {
    "title_six_monthly": "Altı Aylık Şikâyet, Eleştiri ve Öneri Raporu",
    "title_yearly": "Yıllık Şikâyet Raporu, Yönetimin Gözden Geçirmesi Girdisi",
    "audience_six_monthly": "Genel Sekreter ve Yönetim Kurulu Başkanı için",
    "audience_yearly": "Yönetimin gözden geçirmesi girdisi",
    "half_1": "{year} yılı ilk yarısı (Ocak–Haziran)",
    "half_2": "{year} yılı ikinci yarısı (Temmuz–Aralık)",
    "year": "{year} yılı (Ocak–Aralık)",
    "period": "Dönem",
    "procedure": "Prosedür",
    "from_to": "{start} – {end}",
    "generated_at": "Hazırlanma tarihi",
    "as_of": "Durum tarihi",
    "summary": "Özet",
    "received": "Alınan",
    "received_heading": "Dönemde alınan şikâyet, eleştiri ve öneriler",
    "decided": "Sonuçlanan",
    "closed": "Kapatılan",
    "confidential_included": "{n} gizli kayıt dahil",
    "mean_resolution": "Ortalama çözüm süresi",
    "median_resolution": "Medyan çözüm süresi",
    "hours": "iş saati",
    "h": "sa",
    "by_kind": "Türe göre",
    "by_channel": "Başvuru kanalına göre",
    "by_unit": "İlgili birime göre",
    "by_outcome": "Sonuca göre (dönemde bildirilen)",
    "kind": "Tür",
    "channel": "Kanal",
    "unit": "Birim",
    "outcome": "Sonuç",
    "count": "Adet",
    "share": "Pay",
    "total": "Toplam",
    "resolution": "Çözüm süresi, alınıştan kapanışa (iş saati)",
    "stage_times": "Aşamalarda geçen süre (iş saati)",
    "stage": "Aşama",
    "completed": "Tamamlanan",
    "mean": "Ortalama",
    "median": "Medyan",
    "maximum": "En uzun",
    "breaches": "Süre aşımı",
    "satisfaction": "Üyelerin şikâyet sürecinden memnuniyeti",
    "recorded": "Kaydedilen",
    "satisfied": "Memnun",
    "not_satisfied": "Memnun değil",
    "mean_score": "Ortalama puan (5 üzerinden)",
    "satisfied_rate": "Memnuniyet oranı",
    "corrective_actions": "Düzeltici faaliyetler",
    "action": "Faaliyet",
    "owner": "Sorumlu",
    "due": "Termin",
    "status": "Durum",
    "status_open": "Açık",
    "status_done": "Tamamlandı",
    "status_overdue": "Gecikmiş",
    "done_on": "Tamamlanma",
    "agenda": "Gözden geçirme toplantısı gündemi: karara bağlanmamış veya üyenin memnun kalmadığı şikâyetler",
    "reference": "Takip no",
    "received_on": "Alınış tarihi",
    "current_state": "Güncel durum",
    "reason": "Gündeme alınma nedeni",
    "reason_undecided": "Karara bağlanmadı",
    "reason_not_satisfied": "Üye memnun değil",
    "open_for": "Açık kalma süresi (iş saati)",
    "complainant": "Başvuru sahibi",
    "subject": "Konu",
    "withheld": "{n} gizli kayıt yukarıdaki sayılara dahildir, ancak ayrıntıları bu listede gösterilmez.",
    "nothing": "Kayıt yok.",
    "no_unit": "Birim belirtilmemiş",
    "unknown": "Bilinmiyor",
    "halves": "Yarıyıllara göre",
    "half_short_1": "İlk yarı",
    "half_short_2": "İkinci yarı",
    "previous_year": "Önceki yılla karşılaştırma",
    "this_year": "{year} yılı",
    "figure": "Gösterge",
    "closed_count": "Kapatılan",
    "sign_prepared": "Hazırlayan: Üye İlişkileri Müdürü",
    "sign_reviewed": "Genel Sekreter",
    "sign_approved": "Yönetim Kurulu Başkanı",
    "form_note": "{form} şikâyet formunun olaylarından derlenmiştir; süreler odanın takvimine göre iş saatidir.",
}
VALUE_LABELS: dict[str, dict[str, str]] = {
    "fa": {
        "complaint": "شکایت",
        "criticism": "انتقاد",
        "suggestion": "پیشنهاد",
        "reported_problem": "گزارش مشکل",
        "in_person": "حضوری",
        "phone": "تلفنی",
        "website": "وب‌سایت",
        "automatic": "خودکار (از سامانه‌های دیگر)",
        "accepted": "پذیرفته",
        "rejected": "رد",
        "settled": "حل‌وفصل",
        "acknowledgement": "اعلام وصول",
        "review": "بررسی مدیر ارتباط با اعضا",
        "assignment": "تعیین رسیدگی‌کننده",
        "investigation": "رسیدگی",
        "decision": "تصمیم‌گیری",
        "notification": "اعلام نتیجه به عضو",
        "closing": "بستن پرونده",
        "received": "ثبت‌شده",
        "acknowledged": "وصول اعلام‌شده",
        "reviewed": "بررسی‌شده",
        "referred": "ارجاع‌شده به دبیرکل",
        "assigned": "در دست رسیدگی",
        "investigated": "گزارش رسیدگی ارائه‌شده",
        "committee": "در کمیته شکایات",
        "decided": "تصمیم‌گیری‌شده",
        "notified": "نتیجه اعلام‌شده",
        "closed": "بسته‌شده",
    },
    "tr": {
        "complaint": "Şikâyet",
        "criticism": "Eleştiri",
        "suggestion": "Öneri",
        "reported_problem": "Bildirilen sorun",
        "in_person": "Yüz yüze",
        "phone": "Telefon",
        "website": "Web sitesi",
        "automatic": "Otomatik (diğer sistemlerden)",
        "accepted": "Kabul",
        "rejected": "Ret",
        "settled": "Uzlaşma",
        "acknowledgement": "Alındı bildirimi",
        "review": "Üye ilişkileri müdürü incelemesi",
        "assignment": "İnceleyicinin atanması",
        "investigation": "Araştırma",
        "decision": "Karar",
        "notification": "Sonucun üyeye bildirilmesi",
        "closing": "Kapanış",
        "received": "Kaydedildi",
        "acknowledged": "Alındı bildirildi",
        "reviewed": "İncelendi",
        "referred": "Genel Sekretere iletildi",
        "assigned": "Araştırılıyor",
        "investigated": "Araştırma raporu verildi",
        "committee": "Şikâyet kurulunda",
        "decided": "Karara bağlandı",
        "notified": "Sonuç bildirildi",
        "closed": "Kapatıldı",
    },
}
# "accepted" is both a state (the SG accepted; the committee question is open) and an outcome.
STATE_LABELS = {
    "fa": {"accepted": "پذیرفته‌شده، در انتظار تصمیم درباره کمیته"},
    "tr": {"accepted": "Kabul edildi, kurul kararı bekleniyor"},
}


class Locale:
    """The chamber's language, calendar and time zone for everything a reader sees."""

    def __init__(self, chamber: str, calendar: BusinessCalendar, organisation: Organisation | None = None):
        self.chamber = chamber
        self.lang = "fa" if chamber == "IR" else "tr"
        self.dir = "rtl" if self.lang == "fa" else "ltr"
        self.labels = FA if self.lang == "fa" else TR
        self.values = VALUE_LABELS[self.lang]
        self.calendar = calendar
        self.tz = calendar.tz
        self.units = {u.id: (u.name_local or u.name) for u in (organisation.units if organisation else [])}

    def __getitem__(self, key: str) -> str:
        return self.labels[key]

    def value(self, key: str | None) -> str:
        if key is None:
            return self.labels["unknown"]
        return self.values.get(key, key)

    def state(self, key: str | None) -> str:
        return STATE_LABELS[self.lang].get(key or "", None) or self.value(key)

    def unit(self, key: str | None) -> str:
        if key in (None, NO_UNIT):
            return self.labels["no_unit"]
        return self.units.get(key, key)

    def date(self, d: date | None) -> str:
        if d is None:
            return ""
        if self.lang == "fa":
            j = jdatetime.date.fromgregorian(date=d)
            return f"{j.year:04d}/{j.month:02d}/{j.day:02d}"
        return f"{d.day:02d}.{d.month:02d}.{d.year:04d}"

    def moment(self, t: datetime | None, with_time: bool = True) -> str:
        if t is None:
            return ""
        local = t.astimezone(self.tz)
        text = self.date(local.date())
        return f"{text} {local.hour:02d}:{local.minute:02d}" if with_time else text

    def period_label(self, period: Period) -> str:
        key = "year" if period.half is None else f"half_{period.half}"
        return self.labels[key].format(year=period.year)


# -- figures ---------------------------------------------------------------------------------------------------
def _in(t: datetime | None, start: datetime, end: datetime) -> bool:
    return t is not None and start <= t < end


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def _stats(values: list[float]) -> dict[str, Any]:
    """Count, mean, median and maximum of durations given in seconds, in working hours."""
    if not values:
        return {"count": 0, "mean_working_hours": None, "median_working_hours": None, "max_working_hours": None}
    return {
        "count": len(values),
        "mean_working_hours": _hours(statistics.fmean(values)),
        "median_working_hours": _hours(statistics.median(values)),
        "max_working_hours": _hours(max(values)),
    }


def _breakdown(counts: Counter, keys: Iterable[str], label: Callable[[str], str]) -> list[dict[str, Any]]:
    """Every known key (zeros too, so a reader sees what did not happen), then the others by count."""
    total = sum(counts.values())
    ordered = list(keys)
    # The rest by count; "no unit" last, whatever its count, as readers expect it under the named units.
    ordered += sorted((k for k in counts if k not in ordered), key=lambda k: (k == NO_UNIT, -counts[k], str(k)))
    return [
        {
            "key": k,
            "label": label(k),
            "count": counts.get(k, 0),
            "share": round(counts.get(k, 0) / total, 4) if total else None,
        }
        for k in ordered
    ]


def _visible(show_confidential: bool) -> Callable[[dict[str, Any]], bool]:
    return lambda f: show_confidential or not f.get("confidential")


def figures(
    data: ComplaintData,
    start: datetime,
    end: datetime,
    *,
    as_of: datetime,
    calendar: BusinessCalendar,
    locale: Locale,
    show_confidential: bool,
) -> dict[str, Any]:
    """The aggregate figures of [start, end) as of `as_of`, and the lists a reader may see."""
    by_id = {f["complaint_id"]: f for f in data.facts}
    received = [f for f in data.facts if _in(f["received_at"], start, end)]
    rounds_of: dict[str, list[dict[str, Any]]] = {}
    for r in sorted(data.rounds, key=lambda r: (r["complaint_id"], r["round"])):
        rounds_of.setdefault(r["complaint_id"], []).append(r)
    stages_of: dict[str, list[dict[str, Any]]] = {}
    for s in data.stages:
        stages_of.setdefault(s["complaint_id"], []).append(s)

    # The result told in the period: the last one of each complaint (a reopened complaint is counted once).
    outcome_of: dict[str, str] = {}
    closed_at: dict[str, datetime] = {}
    for cid, rs in rounds_of.items():
        for r in rs:
            if _in(r["decided_at"], start, end) and r["outcome"]:
                outcome_of[cid] = r["outcome"]
            if _in(r["closed_at"], start, end):
                closed_at[cid] = r["closed_at"]
    resolution = [
        calendar.working_time_between(by_id[cid]["received_at"], at).total_seconds()
        for cid, at in closed_at.items()
        if cid in by_id and by_id[cid]["received_at"] is not None
    ]

    stage_seconds: dict[str, list[float]] = {s: [] for s in STAGES}
    for s in data.stages:
        if _in(s["done_at"], start, end) and s["working_seconds"] is not None:
            stage_seconds.setdefault(s["stage"], []).append(s["working_seconds"])
    breach_counts = Counter(b["stage"] for b in data.breaches if _in(b["at"], start, end))
    stages = [
        {"stage": stage, "label": locale.value(stage), **_stats(values), "breaches": breach_counts.get(stage, 0)}
        for stage, values in stage_seconds.items()
    ]

    answers = [r for r in data.rounds if _in(r["satisfaction_at"], start, end)]
    scores = [r["satisfaction_score"] for r in answers if r["satisfaction_score"] is not None]
    satisfied = sum(1 for r in answers if r["satisfied"])
    satisfaction = {
        "recorded": len(answers),
        "satisfied": satisfied,
        "not_satisfied": len(answers) - satisfied,
        "mean_score": round(statistics.fmean(scores), 2) if scores else None,
        "satisfied_rate": round(satisfied / len(answers), 4) if answers else None,
    }

    visible = _visible(show_confidential)
    # Overdue: not done by the end of its due date (at the period's end, midnight after its last day).
    today = as_of.astimezone(calendar.tz).date()
    action_items, withheld_actions = [], 0
    status_counts: Counter = Counter()
    for a in sorted(data.actions, key=lambda a: (a["defined_at"] or start, a["complaint_id"], a["action_id"])):
        if a["defined_at"] is None or a["defined_at"] >= end or (a["done_at"] is not None and a["done_at"] < start):
            continue  # defined after the period, or done before it began
        done = a["done_at"] is not None and a["done_at"] <= as_of
        due = date.fromisoformat(a["due"]) if a["due"] else None
        status = "done" if done else ("overdue" if due is not None and due < today else "open")
        status_counts[status] += 1
        complaint = by_id.get(a["complaint_id"], {})
        if not visible(complaint):
            withheld_actions += 1
            continue
        action_items.append(
            {
                "complaint_id": a["complaint_id"],
                "reference": complaint.get("reference"),
                "action_id": a["action_id"],
                "description": a["description"],
                "owner": a["owner"],
                "due": a["due"],
                "due_local": locale.date(due),
                "status": status,
                "defined_at": a["defined_at"],
                "defined_at_local": locale.moment(a["defined_at"], with_time=False),
                "done_at": a["done_at"] if done else None,
                "done_at_local": locale.moment(a["done_at"], with_time=False) if done else "",
            }
        )

    agenda, withheld_agenda = [], 0
    for f in sorted(data.facts, key=lambda f: (f["received_at"] or end, f["complaint_id"])):
        if f["received_at"] is None or f["received_at"] >= end or f["received_at"] > as_of:
            continue
        rs = rounds_of.get(f["complaint_id"], [])
        current = next((r for r in reversed(rs) if r["started_at"] is not None and r["started_at"] <= as_of), None)
        reasons = []
        if current is not None and (current["decided_at"] is None or current["decided_at"] > as_of):
            reasons.append("undecided")
        if any(r["satisfied"] is False and _in(r["satisfaction_at"], start, end) for r in rs):
            reasons.append("not_satisfied")
        if not reasons:
            continue
        if not visible(f):
            withheld_agenda += 1
            continue
        score = next(
            (
                r["satisfaction_score"]
                for r in reversed(rs)
                if r["satisfied"] is False and _in(r["satisfaction_at"], start, end)
            ),
            None,
        )
        open_seconds = (
            calendar.working_time_between(current["started_at"], as_of).total_seconds()
            if "undecided" in reasons and current
            else None
        )
        agenda.append(
            {
                "complaint_id": f["complaint_id"],
                "reference": f["reference"],
                "kind": f["kind"],
                "channel": f["channel"],
                "unit": f["unit"],
                "received_at": f["received_at"],
                "received_at_local": locale.moment(f["received_at"], with_time=False),
                "round": current["round"] if current else f["round"],
                "reasons": reasons,
                "stage": _stage_at(stages_of.get(f["complaint_id"], []), current, as_of),  # where it waited then
                "current_state": f["state"],  # and where it is now, for the meeting
                "outcome": f["outcome"],
                "satisfaction_score": score,
                "open_working_hours": _hours(open_seconds),
                "complainant": f["complainant_name"],
                "member_number": f["member_number"],
                "summary": f["summary"],
                "confidential": bool(f["confidential"]),
            }
        )

    return {
        "received": {
            "total": len(received),
            "confidential": sum(1 for f in received if f["confidential"]),
            "by_kind": _breakdown(Counter(f["kind"] for f in received), KINDS, locale.value),
            "by_channel": _breakdown(Counter(f["channel"] for f in received), CHANNELS, locale.value),
            "by_unit": _breakdown(Counter(f["unit"] or NO_UNIT for f in received), [], locale.unit),
        },
        "outcomes": {
            "total": len(outcome_of),
            "by_outcome": _breakdown(Counter(outcome_of.values()), OUTCOMES, locale.value),
        },
        "closed": len(closed_at),
        "resolution": _stats(resolution),
        "stages": stages,
        "satisfaction": satisfaction,
        "corrective_actions": {
            "total": sum(status_counts.values()),
            "open": status_counts["open"],
            "overdue": status_counts["overdue"],
            "done": status_counts["done"],
            "withheld": withheld_actions,
            "items": action_items,
        },
        "agenda": {"count": len(agenda) + withheld_agenda, "withheld": withheld_agenda, "items": agenda},
    }


def _stage_at(stages: list[dict[str, Any]], round_: dict[str, Any] | None, at: datetime) -> str | None:
    """The stage a complaint waited in at a time, from its stage times (None: closed, or not yet received)."""
    if round_ is None or (round_["closed_at"] is not None and round_["closed_at"] <= at):
        return None
    waiting = {
        s["stage"]
        for s in stages
        if s["round"] == round_["round"] and s["started_at"] <= at and (s["done_at"] is None or s["done_at"] > at)
    }
    for stage in reversed(STAGES):
        if stage in waiting:
            return stage
    return CLOSING if round_["notified_at"] is not None and round_["notified_at"] <= at else None


def _headline(f: dict[str, Any]) -> dict[str, Any]:
    return {
        "received": f["received"]["total"],
        "decided": f["outcomes"]["total"],
        "closed": f["closed"],
        "mean_resolution_working_hours": f["resolution"]["mean_working_hours"],
        "median_resolution_working_hours": f["resolution"]["median_working_hours"],
        "satisfied_rate": f["satisfaction"]["satisfied_rate"],
        "breaches": sum(s["breaches"] for s in f["stages"]),
    }


def _period_view(period: Period, locale: Locale) -> dict[str, Any]:
    return {
        "calendar": "solar_hijri" if period.chamber == "IR" else "gregorian",
        "year": period.year,
        "half": period.half,
        "label": locale.period_label(period),
        "start": period.start,
        "end": period.end,
        "first_day": period.first_day,
        "last_day": period.last_day,
        "first_day_local": locale.date(period.first_day),
        "last_day_local": locale.date(period.last_day),
    }


def build_report(
    data: ComplaintData,
    period: Period,
    *,
    now: datetime,
    calendar: BusinessCalendar,
    organisation: Organisation | None = None,
    show_confidential: bool,
) -> dict[str, Any]:
    """The six-monthly aggregate report, or the yearly input to the management review (with its halves and the
    year before), as plain data."""
    locale = Locale(period.chamber, calendar, organisation)
    as_of = min(now.astimezone(UTC), period.end)
    report = {
        "report": period.report,
        "title": locale[f"title_{period.report}"],
        "audience": locale[f"audience_{period.report}"],
        "form": MANAGEMENT_REVIEW if period.report == YEARLY else None,
        "chamber": period.chamber,
        "language": locale.lang,
        "period": _period_view(period, locale),
        "generated_at": now.astimezone(UTC),
        "generated_at_local": locale.moment(now),
        "as_of": as_of,
        # At the period's end: its last day, to its end (rather than midnight of the next one).
        "as_of_local": locale.date(period.last_day) if as_of == period.end else locale.moment(as_of),
        "confidential_listed": show_confidential,
        **figures(
            data,
            period.start,
            period.end,
            as_of=as_of,
            calendar=calendar,
            locale=locale,
            show_confidential=show_confidential,
        ),
    }
    if period.report == YEARLY:
        halves = []
        for half in period.halves():
            h_as_of = min(as_of, half.end)
            f = figures(
                data, half.start, half.end, as_of=h_as_of, calendar=calendar, locale=locale, show_confidential=False
            )
            halves.append({"half": half.half, "label": locale[f"half_short_{half.half}"], **_headline(f)})
        previous = period.previous_year()
        prev = figures(
            data,
            previous.start,
            previous.end,
            as_of=previous.end,
            calendar=calendar,
            locale=locale,
            show_confidential=False,
        )
        report["halves"] = halves
        report["previous_year"] = {"year": previous.year, **_headline(prev)}
        report["this_year"] = {"year": period.year, **_headline(report)}
    return report


def open_report(
    rows: list[dict[str, Any]],
    *,
    now: datetime,
    calendar: BusinessCalendar,
    chamber: str,
    organisation: Organisation | None = None,
    show_confidential: bool,
) -> dict[str, Any]:
    """Open complaints by the stage they wait in, the oldest waiting first, with working hours waited so far."""
    locale = Locale(chamber, calendar, organisation)
    visible = _visible(show_confidential)
    stages, items, withheld = [], [], 0
    for stage in OPEN_STAGES:
        waiting = sorted(
            (r for r in rows if r["stage"] == stage and r["stage_since"] is not None),
            key=lambda r: (r["stage_since"], r["complaint_id"]),
        )
        hours = [calendar.working_time_between(r["stage_since"], now).total_seconds() for r in waiting]
        oldest = None
        if waiting:
            first = waiting[0]
            oldest = {
                "since": first["stage_since"],
                "since_local": locale.moment(first["stage_since"]),
                "waiting_working_hours": _hours(hours[0]),
                # A confidential complaint is counted; who it is stays hidden from those who may not know.
                "complaint_id": first["complaint_id"] if visible(first) else None,
                "reference": first["reference"] if visible(first) else None,
                "confidential": bool(first["confidential"]),
            }
        stages.append(
            {
                "stage": stage,
                "label": locale.value(stage),
                "waiting_on": WAITS_ON[stage],
                "count": len(waiting),
                "mean_waiting_working_hours": _hours(statistics.fmean(hours)) if hours else None,
                "oldest": oldest,
            }
        )
        for r, seconds in zip(waiting, hours, strict=True):
            if not visible(r):
                withheld += 1
                continue
            items.append(
                {
                    "complaint_id": r["complaint_id"],
                    "reference": r["reference"],
                    "kind": r["kind"],
                    "channel": r["channel"],
                    "unit": r["unit"],
                    "state": r["state"],
                    "stage": stage,
                    "waiting_on": _waiting_on(r, stage),
                    "round": r["round"],
                    "received_at": r["received_at"],
                    "received_at_local": locale.moment(r["received_at"]),
                    "stage_since": r["stage_since"],
                    "stage_since_local": locale.moment(r["stage_since"]),
                    "waiting_working_hours": _hours(seconds),
                    "breaches": r["breaches"],
                    "confidential": bool(r["confidential"]),
                }
            )
    items.sort(key=lambda i: (-(i["waiting_working_hours"] or 0), i["stage_since"], i["complaint_id"]))
    return {
        "as_of": now.astimezone(UTC),
        "as_of_local": locale.moment(now),
        "total": len(rows),
        "stages": stages,
        "withheld": withheld,
        "items": items,
    }


def _waiting_on(row: dict[str, Any], stage: str) -> dict[str, str | None]:
    if stage == "decision" and row["state"] == "committee":
        return {"role": "committee", "person": None, "unit": None}
    if stage == "investigation":
        person = row["handler"] if row["handler_kind"] == "person" else None
        unit = row["handler"] if row["handler_kind"] == "unit" else None
        return {"role": "handler", "person": person, "unit": unit}
    return {"role": WAITS_ON[stage], "person": None, "unit": None}


# -- CSV -------------------------------------------------------------------------------------------------------
FIGURE_COLUMNS = ["section", "key", "label", "value"]
AGENDA_COLUMNS = [
    "reference",
    "kind",
    "channel",
    "unit",
    "received_at",
    "received_at_local",
    "round",
    "reasons",
    "stage",
    "current_state",
    "outcome",
    "satisfaction_score",
    "open_working_hours",
    "complainant",
    "member_number",
    "summary",
]
ACTION_COLUMNS = [
    "reference",
    "action_id",
    "description",
    "owner",
    "due",
    "due_local",
    "status",
    "defined_at_local",
    "done_at_local",
]
CSV_TABLES = ("figures", "agenda", "actions")


def figure_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's figures as one long table: section, key, label, value."""
    rows: list[dict[str, Any]] = []

    def add(section: str, key: str, label: str, value: Any) -> None:
        rows.append({"section": section, "key": key, "label": label, "value": "" if value is None else value})

    received = report["received"]
    add("received", "total", "", received["total"])
    add("received", "confidential", "", received["confidential"])
    for section in ("by_kind", "by_channel", "by_unit"):
        for item in received[section]:
            add(f"received_{section}", item["key"], item["label"], item["count"])
    for item in report["outcomes"]["by_outcome"]:
        add("outcome", item["key"], item["label"], item["count"])
    add("closed", "total", "", report["closed"])
    for key, value in report["resolution"].items():
        add("resolution", key, "", value)
    for stage in report["stages"]:
        for key in ("count", "mean_working_hours", "median_working_hours", "max_working_hours", "breaches"):
            add(f"stage_{key}", stage["stage"], stage["label"], stage[key])
    for key, value in report["satisfaction"].items():
        add("satisfaction", key, "", value)
    for key in ("total", "open", "overdue", "done"):
        add("corrective_actions", key, "", report["corrective_actions"][key])
    add("agenda", "count", "", report["agenda"]["count"])
    for half in report.get("halves", []):
        for key, value in half.items():
            if key not in ("half", "label"):
                add(f"half_{half['half']}", key, half["label"], value)
    for name in ("this_year", "previous_year"):
        if name in report:
            for key, value in report[name].items():
                if key != "year":
                    add(name, key, str(report[name]["year"]), value)
    return rows


def to_csv(report: dict[str, Any], table: str = "figures") -> str:
    """One table of the report as CSV, with a BOM so that spreadsheet programs read Persian and Turkish text."""
    if table == "figures":
        columns, rows = FIGURE_COLUMNS, figure_rows(report)
    elif table == "agenda":
        columns = AGENDA_COLUMNS
        rows = [
            {**i, "received_at": i["received_at"].isoformat(), "reasons": "|".join(i["reasons"])}
            for i in report["agenda"]["items"]
        ]
    elif table == "actions":
        columns, rows = ACTION_COLUMNS, report["corrective_actions"]["items"]
    else:
        raise InvalidInput(f"table {table!r} is not one of {', '.join(CSV_TABLES)}")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return "\ufeff" + buffer.getvalue()


# -- HTML ------------------------------------------------------------------------------------------------------
CSS = """
@page { size: A4; margin: 16mm 14mm 18mm; @bottom-center { content: counter(page); font-size: 9pt; color: #555; } }
* { box-sizing: border-box; }
html { font-size: 10.5pt; }
body { font-family: %(fonts)s; color: #111; line-height: 1.55; margin: 0 auto; max-width: 190mm; }
header.doc { border-bottom: 2px solid #222; padding-bottom: 3mm; margin-bottom: 6mm; }
header.doc h1 { font-size: 16pt; margin: 0 0 1mm; }
header.doc .audience { font-size: 11pt; margin: 0 0 2mm; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 0.5mm 4mm; margin: 0; font-size: 9.5pt; color: #333; }
dl.meta dt { font-weight: bold; } dl.meta dd { margin: 0; }
h2 { font-size: 12.5pt; margin: 7mm 0 2mm; padding-bottom: 1mm; border-bottom: 1px solid #999; break-after: avoid; page-break-after: avoid; }
h3 { font-size: 11pt; margin: 4mm 0 1mm; break-after: avoid; page-break-after: avoid; }
section { break-inside: auto; }
.kpis { display: grid; grid-template-columns: repeat(4, 1fr); gap: 2mm; margin: 2mm 0 4mm; }
.kpi { border: 1px solid #888; padding: 2mm; break-inside: avoid; }
.kpi .v { display: block; font-size: 15pt; font-weight: bold; }
.kpi .k { display: block; font-size: 9pt; color: #333; }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 4mm; }
table { width: 100%%; border-collapse: collapse; margin: 1mm 0 4mm; font-size: 9.5pt; }
th, td { border: 1px solid #777; padding: 1mm 1.8mm; text-align: start; vertical-align: top; }
th { background: #e9e9e9; font-weight: bold; }
thead { display: table-header-group; }
tfoot td { font-weight: bold; background: #f4f4f4; }
tr { break-inside: avoid; page-break-inside: avoid; }
td.n, th.n { text-align: end; white-space: nowrap; font-variant-numeric: tabular-nums; }
.ltr { direction: ltr; unicode-bidi: isolate; white-space: nowrap; }
.note { font-size: 9pt; color: #444; }
.empty { color: #555; font-style: italic; }
.status-overdue { font-weight: bold; }
.signatures { display: grid; grid-template-columns: repeat(3, 1fr); gap: 8mm; margin-top: 14mm; break-inside: avoid; page-break-inside: avoid; }
.signatures div { border-top: 1px solid #444; padding-top: 2mm; min-height: 20mm; font-size: 9.5pt; }
footer.doc { margin-top: 6mm; font-size: 8.5pt; color: #555; }
@media screen { body { padding: 10mm; } }
@media print {
  body { max-width: none; }
  th, tfoot td { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  a { color: inherit; text-decoration: none; }
}
"""
FONTS = {
    "fa": '"Vazirmatn", "Vazir", "Sahel", "IRANSans", "Noto Naskh Arabic", "Tahoma", sans-serif',
    "tr": '"Segoe UI", "Noto Sans", "DejaVu Sans", "Liberation Sans", Arial, sans-serif',
}


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _ltr(value: Any) -> str:
    """Dates, references and codes read left to right even inside Persian text."""
    return f'<span class="ltr" dir="ltr">{_e(value)}</span>' if value not in (None, "") else ""


def _num(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _table(head: list[tuple[str, bool]], rows: list[list[str]], foot: list[str] | None = None, empty: str = "") -> str:
    """Cells are HTML already (escaped by the caller); `head` is (label, numeric)."""
    if not rows:
        return f'<p class="empty">{_e(empty)}</p>' if empty else ""
    numeric = [n for _, n in head]

    def cells(tag: str, values: list[str]) -> str:
        return "".join(
            f'<{tag} class="n">{v}</{tag}>' if numeric[i] else f"<{tag}>{v}</{tag}>" for i, v in enumerate(values)
        )

    th = "".join(
        f'<th class="n" scope="col">{_e(label)}</th>' if n else f'<th scope="col">{_e(label)}</th>' for label, n in head
    )
    body = "".join(f"<tr>{cells('td', row)}</tr>" for row in rows)
    tfoot = f"<tfoot><tr>{cells('td', foot)}</tr></tfoot>" if foot else ""
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody>{tfoot}</table>"


def render_html(report: dict[str, Any], calendar: BusinessCalendar, organisation: Organisation | None = None) -> str:
    """The report as a document a manager prints: A4, repeated table headers, no row split across pages,
    right to left in Persian with Solar Hijri dates, left to right in Turkish with Gregorian dates."""
    L = Locale(report["chamber"], calendar, organisation)
    p = report["period"]
    r = report["received"]
    meta = [
        (L["period"], _e(L["from_to"]).format(start=_ltr(p["first_day_local"]), end=_ltr(p["last_day_local"]))),
        (L["as_of"], _ltr(report["as_of_local"])),
        (L["generated_at"], _ltr(report["generated_at_local"])),
    ]
    if report.get("form"):
        meta.insert(0, (L["procedure"], _ltr(report["form"])))
    meta_html = "".join(f"<dt>{_e(k)}</dt><dd>{v}</dd>" for k, v in meta)

    confidential = f" ({L['confidential_included'].format(n=r['confidential'])})" if r["confidential"] else ""
    kpis = [
        (_num(r["total"]), L["received"] + confidential),
        (_num(report["outcomes"]["total"]), L["decided"]),
        (_num(report["closed"]), L["closed"]),
        (_num(report["resolution"]["mean_working_hours"]), f"{L['mean_resolution']} ({L['hours']})"),
        (_num(report["resolution"]["median_working_hours"]), f"{L['median_resolution']} ({L['hours']})"),
        (_pct(report["satisfaction"]["satisfied_rate"]), L["satisfied_rate"]),
        (
            _num(report["corrective_actions"]["open"] + report["corrective_actions"]["overdue"]),
            f"{L['corrective_actions']}: {L['status_open']}",
        ),
        (_num(report["agenda"]["count"]), L["agenda"].split(":")[0]),
    ]
    kpi_html = "".join(
        f'<div class="kpi"><span class="v">{v}</span><span class="k">{_e(k)}</span></div>' for v, k in kpis
    )

    def breakdown(items: list[dict[str, Any]], title: str, column: str) -> str:
        rows = [[_e(i["label"]), _num(i["count"]), _pct(i["share"])] for i in items]
        foot = [_e(L["total"]), _num(sum(i["count"] for i in items)), ""]
        return f"<div><h3>{_e(title)}</h3>{_table([(column, False), (L['count'], True), (L['share'], True)], rows, foot, L['nothing'])}</div>"

    counts_html = (
        '<div class="grid2">'
        + breakdown(r["by_kind"], L["by_kind"], L["kind"])
        + breakdown(r["by_channel"], L["by_channel"], L["channel"])
        + '</div><div class="grid2">'
        + breakdown(r["by_unit"], L["by_unit"], L["unit"])
        + breakdown(report["outcomes"]["by_outcome"], L["by_outcome"], L["outcome"])
        + "</div>"
    )

    res = report["resolution"]
    resolution_html = _table(
        [(L["closed"], True), (L["mean"], True), (L["median"], True), (L["maximum"], True)],
        [
            [
                _num(res["count"]),
                _num(res["mean_working_hours"]),
                _num(res["median_working_hours"]),
                _num(res["max_working_hours"]),
            ]
        ],
    )
    stages_html = _table(
        [
            (L["stage"], False),
            (L["completed"], True),
            (L["mean"], True),
            (L["median"], True),
            (L["maximum"], True),
            (L["breaches"], True),
        ],
        [
            [
                _e(s["label"]),
                _num(s["count"]),
                _num(s["mean_working_hours"]),
                _num(s["median_working_hours"]),
                _num(s["max_working_hours"]),
                _num(s["breaches"]),
            ]
            for s in report["stages"]
        ],
    )
    sat = report["satisfaction"]
    satisfaction_html = _table(
        [
            (L["recorded"], True),
            (L["satisfied"], True),
            (L["not_satisfied"], True),
            (L["mean_score"], True),
            (L["satisfied_rate"], True),
        ],
        [
            [
                _num(sat["recorded"]),
                _num(sat["satisfied"]),
                _num(sat["not_satisfied"]),
                _num(sat["mean_score"]),
                _pct(sat["satisfied_rate"]),
            ]
        ],
    )

    ca = report["corrective_actions"]
    status_label = {"open": L["status_open"], "done": L["status_done"], "overdue": L["status_overdue"]}
    actions_html = _table(
        [(L["status_open"], True), (L["status_overdue"], True), (L["status_done"], True), (L["total"], True)],
        [[_num(ca["open"]), _num(ca["overdue"]), _num(ca["done"]), _num(ca["total"])]],
    ) + _table(
        [
            (L["reference"], False),
            (L["action"], False),
            (L["owner"], False),
            (L["due"], False),
            (L["status"], False),
            (L["done_on"], False),
        ],
        [
            [
                _ltr(a["reference"]) + " " + _ltr(a["action_id"]),
                _e(a["description"]),
                _e(a["owner"]),
                _ltr(a["due_local"]),
                f'<span class="status-{_e(a["status"])}">{_e(status_label[a["status"]])}</span>',
                _ltr(a["done_at_local"]),
            ]
            for a in ca["items"]
        ],
        empty=L["nothing"] if not ca["withheld"] else "",
    )
    if ca["withheld"]:
        actions_html += f'<p class="note">{_e(L["withheld"].format(n=ca["withheld"]))}</p>'

    ag = report["agenda"]
    reason_label = {"undecided": L["reason_undecided"], "not_satisfied": L["reason_not_satisfied"]}
    agenda_html = _table(
        [
            (L["reference"], False),
            (L["kind"], False),
            (L["unit"], False),
            (L["received_on"], False),
            (L["subject"], False),
            (L["current_state"], False),
            (L["reason"], False),
            (L["open_for"], True),
        ],
        [
            [
                _ltr(i["reference"]),
                _e(L.value(i["kind"])),
                _e(L.unit(i["unit"])),
                _ltr(i["received_at_local"]),
                _e(i["summary"])
                + (f"<br><small>{_e(L['complainant'])}: {_e(i['complainant'])}</small>" if i["complainant"] else ""),
                _e(L.state(i["current_state"])),
                _e(("، " if L.lang == "fa" else ", ").join(reason_label[x] for x in i["reasons"]))
                + (f" ({_num(i['satisfaction_score'])}/5)" if i["satisfaction_score"] else ""),
                _num(i["open_working_hours"]),
            ]
            for i in ag["items"]
        ],
        empty=L["nothing"] if not ag["withheld"] else "",
    )
    if ag["withheld"]:
        agenda_html += f'<p class="note">{_e(L["withheld"].format(n=ag["withheld"]))}</p>'

    yearly_html = ""
    if report["report"] == YEARLY:
        keys = [
            ("received", L["received"]),
            ("decided", L["decided"]),
            ("closed", L["closed"]),
            ("mean_resolution_working_hours", f"{L['mean_resolution']} ({L['hours']})"),
            ("median_resolution_working_hours", f"{L['median_resolution']} ({L['hours']})"),
            ("satisfied_rate", L["satisfied_rate"]),
            ("breaches", L["breaches"]),
        ]

        def cell(key: str, value: Any) -> str:
            return _pct(value) if key == "satisfied_rate" else _num(value)

        halves = report["halves"]
        yearly_html += (
            f"<section><h2>{_e(L['halves'])}</h2>"
            + _table(
                [(L["figure"], False)] + [(h["label"], True) for h in halves],
                [[_e(label)] + [cell(key, h[key]) for h in halves] for key, label in keys],
            )
            + "</section>"
        )
        this, prev = report["this_year"], report["previous_year"]
        yearly_html += (
            f"<section><h2>{_e(L['previous_year'])}</h2>"
            + _table(
                [
                    (L["figure"], False),
                    (L["this_year"].format(year=prev["year"]), True),
                    (L["this_year"].format(year=this["year"]), True),
                ],
                [[_e(label), cell(key, prev[key]), cell(key, this[key])] for key, label in keys],
            )
            + "</section>"
        )

    title = report["title"]
    return f"""<!DOCTYPE html>
<html lang="{L.lang}" dir="{L.dir}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)} — {_e(p["label"])}</title>
<style>{CSS % {"fonts": FONTS[L.lang]}}</style>
</head>
<body>
<header class="doc">
<h1>{_e(title)}</h1>
<p class="audience">{_e(report["audience"])} — {_e(p["label"])}</p>
<dl class="meta">{meta_html}</dl>
</header>
<main>
<section><h2>{_e(L["summary"])}</h2><div class="kpis">{kpi_html}</div></section>
<section><h2>{_e(L["received_heading"])}</h2>{counts_html}</section>
<section><h2>{_e(L["resolution"])}</h2>{resolution_html}</section>
<section><h2>{_e(L["stage_times"])}</h2>{stages_html}</section>
<section><h2>{_e(L["satisfaction"])}</h2>{satisfaction_html}</section>
<section><h2>{_e(L["corrective_actions"])} ({_ltr(CORRECTIVE_ACTION)})</h2>{actions_html}</section>
{yearly_html}
<section><h2>{_e(L["agenda"])}</h2>{agenda_html}</section>
</main>
<div class="signatures"><div>{_e(L["sign_prepared"])}</div><div>{_e(L["sign_reviewed"])}</div><div>{_e(L["sign_approved"])}</div></div>
<footer class="doc">{_e(L["form_note"]).format(form=_ltr(COMPLAINT_FORM))}</footer>
</body>
</html>
"""
