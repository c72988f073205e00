"""Reports: the weekly summary at the end of the chamber's working week (thresholds evaluated, new complaints
counted, once per week), the final report as JSON and CSV, the satisfaction trend as data and as an SVG chart, and
the Prometheus figures."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta

import pytest

from services.surveys.application import SurveyOffice
from services.surveys.reports import trend_svg, week_due, week_end_weekday
from shared.calendar import IRAN, TURKEY, BusinessCalendar
from shared.settings import SurveySettings
from tests.conftest import FakeClock
from tests.helpers import assert_problem
from tests.surveys.conftest import BOARD, member_event
from tests.surveys.test_domain import Roster
from tests.surveys.test_scores import QUESTIONS


def test_the_working_week_ends_on_thursday_in_iran_and_friday_in_turkey():
    assert week_end_weekday(BusinessCalendar(IRAN)) == 3
    assert week_end_weekday(BusinessCalendar(TURKEY)) == 4


def test_the_week_due_is_the_last_one_whose_closing_day_has_ended():
    iran = BusinessCalendar(IRAN)
    # Thursday 26 November 2026 at 10:00 in Tehran: this week's Thursday has not ended; the week before has.
    assert week_due(iran, datetime(2026, 11, 26, 6, 30, tzinfo=UTC)) == date(2026, 11, 19)
    # Thursday at 13:00 in Tehran (after 12:00 closing): this week is over.
    assert week_due(iran, datetime(2026, 11, 26, 9, 30, tzinfo=UTC)) == date(2026, 11, 26)
    assert week_due(iran, datetime(2026, 11, 28, 6, 0, tzinfo=UTC)) == date(2026, 11, 26)  # Saturday


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 21, 7, 0, tzinfo=UTC))  # Saturday


def round_of(office: SurveyOffice, period: str, qid) -> str:
    sid = office.plan_round(period=period, questionnaire=qid)
    office.set_timing(sid, starts_on=date(2026, 11, 21), ends_on=date(2027, 1, 15))
    office.record_meeting(sid, purpose="questions", held_on=date(2026, 11, 18), attendees=BOARD, minutes="set")
    office.start_survey(sid)
    return str(sid)


def test_the_weekly_summary_is_recorded_once_after_the_week_ends_and_evaluates_the_thresholds(clock):
    office = SurveyOffice(
        roster=Roster([str(n) for n in range(4)]), clock=clock, config=SurveySettings(min_responses=2)
    )
    qid = office.create_questionnaire(code="p", title="p", questions=QUESTIONS)
    sid = round_of(office, "2026-H2", qid)
    for n in range(2):
        office.record_response(sid, str(n), answers={"overall": 3, "recommend": True, "speed": 2}, line="fixed")
    # Saturday: the week that ended last Thursday ended before the round started: nothing to summarise.
    assert office.record_weekly_summary(sid) is None
    clock.now = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)  # Thursday after closing: the round's first week is over
    first = office.record_weekly_summary(sid)
    assert first is not None and first["week_ending"] == "2026-11-26"
    assert office.record_weekly_summary(sid) is None  # once per week
    assert first["responses"] == 2 and first["asked"] == 4 and first["response_rate"] == 50.0
    assert first["questions"] == {"overall": 60.0, "recommend": 100.0, "speed": 40.0}
    assert sorted(first["complaint_refs"]) == [  # overall score 66.67%: below 80% too
        f"surveys:{sid}:overall:below_threshold",
        f"surveys:{sid}:question:overall:below_threshold",
        f"surveys:{sid}:question:speed:below_threshold",
    ]
    clock.now = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)  # the next Thursday after closing
    second = office.record_weekly_summary(sid)
    assert second["week_ending"] == "2026-12-03" and second["new_complaints"] == 0  # none raised twice
    assert [s["week_ending"] for s in office.summaries(sid)] == ["2026-11-26", "2026-12-03"]


def test_the_trend_takes_each_periodic_round_up_to_this_one(clock):
    office = SurveyOffice(roster=Roster(["1", "2"]), clock=clock)
    qid = office.create_questionnaire(code="p", title="p", questions=QUESTIONS)
    first = round_of(office, "2026-H1", qid)
    office.record_response(first, "1", answers={"overall": 5, "recommend": True}, line="fixed")
    office.close_survey(first)
    second = round_of(office, "2026-H2", qid)
    office.record_response(second, "1", answers={"overall": 3, "recommend": True}, line="fixed")
    trend = office.trend(second)
    assert [t["period"] for t in trend] == ["2026-H1", "2026-H2"]
    assert [t["questions"]["overall"] for t in trend] == [100.0, 60.0] and trend[1]["overall"] == 80.0
    assert [t["period"] for t in office.trend(first)] == ["2026-H1"]
    svg = ET.fromstring(trend_svg(trend))
    assert svg.tag.endswith("svg") and len(svg.findall("{http://www.w3.org/2000/svg}polyline")) == 3


def test_the_final_report_over_http_as_json_and_csv(app, client, headers, project):
    app.state.roster.apply(
        [member_event("a", "12-1", trade_group="carpets"), member_event("b", "12-2", trade_group="textiles")]
    )
    client.post(
        f"/surveys/{project}/members", json={"numbers": ["12-1", "12-2", "12-3"]}, headers=headers["unit_manager"]
    )
    client.post(f"/surveys/{project}/members/approve", headers=headers["mr_manager"])
    client.post(f"/surveys/{project}/start", headers=headers["mr_manager"])
    url = f"/surveys/{project}/contacts"
    client.post(
        f"{url}/12-1/response",
        json={"line": "fixed", "answers": {"overall": 5, "recommend": True, "comments": "great"}},
        headers=headers["expert"],
    )
    client.post(
        f"{url}/12-2/response",
        json={"line": "fixed", "answers": {"overall": 3, "recommend": False}},
        headers=headers["expert"],
    )
    client.post(f"{url}/12-3/attempts", json={"line": "fixed", "outcome": "declined"}, headers=headers["expert"])
    client.post(f"/surveys/{project}/close", headers=headers["mr_manager"])
    report = client.get(f"/surveys/{project}/report", headers=headers["unit_manager"])
    assert report.status_code == 200, report.text
    body = report.json()
    overall = next(q for q in body["questions"] if q["key"] == "overall")
    assert overall["n"] == 2 and overall["mean"] == 4.0 and overall["sd"] == 1.0 and overall["percentage"] == 80.0
    assert body["rates"]["response_rate"] == 66.67 and body["rates"]["reach_rate"] == 100.0
    assert set(body["by_trade_group"]) == {"carpets", "textiles"} and body["by_channel"]["phone"]["responses"] == 2
    assert body["strengths"][0] == "overall" and body["weaknesses"][0] == "recommend"
    assert [s["question"] for s in body["suggested_actions"]] == ["recommend"]
    assert body["comments"] == ["great"] and len(body["trend"]) == 1
    assert f"surveys:{project}:member:12-2:dissatisfied" in body["complaints"]  # 50%: below the respondent threshold
    csv = client.get(f"/surveys/{project}/report", params={"format": "csv"}, headers=headers["unit_manager"])
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.splitlines()
    assert lines[0] == "question,kind,n,mean,sd,percentage,distribution"
    assert lines[1].startswith("overall,scale,2,4.0,1.0,80.0,1:0 2:0 3:1 4:0 5:1")
    chart = client.get(f"/surveys/{project}/trend.svg", headers=headers["sg"])
    assert chart.headers["content-type"] == "image/svg+xml" and chart.text.startswith("<svg")
    assert client.get(f"/surveys/{project}/report", headers=headers["other_manager"]).status_code == 403


def test_weekly_summaries_through_the_internal_door_and_the_metrics(app, client, clock, headers, project):
    client.post(f"/surveys/{project}/members", json={"numbers": ["12-1", "12-2"]}, headers=headers["unit_manager"])
    client.post(f"/surveys/{project}/members/approve", headers=headers["mr_manager"])
    client.post(f"/surveys/{project}/start", headers=headers["mr_manager"])
    client.post(
        f"/surveys/{project}/contacts/12-1/attempts",
        json={"line": "fixed", "outcome": "busy"},
        headers=headers["expert"],
    )
    client.post(
        f"/surveys/{project}/contacts/12-2/response",
        json={"line": "fixed", "answers": {"overall": 4}},
        headers=headers["expert"],
    )
    assert client.post("/internal/surveys/weekly-summaries", headers=headers["service"]).json() == []
    clock.now = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)  # Thursday after closing: the first week is over
    done = client.post("/internal/surveys/weekly-summaries", headers=headers["service"])
    assert done.status_code == 200 and [s["survey_id"] for s in done.json()] == [project]
    assert client.post("/internal/surveys/weekly-summaries", headers=headers["service"]).json() == []
    summaries = client.get(f"/surveys/{project}/summaries", headers=headers["sg"]).json()
    assert summaries[0]["responses"] == 1 and summaries[0]["response_rate"] == 50.0
    metrics = client.get("/metrics", headers=headers["monitoring"]).text
    assert f'crm_survey_responses{{kind="project",survey="{project}"}} 1.0' in metrics
    assert f'crm_survey_satisfaction_percent{{question="overall",survey="{project}"}} 80.0' in metrics
    assert f'crm_survey_contact_attempts{{survey="{project}"}} 2.0' in metrics


def test_the_metrics_give_each_rounds_scores_and_the_complaints_by_reason(clock, tmp_path):
    from services.surveys.calllist import CallList
    from services.surveys.index import SurveyIndex
    from services.surveys.metrics import SurveyCollector
    from shared.db import create_engine

    office = SurveyOffice(roster=Roster(["1", "2"]), clock=clock, config=SurveySettings(min_responses=1))
    engine = create_engine(f"sqlite:///{tmp_path / 'index.db'}")
    index = SurveyIndex(office, engine)
    office.responses, office.complaint_log, office.running = index.responses_of, index.complaint_log, index.running_ids
    collector = SurveyCollector(office, index, CallList(engine, clock, 30, index.catch_up))
    qid = office.create_questionnaire(code="p", title="p", questions=QUESTIONS)
    first = round_of(office, "2026-H1", qid)
    office.record_response(first, "1", answers={"overall": 5, "recommend": True}, line="fixed")
    office.close_survey(first)
    second = round_of(office, "2026-H2", qid)
    office.record_response(second, "1", answers={"overall": 2, "recommend": True}, line="fixed")
    office.record_response(
        second, "2", answers={"overall": 3, "recommend": False}, line="fixed", dissatisfaction="late cards"
    )
    office.evaluate_thresholds(second)

    def samples(name: str) -> dict[tuple, float]:
        family = next(m for m in collector.collect() if m.name == name)
        return {tuple(sorted(s.labels.items())): s.value for s in family.samples}

    trend = samples("crm_survey_round_satisfaction_percent")
    assert trend[(("period", "2026-H1"), ("question", "overall"))] == 100.0  # closed: still given
    assert trend[(("period", "2026-H2"), ("question", "overall"))] == 50.0  # overall 50%, recommend 50%
    assert trend[(("period", "2026-H2"), ("question", "recommend"))] == 50.0
    opened = samples("crm_survey_complaints_opened")
    assert opened == {  # the dissatisfied member; the overall question under 70%; the overall score under 80%
        (("reason", "member"), ("survey", "2026-H2")): 1,
        (("reason", "question"), ("survey", "2026-H2")): 2,
        (("reason", "overall"), ("survey", "2026-H2")): 1,
    }


def test_summaries_scores_and_the_trend_as_of_a_past_moment_are_byte_for_byte_what_they_showed(
    app, client, clock, headers, project
):
    client.post(f"/surveys/{project}/members", json={"numbers": ["12-1", "12-2"]}, headers=headers["unit_manager"])
    client.post(f"/surveys/{project}/members/approve", headers=headers["mr_manager"])
    client.post(f"/surveys/{project}/start", headers=headers["mr_manager"])
    url = f"/surveys/{project}/contacts"
    answer = {"line": "fixed", "answers": {"overall": 4}}
    assert client.post(f"{url}/12-2/response", json=answer, headers=headers["expert"]).status_code < 300
    clock.now = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)  # Thursday after closing: the first week is over
    assert len(client.post("/internal/surveys/weekly-summaries", headers=headers["service"]).json()) == 1
    asked = [
        f"/surveys/{project}/summaries",
        f"/surveys/{project}/summaries/2026-11-26",
        f"/surveys/{project}/summaries/2026-11-26?format=csv",
        f"/surveys/{project}/scores",
        f"/surveys/{project}/trend.svg",
    ]
    then = clock.now
    stored = {}
    for path in asked:
        response = client.get(path, headers=headers["sg"])
        assert response.status_code == 200, (path, response.text)
        stored[path] = response.content

    # The next week: another answer and the next summary.
    clock.now = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
    answer = {"line": "fixed", "answers": {"overall": 2}}
    assert client.post(f"{url}/12-1/response", json=answer, headers=headers["expert"]).status_code < 300
    assert len(client.post("/internal/surveys/weekly-summaries", headers=headers["service"]).json()) == 1
    assert len(client.get(f"/surveys/{project}/summaries", headers=headers["sg"]).json()) == 2
    assert client.get(f"/surveys/{project}/scores", headers=headers["sg"]).json()["responses"] == 2
    assert client.get(f"/surveys/{project}/trend.svg", headers=headers["sg"]).content != stored[asked[-1]]

    for path in asked:
        sep = "&" if "?" in path else "?"
        response = client.get(f"{path}{sep}as_of={then.isoformat().replace('+', '%2B')}", headers=headers["sg"])
        assert response.status_code == 200, (path, response.text)
        assert response.content == stored[path], path
    # A summary not yet recorded then is not found then; before the survey was requested, neither is the survey.
    week_two = client.get(
        f"/surveys/{project}/summaries/2026-12-03", params={"as_of": then.isoformat()}, headers=headers["sg"]
    )
    assert week_two.status_code == 404
    assert (
        client.get(f"/surveys/{project}/summaries", params={"as_of": "2026-01-01"}, headers=headers["sg"]).status_code
        == 404
    )


def test_the_final_report_as_of_a_past_moment_is_byte_for_byte_what_it_showed_then(
    app, client, clock, headers, project
):
    app.state.roster.apply(
        [member_event("a", "12-1", trade_group="carpets"), member_event("b", "12-2", trade_group="textiles")]
    )
    client.post(
        f"/surveys/{project}/members", json={"numbers": ["12-1", "12-2", "12-3"]}, headers=headers["unit_manager"]
    )
    client.post(f"/surveys/{project}/members/approve", headers=headers["mr_manager"])
    client.post(f"/surveys/{project}/start", headers=headers["mr_manager"])
    url = f"/surveys/{project}/contacts"
    answer = {"line": "fixed", "answers": {"overall": 5, "recommend": True, "comments": "great"}}
    assert client.post(f"{url}/12-1/response", json=answer, headers=headers["expert"]).status_code < 300
    declined = {"line": "fixed", "outcome": "declined"}
    assert client.post(f"{url}/12-3/attempts", json=declined, headers=headers["expert"]).status_code < 300
    asked = [f"/surveys/{project}/report", f"/surveys/{project}/report?format=csv"]
    then = clock.now
    stored = {}
    for path in asked:
        response = client.get(path, headers=headers["sg"])
        assert response.status_code == 200, (path, response.text)
        stored[path] = response.content

    # Two days on: a dissatisfied answer (a complaint), then the survey closes.
    clock.now = then + timedelta(days=2)
    answer = {"line": "fixed", "answers": {"overall": 2, "recommend": False}}
    assert client.post(f"{url}/12-2/response", json=answer, headers=headers["expert"]).status_code < 300
    assert client.post(f"/surveys/{project}/close", headers=headers["mr_manager"]).status_code < 300
    now = client.get(asked[0], headers=headers["sg"]).json()
    assert now["survey"]["stage"] == "closed" and f"surveys:{project}:member:12-2:dissatisfied" in now["complaints"]
    assert client.get(asked[1], headers=headers["sg"]).content != stored[asked[1]]

    moment = then.isoformat().replace("+", "%2B")
    for path in asked:
        sep = "&" if "?" in path else "?"
        response = client.get(f"{path}{sep}as_of={moment}", headers=headers["sg"])
        assert response.status_code == 200, (path, response.text)
        assert response.content == stored[path], path
    before = client.get(asked[0], params={"as_of": "2026-01-01"}, headers=headers["sg"])
    assert before.status_code == 404


def test_survey_reports_as_of_a_moment_to_come_or_unreadable_are_refused(client, clock, headers, project):
    later = (clock.now + timedelta(minutes=1)).isoformat()
    for path in ("summaries", "scores", "trend.svg", "report"):
        url = f"/surveys/{project}/{path}"
        assert_problem(client.get(url, params={"as_of": later}, headers=headers["sg"]), 422, "still to come")
        assert_problem(client.get(url, params={"as_of": "someday"}, headers=headers["sg"]), 422, "as_of")
