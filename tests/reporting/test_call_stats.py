"""Call-centre statistics from the events already stored, as a QueueMetrics user reads them: per unit and per
expert, offered / answered / abandoned, service level, average and p90 wait and talk, abandons by hour, callback
compliance, for a day, week, month or range, JSON and CSV; and the wall-board of calls waiting now."""

from __future__ import annotations

import csv
import io
import itertools
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from services.calls.application import CallCentre
from services.calls.domain import CallbackOutcome
from services.calls.telephony import TelephonyEvent
from services.reporting.engine import ReportingEngine
from services.reporting.main import create_app
from services.reporting.oversight import Oversight
from services.reporting.projections import EscalationRule
from services.reporting.readmodel import ReadModel
from services.reporting.stats import p90
from tests.helpers import assert_problem
from tests.reporting.test_api import envelopes, tehran

_serial = itertools.count(1)


def call(centre: CallCentre, at: datetime, *steps: tuple[str, int, dict]) -> str:
    """A call queued at `at` on trade's queue 602, then each (kind, seconds after `at`, fields)."""
    pbx = f"stats-{next(_serial)}"
    for kind, seconds, fields in (("queued", 0, {"caller": "09131234567"}), *steps):
        result = centre.ingest(
            TelephonyEvent(
                source="webhook",
                event_id=f"{pbx}-{kind}",
                call_id=pbx,
                kind=kind,
                at=at + timedelta(seconds=seconds),
                queue="602",
                **fields,
            )
        )
        assert result.status == "applied", result
    return pbx


class Saturday:
    def __init__(self, settings, clock):
        calendar = settings.business_calendar
        self.centre = CallCentre(organisation=settings.organisation, calendar=calendar, clock=clock)
        self.oversight = Oversight()
        self.readmodel = ReadModel(settings.readmodel_db_url, calendar)
        self.engine = ReportingEngine(
            self.readmodel, self.oversight, settings.organisation, calendar, EscalationRule(9, timedelta(days=7)), clock
        )
        c = self.centre
        clock.now = tehran(2026, 11, 21, 11, 31)
        # Answered after 10 s by s.ahmadi (extension 211), 300 s of talk; after 40 s by k.rezaei, 120 s.
        call(
            c,
            tehran(2026, 11, 21, 10, 0),
            ("answered", 10, {"agent": "211"}),
            ("completed", 310, {"agent": "211", "talk_seconds": 300}),
        )
        call(
            c,
            tehran(2026, 11, 21, 10, 10),
            ("answered", 40, {"agent": "212"}),
            ("completed", 160, {"agent": "212", "talk_seconds": 120}),
        )
        # The caller gave up after 90 s at 11:00; another has been waiting since 11:30.
        call(c, tehran(2026, 11, 21, 11, 0), ("abandoned", 90, {}))
        call(c, tehran(2026, 11, 21, 11, 30))
        # Sunday, the next day: same week, next Solar Hijri month (1405/09/01).
        call(
            c,
            tehran(2026, 11, 22, 9, 0),
            ("answered", 5, {"agent": "211"}),
            ("completed", 65, {"agent": "211", "talk_seconds": 60}),
        )
        self.feed()

    def feed(self) -> None:
        self.engine.handle(envelopes(self.centre) + envelopes(self.oversight))


@pytest.fixture
def saturday(settings, clock) -> Saturday:
    return Saturday(settings, clock)


@pytest.fixture
def client(settings, clock, saturday) -> Iterator[TestClient]:
    clock.now = tehran(2026, 11, 21, 11, 31)
    with TestClient(create_app(settings, clock=clock, oversight=saturday.oversight)) as client:
        yield client


def stats(client, tokens, role="sg", **params) -> dict:
    response = client.get("/reports/calls/stats", params=params, headers=tokens[role])
    assert response.status_code == 200, response.text
    return response.json()


def test_a_days_figures_for_the_whole_call_centre(client, tokens) -> None:
    body = stats(client, tokens, period="day", day="2026-11-21")
    assert (body["from"], body["to"], body["from_local"]) == ("2026-11-21", "2026-11-21", "1405/08/30")
    total = body["total"]
    assert (total["offered"], total["answered"], total["abandoned"]) == (4, 2, 1)
    assert total["service_level"] == 0.25  # only the call answered after 10 s, within 20 s, of 4 offered
    assert (total["wait_avg_seconds"], total["wait_p90_seconds"]) == (46.7, 90)  # 10, 40 and the 90 s abandon
    assert (total["talk_avg_seconds"], total["talk_p90_seconds"]) == (210, 300)
    assert body["abandons_by_hour"]["11"] == 1 and sum(body["abandons_by_hour"].values()) == 1
    assert [g["group"] for g in body["groups"]] == ["trade"]


def test_the_service_level_threshold_is_a_parameter(client, tokens) -> None:
    assert (
        stats(client, tokens, period="day", day="2026-11-21", service_level_seconds=40)["total"]["service_level"] == 0.5
    )


def test_per_expert_figures(client, tokens) -> None:
    groups = {g["group"]: g for g in stats(client, tokens, period="day", day="2026-11-21", by="expert")["groups"]}
    assert (groups["s.ahmadi"]["answered"], groups["s.ahmadi"]["talk_avg_seconds"]) == (1, 300)
    assert (groups["k.rezaei"]["answered"], groups["k.rezaei"]["wait_avg_seconds"]) == (1, 40)
    assert groups[None]["abandoned"] == 1  # nobody answered it


def test_week_month_and_range_follow_the_chambers_calendar(client, tokens) -> None:
    week = stats(client, tokens, period="week", day="1405/09/01")  # Sunday: the week from Saturday 21 November
    assert (week["from"], week["to"], week["total"]["offered"]) == ("2026-11-21", "2026-11-27", 5)
    aban = stats(client, tokens, period="month", day="2026-11-21")  # Aban 1405 ends on Saturday 21 November
    assert (aban["to_local"], aban["total"]["offered"]) == ("1405/08/30", 4)
    azar = stats(client, tokens, period="month", day="2026-11-22")
    assert (azar["from_local"], azar["total"]["offered"]) == ("1405/09/01", 1)
    both = stats(client, tokens, period="range", **{"from": "2026-11-21", "to": "2026-11-22"})
    assert both["total"]["answered"] == 3


def test_callback_compliance_counts_callbacks_made_by_the_deadline_in_force(client, tokens, saturday, clock) -> None:
    assert stats(client, tokens, period="day", day="2026-11-21")["total"]["callbacks_due"] == 0  # not yet due
    [abandoned] = saturday.readmodel.unanswered_items(unit="trade")
    clock.now = tehran(2026, 11, 22, 9, 0)
    saturday.centre.record_callback(
        uuid.UUID(abandoned["call_id"]), by="f.alavi", outcome=CallbackOutcome.RESOLVED, note="ok"
    )
    saturday.feed()
    total = stats(client, tokens, period="day", day="2026-11-21")["total"]
    assert (total["callbacks_due"], total["callbacks_in_time"], total["callback_compliance"]) == (1, 1, 1.0)


def test_the_figures_as_csv(client, tokens) -> None:
    response = client.get(
        "/reports/calls/stats", params={"period": "day", "day": "2026-11-21", "format": "csv"}, headers=tokens["sg"]
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    [row] = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert (row["group"], row["offered"], row["abandoned"], row["service_level"]) == ("trade", "4", "1", "0.25")


def test_a_unit_manager_sees_only_his_or_her_units_figures(client, tokens) -> None:
    assert stats(client, tokens, "other_manager", period="day", day="2026-11-21")["total"]["offered"] == 0
    response = client.get(
        "/reports/calls/stats",
        params={"period": "day", "day": "2026-11-21", "unit": "trade"},
        headers=tokens["other_manager"],
    )
    assert_problem(response, 403, "own unit")


@pytest.mark.parametrize(
    "params",
    [
        {"period": "day"},
        {"period": "range", "from": "2026-11-22", "to": "2026-11-21"},
        {"period": "day", "day": "1900-01-01"},
    ],
)
def test_a_period_that_cannot_be_read_is_refused(client, tokens, params) -> None:
    assert client.get("/reports/calls/stats", params=params, headers=tokens["sg"]).status_code == 422


def test_the_wallboard_shows_the_calls_waiting_now_per_queue(client, tokens) -> None:
    response = client.get("/reports/calls/wallboard", headers=tokens["mr_manager"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["waiting"] == 1
    assert body["queues"] == [{"queue": "602", "unit": "trade", "waiting": 1, "longest_wait_seconds": 60.0}]


def test_p90_is_the_value_nine_in_ten_did_not_exceed() -> None:
    assert p90([]) is None
    assert p90(list(range(1, 11))) == 9
    assert p90([5]) == 5
