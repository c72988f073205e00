"""The reporting API over a read model filled by the engine from the calls service's real events: who sees which
unanswered calls, the end-of-day lists as JSON and CSV, per-unit figures and the Prometheus metrics."""

from __future__ import annotations

import csv
import io
import itertools
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from services.calls.application import CallCentre
from services.calls.domain import CallbackOutcome, Direction, call_id_for_pbx
from services.calls.telephony import TelephonyEvent
from services.reporting.api import CSV_COLUMNS
from services.reporting.engine import ReportingEngine
from services.reporting.main import create_app
from services.reporting.oversight import Oversight
from services.reporting.projections import EscalationRule
from services.reporting.readmodel import ReadModel
from shared.envelope import CloudEvent, from_kafka
from shared.eventstore import CrmApplication
from shared.relay import EnvelopeMapper
from shared.settings import Settings
from tests.helpers import assert_problem

TEHRAN = ZoneInfo("Asia/Tehran")
_serial = itertools.count(1)


def tehran(*args: int) -> datetime:
    return datetime(*args, tzinfo=TEHRAN)


def envelopes(app: CrmApplication) -> list[CloudEvent]:
    mapper = EnvelopeMapper(app)
    return [from_kafka(e.headers(), e.value()) for e in map(mapper, app.recorder.select_notifications(0, 1000))]


def abandoned(
    centre: CallCentre, at: datetime, queue: str = "602", caller: str = "09131234567", missed_by: str | None = None
) -> str:
    pbx = f"pbx-{next(_serial)}"
    kinds = [("queued", {"queue": queue, "caller": caller})]
    if missed_by:
        kinds.append(("agent_missed", {"queue": queue, "agent": missed_by}))
    kinds.append(("abandoned", {"queue": queue}))
    for kind, fields in kinds:
        assert (
            centre.ingest(
                TelephonyEvent(source="webhook", event_id=f"{pbx}-{kind}", call_id=pbx, kind=kind, at=at, **fields)
            ).status
            == "applied"
        )
    return str(call_id_for_pbx(pbx))


class Day:
    """What happened at the chamber, and the ids of the calls the tests look for."""

    def __init__(self, settings: Settings, clock):
        calendar = settings.business_calendar
        self.centre = CallCentre(organisation=settings.organisation, calendar=calendar, clock=clock)
        self.oversight = Oversight()
        self.readmodel = ReadModel(settings.readmodel_db_url, calendar)
        self.engine = ReportingEngine(
            self.readmodel, self.oversight, settings.organisation, calendar, EscalationRule(3, timedelta(days=7)), clock
        )
        centre = self.centre

        clock.now = tehran(2026, 11, 21, 10, 20)
        self.answered = str(centre.receive_call(direction=Direction.INCOMING, caller="09135550000", unit="trade"))
        centre.record_answer(uuid.UUID(self.answered), "k.rezaei")
        # Through member relations, transferred in vain to s.ahmadi, registered at 10:21: due Tuesday 10:21.
        call_id = centre.receive_call(direction=Direction.INCOMING, caller="0912 111 2233", unit="trade")
        centre.transfer_to_member_relations(call_id)
        centre.take_down_subject(
            call_id, subject="گواهی مبدأ، صادرات به ترکیه", by="z.rahimi", contact_name="مریم احمدی", contact_phone=None
        )
        centre.transfer_to_expert(call_id, expert="s.ahmadi", by="z.rahimi")
        clock.advance(minutes=1)
        centre.register_unanswered(call_id, by="z.rahimi", subject=None, contact_name=None, contact_phone=None)
        self.by_hand = str(call_id)
        self.automatic = abandoned(centre, tehran(2026, 11, 21, 10, 31))  # due Tuesday 10:31
        self.settled = abandoned(centre, tehran(2026, 11, 21, 11, 0), caller="09137778899")
        self.membership = abandoned(
            centre, tehran(2026, 11, 21, 12, 0), queue="601", caller="0313 222 3344", missed_by="201"
        )

        clock.now = tehran(2026, 11, 22, 9, 0)  # Sunday: 6 working hours after the 11:00 record
        centre.record_callback(
            uuid.UUID(self.settled), by="f.alavi", outcome=CallbackOutcome.RESOLVED, note="پاسخ داده شد"
        )
        self.feed()

        clock.now = tehran(2026, 11, 24, 10, 25)  # Tuesday: the 10:21 deadline has passed, the 10:31 one not yet
        self.engine.tick()
        self.feed()

    def feed(self) -> None:
        self.engine.handle(envelopes(self.centre) + envelopes(self.oversight))  # replays are skipped by event id


@pytest.fixture
def day(settings, clock) -> Day:
    return Day(settings, clock)


@pytest.fixture
def client(settings, clock, day) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock=clock)) as client:
        yield client


def ids(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [i["call_id"] for i in response.json()]


# --- who sees which unanswered calls ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["mr_manager", "sg", "auditor", "admin"])
def test_member_relations_the_sg_and_auditors_see_every_open_unanswered_call_earliest_deadline_first(
    client, tokens, day, role
) -> None:
    assert ids(client.get("/reports/unanswered", headers=tokens[role])) == [day.by_hand, day.automatic, day.membership]


def test_an_unanswered_call_shows_its_deadline_in_the_chambers_calendar_and_the_working_time_left(
    client, tokens, day
) -> None:
    items = {i["call_id"]: i for i in client.get("/reports/unanswered", headers=tokens["mr_manager"]).json()}
    late, pending = items[day.by_hand], items[day.automatic]
    assert datetime.fromisoformat(late["callback_due"]) == tehran(2026, 11, 24, 10, 21)
    assert late["callback_due_local"] == "1405/09/03 10:21"
    assert (late["breached"], late["working_seconds_left"]) == (True, -4 * 60)
    assert datetime.fromisoformat(late["breached_at"]) == tehran(2026, 11, 24, 10, 21)  # the deadline missed
    assert datetime.fromisoformat(late["detected_at"]) == tehran(2026, 11, 24, 10, 25)  # the processor's tick
    assert (late["expert"], late["subject"], late["contact_name"]) == (
        "s.ahmadi",
        "گواهی مبدأ، صادرات به ترکیه",
        "مریم احمدی",
    )
    assert (pending["breached"], pending["working_seconds_left"], pending["automatic"]) == (False, 6 * 60, True)
    assert items[day.membership]["expert"] == "r.sadeghi"


def test_an_expert_sees_only_his_or_her_own_unanswered_calls(client, tokens, day) -> None:
    assert ids(client.get("/reports/unanswered", headers=tokens["trade_expert"])) == [day.by_hand]
    assert ids(client.get("/reports/unanswered", params={"expert": "s.ahmadi"}, headers=tokens["trade_expert"])) == [
        day.by_hand
    ]
    assert ids(client.get("/reports/unanswered", headers=tokens["expert"])) == []  # z.rahimi has none
    response = client.get("/reports/unanswered", params={"expert": "r.sadeghi"}, headers=tokens["trade_expert"])
    assert_problem(response, 403, "only his or her own queue")


def test_a_unit_manager_sees_his_or_her_own_units_calls_only(client, tokens, day) -> None:
    assert ids(client.get("/reports/unanswered", headers=tokens["unit_manager"])) == [day.by_hand, day.automatic]
    assert ids(client.get("/reports/unanswered", params={"unit": "trade"}, headers=tokens["unit_manager"])) == [
        day.by_hand,
        day.automatic,
    ]
    assert ids(client.get("/reports/unanswered", headers=tokens["other_manager"])) == [day.membership]
    response = client.get("/reports/unanswered", params={"unit": "membership"}, headers=tokens["unit_manager"])
    assert_problem(response, 403, "only his or her own unit")


@pytest.mark.parametrize("role", ["telephony", "monitoring", "committee"])
def test_roles_outside_the_procedure_may_not_read_the_reports(client, tokens, role) -> None:
    assert_problem(client.get("/reports/unanswered", headers=tokens[role]), 403, "may not do this")
    assert_problem(client.get("/reports/units", headers=tokens[role]), 403, "may not do this")


def test_reports_need_a_token(client) -> None:
    response = client.get("/reports/unanswered")
    assert_problem(response, 401, "bearer token")
    assert response.headers["www-authenticate"] == "Bearer"


def test_unanswered_calls_filter_by_state_breach_and_unit(client, tokens, day) -> None:
    def get(**params: str) -> list[str]:
        return ids(client.get("/reports/unanswered", params=params, headers=tokens["sg"]))

    assert get(state="called_back") == [day.settled]
    assert sorted(get(state="all")) == sorted([day.by_hand, day.automatic, day.settled, day.membership])
    assert get(breached="true") == [day.by_hand]
    assert get(breached="false") == [day.automatic, day.membership]
    assert get(unit="membership") == [day.membership]
    [settled] = client.get("/reports/unanswered", params={"state": "called_back"}, headers=tokens["sg"]).json()
    assert (settled["outcome"], settled["callback_delay_working_seconds"], settled["working_seconds_left"]) == (
        "resolved",
        6 * 3600,
        0,
    )
    assert_problem(
        client.get("/reports/unanswered", params={"unit": "customs"}, headers=tokens["sg"]), 404, "no unit 'customs'"
    )
    assert_problem(
        client.get("/reports/unanswered", params={"state": "lost"}, headers=tokens["sg"]), 422, "query.state"
    )


# --- end-of-day lists ---------------------------------------------------------------------------------------------


def test_the_end_of_day_lists_produced_so_far_are_listed_per_unit_and_day(client, tokens) -> None:
    entries = client.get("/reports/end-of-day", params={"unit": "trade"}, headers=tokens["mr_manager"]).json()
    assert [(e["day"], e["day_local"], e["count"]) for e in entries] == [
        ("2026-11-23", "1405/09/02", 2),
        ("2026-11-22", "1405/09/01", 2),
        ("2026-11-21", "1405/08/30", 3),
    ]
    own = client.get("/reports/end-of-day", headers=tokens["other_manager"]).json()
    assert {e["unit"] for e in own} == {"membership"}
    # Each list was asked of the notifier for the unit's manager when it was produced.
    assert {(e["delivery_requested_to"], e["delivery_requested_at"] is not None) for e in entries} == {
        ("f.alavi", True)
    }


def test_a_units_end_of_day_list_as_json(client, tokens, day) -> None:
    response = client.get("/reports/end-of-day/trade/2026-11-21", headers=tokens["unit_manager"])
    assert response.status_code == 200
    body = response.json()
    assert (body["unit"], body["day"], body["day_local"], body["manager"], body["count"]) == (
        "trade",
        "2026-11-21",
        "1405/08/30",
        "f.alavi",
        3,
    )
    assert datetime.fromisoformat(body["produced_at"]) == tehran(2026, 11, 21, 16, 0)
    assert body["delivery_requested_to"] == "f.alavi"
    assert datetime.fromisoformat(body["delivery_requested_at"]) == tehran(2026, 11, 21, 16, 0)
    # Still owed at 16:00 on Saturday, earliest deadline first (the settled one was called back on Sunday).
    assert [i["call_id"] for i in body["items"]] == [day.by_hand, day.automatic, day.settled]
    assert body["items"][0]["subject"] == "گواهی مبدأ، صادرات به ترکیه"


@pytest.mark.parametrize(
    "how", [{"params": {"format": "csv"}}, {"headers": {"Accept": "text/csv"}}], ids=["format=csv", "Accept"]
)
def test_a_units_end_of_day_list_as_csv_keeps_persian_text(client, tokens, day, how) -> None:
    headers = {**tokens["unit_manager"], **how.get("headers", {})}
    response = client.get("/reports/end-of-day/trade/2026-11-21", params=how.get("params"), headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="unanswered-trade-2026-11-21.csv"'
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # spreadsheet programs then read the Persian correctly
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == CSV_COLUMNS
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert [r["call_id"] for r in records] == [day.by_hand, day.automatic, day.settled]
    first = records[0]
    assert (first["subject"], first["contact_name"], first["contact_phone"]) == (
        "گواهی مبدأ، صادرات به ترکیه",
        "مریم احمدی",
        "+989121112233",
    )
    assert (first["expert"], first["callback_due_local"], first["automatic"]) == (
        "s.ahmadi",
        "1405/09/03 10:21",
        "False",
    )
    assert records[1]["caller"] == "+989131234567"


def test_an_end_of_day_list_that_does_not_exist_is_not_found(client, tokens) -> None:
    assert_problem(client.get("/reports/end-of-day/customs/2026-11-21", headers=tokens["sg"]), 404, "no unit 'customs'")
    assert_problem(
        client.get("/reports/end-of-day/trade/2026-11-27", headers=tokens["sg"]),
        404,
        "no end-of-day list for trade on 2026-11-27",
    )
    assert_problem(client.get("/reports/end-of-day/legal/2026-11-21", headers=tokens["sg"]), 404, "no end-of-day list")
    assert_problem(client.get("/reports/end-of-day/trade/yesterday", headers=tokens["sg"]), 422, "path.day")


def test_another_units_manager_may_not_read_the_list(client, tokens) -> None:
    assert_problem(client.get("/reports/end-of-day/trade/2026-11-21", headers=tokens["other_manager"]), 403, "own unit")
    assert client.get("/reports/end-of-day/membership/2026-11-21", headers=tokens["other_manager"]).status_code == 200


# --- figures and metrics ------------------------------------------------------------------------------------------


def test_per_unit_figures_count_calls_offered_answered_and_left_unanswered(client, tokens) -> None:
    response = client.get("/reports/units", headers=tokens["auditor"])
    assert response.status_code == 200
    assert response.json() == [
        {
            "unit": "membership",
            "offered": 1,
            "answered": 0,
            "unanswered": 1,
            "open": 1,
            "breaches": 0,
            "escalations": 0,
            "answer_rate": 0.0,
        },
        {
            "unit": "trade",
            "offered": 4,
            "answered": 1,
            "unanswered": 3,
            "open": 2,
            "breaches": 1,
            "escalations": 0,
            "answer_rate": 0.25,
        },
    ]


def test_escalations_are_for_member_relations_the_sg_auditors_and_managers(client, tokens) -> None:
    assert (
        client.get("/reports/escalations", headers=tokens["mr_manager"]).json() == []
    )  # three calls: at the threshold, not over
    assert_problem(client.get("/reports/escalations", headers=tokens["trade_expert"]), 403)


def sample(text: str, name: str, **labels: str) -> float | None:
    wanted = "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}" if labels else ""
    for line in text.splitlines():
        if line.startswith(f"{name}{wanted} "):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_metrics_expose_the_call_centre_figures_from_the_read_model(tmp_path, settings, clock, day, tokens) -> None:
    # Only this test's read model has a legal-affairs call: figures from any other app of this process would lack it.
    abandoned(day.centre, tehran(2026, 11, 24, 10, 0), queue="604", caller="09130001122")
    day.feed()
    # An app built earlier in the same process over another read model must not be what /metrics reports.
    create_app(Settings(data_dir=tmp_path / "elsewhere", relay_embedded=False), clock=clock)
    with TestClient(create_app(settings, clock=clock)) as client:
        assert_problem(client.get("/metrics", headers=tokens["sg"]), 403)
        response = client.get("/metrics", headers=tokens["monitoring"])
    assert response.status_code == 200
    text = response.text
    assert sample(text, "crm_calls_offered_total", unit="trade") == 4
    assert sample(text, "crm_calls_offered_total", unit="membership") == 1
    assert sample(text, "crm_calls_offered_total", unit="legal") == 1
    assert sample(text, "crm_unanswered_open", unit="legal") == 1
    assert sample(text, "crm_calls_answered_total", unit="trade") == 1
    assert sample(text, "crm_calls_unanswered_total", unit="trade") == 3
    assert sample(text, "crm_unanswered_open", unit="trade") == 2
    assert sample(text, "crm_unanswered_open", unit="membership") == 1
    assert sample(text, "crm_callback_breaches_total", unit="trade") == 1
    # One callback, 6 working hours (21600 s) after the record.
    assert sample(text, "crm_callback_delay_working_seconds_bucket", le="14400", unit="trade") == 0
    assert sample(text, "crm_callback_delay_working_seconds_bucket", le="28800", unit="trade") == 1
    assert sample(text, "crm_callback_delay_working_seconds_bucket", le="+Inf", unit="trade") == 1
    assert sample(text, "crm_callback_delay_working_seconds_sum", unit="trade") == 21600
    assert sample(text, "crm_callback_delay_working_seconds_count", unit="trade") == 1
    assert sample(text, "crm_callback_delay_working_seconds_count", unit="membership") is None
    assert "+98913" not in text and "s.ahmadi" not in text  # no personal data in labels


def test_the_reporting_service_has_health_and_an_openapi_document(client) -> None:
    assert client.get("/health").json() == {"service": "reporting", "status": "ok"}
    assert "/reports/end-of-day/{unit}/{day}" in client.get("/openapi.json").json()["paths"]


def test_the_member_relations_manager_sees_the_calls_member_relations_answered_and_still_owes(
    settings, clock, tokens
) -> None:
    day = Day(settings, clock)
    clock.now = tehran(2026, 11, 24, 10, 0)
    pbx = "mr-open"
    for n, (kind, fields) in enumerate(
        [
            ("queued", {"queue": "602", "caller": "09131234567"}),
            ("queue_timeout", {"queue": "602"}),
            ("queued", {"queue": "700"}),
            ("answered", {"queue": "700", "agent": "302"}),
            ("completed", {"queue": "700", "agent": "302"}),
        ]
    ):
        event = TelephonyEvent(source="webhook", event_id=f"{pbx}-{n}", call_id=pbx, kind=kind, at=clock.now, **fields)
        assert day.centre.ingest(event).status == "applied"
    day.feed()
    clock.advance(minutes=30)
    with TestClient(create_app(settings, clock=clock)) as client:
        response = client.get("/reports/member-relations/follow-ups", headers=tokens["mr_manager"])
        assert response.status_code == 200, response.text
        [item] = response.json()
        assert (item["call_id"], item["expert"], item["state"]) == (str(call_id_for_pbx(pbx)), "a.moradi", "open")
        assert item["working_seconds_left"] == 90 * 60
        assert client.get("/reports/member-relations/follow-ups", headers=tokens["expert"]).status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/reports/unanswered?state=all",
        "/reports/end-of-day",
        "/reports/escalations",
        "/reports/units",
        "/reports/member-relations/follow-ups?state=all",
    ],
)
def test_every_report_list_pages_with_a_total(client, tokens, path: str) -> None:
    whole = client.get(path, headers=tokens["sg"])
    assert whole.status_code == 200, whole.text
    total = len(whole.json())
    assert whole.headers["X-Total-Count"] == str(total)
    sep = "&" if "?" in path else "?"
    second = client.get(f"{path}{sep}limit=1&offset=1", headers=tokens["sg"])
    assert second.headers["X-Total-Count"] == str(total)
    assert second.json() == whole.json()[1:2]


def test_the_unanswered_calls_page_through(client, tokens, day) -> None:
    first = client.get("/reports/unanswered", params={"limit": 2}, headers=tokens["sg"])
    rest = client.get("/reports/unanswered", params={"limit": 2, "offset": 2}, headers=tokens["sg"])
    assert first.headers["X-Total-Count"] == rest.headers["X-Total-Count"] == "3"
    assert len(first.json()) == 2 and len(rest.json()) == 1


def test_end_of_day_lists_are_found_by_a_solar_hijri_day_too(client, tokens) -> None:
    hijri = client.get("/reports/end-of-day", params={"day": "1405/08/30"}, headers=tokens["sg"]).json()
    iso = client.get("/reports/end-of-day", params={"day": "2026-11-21"}, headers=tokens["sg"]).json()
    assert hijri == iso and {e["day"] for e in hijri} == {"2026-11-21"}
    bad = client.get("/reports/end-of-day", params={"day": "1405-13"}, headers=tokens["sg"])
    assert_problem(bad, 422, "query.day")
