"""The complaint reports over HTTP: who may read them (the member-relations manager, the SG, auditors, operators)
and who may not, confidential complaints hidden from operators, JSON, CSV and the printable HTML document in the
chamber's language, and invalid periods."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.reporting.complaints import ComplaintReadModel
from services.reporting.complaints_api import router
from shared.auth import Role
from shared.service import create_service_app
from shared.settings import Settings
from tests.helpers import assert_problem
from tests.reporting.complaint_story import Story, isfahan, istanbul_story, project

ALLOWED = ["mr_manager", "sg", "auditor", "admin"]
REFUSED = ["expert", "trade_expert", "unit_manager", "committee", "telephony", "monitoring"]
ENDPOINTS = [
    ("/reports/complaints/open", {}),
    ("/reports/complaints/six-monthly", {"year": 1405, "half": 1}),
    ("/reports/complaints/yearly", {"year": 1405}),
]


def reporting_app(settings: Settings, model: ComplaintReadModel, clock) -> FastAPI:
    """The reporting service's app as main.create_app makes it, with the complaint reports' router."""
    app = create_service_app("reporting", settings, title="CRM reporting service", description="")
    app.state.complaint_readmodel = model
    app.state.clock = clock
    app.include_router(router)
    return app


@pytest.fixture
def story(clock, tmp_path) -> Story:
    return isfahan(clock, tmp_path)


@pytest.fixture
def model(settings, story) -> ComplaintReadModel:
    model = ComplaintReadModel(settings.readmodel_db_url, settings.business_calendar)
    project(model, story.events())
    return model


@pytest.fixture
def client(settings, model, story, clock) -> Iterator[TestClient]:
    clock.now = story.now
    with TestClient(reporting_app(settings, model, clock)) as client:
        yield client


# --- who may read the complaint reports -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ALLOWED)
@pytest.mark.parametrize(("path", "params"), ENDPOINTS)
def test_the_member_relations_manager_the_sg_auditors_and_operators_read_the_complaint_reports(
    client, tokens, role, path, params
) -> None:
    response = client.get(path, params=params, headers=tokens[role])
    assert response.status_code == 200, response.text


def test_the_president_reads_the_six_monthly_report_with_confidential_complaints_counted_only(
    client, token_store
) -> None:
    president = {"Authorization": f"Bearer {token_store.create('a.president', Role.PRESIDENT, None)}"}
    response = client.get("/reports/complaints/six-monthly", params={"year": 1405, "half": 1}, headers=president)
    assert response.status_code == 200, response.text
    assert response.json()["confidential_listed"] is False  # counted in the figures, not named


@pytest.mark.parametrize("role", REFUSED)
@pytest.mark.parametrize(("path", "params"), ENDPOINTS)
def test_other_roles_may_not_read_the_complaint_reports(client, tokens, role, path, params) -> None:
    assert_problem(client.get(path, params=params, headers=tokens[role]), 403, "may not do this")


@pytest.mark.parametrize(("path", "params"), ENDPOINTS)
def test_the_complaint_reports_need_a_token(client, path, params) -> None:
    response = client.get(path, params=params)
    assert_problem(response, 401, "bearer token")
    assert response.headers["www-authenticate"] == "Bearer"
    assert_problem(
        client.get(path, params=params, headers={"Authorization": "Bearer crm_nobody"}), 401, "unknown or revoked"
    )


# --- open complaints ------------------------------------------------------------------------------------------


def test_open_complaints_by_stage_with_the_oldest_waiting(client, tokens, story) -> None:
    body = client.get("/reports/complaints/open", headers=tokens["sg"]).json()
    stages = {s["stage"]: s for s in body["stages"]}
    assert (body["total"], body["withheld"], body["as_of_local"]) == (4, 0, "1405/07/15 10:00")
    assert {s: stages[s]["count"] for s in ("acknowledgement", "review", "assignment")} == {
        "acknowledgement": 1,
        "review": 2,
        "assignment": 1,
    }
    assert stages["review"]["oldest"]["complaint_id"] == story.ids["B"]
    assert stages["assignment"]["oldest"]["since_local"] == "1404/12/04 09:00"
    assert [i["complaint_id"] for i in body["items"]] == [story.ids[k] for k in ("F", "B", "C", "E")]


def test_operators_see_open_confidential_complaints_counted_but_not_named(client, tokens, story) -> None:
    body = client.get("/reports/complaints/open", headers=tokens["admin"]).json()
    review = next(s for s in body["stages"] if s["stage"] == "review")
    assert (
        review["count"],
        review["oldest"]["complaint_id"],
        review["oldest"]["reference"],
        review["oldest"]["confidential"],
    ) == (2, None, None, True)
    assert body["withheld"] == 1
    assert story.ids["B"] not in [i["complaint_id"] for i in body["items"]]
    assert story.ids["B"] not in client.get("/reports/complaints/open", headers=tokens["admin"]).text


# --- the six-monthly and yearly reports -----------------------------------------------------------------------


def test_the_six_monthly_report_as_json(client, tokens, story) -> None:
    response = client.get(
        "/reports/complaints/six-monthly", params={"year": 1405, "half": 1}, headers=tokens["auditor"]
    )
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert (body["period"]["first_day"], body["period"]["last_day"], body["period"]["first_day_local"]) == (
        "2026-03-21",
        "2026-09-22",
        "1405/01/01",
    )
    assert (body["received"]["total"], body["closed"], body["resolution"]["mean_working_hours"]) == (5, 4, 23.25)
    assert [i["complaint_id"] for i in body["agenda"]["items"]] == [story.ids[k] for k in ("F", "B", "C", "H")]
    assert body["confidential_listed"] is True


def test_an_operator_gets_the_six_monthly_report_without_the_confidential_complaints_details(
    client, tokens, story
) -> None:
    response = client.get("/reports/complaints/six-monthly", params={"year": 1405, "half": 1}, headers=tokens["admin"])
    body = response.json()
    assert (
        body["received"]["total"],
        body["received"]["confidential"],
        body["agenda"]["count"],
        body["agenda"]["withheld"],
    ) == (5, 1, 4, 1)
    assert story.ids["B"] not in response.text
    assert body["confidential_listed"] is False
    for table in ("agenda", "actions", "figures"):
        text = client.get(
            "/reports/complaints/six-monthly",
            params={"year": 1405, "half": 1, "format": "csv", "table": table},
            headers=tokens["admin"],
        ).text
        assert "رفتار نامناسب" not in text
    html = client.get(
        "/reports/complaints/six-monthly", params={"year": 1405, "half": 1, "format": "html"}, headers=tokens["admin"]
    ).text
    assert "رفتار نامناسب" not in html and "۱ مورد محرمانه" in html  # Persian digits in Persian reports


def test_the_six_monthly_report_as_csv_tables(client, tokens) -> None:
    response = client.get(
        "/reports/complaints/six-monthly", params={"year": 1405, "half": 1, "format": "csv"}, headers=tokens["sg"]
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="complaints-1405-h1-figures.csv"'
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0] == ["section", "key", "label", "value"]
    assert ["received_by_channel", "phone", "تلفنی", "1"] in rows

    agenda = client.get(
        "/reports/complaints/six-monthly",
        params={"year": 1405, "half": 1, "format": "csv", "table": "agenda"},
        headers=tokens["sg"],
    )
    rows = list(csv.reader(io.StringIO(agenda.text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["reference", "kind", "channel"] and len(rows) == 5
    # Negotiated by the Accept header too.
    by_accept = client.get(
        "/reports/complaints/six-monthly",
        params={"year": 1405, "half": 1},
        headers={**tokens["sg"], "Accept": "text/csv"},
    )
    assert by_accept.headers["content-type"].startswith("text/csv")


def test_the_six_monthly_report_as_a_printable_persian_document(client, tokens) -> None:
    response = client.get(
        "/reports/complaints/six-monthly",
        params={"year": 1405, "half": 1, "format": "html"},
        headers=tokens["mr_manager"],
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    text = response.text
    assert '<html lang="fa" dir="rtl">' in text
    assert "گزارش شش‌ماهه شکایات" in text and "نیمه نخست سال ۱۴۰۵" in text and "۱۴۰۵/۰۶/۳۱" in text
    assert "@media print" in text


def test_the_yearly_report_as_json_csv_and_html(client, tokens) -> None:
    body = client.get("/reports/complaints/yearly", params={"year": 1405}, headers=tokens["sg"]).json()
    assert (body["report"], body["form"], body["received"]["total"]) == ("yearly", "SY-PR-10-00-02", 6)
    assert [h["received"] for h in body["halves"]] == [5, 1] and body["previous_year"]["received"] == 1
    csv_text = client.get(
        "/reports/complaints/yearly", params={"year": 1405, "format": "csv"}, headers=tokens["sg"]
    ).text
    assert "previous_year,received,1404,1" in csv_text
    html = client.get("/reports/complaints/yearly", params={"year": 1405, "format": "html"}, headers=tokens["sg"]).text
    assert "SY-PR-۱۰-۰۰-۰۲" in html and "مقایسه با سال قبل" in html


@pytest.mark.parametrize(
    ("path", "params", "detail"),
    [
        ("/reports/complaints/six-monthly", {"year": 1405, "half": 3}, "query.half"),
        ("/reports/complaints/six-monthly", {"year": 1405}, "query.half"),
        ("/reports/complaints/six-monthly", {"year": 2026, "half": 1}, "not a Solar Hijri year"),
        ("/reports/complaints/six-monthly", {"year": 1405, "half": 1, "format": "pdf"}, "query.format"),
        ("/reports/complaints/six-monthly", {"year": 1405, "half": 1, "format": "csv", "table": "all"}, "query.table"),
        ("/reports/complaints/yearly", {}, "query.year"),
        ("/reports/complaints/yearly", {"year": "next"}, "query.year"),
    ],
)
def test_an_invalid_period_or_format_is_refused_with_the_reason(client, tokens, path, params, detail) -> None:
    assert_problem(client.get(path, params=params, headers=tokens["sg"]), 422, detail)


# --- the Turkish chamber --------------------------------------------------------------------------------------


def test_the_turkish_chamber_gets_its_reports_in_turkish_on_gregorian_half_years(
    settings, tokens, clock, tmp_path
) -> None:
    turkish = Settings(
        data_dir=settings.data_dir, relay_embedded=False, chamber="TR", readmodel_url=f"sqlite:///{tmp_path}/tr.db"
    )
    story = istanbul_story(clock, tmp_path)
    model = ComplaintReadModel(turkish.readmodel_db_url, turkish.business_calendar)
    project(model, story.events())
    clock.now = story.now
    with TestClient(reporting_app(turkish, model, clock)) as client:
        body = client.get(
            "/reports/complaints/six-monthly", params={"year": 2026, "half": 1}, headers=tokens["sg"]
        ).json()
        assert (body["language"], body["period"]["label"], body["received"]["total"]) == (
            "tr",
            "2026 yılı ilk yarısı (Ocak–Haziran)",
            2,
        )
        html = client.get(
            "/reports/complaints/six-monthly", params={"year": 2026, "half": 1, "format": "html"}, headers=tokens["sg"]
        ).text
        assert '<html lang="tr" dir="ltr">' in html and "Altı Aylık Şikâyet" in html and "30.06.2026" in html
        assert_problem(
            client.get("/reports/complaints/yearly", params={"year": 1405}, headers=tokens["sg"]),
            422,
            "not a Gregorian year",
        )
        opened = client.get("/reports/complaints/open", headers=tokens["sg"]).json()
        assert [s["label"] for s in opened["stages"]][:2] == ["Alındı bildirimi", "Üye ilişkileri müdürü incelemesi"]
        assert opened["items"][0]["stage_since_local"] == "02.04.2026 14:00"
