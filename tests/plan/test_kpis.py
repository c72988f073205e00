"""KPIs of the strategic plan: the bindings data file, what an event measures, actuals per activity per month
(deduplicated by event id), manual entries with evidence, misses, projections with their status, and the
quarterly monitoring report (JSON, CSV)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI

from services.plan.domain.kpi import Binding, load_bindings, measure, progress
from services.plan.main import BINDINGS, create_app
from shared.envelope import CloudEvent
from shared.errors import InvalidInput
from tests.helpers import assert_problem

SEED = Path(__file__).parent / "fixtures" / "strategic_plan_2024.tsv"
TSV = {"Content-Type": "text/tab-separated-values"}
SESSION_MINUTES = "crm.desks.session.minutes_archived.v1"
DESK_MINUTES = "crm.desks.desk.minutes_step_recorded.v1"


def event(event_id: str, type_: str, time: str, **data) -> CloudEvent:
    return CloudEvent(
        id=event_id, source="/crm/x", type=type_, time=time, subject="s", sequence=1, position=1, data=data
    )


def activity(months: list[int], year: int | None) -> dict:
    return {
        "key": "F.9.9.9",
        "title": "t",
        "target": "9.9",
        "unit": "u",
        "indicator": "i",
        "year": year,
        "months": months,
    }


# -- bindings -----------------------------------------------------------------------------------------------------
def test_the_seed_s_crm_measured_activities_are_bound_out_of_the_box():
    bindings = load_bindings(BINDINGS.read_text(encoding="utf-8"))
    assert {"F.2.1.1", "F.2.1.2", "F.2.1.3", "F.2.1.4", "F.2.2.1"} <= set(bindings)
    improvements = bindings["F.2.1.2"]
    assert improvements.types == ("crm.actions.corrective_action.opened.v1",)
    assert improvements.where == {"source_kind": "survey"}
    assert bindings["F.2.1.3"].kind == "manual" and bindings["F.2.1.3"].evidence.startswith("F.12")


def test_meetings_are_counted_when_their_minutes_are_archived_a_desk_s_only_at_that_step():
    meetings = load_bindings(BINDINGS.read_text(encoding="utf-8"))["F.2.2.1"]
    assert measure(meetings, SESSION_MINUTES, {"form": "MM-FR-03-06-02"}, "2026-10-20T08:00Z") == ("2026-10", 1, None)
    assert measure(meetings, DESK_MINUTES, {"step": "archived"}, "2026-11-02T08:00Z") == ("2026-11", 1.0, None)
    assert measure(meetings, DESK_MINUTES, {"step": "reviewed"}, "2026-11-02T08:00Z") is None
    assert measure(meetings, DESK_MINUTES, {"step": "sent"}, "2026-11-02T08:00Z") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[binding]]\nactivity = "F.1"\nkind = "guess"', "kind is events or manual"),
        ('[[binding]]\nactivity = "F.1"\nkind = "events"', "name the event types"),
        ('[[binding]]\nactivity = "F.1"\nkind = "events"\ntypes = ["surveys.closed"]', "no wire type"),
        (
            '[[binding]]\nactivity = "F.1"\nkind = "events"\ntypes = ["crm.a.b.c.v1"]\naggregation = "avg"',
            "aggregation",
        ),
        ("[[binding]\n", "KPI bindings"),
        (
            '[[binding]]\nactivity = "F.1"\nkind = "events"\ntypes = ["crm.a.b.c.v1"]\n'
            'type_where = { "crm.a.b.d.v1" = { step = "x" } }',
            "not in types",
        ),
    ],
)
def test_a_mistaken_bindings_file_is_refused_with_the_reason(text, message):
    with pytest.raises(InvalidInput, match=message):
        load_bindings(text)


def test_an_event_counts_only_when_its_type_and_filter_match_and_in_its_month():
    b = Binding(
        "F.2.1.2", "events", types=("crm.actions.corrective_action.opened.v1",), where={"source_kind": "survey"}
    )
    opened = "crm.actions.corrective_action.opened.v1"
    assert measure(b, opened, {"source_kind": "survey"}, "2026-10-31T23:00:00Z") == ("2026-10", 1.0, None)
    assert measure(b, opened, {"source_kind": "complaint"}, "2026-10-31T23:00:00Z") is None
    assert measure(b, "crm.actions.corrective_action.done.v1", {"source_kind": "survey"}, "2026-10-01") is None


def test_sum_and_distinct_aggregations_read_the_named_field():
    summed = Binding("F", "events", types=("crm.a.b.c.v1",), aggregation="sum:attendees")
    distinct = Binding("F", "events", types=("crm.a.b.c.v1",), aggregation="distinct:member_id", at="held_on")
    assert measure(summed, "crm.a.b.c.v1", {"attendees": 12}, "2026-03-02") == ("2026-03", 12.0, None)
    assert measure(summed, "crm.a.b.c.v1", {"attendees": "many"}, "2026-03-02") is None
    found = measure(distinct, "crm.a.b.c.v1", {"member_id": "M-7", "held_on": "2026-04-30"}, "2026-05-02")
    assert found == ("2026-04", 1.0, "M-7")


# -- the rules ----------------------------------------------------------------------------------------------------
def test_a_marked_month_over_with_nothing_recorded_is_a_miss_and_the_running_month_is_not():
    p = progress(activity([1, 2, 3, 4], 4), {1: 1.0, 3: 2.0}, year_over=3)
    assert p["misses"] == [2]
    assert progress(activity([1, 2, 3, 4], 4), {1: 1.0, 3: 2.0}, year_over=3)["schedule"] == [1, 2, 3, 4]


def test_the_projection_adds_the_pace_so_far_for_each_marked_month_to_come():
    # 3 done over 3 marked months (pace 1), 9 marked months to come: 3 + 9 = 12 against a target of 12.
    p = progress(activity(list(range(1, 13)), 12), {1: 1.0, 2: 1.0, 3: 1.0}, year_over=3)
    assert (p["actual"], p["projection"], p["status"]) == (3, 12, "on track")
    # 2 done (pace 2/3), 9 to come: 2 + 6 = 8, below 80% of 12 (9.6): off track.
    assert progress(activity(list(range(1, 13)), 12), {1: 1.0, 3: 1.0}, year_over=3)["status"] == "off track"
    # 10 of 12 projected: at least 80%, at risk.
    p = progress(activity([1, 2, 3, 4, 5, 6], 12), {1: 2.0, 2: 2.0, 3: 1.0}, year_over=3)
    assert (p["projection"], p["status"]) == (10, "at risk")


def test_before_any_marked_month_is_over_the_plan_s_own_pace_is_assumed():
    p = progress(activity([10, 11, 12], 3), {}, year_over=6)
    assert (p["projection"], p["status"], p["misses"]) == (3, "on track", [])


def test_an_activity_without_a_target_this_year_has_no_status():
    assert progress(activity([1], None), {}, year_over=12)["status"] == "no target"


# -- over HTTP, with the index ------------------------------------------------------------------------------------
@pytest.fixture
def app(settings, clock) -> FastAPI:
    return create_app(settings, clock=clock, relay=False)


@pytest.fixture
def planned(client, tokens):
    assert client.post("/plan/imports", content=SEED.read_bytes(), headers={**tokens["sg"], **TSV}).status_code == 201
    return client


def test_actuals_from_events_and_manual_entries_move_the_progress_and_a_replay_counts_nothing(planned, tokens, app):
    client = planned
    opened = "crm.actions.corrective_action.opened.v1"
    events = [
        event("e-1", opened, "2026-01-15T08:00:00Z", source_kind="survey"),
        event("e-2", opened, "2026-02-03T08:00:00Z", source_kind="survey"),
        event("e-3", opened, "2026-02-04T08:00:00Z", source_kind="complaint"),
    ]
    assert app.state.index.apply_events(events) == 2
    assert app.state.index.apply_events(events) == 0  # the same records again: nothing more
    entry = {"activity": "F.2.1.3", "month": "2026-10", "value": 14, "evidence": "F.12 Görüşme Formu 2026/10"}
    assert client.post("/plan/actuals", json=entry, headers=tokens["other_manager"]).status_code == 201
    assert client.post("/plan/actuals", json=entry, headers=tokens["other_manager"]).status_code == 200
    assert client.post("/plan/actuals", json={**entry, "value": 15}, headers=tokens["sg"]).json()["changed"] is True
    rows = {r["activity"]: r for r in client.get("/plan/progress", headers=tokens["auditor"]).json()["activities"]}
    improvements = rows["F.2.1.2"]  # target 2 this year, marked every month (from the cost line)
    assert improvements["actual_by_month"] == {"1": 1.0, "2": 1.0}
    assert improvements["misses"] == [3, 4, 5, 6, 7, 8, 9, 10]  # the clock is in November: Oct is over, Nov not
    assert improvements["binding"] == "events"
    assert rows["F.2.1.3"]["actual"] == 15 and rows["F.2.1.3"]["binding"] == "manual"


def test_an_activity_measured_from_events_is_not_entered_by_hand(planned, tokens):
    entry = {"activity": "F.2.1.2", "month": "2026-10", "value": 1, "evidence": "F.06"}
    assert_problem(planned.post("/plan/actuals", json=entry, headers=tokens["sg"]), 409, "measured from the CRM")
    assert_problem(planned.post("/plan/actuals", json={**entry, "activity": "F.9.9.9"}, headers=tokens["sg"]), 422)
    assert_problem(planned.post("/plan/actuals", json={**entry, "month": "2026-13"}, headers=tokens["sg"]), 422)


def test_the_quarterly_report_groups_by_target_and_unit_in_json_and_csv(planned, tokens, app):
    app.state.index.apply_events(
        [
            event("m-1", SESSION_MINUTES, "2026-10-20T08:00:00Z"),
            event("m-2", DESK_MINUTES, "2026-11-02T08:00:00Z", step="archived"),
            event("m-3", DESK_MINUTES, "2026-11-01T08:00:00Z", step="sent"),  # the same desk, not yet held to count
        ]
    )
    report = planned.get("/plan/reports/quarterly", params={"quarter": 4}, headers=tokens["sg"]).json()
    assert (report["year"], report["quarter"], report["plan_version"]) == (2026, 4, 1)
    group = next(g for g in report["groups"] if g["target"] == "2.2" and g["unit"] == "Genel Sekreter")
    meetings = next(r for r in group["activities"] if r["activity"] == "F.2.2.1")
    # Marked Oct-Dec; October is over and has a session, November is running: no miss; 2 done against 1.
    assert (meetings["actual_in_quarter"], meetings["misses_in_quarter"], meetings["status"]) == (2, [], "on track")
    first = planned.get(
        "/plan/reports/quarterly", params={"quarter": 1, "unit": "Genel Sekreter"}, headers=tokens["sg"]
    ).json()
    assert {g["unit"] for g in first["groups"]} == {"Genel Sekreter"}
    response = planned.get("/plan/reports/quarterly", params={"quarter": 4, "format": "csv"}, headers=tokens["sg"])
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 64
    f221 = next(r for r in rows if r["activity"] == "F.2.2.1")
    assert (f221["target"], f221["actual_in_quarter"], f221["status"], f221["binding"]) == (
        "2.2",
        "2.0",
        "on track",
        "events",
    )


def test_a_quarter_outside_one_to_four_is_422(planned, tokens):
    assert_problem(planned.get("/plan/reports/quarterly", params={"quarter": 5}, headers=tokens["sg"]), 422)


def test_metrics_show_activities_by_status_bound_activities_and_risks_by_band(planned, tokens, app):
    app.state.index.apply_events([event("m-1", SESSION_MINUTES, "2026-10-20T08:00:00Z")])
    app.state.office.risks.register_risk(process="P", title="R", probability=4, severity=5, by="sg")
    text = planned.get("/metrics", headers=tokens["monitoring"]).text
    assert 'crm_plan_activity_actual{activity="F.2.2.1",target="2.2"} 1.0' in text
    assert 'crm_plan_activity_year_target{activity="F.2.1.1",target="2.1"} 1.0' in text
    assert 'crm_plan_risks{band="1"} 1.0' in text
    statuses = [line for line in text.splitlines() if line.startswith("crm_plan_activities{")]
    assert sum(float(line.rsplit(" ", 1)[1]) for line in statuses) == 64


def test_progress_and_the_quarterly_report_as_of_a_past_moment_are_byte_for_byte_what_they_showed(
    planned, tokens, app, clock
):
    client = planned
    opened = "crm.actions.corrective_action.opened.v1"
    app.state.index.apply_events([event("e-1", opened, "2026-01-15T08:00:00Z", source_kind="survey")])
    app.state.index.apply_events([event("m-1", SESSION_MINUTES, "2026-10-20T08:00:00Z")])
    entry = {"activity": "F.2.1.3", "month": "2026-10", "value": 14, "evidence": "F.12 Görüşme Formu 2026/10"}
    assert client.post("/plan/actuals", json=entry, headers=tokens["sg"]).status_code == 201
    asked = [
        ("/plan/progress", {}),
        ("/plan/reports/quarterly", {"quarter": 4}),
        ("/plan/reports/quarterly", {"quarter": 4, "format": "csv"}),
    ]
    then = clock.now
    stored = {}
    for path, params in asked:
        response = client.get(path, params=params, headers=tokens["sg"])
        assert response.status_code == 200, response.text
        stored[(path, tuple(params.items()))] = response.content

    # A month later: another survey action, another meeting, the October figure corrected.
    clock.advance(days=30)
    app.state.index.apply_events([event("e-2", opened, "2026-12-03T08:00:00Z", source_kind="survey")])
    app.state.index.apply_events([event("m-2", SESSION_MINUTES, "2026-12-01T08:00:00Z")])
    assert client.post("/plan/actuals", json={**entry, "value": 15}, headers=tokens["sg"]).json()["changed"] is True
    rows = {r["activity"]: r for r in client.get("/plan/progress", headers=tokens["sg"]).json()["activities"]}
    assert rows["F.2.1.3"]["actual"] == 15 and rows["F.2.1.2"]["actual_by_month"] == {"1": 1.0, "12": 1.0}
    assert client.get("/plan/progress", headers=tokens["sg"]).content != stored[("/plan/progress", ())]

    for path, params in asked:
        response = client.get(path, params={**params, "as_of": then.isoformat()}, headers=tokens["sg"])
        assert response.status_code == 200, response.text
        assert response.content == stored[(path, tuple(params.items()))], path


def test_kpi_reports_as_of_a_moment_to_come_unreadable_or_before_the_plan_are_refused(client, tokens, clock):
    later = (clock.now + timedelta(seconds=1)).isoformat()
    for path, params in (("/plan/progress", {}), ("/plan/reports/quarterly", {"quarter": 1}), ("/plan/risks", {})):
        for bad, says in ((later, "still to come"), ("1405/13/01", "as_of")):
            assert_problem(client.get(path, params={**params, "as_of": bad}, headers=tokens["sg"]), 422, says)
    # Before any plan was imported there was nothing to report on.
    assert client.post("/plan/imports", content=SEED.read_bytes(), headers={**tokens["sg"], **TSV}).status_code == 201
    assert_problem(client.get("/plan/progress", params={"as_of": "2026-11-01"}, headers=tokens["sg"]), 404)
