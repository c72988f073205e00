"""The plan service over HTTP: importing the seed's export, versions, the cross-check, problem+json errors."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI

from services.plan.main import create_app
from tests.helpers import assert_problem

SEED = Path(__file__).parent / "fixtures" / "strategic_plan_2024.tsv"
TSV = {"Content-Type": "text/tab-separated-values; charset=utf-8"}


@pytest.fixture
def app(settings, clock) -> FastAPI:
    return create_app(settings, clock=clock, relay=False)


def post_plan(client, tokens, body: bytes, who: str = "sg", **params):
    return client.post("/plan/imports", content=body, headers={**tokens[who], **TSV}, params=params)


def test_the_seed_imports_as_version_one_with_its_findings(client, tokens):
    response = post_plan(client, tokens, SEED.read_bytes(), source_name="001.tsv")
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["version"], body["created"]) == (1, True)
    mismatches = [(f["target"], f["figure"], f["line"]) for f in body["findings"] if f["kind"] == "total_mismatch"]
    assert len(mismatches) == 15 and mismatches[0] == ("1.2", "activities_four_year", 37)
    plan = client.get("/plan", headers=tokens["expert"]).json()
    assert (plan["number"], plan["source_name"], plan["by"], plan["year"]) == (1, "001.tsv", "sg", 2024)
    assert plan["at"].startswith("2026-11-21T07:00")
    assert len(plan["content"]["activities"]) == 64


def test_importing_the_same_file_again_answers_200_and_records_nothing(client, tokens):
    post_plan(client, tokens, SEED.read_bytes())
    again = post_plan(client, tokens, SEED.read_bytes(), who="mr_manager")
    assert again.status_code == 200 and again.json()["created"] is False
    assert len(client.get("/plan/history", headers=tokens["auditor"]).json()) == 1


def test_a_revised_file_is_version_two_and_version_one_stays_readable(client, tokens, clock):
    post_plan(client, tokens, SEED.read_bytes())
    clock.advance(days=30)
    revised = SEED.read_text(encoding="utf-8").replace("F.2.1.3 En Çok", "F.2.1.5 En Çok").encode()
    response = post_plan(client, tokens, revised, who="mr_manager")
    assert response.status_code == 201 and response.json()["version"] == 2
    versions = client.get("/plan/versions", headers=tokens["sg"]).json()
    assert [(v["number"], v["by"], v["in_force"]) for v in versions] == [(1, "sg", False), (2, "m.karimi", True)]
    old = client.get("/plan/check", params={"version": 1}, headers=tokens["sg"]).json()
    new = client.get("/plan/check", headers=tokens["sg"]).json()
    assert [f["code"] for f in old if f["kind"] == "duplicate_code"] == ["F.2.1.3", "F.1.3.2"]
    assert [f["code"] for f in new if f["kind"] == "duplicate_code"] == ["F.1.3.2"]
    assert client.get("/plan/versions/1", headers=tokens["sg"]).json()["in_force"] is False


def test_before_any_import_the_plan_is_404(client, tokens):
    assert_problem(client.get("/plan", headers=tokens["sg"]), 404, "no strategic plan")
    assert_problem(client.get("/plan/check", headers=tokens["sg"]), 404)


def test_an_unknown_version_is_404(client, tokens):
    post_plan(client, tokens, SEED.read_bytes())
    assert_problem(client.get("/plan/versions/7", headers=tokens["sg"]), 404, "no version 7")


def test_a_file_that_is_no_plan_is_422_and_nothing_is_recorded(client, tokens):
    assert_problem(post_plan(client, tokens, b"name,phone\nAli,0913\n"), 422, "no activity")
    assert_problem(post_plan(client, tokens, b"\xff\xfe\x00\x00" * 10), 422)
    assert_problem(client.get("/plan", headers=tokens["sg"]), 404)


def test_a_file_past_the_size_limit_is_413(client, tokens, app):
    limit = app.state.plan_settings.max_file_bytes
    assert_problem(post_plan(client, tokens, b"x" * (limit + 1)), 413)


def test_an_expert_may_read_the_plan_but_not_import_it(client, tokens):
    assert_problem(post_plan(client, tokens, SEED.read_bytes(), who="expert"), 403)


# -- the risk register ------------------------------------------------------------------------------------------
CARD = Path(__file__).parent / "fixtures" / "process_card_p23.txt"


def test_the_seed_card_imports_through_the_api_with_its_scores_and_bands(client, tokens):
    response = client.post("/plan/risks/imports", content=CARD.read_bytes(), headers={**tokens["mr_manager"], **TSV})
    assert response.status_code == 200, response.text
    assert response.json()["document"] == "P.2.3" and len(response.json()["registered"]) == 6
    register = client.get("/plan/risks", headers=tokens["auditor"]).json()
    assert [(r["score"], r["band"]) for r in register] == [(20, 1), (20, 1), (16, 2), (16, 2), (16, 2), (16, 2)]


def test_a_risk_is_added_re_scored_and_read_with_its_trend_and_the_register_as_of_a_date(client, tokens, clock):
    body = {"process": "P.2.3", "title": "Cevapsız çağrılar", "area": "Üye ilişkileri", "probability": 4, "severity": 4}
    created = client.post("/plan/risks", json=body, headers=tokens["sg"])
    assert created.status_code == 201, created.text
    rid = created.json()["id"]
    clock.advance(days=2)
    rescored = client.post(
        f"/plan/risks/{rid}/score", json={"probability": 2, "severity": 4, "reason": "geri arama"}, headers=tokens["sg"]
    ).json()
    assert (rescored["score"], rescored["band"], rescored["trend"]) == (8, 3, "falling")
    before = client.get("/plan/risks", params={"as_of": "2026-11-21"}, headers=tokens["sg"]).json()
    assert [(r["score"], len(r["scores"])) for r in before] == [(16, 1)]
    assert client.get(f"/plan/risks/{rid}", headers=tokens["expert"]).json()["score"] == 8


def test_bad_risk_input_is_a_problem_and_nothing_is_recorded(client, tokens):
    body = {"process": "P", "title": "R", "probability": 6, "severity": 4}
    assert_problem(client.post("/plan/risks", json=body, headers=tokens["sg"]), 422)
    assert client.get("/plan/risks", headers=tokens["sg"]).json() == []
    unknown = "00000000-0000-0000-0000-000000000000"
    assert_problem(
        client.post(f"/plan/risks/{unknown}/score", json={"probability": 1, "severity": 1}, headers=tokens["sg"]), 404
    )
    client.post("/plan/risks", json={**body, "probability": 1}, headers=tokens["sg"])
    assert_problem(client.post("/plan/risks", json={**body, "probability": 2}, headers=tokens["sg"]), 409, "already")
    assert_problem(client.post("/plan/risks/imports", content=b"nothing", headers={**tokens["sg"], **TSV}), 422)


def test_a_measure_asks_for_a_corrective_action_keyed_by_the_risk(client, tokens):
    rid = client.post(
        "/plan/risks", json={"process": "P", "title": "R", "probability": 4, "severity": 5}, headers=tokens["sg"]
    ).json()["id"]
    response = client.post(f"/plan/risks/{rid}/actions", json={"measure": "Seminer"}, headers=tokens["mr_manager"])
    assert response.status_code == 202 and response.json()["source_ref"] == f"risk:{rid}:1"
    requests = client.get(f"/plan/risks/{rid}", headers=tokens["sg"]).json()["action_requests"]
    assert [(r["measure"], r["by"]) for r in requests] == [("Seminer", "m.karimi")]


def test_the_risk_register_as_of_a_past_moment_is_byte_for_byte_what_it_showed(client, tokens, clock):
    body = {"process": "P.2.3", "title": "Cevapsız çağrılar", "area": "Üye ilişkileri", "probability": 4, "severity": 4}
    rid = client.post("/plan/risks", json=body, headers=tokens["sg"]).json()["id"]
    clock.advance(hours=1)
    then = clock.now
    stored = client.get("/plan/risks", headers=tokens["sg"]).content
    clock.advance(hours=1)
    score = {"probability": 5, "severity": 4, "reason": "kuyruk uzadı"}
    assert client.post(f"/plan/risks/{rid}/score", json=score, headers=tokens["sg"]).status_code < 300
    client.post("/plan/risks", json={**body, "title": "Geç cevaplanan şikâyetler"}, headers=tokens["sg"])
    assert client.get("/plan/risks", headers=tokens["sg"]).content != stored
    local = then.astimezone(ZoneInfo("Asia/Tehran")).replace(tzinfo=None).isoformat()  # the chamber's time, no zone
    for moment in (then.isoformat(), local):
        again = client.get("/plan/risks", params={"as_of": moment}, headers=tokens["sg"])
        assert again.status_code == 200, again.text
        assert again.content == stored
