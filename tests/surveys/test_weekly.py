"""The weekly summary as the SG and the president read it: the recorded figures with each question's wording and
threshold, the new complaints and what each was opened for, as JSON, CSV and a printable page in Persian (right to
left, Persian digits, Solar Hijri dates) or Turkish."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from shared.settings import SurveySettings
from tests.helpers import assert_problem
from tests.surveys.conftest import BOARD, member_event

QUESTIONS = [
    {"key": "overall", "text": {"fa": "رضایت کلی", "tr": "Genel memnuniyet"}, "dissatisfaction_signal": True},
    {"key": "speed", "text": {"fa": "سرعت", "tr": "Hız"}},
    {"key": "recommend", "kind": "yes_no", "text": {"fa": "توصیه می‌کنید؟", "tr": "Tavsiye eder misiniz?"}},
]


@pytest.fixture
def summarised(app, clock) -> str:
    """A periodic round of four members, two answered, summarised at the end of its first working week."""
    app.state.roster.apply([member_event(f"m-{n}", f"12-{n}") for n in range(4)])
    office = app.state.office
    office.config = SurveySettings(min_responses=2)
    qid = office.create_questionnaire(code="weekly", title="weekly", questions=QUESTIONS)
    sid = office.plan_round(period="2026-H2", questionnaire=qid)
    office.set_timing(sid, starts_on=date(2026, 11, 21), ends_on=date(2027, 1, 15))
    office.record_meeting(sid, purpose="questions", held_on=date(2026, 11, 18), attendees=BOARD, minutes="set")
    office.start_survey(sid)
    office.record_response(sid, "12-0", answers={"overall": 4, "speed": 2, "recommend": True}, line="fixed")
    office.record_response(
        sid, "12-1", answers={"overall": 4, "speed": 2, "recommend": True}, line="fixed", dissatisfaction="slow"
    )
    clock.now = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)  # Thursday after closing: the first week is over
    assert office.record_weekly_summary(sid) is not None
    return str(sid)


def test_the_weekly_summary_as_json_names_each_question_and_complaint(client, headers, summarised):
    r = client.get(f"/surveys/{summarised}/summaries/2026-11-26?lang=tr", headers=headers["sg"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["responses"] == 2 and body["asked"] == 4 and body["response_rate"] == 50.0
    assert [(q["wording"], q["percentage"], q["below"]) for q in body["questions"]] == [
        ("Genel memnuniyet", 80.0, False),
        ("Hız", 40.0, True),
        ("Tavsiye eder misiniz?", 100.0, False),
    ]
    assert body["overall"] == 73.33 and body["overall_below"] is True and body["overall_threshold"] == 80
    assert sorted((c["kind"], c["detail"]) for c in body["complaints"]) == [
        ("member", "12-1"),
        ("overall", None),
        ("question", "Hız"),
    ]
    assert body["new_complaints"] == 3


def test_the_printable_page_in_persian_reads_right_to_left_with_persian_digits_and_solar_dates(
    client, headers, summarised
):
    r = client.get(f"/surveys/{summarised}/summaries/2026-11-26?format=html&lang=fa", headers=headers["president"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert 'dir="rtl"' in page and 'lang="fa"' in page
    assert "به: دبیرکل و رئیس اتاق" in page  # addressed to the SG and the president
    assert "۱۴۰۵/۰۹/۰۵" in page  # Thursday 26 November 2026 in the Solar Hijri calendar
    assert "۵۰٪" in page and "۴۰٪ (زیر آستانه)" in page and "۱۲-۱" in page  # the member's number too
    assert "ME-FR-02-01-01" in page and '"Vazirmatn"' in page  # the font list is not escaped inside <style>
    assert "@page { size: A4" in page


def test_the_printable_page_in_turkish_and_the_csv(client, headers, summarised):
    page = client.get(f"/surveys/{summarised}/summaries/2026-11-26?format=html&lang=tr", headers=headers["sg"]).text
    assert 'dir="ltr"' in page and "Genel Sekreter ve Oda Başkanı" in page and "26.11.2026" in page
    assert "%40 (eşiğin altında)" in page and "%50" in page
    r = client.get(f"/surveys/{summarised}/summaries/2026-11-26?format=csv", headers=headers["sg"])
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert ["response_rate", "50.0"] in rows and ["speed", "سرعت", "40.0", "True"] in rows


def test_a_week_without_a_summary_or_a_bad_date_is_a_problem(client, headers, summarised):
    assert_problem(client.get(f"/surveys/{summarised}/summaries/2026-11-19", headers=headers["sg"]), 404)
    assert_problem(client.get(f"/surveys/{summarised}/summaries/last-week", headers=headers["sg"]), 422)
    other = client.get(f"/surveys/{summarised}/summaries/2026-11-26?format=pdf", headers=headers["sg"])
    assert_problem(other, 422)
