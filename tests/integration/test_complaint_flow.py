"""A complaint from receipt to closing, each step by its role over HTTP, with the reports updated by the reporting
processor over the real embedded broker: the complaints service, the processor and the reporting API run as their
own processes, as `crm run` starts them."""

from __future__ import annotations

import httpx
import jdatetime
import pytest

from shared.auth import Role, TokenStore
from tests.integration.conftest import crm, crm_env, free_port, stop_all, wait_healthy, wait_until

pytestmark = pytest.mark.integration

PEOPLE = {
    "expert": ("z.rahimi", Role.EXPERT, "member_relations"),
    "mr_manager": ("m.karimi", Role.MR_MANAGER, "member_relations"),
    "sg": ("sg", Role.SG, None),
    "handler": ("p.mohammadi", Role.EXPERT, "international"),
    "committee": ("committee-1", Role.COMMITTEE, None),
    "auditor": ("auditor", Role.AUDITOR, None),
    "unit_manager": ("f.alavi", Role.UNIT_MANAGER, "trade"),
}

STEPS = [
    ("acknowledge", "expert", {"method": "phone"}, "acknowledged"),
    ("review-complete", "mr_manager", None, "reviewed"),
    ("refer", "mr_manager", {"note": "please assign"}, "referred"),
    ("assign", "sg", {"handler_kind": "person", "handler": "p.mohammadi"}, "assigned"),
    (
        "investigation",
        "handler",
        {
            "circumstances": "waited for a signature",
            "root_causes": "no deputy",
            "consequences": "no exports",
            "actions_taken": "card issued",
        },
        "investigated",
    ),
    ("decision", "sg", {"decision": "accepted"}, "accepted"),
    ("committee", "sg", {"subject": "card delays", "variable_members": ["y.mousavi"]}, "committee"),
    (
        "committee/decision",
        "committee",
        {
            "attendees": ["m.karimi", "sg", "committee-1", "h.tehrani"],
            "decision": "settled",
            "reasoning": "card issued, delay fee waived",
            "minutes": "the unit manager explained the missing deputy",
            "corrective_actions": [
                {"description": "name a deputy signatory", "owner": "h.tehrani", "due": "2026-12-20"}
            ],
        },
        "decided",
    ),
    ("notify", "mr_manager", {"method": "phone", "message": "your card is issued and the fee waived"}, "notified"),
    ("close", "mr_manager", None, "closed"),
]


@pytest.fixture
def system(settings, broker, topic_prefix):
    ports = {"complaints": free_port(), "reporting": free_port(), "processor": free_port()}
    settings = settings.model_copy(update={"kafka_bootstrap": broker, "topic_prefix": topic_prefix})
    env = crm_env(
        settings,
        CRM_COMPLAINTS_PORT=str(ports["complaints"]),
        CRM_REPORTING_PORT=str(ports["reporting"]),
        CRM_PROCESSOR_PORT=str(ports["processor"]),
        CRM_RELAY_POLL_INTERVAL="0.2",
        CRM_COMPLAINTS__COMMITTEE_FIXED_MEMBERS='["m.karimi", "sg", "committee-1"]',
        CRM_COMPLAINTS__COMMITTEE_SG='["sg"]',
        CRM_COMPLAINTS__COMMITTEE_ASSISTANT="",
    )
    store = TokenStore(settings.auth_db_url)
    who = {
        key: {"Authorization": f"Bearer {store.create(name, role, unit)}"} for key, (name, role, unit) in PEOPLE.items()
    }
    procs = [
        crm("serve", "complaints", env=env),
        crm("process", "reporting", env=env),
        crm("serve", "reporting", env=env),
    ]
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    try:
        wait_healthy(*urls.values())
        yield urls, who
    finally:
        stop_all(procs)


def test_a_complaint_goes_from_receipt_to_closing_and_the_reports_follow(system):
    urls, who = system
    body = {
        "channel": "in_person",
        "kind": "complaint",
        "description": "کارت بازرگانی پس از دو ماه هنوز صادر نشده است",
        "occurred_at": "2026-11-18T10:00:00",
        "member_number": "1001",
        "complainant_name": "علی رضایی",
        "phone": "0913 123 4567",
        "unit": "membership",
        "stakeholders": {"units": ["membership"], "persons": ["r.sadeghi"], "participants": ["a.moradi"]},
    }
    r = httpx.post(f"{urls['complaints']}/complaints", json=body, headers=who["expert"])
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    open_report = f"{urls['reporting']}/reports/complaints/open"

    # The processor sees the new complaint waiting for acknowledgement.
    def waiting_in(stage: str):
        report = httpx.get(open_report, headers=who["mr_manager"]).json()
        return report if any(s["stage"] == stage and s["count"] == 1 for s in report["stages"]) else None

    wait_until(lambda: waiting_in("acknowledgement"), what="the complaint in the open report")

    # A handler who is a stakeholder's colleague is refused, with the reason; the eligible one is accepted.
    for path, by, payload, state in STEPS:
        if path == "assign":
            refused = httpx.post(
                f"{urls['complaints']}/complaints/{cid}/assign",
                json={"handler_kind": "person", "handler": "n.jafari"},
                headers=who["sg"],
            )
            assert refused.status_code == 409 and "membership" in refused.json()["detail"]
        r = httpx.post(f"{urls['complaints']}/complaints/{cid}/{path}", json=payload, headers=who[by])
        assert r.status_code == 200, (path, r.text)
        assert r.json()["state"] == state
    r = httpx.post(
        f"{urls['complaints']}/complaints/{cid}/satisfaction",
        json={"score": 2, "comment": "took too long"},
        headers=who["mr_manager"],
    )
    assert r.status_code == 200, r.text

    # The six-monthly report of this half-year counts it, closed and settled, with its corrective action, and puts
    # it on the agenda of the review meeting because the member was not satisfied.
    today = jdatetime.date.today()
    params = {"year": today.year, "half": 1 if today.month <= 6 else 2}
    six_monthly = f"{urls['reporting']}/reports/complaints/six-monthly"

    def closed_in_report():
        report = httpx.get(six_monthly, params=params, headers=who["sg"]).json()
        return report if report["closed"] == 1 and report["agenda"]["count"] == 1 else None

    report = wait_until(closed_in_report, what="the closed complaint in the six-monthly report")
    assert report["received"]["total"] == 1
    assert report["corrective_actions"]["total"] == 1
    assert report["outcomes"]["total"] == 1
    assert not httpx.get(open_report, headers=who["mr_manager"]).json()["stages"] or all(
        s["count"] == 0 for s in httpx.get(open_report, headers=who["mr_manager"]).json()["stages"]
    )

    # The printable document is in Persian, right to left, with Solar Hijri dates in Persian digits; other roles are
    # refused.
    html = httpx.get(six_monthly, params={**params, "format": "html"}, headers=who["sg"])
    year = str(today.year).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert html.status_code == 200 and 'dir="rtl"' in html.text and f"{year}/" in html.text
    assert httpx.get(six_monthly, params=params, headers=who["unit_manager"]).status_code == 403
