"""The plan's upkeep: spending against activities and costs planned against spent; risk signals prompting
reviews; the yearly revision task on the injected clock; the printable report in Turkish and Persian."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI

from services.plan.domain.signals import load_signals
from services.plan.main import create_app
from shared.envelope import CloudEvent
from shared.errors import InvalidInput
from tests.helpers import assert_problem

FIXTURES = Path(__file__).parent / "fixtures"
SEED = FIXTURES / "strategic_plan_2024.tsv"
CARD = FIXTURES / "process_card_p23.txt"
TSV = {"Content-Type": "text/tab-separated-values"}
MEMBER_LOSS = "Üye sayısında düşüş"
INCENTIVES = "Teşvik ve desteklerden haberdar olamama"


@pytest.fixture
def app(settings, clock) -> FastAPI:
    return create_app(settings, clock=clock, relay=False)


@pytest.fixture
def planned(client, tokens, app):
    assert client.post("/plan/imports", content=SEED.read_bytes(), headers={**tokens["sg"], **TSV}).status_code == 201
    assert client.post("/plan/risks/imports", content=CARD.read_bytes(), headers={**tokens["sg"], **TSV}).is_success
    return client


def ended(n: int, at: datetime) -> CloudEvent:
    return CloudEvent(
        id=f"ended-{n}",
        source="/crm/members",
        type="crm.members.member.ended.v1",
        time=at.isoformat(),
        subject=f"m-{n}",
        sequence=3,
        position=n,
        data={},
    )


# -- costs --------------------------------------------------------------------------------------------------------
def test_spending_by_voucher_is_reported_against_the_planned_cost_per_target(planned, tokens):
    spend = {"activity": "F.2.1.1", "month": "2026-10", "amount": 450, "reference": "MHS-2026/311"}
    assert planned.post("/plan/spending", json=spend, headers=tokens["sg"]).status_code == 201
    assert planned.post("/plan/spending", json=spend, headers=tokens["sg"]).status_code == 200  # the same: nothing
    corrected = planned.post("/plan/spending", json={**spend, "amount": 480}, headers=tokens["other_manager"])
    assert corrected.status_code == 201 and corrected.json()["changed"] is True
    other = {**spend, "activity": "F.2.1.3", "amount": 16000, "reference": "MHS-2026/340", "month": "2026-11"}
    assert planned.post("/plan/spending", json=other, headers=tokens["sg"]).status_code == 201
    report = planned.get("/plan/costs", headers=tokens["auditor"]).json()
    target = next(t for t in report["targets"] if t["target"] == "2.1")
    # The rows' yearly cost lines: 500 + 2.500 + 15.000 + 3.000 + 6.000 (the second F.2.1.3) = 27.000.
    assert (target["planned_year"], target["spent"], target["remaining"]) == (27000, 16480, 10520)
    surveys = next(a for a in target["activities"] if a["activity"] == "F.2.1.1")
    # Marked every month on its cost line; the clock is in November: 10 of 12 months over.
    assert (surveys["spent"], surveys["planned_to_date"], surveys["spent_by_month"]) == (480, 416.67, {"10": 480})
    visits = next(a for a in target["activities"] if a["activity"] == "F.2.1.3")
    assert visits["remaining"] == -1000 and visits["share_spent"] == round(16000 / 15000, 4)  # overspent
    # The quarterly monitoring report carries them too: the third quarter counts spending up to September only.
    q4 = planned.get("/plan/reports/quarterly", params={"quarter": 4}, headers=tokens["sg"]).json()
    group = next(g for g in q4["groups"] if g["target"] == "2.1" and g["unit"] == "Genel Sekreter")
    assert (group["cost_year"], group["spent"]) == (15000, 16000)
    q3 = planned.get("/plan/reports/quarterly", params={"quarter": 3}, headers=tokens["sg"]).json()
    assert all(g["spent"] == 0 for g in q3["groups"])


def test_spending_that_cannot_be_is_refused_and_records_nothing(planned, tokens):
    spend = {"activity": "F.2.1.1", "month": "2026-10", "amount": 450, "reference": "MHS-1"}
    assert_problem(planned.post("/plan/spending", json={**spend, "activity": "F.9.9.9"}, headers=tokens["sg"]), 422)
    assert_problem(planned.post("/plan/spending", json={**spend, "amount": 0}, headers=tokens["sg"]), 422)
    assert_problem(planned.post("/plan/spending", json={**spend, "month": "2026-13"}, headers=tokens["sg"]), 422)
    assert all(t["spent"] == 0 for t in planned.get("/plan/costs", headers=tokens["sg"]).json()["targets"])


# -- risk signals -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[signal]]\nkey = "a"\nprocess = "P"\nrisk = "R"', "either event types or an activity"),
        ('[[signal]]\nkey = "a"\nprocess = "P"\nrisk = "R"\ntypes = ["members.ended"]', "no wire type"),
        ('[[signal]]\nkey = "a"\nprocess = "P"\nrisk = "R"\nactivity = "F.1"\nstatuses = ["late"]', "statuses"),
        ('[[signal]]\nkey = "a"\nrisk = "R"\nactivity = "F.1"', "give its process"),
        ('[[signal]]\nkey = "a"\nprocess = "P"\nrisk = "R"\ntypes = ["crm.a.b.c.v1"]\nlevel = 0', "level above 0"),
    ],
)
def test_a_mistaken_signals_file_is_refused_with_the_reason(text, message):
    with pytest.raises(InvalidInput, match=message):
        load_signals(text)


def test_member_losses_above_the_level_prompt_one_review_until_the_risk_is_reviewed(planned, tokens, app, clock):
    index, watch = app.state.index, app.state.watch
    risk = next(r for r in app.state.office.risks.register_as_of() if r["title"] == MEMBER_LOSS)
    index.apply_events([ended(n, clock() - timedelta(days=40)) for n in range(10)])  # outside the 30 days
    index.apply_events([ended(n, clock() - timedelta(days=n)) for n in range(10, 14)])  # four: below five
    assert watch.evaluate() == ["incentive-events-off-track"]  # the indicator's signal; four losses are no signal
    index.apply_events([ended(14, clock())])
    assert watch.evaluate() == ["member-losses"]
    status = {s["key"]: s for s in planned.get("/plan/risks/signals", headers=tokens["auditor"]).json()}
    losses = status["member-losses"]
    assert (losses["figure"], losses["level"], losses["reached"], losses["review_open"]) == (5, 5, True, True)
    assert losses["risk_id"] == risk["id"]
    assert status["unanswered-escalations"]["risk_id"] is None  # that risk is not in the seed's register
    assert "member-losses" not in watch.evaluate()  # still high, still open: no second prompt
    record = planned.get(f"/plan/risks/{risk['id']}", headers=tokens["auditor"]).json()
    assert record["review_due"] is True
    assert [r["signal"] for r in record["reviews"] if r["kind"] == "prompt"] == ["member-losses"]
    reviewed = planned.post(
        f"/plan/risks/{risk['id']}/review", json={"outcome": "seasonal; measures hold"}, headers=tokens["sg"]
    ).json()
    assert reviewed["review_due"] is False and reviewed["reviews"][-1]["signals"] == ["member-losses"]
    assert reviewed["score"] == risk["score"]  # reviewed, not re-scored
    assert watch.evaluate() == ["member-losses"]  # still above its level after the review: it prompts again
    planned.post(f"/plan/risks/{risk['id']}/score", json={"probability": 5, "severity": 5}, headers=tokens["sg"])
    assert planned.get(f"/plan/risks/{risk['id']}", headers=tokens["sg"]).json()["review_due"] is False


def test_an_indicator_off_track_prompts_a_review_of_its_risk(planned, tokens, app):
    # F.2.3.3 (incentive events, 2 this year, marked in March and September) has nothing recorded in November.
    assert "incentive-events-off-track" in app.state.watch.evaluate()
    risk = next(r for r in app.state.office.risks.register_as_of() if r["title"] == INCENTIVES)
    assert risk["review_due"] is True and risk["reviews"][0]["detail"] == "F.2.3.3 is off track this year"
    assert_problem(planned.post(f"/plan/risks/{risk['id']}/review", json={"outcome": ""}, headers=tokens["sg"]), 422)


# -- the yearly revision ------------------------------------------------------------------------------------------
def test_the_yearly_revision_opens_on_its_day_becomes_overdue_and_is_done_once(planned, tokens, app, clock):
    office = app.state.office
    # 21 November 2026, the service's first tick: the revision of 2026 is still owed, and late.
    assert office.revision_tick() == ["opened 2026", "overdue 2026"]
    clock.now = datetime(2026, 12, 31, 20, 0, tzinfo=UTC)
    assert office.revision_tick() == []
    clock.now = datetime(2027, 1, 1, 6, 0, tzinfo=UTC)
    assert office.revision_tick() == ["opened 2027"]
    assert office.revision_tick() == []
    clock.now = datetime(2027, 1, 31, 20, 0, tzinfo=UTC)
    assert office.revision_tick() == []  # due today: not overdue yet
    clock.now = datetime(2027, 2, 1, 6, 0, tzinfo=UTC)
    assert office.revision_tick() == ["overdue 2027"]
    risk = office.risks.register_as_of()[0]["id"]
    planned.post(f"/plan/risks/{risk}/score", json={"probability": 2, "severity": 4}, headers=tokens["sg"])
    done = planned.post("/plan/revisions/2027/complete", json={"note": "SWOT done"}, headers=tokens["sg"])
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "done"
    assert done.json()["done"] | {"at": None} == {
        "note": "SWOT done",
        "plan_version": 1,
        "risks_revisited": 1,
        "by": "sg",
        "at": None,
        "late": True,
    }
    again = planned.post("/plan/revisions/2027/complete", json={"note": "again"}, headers=tokens["sg"])
    assert_problem(again, 409)
    assert_problem(planned.post("/plan/revisions/2031/complete", json={"note": "x"}, headers=tokens["sg"]), 404)
    assert [(t["year"], t["state"]) for t in planned.get("/plan/revisions", headers=tokens["sg"]).json()] == [
        (2026, "overdue"),
        (2027, "done"),
    ]


# -- the printable report -----------------------------------------------------------------------------------------
def test_the_printable_report_is_persian_right_to_left_with_solar_hijri_dates_or_turkish(planned, tokens, app):
    app.state.office.risks.register_risk(
        process="P", title="<script>alert(1)</script>", probability=1, severity=2, by="sg"
    )
    fa = planned.get("/plan/reports/quarterly.html", params={"quarter": 4, "lang": "fa"}, headers=tokens["sg"])
    assert fa.status_code == 200 and fa.headers["content-type"].startswith("text/html")
    page = fa.text
    assert '<html lang="fa" dir="rtl">' in page
    assert "۱۴۰۵/۰۷/۰۹ – ۱۴۰۵/۱۰/۱۰" in page  # 1 October – 31 December 2026, Solar Hijri, Persian digits
    assert "&lt;script&gt;" in page and "<script>" not in page
    assert "گزارش پایش برنامه راهبردی" in page and "خارج از مسیر" in page
    tr = planned.get("/plan/reports/quarterly.html", params={"quarter": 4, "lang": "tr"}, headers=tokens["sg"]).text
    assert '<html lang="tr" dir="ltr">' in tr and "01.10.2026 – 31.12.2026" in tr
    assert "Üye Memnuniyet Ve Beklenti Anketi yapmak" in tr and "27.000" in tr  # target 2.1's planned cost
    rows = re.findall(r"<tr[^>]*>\s*<td><span dir=\"ltr\">F\.", tr)
    assert len(rows) == 64
    bad = planned.get("/plan/reports/quarterly.html", params={"quarter": 4, "lang": "en"}, headers=tokens["sg"])
    assert_problem(bad, 422)


# -- metrics ------------------------------------------------------------------------------------------------------
def test_metrics_export_every_figure_the_plan_dashboard_reads_with_its_labels(planned, tokens, app):
    from prometheus_client.parser import text_string_to_metric_families

    from tests.test_deploy import PLAN_METRICS

    spend = {"activity": "F.2.1.1", "month": "2026-10", "amount": 450, "reference": "MHS-1"}
    planned.post("/plan/spending", json=spend, headers=tokens["sg"])
    app.state.watch.evaluate()
    app.state.office.revision_tick()  # the 2026 revision: opened late, overdue
    text = planned.get("/metrics", headers=tokens["monitoring"]).text
    samples = {
        s.name: s
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name.startswith("crm_plan")
    }
    for name, labels in PLAN_METRICS.items():
        assert name in samples, f"/metrics has no {name}"
        assert set(samples[name].labels) == labels, name
    assert 'crm_plan_cost_spent{target="2.1"} 450.0' in text and 'crm_plan_cost_planned{target="2.1"} 27000.0' in text
    assert 'crm_plan_risk_reviews_due{band="2"} 1.0' in text  # the incentives risk, R 4 × 4 = 16: band 2
    assert "crm_plan_revision_overdue 1.0" in text
    assert 'crm_plan_activity_planned_to_date{activity="F.2.1.1",target="2.1"}' in text


def test_the_tick_opens_the_revision_even_when_the_signals_fail_and_does_not_stop(planned, app, caplog):
    from services.plan.main import tick

    class Broken:
        def evaluate(self):
            raise RuntimeError("a risk changed meanwhile")

    tick(app.state.office, Broken())  # type: ignore[arg-type]
    assert [t["year"] for t in app.state.office.revisions()] == [2026]
    assert "evaluating the risk signals failed" in caplog.text
