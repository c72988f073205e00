"""The complaint reports built from the read model: the chamber's half-years and years, the six-monthly aggregate
report and its agenda, the yearly input to the management review, confidentiality, CSV, and the printable HTML
document in Persian and in Turkish."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest

from services.reporting import complaint_reports as R
from services.reporting.complaints import ComplaintReadModel
from shared.problems import InvalidInput
from tests.reporting.complaint_story import ORGANISATION, Story, envelopes, isfahan, istanbul_story, project, tehran

TEHRAN = ZoneInfo("Asia/Tehran")
ISTANBUL = ZoneInfo("Europe/Istanbul")


@pytest.fixture
def story(clock, tmp_path) -> Story:
    return isfahan(clock, tmp_path)


@pytest.fixture
def model(tmp_path, story) -> ComplaintReadModel:
    model = ComplaintReadModel(f"sqlite:///{tmp_path}/reporting.db", story.calendar)
    project(model, story.events())
    return model


FA = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")  # Persian reports print Persian digits


def report(
    story: Story, model: ComplaintReadModel, *, half: int | None = 1, year: int = 1405, see_all: bool = True, now=None
) -> dict:
    tz = story.calendar.tz
    period = R.year_period("IR", year, tz) if half is None else R.half_year("IR", year, half, tz)
    return R.build_report(
        model.data(),
        period,
        now=now or story.now,
        calendar=story.calendar,
        organisation=ORGANISATION,
        show_confidential=see_all,
    )


def counts(items: list[dict]) -> dict[str, int]:
    return {i["key"]: i["count"] for i in items}


# --- the chamber's periods ------------------------------------------------------------------------------------


def test_the_iranian_chamber_reports_on_solar_hijri_half_years() -> None:
    first = R.half_year("IR", 1405, 1, TEHRAN)
    assert (first.first_day, first.last_day) == (date(2026, 3, 21), date(2026, 9, 22))  # 1 Farvardin to 31 Shahrivar
    assert (first.start, first.end) == (
        datetime(2026, 3, 20, 20, 30, tzinfo=UTC),
        datetime(2026, 9, 22, 20, 30, tzinfo=UTC),
    )
    second = R.half_year("IR", 1405, 2, TEHRAN)
    assert (second.first_day, second.last_day) == (date(2026, 9, 23), date(2027, 3, 20))  # 1 Mehr to 29 Esfand
    assert second.start == first.end
    # 1403 is a leap year: Esfand has 30 days.
    assert R.half_year("IR", 1403, 2, TEHRAN).last_day == date(2025, 3, 20)
    year = R.year_period("IR", 1405, TEHRAN)
    assert (year.first_day, year.end_day, year.half) == (date(2026, 3, 21), date(2027, 3, 21), None)
    assert year.previous_year().first_day == date(2025, 3, 21)


def test_the_turkish_chamber_reports_on_gregorian_half_years() -> None:
    first = R.half_year("TR", 2026, 1, ISTANBUL)
    assert (first.first_day, first.last_day, first.start) == (
        date(2026, 1, 1),
        date(2026, 6, 30),
        datetime(2025, 12, 31, 21, 0, tzinfo=UTC),
    )
    assert (R.half_year("TR", 2026, 2, ISTANBUL).first_day, R.half_year("TR", 2026, 2, ISTANBUL).last_day) == (
        date(2026, 7, 1),
        date(2026, 12, 31),
    )
    assert R.year_period("TR", 2026, ISTANBUL).end == datetime(2026, 12, 31, 21, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("chamber", "year", "half", "reason"),
    [
        ("IR", 2026, 1, "not a Solar Hijri year"),
        ("TR", 1405, 1, "not a Gregorian year"),
        ("IR", 1405, 3, "half 3"),
        ("IR", 1405, 0, "half 0"),
    ],
)
def test_a_year_outside_the_chambers_calendar_or_a_third_half_is_refused(
    chamber: str, year: int, half: int, reason: str
) -> None:
    with pytest.raises(InvalidInput, match=reason):
        R.half_year(chamber, year, half, TEHRAN)


# --- the six-monthly report -----------------------------------------------------------------------------------


def test_the_six_monthly_report_counts_by_kind_channel_unit_and_outcome(story, model) -> None:
    r = report(story, model)
    assert (r["report"], r["chamber"], r["language"], r["form"]) == ("six_monthly", "IR", "fa", None)
    assert (r["period"]["label"], r["period"]["first_day_local"], r["period"]["last_day_local"]) == (
        "نیمه نخست سال 1405 (فروردین تا شهریور)",
        "1405/01/01",
        "1405/06/31",
    )
    assert r["as_of"] == datetime(2026, 9, 22, 20, 30, tzinfo=UTC)  # the period has ended: figures as of its end
    assert (r["as_of_local"], r["generated_at_local"]) == ("1405/06/31", "1405/07/15 10:00")
    received = r["received"]
    assert (received["total"], received["confidential"]) == (
        5,
        1,
    )  # A B C D H; F was last year, E is in the second half
    assert counts(received["by_kind"]) == {"complaint": 3, "criticism": 1, "suggestion": 1, "reported_problem": 0}
    assert counts(received["by_channel"]) == {"in_person": 2, "phone": 1, "website": 1, "automatic": 1}
    assert counts(received["by_unit"]) == {"legal": 1, "member_services": 1, "membership": 1, "trade": 1, "none": 1}
    assert received["by_unit"][-1]["key"] == "none"
    assert {i["key"]: i["label"] for i in received["by_unit"]}["membership"] == "امور عضویت و کارت بازرگانی"
    assert counts(r["outcomes"]["by_outcome"]) == {"accepted": 1, "rejected": 2, "settled": 1}
    assert r["closed"] == 4


def test_the_six_monthly_report_gives_resolution_and_stage_times_in_working_hours(story, model) -> None:
    r = report(story, model)
    # Receipt to closing: A 34.5, B 12.5, D 35.5, H 10.5 working hours.
    assert r["resolution"] == {
        "count": 4,
        "mean_working_hours": 23.25,
        "median_working_hours": 23.5,
        "max_working_hours": 35.5,
    }
    stages = {s["stage"]: s for s in r["stages"]}
    assert list(stages) == ["acknowledgement", "review", "assignment", "investigation", "decision", "notification"]
    assert (stages["investigation"]["count"], stages["investigation"]["max_working_hours"]) == (4, 16.0)
    assert stages["decision"]["max_working_hours"] == 13.0  # D: the committee met two days after the report
    assert {s: stages[s]["breaches"] for s in stages} == {
        "acknowledgement": 0,
        "review": 2,
        "assignment": 1,
        "investigation": 0,
        "decision": 0,
        "notification": 0,
    }


def test_the_six_monthly_report_gives_satisfaction_and_corrective_actions(story, model) -> None:
    r = report(story, model)
    assert r["satisfaction"] == {
        "recorded": 4,
        "satisfied": 2,
        "not_satisfied": 2,
        "mean_score": 3.33,
        "satisfied_rate": 0.5,
    }
    actions = r["corrective_actions"]
    assert {k: actions[k] for k in ("total", "open", "overdue", "done", "withheld")} == {
        "total": 2,
        "open": 0,
        "overdue": 1,
        "done": 1,
        "withheld": 0,
    }
    assert [(a["action_id"], a["status"], a["due_local"], a["owner"]) for a in actions["items"]] == [
        ("CA-1", "done", "1405/03/20", "y.mousavi"),
        ("CA-2", "overdue", "1405/04/10", "t.heidari"),
    ]


def test_the_agenda_lists_the_complaints_undecided_or_where_the_member_is_not_satisfied(story, model) -> None:
    agenda = report(story, model)["agenda"]
    ids = story.ids
    assert [(i["complaint_id"], i["reasons"]) for i in agenda["items"]] == [
        (ids["F"], ["undecided"]),  # last year's, still without a handler
        (ids["B"], ["undecided", "not_satisfied"]),  # reopened
        (ids["C"], ["undecided"]),
        (ids["H"], ["not_satisfied"]),
    ]
    assert (agenda["count"], agenda["withheld"]) == (4, 0)
    b = agenda["items"][1]
    assert (b["confidential"], b["satisfaction_score"], b["round"], b["received_at_local"]) == (
        True,
        1,
        2,
        "1405/02/12",
    )
    f = agenda["items"][0]
    assert (f["received_at_local"], f["member_number"], f["current_state"], f["stage"]) == (
        "1404/12/03",
        "12345",
        "referred",
        "assignment",
    )


def test_a_confidential_complaint_is_counted_but_not_listed_to_a_reader_who_may_not_see_it(story, model) -> None:
    r = report(story, model, see_all=False)
    assert (r["received"]["total"], r["received"]["confidential"]) == (5, 1)
    assert counts(r["received"]["by_channel"])["phone"] == 1
    assert (r["agenda"]["count"], r["agenda"]["withheld"]) == (4, 1)
    listed = [i["complaint_id"] for i in r["agenda"]["items"]]
    assert listed == [story.ids["F"], story.ids["C"], story.ids["H"]]
    assert story.ids["B"] not in str(r)
    assert "رفتار نامناسب" not in str(r)  # not even its summary


def test_a_past_half_year_reads_the_same_whenever_it_is_produced(story, clock, model) -> None:
    before = report(story, model)
    # After the half-year: the overdue action is done, B (reopened) and C are reviewed and referred to the SG.
    mark = story.desk.recorder.max_notification_id()
    clock.now = tehran(2026, 10, 3, 9, 0)
    story.desk.complete_corrective_action(story.ids["D"], "CA-2", by="t.heidari")
    story.desk.add_information(story.ids["C"], by="m.karimi", changes={"occurred_at": tehran(2026, 5, 7, 9, 0)})
    for letter in ("B", "C"):
        if not story.desk.get_complaint(story.ids[letter]).stakeholders_recorded:
            story.desk.record_stakeholders(story.ids[letter], by="m.karimi", none=True)
        story.desk.complete_review(story.ids[letter], by="m.karimi")
        story.desk.refer_complaint(story.ids[letter], by="m.karimi")
    project(model, envelopes(story.desk, mark))
    later = report(story, model, now=tehran(2027, 1, 10, 9, 0))
    for key in ("received", "outcomes", "closed", "resolution", "stages", "satisfaction", "corrective_actions"):
        assert later[key] == before[key], key

    def then(agenda: dict) -> list[dict]:
        return [{k: v for k, v in i.items() if k != "current_state"} for i in agenda["items"]]

    assert then(later["agenda"]) == then(before["agenda"])
    assert [(i["stage"], i["current_state"]) for i in later["agenda"]["items"]] == [
        ("assignment", "referred"),
        ("review", "referred"),
        ("review", "referred"),
        (None, "closed"),
    ]
    assert model.complaint(story.ids["D"])["corrective_actions"][1]["status"] == "done"
    # The second half-year, still running, sees it as done.
    second = report(story, model, half=2, now=tehran(2026, 10, 7, 10, 0))
    assert [(a["action_id"], a["status"]) for a in second["corrective_actions"]["items"]] == [("CA-2", "done")]
    assert second["received"]["total"] == 1
    assert second["as_of"] == tehran(2026, 10, 7, 10, 0)


# --- the yearly input to the management review ----------------------------------------------------------------


def test_the_yearly_report_is_the_input_to_the_management_review_with_its_halves_and_the_year_before(
    story, model
) -> None:
    r = report(story, model, half=None)
    assert (r["report"], r["form"], r["period"]["label"]) == ("yearly", "SY-PR-10-00-02", "سال 1405 (فروردین تا اسفند)")
    assert (r["period"]["first_day_local"], r["period"]["last_day_local"]) == ("1405/01/01", "1405/12/29")
    assert r["received"]["total"] == 6
    assert [(h["half"], h["received"], h["closed"], h["breaches"]) for h in r["halves"]] == [(1, 5, 4, 3), (2, 1, 0, 0)]
    assert r["previous_year"] == {
        "year": 1404,
        "received": 1,
        "decided": 0,
        "closed": 0,
        "mean_resolution_working_hours": None,
        "median_resolution_working_hours": None,
        "satisfied_rate": None,
        "breaches": 0,
    }
    assert (r["this_year"]["year"], r["this_year"]["received"], r["this_year"]["mean_resolution_working_hours"]) == (
        1405,
        6,
        23.25,
    )
    assert [i["complaint_id"] for i in r["agenda"]["items"]] == [story.ids[k] for k in ("F", "B", "C", "H", "E")]


# --- open complaints ------------------------------------------------------------------------------------------


def test_open_complaints_by_stage_with_the_oldest_waiting_in_working_hours(story, model) -> None:
    now = tehran(2026, 10, 7, 10, 0)
    r = R.open_report(model.open_complaints(), now=now, calendar=story.calendar, chamber="IR", show_confidential=True)
    stages = {s["stage"]: s for s in r["stages"]}
    assert {s: stages[s]["count"] for s in stages} == {
        "acknowledgement": 1,
        "review": 2,
        "assignment": 1,
        "investigation": 0,
        "decision": 0,
        "notification": 0,
        "closing": 0,
    }
    # E was received Monday 28 September 9:00: 7 + 8 + (Wed) 8 + (Thu) 4 + (Sat) 8 + (Sun) 8 + (Mon) 8 + (Tue) 8 + 2 hours.
    assert stages["acknowledgement"]["oldest"]["waiting_working_hours"] == 61
    assert (stages["review"]["oldest"]["reference"], stages["review"]["oldest"]["since_local"]) == (
        model.complaint(story.ids["B"])["reference"],
        "1405/02/13 14:30",
    )
    assert [i["complaint_id"] for i in r["items"]] == [story.ids[k] for k in ("F", "B", "C", "E")]
    assert r["items"][0]["waiting_on"] == {"role": "sg", "person": None, "unit": None}

    hidden = R.open_report(
        model.open_complaints(), now=now, calendar=story.calendar, chamber="IR", show_confidential=False
    )
    review = next(s for s in hidden["stages"] if s["stage"] == "review")
    assert (review["count"], review["oldest"]["reference"], review["oldest"]["confidential"]) == (2, None, True)
    assert hidden["withheld"] == 1 and story.ids["B"] not in [i["complaint_id"] for i in hidden["items"]]


# --- CSV ------------------------------------------------------------------------------------------------------


def read_csv(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_figures_as_csv_are_one_long_table(story, model) -> None:
    rows = read_csv(R.to_csv(report(story, model)))
    assert rows[0] == ["section", "key", "label", "value"]
    assert ["received", "total", "", "5"] in rows
    assert ["received_by_kind", "complaint", "شکایت", "3"] in rows
    assert ["received_by_unit", "membership", "امور عضویت و کارت بازرگانی", "1"] in rows
    assert ["outcome", "rejected", "رد", "2"] in rows
    assert ["resolution", "mean_working_hours", "", "23.25"] in rows
    assert ["stage_breaches", "review", "بررسی مدیر ارتباط با اعضا", "2"] in rows
    assert ["corrective_actions", "overdue", "", "1"] in rows
    assert ["agenda", "count", "", "4"] in rows


def test_the_agenda_and_the_corrective_actions_as_csv(story, model) -> None:
    r = report(story, model, see_all=False)
    agenda = read_csv(R.to_csv(r, "agenda"))
    assert agenda[0] == R.AGENDA_COLUMNS
    references = {k: model.complaint(story.ids[k])["reference"] for k in story.ids}
    assert [(row[0], row[7]) for row in agenda[1:]] == [
        (references["F"], "undecided"),
        (references["C"], "undecided"),
        (references["H"], "not_satisfied"),
    ]
    assert (agenda[1][5], agenda[1][8], agenda[1][9]) == ("1404/12/03", "assignment", "referred")
    actions = read_csv(R.to_csv(r, "actions"))
    assert actions[0] == R.ACTION_COLUMNS
    assert [row[:2] + row[6:7] for row in actions[1:]] == [
        [references["D"], "CA-1", "done"],
        [references["D"], "CA-2", "overdue"],
    ]
    with pytest.raises(InvalidInput):
        R.to_csv(r, "everything")


# --- the printable document -----------------------------------------------------------------------------------

VOID = {"meta", "br", "hr", "img", "link", "input"}


class _Checker(HTMLParser):
    """Every element closed in order, and the text that a reader sees."""

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.text: list[str] = []
        self.tables = 0

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables += 1
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse(document: str) -> _Checker:
    checker = _Checker()
    checker.feed(document)
    checker.close()
    assert checker.stack == []
    return checker


def test_the_six_monthly_report_prints_in_persian_right_to_left_with_solar_hijri_dates(story, model) -> None:
    r = report(story, model)
    document = R.render_html(r, story.calendar, ORGANISATION)
    assert document.startswith("<!DOCTYPE html>")
    assert '<html lang="fa" dir="rtl">' in document
    assert (
        "@page { size: A4" in document
        and "@media print" in document
        and "thead { display: table-header-group; }" in document
    )
    checker = parse(document)
    text = " ".join(checker.text)
    for phrase in (
        "گزارش شش‌ماهه شکایات، انتقادها و پیشنهادها",
        "برای دبیرکل و رئیس اتاق",
        "نیمه نخست سال 1405 (فروردین تا شهریور)",
        "بر حسب نوع",
        "بر حسب مجرای دریافت",
        "بر حسب واحد مربوط",
        "زمان رسیدگی",
        "رضایت اعضا از رسیدگی",
        "اقدامات اصلاحی",
        "دستور جلسه بازنگری",
        "شکایت",
        "انتقاد",
        "حضوری",
        "تلفنی",
        "حل‌وفصل",
        "امور حقوقی و داوری",
        "معوق",
        "عدم رضایت عضو",
        "بدون تصمیم",
        "دبیرکل",
        "رئیس اتاق",
    ):
        assert phrase.translate(FA) in text, phrase
    for day in ("1405/01/01", "1405/06/31", "1404/12/03", "1405/02/19", "1405/04/10"):
        assert day.translate(FA) in text, day
    assert "2026-" not in text and "۲۰۲۶-" not in text  # no Gregorian date for the reader
    # Persian digits throughout, and durations in working days and hours, never decimal hours.
    seen = re.sub(r"<[^>]+>", " ", document.split("<body", 1)[1].split(">", 1)[1])  # the page, not its style
    assert not any(ch.isascii() and ch.isdigit() for ch in seen)
    assert "۲ روز کاری و ۷ ساعت و ۱۵ دقیقه" in text  # mean resolution, 23.25 working hours of 8-hour days
    assert "۴ روز کاری و ۳ ساعت و ۳۰ دقیقه" in text  # the longest, 35.5 working hours
    assert "۲۳٫۲" not in text and "23.2" not in text
    references = {k: model.complaint(story.ids[k])["reference"] for k in story.ids}
    for key in ("F", "B", "C", "H"):
        assert references[key].translate(FA) in text
    assert "رفتار نامناسب کارشناس امور بازرگانی" in text  # the SG sees the confidential complaint
    assert checker.tables >= 10


def test_the_printed_report_withholds_confidential_complaints_from_whoever_may_not_see_them(story, model) -> None:
    r = report(story, model, see_all=False)
    text = " ".join(parse(R.render_html(r, story.calendar, ORGANISATION)).text)
    assert model.complaint(story.ids["B"])["reference"].translate(FA) not in text
    assert "رفتار نامناسب" not in text
    assert "۱ مورد محرمانه در ارقام بالا شمرده شده" in text
    assert model.complaint(story.ids["C"])["reference"].translate(FA) in text


def test_the_yearly_report_prints_its_halves_and_the_year_before(story, model) -> None:
    document = R.render_html(report(story, model, half=None), story.calendar, ORGANISATION)
    text = " ".join(parse(document).text)
    for phrase in (
        "گزارش سالانه شکایات، ورودی بازنگری مدیریت",
        "SY-PR-10-00-02",
        "به تفکیک نیمه سال",
        "نیمه نخست",
        "نیمه دوم",
        "مقایسه با سال قبل",
        "سال 1404",
        "سال 1405",
        "1405/12/29",
    ):
        assert phrase.translate(FA) in text, phrase


def test_text_from_the_complaint_form_is_printed_as_text_never_as_markup(story, clock, model) -> None:
    mark = story.desk.recorder.max_notification_id()
    clock.now = tehran(2026, 6, 20, 9, 0)
    story.desk.register_complaint(
        channel="in_person",
        kind="complaint",
        by="z.rahimi",
        description='<script>alert("x")</script> & <b>bold</b>',
        complainant_name="<img src=x onerror=alert(1)>",
        phone="09131234567",
    )
    project(model, envelopes(story.desk, mark))
    document = R.render_html(report(story, model), story.calendar, ORGANISATION)
    assert "<script" not in document and "<b>bold" not in document and "<img" not in document
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in document
    parse(document)


def test_the_turkish_chamber_prints_in_turkish_with_gregorian_dates(clock, tmp_path) -> None:
    tr = istanbul_story(clock, tmp_path)
    model = ComplaintReadModel(f"sqlite:///{tmp_path}/tr.db", tr.calendar)
    project(model, tr.events())
    r = R.build_report(
        model.data(),
        R.half_year("TR", 2026, 1, tr.calendar.tz),
        now=tr.now,
        calendar=tr.calendar,
        show_confidential=True,
    )
    assert (r["language"], r["period"]["label"], r["period"]["first_day_local"], r["period"]["last_day_local"]) == (
        "tr",
        "2026 yılı ilk yarısı (Ocak–Haziran)",
        "01.01.2026",
        "30.06.2026",
    )
    assert (r["received"]["total"], r["closed"], r["satisfaction"]["satisfied_rate"]) == (2, 1, 1.0)
    # Tuesday 9:00 to Wednesday 10:00 in Istanbul, 08:30-17:30 with a lunch hour: 3.5 + 4 + 1.5 working hours.
    assert r["resolution"]["mean_working_hours"] == 9
    document = R.render_html(r, tr.calendar)
    assert '<html lang="tr" dir="ltr">' in document and 'dir="rtl"' not in document
    text = " ".join(parse(document).text)
    for phrase in (
        "Altı Aylık Şikâyet, Eleştiri ve Öneri Raporu",
        "Genel Sekreter ve Yönetim Kurulu Başkanı için",
        "Türe göre",
        "Başvuru kanalına göre",
        "Şikâyet",
        "Eleştiri",
        "Yüz yüze",
        "Web sitesi",
        "Kabul",
        "Memnun",
        "Düzeltici faaliyetler",
        "Gözden geçirme toplantısı gündemi",
        "Karara bağlanmadı",
        "01.01.2026",
        "30.06.2026",
        "02.04.2026",
    ):
        assert phrase in text, phrase
    assert "1405" not in text and "شکایت" not in text
    yearly = R.build_report(
        model.data(),
        R.year_period("TR", 2026, tr.calendar.tz),
        now=tr.now,
        calendar=tr.calendar,
        show_confidential=True,
    )
    text = " ".join(parse(R.render_html(yearly, tr.calendar)).text)
    assert "Yıllık Şikâyet Raporu, Yönetimin Gözden Geçirmesi Girdisi" in text and "Önceki yılla karşılaştırma" in text


def test_durations_are_told_in_working_days_and_hours_of_the_chamber_s_usual_day() -> None:
    from services.reporting.report_locale import Locale
    from shared.calendar import BusinessCalendar

    iran = BusinessCalendar.preset("IR")
    fa = Locale("IR", iran)
    assert fa.duration(35.5) == f"{35.5 // iran.working_hours_per_day():.0f} روز کاری و 3 ساعت و 30 دقیقه"
    assert fa.duration(0.25) == "15 دقیقه" and fa.duration(0) == "0 ساعت" and fa.duration(None) == "—"
    assert Locale("TR", BusinessCalendar.preset("TR")).duration(16) == "2 iş günü"
